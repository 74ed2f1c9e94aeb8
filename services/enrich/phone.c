/* SPDX-License-Identifier: Apache-2.0 */
/* E.164 normalisation of phone numbers as partners write them in India. */
#include "phone.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

int phone_e164(const char *in, char *out, size_t outsz)
{
        char d[32];
        size_t nd = 0;
        bool plus = false, any = false;
        const unsigned char *p = (const unsigned char *)in;
        const char *nsn;

        if (outsz < PHONE_E164_MAX)
                return -1;
        out[0] = '\0';
        while (*p) {
                int v = -1;
                if (*p >= '0' && *p <= '9') {
                        v = *p - '0';
                        p++;
                } else if (p[0] == 0xE0 && p[1] == 0xA5 && p[2] >= 0xA6 && p[2] <= 0xAF) {
                        v = p[2] - 0xA6;
                        p += 3;
                } else if (*p == '+' && !any && !plus) {
                        plus = true;
                        p++;
                        continue;
                } else if (*p == ' ' || *p == '-' || *p == '.' || *p == '(' || *p == ')' ||
                           *p == '\t') {
                        p++;
                        continue;
                } else {
                        return -1;
                }
                any = true;
                if (nd + 1 >= sizeof(d))
                        return -1;
                d[nd++] = (char)('0' + v);
        }
        d[nd] = '\0';
        if (plus) {
                if (nd == 12 && memcmp(d, "91", 2) == 0) {
                        nsn = d + 2;
                } else {
                        if (nd < 8 || nd > 15 || d[0] == '0' || memcmp(d, "91", 2) == 0)
                                return -1;
                        snprintf(out, outsz, "+%s", d);
                        return 0;
                }
        } else if (nd == 14 && memcmp(d, "0091", 4) == 0) {
                nsn = d + 4;
        } else if (nd == 12 && memcmp(d, "91", 2) == 0) {
                nsn = d + 2;
        } else if (nd == 11 && d[0] == '0') {
                nsn = d + 1;
        } else if (nd == 10) {
                nsn = d;
        } else {
                return -1;
        }
        /* 10 digits, not 0-prefixed; 1800/1860 are toll-free service numbers */
        if (strlen(nsn) != 10 || nsn[0] == '0' || memcmp(nsn, "1800", 4) == 0 ||
            memcmp(nsn, "1860", 4) == 0)
                return -1;
        snprintf(out, outsz, "+91%s", nsn);
        return 0;
}
