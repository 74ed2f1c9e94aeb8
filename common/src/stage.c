/* SPDX-License-Identifier: Apache-2.0 */
/* The consume -> process -> produce -> store-offset loop shared by enrich,
 * router and notifier. An offset is stored only after the stage's output (or
 * its dead-letter envelope) is acknowledged; any failure rewinds to the
 * message and backs off, so nothing is skipped. */
#include "prahari/stage.h"
#include "prahari/log.h"
#include "prahari/metrics.h"
#include "prahari/sig.h"
#include "prahari/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000

enum outcome { O_OK, O_SKIP, O_RETRY, O_DEADLETTER, O_PRODUCE_ERROR, O_N };
static const char *const outcome_names[O_N] = {"ok", "skip", "retry", "deadletter",
                                               "produce_error"};

/* Sleep @p ms in small slices, returning early when a stop is requested. */
static void backoff_sleep(int ms)
{
        while (ms > 0 && !sig_stop_requested()) {
                int slice = ms > 50 ? 50 : ms;
                struct timespec ts = {0, (long)slice * 1000000L};
                nanosleep(&ts, NULL);
                ms -= slice;
        }
}

/**
 * @brief Build the dead-letter envelope of @p in: stage, reason, where it came
 * from, key and the original payload as a string (or payload_b64 when it is
 * not UTF-8 text). @returns malloc'd JSON or NULL.
 */
static char *deadletter_envelope(const char *stage, const char *reason, const struct kq_msg *in)
{
        json_t *o = json_object();
        if (!o)
                return NULL;
        char ts[40];
        util_rfc3339(util_now_us(), true, ts, sizeof ts);
        json_object_set_new(o, "stage", json_string(stage));          /* steals ref */
        json_object_set_new(o, "reason", json_string(reason));        /* steals ref */
        json_object_set_new(o, "topic", json_string(in->topic));      /* steals ref */
        json_object_set_new(o, "partition", json_integer(in->partition));
        json_object_set_new(o, "offset", json_integer(in->offset));
        json_object_set_new(o, "at", json_string(ts));
        if (in->key && util_utf8_valid(in->key, in->keylen))
                json_object_set_new(o, "key", json_stringn(in->key, in->keylen));
        else
                json_object_set_new(o, "key", json_null());
        if (util_utf8_valid(in->payload, in->len)) {
                json_object_set_new(o, "payload", json_stringn(in->payload, in->len));
        } else {
                char *b64 = util_b64_encode((const unsigned char *)in->payload, in->len);
                json_object_set_new(o, "payload", json_null());
                json_object_set_new(o, "payload_b64", b64 ? json_string(b64) : json_null());
                free(b64);
        }
        char *s = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        return s;
}

/* The alert id inside the payload, for log lines about failures. */
static const char *payload_alert_id(const struct kq_msg *m, char *buf, size_t bufsz)
{
        buf[0] = '\0';
        json_t *o = json_loadb(m->payload, m->len, 0, NULL);
        const char *id = json_string_value(json_object_get(o, "alert_id"));
        if (id && strlen(id) < bufsz && util_utf8_valid(id, strlen(id)))
                util_strlcpy(buf, id, bufsz);
        json_decref(o);
        return buf[0] ? buf : NULL;
}

