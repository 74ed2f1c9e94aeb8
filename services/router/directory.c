/* SPDX-License-Identifier: Apache-2.0 */
/* The district directory: CSV in and out, validation of every row, lookups
 * by jurisdiction and level, and the recipient JSON of the routed message. */
#include "directory.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rcsv.h"
#include "prahari/cfg.h"
#include "prahari/util.h"

static const char *const columns[] = {"recipient_id", "jurisdiction", "role",      "name",
                                      "phone",        "email",        "level",     "lang",
                                      "duty_days",    "duty_hours"};
/* C_REQ columns are required; the duty columns are optional (old CSVs stay valid) */
enum { C_ID, C_JUR, C_ROLE, C_NAME, C_PHONE, C_EMAIL, C_LEVEL, C_LANG, C_REQ,
       C_DAYS = C_REQ, C_HOURS, C_N };

static const char *const roles[] = {"sp",       "addl_sp",        "control_room", "sho",
                                    "range_ig", "command_centre", "interstate"};

static void why_set(char *why, size_t whysz, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void why_set(char *why, size_t whysz, const char *fmt, ...)
{
        if (!why || !whysz)
                return;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, whysz, fmt, ap);
        va_end(ap);
}

bool directory_phone_valid(const char *s, char *why, size_t whysz)
{
        size_t n = strlen(s);
        if (n < 9 || n > 16 || s[0] != '+' || s[1] < '1' || s[1] > '9') {
                why_set(why, whysz, "phone \"%s\" is not E.164 (+ and 8 to 15 digits)", s);
                return false;
        }
        for (size_t i = 1; i < n; i++)
                if (s[i] < '0' || s[i] > '9') {
                        why_set(why, whysz, "phone \"%s\" is not E.164 (+ and 8 to 15 digits)",
                                s);
                        return false;
                }
        if (s[1] == '9' && s[2] == '1' && (n != 13 || s[3] < '6' || s[3] > '9')) {
                why_set(why, whysz,
                        "phone \"%s\": an Indian number is +91 and 10 digits starting 6-9", s);
                return false;
        }
        return true;
}

