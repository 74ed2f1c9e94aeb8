/* SPDX-License-Identifier: Apache-2.0 */
/* kafka.h and stage.h against librdkafka's in-process mock cluster (real
 * Kafka protocol, no broker to install): synchronous and asynchronous
 * produce, headers, store + close + reopen resumes after the stored offset,
 * rewind redelivers, lag; then stage_run forwarding, retrying, skipping,
 * dead-lettering and surviving a failed produce, stopped by
 * sig_request_stop(). */
#include "prahari/kafka.h"
#include "prahari/log.h"
#include "prahari/metrics.h"
#include "prahari/sig.h"
#include "prahari/stage.h"
#include "prahari/util.h"
#include "testutil.h"

#include <ctype.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#define PRODUCE_API_KEY 0 /* Kafka protocol ApiKey of ProduceRequest */

static rd_kafka_t *g_mrk;
static rd_kafka_mock_cluster_t *g_mc;

static int setup_cluster(void)
{
        char e[512];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "log_level", "3", e, sizeof e);
        g_mrk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof e);
        if (!g_mrk)
                return -1;
        g_mc = rd_kafka_mock_cluster_new(g_mrk, 1);
        if (!g_mc)
                return -1;
        static const char *const topics[] = {"t.in", "t.async", "t.lat", "s.in", "s.out", "s.dlq"};
        for (size_t i = 0; i < sizeof topics / sizeof topics[0]; i++)
                if (rd_kafka_mock_topic_create(g_mc, topics[i], 1, 1))
                        return -1;
        setenv("KAFKA_BOOTSTRAP_SERVERS", rd_kafka_mock_cluster_bootstraps(g_mc), 1);
        return 0;
}

/* Poll until one message arrives or @p ms pass. */
static int poll_one(struct kq_consumer *c, int ms, struct kq_msg *m)
{
        int64_t end = util_mono_us() + (int64_t)ms * 1000;
        while (util_mono_us() < end) {
                int r = kq_consumer_poll(c, 100, m);
                if (r == 1)
                        return 1;
        }
        return 0;
}

