/* SPDX-License-Identifier: Apache-2.0 */
/* The routed-message handler: one notification row per level-1 recipient and
 * channel (unique key, deterministic ids), the level-2 escalation timer, all
 * in one transaction; then the sends. The offset is stored after that (the
 * stage loop does it on STAGE_SKIP); sends that fail transiently are left to
 * the retry thread via next_attempt_at. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "notifier.h"
#include "prahari/log.h"
#include "prahari/pg.h"
#include "prahari/util.h"
#include "routed.h"
#include <librdkafka/rdkafka.h>

#define SMS_GRACE_S "2"

/* SMS rows are sent by this thread right after the commit; they fall due
 * for the sender threads only after a grace period (in case this process
 * stops first). E-mail rows are due at once: the sender threads take them. */
static const char insert_sql[] =
        "INSERT INTO notifications (notification_id, alert_id, recipient_id, channel, level,"
        " address, client_ref, kind, lang, recipient_name, next_attempt_at, created_at)"
        " VALUES ($1, $2, $3, $4, 1, $5, $6, $7, $8, $9,"
        "  now() + ($10::float8 + CASE WHEN $4 = 'sms' THEN " SMS_GRACE_S " ELSE 0 END)"
        "  * interval '1 second', now() + $10::float8 * interval '1 second')"
        " ON CONFLICT (alert_id, recipient_id, channel, level, revision) DO NOTHING";

/* The "moved away" notice to the old lead's level-1 recipients: one row per
 * (alert, revision, recipient, channel) (deploy/sql/0401_notifier_moved.sql). */
static const char moved_away_sql[] =
        "INSERT INTO notifications (notification_id, alert_id, recipient_id, channel, level,"
        " address, client_ref, kind, lang, recipient_name, revision, next_attempt_at, created_at)"
        " VALUES ($1, $2, $3, $4, 1, $5, $6, 'moved_away', $7, $8, $9::int,"
        "  now() + ($10::float8 + CASE WHEN $4 = 'sms' THEN " SMS_GRACE_S " ELSE 0 END)"
        "  * interval '1 second', now() + $10::float8 * interval '1 second')"
        " ON CONFLICT (alert_id, recipient_id, channel, level, revision) DO NOTHING";

static const char timer_sql[] =
        "INSERT INTO escalations (alert_id, level, due_at, revision)"
        " VALUES ($1, 2, now() + ($2::float8 + $3::float8) * interval '1 second', $4::int)"
        " ON CONFLICT (alert_id, level) DO NOTHING";

/* The lead moved: the old chain's open timers stop, and level 2 starts
 * again for the new lead. Timers of this revision (a redelivery) are left. */
static const char stop_old_sql[] =
        "UPDATE escalations SET done_at = now() + $2::float8 * interval '1 second'"
        " WHERE alert_id = $1 AND done_at IS NULL AND revision < $3::int";

static const char restart_sql[] =
        "INSERT INTO escalations (alert_id, level, due_at, revision)"
        " VALUES ($1, 2, now() + ($2::float8 + $3::float8) * interval '1 second', $4::int)"
        " ON CONFLICT (alert_id, level) DO UPDATE SET due_at = excluded.due_at, done_at = NULL,"
        "  revision = excluded.revision WHERE escalations.revision < excluded.revision";

/* 'moved' when a later revision sends the alert to recipients other than
 * those already told at level 1. */
static const char moved_sql[] =
        "SELECT EXISTS (SELECT 1 FROM notifications WHERE alert_id = $1 AND level = 1 AND revision = 0"
        " AND NOT (recipient_id = ANY($2::text[])))";

static const char alert_sql[] = "SELECT status FROM alerts WHERE alert_id = $1";

