/* SPDX-License-Identifier: Apache-2.0 */
/* PostgreSQL effects of one item (edge): INSERT ... ON CONFLICT DO NOTHING for
 * a new alert (with its one timeline row `stored`, which carries the arrival
 * time, in the same statement; revision 1 lives in
 * `alerts` only and is copied to `alert_revisions` when revision 2 arrives),
 * otherwise duplicate or new revision by content hash; quarantine rows for
 * unreadable items. Runs inside the writer's transaction. */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prahari/log.h"
#include "prahari/util.h"

/* Run prepared statement @p name (see store_prepare); the last parameter may
 * be binary (bytea). Logs the primary message only (DETAIL may quote values). */
static PGresult *exec(PGconn *conn, const char *name, int n, const char *const *vals,
                      const int *lens, const int *fmts)
{
        PGresult *r = PQexecPrepared(conn, name, n, vals, lens, fmts, 0);
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
                return r;
        const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
        const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
        log_error("PostgreSQL: %s (SQLSTATE %s)", msg ? msg : PQerrorMessage(conn),
                  state ? state : "none");
        PQclear(r);
        return NULL;
}

static char g_after_ms[24] = "5000"; /* PRAHARI_RECONCILE_AFTER_MS */

void store_set_republish_after(int ms)
{
        snprintf(g_after_ms, sizeof(g_after_ms), "%d", ms > 0 ? ms : 5000);
}

static const char *cget(const json_t *c, const char *k)
{
        const char *s = json_string_value(json_object_get(c, k));
        return s ? s : "";
}

static char *dump(const json_t *j)
{
        return json_dumps(j, JSON_COMPACT);
}

/* The canonical message of one revision, as stored and published. */
static char *wire_for(const struct ingest_item *it, const char *alert_id, int revision,
                      const char *short_code, const char *received_at)
{
        json_t *c = json_deep_copy(it->canonical);
        if (!c)
                return NULL;
        json_object_set_new(c, "alert_id", json_string(alert_id));
        json_object_set_new(c, "revision", json_integer(revision));
        json_object_set_new(c, "short_code", json_string(short_code));
        json_object_set_new(c, "received_at", json_string(received_at));
        char *s = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(15));
        json_decref(c);
        return s;
}

static void actor_of(const struct ingest_item *it, char *out, size_t outsz)
{
        snprintf(out, outsz, "ingest/%s/%s", it->way, it->source);
}

static int store_quarantine(PGconn *conn, const struct ingest_item *it,
                            struct intake_result *res)
{
        char recv[40];
        util_rfc3339(it->received_us ? it->received_us : util_now_us(), true, recv, sizeof(recv));
        const char *vals[6] = {it->source, it->way, it->reason, it->field[0] ? it->field : NULL,
                               recv, it->raw ? it->raw : ""};
        int lens[6] = {0, 0, 0, 0, 0, (int)(it->raw ? it->rawlen : 0)};
        int fmts[6] = {0, 0, 0, 0, 0, 1};
        PGresult *r = exec(conn, "ingest_quarantine", 6, vals, lens, fmts);
        if (!r)
                return -1;
        res->outcome = INTAKE_QUARANTINED;
        res->quarantine_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        snprintf(res->reason, sizeof(res->reason), "%s", it->reason);
        PQclear(r);
        log_warn("quarantined item %lld from %s via %s: %s", res->quarantine_id, it->source,
                 it->way, it->field[0] ? it->field : "(whole item)");
        return 0;
}

static const char *SQL_QUARANTINE =
        "INSERT INTO quarantine (source, way, reason, field, received_at, raw) "
        "VALUES ($1, $2, $3, $4, $5::timestamptz, $6::bytea) RETURNING quarantine_id";

