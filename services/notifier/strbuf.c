/* SPDX-License-Identifier: Apache-2.0 */
/* Growable text buffer with a cap; failures are sticky so callers check once. */
#include "strbuf.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool sb_reserve(struct strbuf *b, size_t extra)
{
        if (b->failed)
                return false;
        if (extra > STRBUF_CAP || b->len + extra + 1 > STRBUF_CAP) {
                b->failed = true;
                return false;
        }
        size_t need = b->len + extra + 1;
        if (need <= b->size)
                return true;
        size_t sz = b->size ? b->size : 256;
        while (sz < need)
                sz *= 2;
        char *np = realloc(b->p, sz);
        if (!np) {
                b->failed = true;
                return false;
        }
        b->p = np;
        b->size = sz;
        return true;
}

void sb_addn(struct strbuf *b, const char *s, size_t n)
{
        if (!sb_reserve(b, n))
                return;
        if (n)
                memcpy(b->p + b->len, s, n);
        b->len += n;
        b->p[b->len] = '\0';
}

void sb_add(struct strbuf *b, const char *s)
{
        if (s)
                sb_addn(b, s, strlen(s));
}

void sb_addf(struct strbuf *b, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
                b->failed = true;
                return;
        }
        if (!sb_reserve(b, (size_t)n))
                return;
        va_start(ap, fmt);
        vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
        b->len += (size_t)n;
}

void sb_add_html(struct strbuf *b, const char *s)
{
        if (!s)
                return;
        for (; *s; s++) {
                switch (*s) {
                case '&': sb_add(b, "&amp;"); break;
                case '<': sb_add(b, "&lt;"); break;
                case '>': sb_add(b, "&gt;"); break;
                case '"': sb_add(b, "&quot;"); break;
                case '\'': sb_add(b, "&#39;"); break;
                default: sb_addn(b, s, 1); break;
                }
        }
}

char *sb_take(struct strbuf *b)
{
        char *p = NULL;
        if (!b->failed) {
                if (!b->p)
                        sb_addn(b, "", 0);
                p = b->p;
                b->p = NULL;
        }
        sb_free(b);
        return p;
}

void sb_free(struct strbuf *b)
{
        free(b->p);
        b->p = NULL;
        b->len = b->size = 0;
        b->failed = false;
}
