/* SPDX-License-Identifier: Apache-2.0 */
/* Partner JSON parsing rules (pure): duplicate keys refused, NUL allowed,
 * numbers beyond jansson's range turned into marked strings so that only the
 * item holding them is quarantined. */
#include "jsonload.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PARSE_FLAGS (JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL)

/* True if the integer literal [s, s+n) (optional '-', digits) overflows int64. */
static bool int_overflows(const char *s, size_t n)
{
        bool neg = n && s[0] == '-';
        if (neg) {
                s++;
                n--;
        }
        while (n > 1 && s[0] == '0') {
                s++;
                n--;
        }
        const char *lim = neg ? "9223372036854775808" : "9223372036854775807";
        if (n != 19)
                return n > 19;
        return memcmp(s, lim, 19) > 0;
}

char *jsonload_quote_bignums(const char *body, size_t len, size_t *outlen)
{
        /* Worst case every byte becomes a marked token: bound the growth. */
        size_t cap = len * 2 + 64, o = 0;
        char *out = malloc(cap);
        bool changed = false, in_str = false;
        if (!out)
                return NULL;
        for (size_t i = 0; i < len;) {
                char ch = body[i];
                if (o + 4 > cap) {
                        cap *= 2;
                        char *nb = realloc(out, cap);
                        if (!nb) {
                                free(out);
                                return NULL;
                        }
                        out = nb;
                }
                if (in_str) {
                        if (ch == '\\' && i + 1 < len) {
                                out[o++] = body[i++];
                        } else if (ch == '"') {
                                in_str = false;
                        }
                        out[o++] = body[i++];
                        continue;
                }
                if (ch == '"') {
                        in_str = true;
                        out[o++] = body[i++];
                        continue;
                }
                if (ch == '-' || (ch >= '0' && ch <= '9')) {
                        size_t s = i;
                        bool is_real = false;
                        i++;
                        while (i < len) {
                                char c = body[i];
                                if (c >= '0' && c <= '9') {
                                        i++;
                                } else if (c == '.' || c == 'e' || c == 'E' || c == '+' ||
                                           c == '-') {
                                        is_real = true;
                                        i++;
                                } else {
                                        break;
                                }
                        }
                        size_t n = i - s;
                        bool big;
                        if (is_real) {
                                char tmp[512];
                                if (n < sizeof(tmp)) {
                                        memcpy(tmp, body + s, n);
                                        tmp[n] = '\0';
                                        big = isinf(strtod(tmp, NULL));
                                } else {
                                        big = true;
                                }
                        } else {
                                big = int_overflows(body + s, n);
                        }
                        if (o + n + 16 > cap) {
                                cap = (o + n + 16) * 2;
                                char *nb = realloc(out, cap);
                                if (!nb) {
                                        free(out);
                                        return NULL;
                                }
                                out = nb;
                        }
                        if (big) {
                                memcpy(out + o, "\"\\u001bNUMBER:", 14);
                                o += 14;
                                memcpy(out + o, body + s, n);
                                o += n;
                                out[o++] = '"';
                                changed = true;
                        } else {
                                memcpy(out + o, body + s, n);
                                o += n;
                        }
                        continue;
                }
                out[o++] = body[i++];
        }
        if (!changed) {
                free(out);
                return NULL;
        }
        char *nb = realloc(out, o + 1);
        if (!nb) {
                free(out);
                return NULL;
        }
        nb[o] = '\0';
        *outlen = o;
        return nb;
}

json_t *jsonload_object(const char *body, size_t len, char *detail, size_t detailsz)
{
        json_error_t err;
        json_t *j = json_loadb(body, len, PARSE_FLAGS, &err);
        if (!j && (strstr(err.text, "too big") || strstr(err.text, "overflow"))) {
                size_t qlen = 0;
                char *q = jsonload_quote_bignums(body, len, &qlen);
                if (q) {
                        j = json_loadb(q, qlen, PARSE_FLAGS, &err);
                        free(q);
                }
        }
        if (!j) {
                snprintf(detail, detailsz, "body: not valid JSON at byte %d: %s", err.position,
                         err.text);
                return NULL;
        }
        if (!json_is_object(j)) {
                snprintf(detail, detailsz, "body: must be a JSON object");
                json_decref(j);
                return NULL;
        }
        return j;
}