static const char *SQL_INSERT =
        "WITH ins AS ("
        " INSERT INTO alerts (alert_id, source, source_alert_id, way, short_code, revision,"
        "  content_hash, severity, category, platform, reported_at, received_at, canonical,"
        "  subject, content, raw, last_published_at, republish_at)"
        " VALUES ($1::uuid, $2, $3, $4, $5, 1, $6, $7, $8, $9, $10::timestamptz, $11::timestamptz,"
        "  $12::jsonb, $13::jsonb, $14::jsonb, $16::bytea, now(),"
        "  now() + $17::int * interval '1 millisecond')"
        " ON CONFLICT DO NOTHING RETURNING alert_id, received_at),"
        " tl AS (INSERT INTO timeline (alert_id, stage, event, actor, revision, detail)"
        "  SELECT alert_id, 'ingest', 'stored', $15, 1,"
        "         jsonb_build_object('content_hash', $6::text, 'received_at', $11::timestamptz)"
        "  FROM ins)"
        " SELECT alert_id::text FROM ins";

static const char *SQL_EXISTING =
        "SELECT a.alert_id::text, a.revision, a.content_hash, a.short_code,"
        " EXISTS (SELECT 1 FROM alert_revisions r WHERE r.alert_id = a.alert_id"
        "         AND r.content_hash = $3) AS seen"
        " FROM alerts a WHERE a.source = $1 AND a.source_alert_id = $2 FOR UPDATE";

static const char *SQL_DUPLICATE =
        "INSERT INTO timeline (alert_id, stage, event, actor, revision, detail)"
        " VALUES ($1::uuid, 'ingest', 'duplicate', $2, $3::int,"
        "         jsonb_build_object('content_hash', $4::text))";

static const char *SQL_REVISION =
        "WITH up AS ("
        " UPDATE alerts SET revision = $2::int, content_hash = $3, severity = $4, category = $5,"
        "  platform = $6, reported_at = $7::timestamptz, canonical = $8::jsonb, subject = $9::jsonb,"
        "  content = $10::jsonb, raw = $13::bytea, last_published_at = now(), publish_attempts = 0,"
        "  republish_at = now() + $14::int * interval '1 millisecond'"
        " WHERE alert_id = $1::uuid RETURNING alert_id),"
        /* Revision 1 lives in alerts only until it is superseded: keep it
         * now (the CTE reads the row as it was before the UPDATE). */
        " old AS (INSERT INTO alert_revisions (alert_id, revision, content_hash, canonical, raw, received_at)"
        "  SELECT alert_id, revision, content_hash, canonical, raw, received_at FROM alerts"
        "  WHERE alert_id = $1::uuid ON CONFLICT (alert_id, revision) DO NOTHING),"
        " rev AS (INSERT INTO alert_revisions (alert_id, revision, content_hash, canonical, raw, received_at)"
        "  SELECT alert_id, $2::int, $3, $8::jsonb, $13::bytea, $11::timestamptz FROM up)"
        " INSERT INTO timeline (alert_id, at, stage, event, actor, revision, detail)"
        "  SELECT alert_id, $11::timestamptz, 'ingest', 'received', $12, $2::int,"
        "         jsonb_build_object('content_hash', $3::text) FROM up"
        "  UNION ALL"
        "  SELECT alert_id, clock_timestamp(), 'ingest', 'revision', $12, $2::int, '{}'::jsonb FROM up";

/* Every new alert of a batch in one statement: the rows come as one JSON
 * array (jansson does the quoting), raw bytes as hex. */
static const char *SQL_INSERT_MANY =
        "WITH v AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS v(alert_id uuid, source text,"
        "  source_alert_id text, way text, short_code text, content_hash text, severity text,"
        "  category text, platform text, reported_at timestamptz, received_at timestamptz,"
        "  canonical jsonb, subject jsonb, content jsonb, actor text, raw text)),"
        " ins AS ("
        " INSERT INTO alerts (alert_id, source, source_alert_id, way, short_code, revision,"
        "  content_hash, severity, category, platform, reported_at, received_at, canonical,"
        "  subject, content, raw, last_published_at, republish_at)"
        " SELECT alert_id, source, source_alert_id, way, short_code, 1, content_hash, severity,"
        "  category, platform, reported_at, received_at, canonical, subject, content,"
        "  decode(raw, 'hex'), now(), now() + $2::int * interval '1 millisecond' FROM v"
        " ON CONFLICT DO NOTHING RETURNING alert_id),"
        " tl AS (INSERT INTO timeline (alert_id, stage, event, actor, revision, detail)"
        "  SELECT i.alert_id, 'ingest', 'stored', v.actor, 1,"
        "         jsonb_build_object('content_hash', v.content_hash, 'received_at', v.received_at)"
        "  FROM ins i JOIN v USING (alert_id))"
        " SELECT alert_id::text FROM ins";

