/* SPDX-License-Identifier: Apache-2.0 */
/* Public HTTP ways in (edge, libmicrohttpd): routing, limits (body, headers,
 * connections, timeouts, per-partner rate), authentication over the fully
 * assembled raw body, then the pure adapters and the group commit. */
#include "http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "meta.h"
#include "prahari/log.h"
#include "prahari/metrics.h"
#include "prahari/util.h"
#include "pubsub.h"
#include "ratelimit.h"
#include "reply.h"
#include "writer.h"

enum route { R_NONE = 0, R_META, R_META_GET, R_GOOGLE, R_YOUTUBE, R_ALERTS };

struct rl_entry {
        char name[65];
        struct rl_bucket b;
};

/* One open connection, watched so that a client trickling its request line
 * and headers (libmicrohttpd calls the handler only after the last header)
 * cannot hold a worker beyond the request timeout. */
enum watch_phase { W_HEADERS = 0, W_BODY, W_BUSY };

struct conn_watch {
        int fd;
        enum watch_phase phase;
        int64_t since_us; /* start of the current phase (monotonic) */
        struct conn_watch *prev, *next;
};

struct http_server {
        struct http_cfg cfg;
        struct intake *in;
        struct MHD_Daemon *d;
        pthread_mutex_t rl_mu;
        struct rl_entry rl[64];
        size_t nrl;
        pthread_mutex_t w_mu; /* guards the watch list and each entry */
        struct conn_watch *watched;
        pthread_t w_thr;
        bool w_started, w_stop;
        pthread_cond_t w_cv;
        int inflight; /* suspended requests waiting for the writer (atomic) */
};

enum req_state { C_RECV = 0, C_WAIT, C_DONE };

struct req_ctx {
        enum route route;
        enum req_state state;
        struct http_server *s;
        struct MHD_Connection *conn;
        struct item_list l;          /* items waiting for / after the commit */
        struct intake_result *res;
        int rc;                      /* of the commit */
        bool refusal;                /* authenticated but unreadable: 400 + quarantine id */
        char code[32], detail[256];
        char *body;
        size_t len, cap;
        bool too_big;
        bool answered; /* a response was queued on the first call */
        int64_t start_us;
        int64_t received_us;
};

static const char *way_name(enum route r)
{
        switch (r) {
        case R_META:
        case R_META_GET:
                return "meta";
        case R_GOOGLE:
                return "google";
        case R_YOUTUBE:
                return "youtube";
        case R_ALERTS:
                return "alerts";
        default:
                return "none";
        }
}

static void count_request(enum route r, unsigned status)
{
        char labels[96];
        snprintf(labels, sizeof(labels), "way=\"%s\",status=\"%u\"", way_name(r), status);
        metric_inc(metrics_counter("prahari_ingest_requests_total", "HTTP requests by way and status",
                                   labels),
                   1);
}

static bool g_closing; /* set by http_stop: end keep-alive connections */

static enum MHD_Result send_body(struct MHD_Connection *conn, enum route r, unsigned status,
                                 const char *ctype, char *body, int retry_after)
{
        const char *b = body ? body : "{\"error\":\"internal\"}";
        struct MHD_Response *resp =
                MHD_create_response_from_buffer(strlen(b), (void *)b, MHD_RESPMEM_MUST_COPY);
        free(body);
        if (!resp)
                return MHD_NO;
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
        MHD_add_response_header(resp, "Cache-Control", "no-store");
        if (__atomic_load_n(&g_closing, __ATOMIC_RELAXED))
                MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
        if (retry_after > 0) {
                char ra[16];
                snprintf(ra, sizeof(ra), "%d", retry_after);
                MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
        }
        enum MHD_Result ret = MHD_queue_response(conn, status, resp);
        MHD_destroy_response(resp);
        count_request(r, status);
        return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *conn, enum route r, unsigned status,
                                  const char *code, const char *detail)
{
        return send_body(conn, r, status, "application/json", reply_error(code, detail), 0);
}

