/* SPDX-License-Identifier: Apache-2.0 */
/* The notifier's public HTTP server (libmicrohttpd): delivery reports, SMS
 * replies, and the signed acknowledgement link (GET shows, only POST acts). */
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "notifier.h"
#include "prahari/log.h"
#include "prahari/pg.h"
#include "prahari/util.h"
#include "routed.h"
#include "strbuf.h"

#define BODY_CAP (64 * 1024)

struct web {
        struct notifier *n;
        struct MHD_Daemon *d;
        pthread_mutex_t mu; /* guards conn */
        PGconn *conn;
};

struct req {
        struct strbuf body;
        bool too_big;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *ctype,
                             char *body /* takes ownership */)
{
        struct MHD_Response *r = MHD_create_response_from_buffer(
                body ? strlen(body) : 0, body ? body : (char *)"", body ? MHD_RESPMEM_MUST_FREE
                                                                        : MHD_RESPMEM_PERSISTENT);
        MHD_add_response_header(r, "Content-Type", ctype);
        MHD_add_response_header(r, "Cache-Control", "no-store");
        MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
        MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
        enum MHD_Result ret = MHD_queue_response(c, status, r);
        MHD_destroy_response(r);
        return ret;
}

static enum MHD_Result reply_json(struct MHD_Connection *c, unsigned status, const char *key,
                                  const char *value)
{
        json_t *o = json_pack("{ss}", key, value);
        char *s = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        return reply(c, status, "application/json", s);
}

/* ==== Acknowledgement and outcome ==== */

int ack_record(PGconn *conn, const struct notifier *n, const char *alert_id,
               const char *recipient_id, const char *via)
{
        if (pg_begin(conn) != 0)
                return -1;
        const char *p[] = {alert_id, recipient_id, via, n->clock_param};
        PGresult *r = pg_exec(conn,
                              "INSERT INTO acknowledgements (alert_id, at, by_recipient, via)"
                              " VALUES ($1, now() + $4::float8 * interval '1 second', $2, $3)"
                              " ON CONFLICT (alert_id) DO NOTHING RETURNING 1",
                              4, p);
        if (!r)
                goto fail;
        int fresh = PQntuples(r) == 1;
        PQclear(r);
        if (fresh) {
                const char *q[] = {alert_id, n->clock_param};
                static const char *const stmts[] = {
                        "UPDATE alerts SET status = 'acknowledged' WHERE alert_id = $1"
                        " AND status = 'open' AND $2::text IS NOT NULL",
                        "UPDATE escalations SET done_at = now() + $2::float8 * interval '1 second'"
                        " WHERE alert_id = $1 AND done_at IS NULL",
                        "UPDATE notifications SET state = 'cancelled', next_attempt_at = NULL"
                        " WHERE alert_id = $1 AND state IN ('pending','sending')"
                        " AND $2::text IS NOT NULL",
                };
                for (size_t i = 0; i < sizeof stmts / sizeof stmts[0]; i++) {
                        r = pg_exec(conn, stmts[i], 2, q);
                        if (!r)
                                goto fail;
                        PQclear(r);
                }
                json_t *d = json_pack("{ssss}", "by", recipient_id, "via", via);
                char *detail = json_dumps(d, JSON_COMPACT);
                json_decref(d);
                int rc = pg_timeline_add(conn, alert_id, "notifier", "acknowledged", recipient_id,
                                         0, detail);
                free(detail);
                if (rc != 0)
                        goto fail;
        }
        if (pg_commit(conn) != 0)
                return -1;
        if (fresh)
                log_alert(LOG_INFO, alert_id, NULL, "acknowledged by %s via %s", recipient_id, via);
        return fresh;
fail:
        pg_rollback(conn);
        return -1;
}