int store_prepare(PGconn *conn)
{
        static const struct {
                const char *name, **sql;
        } stmts[] = {
                {"ingest_quarantine", &SQL_QUARANTINE}, {"ingest_insert", &SQL_INSERT},
                {"ingest_existing", &SQL_EXISTING},     {"ingest_duplicate", &SQL_DUPLICATE},
                {"ingest_revision", &SQL_REVISION},     {"ingest_insert_many", &SQL_INSERT_MANY},
        };
        for (size_t i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++) {
                PGresult *r = PQprepare(conn, stmts[i].name, *stmts[i].sql, 0, NULL);
                if (PQresultStatus(r) != PGRES_COMMAND_OK) {
                        log_error("PostgreSQL: cannot prepare %s: %s", stmts[i].name,
                                  PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)
                                          ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)
                                          : PQerrorMessage(conn));
                        PQclear(r);
                        return -1;
                }
                PQclear(r);
        }
        return 0;
}

int store_item(PGconn *conn, const struct ingest_item *it, struct intake_result *res,
               char **wire)
{
        int rc = -1;
        char *w = NULL, *subj = NULL, *cont = NULL;
        PGresult *r = NULL;
        *wire = NULL;
        memset(res, 0, sizeof(*res));
        snprintf(res->source_alert_id, sizeof(res->source_alert_id), "%s", it->source_alert_id);
        if (it->quarantined)
                return store_quarantine(conn, it, res);

        char actor[120], recv[40], reported[40], alert_id[37], code[7], rev[16];
        actor_of(it, actor, sizeof(actor));
        util_rfc3339(it->received_us ? it->received_us : util_now_us(), true, recv, sizeof(recv));
        snprintf(reported, sizeof(reported), "%s", cget(it->canonical, "reported_at"));
        subj = it->subject ? dump(it->subject) : strdup("{}");
        cont = it->content ? dump(it->content) : strdup("{}");
        if (!subj || !cont)
                goto out;
        util_uuid4(alert_id);
        for (unsigned salt = 0; salt < 16; salt++) {
                util_short_code(alert_id, salt, code);
                free(w);
                w = wire_for(it, alert_id, 1, code, recv);
                if (!w)
                        goto out;
                const char *vals[17] = {alert_id, it->source, it->source_alert_id, it->way, code,
                                        it->content_hash, cget(it->canonical, "severity"),
                                        cget(it->canonical, "category"),
                                        cget(it->canonical, "platform"), reported, recv, w, subj,
                                        cont, actor, it->raw ? it->raw : "", g_after_ms};
                int lens[17] = {0};
                int fmts[17] = {0};
                lens[15] = (int)(it->raw ? it->rawlen : 0);
                fmts[15] = 1;
                r = exec(conn, "ingest_insert", 17, vals, lens, fmts);
                if (!r)
                        goto out;
                bool inserted = PQntuples(r) == 1;
                PQclear(r);
                r = NULL;
                if (inserted) {
                        res->outcome = INTAKE_ACCEPTED;
                        snprintf(res->alert_id, sizeof(res->alert_id), "%s", alert_id);
                        snprintf(res->short_code, sizeof(res->short_code), "%s", code);
                        res->revision = 1;
                        *wire = w;
                        w = NULL;
                        rc = 0;
                        goto out;
                }
                /* Nothing inserted: the partner's id exists, or the short code collided. */
                const char *ev[3] = {it->source, it->source_alert_id, it->content_hash};
                r = exec(conn, "ingest_existing", 3, ev, NULL, NULL);
                if (!r)
                        goto out;
                if (PQntuples(r) == 1)
                        break;
                PQclear(r);
                r = NULL;
                log_info("short code collision; trying the next salt");
        }
        if (!r) {
                log_error("no free short code after 16 salts");
                goto out;
        }
        /* An existing alert: duplicate or new revision. */
        snprintf(res->alert_id, sizeof(res->alert_id), "%s", PQgetvalue(r, 0, 0));
        int cur = (int)strtol(PQgetvalue(r, 0, 1), NULL, 10);
        bool same = strcmp(PQgetvalue(r, 0, 2), it->content_hash) == 0 ||
                    strcmp(PQgetvalue(r, 0, 4), "t") == 0;
        snprintf(res->short_code, sizeof(res->short_code), "%s", PQgetvalue(r, 0, 3));
        PQclear(r);
        r = NULL;
        if (same) {
                snprintf(rev, sizeof(rev), "%d", cur);
                const char *dv[4] = {res->alert_id, actor, rev, it->content_hash};
                r = exec(conn, "ingest_duplicate", 4, dv, NULL, NULL);
                if (!r)
                        goto out;
                res->outcome = INTAKE_DUPLICATE;
                res->revision = cur;
                rc = 0;
                goto out;
        }
        snprintf(rev, sizeof(rev), "%d", cur + 1);
        free(w);
        w = wire_for(it, res->alert_id, cur + 1, res->short_code, recv);
        if (!w)
                goto out;
        const char *rv[14] = {res->alert_id, rev, it->content_hash,
                              cget(it->canonical, "severity"), cget(it->canonical, "category"),
                              cget(it->canonical, "platform"), reported, w, subj, cont, recv, actor,
                              it->raw ? it->raw : "", g_after_ms};
        int lens[14] = {0};
        int fmts[14] = {0};
        lens[12] = (int)(it->raw ? it->rawlen : 0);
        fmts[12] = 1;
        r = exec(conn, "ingest_revision", 14, rv, lens, fmts);
        if (!r)
                goto out;
        res->outcome = INTAKE_REVISION;
        res->revision = cur + 1;
        *wire = w;
        w = NULL;
        rc = 0;
out:
        PQclear(r);
        free(w);
        free(subj);
        free(cont);
        return rc;
}

