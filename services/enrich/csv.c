/* SPDX-License-Identifier: Apache-2.0 */
/* In-place RFC 4180 CSV record splitter for the gazetteer files. */
#include "csv.h"

#include <string.h>

void csv_init(struct csv *c, char *buf, size_t len)
{
        c->p = buf;
        c->end = buf + len;
        c->line = 0;
}

int csv_next(struct csv *c, char **fields, int max)
{
        int n = 0;
        char *p = c->p;

        if (p >= c->end)
                return 0;
        c->line++;
        for (;;) {
                char *w = p;
                if (n >= max)
                        return -1;
                fields[n++] = w;
                if (p < c->end && *p == '"') {
                        p++;
                        for (;;) {
                                if (p >= c->end)
                                        return -1;
                                if (*p == '"') {
                                        if (p + 1 < c->end && p[1] == '"') {
                                                *w++ = '"';
                                                p += 2;
                                                continue;
                                        }
                                        p++;
                                        break;
                                }
                                if (*p == '\n')
                                        c->line++;
                                *w++ = *p++;
                        }
                } else {
                        while (p < c->end && *p != ',' && *p != '\n' && *p != '\r')
                                *w++ = *p++;
                }
                if (p < c->end && *p == ',') {
                        *w = '\0';
                        p++;
                        continue;
                }
                if (p < c->end && *p == '\r')
                        p++;
                if (p < c->end && *p == '\n')
                        p++;
                else if (p < c->end)
                        return -1; /* garbage after a closing quote */
                *w = '\0';
                break;
        }
        c->p = p;
        return n;
}

int csv_col(char *const *header, int n, const char *name)
{
        for (int i = 0; i < n; i++)
                if (strcmp(header[i], name) == 0)
                        return i;
        return -1;
}
