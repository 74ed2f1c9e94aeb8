/* SPDX-License-Identifier: Apache-2.0 */
/* Escalation timers in PostgreSQL: due rows are taken with FOR UPDATE SKIP
 * LOCKED so replicas share them and a restart loses none. Unacknowledged:
 * the next level of the jurisdiction's chain from the directory (after the
 * last level, the state command centre) is notified and the next timer set.
 * Acknowledged: the timer is closed and nothing is sent. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "notifier.h"
#include "prahari/log.h"
#include "prahari/metrics.h"
#include "prahari/pg.h"
#include "routed.h"

#define SCC "STATE_COMMAND_CENTRE"

static const char due_sql[] =
        "SELECT e.alert_id, e.level, a.severity,"
        "  EXISTS (SELECT 1 FROM acknowledgements k WHERE k.alert_id = e.alert_id),"
        "  coalesce((SELECT CASE WHEN r.route = 'district' THEN r.district ELSE '" SCC "' END"
        "   FROM routings r WHERE r.alert_id = e.alert_id ORDER BY r.revision DESC LIMIT 1), '" SCC "')"
        " FROM escalations e JOIN alerts a ON a.alert_id = e.alert_id"
        " WHERE e.done_at IS NULL AND e.due_at <= now() + $1::float8 * interval '1 second'"
        " ORDER BY e.due_at LIMIT 10 FOR UPDATE OF e SKIP LOCKED";

static const char level_sql[] =
        "SELECT recipient_id, name, phone, email, lang FROM directory"
        " WHERE jurisdiction = $1 AND level = $2::int AND active ORDER BY recipient_id";

/* The state command centre's first level (used after a district's last). */
static const char scc_sql[] =
        "SELECT recipient_id, name, phone, email, lang FROM directory"
        " WHERE jurisdiction = '" SCC "' AND active"
        "  AND level = (SELECT min(level) FROM directory WHERE jurisdiction = '" SCC "' AND active)"
        " ORDER BY recipient_id";

static const char insert_sql[] =
        "INSERT INTO notifications (notification_id, alert_id, recipient_id, channel, level,"
        " address, client_ref, kind, lang, recipient_name, next_attempt_at, created_at)"
        " VALUES ($1, $2, $3, $4, $5::int, $6, $7, 'escalation', $8, $9,"
        "  now() + $10::float8 * interval '1 second', now() + $10::float8 * interval '1 second')"
        " ON CONFLICT (alert_id, recipient_id, channel, level) DO NOTHING";

static const char done_sql[] =
        "UPDATE escalations SET done_at = now() + $3::float8 * interval '1 second'"
        " WHERE alert_id = $1 AND level = $2::int";

static const char next_sql[] =
        "INSERT INTO escalations (alert_id, level, due_at)"
        " VALUES ($1, $2::int, now() + ($3::float8 + $4::float8) * interval '1 second')"
        " ON CONFLICT (alert_id, level) DO NOTHING";

static struct metric *escalations_metric(void)
{
        return metrics_counter("prahari_escalations_total",
                               "Escalations to a next level (timers that fired unacknowledged).",
                               NULL);
}

/* Handle one due timer inside the open transaction. Adds the ids of new
 * rows to @p ids. @returns 0 or -1 on a database error. */
