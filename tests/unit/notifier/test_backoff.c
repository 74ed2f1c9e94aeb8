/* SPDX-License-Identifier: Apache-2.0 */
/* Full-jitter backoff bounds and the classification of delivery results. */
#include <stdint.h>
#include "backoff.h"
#include "testutil.h"

int main(void)
{
        static const struct {
                int attempt;
                int64_t base, cap;
                uint32_t rnd;
                int64_t want;
        } cases[] = {
                {1, 1000, 60000, 0, 0},
                {1, 1000, 60000, UINT32_MAX, 1000},
                {2, 1000, 60000, UINT32_MAX, 2000},
                {3, 1000, 60000, UINT32_MAX, 4000},
                {3, 1000, 60000, 0x80000000u, 2000},  /* half of [0, 4000] */
                {7, 1000, 60000, UINT32_MAX, 60000},  /* 64000 capped */
                {1000, 1000, 60000, UINT32_MAX, 60000}, /* no overflow */
                {0, 1000, 60000, UINT32_MAX, 1000},    /* below 1 counts as 1 */
                {-5, 1000, 60000, UINT32_MAX, 1000},
                {5, 0, 60000, UINT32_MAX, 0},
                {3, 500, 1500, UINT32_MAX, 1500},
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                int64_t d = backoff_delay_ms(cases[i].attempt, cases[i].base, cases[i].cap,
                                             cases[i].rnd);
                CHECK_MSG(d == cases[i].want, "case %zu: %lld", i, (long long)d);
        }
        /* Every delay lies within [0, ceiling] for a sweep of random values. */
        int out_of_range = 0;
        for (uint32_t r = 0; r < 4000000000u; r += 7777777u)
                for (int a = 1; a <= 10; a++) {
                        int64_t d = backoff_delay_ms(a, 250, 30000, r);
                        int64_t ceiling = 250LL << (a - 1);
                        if (ceiling > 30000)
                                ceiling = 30000;
                        if (d < 0 || d > ceiling)
                                out_of_range++;
                }
        CHECK_INT(out_of_range, 0);

        static const struct {
                int ok;
                long status;
                enum send_result want;
        } http[] = {
                {1, 200, SEND_OK},         {1, 202, SEND_OK},          {1, 400, SEND_PERMANENT},
                {1, 401, SEND_PERMANENT},  {1, 422, SEND_PERMANENT},   {1, 429, SEND_PERMANENT},
                {1, 499, SEND_PERMANENT},  {1, 500, SEND_TRANSIENT},   {1, 503, SEND_TRANSIENT},
                {1, 302, SEND_TRANSIENT},  {0, 0, SEND_TRANSIENT},     {0, 200, SEND_TRANSIENT},
        };
        for (size_t i = 0; i < sizeof http / sizeof http[0]; i++)
                CHECK_MSG(backoff_classify_http(http[i].ok, http[i].status) == http[i].want,
                          "http case %zu", i);
        CHECK(backoff_classify_smtp(1, 250) == SEND_OK);
        CHECK(backoff_classify_smtp(1, 451) == SEND_TRANSIENT);
        CHECK(backoff_classify_smtp(1, 550) == SEND_PERMANENT);
        CHECK(backoff_classify_smtp(0, 0) == SEND_TRANSIENT);
        CHECK_STR(send_result_name(SEND_PERMANENT), "permanent");

        /* backoff_decide: the chaos run's bug B. Base 1000 ms, cap 60 s, 8
         * attempts, 600 s for an SMS. */
        struct retry_input in = {.result = SEND_OK, .attempts = 1, .max_attempts = 8,
                                 .retry_max_s = 600, .base_ms = 1000, .cap_ms = 60000,
                                 .rnd = UINT32_MAX};
        struct retry_decision d = backoff_decide(&in);
        CHECK(d.action == RETRY_RECORD_SENT && d.refund == 0);
        in.result = SEND_PERMANENT; /* a 4xx fails at once, even on attempt 1 */
        CHECK(backoff_decide(&in).action == RETRY_GIVE_UP);
        /* Every circuit open, attempt 8 of 8, 28 s old: before the fix this
         * failed; now the attempt is given back and the row waits for the
         * breaker (20 s left) plus a jitter of at most the base. */
        in.result = SEND_TRANSIENT;
        in.not_attempted = 1;
        in.open_wait_ms = 20000;
        in.attempts = 8;
        in.age_s = 28;
        d = backoff_decide(&in);
        CHECK(d.action == RETRY_AGAIN && d.refund == 1);
        CHECK_MSG(d.delay_ms == 21000, "open circuit, max jitter: %lld", (long long)d.delay_ms);
        in.rnd = 0;
        CHECK_INT(backoff_decide(&in).delay_ms, 20000);
        in.open_wait_ms = -5; /* half-opened meanwhile: no negative wait */
        CHECK_INT(backoff_decide(&in).delay_ms, 0);
        in.age_s = 100000; /* an open circuit is never an attempt, however old */
        CHECK(backoff_decide(&in).action == RETRY_AGAIN);
        /* A real outage answer: the cap alone does not give up inside 600 s ... */
        in.not_attempted = 0;
        in.age_s = 28;
        in.rnd = UINT32_MAX;
        d = backoff_decide(&in);
        CHECK(d.action == RETRY_AGAIN && d.refund == 0);
        CHECK_INT(d.delay_ms, 60000); /* 1000 * 2^7 capped */
        in.attempts = 30;
        CHECK(backoff_decide(&in).action == RETRY_AGAIN);
        /* ... nor does time alone before the cap ... */
        in.attempts = 3;
        in.age_s = 900;
        d = backoff_decide(&in);
        CHECK(d.action == RETRY_AGAIN);
        CHECK_INT(d.delay_ms, 4000);
        /* ... both spent: give up (and escalate). */
        in.attempts = 8;
        in.age_s = 600;
        CHECK(backoff_decide(&in).action == RETRY_GIVE_UP);
        in.age_s = 599.9;
        CHECK(backoff_decide(&in).action == RETRY_AGAIN);
        /* retry_max_s 0 (e-mail): the attempts cap alone, as before. */
        in.retry_max_s = 0;
        in.age_s = 1;
        CHECK(backoff_decide(&in).action == RETRY_GIVE_UP);
        in.attempts = 7;
        CHECK(backoff_decide(&in).action == RETRY_AGAIN);
        return test_summary("notifier_backoff");
}