/* @returns 1 recorded, 0 not acknowledged yet or already closed, -1 error. */
static int outcome_record(PGconn *conn, const char *alert_id, const char *recipient_id,
                          const char *outcome)
{
        if (pg_begin(conn) != 0)
                return -1;
        const char *p[] = {alert_id, outcome};
        PGresult *r = pg_exec(conn,
                              "UPDATE alerts SET status = 'closed', outcome = $2"
                              " WHERE alert_id = $1 AND status = 'acknowledged' RETURNING 1",
                              2, p);
        if (!r)
                goto fail;
        int done = PQntuples(r) == 1;
        PQclear(r);
        if (done) {
                json_t *d = json_pack("{ssss}", "outcome", outcome, "by", recipient_id);
                char *detail = json_dumps(d, JSON_COMPACT);
                json_decref(d);
                int rc = pg_timeline_add(conn, alert_id, "notifier", "outcome", recipient_id, 0,
                                         detail);
                free(detail);
                if (rc != 0)
                        goto fail;
        }
        if (pg_commit(conn) != 0)
                return -1;
        if (done)
                log_alert(LOG_INFO, alert_id, NULL, "outcome %s recorded by %s; alert closed",
                          outcome, recipient_id);
        return done;
fail:
        pg_rollback(conn);
        return -1;
}

/* ==== The link page ==== */

struct alert_view {
        char alert_id[37], short_code[8], severity[16], platform[64], category[32], status[16],
                outcome[32], reported[32], place[128], ack_by[128], ack_via[32], ack_at[32];
        char recipient[128];
};

static const char *outcome_label(const char *o)
{
        static const struct {
                const char *k, *v;
        } t[] = {{"person_reached", "Person reached"},  {"safe", "Person is safe"},
                 {"hospital", "Taken to hospital"},      {"not_found", "Not found"},
                 {"false_alarm", "False alarm"},         {"handed_over", "Handed to another state"}};
        for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
                if (strcmp(o, t[i].k) == 0)
                        return t[i].v;
        return o;
}

static char *page(const struct alert_view *v, const char *token, const char *notice)
{
        struct strbuf b = {0};
        sb_add(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                   "<meta name=\"robots\" content=\"noindex\"><title>Prahari ");
        sb_add_html(&b, v->short_code);
        sb_add(&b, "</title></head><body>\n<h1>Prahari alert ");
        sb_add_html(&b, v->short_code);
        sb_add(&b, "</h1>\n");
        if (notice) {
                sb_add(&b, "<p><strong>");
                sb_add_html(&b, notice);
                sb_add(&b, "</strong></p>\n");
        }
        sb_add(&b, "<table>\n");
        const char *rows[][2] = {{"Severity", v->severity}, {"Category", v->category},
                                 {"Platform", v->platform}, {"Jurisdiction", v->place},
                                 {"Reported at", v->reported}, {"Status", v->status}};
        for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
                sb_add(&b, "<tr><th align=\"left\">");
                sb_add(&b, rows[i][0]);
                sb_add(&b, "</th><td>");
                sb_add_html(&b, rows[i][1]);
                sb_add(&b, "</td></tr>\n");
        }
        sb_add(&b, "</table>\n<p>The e-mail sent to you holds the details of the person.</p>\n");
        if (strcmp(v->status, "open") == 0) {
                sb_add(&b, "<form method=\"post\" action=\"/a/");
                sb_add_html(&b, token);
                sb_add(&b, "\"><input type=\"hidden\" name=\"action\" value=\"ack\">"
                           "<button type=\"submit\">Confirm: I am acting on this alert</button>"
                           "</form>\n");
        } else {
                sb_add(&b, "<p>Acknowledged by ");
                sb_add_html(&b, v->ack_by);
                sb_add(&b, " via ");
                sb_add_html(&b, v->ack_via);
                sb_add(&b, " at ");
                sb_add_html(&b, v->ack_at);
                sb_add(&b, ".</p>\n");
        }
        if (strcmp(v->status, "acknowledged") == 0) {
                sb_add(&b, "<form method=\"post\" action=\"/a/");
                sb_add_html(&b, token);
                sb_add(&b, "\"><fieldset><legend>Outcome</legend>\n");
                for (size_t i = 0; i < routed_noutcomes; i++) {
                        sb_addf(&b, "<label><input type=\"radio\" name=\"outcome\" value=\"%s\"%s> ",
                                routed_outcomes[i], i == 0 ? " required" : "");
                        sb_add_html(&b, outcome_label(routed_outcomes[i]));
                        sb_add(&b, "</label><br>\n");
                }
                sb_add(&b, "<button type=\"submit\">Record outcome and close</button>"
                           "</fieldset></form>\n");
        }
        if (strcmp(v->status, "closed") == 0) {
                sb_add(&b, "<p>Closed with outcome: ");
                sb_add_html(&b, outcome_label(v->outcome));
                sb_add(&b, "</p>\n");
        }
        sb_add(&b, "</body></html>\n");
        return sb_take(&b);
}

