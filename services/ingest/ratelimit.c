/* SPDX-License-Identifier: Apache-2.0 */
/* Token bucket (pure): refill by elapsed time, take one token, or say how long
 * to wait for the next one. */
#include "ratelimit.h"

#include <math.h>

bool rl_take(struct rl_bucket *b, double rate, double burst, int64_t now_us, int *retry_after_s)
{
        if (b->last_us == 0) {
                b->tokens = burst;
                b->last_us = now_us;
        }
        if (now_us > b->last_us) {
                b->tokens += (double)(now_us - b->last_us) / 1e6 * rate;
                if (b->tokens > burst)
                        b->tokens = burst;
                b->last_us = now_us;
        }
        if (b->tokens >= 1.0) {
                b->tokens -= 1.0;
                return true;
        }
        double wait = rate > 0 ? (1.0 - b->tokens) / rate : 3600;
        int s = (int)ceil(wait);
        *retry_after_s = s < 1 ? 1 : s;
        return false;
}