static bool atext(unsigned char c)
{
        return isalnum(c) || (c && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

bool directory_email_valid(const char *s, char *why, size_t whysz)
{
        size_t n = strlen(s);
        const char *at = strrchr(s, '@');
        if (n > 254) {
                why_set(why, whysz, "e-mail longer than 254 characters");
                return false;
        }
        if (!at || at == s || strchr(s, '@') != at) {
                why_set(why, whysz, "e-mail \"%s\" is not local@domain", s);
                return false;
        }
        size_t ll = (size_t)(at - s);
        if (ll > 64) {
                why_set(why, whysz, "e-mail \"%s\": local part longer than 64", s);
                return false;
        }
        for (size_t i = 0; i < ll; i++) {
                unsigned char c = (unsigned char)s[i];
                if (c == '.') {
                        if (i == 0 || i + 1 == ll || s[i + 1] == '.') {
                                why_set(why, whysz, "e-mail \"%s\": misplaced dot in local part",
                                        s);
                                return false;
                        }
                } else if (!atext(c)) {
                        why_set(why, whysz, "e-mail \"%s\": character '%c' not allowed", s,
                                isprint(c) ? c : '?');
                        return false;
                }
        }
        const char *d = at + 1;
        if (!strchr(d, '.')) {
                why_set(why, whysz, "e-mail \"%s\": domain without a dot", s);
                return false;
        }
        /* labels: letters, digits, hyphens; not starting or ending with '-' */
        const char *lab = d;
        for (const char *p = d;; p++) {
                if (*p == '.' || *p == '\0') {
                        size_t lablen = (size_t)(p - lab);
                        if (lablen == 0 || lablen > 63 || lab[0] == '-' || p[-1] == '-') {
                                why_set(why, whysz, "e-mail \"%s\": bad domain label", s);
                                return false;
                        }
                        if (*p == '\0')
                                break;
                        lab = p + 1;
                } else if (!isalnum((unsigned char)*p) && *p != '-') {
                        why_set(why, whysz, "e-mail \"%s\": bad domain label", s);
                        return false;
                }
        }
        return true;
}

struct directory *directory_new(void) { return calloc(1, sizeof(struct directory)); }

static void entry_free(struct dir_entry *e)
{
        free(e->recipient_id);
        free(e->jurisdiction);
        free(e->role);
        free(e->name);
        free(e->phone);
        free(e->email);
        free(e->duty_days);
        free(e->duty_hours);
}

void directory_free(struct directory *d)
{
        if (!d)
                return;
        for (size_t i = 0; i < d->n; i++)
                entry_free(&d->e[i]);
        free(d->e);
        free(d);
}

static char *dup_or_null(const char *s) { return s && *s ? strdup(s) : NULL; }

int directory_add(struct directory *d, const struct dir_entry *e)
{
        if (d->n == d->cap) {
                size_t nc = d->cap ? d->cap * 2 : 64;
                struct dir_entry *ne = realloc(d->e, nc * sizeof *ne);
                if (!ne)
                        return -1;
                d->e = ne;
                d->cap = nc;
        }
        struct dir_entry c = {0};
        c.recipient_id = strdup(e->recipient_id);
        c.jurisdiction = strdup(e->jurisdiction);
        c.role = strdup(e->role);
        c.name = strdup(e->name);
        c.phone = dup_or_null(e->phone);
        c.email = dup_or_null(e->email);
        c.level = e->level;
        util_strlcpy(c.lang, e->lang, sizeof c.lang);
        c.line = e->line;
        c.duty_days = dup_or_null(e->duty_days);
        c.duty_hours = dup_or_null(e->duty_hours);
        if (!directory_duty_parse(c.duty_days, c.duty_hours, &c.duty, NULL, 0))
                c.duty = (struct dir_duty){0x7f, 0, 0};
        if ((e->duty_days && *e->duty_days && !c.duty_days) ||
            (e->duty_hours && *e->duty_hours && !c.duty_hours)) {
                entry_free(&c);
                return -1;
        }
        if (!c.recipient_id || !c.jurisdiction || !c.role || !c.name ||
            (e->phone && *e->phone && !c.phone) || (e->email && *e->email && !c.email)) {
                entry_free(&c);
                return -1;
        }
        d->e[d->n++] = c;
        return 0;
}

size_t directory_select(const struct directory *d, const char *jurisdiction, int level,
                        size_t *idx, size_t max)
{
        size_t k = 0;
        for (size_t i = 0; i < d->n; i++)
                if (strcmp(d->e[i].jurisdiction, jurisdiction) == 0 &&
                    (level == 0 || d->e[i].level == level)) {
                        if (k < max)
                                idx[k] = i;
                        k++;
                }
        return k;
}

size_t directory_select_on_duty(const struct directory *d, const char *jurisdiction, int level,
                                long long now, size_t *idx, size_t max)
{
        size_t k = 0, on = 0;
        for (size_t i = 0; i < d->n; i++)
                if (strcmp(d->e[i].jurisdiction, jurisdiction) == 0 &&
                    (level == 0 || d->e[i].level == level) &&
                    (now == 0 || directory_on_duty(&d->e[i], now)))
                        on++;
        for (size_t i = 0; i < d->n; i++)
                if (strcmp(d->e[i].jurisdiction, jurisdiction) == 0 &&
                    (level == 0 || d->e[i].level == level) &&
                    (on == 0 || now == 0 || directory_on_duty(&d->e[i], now))) {
                        if (k < max)
                                idx[k] = i;
                        k++;
                }
        return k;
}

static const char *const daynames[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

static int day_index(const char *s, size_t n)
{
        for (int i = 0; i < 7; i++)
                if (n == 3 && strncmp(s, daynames[i], 3) == 0)
                        return i;
        return -1;
}

/* "HH:MM" (exactly five characters) -> minutes, or -1 */
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

bool directory_duty_parse(const char *days, const char *hours, struct dir_duty *out, char *why,
                          size_t whysz)
{
        *out = (struct dir_duty){0x7f, 0, 0};
        if (days && *days) {
                unsigned mask = 0;
                const char *p = days;
                while (*p) {
                        size_t n = strcspn(p, ",");
                        const char *dash = memchr(p, '-', n);
                        int a = day_index(p, dash ? (size_t)(dash - p) : n);
                        int b = dash ? day_index(dash + 1, n - (size_t)(dash - p) - 1) : a;
                        if (a < 0 || b < 0) {
                                why_set(why, whysz,
                                        "duty_days \"%s\": days are mon tue wed thu fri sat sun, "
                                        "as a list (mon,wed) or ranges (mon-fri)",
                                        days);
                                return false;
                        }
                        for (int i = a;; i = (i + 1) % 7) { /* fri-mon wraps */
                                mask |= 1u << i;
                                if (i == b)
                                        break;
                        }
                        p += n;
                        if (*p == ',') {
                                p++;
                                if (!*p) {
                                        why_set(why, whysz, "duty_days \"%s\": trailing comma",
                                                days);
                                        return false;
                                }
                        }
                }
                out->days = mask;
        }
        if (hours && *hours) {
                int a = strlen(hours) == 11 && hours[5] == '-' ? hhmm(hours) : -1;
                int b = a >= 0 ? hhmm(hours + 6) : -1;
                if (a < 0 || b < 0) {
                        why_set(why, whysz,
                                "duty_hours \"%s\": HH:MM-HH:MM (IST, 00:00 to 23:59)", hours);
                        return false;
                }
                if (a == b) {
                        why_set(why, whysz, "duty_hours \"%s\": an empty window", hours);
                        return false;
                }
                out->start = a;
                out->end = b;
        }
        return true;
}

bool directory_on_duty(const struct dir_entry *e, long long now)
{
        const struct dir_duty *w = &e->duty;
        if (w->days == 0x7f && w->start == w->end)
                return true;
        long long ist = now + 19800; /* IST = UTC+05:30, no daylight saving */
        long long day = ist >= 0 ? ist / 86400 : (ist - 86399) / 86400;
        int min = (int)((ist - day * 86400) / 60);
        int wd = (int)(((day + 3) % 7 + 7) % 7); /* 1970-01-01 was a Thursday (3) */
        int yd = (wd + 6) % 7;
        if (w->start == w->end)
                return (w->days >> wd) & 1u;
        if (w->start < w->end)
                return ((w->days >> wd) & 1u) && min >= w->start && min < w->end;
        /* crosses midnight: the evening part today, or the morning part of a
         * shift that started yesterday */
        return (((w->days >> wd) & 1u) && min >= w->start) ||
               (((w->days >> yd) & 1u) && min < w->end);
}

json_t *directory_entry_json(const struct dir_entry *e)
{
        json_t *o = json_object();
        if (!o)
                return NULL;
        json_object_set_new(o, "recipient_id", json_string(e->recipient_id)); /* steals ref */
        json_object_set_new(o, "jurisdiction", json_string(e->jurisdiction));
        json_object_set_new(o, "role", json_string(e->role));
        json_object_set_new(o, "level", json_integer(e->level));
        json_object_set_new(o, "name", json_string(e->name));
        json_object_set_new(o, "phone", e->phone ? json_string(e->phone) : json_null());
        json_object_set_new(o, "email", e->email ? json_string(e->email) : json_null());
        json_object_set_new(o, "lang", json_string(e->lang));
        return o;
}

char *directory_to_csv(const struct directory *d)
{
        char *out = NULL;
        size_t len = 0, cap = 0;
        for (size_t i = 0; i <= d->n; i++) {
                const char *f[C_N];
                char lvl[16];
                if (i == 0) {
                        memcpy(f, columns, sizeof f);
                } else {
                        const struct dir_entry *e = &d->e[i - 1];
                        snprintf(lvl, sizeof lvl, "%d", e->level);
                        const char *g[C_N] = {e->recipient_id, e->jurisdiction, e->role,
                                              e->name,         e->phone,        e->email,
                                              lvl,             e->lang,         e->duty_days,
                                              e->duty_hours};
                        memcpy(f, g, sizeof f);
                }
                for (size_t c = 0; c < C_N; c++) {
                        if (rcsv_field_append(&out, &len, &cap, f[c])) {
                                free(out);
                                return NULL;
                        }
                        /* rcsv_field_append leaves a spare byte after the NUL */
                        out[len++] = c + 1 < C_N ? ',' : '\n';
                        out[len] = '\0';
                }
        }
        return out;
}

/* ==== Parsing ==== */

struct errlist {
        struct dir_error *v;
        size_t n, cap;
};

static void err_add(struct errlist *el, int line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void err_add(struct errlist *el, int line, const char *fmt, ...)
{
        if (el->n == el->cap) {
                size_t nc = el->cap ? el->cap * 2 : 16;
                struct dir_error *nv = realloc(el->v, nc * sizeof *nv);
                if (!nv)
                        return;
                el->v = nv;
                el->cap = nc;
        }
        struct dir_error *e = &el->v[el->n++];
        e->line = line;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->reason, sizeof e->reason, fmt, ap);
        va_end(ap);
}

static bool id_valid(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n > 64)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char)s[i]) && !strchr("._:-", s[i]))
                        return false;
        return true;
}