static void copy(char *dst, size_t n, PGresult *r, int col)
{
        util_strlcpy(dst, PQgetisnull(r, 0, col) ? "" : PQgetvalue(r, 0, col), n);
}

/* Load the alert of a verified token and check its recipient.
 * @returns 1 found, 0 no such alert / recipient, -1 database error. */
static int load_view(struct web *wb, const struct token_claims *cl, struct alert_view *v)
{
        memset(v, 0, sizeof *v);
        const char *p[] = {cl->short_code};
        PGresult *r = pg_exec(
                wb->conn,
                "SELECT a.alert_id, a.short_code, a.severity, a.platform, a.category, a.status,"
                " coalesce(a.outcome, ''),"
                " to_char(a.reported_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI \"UTC\"'),"
                " coalesce((SELECT CASE WHEN r.route = 'district' THEN r.district || ' district'"
                "   ELSE 'State Command Centre' END FROM routings r WHERE r.alert_id = a.alert_id"
                "   ORDER BY r.revision DESC LIMIT 1), ''),"
                " coalesce(k.by_recipient, ''), coalesce(k.via, ''),"
                " coalesce(to_char(k.at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS \"UTC\"'), '')"
                " FROM alerts a LEFT JOIN acknowledgements k ON k.alert_id = a.alert_id"
                " WHERE a.short_code = $1",
                1, p);
        if (!r)
                return -1;
        if (PQntuples(r) != 1) {
                PQclear(r);
                return 0;
        }
        copy(v->alert_id, sizeof v->alert_id, r, 0);
        copy(v->short_code, sizeof v->short_code, r, 1);
        copy(v->severity, sizeof v->severity, r, 2);
        copy(v->platform, sizeof v->platform, r, 3);
        copy(v->category, sizeof v->category, r, 4);
        copy(v->status, sizeof v->status, r, 5);
        copy(v->outcome, sizeof v->outcome, r, 6);
        copy(v->reported, sizeof v->reported, r, 7);
        copy(v->place, sizeof v->place, r, 8);
        copy(v->ack_by, sizeof v->ack_by, r, 9);
        copy(v->ack_via, sizeof v->ack_via, r, 10);
        copy(v->ack_at, sizeof v->ack_at, r, 11);
        PQclear(r);
        const char *q[] = {v->alert_id};
        r = pg_exec(wb->conn,
                    "SELECT DISTINCT recipient_id FROM notifications WHERE alert_id = $1", 1, q);
        if (!r)
                return -1;
        int found = 0;
        for (int i = 0; i < PQntuples(r) && !found; i++)
                if (token_recipient_matches(cl, PQgetvalue(r, i, 0))) {
                        util_strlcpy(v->recipient, PQgetvalue(r, i, 0), sizeof v->recipient);
                        found = 1;
                }
        PQclear(r);
        return found;
}