static int fire(struct worker *w, const char *alert_id, int level, const char *severity,
                bool acked, const char *jurisdiction, char (*ids)[37], size_t *nids,
                size_t maxids)
{
        struct notifier *n = w->n;
        char lv[16];
        snprintf(lv, sizeof lv, "%d", level);
        const char *dp[] = {alert_id, lv, n->clock_param};
        PGresult *r = NULL;
        if (acked) {
                r = pg_exec(w->conn, done_sql, 3, dp);
                if (!r)
                        return -1;
                PQclear(r);
                return 0;
        }
        const char *lp[] = {jurisdiction, lv};
        r = pg_exec(w->conn, level_sql, 2, lp);
        if (!r)
                return -1;
        bool last = false;
        const char *to = jurisdiction;
        if (PQntuples(r) == 0) {
                /* Past the chain's last level: the state command centre,
                 * unless that is the chain that ran out. */
                PQclear(r);
                r = NULL;
                last = true;
                if (strcmp(jurisdiction, SCC) != 0) {
                        r = pg_exec(w->conn, scc_sql, 0, NULL);
                        if (!r)
                                return -1;
                        to = SCC;
                }
        }
        int rows = r ? PQntuples(r) : 0, inserted = 0;
        for (int i = 0; i < rows; i++) {
                const char *rid = PQgetvalue(r, i, 0);
                const char *name = PQgetvalue(r, i, 1);
                const char *lang = strcmp(PQgetvalue(r, i, 4), "hi") == 0 ? "hi" : "en";
                for (int ch = 0; ch < 2; ch++) {
                        const char *channel = ch == 0 ? "sms" : "email";
                        const char *addr = PQgetisnull(r, i, 2 + ch) ? NULL : PQgetvalue(r, i, 2 + ch);
                        if (!addr || !*addr || (ch == 0 && !routed_phone_ok(addr)) ||
                            (ch == 1 && !routed_email_ok(addr)) || *nids >= maxids)
                                continue;
                        char ref[26];
                        routed_ids(alert_id, rid, channel, level, ids[*nids], ref);
                        const char *ip[] = {ids[*nids], alert_id, rid,  channel, lv,
                                            addr,       ref,      lang, name,    n->clock_param};
                        PGresult *x = pg_exec(w->conn, insert_sql, 10, ip);
                        if (!x) {
                                PQclear(r);
                                return -1;
                        }
                        PQclear(x);
                        (*nids)++;
                        inserted++;
                }
        }
        if (r)
                PQclear(r);
        json_t *d = json_object();
        json_object_set_new(d, "level", json_integer(level)); /* steals ref */
        json_object_set_new(d, "jurisdiction", json_string(to));
        json_object_set_new(d, "notifications", json_integer(inserted));
        if (last)
                json_object_set_new(d, "chain_end", json_true());
        char *detail = json_dumps(d, JSON_COMPACT);
        json_decref(d);
        int rc = pg_timeline_add(w->conn, alert_id, "notifier", "escalated", NOTIFIER_ACTOR, 0,
                                 detail);
        free(detail);
        if (rc != 0)
                return -1;
        r = pg_exec(w->conn, done_sql, 3, dp);
        if (!r)
                return -1;
        PQclear(r);
        /* The next timer, unless the chain ended here (the state command
         * centre has been told, or its own chain ran out). */
        if (!last) {
                char nl[16], window[32];
                snprintf(nl, sizeof nl, "%d", level + 1);
                snprintf(window, sizeof window, "%ld", notifier_window_s(n, severity));
                const char *np[] = {alert_id, nl, n->clock_param, window};
                r = pg_exec(w->conn, next_sql, 4, np);
                if (!r)
                        return -1;
                PQclear(r);
        }
        metric_inc(escalations_metric(), 1);
        log_alert(LOG_WARN, alert_id, NULL,
                  "not acknowledged in time: escalated to level %d of %s (%d notifications)",
                  level, to, inserted);
        return 0;
}

int escalate_pass(struct worker *w)
{
        if (!pg_ensure(&w->conn, w->name))
                return -1;
        if (pg_begin(w->conn) != 0)
                return -1;
        const char *p[] = {w->n->clock_param};
        PGresult *r = pg_exec(w->conn, due_sql, 1, p);
        if (!r) {
                pg_rollback(w->conn);
                return -1;
        }
        enum { MAXIDS = 256 };
        static __thread char ids[MAXIDS][37];
        const char *idp[MAXIDS];
        size_t nids = 0;
        int rows = PQntuples(r);
        for (int i = 0; i < rows; i++) {
                if (fire(w, PQgetvalue(r, i, 0), (int)strtol(PQgetvalue(r, i, 1), NULL, 10),
                         PQgetvalue(r, i, 2), strcmp(PQgetvalue(r, i, 3), "t") == 0,
                         PQgetvalue(r, i, 4), ids, &nids, MAXIDS) != 0) {
                        PQclear(r);
                        pg_rollback(w->conn);
                        return -1;
                }
        }
        PQclear(r);
        if (pg_commit(w->conn) != 0)
                return -1;
        for (size_t i = 0; i < nids; i++)
                idp[i] = ids[i];
        if (nids > 0 && dispatch_due(w, idp, nids, (int)nids, 0) < 0)
                log_warn("escalation sends failed; the retry thread takes over");
        return rows;
}

long escalate_unacknowledged(struct worker *w)
{
        if (!pg_ensure(&w->conn, w->name))
                return -1;
        PGresult *r = pg_exec(w->conn,
                              "SELECT count(*) FROM alerts a WHERE a.status = 'open' AND EXISTS"
                              " (SELECT 1 FROM notifications n WHERE n.alert_id = a.alert_id)",
                              0, NULL);
        if (!r)
                return -1;
        long v = strtol(PQgetvalue(r, 0, 0), NULL, 10);
        PQclear(r);
        return v;
}
