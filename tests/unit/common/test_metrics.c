/* SPDX-License-Identifier: Apache-2.0 */
/* metrics.h: exact Prometheus text rendering of counters, gauges and
 * histograms, HELP/TYPE once per name, handle reuse, type clashes and
 * concurrent updates. */
#include "prahari/metrics.h"
#include "testutil.h"

#include <pthread.h>
#include <stdlib.h>

static int count_occurrences(const char *hay, const char *needle)
{
        int n = 0;
        for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
                n++;
        return n;
}

static void test_render_exact(void)
{
        metrics_reset();
        struct metric *ok = metrics_counter("prahari_test_total", "Things done.",
                                            "stage=\"enrich\",result=\"ok\"");
        struct metric *g = metrics_gauge("prahari_test_lag", "Lag\\in \"messages\"\nnow.", NULL);
        static const double b[] = {0.1, 0.5, 2};
        struct metric *h = metrics_histogram("prahari_test_seconds", "Latency.",
                                             "stage=\"enrich\"", b, 3);
        struct metric *bad = metrics_counter("prahari_test_total", "Things done.",
                                             "stage=\"enrich\",result=\"bad\"");
        CHECK(ok != NULL && g != NULL && h != NULL && bad != NULL && bad != ok);
        CHECK(metrics_counter("prahari_test_total", "x", "stage=\"enrich\",result=\"ok\"") == ok);

        metric_inc(ok, 1);
        metric_inc(ok, 2);
        metric_inc(ok, -5); /* counters never go down */
        metric_inc(bad, 1);
        metric_set(g, 17);
        metric_set(g, 12.5);
        metric_observe(h, 0.05);
        metric_observe(h, 0.1); /* le is inclusive */
        metric_observe(h, 0.3);
        metric_observe(h, 7);

        char *out = metrics_render();
        const char *want =
                "# HELP prahari_test_total Things done.\n"
                "# TYPE prahari_test_total counter\n"
                "prahari_test_total{stage=\"enrich\",result=\"ok\"} 3\n"
                "prahari_test_total{stage=\"enrich\",result=\"bad\"} 1\n"
                "# HELP prahari_test_lag Lag\\\\in \"messages\"\\nnow.\n"
                "# TYPE prahari_test_lag gauge\n"
                "prahari_test_lag 12.5\n"
                "# HELP prahari_test_seconds Latency.\n"
                "# TYPE prahari_test_seconds histogram\n"
                "prahari_test_seconds_bucket{stage=\"enrich\",le=\"0.1\"} 2\n"
                "prahari_test_seconds_bucket{stage=\"enrich\",le=\"0.5\"} 3\n"
                "prahari_test_seconds_bucket{stage=\"enrich\",le=\"2\"} 3\n"
                "prahari_test_seconds_bucket{stage=\"enrich\",le=\"+Inf\"} 4\n"
                "prahari_test_seconds_sum{stage=\"enrich\"} 7.4500000000000002\n"
                "prahari_test_seconds_count{stage=\"enrich\"} 4\n";
        CHECK_STR(out, want);
        free(out);
}

static void test_families_and_clash(void)
{
        metrics_reset();
        struct metric *a = metrics_counter("prahari_x_total", "X.", "k=\"a\"");
        struct metric *y = metrics_gauge("prahari_y", "Y.", NULL);
        struct metric *b2 = metrics_counter("prahari_x_total", "X.", "k=\"b\"");
        struct metric *clash = metrics_gauge("prahari_x_total", "X as gauge.", "k=\"c\"");
        metric_inc(a, 1);
        metric_inc(b2, 2);
        metric_set(y, 3);
        metric_set(clash, 99); /* goes nowhere */
        struct metric *h = metrics_histogram("prahari_lat_seconds", "L.", NULL, NULL, 0);
        metric_observe(h, 0.0004);
        metric_observe(h, 20);
        char *out = metrics_render();
        CHECK(out != NULL);
        CHECK_INT(count_occurrences(out, "# HELP prahari_x_total"), 1);
        CHECK_INT(count_occurrences(out, "# TYPE prahari_x_total counter"), 1);
        CHECK(strstr(out, "prahari_x_total{k=\"a\"} 1\nprahari_x_total{k=\"b\"} 2\n") != NULL);
        CHECK(strstr(out, "k=\"c\"") == NULL);
        CHECK(strstr(out, "X as gauge") == NULL);
        /* default buckets: 0.0005 .. 10 */
        CHECK(strstr(out, "prahari_lat_seconds_bucket{le=\"0.0005\"} 1\n") != NULL);
        CHECK(strstr(out, "prahari_lat_seconds_bucket{le=\"10\"} 1\n") != NULL);
        CHECK(strstr(out, "prahari_lat_seconds_bucket{le=\"+Inf\"} 2\n") != NULL);
        CHECK(strstr(out, "prahari_lat_seconds_count 2\n") != NULL);
        CHECK_INT(count_occurrences(out, "prahari_lat_seconds_bucket"), 15);
        free(out);
}

static struct metric *g_shared;

static void *worker(void *arg)
{
        (void)arg;
        for (int i = 0; i < 20000; i++)
                metric_inc(g_shared, 1);
        return NULL;
}

static void test_threads(void)
{
        metrics_reset();
        g_shared = metrics_counter("prahari_threads_total", "T.", NULL);
        pthread_t t[4];
        for (int i = 0; i < 4; i++)
                pthread_create(&t[i], NULL, worker, NULL);
        for (int i = 0; i < 4; i++)
                pthread_join(t[i], NULL);
        char *out = metrics_render();
        CHECK(strstr(out, "prahari_threads_total 80000\n") != NULL);
        free(out);
        metrics_reset();
}

int main(void)
{
        test_render_exact();
        test_families_and_clash();
        test_threads();
        return test_summary("common_metrics");
}
