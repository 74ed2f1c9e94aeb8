/* SPDX-License-Identifier: Apache-2.0 */
/* Sending notifications: claim due rows (FOR UPDATE SKIP LOCKED), build the
 * SMS from its DLT template or the e-mail from the alert record, send with
 * the row's client_ref / Message-ID, and record the outcome with its timeline
 * row. A crash between the send and the record leaves the row in "sending";
 * it is claimed again after its lease and resent with the same client_ref. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "gsm.h"
#include "mailmsg.h"
#include "notifier.h"
#include "prahari/log.h"
#include "prahari/metrics.h"
#include "prahari/pg.h"
#include "prahari/util.h"
#include "strbuf.h"

/* ==== Hindi district names ==== */

void hindi_load(struct hindi_names *h, const char *path)
{
        memset(h, 0, sizeof *h);
        char *csv = path ? util_read_file(path, NULL) : NULL;
        if (!csv)
                return;
        size_t lines = 0;
        for (const char *p = csv; *p; p++)
                lines += *p == '\n';
        h->en = calloc(lines + 1, sizeof *h->en);
        h->hi = calloc(lines + 1, sizeof *h->hi);
        if (!h->en || !h->hi) {
                free(csv);
                hindi_free(h);
                return;
        }
        char *line = strchr(csv, '\n'); /* header */
        while (line && *++line) {
                char *c1 = strchr(line, ','), *eol = strchr(line, '\n');
                char *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
                if (!c1 || !c2 || (eol && c2 > eol))
                        break;
                snprintf(h->en[h->n], sizeof h->en[0], "%.*s", (int)(c1 - line), line);
                snprintf(h->hi[h->n], sizeof h->hi[0], "%.*s", (int)(c2 - c1 - 1), c1 + 1);
                h->n++;
                line = eol;
        }
        free(csv);
}

void hindi_free(struct hindi_names *h)
{
        free(h->en);
        free(h->hi);
        memset(h, 0, sizeof *h);
}

const char *hindi_name(const struct hindi_names *h, const char *en)
{
        for (size_t i = 0; en && i < h->n; i++)
                if (strcmp(h->en[i], en) == 0)
                        return h->hi[i];
        return NULL;
}

long notifier_window_s(const struct notifier *n, const char *severity)
{
        if (severity && strcmp(severity, "critical") == 0)
                return n->cfg.esc_critical_s;
        if (severity && strcmp(severity, "high") == 0)
                return n->cfg.esc_high_s;
        return n->cfg.esc_medium_s;
}

/* ==== Workers ==== */

int worker_init(struct worker *w, struct notifier *n, const char *name)
{
        char err[256];
        memset(w, 0, sizeof *w);
        w->n = n;
        w->name = name;
        w->conn = pg_connect_env(name, err, sizeof err);
        if (!w->conn)
                log_warn("%s: PostgreSQL not reachable yet: %s", name, err);
        w->sms = sms_client_new(&n->providers);
        w->smtp = smtp_client_new(&n->smtp);
        return w->sms && w->smtp ? 0 : -1;
}

void worker_close(struct worker *w)
{
        if (w->conn)
                PQfinish(w->conn);
        sms_client_destroy(w->sms);
        smtp_client_destroy(w->smtp);
        memset(w, 0, sizeof *w);
}

/* ==== One claimed row ==== */

enum {
        C_ID, C_ALERT, C_RECIPIENT, C_CHANNEL, C_LEVEL, C_ADDRESS, C_REF, C_ATTEMPTS, C_KIND,
        C_LANG, C_RNAME, C_CREATED, C_SHORT, C_SEV, C_PLATFORM, C_CATEGORY, C_REPORTED,
        C_STATUS, C_SUBJECT, C_CONTENT, C_ROUTE, C_DISTRICT, C_REASON, C_METHOD, C_LAT, C_LON,
        C_RADIUS, C_CONF, C_AGE
};

