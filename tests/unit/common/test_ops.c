/* SPDX-License-Identifier: Apache-2.0 */
/* ops.h: start the ops server on an ephemeral loopback port and ask it over
 * real HTTP (libcurl): /healthz, /readyz following the callback, /metrics in
 * the Prometheus text format, 404 and 405. */
#include "prahari/metrics.h"
#include "prahari/ops.h"
#include "testutil.h"

#include <curl/curl.h>
#include <stdatomic.h>
#include <stdlib.h>

static atomic_int g_ready;

static bool ready_cb(void *ctx)
{
        CHECK(ctx == &g_ready);
        return atomic_load(&g_ready) != 0;
}

struct body {
        char buf[65536];
        size_t len;
};

static size_t on_data(char *p, size_t sz, size_t n, void *ud)
{
        struct body *b = ud;
        size_t k = sz * n;
        if (b->len + k >= sizeof b->buf)
                k = sizeof b->buf - 1 - b->len;
        memcpy(b->buf + b->len, p, k);
        b->len += k;
        b->buf[b->len] = '\0';
        return sz * n;
}

static long get(int port, const char *path, const char *method, struct body *b, char *ctype,
                size_t ctsz)
{
        char url[128];
        snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
        CURL *c = curl_easy_init();
        b->len = 0;
        b->buf[0] = '\0';
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
        if (method)
                curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        long code = -1;
        if (curl_easy_perform(c) == CURLE_OK) {
                curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
                char *ct = NULL;
                curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
                snprintf(ctype, ctsz, "%s", ct ? ct : "");
        }
        curl_easy_cleanup(c);
        return code;
}

int main(void)
{
        curl_global_init(CURL_GLOBAL_DEFAULT);
        setenv("PRAHARI_OPS_BIND", "127.0.0.1", 1);
        char err[256] = "";
        struct ops_server *s = ops_start(0, ready_cb, &g_ready, err, sizeof err);
        CHECK_MSG(s != NULL, "%s", err);
        if (!s)
                return test_summary("common_ops");
        int port = ops_port(s);
        CHECK(port > 0);
        struct metric *m = metrics_counter("prahari_ops_test_total", "Ops test.", "k=\"v\"");
        metric_inc(m, 41);
        metric_inc(m, 1);

        static struct body b;
        char ct[128];
        CHECK_INT(get(port, "/healthz", NULL, &b, ct, sizeof ct), 200);
        CHECK_STR(b.buf, "ok\n");
        CHECK_INT(get(port, "/readyz", NULL, &b, ct, sizeof ct), 503);
        atomic_store(&g_ready, 1);
        CHECK_INT(get(port, "/readyz", NULL, &b, ct, sizeof ct), 200);
        CHECK_INT(get(port, "/metrics", NULL, &b, ct, sizeof ct), 200);
        CHECK(strncmp(ct, "text/plain; version=0.0.4", 25) == 0);
        CHECK(strstr(b.buf, "# TYPE prahari_ops_test_total counter\n") != NULL);
        CHECK(strstr(b.buf, "prahari_ops_test_total{k=\"v\"} 42\n") != NULL);
        CHECK_INT(get(port, "/nope", NULL, &b, ct, sizeof ct), 404);
        CHECK_INT(get(port, "/healthz", "POST", &b, ct, sizeof ct), 405);

        /* The same port cannot be taken twice; the error names the address. */
        struct ops_server *s2 = ops_start(port, NULL, NULL, err, sizeof err);
        CHECK(s2 == NULL);
        CHECK(strstr(err, "127.0.0.1") != NULL);
        ops_stop(s2);

        setenv("PRAHARI_OPS_BIND", "not-an-ip", 1);
        CHECK(ops_start(0, NULL, NULL, err, sizeof err) == NULL);
        CHECK(strstr(err, "PRAHARI_OPS_BIND") != NULL);

        ops_stop(s);
        CHECK_INT(get(port, "/healthz", NULL, &b, ct, sizeof ct), -1); /* stopped */
        curl_global_cleanup();
        return test_summary("common_ops");
}