static enum MHD_Result handle_link(struct web *wb, struct MHD_Connection *c, bool post,
                                   const char *token, const struct strbuf *body)
{
        struct notifier *n = wb->n;
        struct token_claims cl;
        int64_t now = (util_now_us() / 1000000) + (int64_t)n->cfg.clock_offset_s;
        enum token_status st = token_verify(&n->keys, token, now, &cl);
        if (st != TOKEN_OK) {
                log_info("link refused: %s", token_status_name(st));
                struct strbuf b = {0};
                sb_add(&b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Prahari"
                           "</title></head><body><p>");
                sb_add(&b, st == TOKEN_EXPIRED ? "This link has expired."
                                               : "This link is not valid.");
                sb_add(&b, "</p></body></html>\n");
                return reply(c, st == TOKEN_EXPIRED ? MHD_HTTP_GONE : MHD_HTTP_NOT_FOUND,
                             "text/html; charset=utf-8", sb_take(&b));
        }
        struct alert_view v;
        int found = pg_ensure(&wb->conn, "notifier-web") ? load_view(wb, &cl, &v) : -1;
        if (found < 0)
                return reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain; charset=utf-8",
                             strdup("Temporarily unavailable; please try again.\n"));
        if (found == 0)
                return reply(c, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8",
                             strdup("This link is not valid.\n"));
        const char *notice = NULL;
        unsigned status = MHD_HTTP_OK;
        if (post) {
                char action[32] = "", outcome[32] = "";
                routed_form_get(body->p ? body->p : "", body->len, "action", action, sizeof action);
                routed_form_get(body->p ? body->p : "", body->len, "outcome", outcome,
                                sizeof outcome);
                int rc;
                if (outcome[0]) {
                        if (!routed_outcome_ok(outcome)) {
                                status = MHD_HTTP_BAD_REQUEST;
                                notice = "Unknown outcome.";
                        } else if ((rc = outcome_record(wb->conn, v.alert_id, v.recipient,
                                                        outcome)) < 0) {
                                status = MHD_HTTP_SERVICE_UNAVAILABLE;
                                notice = "Could not record the outcome; please try again.";
                        } else {
                                notice = rc ? "Outcome recorded. The alert is closed."
                                            : "The alert must be acknowledged first (or is "
                                              "already closed).";
                                if (!rc)
                                        status = MHD_HTTP_CONFLICT;
                        }
                } else if (strcmp(action, "ack") == 0) {
                        rc = ack_record(wb->conn, n, v.alert_id, v.recipient, "link");
                        if (rc < 0) {
                                status = MHD_HTTP_SERVICE_UNAVAILABLE;
                                notice = "Could not record the acknowledgement; please try again.";
                        } else {
                                notice = rc ? "Acknowledged. Thank you; please record the "
                                              "outcome below when known."
                                            : "This alert was already acknowledged.";
                        }
                } else {
                        status = MHD_HTTP_BAD_REQUEST;
                        notice = "Nothing to do.";
                }
                if (status != MHD_HTTP_SERVICE_UNAVAILABLE) {
                        struct alert_view v2;
                        if (load_view(wb, &cl, &v2) == 1)
                                v = v2;
                }
        }
        return reply(c, status, "text/html; charset=utf-8", page(&v, token, notice));
}

/* ==== Delivery reports and replies ==== */

/* A report may come for a row still in "sending": the process stopped
 * between the gateway's answer and recording it. Then the send is recorded
 * here too (notification_sent), so the timeline holds every SMS sent. */
static const char dlr_sql[] =
        "WITH o AS (SELECT notification_id, state AS was FROM notifications"
        " WHERE channel = 'sms' AND state IN ('sending','sent')"
        "  AND ((nullif($1, '') IS NOT NULL AND provider_message_id = $1)"
        "   OR (nullif($2, '') IS NOT NULL AND client_ref = $2))"
        " FOR UPDATE),"
        " u AS (UPDATE notifications n SET"
        "  state = CASE WHEN $3 THEN 'delivered' ELSE 'failed' END,"
        "  delivered_at = CASE WHEN $3 THEN now() + $5::float8 * interval '1 second'"
        "   ELSE n.delivered_at END,"
        "  sent_at = coalesce(n.sent_at, now() + $5::float8 * interval '1 second'),"
        "  next_attempt_at = NULL,"
        "  last_error = CASE WHEN $3 THEN n.last_error ELSE 'delivery report ' || $4 END,"
        "  provider_message_id = coalesce(n.provider_message_id, nullif($1, ''))"
        " FROM o WHERE n.notification_id = o.notification_id"
        " RETURNING n.notification_id, n.alert_id, n.recipient_id, n.level, n.kind, n.attempts,"
        "  n.provider, o.was),"
        " e AS (UPDATE escalations x SET due_at = least(x.due_at, now() + $5::float8 * interval '1 second')"
        "  FROM u WHERE NOT $3 AND x.alert_id = u.alert_id AND x.level = u.level + 1"
        "  AND u.kind <> 'moved_away'"
        "  AND x.done_at IS NULL RETURNING 1),"
        " s AS (INSERT INTO timeline (alert_id, stage, event, actor, detail)"
        "  SELECT alert_id, 'notifier', 'notification_sent', '" NOTIFIER_ACTOR "',"
        "   jsonb_build_object('notification_id', notification_id, 'channel', 'sms',"
        "    'recipient_id', recipient_id, 'level', level, 'kind', kind, 'attempts', attempts,"
        "    'recorded_from', 'delivery_report')"
        "  FROM u WHERE was = 'sending' RETURNING 1),"
        " t AS (INSERT INTO timeline (alert_id, stage, event, actor, detail)"
        "  SELECT alert_id, 'notifier', CASE WHEN $3 THEN 'notification_delivered'"
        "   ELSE 'notification_failed' END, '" NOTIFIER_ACTOR "',"
        "   jsonb_build_object('notification_id', notification_id, 'channel', 'sms',"
        "    'recipient_id', recipient_id, 'level', level, 'dlr', $4, 'at', nullif($6, ''))"
        "  FROM u RETURNING alert_id)"
        " SELECT alert_id FROM t";