static const char claim_sql[] =
        "WITH c AS ("
        " UPDATE notifications n SET state = 'sending', attempts = n.attempts + 1,"
        "  next_attempt_at = now() + ($2::float8 + $3::float8) * interval '1 second'"
        " WHERE n.notification_id IN ("
        "  SELECT q.notification_id FROM notifications q"
        "  WHERE q.state IN ('pending','sending')"
        "   AND ($1::uuid[] IS NULL OR q.notification_id = ANY($1::uuid[]))"
        /* due; or, claimed by id, never tried yet (the consumer's own rows) */
        "   AND (q.next_attempt_at <= now() + $2::float8 * interval '1 second'"
        "    OR ($1::uuid[] IS NOT NULL AND q.state = 'pending'))"
        "   AND NOT EXISTS (SELECT 1 FROM acknowledgements k WHERE k.alert_id = q.alert_id)"
        "  ORDER BY q.channel DESC, q.next_attempt_at LIMIT $4"
        "  FOR UPDATE SKIP LOCKED)"
        " RETURNING n.*)"
        " SELECT c.notification_id, c.alert_id, c.recipient_id, c.channel, c.level, c.address,"
        "  c.client_ref, c.attempts, c.kind, c.lang, coalesce(c.recipient_name, ''),"
        "  extract(epoch from c.created_at)::bigint,"
        "  a.short_code, a.severity, a.platform, a.category,"
        "  to_char(a.reported_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
        "  a.status, a.subject::text, a.content::text,"
        "  r.route, r.district, r.reason, l.method, l.lat, l.lon, l.radius_m, l.confidence,"
        "  extract(epoch from now() + $2::float8 * interval '1 second' - c.created_at)::float8"
        " FROM c JOIN alerts a ON a.alert_id = c.alert_id"
        " LEFT JOIN LATERAL (SELECT route, district, reason FROM routings"
        "   WHERE alert_id = c.alert_id ORDER BY revision DESC LIMIT 1) r ON true"
        " LEFT JOIN LATERAL (SELECT method, lat, lon, radius_m, confidence FROM locations"
        "   WHERE alert_id = c.alert_id ORDER BY revision DESC LIMIT 1) l ON true"
        " ORDER BY c.channel DESC";

static const char sent_sql[] =
        "WITH u AS (UPDATE notifications SET"
        "  state = CASE WHEN state = 'delivered' THEN state ELSE 'sent' END,"
        "  provider = $2, provider_message_id = coalesce(nullif($3, ''), provider_message_id),"
        "  parts = nullif($4, '')::int,"
        "  sent_at = coalesce(sent_at, now() + $6::float8 * interval '1 second'),"
        "  next_attempt_at = NULL, last_error = NULL"
        " WHERE notification_id = $1 AND state IN ('sending','delivered','cancelled')"
        " RETURNING alert_id)"
        " INSERT INTO timeline (alert_id, stage, event, actor, detail)"
        " SELECT alert_id, 'notifier', 'notification_sent', '" NOTIFIER_ACTOR "', $5::jsonb FROM u";

/* $6: 1 gives the claim's attempt back (every SMS circuit was open: nothing
 * was tried, so it is no attempt). */
static const char retry_sql[] =
        "UPDATE notifications SET next_attempt_at = now() + ($3::float8 + $4::float8 / 1000.0)"
        " * interval '1 second', last_error = $2, provider = nullif($5, ''),"
        " attempts = greatest(attempts - $6::int, 0)"
        " WHERE notification_id = $1 AND state = 'sending'";

static const char failed_sql[] =
        "WITH u AS (UPDATE notifications SET state = 'failed', last_error = $2,"
        "  next_attempt_at = NULL, provider = nullif($5, '')"
        " WHERE notification_id = $1 AND state = 'sending' RETURNING alert_id, level, kind),"
        /* a failed "moved away" notice escalates nothing: that chain was closed */
        " e AS (UPDATE escalations x SET due_at = least(x.due_at, now() + $4::float8 * interval '1 second')"
        "  FROM u WHERE x.alert_id = u.alert_id AND x.level = u.level + 1 AND x.done_at IS NULL"
        "  AND u.kind <> 'moved_away'"
        "  RETURNING 1)"
        " INSERT INTO timeline (alert_id, stage, event, actor, detail)"
        " SELECT alert_id, 'notifier', 'notification_failed', '" NOTIFIER_ACTOR "', $3::jsonb FROM u";

