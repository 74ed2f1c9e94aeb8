/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file backoff.h
 * @brief Retry policy: exponential backoff with full jitter (capped), and the
 *        classification of a delivery attempt's result as sent, permanent or
 *        transient (delivery-v1: 2xx accepted, 4xx permanent, 5xx / timeout /
 *        refused retried).
 */
#ifndef PRAHARI_NOTIFIER_BACKOFF_H
#define PRAHARI_NOTIFIER_BACKOFF_H
#include <stdint.h>

enum send_result { SEND_OK = 0, SEND_TRANSIENT = 1, SEND_PERMANENT = 2 };

/**
 * @brief Delay before retry number @p attempt (1 = first retry):
 * a value in [0, min(@p cap_ms, @p base_ms * 2^(attempt-1))] chosen by
 * @p rnd (uniform 32-bit random value; the caller supplies it, so tests
 * are deterministic). Never negative; an attempt below 1 counts as 1.
 */
int64_t backoff_delay_ms(int attempt, int64_t base_ms, int64_t cap_ms, uint32_t rnd);

/**
 * @brief Classify an HTTP attempt: @p transport_ok false (timeout, refused,
 * reset, TLS failure) is transient; 2xx is OK; every 4xx is permanent, as
 * delivery-v1 says (no retry, escalate); everything else (1xx, 3xx, 5xx)
 * transient.
 */
enum send_result backoff_classify_http(int transport_ok, long status);

/**
 * @brief Classify an SMTP reply code: 2xx OK; 4xx transient; 5xx permanent;
 * no reply (@p transport_ok false) transient.
 */
enum send_result backoff_classify_smtp(int transport_ok, long code);

/** What to do with a row after one send (see backoff_decide). */
enum retry_action { RETRY_RECORD_SENT = 0, RETRY_AGAIN = 1, RETRY_GIVE_UP = 2 };

/** The facts backoff_decide needs about one send (all values, no I/O). */
struct retry_input {
        enum send_result result;
        int not_attempted;    /* nothing reached a provider: every circuit open */
        int64_t open_wait_ms; /* not_attempted: until the earliest breaker half-opens */
        int attempts;         /* the row's attempts, this one included */
        long max_attempts;    /* PRAHARI_NOTIFY_MAX_ATTEMPTS */
        double age_s;         /* since the row was created */
        long retry_max_s;     /* PRAHARI_SMS_RETRY_MAX_S (SMS); 0: the attempts cap alone */
        int64_t base_ms, cap_ms;
        uint32_t rnd;         /* uniform random value (jitter) */
};

/** The decision: the action, the delay before the next try, and whether
 * this attempt is given back (not counted). */
struct retry_decision {
        enum retry_action action;
        int64_t delay_ms;
        int refund;
};

/**
 * @brief Decide what follows one send. OK: record it sent. Permanent: give
 * up. Transient while every circuit was open (@c not_attempted): the attempt
 * is given back and the row waits until the earliest breaker half-opens plus
 * a jitter in [0, base_ms] — this never gives up (the breaker half-opens in
 * bounded time, and the escalation timer keeps running meanwhile). Any other
 * transient result: give up only when the attempts cap is reached AND the row
 * is at least @c retry_max_s old (both budgets spent); else retry after
 * backoff_delay_ms(attempts).
 */
struct retry_decision backoff_decide(const struct retry_input *in);

/** @brief "ok", "transient", "permanent". */
const char *send_result_name(enum send_result r);

#endif
