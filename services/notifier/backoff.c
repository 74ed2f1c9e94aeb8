/* SPDX-License-Identifier: Apache-2.0 */
/* Full-jitter exponential backoff and attempt classification. */
#include "backoff.h"
#include <stdbool.h>

int64_t backoff_delay_ms(int attempt, int64_t base_ms, int64_t cap_ms, uint32_t rnd)
{
        if (attempt < 1)
                attempt = 1;
        if (base_ms < 0)
                base_ms = 0;
        if (cap_ms < 0)
                cap_ms = 0;
        int64_t ceil_ms = base_ms;
        for (int i = 1; i < attempt && ceil_ms < cap_ms; i++)
                ceil_ms *= 2;
        if (ceil_ms > cap_ms)
                ceil_ms = cap_ms;
        /* uniform in [0, ceil_ms] */
        return (int64_t)(((uint64_t)rnd * (uint64_t)(ceil_ms + 1)) >> 32);
}

enum send_result backoff_classify_http(int transport_ok, long status)
{
        if (!transport_ok)
                return SEND_TRANSIENT;
        if (status >= 200 && status < 300)
                return SEND_OK;
        if (status >= 400 && status < 500)
                return SEND_PERMANENT;
        return SEND_TRANSIENT;
}

enum send_result backoff_classify_smtp(int transport_ok, long code)
{
        if (!transport_ok)
                return SEND_TRANSIENT;
        if (code >= 200 && code < 300)
                return SEND_OK;
        if (code >= 500 && code < 600)
                return SEND_PERMANENT;
        return SEND_TRANSIENT;
}

struct retry_decision backoff_decide(const struct retry_input *in)
{
        struct retry_decision d = {RETRY_GIVE_UP, 0, 0};
        if (in->result == SEND_OK) {
                d.action = RETRY_RECORD_SENT;
                return d;
        }
        if (in->result != SEND_TRANSIENT)
                return d;
        if (in->not_attempted) {
                int64_t wait = in->open_wait_ms > 0 ? in->open_wait_ms : 0;
                d.action = RETRY_AGAIN;
                d.refund = 1;
                d.delay_ms = wait + backoff_delay_ms(1, in->base_ms, in->base_ms, in->rnd);
                return d;
        }
        bool count_spent = in->attempts >= in->max_attempts;
        bool time_spent = in->retry_max_s <= 0 || in->age_s >= (double)in->retry_max_s;
        if (count_spent && time_spent)
                return d;
        d.action = RETRY_AGAIN;
        d.delay_ms = backoff_delay_ms(in->attempts, in->base_ms, in->cap_ms, in->rnd);
        return d;
}

const char *send_result_name(enum send_result r)
{
        switch (r) {
        case SEND_OK: return "ok";
        case SEND_TRANSIENT: return "transient";
        case SEND_PERMANENT: return "permanent";
        }
        return "unknown";
}