static const char *val(PGresult *r, int row, int col)
{
        return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

static char *detail_json(PGresult *r, int row, int parts, const char *provider,
                         const char *error)
{
        json_t *o = json_object();
        json_object_set_new(o, "notification_id", json_string(val(r, row, C_ID))); /* steals ref */
        json_object_set_new(o, "channel", json_string(val(r, row, C_CHANNEL)));
        json_object_set_new(o, "recipient_id", json_string(val(r, row, C_RECIPIENT)));
        json_object_set_new(o, "level", json_integer(strtol(val(r, row, C_LEVEL), NULL, 10)));
        json_object_set_new(o, "kind", json_string(val(r, row, C_KIND)));
        json_object_set_new(o, "attempts", json_integer(strtol(val(r, row, C_ATTEMPTS), NULL, 10)));
        if (parts > 0)
                json_object_set_new(o, "parts", json_integer(parts));
        if (provider && *provider)
                json_object_set_new(o, "provider", json_string(provider));
        if (error && *error)
                json_object_set_new(o, "error", json_string(error));
        char *s = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        return s;
}

/* The acknowledgement link of this notification's recipient. */
static int ack_link(const struct notifier *n, PGresult *r, int row, char *url, size_t urlsz,
                    char tok[TOKEN_LEN + 1])
{
        int64_t created = strtoll(val(r, row, C_CREATED), NULL, 10);
        if (token_make(&n->keys, val(r, row, C_SHORT), val(r, row, C_RECIPIENT),
                       created + n->cfg.link_ttl_s, tok) != 0)
                return -1;
        size_t ul = strlen(n->cfg.public_url);
        while (ul > 0 && n->cfg.public_url[ul - 1] == '/')
                ul--;
        snprintf(url, urlsz, "%.*s/a/%s", (int)ul, n->cfg.public_url, tok);
        return 0;
}

/* Build the SMS text: the recipient's language, English when the Hindi text
 * would need more parts than allowed. */
static char *build_sms(const struct notifier *n, PGresult *r, int row, const char *tok,
                       const struct dlt_template **tpl, struct gsm_count *gc, char *err,
                       size_t errsz)
{
        const char *langs[2] = {val(r, row, C_LANG), "en"};
        const char *district = val(r, row, C_DISTRICT);
        const char *route = val(r, row, C_ROUTE);
        if (route && strcmp(route, "state_command_centre") == 0)
                district = NULL;
        for (int i = 0; i < 2; i++) {
                const char *lang = langs[i] ? langs[i] : "en";
                const struct dlt_template *t = smstext_find(&n->templates, val(r, row, C_KIND), lang);
                if (!t) {
                        snprintf(err, errsz, "no DLT template for kind %s", val(r, row, C_KIND));
                        return NULL;
                }
                char place[200], plat[64];
                smstext_place(district, hindi_name(&n->hindi, district), t->lang, place,
                              sizeof place);
                smstext_platform(val(r, row, C_PLATFORM), plat, sizeof plat);
                struct smstext_var v[] = {
                        {"short_code", val(r, row, C_SHORT)},
                        {"severity", smstext_severity(val(r, row, C_SEV), t->lang)},
                        {"place", place},
                        {"platform", plat},
                        {"token", tok},
                };
                char *text = smstext_fill(t, v, sizeof v / sizeof v[0]);
                if (text && smstext_matches(t, text) &&
                    gsm_count_text(text, strlen(text), gc) == 0 &&
                    gc->parts <= n->cfg.sms_max_parts) {
                        *tpl = t;
                        return text;
                }
                free(text);
        }
        snprintf(err, errsz, "SMS text exceeds PRAHARI_SMS_MAX_PARTS=%ld or does not match its "
                             "template", n->cfg.sms_max_parts);
        return NULL;
}

static const char *jget(json_t *o, const char *a, const char *b)
{
        const char *s = json_string_value(json_object_get(o, a));
        return s ? s : (b ? json_string_value(json_object_get(o, b)) : NULL);
}

static char *build_mail(const struct notifier *n, PGresult *r, int row, const char *url,
                        char *err, size_t errsz)
{
        json_t *subject = json_loads(val(r, row, C_SUBJECT) ? val(r, row, C_SUBJECT) : "{}", 0, NULL);
        json_t *content = json_loads(val(r, row, C_CONTENT) ? val(r, row, C_CONTENT) : "{}", 0, NULL);
        const char *route = val(r, row, C_ROUTE);
        struct alert_mail a = {
                .lang = val(r, row, C_LANG),
                .short_code = val(r, row, C_SHORT),
                .severity = val(r, row, C_SEV),
                .category = val(r, row, C_CATEGORY),
                .platform = val(r, row, C_PLATFORM),
                .district = route && strcmp(route, "district") == 0 ? val(r, row, C_DISTRICT) : NULL,
                .route_reason = val(r, row, C_REASON),
                .reported_at = val(r, row, C_REPORTED),
                .loc_method = val(r, row, C_METHOD),
                .has_point = val(r, row, C_LAT) && val(r, row, C_LON),
                .lat = val(r, row, C_LAT) ? strtod(val(r, row, C_LAT), NULL) : 0,
                .lon = val(r, row, C_LON) ? strtod(val(r, row, C_LON), NULL) : 0,
                .radius_m = val(r, row, C_RADIUS) ? strtod(val(r, row, C_RADIUS), NULL) : 0,
                .confidence = val(r, row, C_CONF) ? strtod(val(r, row, C_CONF), NULL) : 0,
                .person_name = jget(subject, "display_name", "name"),
                .username = jget(subject, "username", NULL),
                .profile_url = jget(subject, "profile_url", NULL),
                .permalink = jget(content, "url", "permalink"),
                .post_text = n->cfg.mail_include_post_text ? jget(content, "text", NULL) : NULL,
                .ack_url = url,
                .level = (int)strtol(val(r, row, C_LEVEL), NULL, 10),
        };
        char *subj = NULL, *text = NULL, *html = NULL, *msg = NULL;
        if (mailmsg_alert(&a, &subj, &text, &html) == 0) {
                struct mail_msg m = {
                        .from = n->cfg.mail_from,
                        .from_name = n->cfg.mail_from_name,
                        .to = val(r, row, C_ADDRESS),
                        .to_name = val(r, row, C_RNAME),
                        .subject = subj,
                        .notification_id = val(r, row, C_ID),
                        .date_us = util_now_us() + (int64_t)(n->cfg.clock_offset_s * 1e6),
                        .text = text,
                        .html = n->cfg.mail_html ? html : NULL,
                };
                msg = mailmsg_build(&m);
        }
        if (!msg)
                snprintf(err, errsz, "could not build the e-mail (invalid address or text)");
        free(subj);
        free(text);
        free(html);
        json_decref(subject);
        json_decref(content);
        return msg;
}

/* The "moved away" notice by e-mail: the same filled DLT text as the SMS
 * (short code and the new place; no personal data, no link). */
static char *build_moved_mail(const struct notifier *n, PGresult *r, int row, const char *tok,
                              char *err, size_t errsz)
{
        const struct dlt_template *t = NULL;
        struct gsm_count gc;
        char *text = build_sms(n, r, row, tok, &t, &gc, err, errsz);
        if (!text)
                return NULL;
        char subj[128];
        snprintf(subj, sizeof subj, "PRAHARI %s: alert moved away", val(r, row, C_SHORT));
        struct mail_msg m = {
                .from = n->cfg.mail_from,
                .from_name = n->cfg.mail_from_name,
                .to = val(r, row, C_ADDRESS),
                .to_name = val(r, row, C_RNAME),
                .subject = subj,
                .notification_id = val(r, row, C_ID),
                .date_us = util_now_us() + (int64_t)(n->cfg.clock_offset_s * 1e6),
                .text = text,
                .html = NULL,
        };
        char *msg = mailmsg_build(&m);
        if (!msg)
                snprintf(err, errsz, "could not build the e-mail (invalid address or text)");
        free(text);
        return msg;
}

static const double notify_buckets[] = {0.005, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1,
                                        0.15,  0.2,  0.3,   0.5,  1,    2,    5,    10};

static void count(const char *channel, const char *provider, const char *outcome)
{
        char labels[200];
        snprintf(labels, sizeof labels, "channel=\"%s\",provider=\"%s\",outcome=\"%s\"", channel,
                 provider && *provider ? provider : "none", outcome);
        metric_inc(metrics_counter("prahari_notifications_total",
                                   "Notification attempts by channel, provider and outcome.",
                                   labels),
                   1);
}

/* A connection error (or the server going away): worth reconnecting and
 * running the statement again. */
static bool pg_transient(PGconn *conn)
{
        if (!conn || PQstatus(conn) != CONNECTION_OK)
                return true;
        const char *st = pg_last_sqlstate();
        return st && (strncmp(st, "08", 2) == 0 || strncmp(st, "57", 2) == 0 ||
                      strncmp(st, "40", 2) == 0);
}

/* Record a send that happened: the message is out, so losing this update
 * means sending it again after the lease (SMTP does not deduplicate). Retry
 * with reconnects until @p until_us (monotonic), kept inside the lease so no
 * other claimer can take the row meanwhile. */
static PGresult *exec_until(struct worker *w, const char *sql, int np, const char *const *p,
                            int64_t until_us)
{
        for (int tries = 1;; tries++) {
                PGresult *u = NULL;
                if (pg_ensure(&w->conn, w->name)) {
                        u = pg_exec(w->conn, sql, np, p);
                        if (u) {
                                if (tries > 1)
                                        log_info("%s: recorded after %d tries", w->name, tries);
                                return u;
                        }
                        if (!pg_transient(w->conn))
                                return NULL;
                }
                if (util_mono_us() + 500000 > until_us)
                        return NULL;
                struct timespec ts = {0, 500 * 1000000L};
                nanosleep(&ts, NULL);
        }
}

/* Send one claimed row and record the result. @returns 0, -1 on a DB error. */
static int send_row(struct worker *w, PGresult *r, int row, int64_t t0_us, int64_t claimed_us)
{
        struct notifier *n = w->n;
        const char *id = val(r, row, C_ID), *alert_id = val(r, row, C_ALERT);
        const char *channel = val(r, row, C_CHANNEL);
        bool sms = strcmp(channel, "sms") == 0;
        int attempts = (int)strtol(val(r, row, C_ATTEMPTS), NULL, 10);
        enum send_result res = SEND_PERMANENT;
        char err[256] = "", provider[64] = "", msgid[128] = "", tok[TOKEN_LEN + 1] = "";
        char url[512];
        int parts = 0;
        bool sr_not_attempted = false;
        int64_t sr_open_wait_ms = 0;

        if (ack_link(n, r, row, url, sizeof url, tok) != 0) {
                snprintf(err, sizeof err, "cannot make the link token (short code?)");
        } else if (sms) {
                const struct dlt_template *t = NULL;
                struct gsm_count gc;
                char *text = build_sms(n, r, row, tok, &t, &gc, err, sizeof err);
                if (text) {
                        struct sms_request rq = {
                                .to = val(r, row, C_ADDRESS),
                                .text = text,
                                .unicode = gc.enc == GSM_ENC_UCS2,
                                .sender = t->sender,
                                .entity_id = t->entity_id,
                                .template_id = t->template_id,
                                .client_ref = val(r, row, C_REF),
                        };
                        struct sms_result sr;
                        sms_send(w->sms, &rq, &sr);
                        res = sr.result;
                        sr_not_attempted = sr.not_attempted;
                        sr_open_wait_ms = sr.open_wait_ms;
                        parts = gc.parts;
                        util_strlcpy(provider, sr.provider, sizeof provider);
                        util_strlcpy(msgid, sr.message_id, sizeof msgid);
                        util_strlcpy(err, sr.error, sizeof err);
                        free(text);
                }
        } else {
                char *msg = strcmp(val(r, row, C_KIND), "moved_away") == 0
                                    ? build_moved_mail(n, r, row, tok, err, sizeof err)
                                    : build_mail(n, r, row, url, err, sizeof err);
                if (msg) {
                        struct smtp_result mr;
                        smtp_send(w->smtp, val(r, row, C_ADDRESS), msg, &mr);
                        res = mr.result;
                        util_strlcpy(provider, "smtp", sizeof provider);
                        util_strlcpy(err, mr.error, sizeof err);
                        free(msg);
                }
        }

        struct retry_input ri = {
                .result = res,
                .not_attempted = sms && res == SEND_TRANSIENT && sr_not_attempted,
                .open_wait_ms = sr_open_wait_ms,
                .attempts = attempts,
                .max_attempts = n->cfg.max_attempts,
                .age_s = val(r, row, C_AGE) ? strtod(val(r, row, C_AGE), NULL) : 0,
                .retry_max_s = sms ? n->cfg.sms_retry_max_s : 0,
                .base_ms = n->cfg.retry_base_ms,
                .cap_ms = n->cfg.retry_cap_ms,
        };
        util_random(&ri.rnd, sizeof ri.rnd);
        struct retry_decision dec = backoff_decide(&ri);
        if (res == SEND_TRANSIENT && dec.action == RETRY_GIVE_UP) {
                res = SEND_PERMANENT;
                size_t l = strlen(err);
                snprintf(err + l, sizeof err - l, " (attempt %d of %ld, %.0f s: giving up)",
                         attempts, n->cfg.max_attempts, ri.age_s);
        }
        char partsbuf[16] = "";
        if (parts > 0)
                snprintf(partsbuf, sizeof partsbuf, "%d", parts);
        PGresult *u = NULL;
        if (res == SEND_OK) {
                char *detail = detail_json(r, row, parts, provider, NULL);
                const char *p[] = {id, provider, msgid, partsbuf, detail, n->clock_param};
                /* until 2 s before the lease runs out */
                int64_t until = claimed_us + ((int64_t)n->cfg.send_lease_s - 2) * 1000000;
                u = exec_until(w, sent_sql, 6, p, until);
                free(detail);
                count(channel, provider, "sent");
                if (t0_us > 0)
                        metric_observe(metrics_histogram("prahari_notify_seconds",
                                                         "From the routed message (its "
                                                         "Kafka timestamp) to the "
                                                         "provider's acceptance.",
                                                         NULL, notify_buckets,
                                                         sizeof notify_buckets /
                                                                 sizeof notify_buckets[0]),
                                       (double)(util_mono_us() - t0_us) / 1e6);
                log_alert(LOG_INFO, alert_id, NULL, "%s sent to %s (level %s, %s%s%s)", channel,
                          val(r, row, C_RECIPIENT), val(r, row, C_LEVEL), provider,
                          parts ? ", parts " : "", partsbuf);
        } else if (res == SEND_TRANSIENT) {
                char delay[32];
                snprintf(delay, sizeof delay, "%lld", (long long)dec.delay_ms);
                const char *p[] = {id, err, n->clock_param, delay, provider, dec.refund ? "1" : "0"};
                u = pg_exec(w->conn, retry_sql, 6, p);
                count(channel, provider, dec.refund ? "deferred" : "retry");
                log_alert(LOG_WARN, alert_id, NULL, "%s to %s: %s; %s in %s ms", channel,
                          val(r, row, C_RECIPIENT), err,
                          dec.refund ? "not an attempt, try again" : "retry", delay);
        } else {
                char *detail = detail_json(r, row, parts, provider, err);
                const char *p[] = {id, err, detail, n->clock_param, provider};
                u = pg_exec(w->conn, failed_sql, 5, p);
                free(detail);
                count(channel, provider, "failed");
                log_alert(LOG_ERROR, alert_id, NULL, "%s to %s failed permanently: %s; escalating",
                          channel, val(r, row, C_RECIPIENT), err);
        }
        if (!u)
                return -1;
        PQclear(u);
        return 0;
}

int dispatch_due(struct worker *w, const char *const *ids, size_t nids, int limit, int64_t t0_us)
{
        if (!pg_ensure(&w->conn, w->name))
                return -1;
        struct strbuf arr = {0};
        const char *idparam = NULL;
        if (ids) {
                if (nids == 0)
                        return 0;
                sb_add(&arr, "{");
                for (size_t i = 0; i < nids; i++)
                        sb_addf(&arr, "%s%s", i ? "," : "", ids[i]);
                sb_add(&arr, "}");
                idparam = arr.p;
        }
        char lease[32], lim[16];
        snprintf(lease, sizeof lease, "%ld", w->n->cfg.send_lease_s);
        snprintf(lim, sizeof lim, "%d", limit);
        const char *p[] = {idparam, w->n->clock_param, lease, lim};
        int64_t claimed_us = util_mono_us(); /* before the claim: the lease starts later */
        PGresult *r = pg_exec(w->conn, claim_sql, 4, p);
        sb_free(&arr);
        if (!r)
                return -1;
        int rows = PQntuples(r), rc = rows;
        for (int i = 0; i < rows; i++)
                if (send_row(w, r, i, t0_us, claimed_us) != 0)
                        rc = -1; /* the row stays "sending"; its lease brings it back */
        PQclear(r);
        return rc;
}
