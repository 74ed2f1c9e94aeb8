/* SPDX-License-Identifier: Apache-2.0 */
/* Tiny assertion helpers for table-driven unit tests. Each CHECK counts; a
 * test's main returns test_summary(), which prints "N passed, M failed". */
#ifndef PRAHARI_TESTUTIL_H
#define PRAHARI_TESTUTIL_H
#include <stdio.h>
#include <string.h>
#include <math.h>

static int t_pass, t_fail;

#define CHECK(cond)                                                                  \
        do {                                                                         \
                if (cond) {                                                          \
                        t_pass++;                                                    \
                } else {                                                             \
                        t_fail++;                                                    \
                        fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__,        \
                                __LINE__, #cond);                                    \
                }                                                                    \
        } while (0)

#define CHECK_MSG(cond, ...)                                                         \
        do {                                                                         \
                if (cond) {                                                          \
                        t_pass++;                                                    \
                } else {                                                             \
                        t_fail++;                                                    \
                        fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__,        \
                                __LINE__, #cond);                                    \
                        fprintf(stderr, __VA_ARGS__);                                \
                        fputc('\n', stderr);                                         \
                }                                                                    \
        } while (0)

#define CHECK_STR(a, b)                                                              \
        do {                                                                         \
                const char *_a = (a), *_b = (b);                                     \
                if (_a && _b && strcmp(_a, _b) == 0) {                               \
                        t_pass++;                                                    \
                } else {                                                             \
                        t_fail++;                                                    \
                        fprintf(stderr, "%s:%d: CHECK_STR failed: %s == %s: \"%s\" vs \"%s\"\n", \
                                __FILE__, __LINE__, #a, #b, _a ? _a : "(null)",      \
                                _b ? _b : "(null)");                                 \
                }                                                                    \
        } while (0)

#define CHECK_INT(a, b)                                                              \
        do {                                                                         \
                long long _a = (long long)(a), _b = (long long)(b);                  \
                if (_a == _b) {                                                      \
                        t_pass++;                                                    \
                } else {                                                             \
                        t_fail++;                                                    \
                        fprintf(stderr, "%s:%d: CHECK_INT failed: %s == %s: %lld vs %lld\n", \
                                __FILE__, __LINE__, #a, #b, _a, _b);                 \
                }                                                                    \
        } while (0)

#define CHECK_NEAR(a, b, eps)                                                        \
        do {                                                                         \
                double _a = (a), _b = (b);                                           \
                if (fabs(_a - _b) <= (eps)) {                                        \
                        t_pass++;                                                    \
                } else {                                                             \
                        t_fail++;                                                    \
                        fprintf(stderr, "%s:%d: CHECK_NEAR failed: %s ~ %s: %g vs %g\n", \
                                __FILE__, __LINE__, #a, #b, _a, _b);                 \
                }                                                                    \
        } while (0)

static inline int test_summary(const char *name)
{
        printf("%s: %d passed, %d failed\n", name, t_pass, t_fail);
        return t_fail == 0 && t_pass > 0 ? 0 : 1;
}

#endif