static enum MHD_Result send_401(struct MHD_Connection *conn, enum route r, const char *why)
{
        log_warn("%s: unauthenticated request refused (%s)", way_name(r), why);
        return send_error(conn, r, MHD_HTTP_UNAUTHORIZED, "unauthenticated", NULL);
}

static const char *hdr(struct MHD_Connection *conn, const char *name)
{
        return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

static bool is_json_type(const char *ct)
{
        if (!ct)
                return false;
        while (*ct == ' ')
                ct++;
        if (strncasecmp(ct, "application/json", 16) != 0)
                return false;
        char next = ct[16];
        return next == '\0' || next == ';' || next == ' ';
}

/* Take one token from @p who's bucket. */
static bool rate_ok(struct http_server *s, const char *who, int *retry_after)
{
        if (s->cfg.rate_per_s <= 0)
                return true;
        pthread_mutex_lock(&s->rl_mu);
        struct rl_entry *e = NULL;
        for (size_t i = 0; i < s->nrl; i++)
                if (strcmp(s->rl[i].name, who) == 0)
                        e = &s->rl[i];
        if (!e && s->nrl < sizeof(s->rl) / sizeof(s->rl[0])) {
                e = &s->rl[s->nrl++];
                memset(e, 0, sizeof(*e));
                snprintf(e->name, sizeof(e->name), "%s", who);
        }
        if (!e)
                e = &s->rl[0]; /* more partners than slots: share the first bucket */
        bool ok = rl_take(&e->b, s->cfg.rate_per_s, s->cfg.rate_burst, util_mono_us(),
                          retry_after);
        pthread_mutex_unlock(&s->rl_mu);
        return ok;
}

static enum route route_of(const char *url, const char *method, bool *method_ok)
{
        *method_ok = true;
        bool post = strcmp(method, "POST") == 0, get = strcmp(method, "GET") == 0;
        if (strcmp(url, "/v1/intake/meta") == 0) {
                if (get)
                        return R_META_GET;
                *method_ok = post;
                return R_META;
        }
        enum route r = R_NONE;
        if (strcmp(url, "/v1/intake/google") == 0)
                r = R_GOOGLE;
        else if (strcmp(url, "/v1/intake/youtube") == 0)
                r = R_YOUTUBE;
        else if (strcmp(url, "/v1/intake/alerts") == 0)
                r = R_ALERTS;
        if (r != R_NONE)
                *method_ok = post;
        return r;
}

/* GET /v1/intake/meta?hub.mode=subscribe&hub.verify_token=T&hub.challenge=C */
static enum MHD_Result meta_subscribe(struct http_server *s, struct MHD_Connection *conn)
{
        const char *mode = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "hub.mode");
        const char *tok =
                MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "hub.verify_token");
        const char *ch = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "hub.challenge");
        if (mode && strcmp(mode, "subscribe") == 0 && ch &&
            oidc_token_equal(tok, s->cfg.meta_verify_token)) {
                char *body = strdup(ch);
                return send_body(conn, R_META_GET, MHD_HTTP_OK, "text/plain", body, 0);
        }
        log_warn("meta: subscription check refused");
        return send_error(conn, R_META_GET, MHD_HTTP_FORBIDDEN, "forbidden",
                          "hub.verify_token does not match");
}

static void count_items(const char *way, const struct intake_result *res, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                char labels[96];
                snprintf(labels, sizeof(labels), "way=\"%s\",outcome=\"%s\"", way,
                         intake_outcome_name(res[i].outcome));
                metric_inc(metrics_counter("prahari_ingest_alerts_total",
                                           "Items by way and outcome", labels),
                           1);
                if (res[i].alert_id[0])
                        log_alert(LOG_INFO, res[i].alert_id, NULL, "%s via %s (revision %d)",
                                  intake_outcome_name(res[i].outcome), way, res[i].revision);
        }
}