static void test_produce_consume_resume(void)
{
        char err[512] = "";
        struct kq_producer *p = kq_producer_new("test-producer", err, sizeof err);
        CHECK_MSG(p != NULL, "%s", err);
        if (!p)
                return;
        char tp[64];
        kq_traceparent_new(tp, sizeof tp);
        CHECK_INT(strlen(tp), 55);
        CHECK(strncmp(tp, "00-", 3) == 0 && tp[35] == '-' && tp[52] == '-' &&
              strcmp(tp + 53, "01") == 0);
        for (int i = 0; i < 3; i++) {
                char key[16], val[32];
                snprintf(key, sizeof key, "key-%d", i);
                snprintf(val, sizeof val, "payload-%d", i);
                int64_t t0 = util_mono_us();
                int rc = kq_produce_sync(p, "t.in", key, strlen(key), val, strlen(val),
                                         i == 1 ? NULL : tp, 5000, err, sizeof err);
                CHECK_MSG(rc == 0, "produce %d: %s", i, err);
                CHECK(util_mono_us() - t0 < 5000000);
        }
        CHECK(kq_producer_ready(p));

        const char *topics[] = {"t.in"};
        setenv("PRAHARI_KAFKA_STATS_MS", "100", 1); /* lag metric from librdkafka's stats */
        struct kq_consumer *c = kq_consumer_new("g1", topics, 1, err, sizeof err);
        unsetenv("PRAHARI_KAFKA_STATS_MS");
        CHECK_MSG(c != NULL, "%s", err);
        if (!c) {
                kq_producer_destroy(p);
                return;
        }
        struct kq_msg m;
        CHECK(poll_one(c, 15000, &m) == 1);
        CHECK(kq_consumer_ready(c));
        CHECK_STR(m.topic, "t.in");
        CHECK_INT(m.partition, 0);
        CHECK_INT(m.offset, 0);
        CHECK_INT(m.keylen, 5);
        CHECK_STR(m.key, "key-0");
        CHECK_INT(m.len, 9);
        CHECK_STR(m.payload, "payload-0");
        CHECK_STR(m.traceparent, tp);
        CHECK_INT(kq_consumer_store(c, &m), 0);
        kq_msg_release(&m);
        CHECK_INT(kq_consumer_lag(c), 2); /* high watermark 3, position 1 */
        {
                /* The stats arrive while the consumer polls: wait for a report with
                 * this partition (it only holds partitions once assigned). */
                char *text = NULL;
                for (int i = 0; i < 30; i++) {
                        free(text);
                        text = metrics_render();
                        if (text && strstr(text, "prahari_kafka_consumer_lag{group=\"g1\",topic="
                                                 "\"t.in\",partition=\"0\"}"))
                                break;
                        struct kq_msg none;
                        kq_consumer_rewind(c, &(struct kq_msg){.topic = "t.in", .partition = 0,
                                                                .offset = 1});
                        if (kq_consumer_poll(c, 100, &none) == 1)
                                kq_msg_release(&none);
                }
                CHECK_MSG(text && strstr(text, "prahari_kafka_consumer_lag{group=\"g1\",topic="
                                               "\"t.in\",partition=\"0\"}"),
                          "no per-partition lag gauge in /metrics");
                free(text);
                kq_consumer_rewind(c, &(struct kq_msg){.topic = "t.in", .partition = 0, .offset = 1});
        }

        CHECK(poll_one(c, 5000, &m) == 1);
        CHECK_INT(m.offset, 1);
        CHECK_STR(m.traceparent, ""); /* produced without one */
        kq_consumer_rewind(c, &m);     /* as after a transient failure */
        kq_msg_release(&m);
        CHECK(poll_one(c, 5000, &m) == 1);
        CHECK_INT(m.offset, 1);
        CHECK_STR(m.payload, "payload-1");
        CHECK_INT(kq_consumer_store(c, &m), 0);
        kq_msg_release(&m);
        kq_consumer_close(c); /* commits offset 2 */

        /* Re-open: resumes after the stored offset. */
        c = kq_consumer_new("g1", topics, 1, err, sizeof err);
        CHECK(c != NULL);
        CHECK(poll_one(c, 15000, &m) == 1);
        CHECK_INT(m.offset, 2);
        CHECK_STR(m.payload, "payload-2");
        kq_msg_release(&m); /* not stored */
        kq_consumer_close(c);

        /* Not stored, so delivered again. */
        c = kq_consumer_new("g1", topics, 1, err, sizeof err);
        CHECK(c != NULL);
        CHECK(poll_one(c, 15000, &m) == 1);
        CHECK_INT(m.offset, 2);
        kq_msg_release(&m);
        kq_consumer_close(c);
        kq_producer_destroy(p);
}

static int cmp_i64(const void *a, const void *b)
{
        int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
        return x < y ? -1 : x > y;
}

/* One hop's latency with the project settings (linger.ms 0, fetch.wait.max.ms
 * 10): produce-and-acknowledge, and produce-to-consumed. With librdkafka's
 * defaults (5 ms linger, 500 ms fetch wait on the mock) the second would be
 * about 500 ms. */
static void test_latency(void)
{
        char err[512] = "";
        struct kq_producer *p = kq_producer_new("test-lat", err, sizeof err);
        const char *topics[] = {"t.lat"};
        struct kq_consumer *c = kq_consumer_new("lat-g", topics, 1, err, sizeof err);
        CHECK(p && c);
        if (!p || !c)
                return;
        struct kq_msg m;
        int64_t end = util_mono_us() + 20 * 1000000LL;
        while (!kq_consumer_ready(c) && util_mono_us() < end)
                if (kq_consumer_poll(c, 100, &m) == 1)
                        kq_msg_release(&m);
        CHECK(kq_consumer_ready(c));
        enum { N = 40 };
        int64_t ack[N], e2e[N];
        int got = 0;
        for (int i = 0; i < N; i++) {
                char v[16];
                snprintf(v, sizeof v, "lat-%d", i);
                int64_t t0 = util_mono_us();
                if (kq_produce_sync(p, "t.lat", "k", 1, v, strlen(v), NULL, 5000, err,
                                    sizeof err) != 0)
                        continue;
                ack[got] = util_mono_us() - t0;
                if (poll_one(c, 5000, &m) != 1)
                        continue;
                CHECK_STR(m.payload, v);
                e2e[got] = util_mono_us() - t0;
                kq_consumer_store(c, &m);
                kq_msg_release(&m);
                got++;
        }
        CHECK_INT(got, N);
        if (got > 0) {
                qsort(ack, (size_t)got, sizeof ack[0], cmp_i64);
                qsort(e2e, (size_t)got, sizeof e2e[0], cmp_i64);
                printf("latency over %d messages: produce->ack median %.2f ms (max %.2f), "
                       "produce->consumed median %.2f ms (max %.2f)\n",
                       got, ack[got / 2] / 1000.0, ack[got - 1] / 1000.0, e2e[got / 2] / 1000.0,
                       e2e[got - 1] / 1000.0);
                CHECK_MSG(e2e[got / 2] < 100000, "median produce->consumed %lld us",
                          (long long)e2e[got / 2]);
        }
        kq_consumer_close(c);
        kq_producer_destroy(p);
}