int stage_run(const struct stage_cfg *cfg, struct kq_consumer *c, struct kq_producer *p,
              stage_fn fn, void *ctx)
{
        if (!c || !fn || !cfg || !cfg->name || (!p && (cfg->out_topic || cfg->dlq_topic))) {
                log_error("stage_run: needs a consumer, a function, a name and (with an "
                          "output or dead-letter topic) a producer");
                return -1;
        }
        char labels[160];
        struct metric *counts[O_N];
        for (int i = 0; i < O_N; i++) {
                snprintf(labels, sizeof labels, "stage=\"%s\",result=\"%s\"", cfg->name,
                         outcome_names[i]);
                counts[i] = metrics_counter("prahari_stage_messages_total",
                                            "Messages handled by the stage loop, by result.",
                                            labels);
        }
        snprintf(labels, sizeof labels, "stage=\"%s\"", cfg->name);
        struct metric *seconds = metrics_histogram(
                "prahari_stage_seconds", "Time to process and produce one message.", labels,
                NULL, 0);
        int timeout_ms = cfg->produce_timeout_ms > 0 ? cfg->produce_timeout_ms : 10000;
        int backoff_ms = 0;
        int rc = 0;

        log_info("stage %s: running (out=%s, deadletter=%s)", cfg->name,
                 cfg->out_topic ? cfg->out_topic : "-", cfg->dlq_topic ? cfg->dlq_topic : "-");
        while (!sig_stop_requested()) {
                if (kq_consumer_fatal(c) || kq_producer_fatal(p)) {
                        log_error("stage %s: fatal Kafka error; stopping", cfg->name);
                        rc = -1;
                        break;
                }
                if (p)
                        kq_producer_poll(p, 0);
                struct kq_msg m;
                if (kq_consumer_poll(c, 100, &m) <= 0)
                        continue;

                int64_t t0 = util_mono_us();
                struct stage_output out = {0};
                char reason[256] = "";
                char err[512] = "";
                char aid[80];
                const char *tp = m.traceparent[0] ? m.traceparent : NULL;
                enum stage_result res = fn(ctx, &m, &out, reason, sizeof reason);
                enum outcome oc;
                switch (res) {
                case STAGE_OK:
                        oc = O_OK;
                        if (cfg->out_topic && out.payload) {
                                const char *key = out.key ? out.key : m.key;
                                size_t klen = out.key ? strlen(out.key) : m.keylen;
                                if (kq_produce_sync(p, cfg->out_topic, key, klen, out.payload,
                                                    out.len, tp, timeout_ms, err,
                                                    sizeof err) != 0)
                                        oc = O_PRODUCE_ERROR;
                        } else if (cfg->out_topic) {
                                log_warn("stage %s: OK without output for %s[%d]@%lld",
                                         cfg->name, m.topic, (int)m.partition,
                                         (long long)m.offset);
                        }
                        break;
                case STAGE_SKIP:
                        oc = O_SKIP;
                        break;
                case STAGE_DEADLETTER: {
                        oc = O_DEADLETTER;
                        log_alert(LOG_WARN, payload_alert_id(&m, aid, sizeof aid), tp,
                                  "stage %s: dead-letter %s[%d]@%lld: %s",
                                  cfg->name, m.topic, (int)m.partition, (long long)m.offset,
                                  reason);
                        if (!cfg->dlq_topic)
                                break;
                        char *env = deadletter_envelope(cfg->name, reason, &m);
                        if (!env) {
                                snprintf(err, sizeof err, "out of memory building envelope");
                                oc = O_PRODUCE_ERROR;
                        } else if (kq_produce_sync(p, cfg->dlq_topic, m.key, m.keylen, env,
                                                   strlen(env), tp, timeout_ms, err,
                                                   sizeof err) != 0) {
                                oc = O_PRODUCE_ERROR;
                        }
                        free(env);
                        break;
                }
                case STAGE_RETRY:
                default:
                        oc = O_RETRY;
                        break;
                }

                if (oc == O_OK || oc == O_SKIP || oc == O_DEADLETTER) {
                        kq_consumer_store(c, &m);
                        backoff_ms = 0;
                } else {
                        if (oc == O_PRODUCE_ERROR)
                                log_alert(LOG_ERROR, payload_alert_id(&m, aid, sizeof aid), tp,
                                          "stage %s: %s[%d]@%lld not forwarded: %s", cfg->name,
                                          m.topic, (int)m.partition, (long long)m.offset, err);
                        else
                                log_alert(LOG_WARN, payload_alert_id(&m, aid, sizeof aid), tp,
                                          "stage %s: retry %s[%d]@%lld: %s", cfg->name, m.topic,
                                          (int)m.partition, (long long)m.offset,
                                          reason[0] ? reason : "transient failure");
                        kq_consumer_rewind(c, &m);
                        backoff_ms = backoff_ms ? backoff_ms * 2 : BACKOFF_MIN_MS;
                        if (backoff_ms > BACKOFF_MAX_MS)
                                backoff_ms = BACKOFF_MAX_MS;
                }
                metric_inc(counts[oc], 1);
                metric_observe(seconds, (double)(util_mono_us() - t0) / 1e6);
                free(out.key);
                free(out.payload);
                kq_msg_release(&m);
                if (backoff_ms && oc != O_OK && oc != O_SKIP && oc != O_DEADLETTER)
                        backoff_sleep(backoff_ms);
        }
        log_info("stage %s: stopped", cfg->name);
        return rc;
}