/* The writer's callback: the commit is done (or failed); resume the
 * connection so that the handler is called again and answers. */
static void on_stored(void *arg, int rc)
{
        struct req_ctx *c = arg;
        struct http_server *s = c->s;
        struct MHD_Connection *conn = c->conn;
        c->rc = rc;
        c->state = C_DONE;
        MHD_resume_connection(conn); /* c may be freed from here on */
        __atomic_sub_fetch(&s->inflight, 1, __ATOMIC_RELEASE);
}

/* The answer once the commit is done. */
static enum MHD_Result answer(struct MHD_Connection *conn, struct req_ctx *c)
{
        enum route r = c->route;
        if (c->rc != 0 || !c->res)
                return send_error(conn, r, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable",
                                  c->refusal ? "the body could not be kept in quarantine "
                                               "(database unavailable); retry"
                                             : "the alert could not be made durable (database "
                                               "unavailable); retry");
        count_items(way_name(r), c->res, c->l.n);
        if (c->refusal)
                return send_body(conn, r, MHD_HTTP_BAD_REQUEST, "application/json",
                                 reply_error_quarantined(c->code, c->detail,
                                                         c->res[0].quarantine_id),
                                 0);
        return send_body(conn, r, MHD_HTTP_ACCEPTED, "application/json",
                         reply_accepted(c->l.v, c->res, c->l.n), 0);
}

/* Authenticated and parsed: queue the items for the group commit and suspend
 * the connection until the writer calls back (the thread serves others). */
static enum MHD_Result submit(struct http_server *s, struct MHD_Connection *conn,
                              struct req_ctx *c, struct item_list *l)
{
        c->l = *l;
        memset(l, 0, sizeof(*l));
        c->rc = -1;
        c->res = calloc(c->l.n ? c->l.n : 1, sizeof(*c->res));
        if (!c->res || c->l.n == 0) {
                c->rc = c->res ? 0 : -1;
                c->state = C_DONE;
                return answer(conn, c);
        }
        c->s = s;
        c->conn = conn;
        c->state = C_WAIT;
        __atomic_add_fetch(&s->inflight, 1, __ATOMIC_ACQ_REL);
        MHD_suspend_connection(conn);
        if (intake_submit_async(s->in, c->l.v, c->l.n, c->res, on_stored, c) != 0) {
                __atomic_sub_fetch(&s->inflight, 1, __ATOMIC_RELEASE);
                c->rc = -1;
                c->state = C_DONE;
                MHD_resume_connection(conn);
        }
        return MHD_YES;
}

/* Authenticated but unreadable (not JSON, not the envelope): keep the raw
 * bytes in quarantine through the same durable path, then answer the spec's
 * 400 with the quarantine id; 503 if it could not be stored. */
static enum MHD_Result refuse_unreadable(struct http_server *s, struct MHD_Connection *conn,
                                         enum route r, const char *source, struct req_ctx *c,
                                         const char *code, const char *detail)
{
        struct item_list l = {0};
        struct ingest_item *it = item_list_add(&l, source, way_name(r));
        char what[300];
        snprintf(what, sizeof(what), "%s: %s", code, detail);
        if (it) {
                it->received_us = c->received_us;
                item_quarantine(it, NULL, what, c->body, c->len);
        }
        c->refusal = true;
        snprintf(c->code, sizeof(c->code), "%s", code);
        snprintf(c->detail, sizeof(c->detail), "%s", detail);
        if (!it || !it->raw) {
                item_list_free(&l);
                c->rc = -1;
                c->state = C_DONE;
                return answer(conn, c);
        }
        return submit(s, conn, c, &l);
}