static bool in_list(const char *s, const char *const *list, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(s, list[i]) == 0)
                        return true;
        return false;
}

/* Validate one record; append problems to el. */
static void check_row(const struct rcsv_record *rec, const int *col, const char *const *districts,
                      size_t nd, const char *const *extra, size_t nextra, struct errlist *el,
                      struct dir_entry *e)
{
        int line = rec->line;
        char why[160];
        memset(e, 0, sizeof *e);
        e->line = line;
        const char *f[C_N];
        for (int c = 0; c < C_N; c++)
                f[c] = col[c] >= 0 ? rec->field[col[c]] : "";
        e->recipient_id = (char *)f[C_ID];
        e->jurisdiction = (char *)f[C_JUR];
        e->role = (char *)f[C_ROLE];
        e->name = (char *)f[C_NAME];
        e->phone = (char *)f[C_PHONE];
        e->email = (char *)f[C_EMAIL];
        util_strlcpy(e->lang, f[C_LANG], sizeof e->lang);
        e->duty_days = (char *)f[C_DAYS];
        e->duty_hours = (char *)f[C_HOURS];
        for (int c = 0; c < C_N; c++)
                if (!util_utf8_valid(f[c], strlen(f[c]))) {
                        err_add(el, line, "%s: not valid UTF-8", columns[c]);
                        return;
                }
        if (!id_valid(f[C_ID]))
                err_add(el, line, "recipient_id \"%s\": 1-64 of A-Z a-z 0-9 . _ : -", f[C_ID]);
        const char *j = f[C_JUR];
        bool interstate = strncmp(j, DIR_INTERSTATE_PREFIX, strlen(DIR_INTERSTATE_PREFIX)) == 0;
        if (interstate) {
                if (!j[strlen(DIR_INTERSTATE_PREFIX)])
                        err_add(el, line, "jurisdiction \"%s\": INTERSTATE: needs a state name",
                                j);
        } else if (strcmp(j, DIR_STATE_COMMAND_CENTRE) != 0 && !in_list(j, districts, nd) &&
                   !in_list(j, extra, nextra)) {
                err_add(el, line,
                        "jurisdiction \"%s\" is not a district of the boundary layer, a "
                        "jurisdiction of an extra layer, STATE_COMMAND_CENTRE or "
                        "INTERSTATE:<state>",
                        j);
        }
        if (!in_list(f[C_ROLE], roles, sizeof roles / sizeof roles[0]))
                err_add(el, line,
                        "role \"%s\": one of sp, addl_sp, control_room, sho, range_ig, "
                        "command_centre, interstate",
                        f[C_ROLE]);
        else if (interstate != (strcmp(f[C_ROLE], "interstate") == 0))
                err_add(el, line, "role interstate goes with an INTERSTATE:<state> jurisdiction");
        size_t nl = strlen(f[C_NAME]);
        if (nl == 0 || nl > 120)
                err_add(el, line, "name: 1 to 120 characters");
        if (*f[C_PHONE] && !directory_phone_valid(f[C_PHONE], why, sizeof why))
                err_add(el, line, "%s", why);
        if (*f[C_EMAIL] && !directory_email_valid(f[C_EMAIL], why, sizeof why))
                err_add(el, line, "%s", why);
        if (!*f[C_PHONE] && !*f[C_EMAIL])
                err_add(el, line, "neither phone nor e-mail");
        long lvl = 0;
        if (cfg_parse_long(f[C_LEVEL], 1, 99, &lvl))
                err_add(el, line, "level \"%s\": an integer from 1 to 99", f[C_LEVEL]);
        e->level = (int)lvl;
        if (strcmp(f[C_LANG], "en") != 0 && strcmp(f[C_LANG], "hi") != 0)
                err_add(el, line, "lang \"%s\": en or hi", f[C_LANG]);
        struct dir_duty w;
        if (!directory_duty_parse(f[C_DAYS], f[C_HOURS], &w, why, sizeof why))
                err_add(el, line, "%s", why);
}