/* Configuration from the environment: errors name the variable. */
static void test_env_config(void)
{
        char err[512] = "";
        setenv("KAFKA_NOT_A_PROPERTY", "1", 1);
        CHECK(kq_producer_new("t", err, sizeof err) == NULL);
        CHECK_MSG(strncmp(err, "KAFKA_NOT_A_PROPERTY: ", 22) == 0, "%s", err);
        const char *topics[] = {"t.in"};
        CHECK(kq_consumer_new("g", topics, 1, err, sizeof err) == NULL);
        CHECK_MSG(strncmp(err, "KAFKA_NOT_A_PROPERTY: ", 22) == 0, "%s", err);
        setenv("KAFKA_NOT_A_PROPERTY", "", 1); /* empty = unset */
        struct kq_producer *p = kq_producer_new("t", err, sizeof err);
        CHECK_MSG(p != NULL, "%s", err);
        kq_producer_destroy(p);
        unsetenv("KAFKA_NOT_A_PROPERTY");

        setenv("KAFKA_SASL_PASSWORD_FILE", "/nonexistent/kafka-password", 1);
        CHECK(kq_producer_new("t", err, sizeof err) == NULL);
        CHECK_MSG(strncmp(err, "KAFKA_SASL_PASSWORD_FILE: cannot read file", 42) == 0, "%s", err);
        char path[] = "/tmp/prahari-kafka-pw-XXXXXX";
        int fd = mkstemp(path);
        CHECK(write(fd, "pw-s3cret\n", 10) == 10);
        close(fd);
        setenv("KAFKA_SASL_PASSWORD_FILE", path, 1);
        p = kq_producer_new("t", err, sizeof err);
        CHECK_MSG(p != NULL, "%s", err);
        kq_producer_destroy(p);
        unsetenv("KAFKA_SASL_PASSWORD_FILE");
        unlink(path);

        setenv("PRAHARI_KAFKA_LINGER_MS", "5ms", 1);
        CHECK(kq_producer_new("t", err, sizeof err) == NULL);
        CHECK_MSG(strstr(err, "PRAHARI_KAFKA_LINGER_MS: '5ms'") == err, "%s", err);
        unsetenv("PRAHARI_KAFKA_LINGER_MS");
        setenv("PRAHARI_KAFKA_FETCH_WAIT_MS", "-1", 1);
        CHECK(kq_consumer_new("g", topics, 1, err, sizeof err) == NULL);
        CHECK_MSG(strstr(err, "PRAHARI_KAFKA_FETCH_WAIT_MS: '-1'") == err, "%s", err);
        unsetenv("PRAHARI_KAFKA_FETCH_WAIT_MS");
}

/* Several threads share one producer (as ingest's HTTP threads do): every
 * kq_produce_sync returns once its own message is acknowledged. */
struct shared_prod {
        struct kq_producer *p;
        atomic_int ok;
        atomic_llong max_us;
};

static void *shared_worker(void *arg)
{
        struct shared_prod *sp = arg;
        char err[256];
        for (int i = 0; i < 25; i++) {
                int64_t t0 = util_mono_us();
                if (kq_produce_sync(sp->p, "t.async", "k", 1, "shared", 6, NULL, 5000, err,
                                    sizeof err) == 0)
                        atomic_fetch_add(&sp->ok, 1);
                long long dt = util_mono_us() - t0;
                long long cur = atomic_load(&sp->max_us);
                while (dt > cur && !atomic_compare_exchange_weak(&sp->max_us, &cur, dt))
                        ;
        }
        return NULL;
}