static void text_array(const struct routed *rt, char *buf, size_t bufsz)
{
        size_t o = 0;
        o += (size_t)snprintf(buf + o, bufsz - o, "{");
        for (size_t i = 0; i < rt->nr && o < bufsz; i++) {
                o += (size_t)snprintf(buf + o, bufsz - o, "%s\"", i ? "," : "");
                for (const char *p = rt->r[i].recipient_id; *p && o + 3 < bufsz; p++) {
                        if (*p == '"' || *p == '\\')
                                buf[o++] = '\\';
                        buf[o++] = *p;
                }
                if (o < bufsz)
                        o += (size_t)snprintf(buf + o, bufsz - o, "\"");
        }
        if (o < bufsz)
                snprintf(buf + o, bufsz - o, "}");
}

/* Is @p rid among the routed (new lead's) recipients? */
static bool in_recipients(const struct routed *rt, const char *rid)
{
        for (size_t i = 0; i < rt->nr; i++)
                if (strcmp(rt->r[i].recipient_id, rid) == 0)
                        return true;
        return false;
}

enum stage_result consume_routed(void *ctx, const struct kq_msg *in, struct stage_output *out,
                                 char *reason, size_t reasonsz)
{
        struct worker *w = ctx;
        struct notifier *n = w->n;
        /* prahari_notify_seconds counts from the routed message's Kafka
         * timestamp (when the router produced it), on the monotonic clock.
         * kq_msg has no timestamp field yet: read it from the message. */
        int64_t t0 = util_mono_us();
        int64_t created_ms = in->rkm ? rd_kafka_message_timestamp(
                                               (const rd_kafka_message_t *)in->rkm, NULL)
                                     : -1;
        int64_t age_us = created_ms > 0 ? util_now_us() - created_ms * 1000 : 0;
        if (age_us > 0 && age_us < 3600LL * 1000000)
                t0 -= age_us;
        struct routed rt;
        char err[256];
        (void)out;
        if (routed_parse(in->payload, in->len, &rt, err, sizeof err) != 0) {
                snprintf(reason, reasonsz, "routed message: %s", err);
                return STAGE_DEADLETTER;
        }
        enum stage_result res = STAGE_RETRY;
        char ids[ROUTED_MAX_RECIPIENTS * 4][37];
        const char *idp[ROUTED_MAX_RECIPIENTS * 4];
        size_t nids = 0, nsms = 0, nmoved = 0;
        PGresult *r = NULL;
        bool in_tx = false;
        if (!pg_ensure(&w->conn, w->name))
                goto out;
        const char *ap[] = {rt.alert_id};
        r = pg_exec(w->conn, alert_sql, 1, ap);
        if (!r)
                goto out;
        if (PQntuples(r) == 0) {
                snprintf(reason, reasonsz, "alert_id: not in the alerts table");
                res = STAGE_DEADLETTER;
                goto out;
        }
        if (strcmp(PQgetvalue(r, 0, 0), "open") != 0) {
                /* After acknowledgement nothing further is sent to anyone. */
                log_alert(LOG_INFO, rt.alert_id, in->traceparent[0] ? in->traceparent : NULL,
                          "alert is %s: routed revision %d not notified", PQgetvalue(r, 0, 0),
                          rt.revision);
                res = STAGE_SKIP;
                goto out;
        }
        PQclear(r);
        r = NULL;
        const char *kind = "alert";
        if (rt.revision > 1) {
                char arr[4096];
                text_array(&rt, arr, sizeof arr);
                const char *mp[] = {rt.alert_id, arr};
                r = pg_exec(w->conn, moved_sql, 2, mp);
                if (!r)
                        goto out;
                if (strcmp(PQgetvalue(r, 0, 0), "t") == 0)
                        kind = "moved";
                PQclear(r);
                r = NULL;
        }
        if (pg_begin(w->conn) != 0)
                goto out;
        in_tx = true;
        /* SMS rows first: they are claimed and sent first. */
        for (int pass = 0; pass < 2; pass++) {
                const char *channel = pass == 0 ? "sms" : "email";
                for (size_t i = 0; i < rt.nr; i++) {
                        struct routed_recipient *p = &rt.r[i];
                        const char *addr = pass == 0 ? p->phone : p->email;
                        if (p->level != 1 || !addr || !*addr)
                                continue;
                        char ref[26];
                        routed_ids(rt.alert_id, p->recipient_id, channel, 1, ids[nids], ref);
                        const char *lang = p->lang && strcmp(p->lang, "hi") == 0 ? "hi" : "en";
                        const char *ip[] = {ids[nids], rt.alert_id, p->recipient_id, channel,
                                            addr,      ref,         kind,            lang,
                                            p->name ? p->name : "", n->clock_param};
                        r = pg_exec(w->conn, insert_sql, 10, ip);
                        if (!r)
                                goto out;
                        PQclear(r);
                        r = NULL;
                        idp[nids] = ids[nids];
                        nids++;
                        if (pass == 0)
                                nsms++;
                }
        }
        /* The old lead is told the alert moved away (not those who lead it
         * now as well); its timers stop and the new lead's chain starts. */
        char revbuf[16];
        snprintf(revbuf, sizeof revbuf, "%d", rt.revision);
        for (int pass = 0; rt.moved_from && pass < 2; pass++) {
                const char *channel = pass == 0 ? "sms" : "email";
                for (size_t i = 0; i < rt.nmr && nids < ROUTED_MAX_RECIPIENTS * 4; i++) {
                        struct routed_recipient *p = &rt.mr[i];
                        const char *addr = pass == 0 ? p->phone : p->email;
                        if (p->level != 1 || !addr || !*addr || in_recipients(&rt, p->recipient_id))
                                continue;
                        char ref[26];
                        routed_ids_rev(rt.alert_id, p->recipient_id, channel, 1, rt.revision,
                                       ids[nids], ref);
                        const char *lang = p->lang && strcmp(p->lang, "hi") == 0 ? "hi" : "en";
                        const char *ip[] = {ids[nids], rt.alert_id, p->recipient_id, channel,
                                            addr,      ref,         lang,            p->name ? p->name : "",
                                            revbuf,    n->clock_param};
                        r = pg_exec(w->conn, moved_away_sql, 10, ip);
                        if (!r)
                                goto out;
                        PQclear(r);
                        r = NULL;
                        idp[nids] = ids[nids];
                        if (pass == 0) {
                                /* SMS first in the send list */
                                const char *tmp = idp[nids];
                                memmove(&idp[nsms + 1], &idp[nsms], (nids - nsms) * sizeof idp[0]);
                                idp[nsms++] = tmp;
                        }
                        nids++;
                        nmoved++;
                }
        }
        char window[32];
        snprintf(window, sizeof window, "%ld", notifier_window_s(n, rt.severity));
        const char *tp[] = {rt.alert_id, n->clock_param, window, revbuf};
        if (rt.moved_from) {
                const char *sp[] = {rt.alert_id, n->clock_param, revbuf};
                r = pg_exec(w->conn, stop_old_sql, 3, sp);
                if (!r)
                        goto out;
                PQclear(r);
        }
        r = pg_exec(w->conn, rt.moved_from ? restart_sql : timer_sql, 4, tp);
        if (!r)
                goto out;
        PQclear(r);
        r = NULL;
        if (pg_commit(w->conn) != 0)
                goto out;
        in_tx = false;
        if (rt.moved_from)
                log_alert(LOG_INFO, rt.alert_id, NULL,
                          "revision %d moved the lead from %s: %zu moved-away notices", rt.revision,
                          rt.moved_from, nmoved);
        if (nids == nmoved)
                log_alert(LOG_WARN, rt.alert_id, NULL,
                          "routed message without a level-1 phone or e-mail; the escalation "
                          "timer will reach the next level");
        notifier_wake(); /* the e-mails */
        /* Rows already sent (a redelivered message) are not claimed again;
         * a database error here leaves them to the sender threads. */
        if (dispatch_due(w, idp, nsms, (int)nsms, t0) < 0)
                log_alert(LOG_WARN, rt.alert_id, NULL, "send pass failed; the retry thread "
                                                       "takes over");
        res = STAGE_SKIP;
out:
        if (r)
                PQclear(r);
        if (in_tx)
                pg_rollback(w->conn);
        if (res == STAGE_RETRY)
                snprintf(reason, reasonsz, "database unavailable");
        routed_free(&rt);
        return res;
}