static enum MHD_Result do_meta(struct http_server *s, struct MHD_Connection *conn,
                               struct req_ctx *c)
{
        if (!meta_verify_signature(s->cfg.meta_app_secret, c->body, c->len,
                                   hdr(conn, "X-Hub-Signature-256")))
                return send_401(conn, R_META, "X-Hub-Signature-256");
        int ra = 0;
        if (!rate_ok(s, "meta", &ra))
                return send_body(conn, R_META, MHD_HTTP_TOO_MANY_REQUESTS, "application/json",
                                 reply_error("rate_limited", "partner meta is over its rate limit"),
                                 ra);
        struct item_list l = {0};
        char code[32], detail[256];
        if (meta_parse_delivery(c->body, c->len, "meta", c->received_us, &l, code, sizeof(code),
                                detail, sizeof(detail)) != 0) {
                item_list_free(&l);
                return refuse_unreadable(s, conn, R_META, "meta", c, code, detail);
        }
        return submit(s, conn, c, &l);
}

static enum MHD_Result do_pubsub(struct http_server *s, struct MHD_Connection *conn,
                                 struct req_ctx *c, enum route r)
{
        bool google = r == R_GOOGLE;
        const char *name = google ? "google" : "youtube";
        bool ok = false;
        char why[128] = "no Authorization bearer token and no ?token=";
        const char *bearer = oidc_bearer(hdr(conn, MHD_HTTP_HEADER_AUTHORIZATION));
        if (bearer && s->cfg.jwks) {
                struct oidc_expect ex = {google ? s->cfg.google_audience : s->cfg.youtube_audience,
                                         s->cfg.service_account, util_now_us() / 1000000, 60};
                ok = oidc_verify(s->cfg.jwks, bearer, &ex, why, sizeof(why));
        }
        const char *qtok = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "token");
        const char *want = google ? s->cfg.google_push_token : s->cfg.youtube_push_token;
        if (!ok && qtok) {
                ok = oidc_token_equal(qtok, want);
                if (!ok)
                        snprintf(why, sizeof(why), "?token= does not match");
        }
        if (!ok)
                return send_401(conn, r, why);
        int ra = 0;
        if (!rate_ok(s, name, &ra))
                return send_body(conn, r, MHD_HTTP_TOO_MANY_REQUESTS, "application/json",
                                 reply_error("rate_limited", "partner is over its rate limit"), ra);
        struct item_list l = {0};
        char code[32], detail[256], mid[128];
        if (pubsub_parse_delivery(google ? PUBSUB_GOOGLE : PUBSUB_YOUTUBE, c->body, c->len,
                                  c->received_us, &l, mid, sizeof(mid), code, sizeof(code), detail,
                                  sizeof(detail)) != 0) {
                item_list_free(&l);
                return refuse_unreadable(s, conn, r, name, c, code, detail);
        }
        return submit(s, conn, c, &l);
}

static enum MHD_Result do_alerts(struct http_server *s, struct MHD_Connection *conn,
                                 struct req_ctx *c)
{
        const char *partner = hdr(conn, "X-Prahari-Partner");
        if (!partner_verify(s->cfg.partner_keys, partner, c->body, c->len,
                            hdr(conn, "X-Prahari-Signature")))
                return send_401(conn, R_ALERTS, "X-Prahari-Partner / X-Prahari-Signature");
        int ra = 0;
        if (!rate_ok(s, partner, &ra))
                return send_body(conn, R_ALERTS, MHD_HTTP_TOO_MANY_REQUESTS, "application/json",
                                 reply_error("rate_limited", "partner is over its rate limit"), ra);
        struct item_list l = {0};
        char code[32], detail[256];
        if (partner_parse_delivery(partner, c->body, c->len, c->received_us, &l, code,
                                   sizeof(code), detail, sizeof(detail)) != 0) {
                item_list_free(&l);
                return refuse_unreadable(s, conn, R_ALERTS, partner, c, code, detail);
        }
        return submit(s, conn, c, &l);
}