static void test_shared_producer(void)
{
        char err[256];
        static struct shared_prod sp;
        sp.p = kq_producer_new("test-shared", err, sizeof err);
        CHECK(sp.p != NULL);
        if (!sp.p)
                return;
        /* connect first so the timing below measures steady state */
        CHECK(kq_produce_sync(sp.p, "t.async", "k", 1, "warm", 4, NULL, 5000, err, sizeof err) ==
              0);
        pthread_t t[4];
        for (int i = 0; i < 4; i++)
                pthread_create(&t[i], NULL, shared_worker, &sp);
        for (int i = 0; i < 4; i++)
                pthread_join(t[i], NULL);
        CHECK_INT(atomic_load(&sp.ok), 100);
        printf("shared producer: 4 threads x 25 kq_produce_sync, slowest %.2f ms\n",
               atomic_load(&sp.max_us) / 1000.0);
        CHECK(atomic_load(&sp.max_us) < 1000000);
        kq_producer_destroy(sp.p);
}

static atomic_int g_async_ok, g_async_failed;

static void async_cb(void *opaque, bool ok, const char *errstr)
{
        CHECK(opaque == &g_async_ok);
        CHECK(ok ? errstr == NULL : errstr != NULL);
        atomic_fetch_add(ok ? &g_async_ok : &g_async_failed, 1);
}

static void test_async(void)
{
        char err[512] = "";
        struct kq_producer *p = kq_producer_new("test-async", err, sizeof err);
        CHECK(p != NULL);
        if (!p)
                return;
        for (int i = 0; i < 20; i++)
                CHECK(kq_produce_async(p, "t.async", "k", 1, "v", 1, NULL, async_cb, &g_async_ok,
                                       err, sizeof err) == 0);
        CHECK_INT(kq_producer_flush(p, 10000), 0);
        CHECK_INT(atomic_load(&g_async_ok), 20);
        CHECK_INT(atomic_load(&g_async_failed), 0);
        CHECK_INT(kq_producer_close(p, 5000), 0);

        /* Broker down: what is still queued at close is counted as lost and
         * its callbacks report failure. */
        p = kq_producer_new("test-lost", err, sizeof err);
        CHECK(p != NULL);
        if (!p)
                return;
        rd_kafka_mock_broker_set_down(g_mc, 1);
        for (int i = 0; i < 3; i++)
                CHECK(kq_produce_async(p, "t.async", "k", 1, "v", 1, NULL, async_cb, &g_async_ok,
                                       err, sizeof err) == 0);
        CHECK_INT(kq_producer_close(p, 300), 3);
        rd_kafka_mock_broker_set_up(g_mc, 1);
        CHECK_INT(atomic_load(&g_async_ok), 20);
        CHECK_INT(atomic_load(&g_async_failed), 3);
}

/* ==== stage_run ==== */

struct stage_ctx {
        atomic_int calls_retry_once;
        atomic_int calls;
};

static enum stage_result upper_fn(void *vctx, const struct kq_msg *in, struct stage_output *out,
                                  char *reason, size_t reasonsz)
{
        struct stage_ctx *ctx = vctx;
        atomic_fetch_add(&ctx->calls, 1);
        if (strcmp(in->payload, "poison") == 0) {
                snprintf(reason, reasonsz, "not an alert");
                return STAGE_DEADLETTER;
        }
        if (strcmp(in->payload, "skip-me") == 0)
                return STAGE_SKIP;
        if (strcmp(in->payload, "retry-once") == 0 &&
            atomic_fetch_add(&ctx->calls_retry_once, 1) == 0) {
                snprintf(reason, reasonsz, "database down");
                return STAGE_RETRY;
        }
        out->payload = strdup(in->payload);
        for (char *q = out->payload; *q; q++)
                *q = (char)toupper((unsigned char)*q);
        out->len = in->len;
        size_t kn = strlen(in->payload) + 5;
        out->key = malloc(kn);
        snprintf(out->key, kn, "out-%s", in->payload);
        return STAGE_OK;
}

struct stage_thread {
        struct kq_consumer *c;
        struct kq_producer *p;
        struct stage_ctx ctx;
        int rc;
};

