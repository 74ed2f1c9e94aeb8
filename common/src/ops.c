/* SPDX-License-Identifier: Apache-2.0 */
/* The operations HTTP server every service runs (libmicrohttpd, one internal
 * polling thread): GET /healthz, GET /readyz (asks the service's callback),
 * GET /metrics (the metrics.h registry in Prometheus text format). */
#include "prahari/ops.h"
#include "prahari/log.h"
#include "prahari/metrics.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

struct ops_server {
        struct MHD_Daemon *d;
        ops_ready_cb ready;
        void *ctx;
        int port;
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *ctype,
                             char *body, enum MHD_ResponseMemoryMode mode)
{
        struct MHD_Response *r =
                MHD_create_response_from_buffer(strlen(body), body, mode);
        if (!r) {
                if (mode == MHD_RESPMEM_MUST_FREE)
                        free(body);
                return MHD_NO;
        }
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
        enum MHD_Result ret = MHD_queue_response(conn, status, r);
        MHD_destroy_response(r);
        return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *upload_data,
                               size_t *upload_data_size, void **req_cls)
{
        (void)version;
        (void)upload_data;
        struct ops_server *s = cls;
        static int first_call_marker;
        if (*req_cls == NULL) { /* headers only so far; answer on the next call */
                *req_cls = &first_call_marker;
                return MHD_YES;
        }
        if (*upload_data_size != 0) { /* ignore any body */
                *upload_data_size = 0;
                return MHD_YES;
        }
        static const char text[] = "text/plain; charset=utf-8";
        if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
                return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, text, "method not allowed\n",
                             MHD_RESPMEM_PERSISTENT);
        if (strcmp(url, "/healthz") == 0)
                return reply(conn, MHD_HTTP_OK, text, "ok\n", MHD_RESPMEM_PERSISTENT);
        if (strcmp(url, "/readyz") == 0) {
                bool ready = s->ready ? s->ready(s->ctx) : true;
                return ready ? reply(conn, MHD_HTTP_OK, text, "ready\n", MHD_RESPMEM_PERSISTENT)
                             : reply(conn, MHD_HTTP_SERVICE_UNAVAILABLE, text, "not ready\n",
                                     MHD_RESPMEM_PERSISTENT);
        }
        if (strcmp(url, "/metrics") == 0) {
                char *body = metrics_render();
                if (!body)
                        return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, text,
                                     "out of memory\n", MHD_RESPMEM_PERSISTENT);
                return reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
                             body, MHD_RESPMEM_MUST_FREE);
        }
        return reply(conn, MHD_HTTP_NOT_FOUND, text, "not found\n", MHD_RESPMEM_PERSISTENT);
}

struct ops_server *ops_start(int port, ops_ready_cb ready, void *ctx, char *err, size_t errsz)
{
        const char *bind = getenv("PRAHARI_OPS_BIND");
        if (!bind || !*bind)
                bind = "0.0.0.0";
        struct sockaddr_storage ss;
        memset(&ss, 0, sizeof ss);
        unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
        if (port < 0 || port > 65535) {
                snprintf(err, errsz, "ops: port %d out of range", port);
                return NULL;
        }
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
        if (inet_pton(AF_INET, bind, &sin->sin_addr) == 1) {
                sin->sin_family = AF_INET;
                sin->sin_port = htons((uint16_t)port);
        } else if (inet_pton(AF_INET6, bind, &sin6->sin6_addr) == 1) {
                sin6->sin6_family = AF_INET6;
                sin6->sin6_port = htons((uint16_t)port);
                flags |= MHD_USE_IPv6;
        } else {
                snprintf(err, errsz, "PRAHARI_OPS_BIND: '%s' is not an IP address", bind);
                return NULL;
        }
        struct ops_server *s = calloc(1, sizeof *s);
        if (!s) {
                snprintf(err, errsz, "ops: out of memory");
                return NULL;
        }
        s->ready = ready;
        s->ctx = ctx;
        s->d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, handler, s,
                                MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                                MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
                                MHD_OPTION_CONNECTION_LIMIT, (unsigned)64, MHD_OPTION_END);
        if (!s->d) {
                snprintf(err, errsz, "ops: cannot listen on %s:%d", bind, port);
                free(s);
                return NULL;
        }
        const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
        s->port = info ? (int)info->port : port;
        log_info("ops: listening on %s:%d (/healthz /readyz /metrics)", bind, s->port);
        return s;
}

int ops_port(const struct ops_server *s)
{
        return s ? s->port : 0;
}

void ops_stop(struct ops_server *s)
{
        if (!s)
                return;
        MHD_stop_daemon(s->d);
        free(s);
}