static void watch_set(struct http_server *s, struct MHD_Connection *conn, enum watch_phase ph)
{
        const union MHD_ConnectionInfo *ci =
                MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        struct conn_watch *w = ci ? ci->socket_context : NULL;
        if (!w)
                return;
        pthread_mutex_lock(&s->w_mu);
        w->phase = ph;
        w->since_us = util_mono_us();
        pthread_mutex_unlock(&s->w_mu);
}

static void notify_conn(void *cls, struct MHD_Connection *conn, void **socket_context,
                        enum MHD_ConnectionNotificationCode toe)
{
        struct http_server *s = cls;
        if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
                const union MHD_ConnectionInfo *ci =
                        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
                struct conn_watch *w = calloc(1, sizeof(*w));
                if (!w || !ci) {
                        free(w);
                        *socket_context = NULL;
                        return;
                }
                w->fd = ci->connect_fd;
                w->phase = W_HEADERS;
                w->since_us = util_mono_us();
                pthread_mutex_lock(&s->w_mu);
                w->next = s->watched;
                if (s->watched)
                        s->watched->prev = w;
                s->watched = w;
                pthread_mutex_unlock(&s->w_mu);
                *socket_context = w;
                return;
        }
        /* Closed: libmicrohttpd closes the socket after this returns. */
        struct conn_watch *w = *socket_context;
        if (!w)
                return;
        pthread_mutex_lock(&s->w_mu);
        if (w->prev)
                w->prev->next = w->next;
        else
                s->watched = w->next;
        if (w->next)
                w->next->prev = w->prev;
        pthread_mutex_unlock(&s->w_mu);
        free(w);
        *socket_context = NULL;
}

/* Every tick, shut down the sockets of connections that have spent longer
 * than the request timeout on one request's headers or body; libmicrohttpd
 * then sees the end of the stream and frees the worker. */
