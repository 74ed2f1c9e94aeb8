/* SPDX-License-Identifier: Apache-2.0 */
/* Pure text helpers of the e-mail way in: a small HTML-to-text converter for
 * report e-mails that come as HTML only, the three `Detected` time formats
 * partners use, and the sender allow-list check. No I/O. */
#include "mail_text.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "prahari/util.h"

/* ---- a growable byte buffer (file-local) ---- */

struct sbuf {
        char *p;
        size_t n, cap;
        bool oom;
};

static void sb_put(struct sbuf *b, const char *s, size_t len)
{
        if (b->oom)
                return;
        if (b->n + len + 1 > b->cap) {
                size_t cap = b->cap ? b->cap : 256;
                while (cap < b->n + len + 1)
                        cap *= 2;
                char *np = realloc(b->p, cap);
                if (!np) {
                        b->oom = true;
                        return;
                }
                b->p = np;
                b->cap = cap;
        }
        memcpy(b->p + b->n, s, len);
        b->n += len;
        b->p[b->n] = '\0';
}

static void sb_putc(struct sbuf *b, char c)
{
        sb_put(b, &c, 1);
}

/* UTF-8 encoding of one code point (invalid ones as U+FFFD). */
static void sb_put_cp(struct sbuf *b, unsigned long cp)
{
        char u[4];
        if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                cp = 0xFFFD;
        if (cp < 0x80) {
                u[0] = (char)cp;
                sb_put(b, u, 1);
        } else if (cp < 0x800) {
                u[0] = (char)(0xC0 | (cp >> 6));
                u[1] = (char)(0x80 | (cp & 0x3F));
                sb_put(b, u, 2);
        } else if (cp < 0x10000) {
                u[0] = (char)(0xE0 | (cp >> 12));
                u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
                u[2] = (char)(0x80 | (cp & 0x3F));
                sb_put(b, u, 3);
        } else {
                u[0] = (char)(0xF0 | (cp >> 18));
                u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
                u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
                u[3] = (char)(0x80 | (cp & 0x3F));
                sb_put(b, u, 4);
        }
}

/* ---- HTML to text ---- */

struct html_state {
        struct sbuf out;
        bool pending_space; /* collapsed source white space not yet written */
        int pre;            /* depth of <pre> */
};

static bool line_empty(const struct sbuf *b)
{
        return b->n == 0 || b->p[b->n - 1] == '\n';
}

static void html_newline(struct html_state *st)
{
        /* trim trailing blanks of the line just ended */
        while (st->out.n > 0 && (st->out.p[st->out.n - 1] == ' ' || st->out.p[st->out.n - 1] == '\t'))
                st->out.n--;
        if (st->out.p)
                st->out.p[st->out.n] = '\0';
        sb_putc(&st->out, '\n');
        st->pending_space = false;
}

