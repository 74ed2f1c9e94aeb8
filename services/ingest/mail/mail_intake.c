/* SPDX-License-Identifier: Apache-2.0 */
/* Glue between the IMAP poller and the ingest writer (intake.h): settings from
 * the environment, a thread, and a callback that answers 0 only once the
 * alert or quarantine record is committed. Logs ids, never content. */
#include "mail_intake.h"

#include <stdio.h>
#include <string.h>

#include "prahari/log.h"

int mail_intake_store_cb(void *ctx, const struct mail_result *r, const char *raw, size_t rawlen)
{
        struct intake *in = ctx;
        struct intake_result res;
        memset(&res, 0, sizeof res);
        int rc;
        if (r->kind == MAIL_REPORT)
                rc = intake_submit_meta_report(in, "email", r->report, raw, rawlen, &res);
        else
                rc = intake_submit_quarantine(in, "meta", "email", r->reason[0] ? r->reason : "unreadable report",
                                              r->field[0] ? r->field : NULL, raw, rawlen, &res);
        if (rc != 0)
                return -1;
        if (res.outcome == INTAKE_QUARANTINED)
                log_warn("email: report %s quarantined as %lld (%s)",
                         res.source_alert_id[0] ? res.source_alert_id : "(no id)", res.quarantine_id,
                         res.reason[0] ? res.reason : r->reason);
        else
                log_alert(LOG_INFO, res.alert_id, NULL, "email: report %s %s (revision %d)",
                          res.source_alert_id, intake_outcome_name(res.outcome), res.revision);
        if (r->warnings[0])
                log_alert(LOG_WARN, res.alert_id[0] ? res.alert_id : NULL, NULL, "email: %s", r->warnings);
        return 0;
}

int mail_intake_start(struct intake *in, struct mail_poller **out, char *err, size_t errsz)
{
        struct mail_poller_cfg cfg;
        *out = NULL;
        int rc = mail_poller_cfg_load(&cfg, err, errsz);
        if (rc != 0) {
                if (rc == 1)
                        log_info("email: PRAHARI_IMAP_URL unset; e-mail intake off");
                return rc;
        }
        cfg_log(mail_poller_cfg_items, mail_poller_cfg_nitems, &cfg);
        *out = mail_poller_start(&cfg, mail_intake_store_cb, in, err, errsz);
        mail_poller_cfg_free(&cfg);
        return *out ? 0 : -1;
}

void mail_intake_stop(struct mail_poller *p)
{
        mail_poller_stop(p);
}
