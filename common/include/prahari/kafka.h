/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file kafka.h
 * @brief librdkafka wrappers with the project's delivery rules built in.
 *
 * Configuration comes from the environment:
 *  - KAFKA_BOOTSTRAP_SERVERS (default 127.0.0.1:19092)
 *  - every other KAFKA_X_Y variable is passed to librdkafka as x.y
 *    (KAFKA_SECURITY_PROTOCOL -> security.protocol; *_FILE variants are read
 *    from the file, e.g. KAFKA_SASL_PASSWORD_FILE -> sasl.password)
 *  - PRAHARI_KAFKA_LINGER_MS (default 0) -> linger.ms
 *  - PRAHARI_KAFKA_FETCH_WAIT_MS (default 10) -> fetch.wait.max.ms
 * Producers are idempotent with acks=all. Consumers never auto-store offsets:
 * the caller stores an offset only after its output is acknowledged and its
 * database effect committed; stored offsets are committed every second and on
 * close. librdkafka's own logs go through log.h.
 */
#ifndef PRAHARI_KAFKA_H
#define PRAHARI_KAFKA_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

struct kq_producer;
struct kq_consumer;

/** The value of the "schema" header on every produced message. */
#define KQ_SCHEMA_ID "prahari.alert/v1"

/**
 * A consumed message. Pointers are borrowed until kq_msg_release().
 * key and payload are NUL-terminated copies (key is NULL when the message has
 * none), so they may be used as C strings when they hold text.
 */
struct kq_msg {
        const char *topic;
        int32_t partition;
        int64_t offset;
        const char *key;
        size_t keylen;
        const char *payload;
        size_t len;
        char traceparent[64]; /* "" when the message had none */
        void *rkm;            /* the rd_kafka_message_t (internal) */
};

/* ==== Producer ==== */

/** @brief New idempotent producer (acks=all). NULL with @p err on failure. */
struct kq_producer *kq_producer_new(const char *client_id, char *err, size_t errsz);

/**
 * @brief Produce one message and wait for the broker's acknowledgement.
 * @p traceparent (may be NULL) and the schema id are sent as headers.
 * @returns 0 once acknowledged; -1 with @p err on failure or timeout.
 */
int kq_produce_sync(struct kq_producer *p, const char *topic, const char *key, size_t keylen,
                    const void *val, size_t len, const char *traceparent, int timeout_ms,
                    char *err, size_t errsz);

/** Delivery callback for kq_produce_async: @p ok true when acknowledged. */
typedef void (*kq_delivery_cb)(void *opaque, bool ok, const char *errstr);

/**
 * @brief Queue one message; @p cb runs from kq_producer_poll()/flush on the
 * calling thread of those functions. @returns 0 if queued, -1 (queue full or
 * fatal) with @p err.
 */
int kq_produce_async(struct kq_producer *p, const char *topic, const char *key, size_t keylen,
                     const void *val, size_t len, const char *traceparent, kq_delivery_cb cb,
                     void *opaque, char *err, size_t errsz);

/** @brief Serve delivery callbacks for up to @p timeout_ms. */
void kq_producer_poll(struct kq_producer *p, int timeout_ms);

/** @brief Wait until everything queued is acknowledged. @returns 0 or -1 on timeout. */
int kq_producer_flush(struct kq_producer *p, int timeout_ms);

/** @brief True once the producer has seen broker metadata (for /readyz). */
bool kq_producer_ready(struct kq_producer *p);

/** @brief Flush (up to 5 s) and destroy; NULL is a no-op. */
void kq_producer_destroy(struct kq_producer *p);

/**
 * @brief Like kq_producer_destroy, flushing for up to @p timeout_ms.
 * @returns the number of messages that were never acknowledged (logged as
 * lost); a service exits 1 when it is not 0.
 */
int kq_producer_close(struct kq_producer *p, int timeout_ms);

/* ==== Consumer ==== */

/**
 * @brief New consumer in @p group_id subscribed to @p topics
 * (auto.offset.reset=earliest, enable.auto.offset.store=false).
 */
struct kq_consumer *kq_consumer_new(const char *group_id, const char *const *topics,
                                    size_t ntopics, char *err, size_t errsz);

/**
 * @brief Wait up to @p timeout_ms for one message.
 * @returns 1 with @p out filled (release with kq_msg_release), 0 if none,
 * -1 on a consumer error (logged; the caller keeps polling).
 */
int kq_consumer_poll(struct kq_consumer *c, int timeout_ms, struct kq_msg *out);

/** @brief Mark @p m processed: its offset+1 is committed with the next commit. */
int kq_consumer_store(struct kq_consumer *c, const struct kq_msg *m);

/**
 * @brief Go back to @p m's offset so that it is delivered again (after a
 * transient failure). The caller should back off before polling again.
 */
void kq_consumer_rewind(struct kq_consumer *c, const struct kq_msg *m);

/** @brief Release a message from kq_consumer_poll. */
void kq_msg_release(struct kq_msg *m);

/** @brief True once the consumer has a partition assignment (for /readyz). */
bool kq_consumer_ready(struct kq_consumer *c);

/** @brief Sum of (high watermark - position) over assigned partitions; -1 if unknown. */
int64_t kq_consumer_lag(struct kq_consumer *c);

/** @brief Commit stored offsets, leave the group, destroy. NULL is a no-op. */
void kq_consumer_close(struct kq_consumer *c);

/** @brief True after librdkafka reported a fatal error (the service must exit). */
bool kq_producer_fatal(struct kq_producer *p);
bool kq_consumer_fatal(struct kq_consumer *c);

/* ==== Trace context ==== */

/** @brief A new W3C traceparent "00-<32 hex>-<16 hex>-01" into @p out (>= 56). */
void kq_traceparent_new(char *out, size_t outsz);

#endif