struct directory *directory_parse_csv(const char *buf, size_t len, const char *const *districts,
                                      size_t nd, bool require_complete, struct dir_error **errs,
                                      size_t *nerrs)
{
        return directory_parse_csv_ex(buf, len, districts, nd, NULL, 0, require_complete, errs,
                                      nerrs);
}

struct directory *directory_parse_csv_ex(const char *buf, size_t len,
                                         const char *const *districts, size_t nd,
                                         const char *const *extra, size_t nextra,
                                         bool require_complete, struct dir_error **errs,
                                         size_t *nerrs)
{
        struct errlist el = {0};
        struct directory *d = directory_new();
        struct rcsv_reader r;
        struct rcsv_record rec;
        char why[160];
        int col[C_N];
        size_t ncols = 0;
        rcsv_init(&r, buf, len);
        if (!d) {
                err_add(&el, 0, "out of memory");
                goto out;
        }
        if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) /* UTF-8 BOM */
                rcsv_init(&r, buf + 3, len - 3);
        int rc = rcsv_next(&r, &rec, why, sizeof why);
        if (rc != 1) {
                err_add(&el, 1, rc == 0 ? "empty file: a header row is required" : "%s", why);
                goto out;
        }
        for (int c = 0; c < C_N; c++)
                col[c] = -1;
        ncols = rec.n;
        for (size_t i = 0; i < rec.n; i++) {
                int c = 0;
                while (c < C_N && strcmp(rec.field[i], columns[c]) != 0)
                        c++;
                if (c == C_N)
                        err_add(&el, rec.line, "header: unknown column \"%s\"", rec.field[i]);
                else if (col[c] >= 0)
                        err_add(&el, rec.line, "header: column \"%s\" twice", rec.field[i]);
                else
                        col[c] = (int)i;
        }
        for (int c = 0; c < C_REQ; c++)
                if (col[c] < 0)
                        err_add(&el, rec.line, "header: column \"%s\" missing", columns[c]);
        if (el.n)
                goto out;
        while ((rc = rcsv_next(&r, &rec, why, sizeof why)) != 0) {
                if (rc < 0) {
                        err_add(&el, r.line - 1, "%s", why);
                        continue;
                }
                if (rec.n == 1 && rec.field[0][0] == '\0')
                        continue; /* blank line */
                if (rec.n != ncols) {
                        err_add(&el, rec.line, "%zu fields, the header has %zu", rec.n, ncols);
                        continue;
                }
                struct dir_entry e;
                size_t before = el.n;
                check_row(&rec, col, districts, nd, extra, nextra, &el, &e);
                for (size_t i = 0; i < d->n; i++)
                        if (strcmp(d->e[i].recipient_id, e.recipient_id) == 0) {
                                err_add(&el, rec.line, "recipient_id \"%s\" already on line %d",
                                        e.recipient_id, d->e[i].line);
                                break;
                        }
                if (el.n == before && directory_add(d, &e))
                        err_add(&el, rec.line, "out of memory");
        }
        if (require_complete && el.n == 0) {
                size_t idx[64];
                for (size_t i = 0; i <= nd; i++) {
                        const char *j = i < nd ? districts[i] : DIR_STATE_COMMAND_CENTRE;
                        size_t k = directory_select(d, j, 1, idx, 64), phones = 0;
                        for (size_t q = 0; q < k && q < 64; q++)
                                phones += d->e[idx[q]].phone != NULL;
                        if (phones == 0)
                                err_add(&el, 0, "%s: no level-1 recipient with a phone", j);
                }
        }
out:
        rcsv_free(&r);
        *errs = el.v;
        *nerrs = el.n;
        if (el.n) {
                directory_free(d);
                return NULL;
        }
        return d;
}