static void *watchdog_main(void *arg)
{
        struct http_server *s = arg;
        int64_t limit = (int64_t)s->cfg.request_timeout_ms * 1000;
        int64_t tick = limit / 8 < 20000 ? 20000 : limit / 8 > 250000 ? 250000 : limit / 8;
        pthread_mutex_lock(&s->w_mu);
        while (!s->w_stop) {
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                ts.tv_nsec += (long)(tick % 1000000) * 1000;
                ts.tv_sec += tick / 1000000 + ts.tv_nsec / 1000000000;
                ts.tv_nsec %= 1000000000;
                pthread_cond_timedwait(&s->w_cv, &s->w_mu, &ts);
                int64_t now = util_mono_us();
                for (struct conn_watch *w = s->watched; w; w = w->next) {
                        if (w->phase == W_BUSY || now - w->since_us <= limit)
                                continue;
                        log_warn("a client took longer than PRAHARI_INGEST_REQUEST_TIMEOUT_MS over "
                                 "its request %s; connection closed",
                                 w->phase == W_HEADERS ? "line and headers" : "body");
                        count_request(R_NONE, 408);
                        shutdown(w->fd, SHUT_RDWR);
                        w->phase = W_BUSY; /* once */
                }
        }
        pthread_mutex_unlock(&s->w_mu);
        return NULL;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *upload_data,
                               size_t *upload_data_size, void **con_cls)
{
        struct http_server *s = cls;
        struct req_ctx *c = *con_cls;
        if (!c) {
                watch_set(s, conn, W_BODY);
                bool method_ok;
                enum route r = route_of(url, method, &method_ok);
                if (r == R_NONE)
                        return send_error(conn, r, MHD_HTTP_NOT_FOUND, "not_found",
                                          "no such endpoint");
                if (!method_ok)
                        return send_error(conn, r, MHD_HTTP_METHOD_NOT_ALLOWED, "method_not_allowed",
                                          "use POST");
                if (r == R_META_GET)
                        return meta_subscribe(s, conn);
                c = calloc(1, sizeof(*c));
                if (!c)
                        return MHD_NO;
                c->route = r;
                c->start_us = util_mono_us();
                c->received_us = util_now_us();
                *con_cls = c;
                if (!is_json_type(hdr(conn, MHD_HTTP_HEADER_CONTENT_TYPE))) {
                        c->answered = true;
                        return send_error(conn, r, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
                                          "unsupported_media_type",
                                          "Content-Type: must be application/json");
                }
                const char *cl = hdr(conn, MHD_HTTP_HEADER_CONTENT_LENGTH);
                if (cl) {
                        char *end = NULL;
                        unsigned long long v = strtoull(cl, &end, 10);
                        if (end == cl || *end || v > s->cfg.max_body) {
                                c->answered = true;
                                return send_error(conn, r, 413, "too_large",
                                                  "body: larger than the configured limit");
                        }
                }
                return MHD_YES;
        }
        if (c->state == C_DONE)
                return answer(conn, c); /* resumed after the commit */
        if (c->state == C_WAIT)
                return MHD_YES; /* not expected while suspended */
        if (c->answered) {
                *upload_data_size = 0; /* discard */
                return MHD_YES;
        }
        if (*upload_data_size) {
                if (s->cfg.request_timeout_ms > 0 &&
                    util_mono_us() - c->start_us > (int64_t)s->cfg.request_timeout_ms * 1000) {
                        log_warn("%s: request body too slow; connection closed", way_name(c->route));
                        count_request(c->route, 408);
                        return MHD_NO;
                }
                size_t n = *upload_data_size;
                *upload_data_size = 0;
                if (c->too_big || c->len + n > s->cfg.max_body) {
                        c->too_big = true;
                        free(c->body);
                        c->body = NULL;
                        c->len = c->cap = 0;
                        return MHD_YES;
                }
                if (c->len + n + 1 > c->cap) {
                        size_t nc = c->cap ? c->cap : 4096;
                        while (nc < c->len + n + 1)
                                nc *= 2;
                        char *nb = realloc(c->body, nc);
                        if (!nb)
                                return MHD_NO;
                        c->body = nb;
                        c->cap = nc;
                }
                memcpy(c->body + c->len, upload_data, n);
                c->len += n;
                c->body[c->len] = '\0';
                return MHD_YES;
        }
        /* The whole body is here. */
        watch_set(s, conn, W_BUSY);
        if (c->too_big)
                return send_error(conn, c->route, 413, "too_large",
                                  "body: larger than the configured limit");
        if (!c->body) {
                c->body = strdup("");
                if (!c->body)
                        return MHD_NO;
        }
        switch (c->route) {
        case R_META:
                return do_meta(s, conn, c);
        case R_GOOGLE:
        case R_YOUTUBE:
                return do_pubsub(s, conn, c, c->route);
        case R_ALERTS:
                return do_alerts(s, conn, c);
        default:
                return send_error(conn, c->route, MHD_HTTP_NOT_FOUND, "not_found", "no such endpoint");
        }
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
        struct http_server *s = cls;
        struct req_ctx *c = *con_cls;
        if (c) {
                item_list_free(&c->l);
                free(c->res);
                free(c->body);
                free(c);
        }
        *con_cls = NULL;
        if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
                watch_set(s, conn, W_HEADERS);
}

