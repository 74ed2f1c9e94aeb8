/* SPDX-License-Identifier: Apache-2.0 */
/* prahari-ingest-bench: drive POST /v1/intake/meta over loopback with many
 * keep-alive connections (one thread each), every delivery signed and every
 * report id new, and report accepted alerts per second and the p50/p99/max
 * latency of the 202 (which ingest sends only after the durable commit).
 * A benchmark to run by hand, not a test.
 *
 * Usage: prahari-ingest-bench [-h host] [-p port] [-c connections]
 *        [-n requests per connection] [-r reports per request] [-s app secret]
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "prahari/cfg.h"
#include "prahari/util.h"

struct opts {
        const char *host;
        int port;
        long conns, per_conn, reports;
        const char *secret;
        long run_id;
};

struct worker {
        const struct opts *o;
        int idx;
        int64_t *lat_us; /* per request */
        long ok, fail, alerts;
};

static int connect_to(const struct opts *o)
{
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)o->port)};
        inet_pton(AF_INET, o->host, &sa.sin_addr);
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
                close(fd);
                return -1;
        }
        return fd;
}

/* Read one response; @returns the status or -1. */
static int read_response(int fd, char *buf, size_t bufsz)
{
        size_t got = 0;
        char *end = NULL;
        while (!end) {
                ssize_t n = read(fd, buf + got, bufsz - 1 - got);
                if (n <= 0)
                        return -1;
                got += (size_t)n;
                buf[got] = '\0';
                end = strstr(buf, "\r\n\r\n");
        }
        long clen = 0;
        char *cl = strcasestr(buf, "Content-Length:");
        if (cl)
                clen = strtol(cl + 15, NULL, 10); /* strtol skips the leading spaces */
        size_t have = got - (size_t)(end + 4 - buf);
        while ((long)have < clen) {
                ssize_t n = read(fd, buf, bufsz - 1);
                if (n <= 0)
                        return -1;
                have += (size_t)n;
        }
        return (int)strtol(buf + 9, NULL, 10);
}

static void *run(void *arg)
{
        struct worker *w = arg;
        const struct opts *o = w->o;
        size_t cap = 1024 + (size_t)o->reports * 700;
        char *body = malloc(cap), *req = malloc(cap + 512), resp[8192];
        int fd = connect_to(o);
        for (long i = 0; i < o->per_conn && fd >= 0; i++) {
                size_t off = (size_t)snprintf(body, cap,
                                              "{\"object\":\"safety_report\",\"entry\":[{\"id\":\"1\","
                                              "\"time\":1764752710,\"changes\":[");
                for (long r = 0; r < o->reports; r++)
                        off += (size_t)snprintf(
                                body + off, cap - off,
                                "%s{\"field\":\"imminent_harm_report\",\"value\":{\"report_id\":"
                                "\"BENCH-%ld-%d-%ld-%ld\",\"platform\":\"facebook\",\"risk_level\":"
                                "\"high\",\"category\":\"suicide\",\"detected_time\":1764752700,"
                                "\"account\":{\"id\":\"17841400000000001\"},\"content\":{\"type\":"
                                "\"post\",\"text\":\"benchmark\"},\"signals\":{\"device_location\":"
                                "{\"latitude\":25.142,\"longitude\":75.845,\"accuracy_meters\":35,"
                                "\"captured_time\":1764752400}}}}",
                                r ? "," : "", o->run_id, w->idx, i, r);
                off += (size_t)snprintf(body + off, cap - off, "]}]}");
                unsigned char mac[32];
                char hex[65];
                util_hmac_sha256(o->secret, strlen(o->secret), body, off, mac);
                util_hex(mac, 32, hex);
                int rl = snprintf(req, cap + 512,
                                  "POST /v1/intake/meta HTTP/1.1\r\nHost: bench\r\n"
                                  "Content-Type: application/json\r\nX-Hub-Signature-256: sha256=%s\r\n"
                                  "Content-Length: %zu\r\n\r\n%s",
                                  hex, off, body);
                int64_t t0 = util_mono_us();
                if (write(fd, req, (size_t)rl) != rl) {
                        w->fail++;
                        break;
                }
                int st = read_response(fd, resp, sizeof(resp));
                w->lat_us[i] = util_mono_us() - t0;
                if (st == 202) {
                        w->ok++;
                        w->alerts += o->reports;
                } else {
                        w->fail++;
                        if (st < 0) {
                                close(fd);
                                fd = connect_to(o);
                        }
                }
        }
        if (fd >= 0)
                close(fd);
        free(body);
        free(req);
        return NULL;
}

static int cmp64(const void *a, const void *b)
{
        int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
        return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
        struct opts o = {"127.0.0.1", 8080, 64, 200, 1, "test-meta-app-secret-7f3c", 0};
        o.run_id = util_now_us() / 1000;
        int c;
        long port = 8080;
        while ((c = getopt(argc, argv, "h:p:c:n:r:s:")) != -1) {
                long *dst = c == 'p' ? &port : c == 'c' ? &o.conns : c == 'n' ? &o.per_conn
                                                    : c == 'r' ? &o.reports : NULL;
                if (c == 'h')
                        o.host = optarg;
                else if (c == 's')
                        o.secret = optarg;
                else if (!dst || cfg_parse_long(optarg, 1, 1000000, dst) != 0) {
                        fprintf(stderr, "usage: %s [-h host] [-p port] [-c conns] [-n requests/conn] "
                                        "[-r reports/request] [-s secret]\n", argv[0]);
                        return 2;
                }
        }
        o.port = (int)port;
        struct worker *w = calloc((size_t)o.conns, sizeof(*w));
        pthread_t *th = calloc((size_t)o.conns, sizeof(*th));
        int64_t t0 = util_mono_us();
        for (long i = 0; i < o.conns; i++) {
                w[i].o = &o;
                w[i].idx = (int)i;
                w[i].lat_us = calloc((size_t)o.per_conn, sizeof(int64_t));
                pthread_create(&th[i], NULL, run, &w[i]);
        }
        long ok = 0, fail = 0, alerts = 0;
        for (long i = 0; i < o.conns; i++) {
                pthread_join(th[i], NULL);
                ok += w[i].ok;
                fail += w[i].fail;
                alerts += w[i].alerts;
        }
        double secs = (double)(util_mono_us() - t0) / 1e6;
        size_t n = (size_t)(o.conns * o.per_conn), k = 0;
        int64_t *all = calloc(n, sizeof(int64_t));
        for (long i = 0; i < o.conns; i++)
                for (long j = 0; j < w[i].ok + w[i].fail && j < o.per_conn; j++)
                        all[k++] = w[i].lat_us[j];
        qsort(all, k, sizeof(int64_t), cmp64);
        printf("connections %ld, reports/request %ld: %ld requests 202, %ld failed in %.2f s\n",
               o.conns, o.reports, ok, fail, secs);
        printf("accepted alerts/s %.0f, requests/s %.0f\n", (double)alerts / secs, (double)ok / secs);
        if (k)
                printf("latency of the 202: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
                       (double)all[k / 2] / 1000, (double)all[(k * 99) / 100] / 1000,
                       (double)all[k - 1] / 1000);
        for (long i = 0; i < o.conns; i++)
                free(w[i].lat_us);
        free(all);
        free(w);
        free(th);
        return fail ? 1 : 0;
}