static enum MHD_Result handle_dlr(struct web *wb, struct MHD_Connection *c, const struct strbuf *b)
{
        struct dlr d;
        char err[200];
        if (routed_parse_dlr(b->p ? b->p : "", b->len, &d, err, sizeof err) != 0)
                return reply_json(c, MHD_HTTP_BAD_REQUEST, "error", err);
        if (!pg_ensure(&wb->conn, "notifier-web"))
                return reply_json(c, MHD_HTTP_SERVICE_UNAVAILABLE, "error", "database unavailable");
        const char *p[] = {d.message_id, d.client_ref, routed_dlr_delivered(d.status) ? "t" : "f",
                           d.status, wb->n->clock_param, d.at};
        PGresult *r = pg_exec(wb->conn, dlr_sql, 6, p);
        if (!r)
                return reply_json(c, MHD_HTTP_SERVICE_UNAVAILABLE, "error", "database unavailable");
        int rows = PQntuples(r);
        if (rows > 0)
                log_alert(LOG_INFO, PQgetvalue(r, 0, 0), NULL, "delivery report %s", d.status);
        PQclear(r);
        if (rows > 0)
                return reply_json(c, MHD_HTTP_OK, "result", "updated");
        const char *q[] = {d.message_id, d.client_ref};
        r = pg_exec(wb->conn,
                    "SELECT 1 FROM notifications WHERE (nullif($1, '') IS NOT NULL AND"
                    " provider_message_id = $1) OR (nullif($2, '') IS NOT NULL AND client_ref = $2)",
                    2, q);
        int known = r && PQntuples(r) > 0;
        if (r)
                PQclear(r);
        if (known)
                return reply_json(c, MHD_HTTP_OK, "result", "unchanged");
        log_warn("delivery report for an unknown message (message_id %.64s, client_ref %.64s)",
                 d.message_id, d.client_ref);
        return reply_json(c, MHD_HTTP_ACCEPTED, "result", "unknown");
}

static enum MHD_Result handle_inbound(struct web *wb, struct MHD_Connection *c,
                                      const struct strbuf *b)
{
        char from[32], code[7];
        int rc = routed_parse_inbound(b->p ? b->p : "", b->len, from, code);
        if (rc < 0)
                return reply_json(c, MHD_HTTP_BAD_REQUEST, "error", "body: expected from and text");
        if (rc == 0)
                return reply_json(c, MHD_HTTP_OK, "result", "ignored");
        if (!pg_ensure(&wb->conn, "notifier-web"))
                return reply_json(c, MHD_HTTP_SERVICE_UNAVAILABLE, "error", "database unavailable");
        const char *p[] = {code, from};
        PGresult *r = pg_exec(wb->conn,
                              "SELECT n.alert_id, n.recipient_id FROM notifications n"
                              " JOIN alerts a ON a.alert_id = n.alert_id"
                              " WHERE a.short_code = $1 AND n.channel = 'sms' AND n.address = $2"
                              " ORDER BY n.level LIMIT 1",
                              2, p);
        if (!r)
                return reply_json(c, MHD_HTTP_SERVICE_UNAVAILABLE, "error", "database unavailable");
        if (PQntuples(r) == 0) {
                PQclear(r);
                log_warn("SMS reply ACK %s from a number not on that alert's list", code);
                return reply_json(c, MHD_HTTP_OK, "result", "ignored");
        }
        char alert_id[37], rid[128];
        util_strlcpy(alert_id, PQgetvalue(r, 0, 0), sizeof alert_id);
        util_strlcpy(rid, PQgetvalue(r, 0, 1), sizeof rid);
        PQclear(r);
        rc = ack_record(wb->conn, wb->n, alert_id, rid, "sms_reply");
        if (rc < 0)
                return reply_json(c, MHD_HTTP_SERVICE_UNAVAILABLE, "error", "database unavailable");
        return reply_json(c, MHD_HTTP_OK, "result", rc ? "acknowledged" : "already_acknowledged");
}

