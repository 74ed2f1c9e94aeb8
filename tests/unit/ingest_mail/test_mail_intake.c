/* SPDX-License-Identifier: Apache-2.0 */
/* Unit test of the e-mail glue (mail_intake.c) through a link seam: this file
 * defines the three intake.h functions and records how the callback calls
 * them, so that what goes to the writer (way, source, report, raw bytes,
 * quarantine reason and field) and how its failures travel back are checked
 * without PostgreSQL. The writer's own durability is tested by ingest. */
#include <stdlib.h>
#include <string.h>

#include "mail_intake.h"
#include "prahari/log.h"
#include "prahari/util.h"
#include "../../testutil.h"

static struct {
        int meta_calls, quarantine_calls;
        int fail; /* the writer answers -1 (database down) */
        char way[16], source[16], field[64], reason[256], report_id[64];
        size_t rawlen;
} seam;

int intake_submit_meta_report(struct intake *in, const char *way, const json_t *report,
                              const char *raw, size_t rawlen, struct intake_result *res)
{
        seam.meta_calls++;
        snprintf(seam.way, sizeof seam.way, "%s", way);
        snprintf(seam.report_id, sizeof seam.report_id, "%s",
                 json_string_value(json_object_get(report, "report_id")));
        seam.rawlen = raw ? rawlen : 0;
        if (seam.fail)
                return -1;
        res->outcome = INTAKE_ACCEPTED;
        snprintf(res->alert_id, sizeof res->alert_id, "0b6f5c1e-0000-4000-8000-000000000001");
        snprintf(res->source_alert_id, sizeof res->source_alert_id, "%s", seam.report_id);
        res->revision = 1;
        return 0;
}

int intake_submit_quarantine(struct intake *in, const char *source, const char *way,
                             const char *reason, const char *field, const char *raw,
                             size_t rawlen, struct intake_result *res)
{
        seam.quarantine_calls++;
        snprintf(seam.source, sizeof seam.source, "%s", source);
        snprintf(seam.way, sizeof seam.way, "%s", way);
        snprintf(seam.reason, sizeof seam.reason, "%s", reason);
        snprintf(seam.field, sizeof seam.field, "%s", field ? field : "");
        seam.rawlen = raw ? rawlen : 0;
        if (seam.fail)
                return -1;
        res->outcome = INTAKE_QUARANTINED;
        res->quarantine_id = 7;
        return 0;
}

const char *intake_outcome_name(enum intake_outcome o)
{
        return o == INTAKE_QUARANTINED ? "quarantined" : "accepted";
}

int main(void)
{
        log_set_level(LOG_ERROR);
        size_t len;
        char *raw = util_read_file(PRAHARI_SHARED_DIR "/fixtures/bodies/email-01-bikaner.eml", &len);
        CHECK(raw != NULL);
        if (!raw)
                return test_summary("ingest_mail_intake");
        struct intake *in = (struct intake *)&seam; /* opaque to the glue */

        struct mail_result r;
        CHECK_INT(mail_parse(raw, len, &r), 0);
        CHECK_INT(mail_intake_store_cb(in, &r, raw, len), 0);
        CHECK_INT(seam.meta_calls, 1);
        CHECK_INT(seam.quarantine_calls, 0);
        CHECK_STR(seam.way, "email");
        CHECK_STR(seam.report_id, "MH-2026-004211");
        CHECK_INT(seam.rawlen, len);
        seam.fail = 1;
        CHECK_INT(mail_intake_store_cb(in, &r, raw, len), -1);
        seam.fail = 0;
        mail_result_clear(&r);

        static const char bad[] = "From: records@partner-reports.example\r\nSubject: r\r\n\r\n"
                                  "Report ID: MH-BAD-2\r\nPlatform: Instagram\r\nRisk level: Imminent\r\n"
                                  "Category: Suicide\r\nDetected: soon\r\nAccount ID: 1\r\nContent type: post\r\n";
        CHECK_INT(mail_parse(bad, sizeof bad - 1, &r), 0);
        CHECK_INT(r.kind, MAIL_INVALID);
        CHECK_INT(mail_intake_store_cb(in, &r, bad, sizeof bad - 1), 0);
        CHECK_INT(seam.quarantine_calls, 1);
        CHECK_STR(seam.source, "meta");
        CHECK_STR(seam.way, "email");
        CHECK_STR(seam.field, "detected_time");
        CHECK(strncmp(seam.reason, "detected_time: ", 15) == 0);
        CHECK_INT(seam.rawlen, sizeof bad - 1);
        seam.fail = 1;
        CHECK_INT(mail_intake_store_cb(in, &r, bad, sizeof bad - 1), -1);
        mail_result_clear(&r);

        /* settings: off without a URL, an error naming the variable when incomplete */
        struct mail_poller *p = (struct mail_poller *)&seam;
        char err[256] = "";
        unsetenv("PRAHARI_IMAP_URL");
        CHECK_INT(mail_intake_start(in, &p, err, sizeof err), 1);
        CHECK(p == NULL);
        setenv("PRAHARI_IMAP_URL", "imap://127.0.0.1:1", 1);
        unsetenv("PRAHARI_IMAP_USER");
        CHECK_INT(mail_intake_start(in, &p, err, sizeof err), -1);
        CHECK(strstr(err, "PRAHARI_IMAP_USER") != NULL);
        setenv("PRAHARI_IMAP_USER", "u", 1);
        setenv("PRAHARI_IMAP_PASSWORD", "p", 1);
        setenv("PRAHARI_EMAIL_ALLOWED_SENDERS", "records@partner-reports.example", 1);
        setenv("PRAHARI_IMAP_SEARCH", "RECENT", 1);
        CHECK_INT(mail_intake_start(in, &p, err, sizeof err), -1);
        CHECK(strstr(err, "PRAHARI_IMAP_SEARCH") != NULL);
        unsetenv("PRAHARI_IMAP_SEARCH");
        setenv("PRAHARI_IMAP_DONE_FOLDER", "Bad\"Name", 1);
        CHECK_INT(mail_intake_start(in, &p, err, sizeof err), -1);
        CHECK(strstr(err, "PRAHARI_IMAP_DONE_FOLDER") != NULL);
        setenv("PRAHARI_IMAP_DONE_FOLDER", "INBOX", 1);
        CHECK_INT(mail_intake_start(in, &p, err, sizeof err), -1);
        CHECK(strstr(err, "PRAHARI_IMAP_DONE_FOLDER") != NULL);
        unsetenv("PRAHARI_IMAP_DONE_FOLDER");
        setenv("PRAHARI_IMAP_URL", "pop3://127.0.0.1:1", 1);
        CHECK_INT(mail_intake_start(in, &p, err, sizeof err), -1);
        CHECK(strstr(err, "PRAHARI_IMAP_URL") != NULL);
        free(raw);
        return test_summary("ingest_mail_intake");
}