/* ==== Pipelined first attempt (the writer's fast path) ==== */

int store_send(PGconn *conn, const struct ingest_item *it, struct store_pending *p)
{
        memset(p, 0, sizeof(*p));
        char recv[40];
        util_rfc3339(it->received_us ? it->received_us : util_now_us(), true, recv, sizeof(recv));
        if (it->quarantined) {
                p->quarantine = true;
                const char *vals[6] = {it->source, it->way, it->reason,
                                       it->field[0] ? it->field : NULL, recv,
                                       it->raw ? it->raw : ""};
                int lens[6] = {0, 0, 0, 0, 0, (int)(it->raw ? it->rawlen : 0)};
                int fmts[6] = {0, 0, 0, 0, 0, 1};
                return PQsendQueryPrepared(conn, "ingest_quarantine", 6, vals, lens, fmts, 0) ? 0
                                                                                             : -1;
        }
        char actor[120], reported[40];
        actor_of(it, actor, sizeof(actor));
        snprintf(reported, sizeof(reported), "%s", cget(it->canonical, "reported_at"));
        char *subj = it->subject ? dump(it->subject) : strdup("{}");
        char *cont = it->content ? dump(it->content) : strdup("{}");
        util_uuid4(p->alert_id);
        util_short_code(p->alert_id, 0, p->code);
        p->wire = wire_for(it, p->alert_id, 1, p->code, recv);
        int rc = -1;
        if (subj && cont && p->wire) {
                const char *vals[16] = {p->alert_id, it->source, it->source_alert_id, it->way,
                                        p->code, it->content_hash, cget(it->canonical, "severity"),
                                        cget(it->canonical, "category"),
                                        cget(it->canonical, "platform"), reported, recv, p->wire,
                                        subj, cont, actor, it->raw ? it->raw : ""};
                int lens[16] = {0};
                int fmts[16] = {0};
                lens[15] = (int)(it->raw ? it->rawlen : 0);
                fmts[15] = 1;
                /* libpq copies the parameters into its output buffer here. */
                rc = PQsendQueryPrepared(conn, "ingest_insert", 16, vals, lens, fmts, 0) ? 0 : -1;
        }
        free(subj);
        free(cont);
        return rc;
}