static void *stage_thread_main(void *arg)
{
        struct stage_thread *st = arg;
        struct stage_cfg cfg = {.name = "test", .out_topic = "s.out", .dlq_topic = "s.dlq",
                                .produce_timeout_ms = 5000};
        st->rc = stage_run(&cfg, st->c, st->p, upper_fn, &st->ctx);
        return NULL;
}

/* Collect messages from s.out / s.dlq until @p want arrived or @p ms pass. */
static int collect(struct kq_consumer *c, json_t *got, size_t want, int ms)
{
        int64_t end = util_mono_us() + (int64_t)ms * 1000;
        while (json_array_size(got) < want && util_mono_us() < end) {
                struct kq_msg m;
                if (kq_consumer_poll(c, 100, &m) != 1)
                        continue;
                json_array_append_new(got, json_pack("{s:s, s:s, s:s, s:s}", "topic", m.topic,
                                                     "key", m.key ? m.key : "", "payload",
                                                     m.payload, "tp", m.traceparent));
                kq_consumer_store(c, &m);
                kq_msg_release(&m);
        }
        return (int)json_array_size(got);
}

static const char *field(json_t *got, size_t i, const char *name)
{
        return json_string_value(json_object_get(json_array_get(got, i), name));
}

/* The value of the sample @p series in a rendered registry, or -1. */
static long metric_value(const char *text, const char *series)
{
        const char *p = strstr(text, series);
        if (!p || p[strlen(series)] != ' ')
                return -1;
        return strtol(p + strlen(series) + 1, NULL, 10);
}