struct http_server *http_start(const struct http_cfg *cfg, struct intake *in, char *err,
                               size_t errsz)
{
        struct http_server *s = calloc(1, sizeof(*s));
        if (!s) {
                snprintf(err, errsz, "out of memory");
                return NULL;
        }
        s->cfg = *cfg;
        s->in = in;
        pthread_mutex_init(&s->rl_mu, NULL);
        pthread_mutex_init(&s->w_mu, NULL);
        pthread_cond_init(&s->w_cv, NULL);
        unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                         MHD_ALLOW_SUSPEND_RESUME;
        bool tls = cfg->tls_cert_pem && cfg->tls_key_pem;
        if (tls)
                flags |= MHD_USE_TLS;
        struct sockaddr_in sa;
        memset(&sa, 0, sizeof(sa));
        sa.sin_family = AF_INET;
        sa.sin_port = htons((uint16_t)cfg->port);
        sa.sin_addr.s_addr = htonl(INADDR_ANY);
        if (cfg->bind && *cfg->bind && inet_pton(AF_INET, cfg->bind, &sa.sin_addr) != 1) {
                snprintf(err, errsz, "PRAHARI_INGEST_BIND: not an IPv4 address");
                free(s);
                return NULL;
        }
        struct MHD_OptionItem tls_opts[] = {
                {tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, (void *)cfg->tls_cert_pem},
                {tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, (void *)cfg->tls_key_pem},
                {MHD_OPTION_END, 0, NULL},
        };
        s->d = MHD_start_daemon(
                flags, (uint16_t)cfg->port, NULL, NULL, handler, s, MHD_OPTION_SOCK_ADDR, &sa,
                MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections,
                MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)cfg->max_connections_per_ip,
                MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->conn_timeout_s,
                MHD_OPTION_CONNECTION_MEMORY_LIMIT, cfg->max_header, MHD_OPTION_NOTIFY_COMPLETED,
                completed, s, MHD_OPTION_NOTIFY_CONNECTION, notify_conn, s,
                MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u, MHD_OPTION_THREAD_POOL_SIZE,
                (unsigned)(cfg->threads > 0 ? cfg->threads : 1), MHD_OPTION_ARRAY, tls_opts,
                MHD_OPTION_END);
        if (!s->d) {
                snprintf(err, errsz, "PRAHARI_INGEST_PORT: cannot listen on port %d%s", cfg->port,
                         tls ? " (or bad TLS certificate/key)" : "");
                pthread_mutex_destroy(&s->rl_mu);
                pthread_mutex_destroy(&s->w_mu);
                pthread_cond_destroy(&s->w_cv);
                free(s);
                return NULL;
        }
        if (cfg->request_timeout_ms > 0) {
                if (pthread_create(&s->w_thr, NULL, watchdog_main, s) != 0) {
                        snprintf(err, errsz, "cannot start the request-timeout thread");
                        MHD_stop_daemon(s->d);
                        pthread_mutex_destroy(&s->rl_mu);
                        pthread_mutex_destroy(&s->w_mu);
                        pthread_cond_destroy(&s->w_cv);
                        free(s);
                        return NULL;
                }
                s->w_started = true;
        }
        return s;
}

int http_port(const struct http_server *s)
{
        const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
        return info ? info->port : -1;
}

void http_stop(struct http_server *s, int grace_ms)
{
        if (!s)
                return;
        __atomic_store_n(&g_closing, true, __ATOMIC_RELAXED);
        MHD_quiesce_daemon(s->d); /* stop accepting */
        /* Let requests in flight finish (they may wait on the group commit);
         * idle keep-alive connections are cut when the grace period ends. */
        int64_t until = util_mono_us() + (int64_t)grace_ms * 1000;
        while (util_mono_us() < until) {
                const union MHD_DaemonInfo *info =
                        MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
                if (!info || info->num_connections == 0)
                        break;
                usleep(20 * 1000);
        }
        /* Requests waiting for their commit are suspended: the writer calls
         * back (or fails them) within the statement timeout; never stop the
         * daemon under them. */
        while (__atomic_load_n(&s->inflight, __ATOMIC_ACQUIRE) > 0)
                usleep(10 * 1000);
        if (s->w_started) {
                pthread_mutex_lock(&s->w_mu);
                s->w_stop = true;
                pthread_cond_signal(&s->w_cv);
                pthread_mutex_unlock(&s->w_mu);
                pthread_join(s->w_thr, NULL);
        }
        MHD_stop_daemon(s->d);
        pthread_mutex_destroy(&s->rl_mu);
        pthread_mutex_destroy(&s->w_mu);
        pthread_cond_destroy(&s->w_cv);
        free(s);
}