int store_recv(PGconn *conn, const struct ingest_item *it, struct store_pending *p,
               struct intake_result *res, char **wire)
{
        *wire = NULL;
        memset(res, 0, sizeof(*res));
        snprintf(res->source_alert_id, sizeof(res->source_alert_id), "%s", it->source_alert_id);
        PGresult *r = PQgetResult(conn);
        ExecStatusType st = PQresultStatus(r);
        int rc = -1;
        if (st != PGRES_TUPLES_OK) {
                if (st != PGRES_PIPELINE_ABORTED) {
                        const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
                        log_error("PostgreSQL: %s", msg ? msg : PQerrorMessage(conn));
                }
        } else if (p->quarantine) {
                res->outcome = INTAKE_QUARANTINED;
                res->quarantine_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
                snprintf(res->reason, sizeof(res->reason), "%s", it->reason);
                log_warn("quarantined item %lld from %s via %s: %s", res->quarantine_id,
                         it->source, it->way, it->field[0] ? it->field : "(whole item)");
                rc = 1;
        } else if (PQntuples(r) == 1) {
                res->outcome = INTAKE_ACCEPTED;
                res->revision = 1;
                snprintf(res->alert_id, sizeof(res->alert_id), "%s", p->alert_id);
                snprintf(res->short_code, sizeof(res->short_code), "%s", p->code);
                *wire = p->wire;
                p->wire = NULL;
                rc = 1;
        } else {
                rc = 0; /* exists already (or short-code collision): the slow path decides */
        }
        PQclear(r);
        if (r) {
                r = PQgetResult(conn); /* the NULL that ends this query's results */
                PQclear(r);
        }
        return rc;
}

void store_pending_clear(struct store_pending *p)
{
        free(p->wire);
        p->wire = NULL;
        free(p->row);
        p->row = NULL;
        p->rowlen = 0;
}

/* ==== Set-based first attempt ==== */

/* Append @p n bytes to the growing buffer *@p b. */
static int buf_add(char **b, size_t *len, size_t *cap, const char *src, size_t n)
{
        if (*len + n + 1 > *cap) {
                size_t nc = *cap ? *cap : 1024;
                while (nc < *len + n + 1)
                        nc *= 2;
                char *nb = realloc(*b, nc);
                if (!nb)
                        return -1;
                *b = nb;
                *cap = nc;
        }
        memcpy(*b + *len, src, n);
        *len += n;
        (*b)[*len] = '\0';
        return 0;
}