static void html_text_char(struct html_state *st, char c)
{
        if (!st->pre && (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f')) {
                st->pending_space = true;
                return;
        }
        if (st->pending_space && !line_empty(&st->out))
                sb_putc(&st->out, ' ');
        st->pending_space = false;
        if (c == '\r')
                return;
        sb_putc(&st->out, c);
}

static const struct {
        const char *name;
        unsigned long cp;
} html_entities[] = {
        {"amp", '&'},      {"lt", '<'},        {"gt", '>'},        {"quot", '"'},
        {"apos", '\''},    {"nbsp", 0xA0},      {"ndash", 0x2013},  {"mdash", 0x2014},
        {"hellip", 0x2026}, {"lsquo", 0x2018}, {"rsquo", 0x2019},  {"ldquo", 0x201C},
        {"rdquo", 0x201D}, {"copy", 0xA9},     {"reg", 0xAE},      {"trade", 0x2122},
        {"bull", 0x2022},  {"middot", 0xB7},   {"zwj", 0x200D},    {"zwnj", 0x200C},
};

/* Decode the entity at s (s[0] == '&'); returns bytes consumed, 0 if none. */
static size_t html_entity(const char *s, size_t len, unsigned long *cp)
{
        size_t i = 1;
        if (i < len && s[i] == '#') {
                i++;
                int base = 10;
                if (i < len && (s[i] == 'x' || s[i] == 'X')) {
                        base = 16;
                        i++;
                }
                unsigned long v = 0;
                size_t nd = 0;
                while (i < len && nd < 8 &&
                       (base == 16 ? isxdigit((unsigned char)s[i]) : isdigit((unsigned char)s[i]))) {
                        int d = isdigit((unsigned char)s[i]) ? s[i] - '0'
                                                             : (tolower((unsigned char)s[i]) - 'a' + 10);
                        v = v * (unsigned long)base + (unsigned long)d;
                        i++;
                        nd++;
                }
                if (nd == 0)
                        return 0;
                if (i < len && s[i] == ';')
                        i++;
                *cp = v;
                return i;
        }
        size_t start = i;
        while (i < len && i - start < 10 && isalnum((unsigned char)s[i]))
                i++;
        if (i == start || i >= len || s[i] != ';')
                return 0;
        for (size_t k = 0; k < sizeof html_entities / sizeof html_entities[0]; k++) {
                if (strlen(html_entities[k].name) == i - start &&
                    memcmp(html_entities[k].name, s + start, i - start) == 0) {
                        *cp = html_entities[k].cp;
                        return i + 1;
                }
        }
        return 0;
}

/* Tag name (lower-case, up to 15 chars) of the tag starting at s[0] == '<'. */
static void tag_name(const char *s, size_t len, bool *closing, char name[16])
{
        size_t i = 1, k = 0;
        *closing = false;
        if (i < len && s[i] == '/') {
                *closing = true;
                i++;
        }
        while (i < len && k < 15 && (isalnum((unsigned char)s[i])))
                name[k++] = (char)tolower((unsigned char)s[i++]);
        name[k] = '\0';
}

static bool name_in(const char *name, const char *const *set)
{
        for (; *set; set++)
                if (strcmp(name, *set) == 0)
                        return true;
        return false;
}

/* Skip to the end of element `name` (for script/style/head); returns index after it. */
static size_t skip_element(const char *html, size_t len, size_t i, const char *name)
{
        size_t nl = strlen(name);
        while (i < len) {
                if (html[i] == '<' && i + 2 + nl <= len && html[i + 1] == '/' &&
                    strncasecmp(html + i + 2, name, nl) == 0) {
                        const char *gt = memchr(html + i, '>', len - i);
                        return gt ? (size_t)(gt - html) + 1 : len;
                }
                i++;
        }
        return len;
}

char *mail_html_to_text(const char *html, size_t len)
{
        static const char *const block[] = {"br", "p", "div", "tr", "li", "table", "h1", "h2",
                                            "h3", "h4", "h5", "h6", "ul", "ol", "blockquote",
                                            "hr", "body", "dl", "dt", "dd", "address", NULL};
        static const char *const cells[] = {"td", "th", NULL};
        static const char *const skipped[] = {"script", "style", "head", "title", NULL};
        struct html_state st = {0};
        size_t i = 0;
        sb_put(&st.out, "", 0);
        while (i < len) {
                char c = html[i];
                if (c == '<') {
                        if (i + 4 <= len && memcmp(html + i, "<!--", 4) == 0) {
                                const char *end = NULL;
                                for (size_t k = i + 4; k + 3 <= len; k++)
                                        if (memcmp(html + k, "-->", 3) == 0) {
                                                end = html + k + 3;
                                                break;
                                        }
                                i = end ? (size_t)(end - html) : len;
                                continue;
                        }
                        bool closing;
                        char name[16];
                        tag_name(html + i, len - i, &closing, name);
                        if (name[0] == '\0' && !(i + 1 < len && (html[i + 1] == '!' || html[i + 1] == '?'))) {
                                /* a lone '<' is text */
                                html_text_char(&st, c);
                                i++;
                                continue;
                        }
                        /* find the end of the tag, honouring quoted attribute values */
                        size_t k = i + 1;
                        char q = 0;
                        while (k < len && (q || html[k] != '>')) {
                                if (q && html[k] == q)
                                        q = 0;
                                else if (!q && (html[k] == '"' || html[k] == '\''))
                                        q = html[k];
                                k++;
                        }
                        i = k < len ? k + 1 : len;
                        if (!closing && name_in(name, skipped)) {
                                i = skip_element(html, len, i, name);
                                continue;
                        }
                        if (strcmp(name, "pre") == 0) {
                                if (closing && st.pre > 0)
                                        st.pre--;
                                else if (!closing)
                                        st.pre++;
                                if (!line_empty(&st.out))
                                        html_newline(&st);
                        } else if (name_in(name, block)) {
                                if (strcmp(name, "br") == 0 || !line_empty(&st.out))
                                        html_newline(&st);
                        } else if (name_in(name, cells) && !closing) {
                                if (!line_empty(&st.out)) {
                                        while (st.out.n > 0 && (st.out.p[st.out.n - 1] == ' ' ||
                                                                st.out.p[st.out.n - 1] == '\t'))
                                                st.out.n--;
                                        bool colon = st.out.n > 0 && st.out.p[st.out.n - 1] == ':';
                                        sb_putc(&st.out, colon ? ' ' : '\t');
                                }
                                st.pending_space = false;
                        }
                        continue;
                }
                if (c == '&') {
                        unsigned long cp;
                        size_t used = html_entity(html + i, len - i, &cp);
                        if (used) {
                                if (st.pending_space && !line_empty(&st.out))
                                        sb_putc(&st.out, ' ');
                                st.pending_space = false;
                                /* &nbsp; is a real space, not collapsible */
                                if (cp == 0xA0)
                                        sb_putc(&st.out, ' ');
                                else
                                        sb_put_cp(&st.out, cp);
                                i += used;
                                continue;
                        }
                }
                html_text_char(&st, c);
                i++;
        }
        while (st.out.n > 0 && (st.out.p[st.out.n - 1] == ' ' || st.out.p[st.out.n - 1] == '\t' ||
                                st.out.p[st.out.n - 1] == '\n'))
                st.out.n--;
        if (st.out.oom) {
                free(st.out.p);
                return NULL;
        }
        st.out.p[st.out.n] = '\0';
        return st.out.p;
}

size_t mail_text_normalise(char *s, size_t len)
{
        size_t r = 0, w = 0;
        if (len >= 3 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB &&
            (unsigned char)s[2] == 0xBF)
                r = 3;
        for (; r < len; r++) {
                char c = s[r];
                if (c == '\0')
                        continue;
                if (c == '\r') {
                        s[w++] = '\n';
                        if (r + 1 < len && s[r + 1] == '\n')
                                r++;
                        continue;
                }
                s[w++] = c;
        }
        s[w] = '\0';
        return w;
}

size_t mail_text_unflow(char *s, size_t len, bool delsp)
{
        size_t r = 0, w = 0, in_start = 0; /* in_start: where this input line's text begins in w */
        bool line_start = true;
        while (r < len) {
                if (line_start) {
                        in_start = w;
                        line_start = false;
                        if (s[r] == ' ') { /* space-stuffing */
                                r++;
                                continue;
                        }
                }
                if (s[r] == '\n') {
                        bool sig = w - in_start == 3 && memcmp(s + in_start, "-- ", 3) == 0;
                        r++;
                        line_start = true;
                        if (w > in_start && s[w - 1] == ' ' && !sig) {
                                if (delsp)
                                        w--;
                                continue; /* flowed: the next line goes on this one */
                        }
                        s[w++] = '\n';
                        continue;
                }
                s[w++] = s[r++];
        }
        s[w] = '\0';
        return w;
}

/* ---- time ---- */

static int64_t days_from_civil(int y, int m, int d)
{
        y -= m <= 2;
        int64_t era = (y >= 0 ? y : y - 399) / 400;
        int64_t yoe = y - era * 400;
        int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
        static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
                return 29;
        return dm[m - 1];
}

/* Exactly n digits at s. */
static int ndigits(const char *s, int n, int *out)
{
        int v = 0;
        for (int i = 0; i < n; i++) {
                if (!isdigit((unsigned char)s[i]))
                        return -1;
                v = v * 10 + (s[i] - '0');
        }
        *out = v;
        return 0;
}

static int civil_ok(int y, int mo, int d, int h, int mi, int sec)
{
        return y >= 2000 && y <= 2100 && mo >= 1 && mo <= 12 && d >= 1 &&
               d <= days_in_month(y, mo) && h >= 0 && h <= 23 && mi >= 0 && mi <= 59 &&
               sec >= 0 && sec <= 60;
}

/* A zone: named (IST, UTC, GMT, UT, Z, US zones) or +HH:MM / +HHMM. Whole string. */
static int parse_zone(const char *z, int *off_min)
{
        static const struct {
                const char *name;
                int off;
        } names[] = {{"IST", 330}, {"UTC", 0},    {"GMT", 0},    {"UT", 0},     {"Z", 0},
                     {"EST", -300}, {"EDT", -240}, {"CST", -360}, {"CDT", -300}, {"MST", -420},
                     {"MDT", -360}, {"PST", -480}, {"PDT", -420}};
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
                if (strcasecmp(z, names[i].name) == 0) {
                        *off_min = names[i].off;
                        return 0;
                }
        if ((z[0] == '+' || z[0] == '-')) {
                int oh, om;
                size_t n = strlen(z);
                if (n == 6 && z[3] == ':' && !ndigits(z + 1, 2, &oh) && !ndigits(z + 4, 2, &om)) {
                        /* +HH:MM */
                } else if (n == 5 && !ndigits(z + 1, 2, &oh) && !ndigits(z + 3, 2, &om)) {
                        /* +HHMM */
                } else {
                        return -1;
                }
                if (oh > 23 || om > 59)
                        return -1;
                *off_min = (oh * 60 + om) * (z[0] == '-' ? -1 : 1);
                return 0;
        }
        return -1;
}

/* "YYYY-MM-DD HH:MM[:SS] ZONE" */
static int parse_ist_form(const char *s, int64_t *out)
{
        int y, mo, d, h, mi, sec = 0;
        if (strlen(s) < 16)
                return -1;
        if (ndigits(s, 4, &y) || s[4] != '-' || ndigits(s + 5, 2, &mo) || s[7] != '-' ||
            ndigits(s + 8, 2, &d) || (s[10] != ' ' && s[10] != 'T') || ndigits(s + 11, 2, &h) ||
            s[13] != ':' || ndigits(s + 14, 2, &mi))
                return -1;
        const char *p = s + 16;
        if (*p == ':') {
                if (ndigits(p + 1, 2, &sec))
                        return -1;
                p += 3;
        }
        while (*p == ' ')
                p++;
        int off;
        if (!*p || parse_zone(p, &off) || !civil_ok(y, mo, d, h, mi, sec))
                return -1;
        *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off * 60;
        return 0;
}

/* "[Thu, ]03 Dec 2026 14:05[:00] +0530" */
static int parse_rfc2822(const char *s, int64_t *out)
{
        static const char *const mons[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                           "jul", "aug", "sep", "oct", "nov", "dec"};
        const char *p = s;
        if (isalpha((unsigned char)p[0])) {
                const char *comma = strchr(p, ',');
                if (!comma || comma - p > 9)
                        return -1;
                p = comma + 1;
        }
        while (*p == ' ')
                p++;
        char *end;
        long d = strtol(p, &end, 10);
        if (end == p || end - p > 2 || *end != ' ')
                return -1;
        p = end + 1;
        int mo = 0;
        for (int i = 0; i < 12; i++)
                if (strncasecmp(p, mons[i], 3) == 0 && p[3] == ' ') {
                        mo = i + 1;
                        break;
                }
        if (!mo)
                return -1;
        p += 4;
        int y, h, mi, sec = 0;
        if (ndigits(p, 4, &y) || p[4] != ' ')
                return -1;
        p += 5;
        if (ndigits(p, 2, &h) || p[2] != ':' || ndigits(p + 3, 2, &mi))
                return -1;
        p += 5;
        if (*p == ':') {
                if (ndigits(p + 1, 2, &sec))
                        return -1;
                p += 3;
        }
        if (*p != ' ')
                return -1;
        while (*p == ' ')
                p++;
        char zone[16];
        size_t zl = 0;
        while (*p && *p != ' ' && *p != '(' && zl < sizeof zone - 1)
                zone[zl++] = *p++;
        zone[zl] = '\0';
        while (*p == ' ')
                p++;
        if (*p == '(') { /* a comment such as "(IST)" */
                const char *cl = strchr(p, ')');
                if (!cl)
                        return -1;
                p = cl + 1;
        }
        int off;
        if (*p || parse_zone(zone, &off) || !civil_ok(y, mo, (int)d, h, mi, sec))
                return -1;
        *out = days_from_civil(y, mo, (int)d) * 86400 + h * 3600 + mi * 60 + sec - off * 60;
        return 0;
}

int mail_parse_detected(const char *s, int64_t *out)
{
        if (!s)
                return -1;
        while (*s == ' ' || *s == '\t')
                s++;
        char buf[96];
        size_t n = strlen(s);
        while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
                n--;
        if (n == 0 || n >= sizeof buf)
                return -1;
        memcpy(buf, s, n);
        buf[n] = '\0';
        int64_t us;
        if (util_parse_rfc3339(buf, &us) == 0) {
                int64_t secs = us / 1000000;
                /* same plausibility window as the other forms */
                if (secs < days_from_civil(2000, 1, 1) * 86400 ||
                    secs >= days_from_civil(2101, 1, 1) * 86400)
                        return -1;
                *out = secs;
                return 0;
        }
        if (parse_ist_form(buf, out) == 0)
                return 0;
        return parse_rfc2822(buf, out);
}

/* ---- senders ---- */

bool mail_sender_allowed(const char *list, const char *addr)
{
        if (!list || !addr || !*addr)
                return false;
        const char *at = strrchr(addr, '@');
        size_t alen = strlen(addr);
        const char *p = list;
        while (*p) {
                while (*p == ' ' || *p == ',' || *p == '\t')
                        p++;
                const char *e = p;
                while (*e && *e != ',')
                        e++;
                const char *t = e;
                while (t > p && (t[-1] == ' ' || t[-1] == '\t'))
                        t--;
                size_t n = (size_t)(t - p);
                if (n > 0) {
                        if (p[0] == '@') {
                                if (at && strlen(at) == n && strncasecmp(at, p, n) == 0)
                                        return true;
                        } else if (n == alen && strncasecmp(addr, p, n) == 0) {
                                return true;
                        }
                }
                p = e;
        }
        return false;
}

/* ---- Authentication-Results ---- */

/* Copy @p in without (comments), lower-cased, into a malloc'd string. */
static char *ar_clean(const char *in)
{
        size_t n = strlen(in), w = 0;
        int depth = 0;
        char *o = malloc(n + 1);
        if (!o)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                char c = in[i];
                if (c == '\\' && depth > 0 && i + 1 < n) {
                        i++;
                        continue;
                }
                if (c == '(') {
                        depth++;
                        continue;
                }
                if (c == ')' && depth > 0) {
                        depth--;
                        continue;
                }
                if (depth == 0)
                        o[w++] = (char)tolower((unsigned char)(c == '\t' || c == '\r' || c == '\n' ? ' ' : c));
        }
        o[w] = '\0';
        return o;
}

