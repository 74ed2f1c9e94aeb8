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
        return test_summary("notifier_backoff");
}
