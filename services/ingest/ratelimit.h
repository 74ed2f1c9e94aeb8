/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file ratelimit.h
 * @brief Token bucket per partner (pure; the caller holds any lock and passes
 *        the clock).
 */
#ifndef PRAHARI_INGEST_RATELIMIT_H
#define PRAHARI_INGEST_RATELIMIT_H
#include <stdbool.h>
#include <stdint.h>

struct rl_bucket {
        double tokens;
        int64_t last_us; /* 0: never used (starts full) */
};

/**
 * @brief Take one token at @p now_us from a bucket refilled at @p rate per
 * second up to @p burst. @returns true if allowed; otherwise false with the
 * whole seconds to wait (>= 1) in *@p retry_after_s.
 */
bool rl_take(struct rl_bucket *b, double rate, double burst, int64_t now_us, int *retry_after_s);

#endif