/* The value of property @p prop ("header.d") in one resinfo, or NULL; copied
 * into out (quotes removed). */
static const char *ar_prop(const char *resinfo, const char *prop, char *out, size_t outsz)
{
        size_t pl = strlen(prop);
        for (const char *s = resinfo; (s = strstr(s, prop)) != NULL; s += pl) {
                if ((s != resinfo && s[-1] != ' ') || s[pl] != '=')
                        continue;
                const char *v = s + pl + 1;
                size_t k = 0;
                if (*v == '"')
                        v++;
                while (*v && *v != ' ' && *v != '"' && *v != ';' && k + 1 < outsz)
                        out[k++] = *v++;
                out[k] = '\0';
                return out;
        }
        return NULL;
}

bool mail_auth_results_ok(const char *value, const char *authserv_id, const char *from_domain)
{
        if (!value || !authserv_id || !*authserv_id || !from_domain || !*from_domain)
                return false;
        char *v = ar_clean(value);
        if (!v)
                return false;
        bool ok = false;
        char *p = v;
        while (*p == ' ')
                p++;
        size_t idl = strlen(authserv_id);
        if (strncasecmp(p, authserv_id, idl) != 0 || (p[idl] != ';' && p[idl] != ' '))
                goto out;
        p += idl;
        while (*p == ' ' || isdigit((unsigned char)*p))
                p++;
        if (*p != ';')
                goto out;
        p++;
        /* each resinfo: "method=result prop=value ..." separated by ';' */
        while (*p && !ok) {
                char *e = strchr(p, ';');
                if (e)
                        *e = '\0';
                while (*p == ' ')
                        p++;
                char val[256];
                if (strncmp(p, "dmarc=pass", 10) == 0 && (p[10] == ' ' || p[10] == '\0')) {
                        const char *hf = ar_prop(p, "header.from", val, sizeof val);
                        ok = !hf || strcasecmp(hf, from_domain) == 0;
                } else if (strncmp(p, "dkim=pass", 9) == 0 && (p[9] == ' ' || p[9] == '\0')) {
                        const char *d = ar_prop(p, "header.d", val, sizeof val);
                        if (d && strcasecmp(d, from_domain) == 0) {
                                ok = true;
                        } else if ((d = ar_prop(p, "header.i", val, sizeof val)) != NULL) {
                                const char *at = strrchr(d, '@');
                                ok = at && strcasecmp(at + 1, from_domain) == 0;
                        }
                }
                if (!e)
                        break;
                p = e + 1;
        }
out:
        free(v);
        return ok;
}
