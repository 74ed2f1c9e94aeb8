/* SPDX-License-Identifier: Apache-2.0 */
/* A small RFC 4180 CSV reader and field writer for the directory and the
 * gazetteer tables. */
#include "rcsv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rcsv_init(struct rcsv_reader *r, const char *data, size_t len)
{
        r->p = data;
        r->end = data + len;
        r->line = 1;
        r->buf = NULL;
        r->cap = 0;
}

void rcsv_free(struct rcsv_reader *r)
{
        free(r->buf);
        r->buf = NULL;
        r->cap = 0;
}

static int put(struct rcsv_reader *r, size_t *len, char c)
{
        if (*len + 1 >= r->cap) {
                size_t nc = r->cap ? r->cap * 2 : 256;
                char *nb = realloc(r->buf, nc);
                if (!nb)
                        return -1;
                r->buf = nb;
                r->cap = nc;
        }
        r->buf[(*len)++] = c;
        return 0;
}

/* Skip to the end of the current line (after an error). */
static void skip_line(struct rcsv_reader *r)
{
        while (r->p < r->end && *r->p != '\n')
                r->p++;
        if (r->p < r->end) {
                r->p++;
                r->line++;
        }
}

int rcsv_next(struct rcsv_reader *r, struct rcsv_record *rec, char *err, size_t errsz)
{
        if (r->p >= r->end)
                return 0;
        size_t len = 0;
        size_t offs[RCSV_MAX_FIELDS];
        size_t n = 0;
        rec->line = r->line;
        offs[n++] = 0;
        for (;;) {
                /* one field */
                if (r->p < r->end && *r->p == '"') {
                        r->p++;
                        for (;;) {
                                if (r->p >= r->end) {
                                        snprintf(err, errsz, "unterminated quoted field");
                                        return -1;
                                }
                                char c = *r->p++;
                                if (c == '"') {
                                        if (r->p < r->end && *r->p == '"') {
                                                r->p++;
                                                if (put(r, &len, '"'))
                                                        goto oom;
                                                continue;
                                        }
                                        break;
                                }
                                if (c == '\n')
                                        r->line++;
                                if (put(r, &len, c))
                                        goto oom;
                        }
                        if (r->p < r->end && *r->p != ',' && *r->p != '\n' && *r->p != '\r') {
                                snprintf(err, errsz, "text after a closing quote");
                                skip_line(r);
                                return -1;
                        }
                } else {
                        while (r->p < r->end && *r->p != ',' && *r->p != '\n' && *r->p != '\r') {
                                if (put(r, &len, *r->p++))
                                        goto oom;
                        }
                }
                if (put(r, &len, '\0'))
                        goto oom;
                if (r->p < r->end && *r->p == ',') {
                        r->p++;
                        if (n == RCSV_MAX_FIELDS) {
                                snprintf(err, errsz, "more than %d fields", RCSV_MAX_FIELDS);
                                skip_line(r);
                                return -1;
                        }
                        offs[n++] = len;
                        continue;
                }
                /* end of record */
                if (r->p < r->end && *r->p == '\r')
                        r->p++;
                if (r->p < r->end && *r->p == '\n')
                        r->p++;
                r->line++;
                break;
        }
        for (size_t i = 0; i < n; i++)
                rec->field[i] = r->buf + offs[i];
        rec->n = n;
        return 1;
oom:
        snprintf(err, errsz, "out of memory");
        r->p = r->end;
        return -1;
}

int rcsv_field_append(char **out, size_t *len, size_t *cap, const char *s)
{
        s = s ? s : "";
        int quote = strpbrk(s, ",\"\r\n") != NULL;
        size_t need = *len + 2 * strlen(s) + 4; /* quotes, NUL, one spare */
        if (need > *cap) {
                size_t nc = *cap ? *cap : 256;
                while (nc < need)
                        nc *= 2;
                char *nb = realloc(*out, nc);
                if (!nb)
                        return -1;
                *out = nb;
                *cap = nc;
        }
        char *o = *out + *len;
        if (quote)
                *o++ = '"';
        for (; *s; s++) {
                if (*s == '"')
                        *o++ = '"';
                *o++ = *s;
        }
        if (quote)
                *o++ = '"';
        *o = '\0';
        *len = (size_t)(o - *out);
        return 0;
}
