/* SPDX-License-Identifier: Apache-2.0 */
/* Escalation timers in PostgreSQL: due rows are taken with FOR UPDATE SKIP
 * LOCKED so replicas share them and a restart loses none. Unacknowledged:
 * the next level of the lead's chain from the directory (a police
 * jurisdiction's own levels, then its parents' next levels; after the last,
 * the state command centre; duty windows as the router applies them, see
 * chain.h) is notified and the next timer set. Acknowledged: the timer is
 * closed and nothing is sent. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "notifier.h"
#include "prahari/log.h"
#include "prahari/metrics.h"
#include "prahari/pg.h"
#include "prahari/util.h"
#include "chain.h"
#include "routed.h"

#define SCC "STATE_COMMAND_CENTRE"

/* The lead of the latest routing and its parents (routings.detail.parents,
 * absent before police layers: the lead alone). */
static const char due_sql[] =
        "SELECT e.alert_id, e.level, a.severity,"
        "  EXISTS (SELECT 1 FROM acknowledgements k WHERE k.alert_id = e.alert_id),"
        "  coalesce(l.lead, '" SCC "'), coalesce(l.parents, '[]'), e.revision"
        " FROM escalations e JOIN alerts a ON a.alert_id = e.alert_id"
        " LEFT JOIN LATERAL (SELECT CASE WHEN r.route = 'district' THEN r.district ELSE '" SCC "' END"
        "   AS lead, CASE WHEN jsonb_typeof(r.detail->'parents') = 'array'"
        "    THEN r.detail->'parents' ELSE '[]' END::text AS parents"
        "   FROM routings r WHERE r.alert_id = e.alert_id ORDER BY r.revision DESC LIMIT 1) l ON true"
        " WHERE e.done_at IS NULL AND e.due_at <= now() + $1::float8 * interval '1 second'"
        " ORDER BY e.due_at LIMIT 10 FOR UPDATE OF e SKIP LOCKED";

/* The directory rows of the chain's jurisdictions and the state command
 * centre; the choice of level and duty is made by chain.c. */
static const char chain_sql[] =
        "SELECT recipient_id, name, phone, email, lang, jurisdiction, level,"
        "  coalesce(duty_days, ''), coalesce(duty_hours, '') FROM directory"
        " WHERE active AND (jurisdiction IN (SELECT jsonb_array_elements_text($1::jsonb))"
        "  OR jurisdiction = '" SCC "')"
        " ORDER BY recipient_id";

static const char insert_sql[] =
        "INSERT INTO notifications (notification_id, alert_id, recipient_id, channel, level,"
        " address, client_ref, kind, lang, recipient_name, next_attempt_at, created_at)"
        " VALUES ($1, $2, $3, $4, $5::int, $6, $7, 'escalation', $8, $9,"
        "  now() + $10::float8 * interval '1 second', now() + $10::float8 * interval '1 second')"
        " ON CONFLICT (alert_id, recipient_id, channel, level, revision) DO NOTHING";

static const char done_sql[] =
        "UPDATE escalations SET done_at = now() + $3::float8 * interval '1 second'"
        " WHERE alert_id = $1 AND level = $2::int";

/* The next timer of this chain (revision); it replaces a timer an older
 * chain (before the lead moved) left at that level. */
static const char next_sql[] =
        "INSERT INTO escalations (alert_id, level, due_at, revision)"
        " VALUES ($1, $2::int, now() + ($3::float8 + $4::float8) * interval '1 second', $5::int)"
        " ON CONFLICT (alert_id, level) DO UPDATE SET due_at = excluded.due_at, done_at = NULL,"
        "  revision = excluded.revision WHERE escalations.revision < excluded.revision";

static struct metric *escalations_metric(void)
{
        return metrics_counter("prahari_escalations_total",
                               "Escalations to a next level (timers that fired unacknowledged).",
                               NULL);
}

enum { CHAIN_MAX = 8, ROWS_MAX = 512 };

/* The chain [lead, parents...] as a JSON array text (for chain_sql) and as
 * strings into @p chain (pointing into @p parsed, which the caller frees). */
static size_t chain_of(const char *lead, const char *parents_json, json_t **parsed,
                       const char **chain, char **json_text)
{
        size_t nc = 0;
        chain[nc++] = lead;
        *parsed = json_loads(parents_json, 0, NULL);
        size_t i;
        json_t *v;
        json_array_foreach(*parsed, i, v)
        {
                if (json_is_string(v) && nc < CHAIN_MAX)
                        chain[nc++] = json_string_value(v);
        }
        json_t *a = json_array();
        for (size_t k = 0; k < nc; k++)
                json_array_append_new(a, json_string(chain[k])); /* steals ref */
        *json_text = json_dumps(a, JSON_COMPACT);
        json_decref(a);
        return nc;
}

/* Handle one due timer inside the open transaction. Adds the ids of new
 * rows to @p ids. @returns 0 or -1 on a database error. */
static int fire(struct worker *w, const char *alert_id, int level, const char *severity,
                bool acked, const char *lead, const char *parents_json, const char *revision,
                char (*ids)[37], size_t *nids, size_t maxids)
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
        json_t *parsed = NULL;
        const char *chain[CHAIN_MAX];
        char *chain_json = NULL;
        size_t nc = chain_of(lead, parents_json, &parsed, chain, &chain_json);
        const char *cp[] = {chain_json ? chain_json : "[]"};
        r = pg_exec(w->conn, chain_sql, 1, cp);
        free(chain_json);
        if (!r) {
                json_decref(parsed);
                return -1;
        }
        static __thread struct chain_row rows[ROWS_MAX];
        size_t nrows = 0;
        int all = PQntuples(r);
        for (int i = 0; i < all && nrows < ROWS_MAX; i++, nrows++) {
                rows[nrows].jurisdiction = PQgetvalue(r, i, 5);
                rows[nrows].level = (int)strtol(PQgetvalue(r, i, 6), NULL, 10);
                duty_parse(PQgetvalue(r, i, 7), PQgetvalue(r, i, 8), &rows[nrows].duty);
        }
        /* Which jurisdiction answers this level; past the chain's end the
         * state command centre's first level, unless its own chain ran out. */
        bool last = false;
        int j = chain_pick(chain, nc, rows, nrows, level);
        const char *to = j >= 0 ? chain[j] : SCC;
        int at = level;
        if (j < 0) {
                last = true;
                at = strcmp(lead, SCC) == 0 ? 0 : chain_min_level(rows, nrows, SCC);
        }
        size_t idx[ROUTED_MAX_RECIPIENTS];
        long long now = (long long)(util_now_us() / 1000000) + (long long)n->cfg.clock_offset_s;
        size_t sel = at > 0 ? chain_select(rows, nrows, to, at, now, idx, ROUTED_MAX_RECIPIENTS)
                            : 0;
        int inserted = 0;
        for (size_t s = 0; s < sel; s++) {
                int i = (int)idx[s];
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
                                json_decref(parsed);
                                return -1;
                        }
                        PQclear(x);
                        (*nids)++;
                        inserted++;
                }
        }
        /* @p to points into r or parsed: keep a copy for the timeline. */
        char tobuf[128];
        util_strlcpy(tobuf, to, sizeof tobuf);
        to = tobuf;
        json_decref(parsed);
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
                const char *np[] = {alert_id, nl, n->clock_param, window, revision};
                r = pg_exec(w->conn, next_sql, 5, np);
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
                         PQgetvalue(r, i, 4), PQgetvalue(r, i, 5), PQgetvalue(r, i, 6), ids,
                         &nids, MAXIDS) != 0) {
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