/* ==== Dispatch ==== */

static bool callback_authorized(struct web *wb, struct MHD_Connection *c)
{
        const char *want = wb->n->cfg.dlr_token;
        if (!want || !*want)
                return true;
        const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
        if (!auth || strncmp(auth, "Bearer ", 7) != 0)
                return false;
        auth += 7;
        return strlen(auth) == strlen(want) && util_ct_equal(auth, want, strlen(want));
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
        struct web *wb = cls;
        (void)version;
        if (!*con_cls) {
                struct req *rq = calloc(1, sizeof *rq);
                if (!rq)
                        return MHD_NO;
                *con_cls = rq;
                return MHD_YES;
        }
        struct req *rq = *con_cls;
        if (*upload_size) {
                if (rq->body.len + *upload_size > BODY_CAP)
                        rq->too_big = true;
                else
                        sb_addn(&rq->body, upload, *upload_size);
                *upload_size = 0;
                return MHD_YES;
        }
        if (rq->too_big)
                return reply_json(c, MHD_HTTP_CONTENT_TOO_LARGE, "error", "body too large");
        bool get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
        enum MHD_Result ret;
        pthread_mutex_lock(&wb->mu);
        if (strncmp(url, "/a/", 3) == 0 && (get || post)) {
                ret = handle_link(wb, c, post, url + 3, &rq->body);
        } else if (strcmp(url, "/v1/sms/dlr") == 0 && post) {
                ret = callback_authorized(wb, c) ? handle_dlr(wb, c, &rq->body)
                                                 : reply_json(c, MHD_HTTP_UNAUTHORIZED, "error",
                                                              "unauthorized");
        } else if (strcmp(url, "/v1/sms/inbound") == 0 && post) {
                ret = callback_authorized(wb, c) ? handle_inbound(wb, c, &rq->body)
                                                 : reply_json(c, MHD_HTTP_UNAUTHORIZED, "error",
                                                              "unauthorized");
        } else {
                ret = reply_json(c, MHD_HTTP_NOT_FOUND, "error", "not_found");
        }
        pthread_mutex_unlock(&wb->mu);
        return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
        (void)cls;
        (void)c;
        (void)toe;
        struct req *rq = *con_cls;
        if (rq) {
                sb_free(&rq->body);
                free(rq);
                *con_cls = NULL;
        }
}

struct web *web_start(struct notifier *n, char *err, size_t errsz)
{
        struct web *wb = calloc(1, sizeof *wb);
        if (!wb) {
                snprintf(err, errsz, "out of memory");
                return NULL;
        }
        wb->n = n;
        pthread_mutex_init(&wb->mu, NULL);
        char perr[256];
        wb->conn = pg_connect_env("notifier-web", perr, sizeof perr);
        if (!wb->conn)
                log_warn("notifier-web: PostgreSQL not reachable yet: %s", perr);
        wb->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
                                 (uint16_t)n->cfg.port, NULL, NULL, handler, wb,
                                 MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
                                 MHD_OPTION_CONNECTION_LIMIT, (unsigned)256, MHD_OPTION_END);
        if (!wb->d) {
                snprintf(err, errsz, "PRAHARI_NOTIFIER_PORT: cannot listen on %d", n->cfg.port);
                if (wb->conn)
                        PQfinish(wb->conn);
                pthread_mutex_destroy(&wb->mu);
                free(wb);
                return NULL;
        }
        return wb;
}

void web_stop(struct web *wb)
{
        if (!wb)
                return;
        MHD_stop_daemon(wb->d);
        if (wb->conn)
                PQfinish(wb->conn);
        pthread_mutex_destroy(&wb->mu);
        free(wb);
}
