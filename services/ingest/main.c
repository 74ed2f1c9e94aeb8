/* SPDX-License-Identifier: Apache-2.0 */
/* prahari-ingest: wiring only. Configuration, logging, signals, the Kafka
 * producer, the outbox/reconciler thread, the group-commit writer, the public
 * HTTP server, the e-mail poller (when configured) and the ops server; torn
 * down in reverse order on SIGTERM/SIGINT. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http.h"
#include "oidc.h"
#include "outbox.h"
#include "partner.h"
#include "prahari/cfg.h"
#include "prahari/kafka.h"
#include "prahari/log.h"
#include "prahari/ops.h"
#include "prahari/pg.h"
#include "prahari/sig.h"
#include "prahari/util.h"
#include "store.h"
#include "writer.h"
#ifdef PRAHARI_INGEST_WITH_MAIL
#include "mail_intake.h"
#endif

struct ingest_cfg {
        int port;
        char *bind;
        int ops_port;
        char *meta_app_secret;
        char *meta_verify_token;
        char *partner_keys_file;
        char *jwks_file;
        char *google_audience;
        char *youtube_audience;
        char *service_account;
        char *google_push_token;
        char *youtube_push_token;
        long max_body;
        long max_header;
        long max_connections;
        long max_connections_per_ip;
        long conn_timeout_s;
        long request_timeout_ms;
        double rate_per_s;
        double rate_burst;
        long batch_max;
        long writers;
        long http_threads;
        char *topic;
        long reconcile_interval_ms;
        long reconcile_after_ms;
        long reconcile_max_ms;
        long publish_timeout_ms;
        char *tls_cert_file;
        char *tls_key_file;
};

#define O(f) offsetof(struct ingest_cfg, f)
static const struct cfg_item ITEMS[] = {
        {"PRAHARI_INGEST_PORT", CFG_PORT, O(port), "8080", 0, 0, 0, "public HTTP port of the ways in"},
        {"PRAHARI_INGEST_BIND", CFG_STR, O(bind), "0.0.0.0", 0, 0, 0, "IPv4 address to listen on"},
        {"PRAHARI_INGEST_OPS_PORT", CFG_PORT, O(ops_port), "9101", 0, 0, 0, "/healthz /readyz /metrics port"},
        {"PRAHARI_META_APP_SECRET", CFG_STR, O(meta_app_secret), NULL, CFG_SECRET, 0, 0,
         "Meta app secret for X-Hub-Signature-256 (unset: /meta answers 401)"},
        {"PRAHARI_META_VERIFY_TOKEN", CFG_STR, O(meta_verify_token), NULL, CFG_SECRET, 0, 0,
         "token of Meta's subscription check (GET /v1/intake/meta)"},
        {"PRAHARI_PARTNER_KEYS_FILE", CFG_STR, O(partner_keys_file), NULL, 0, 0, 0,
         "JSON object partner -> HMAC key for POST /v1/intake/alerts (unset: 401)"},
        {"PRAHARI_GOOGLE_JWKS_FILE", CFG_STR, O(jwks_file), NULL, 0, 0, 0,
         "JWKS with Google's RSA keys for Pub/Sub OIDC tokens (unset: no bearer tokens)"},
        {"PRAHARI_GOOGLE_AUDIENCE", CFG_STR, O(google_audience), NULL, 0, 0, 0,
         "aud the tokens at /v1/intake/google must carry"},
        {"PRAHARI_YOUTUBE_AUDIENCE", CFG_STR, O(youtube_audience), NULL, 0, 0, 0,
         "aud the tokens at /v1/intake/youtube must carry"},
        {"PRAHARI_GOOGLE_SERVICE_ACCOUNT", CFG_STR, O(service_account), NULL, 0, 0, 0,
         "email the push tokens must carry (with email_verified true)"},
        {"PRAHARI_GOOGLE_PUSH_TOKEN", CFG_STR, O(google_push_token), NULL, CFG_SECRET, 0, 0,
         "weaker option: secret ?token= accepted at /v1/intake/google"},
        {"PRAHARI_YOUTUBE_PUSH_TOKEN", CFG_STR, O(youtube_push_token), NULL, CFG_SECRET, 0, 0,
         "weaker option: secret ?token= accepted at /v1/intake/youtube"},
        {"PRAHARI_INGEST_MAX_BODY", CFG_INT, O(max_body), "1048576", 0, 1024, 67108864,
         "largest request body in bytes (413 beyond)"},
        {"PRAHARI_INGEST_MAX_HEADER_BYTES", CFG_INT, O(max_header), "32768", 0, 4096, 1048576,
         "memory per connection for the request line and headers (431 beyond)"},
        {"PRAHARI_INGEST_MAX_CONNECTIONS", CFG_INT, O(max_connections), "512", 0, 1, 65535,
         "concurrent connections (served by the PRAHARI_INGEST_HTTP_THREADS event loops)"},
        {"PRAHARI_INGEST_MAX_CONNECTIONS_PER_IP", CFG_INT, O(max_connections_per_ip), "0", 0, 0,
         65535, "concurrent connections from one address (0: no limit; keep 0 behind an ingress)"},
        {"PRAHARI_INGEST_CONN_TIMEOUT_S", CFG_INT, O(conn_timeout_s), "10", 0, 1, 3600,
         "idle seconds before a connection is closed"},
        {"PRAHARI_INGEST_REQUEST_TIMEOUT_MS", CFG_INT, O(request_timeout_ms), "15000", 0, 100,
         3600000, "longest time to receive one request body (slow senders are cut)"},
        {"PRAHARI_INGEST_RATE_PER_S", CFG_DOUBLE, O(rate_per_s), "100", 0, 0, 1e9,
         "requests per second per partner (token bucket refill; 0 = no limit)"},
        {"PRAHARI_INGEST_RATE_BURST", CFG_DOUBLE, O(rate_burst), "500", 0, 1, 1e9,
         "token bucket size per partner"},
        {"PRAHARI_INGEST_BATCH_MAX", CFG_INT, O(batch_max), "1000", 0, 1, 100000,
         "most items committed in one group-commit transaction"},
        {"PRAHARI_INGEST_WRITERS", CFG_INT, O(writers), "2", 0, 1, 16,
         "writer threads (PostgreSQL sessions) taking group-commit batches"},
        {"PRAHARI_INGEST_HTTP_THREADS", CFG_INT, O(http_threads), "2", 0, 1, 64,
         "HTTP event-loop threads (epoll); a request waiting for its commit holds none"},
        {"PRAHARI_TOPIC_NORMALIZED", CFG_STR, O(topic), "prahari.alerts.normalized.v1", 0, 0, 0,
         "topic of normalized alerts"},
        {"PRAHARI_RECONCILE_INTERVAL_MS", CFG_INT, O(reconcile_interval_ms), "2000", 0, 100,
         3600000, "how often the reconciler looks for alerts not seen downstream"},
        {"PRAHARI_RECONCILE_AFTER_MS", CFG_INT, O(reconcile_after_ms), "5000", 0, 100, 86400000,
         "republish an alert not seen downstream this long after its last publish"},
        {"PRAHARI_RECONCILE_MAX_MS", CFG_INT, O(reconcile_max_ms), "300000", 0, 100, 86400000,
         "longest wait between two republishes of one revision (the wait doubles each time)"},
        {"PRAHARI_INGEST_PUBLISH_TIMEOUT_MS", CFG_INT, O(publish_timeout_ms), "10000", 0, 1000,
         900000, "broker acknowledgement timeout (sets KAFKA_MESSAGE_TIMEOUT_MS unless given)"},
        {"PRAHARI_INGEST_TLS_CERT_FILE", CFG_STR, O(tls_cert_file), NULL, 0, 0, 0,
         "PEM certificate: serve HTTPS (with PRAHARI_INGEST_TLS_KEY_FILE)"},
        {"PRAHARI_INGEST_TLS_KEY_FILE", CFG_STR, O(tls_key_file), NULL, 0, 0, 0,
         "PEM private key for HTTPS"},
};
#undef O
#define NITEMS (sizeof(ITEMS) / sizeof(ITEMS[0]))

struct app {
        struct kq_producer *prod;
        struct intake *in;
        struct outbox *ob;
};

static bool ready_cb(void *ctx)
{
        struct app *a = ctx;
        return a->in && intake_db_ok(a->in) && outbox_db_ok(a->ob) && kq_producer_ready(a->prod);
}

/* Read a whole file named by variable @p var; exits with status 2 on error. */
static char *must_read(const char *var, const char *path, size_t *len)
{
        char *s = util_read_file(path, len);
        if (!s) {
                log_error("%s: cannot read %s", var, path);
                exit(2);
        }
        return s;
}

