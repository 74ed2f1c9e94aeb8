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

/** @brief "ok", "transient", "permanent". */
const char *send_result_name(enum send_result r);

#endif
