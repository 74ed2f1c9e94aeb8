/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file http.h
 * @brief The public HTTP server of prahari-ingest (edge, libmicrohttpd):
 *        POST/GET /v1/intake/meta, POST /v1/intake/google, /youtube, /alerts
 *        with the statuses and bodies of ../shared/spec/intake-v1.md.
 */
#ifndef PRAHARI_INGEST_HTTP_H
#define PRAHARI_INGEST_HTTP_H
#include <stddef.h>

#include "intake.h"
#include "oidc.h"
#include "partner.h"

struct http_cfg {
        const char *bind;            /* listen address, NULL: all */
        int port;
        size_t max_body;             /* bytes; 413 beyond */
        size_t max_header;           /* MHD connection memory (headers), bytes */
        int max_connections;
        int threads;                 /* event-loop threads (thread pool), >= 1 */
        int max_connections_per_ip;  /* 0: no per-address limit */
        int conn_timeout_s;          /* idle timeout per connection */
        int request_timeout_ms;      /* whole request (slow senders are cut) */
        double rate_per_s, rate_burst; /* per-partner token bucket */
        const char *meta_app_secret;
        const char *meta_verify_token;
        const struct partner_keys *partner_keys; /* NULL: /alerts answers 401 */
        const struct oidc_jwks *jwks;            /* NULL: no bearer tokens */
        const char *google_audience, *youtube_audience, *service_account;
        const char *google_push_token, *youtube_push_token; /* weaker ?token= */
        const char *tls_cert_pem, *tls_key_pem; /* both set: HTTPS */
};

struct http_server;

/**
 * @brief Start serving: a pool of epoll event-loop threads; a request
 * waiting for the group commit is suspended and holds no thread (the writer's
 * callback resumes it). @p cfg strings and tables are borrowed for the server's life.
 * @returns NULL with @p err.
 */
struct http_server *http_start(const struct http_cfg *cfg, struct intake *in, char *err,
                               size_t errsz);

/** @brief The bound port (useful when cfg.port was 0). */
int http_port(const struct http_server *s);

/**
 * @brief Stop accepting new connections, let requests in flight finish (up to
 * @p grace_ms; answers from now on carry Connection: close), stop.
 * NULL is a no-op.
 */
void http_stop(struct http_server *s, int grace_ms);

#endif