int main(int argc, char **argv)
{
        struct ingest_cfg cfg;
        char err[512];
        memset(&cfg, 0, sizeof(cfg));
        log_init("ingest");
        if (argc > 1 && strcmp(argv[1], "--help") == 0) {
                cfg_print_help(ITEMS, NITEMS);
                return 0;
        }
        if (cfg_load(ITEMS, NITEMS, &cfg, err, sizeof(err)) != 0) {
                log_error("%s", err);
                return 2;
        }
        cfg_log(ITEMS, NITEMS, &cfg);
        if ((cfg.tls_cert_file == NULL) != (cfg.tls_key_file == NULL)) {
                log_error("PRAHARI_INGEST_TLS_CERT_FILE and PRAHARI_INGEST_TLS_KEY_FILE: set both or neither");
                return 2;
        }
        if (cfg.jwks_file && (!cfg.google_audience || !cfg.youtube_audience || !cfg.service_account)) {
                log_error("PRAHARI_GOOGLE_JWKS_FILE is set: PRAHARI_GOOGLE_AUDIENCE, PRAHARI_YOUTUBE_AUDIENCE and PRAHARI_GOOGLE_SERVICE_ACCOUNT are required");
                return 2;
        }
        size_t len;
        struct partner_keys *keys = NULL;
        if (cfg.partner_keys_file) {
                char *txt = must_read("PRAHARI_PARTNER_KEYS_FILE", cfg.partner_keys_file, &len);
                keys = partner_keys_parse(txt, len, err, sizeof(err));
                free(txt);
                if (!keys) {
                        log_error("PRAHARI_PARTNER_KEYS_FILE: %s", err);
                        return 2;
                }
        }
        struct oidc_jwks *jwks = NULL;
        if (cfg.jwks_file) {
                char *txt = must_read("PRAHARI_GOOGLE_JWKS_FILE", cfg.jwks_file, &len);
                jwks = oidc_jwks_parse(txt, len, err, sizeof(err));
                free(txt);
                if (!jwks) {
                        log_error("PRAHARI_GOOGLE_JWKS_FILE: %s", err);
                        return 2;
                }
        }
        char *cert = cfg.tls_cert_file ? must_read("PRAHARI_INGEST_TLS_CERT_FILE", cfg.tls_cert_file, &len) : NULL;
        char *key = cfg.tls_key_file ? must_read("PRAHARI_INGEST_TLS_KEY_FILE", cfg.tls_key_file, &len) : NULL;
        char tmo[24];
        snprintf(tmo, sizeof(tmo), "%ld", cfg.publish_timeout_ms);
        setenv("KAFKA_MESSAGE_TIMEOUT_MS", tmo, 0); /* an explicit setting wins */
        store_set_republish_after((int)cfg.reconcile_after_ms);
        sig_install();

        int rc = 1;
        struct app app = {0};
        struct http_server *http = NULL;
        struct ops_server *ops = NULL;
#ifdef PRAHARI_INGEST_WITH_MAIL
        struct mail_poller *mail = NULL;
#endif
        app.prod = kq_producer_new("prahari-ingest", err, sizeof(err));
        if (!app.prod) {
                log_error("%s", err);
                goto out;
        }
        struct outbox_cfg ocfg = {cfg.topic, (int)cfg.reconcile_interval_ms,
                                  (int)cfg.reconcile_after_ms, 500, (int)cfg.reconcile_max_ms};
        app.ob = outbox_new(app.prod, &ocfg, err, sizeof(err));
        if (!app.ob) {
                log_error("%s", err);
                goto out;
        }
        app.in = intake_new((int)cfg.batch_max, (int)cfg.writers, app.ob, err, sizeof(err));
        if (!app.in) {
                log_error("%s", err);
                goto out;
        }
        ops = ops_start(cfg.ops_port, ready_cb, &app, err, sizeof(err));
        if (!ops) {
                log_error("PRAHARI_INGEST_OPS_PORT: %s", err);
                goto out;
        }
        struct http_cfg hc = {
                .bind = cfg.bind,
                .port = cfg.port,
                .max_body = (size_t)cfg.max_body,
                .max_header = (size_t)cfg.max_header,
                .max_connections = (int)cfg.max_connections,
                .threads = (int)cfg.http_threads,
                .max_connections_per_ip = (int)cfg.max_connections_per_ip,
                .conn_timeout_s = (int)cfg.conn_timeout_s,
                .request_timeout_ms = (int)cfg.request_timeout_ms,
                .rate_per_s = cfg.rate_per_s,
                .rate_burst = cfg.rate_burst,
                .meta_app_secret = cfg.meta_app_secret,
                .meta_verify_token = cfg.meta_verify_token,
                .partner_keys = keys,
                .jwks = jwks,
                .google_audience = cfg.google_audience,
                .youtube_audience = cfg.youtube_audience,
                .service_account = cfg.service_account,
                .google_push_token = cfg.google_push_token,
                .youtube_push_token = cfg.youtube_push_token,
                .tls_cert_pem = cert,
                .tls_key_pem = key,
        };
        http = http_start(&hc, app.in, err, sizeof(err));
        if (!http) {
                log_error("%s", err);
                goto out;
        }
#ifdef PRAHARI_INGEST_WITH_MAIL
        if (mail_intake_start(app.in, &mail, err, sizeof(err)) < 0) {
                log_error("%s", err);
                rc = 2; /* a configuration error, like cfg_load's */
                goto out;
        }
#endif
        log_info("up: HTTP on %s:%d%s, ops on %d, %zu canonical partner(s), OIDC %s", cfg.bind,
                 cfg.port, cert ? " (TLS)" : "", cfg.ops_port, partner_keys_count(keys),
                 jwks ? "on" : "off");
        while (!sig_stop_requested())
                usleep(100 * 1000);
        log_info("stopping: no new connections; finishing requests in flight");
        rc = 0;
out:
#ifdef PRAHARI_INGEST_WITH_MAIL
        mail_intake_stop(mail); /* before the writer goes */
#endif
        http_stop(http, 5000);    /* in-flight requests finish (they wait on the writer) */
        intake_destroy(app.in);   /* commits what is queued */
        outbox_destroy(app.ob, 5000); /* produces and records acknowledgements */
        ops_stop(ops);
        kq_producer_destroy(app.prod);
        oidc_jwks_free(jwks);
        partner_keys_free(keys);
        free(cert);
        free(key);
        cfg_free(ITEMS, NITEMS, &cfg);
        log_info("stopped");
        return rc;
}