static void test_stage(void)
{
        char err[512] = "";
        sig_reset();
        struct kq_producer *feed = kq_producer_new("test-feed", err, sizeof err);
        CHECK(feed != NULL);
        char tp[64];
        kq_traceparent_new(tp, sizeof tp);
        static const char *const inputs[] = {"alpha", "retry-once", "poison", "skip-me"};
        for (size_t i = 0; i < 4; i++)
                CHECK(kq_produce_sync(feed, "s.in", "alert-key", 9, inputs[i], strlen(inputs[i]),
                                      tp, 5000, err, sizeof err) == 0);

        static struct stage_thread st;
        const char *in_topics[] = {"s.in"};
        st.c = kq_consumer_new("stage-g", in_topics, 1, err, sizeof err);
        st.p = kq_producer_new("stage-p", err, sizeof err);
        CHECK(st.c && st.p);
        if (!st.c || !st.p)
                return;
        pthread_t th;
        pthread_create(&th, NULL, stage_thread_main, &st);

        const char *out_topics[] = {"s.out", "s.dlq"};
        struct kq_consumer *check = kq_consumer_new("check-g", out_topics, 2, err, sizeof err);
        CHECK(check != NULL);
        json_t *got = json_array();
        CHECK_INT(collect(check, got, 3, 30000), 3);
        /* and nothing more (no duplicate of the retried message) */
        CHECK_INT(collect(check, got, 4, 1500), 3);

        int outs = 0;
        for (size_t i = 0; i < json_array_size(got); i++) {
                const char *topic = field(got, i, "topic");
                if (strcmp(topic, "s.out") == 0) {
                        const char *want = outs == 0 ? "ALPHA" : "RETRY-ONCE";
                        const char *wkey = outs == 0 ? "out-alpha" : "out-retry-once";
                        CHECK_STR(field(got, i, "payload"), want);
                        CHECK_STR(field(got, i, "key"), wkey);
                        CHECK_STR(field(got, i, "tp"), tp); /* trace context carried on */
                        outs++;
                } else {
                        CHECK_STR(topic, "s.dlq");
                        CHECK_STR(field(got, i, "key"), "alert-key");
                        json_t *env = json_loads(field(got, i, "payload"), 0, NULL);
                        CHECK(json_is_object(env));
                        CHECK_STR(json_string_value(json_object_get(env, "stage")), "test");
                        CHECK_STR(json_string_value(json_object_get(env, "reason")),
                                  "not an alert");
                        CHECK_STR(json_string_value(json_object_get(env, "topic")), "s.in");
                        CHECK_INT(json_integer_value(json_object_get(env, "partition")), 0);
                        CHECK_INT(json_integer_value(json_object_get(env, "offset")), 2);
                        CHECK_STR(json_string_value(json_object_get(env, "key")), "alert-key");
                        CHECK_STR(json_string_value(json_object_get(env, "payload")), "poison");
                        json_decref(env);
                }
        }
        CHECK_INT(outs, 2);
        CHECK_INT(atomic_load(&st.ctx.calls_retry_once), 2);

        /* A produce the broker refuses: not stored, rewound, retried, then
         * forwarded once. The stage is paused while the input is fed so that
         * the refusal hits the stage's produce, not the feed's. */
        sig_request_stop();
        pthread_join(th, NULL);
        CHECK_INT(st.rc, 0);
        sig_reset();
        CHECK(kq_produce_sync(feed, "s.in", "k2", 2, "gamma", 5, NULL, 5000, err, sizeof err) ==
              0);
        rd_kafka_mock_push_request_errors(g_mc, PRODUCE_API_KEY, 1,
                                          RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
        pthread_create(&th, NULL, stage_thread_main, &st);
        json_array_clear(got);
        CHECK_INT(collect(check, got, 1, 20000), 1);
        CHECK_INT(collect(check, got, 2, 1500), 1);
        CHECK_STR(field(got, 0, "payload"), "GAMMA");
        CHECK_STR(field(got, 0, "key"), "out-gamma");

        sig_request_stop();
        pthread_join(th, NULL);
        CHECK_INT(st.rc, 0);
        CHECK(!kq_consumer_fatal(st.c) && !kq_producer_fatal(st.p));
        kq_consumer_close(st.c);

        char *metrics = metrics_render();
        CHECK(strstr(metrics, "prahari_stage_messages_total{stage=\"test\",result=\"ok\"} 3\n"));
        CHECK(strstr(metrics, "prahari_stage_messages_total{stage=\"test\",result=\"retry\"} 1\n"));
        CHECK(strstr(metrics, "prahari_stage_messages_total{stage=\"test\",result=\"skip\"} 1\n"));
        CHECK(strstr(metrics,
                     "prahari_stage_messages_total{stage=\"test\",result=\"deadletter\"} 1\n"));
        /* The refusal is cached by librdkafka until its next metadata refresh,
         * so the stage may fail more than once before the message goes through. */
        long perr = metric_value(metrics,
                                 "prahari_stage_messages_total{stage=\"test\",result=\"produce_error\"}");
        CHECK_MSG(perr >= 1 && perr <= 50, "produce_error %ld", perr);
        CHECK_INT(metric_value(metrics, "prahari_stage_seconds_count{stage=\"test\"}"), 6 + perr);
        free(metrics);

        /* Everything the stage handled was stored and committed: a new member
         * of its group gets nothing. */
        st.c = kq_consumer_new("stage-g", in_topics, 1, err, sizeof err);
        struct kq_msg m;
        int64_t end = util_mono_us() + 20 * 1000000LL;
        int polled = 0;
        while (!kq_consumer_ready(st.c) && util_mono_us() < end)
                polled += kq_consumer_poll(st.c, 100, &m) == 1;
        CHECK(kq_consumer_ready(st.c));
        polled += poll_one(st.c, 1500, &m);
        CHECK_INT(polled, 0);
        CHECK_INT(kq_consumer_lag(st.c), 0);
        kq_consumer_close(st.c);

        json_decref(got);
        kq_consumer_close(check);
        kq_producer_destroy(st.p);
        kq_producer_destroy(feed);
        sig_reset();
}

int main(void)
{
        log_init("common-kafka-test");
        unsetenv("PRAHARI_KAFKA_LINGER_MS");
        unsetenv("PRAHARI_KAFKA_FETCH_WAIT_MS");
        /* The mock cluster (librdkafka 2.0) keeps a member that left until its
         * session times out, so a re-opened consumer of the same group waits
         * that long for partitions: keep it short. Set through the KAFKA_*
         * passthrough, which this also tests. */
        setenv("KAFKA_SESSION_TIMEOUT_MS", "3000", 1);
        setenv("KAFKA_HEARTBEAT_INTERVAL_MS", "300", 1);
        setenv("KAFKA_MAX_POLL_INTERVAL_MS", "10000", 1);
        CHECK(setup_cluster() == 0);
        if (g_mc) {
                test_env_config();
                test_produce_consume_resume();
                test_async();
                test_shared_producer();
                test_latency();
                test_stage();
                rd_kafka_mock_cluster_destroy(g_mc);
        }
        rd_kafka_destroy(g_mrk);
        return test_summary("common_kafka_mock");
}
