/* SPDX-License-Identifier: Apache-2.0 */
/* Escalation chain and duty windows: pure functions over directory rows
 * (same window semantics as the router's directory.c, reimplemented here
 * because the notifier reads the directory table, not the router's module). */
#include "chain.h"
#include <ctype.h>
#include <string.h>

static const char *const daynames[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

static int day_index(const char *s, size_t n)
{
        for (int i = 0; i < 7; i++)
                if (n == 3 && strncmp(s, daynames[i], 3) == 0)
                        return i;
        return -1;
}

/* "HH:MM" -> minutes, or -1 */
static int hhmm(const char *s)
{
        if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) || s[2] != ':' ||
            !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
                return -1;
        int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
        if (h > 23 || m > 59)
                return -1;
        return h * 60 + m;
}

bool duty_parse(const char *days, const char *hours, struct duty *out)
{
        *out = (struct duty){0x7f, 0, 0};
        struct duty d = {0x7f, 0, 0};
        if (days && *days) {
                unsigned mask = 0;
                const char *p = days;
                while (*p) {
                        size_t n = strcspn(p, ",");
                        const char *dash = memchr(p, '-', n);
                        int a = day_index(p, dash ? (size_t)(dash - p) : n);
                        int b = dash ? day_index(dash + 1, n - (size_t)(dash - p) - 1) : a;
                        if (a < 0 || b < 0)
                                return false;
                        for (int i = a;; i = (i + 1) % 7) { /* fri-mon wraps */
                                mask |= 1u << i;
                                if (i == b)
                                        break;
                        }
                        p += n;
                        if (*p == ',' && !*++p)
                                return false;
                }
                d.days = mask;
        }
        if (hours && *hours) {
                int a = strlen(hours) == 11 && hours[5] == '-' ? hhmm(hours) : -1;
                int b = a >= 0 ? hhmm(hours + 6) : -1;
                if (a < 0 || b < 0 || a == b)
                        return false;
                d.start = a;
                d.end = b;
        }
        *out = d;
        return true;
}

bool duty_on(const struct duty *w, long long now)
{
        if (w->days == 0x7f && w->start == w->end)
                return true;
        long long ist = now + 19800; /* IST = UTC+05:30, no daylight saving */
        long long day = ist >= 0 ? ist / 86400 : (ist - 86399) / 86400;
        int min = (int)((ist - day * 86400) / 60);
        int wd = (int)(((day + 3) % 7 + 7) % 7); /* 1970-01-01 was a Thursday */
        int yd = (wd + 6) % 7;
        if (w->start == w->end)
                return (w->days >> wd) & 1u;
        if (w->start < w->end)
                return ((w->days >> wd) & 1u) && min >= w->start && min < w->end;
        /* crosses midnight: tonight's part, or the morning part of the shift
         * that started yesterday */
        return (((w->days >> wd) & 1u) && min >= w->start) ||
               (((w->days >> yd) & 1u) && min < w->end);
}

int chain_pick(const char *const *chain, size_t nchain, const struct chain_row *rows, size_t nrows,
               int level)
{
        for (size_t j = 0; j < nchain; j++) {
                if (!chain[j] || strcmp(chain[j], CHAIN_SCC) == 0)
                        continue;
                for (size_t i = 0; i < nrows; i++)
                        if (rows[i].level == level && strcmp(rows[i].jurisdiction, chain[j]) == 0)
                                return (int)j;
        }
        return -1;
}

size_t chain_select(const struct chain_row *rows, size_t nrows, const char *jurisdiction,
                    int level, long long now, size_t *idx, size_t max)
{
        size_t on = 0, k = 0;
        for (size_t i = 0; i < nrows; i++)
                if (rows[i].level == level && strcmp(rows[i].jurisdiction, jurisdiction) == 0 &&
                    duty_on(&rows[i].duty, now))
                        on++;
        for (size_t i = 0; i < nrows && k < max; i++)
                if (rows[i].level == level && strcmp(rows[i].jurisdiction, jurisdiction) == 0 &&
                    (on == 0 || duty_on(&rows[i].duty, now)))
                        idx[k++] = i;
        return k;
}

int chain_min_level(const struct chain_row *rows, size_t nrows, const char *jurisdiction)
{
        int m = 0;
        for (size_t i = 0; i < nrows; i++)
                if (strcmp(rows[i].jurisdiction, jurisdiction) == 0 && (m == 0 || rows[i].level < m))
                        m = rows[i].level;
        return m;
}
