/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file stage.h
 * @brief The consume -> process -> produce -> store-offset loop shared by
 *        enrich, router and notifier.
 *
 * For every message: fn() decides. STAGE_OK with an output: the output is
 * produced to @p out_topic and acknowledged, then the offset is stored.
 * STAGE_SKIP: nothing to produce, offset stored. STAGE_RETRY (a transient
 * failure such as PostgreSQL down): the consumer rewinds to the message and
 * backs off (100 ms doubling to 5 s), the message is tried again; nothing is
 * lost. STAGE_DEADLETTER: the message is produced to @p dlq_topic with the
 * reason in the envelope, then the offset is stored. Stops when
 * sig_stop_requested(): the message in hand is finished first.
 */
#ifndef PRAHARI_STAGE_H
#define PRAHARI_STAGE_H
#include "prahari/kafka.h"

enum stage_result { STAGE_OK = 0, STAGE_SKIP = 1, STAGE_RETRY = 2, STAGE_DEADLETTER = 3 };

struct stage_output {
        char *key;     /* malloc'd by fn; freed by the runner */
        char *payload; /* malloc'd by fn; freed by the runner */
        size_t len;
};

typedef enum stage_result (*stage_fn)(void *ctx, const struct kq_msg *in,
                                      struct stage_output *out, char *reason,
                                      size_t reasonsz);

struct stage_cfg {
        const char *name;       /* "enrich", used in logs and metrics */
        const char *out_topic;  /* NULL: the stage produces nothing */
        const char *dlq_topic;
        int produce_timeout_ms; /* default 10000 when 0 */
};

/**
 * @brief Run the loop until a stop is requested. Records metrics
 * prahari_stage_messages_total{stage,result} and
 * prahari_stage_seconds{stage} (histogram of fn + produce).
 * @returns 0 on a clean stop, -1 on a fatal Kafka error.
 */
int stage_run(const struct stage_cfg *cfg, struct kq_consumer *c, struct kq_producer *p,
              stage_fn fn, void *ctx);

#endif