int store_pending_render(const struct ingest_item *it, struct store_pending *p)
{
        memset(p, 0, sizeof(*p));
        char recv[40], actor[120];
        util_rfc3339(it->received_us ? it->received_us : util_now_us(), true, recv, sizeof(recv));
        actor_of(it, actor, sizeof(actor));
        util_uuid4(p->alert_id);
        util_short_code(p->alert_id, 0, p->code);
        p->wire = wire_for(it, p->alert_id, 1, p->code, recv);
        /* The scalar columns through jansson (quoting); the JSON parts and the
         * raw bytes (hex) spliced in as they are. */
        json_t *sc = json_pack(
                "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "alert_id",
                p->alert_id, "source", it->source, "source_alert_id", it->source_alert_id, "way",
                it->way, "short_code", p->code, "content_hash", it->content_hash, "severity",
                cget(it->canonical, "severity"), "category", cget(it->canonical, "category"),
                "platform", cget(it->canonical, "platform"), "reported_at",
                cget(it->canonical, "reported_at"), "received_at", recv, "actor", actor);
        char *scalars = sc ? json_dumps(sc, JSON_COMPACT) : NULL;
        json_decref(sc);
        char *subj = it->subject ? dump(it->subject) : strdup("{}");
        char *cont = it->content ? dump(it->content) : strdup("{}");
        size_t rawlen = it->raw ? it->rawlen : 0;
        char *hex = malloc(rawlen * 2 + 1);
        int rc = -1;
        size_t cap = 0;
        if (!p->wire || !scalars || !subj || !cont || !hex)
                goto out;
        util_hex((const unsigned char *)(it->raw ? it->raw : ""), rawlen, hex);
        size_t sl = strlen(scalars);
        if (sl < 2 || scalars[sl - 1] != '}')
                goto out;
        if (buf_add(&p->row, &p->rowlen, &cap, scalars, sl - 1) || /* without the closing brace */
            buf_add(&p->row, &p->rowlen, &cap, ",\"canonical\":", 13) ||
            buf_add(&p->row, &p->rowlen, &cap, p->wire, strlen(p->wire)) ||
            buf_add(&p->row, &p->rowlen, &cap, ",\"subject\":", 11) ||
            buf_add(&p->row, &p->rowlen, &cap, subj, strlen(subj)) ||
            buf_add(&p->row, &p->rowlen, &cap, ",\"content\":", 11) ||
            buf_add(&p->row, &p->rowlen, &cap, cont, strlen(cont)) ||
            buf_add(&p->row, &p->rowlen, &cap, ",\"raw\":\"", 8) ||
            buf_add(&p->row, &p->rowlen, &cap, hex, rawlen * 2) ||
            buf_add(&p->row, &p->rowlen, &cap, "\"}", 2))
                goto out;
        rc = 0;
out:
        if (rc != 0)
                store_pending_clear(p);
        free(scalars);
        free(subj);
        free(cont);
        free(hex);
        return rc;
}

int store_many_send(PGconn *conn, struct store_pending *const *rows, size_t n)
{
        size_t total = 3;
        for (size_t i = 0; i < n; i++)
                total += rows[i]->rowlen + 1;
        char *txt = malloc(total);
        if (!txt)
                return -1;
        size_t off = 0;
        txt[off++] = '[';
        for (size_t i = 0; i < n; i++) {
                if (i)
                        txt[off++] = ',';
                memcpy(txt + off, rows[i]->row, rows[i]->rowlen);
                off += rows[i]->rowlen;
        }
        txt[off++] = ']';
        txt[off] = '\0';
        const char *vals[2] = {txt, g_after_ms};
        int rc = PQsendQueryPrepared(conn, "ingest_insert_many", 2, vals, NULL, NULL, 0) ? 0 : -1;
        free(txt);
        return rc;
}

PGresult *store_many_recv(PGconn *conn)
{
        PGresult *r = PQgetResult(conn);
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
                if (PQresultStatus(r) != PGRES_PIPELINE_ABORTED) {
                        const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
                        log_error("PostgreSQL: %s", msg ? msg : PQerrorMessage(conn));
                }
                if (r)
                        PQclear(PQgetResult(conn));
                PQclear(r);
                return NULL;
        }
        PQclear(PQgetResult(conn)); /* the NULL that ends this query's results */
        return r;
}

void store_many_accepted(const struct ingest_item *it, struct store_pending *p,
                         struct intake_result *res, char **wire)
{
        memset(res, 0, sizeof(*res));
        snprintf(res->source_alert_id, sizeof(res->source_alert_id), "%s", it->source_alert_id);
        res->outcome = INTAKE_ACCEPTED;
        res->revision = 1;
        snprintf(res->alert_id, sizeof(res->alert_id), "%s", p->alert_id);
        snprintf(res->short_code, sizeof(res->short_code), "%s", p->code);
        /* A copy: the rendered item stays whole for a retry of its request alone. */
        *wire = p->wire ? strdup(p->wire) : NULL;
}
