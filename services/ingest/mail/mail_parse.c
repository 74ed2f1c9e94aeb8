/* SPDX-License-Identifier: Apache-2.0 */
/* The e-mail way in, pure part: one RFC 5322 message (bytes) to a Meta-shaped
 * REPORT object, using GNU GMime for MIME (multipart, transfer encodings,
 * RFC 2047) and our own `Key: Value` reader for the report text. Never logs;
 * reasons name fields, never post text or names. */
#include "mail_parse.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

#include "mail_text.h"

/* ==== the report keys ==== */

enum key {
        K_REPORT_ID,
        K_PLATFORM,
        K_RISK,
        K_CATEGORY,
        K_DETECTED,
        K_ACCOUNT_ID,
        K_ACCOUNT_NAME,
        K_USERNAME,
        K_PROFILE_URL,
        K_PHONE,
        K_EMAIL,
        K_CONTENT_TYPE,
        K_CONTENT,
        K_PERMALINK,
        K_DEVICE_LOCATION,
        K_IP,
        K_PROFILE_LOCATION,
        K_PIN,
        K_COUNT
};

/* Key spellings after normalisation (lower-case; runs of space, '-', '_' and
 * '.' become one space). */
static const struct {
        const char *name;
        enum key k;
} key_names[] = {
        {"report id", K_REPORT_ID},
        {"platform", K_PLATFORM},
        {"risk level", K_RISK},
        {"risk", K_RISK},
        {"category", K_CATEGORY},
        {"detected", K_DETECTED},
        {"detected time", K_DETECTED},
        {"detected at", K_DETECTED},
        {"account id", K_ACCOUNT_ID},
        {"account name", K_ACCOUNT_NAME},
        {"username", K_USERNAME},
        {"account username", K_USERNAME},
        {"profile url", K_PROFILE_URL},
        {"phone", K_PHONE},
        {"phone number", K_PHONE},
        {"email", K_EMAIL},
        {"e mail", K_EMAIL},
        {"email address", K_EMAIL},
        {"content type", K_CONTENT_TYPE},
        {"content", K_CONTENT},
        {"permalink", K_PERMALINK},
        {"device location", K_DEVICE_LOCATION},
        {"ip address", K_IP},
        {"ip addresses", K_IP},
        {"ip", K_IP},
        {"profile location", K_PROFILE_LOCATION},
        {"pin code", K_PIN},
        {"pincode", K_PIN},
        {"pin", K_PIN},
        {"postal code", K_PIN},
};

#define MAX_KEY_LEN 40
#define MAX_VALUE_LEN 4000
#define MAX_CONTENT_LEN 65536
#define MAX_IPS 10

/* Normalise a key candidate; returns the key or -1. */
static int key_lookup(const char *s, size_t n)
{
        char buf[MAX_KEY_LEN + 1];
        size_t w = 0;
        bool sep = false;
        if (n > MAX_KEY_LEN)
                return -1;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];
                if (c == ' ' || c == '\t' || c == '-' || c == '_' || c == '.') {
                        sep = w > 0;
                        continue;
                }
                if (c >= 0x80)
                        return -1;
                if (sep)
                        buf[w++] = ' ';
                sep = false;
                buf[w++] = (char)tolower(c);
        }
        buf[w] = '\0';
        for (size_t i = 0; i < sizeof key_names / sizeof key_names[0]; i++)
                if (strcmp(buf, key_names[i].name) == 0)
                        return (int)key_names[i].k;
        return -1;
}

/* Blank: ASCII space/tab, or U+00A0 (C2 A0). */
static size_t blank_at(const char *s, size_t n)
{
        if (n >= 1 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\f' || s[0] == '\v'))
                return 1;
        if (n >= 2 && (unsigned char)s[0] == 0xC2 && (unsigned char)s[1] == 0xA0)
                return 2;
        return 0;
}

static void trim(const char **s, size_t *n)
{
        size_t b;
        while (*n > 0 && (b = blank_at(*s, *n)) > 0) {
                *s += b;
                *n -= b;
        }
        while (*n > 0) {
                if ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\f' ||
                    (*s)[*n - 1] == '\v')
                        (*n)--;
                else if (*n >= 2 && (unsigned char)(*s)[*n - 2] == 0xC2 &&
                         (unsigned char)(*s)[*n - 1] == 0xA0)
                        *n -= 2;
                else
                        break;
        }
}

static char *dup_n(const char *s, size_t n)
{
        char *d = malloc(n + 1);
        if (d) {
                memcpy(d, s, n);
                d[n] = '\0';
        }
        return d;
}

/* Lower-case ASCII copy with runs of blanks collapsed to one space. */
static void lower_collapse(const char *s, char *out, size_t outsz)
{
        size_t w = 0;
        bool sep = false;
        for (; *s && w + 2 < outsz; s++) {
                unsigned char c = (unsigned char)*s;
                if (c == ' ' || c == '\t' || c == '-' || c == '_') {
                        sep = w > 0;
                        continue;
                }
                if (sep)
                        out[w++] = ' ';
                sep = false;
                out[w++] = (char)tolower(c);
        }
        out[w] = '\0';
}

struct fields {
        char *v[K_COUNT];      /* first occurrence of each key (content: joined lines) */
        size_t content_len;
        char *ips[MAX_IPS];
        size_t nips;
        int nkeys;             /* distinct report keys seen (report id excluded) */
        bool oom;
};

static void fields_free(struct fields *f)
{
        for (int i = 0; i < K_COUNT; i++)
                free(f->v[i]);
        for (size_t i = 0; i < f->nips; i++)
                free(f->ips[i]);
}

static void content_append(struct fields *f, const char *s, size_t n)
{
        char *c = f->v[K_CONTENT];
        size_t add = n + (f->content_len ? 1 : 0);
        if (f->content_len + add > MAX_CONTENT_LEN)
                return;
        char *nc = realloc(c, f->content_len + add + 1);
        if (!nc) {
                f->oom = true;
                return;
        }
        if (f->content_len)
                nc[f->content_len++] = '\n';
        memcpy(nc + f->content_len, s, n);
        f->content_len += n;
        nc[f->content_len] = '\0';
        f->v[K_CONTENT] = nc;
}

static void ips_add(struct fields *f, const char *s, size_t n)
{
        size_t i = 0;
        while (i < n) {
                while (i < n && (s[i] == ',' || s[i] == ' ' || s[i] == ';' || s[i] == '\t'))
                        i++;
                size_t st = i;
                while (i < n && s[i] != ',' && s[i] != ' ' && s[i] != ';' && s[i] != '\t')
                        i++;
                if (i > st && f->nips < MAX_IPS) {
                        char *ip = dup_n(s + st, i - st);
                        if (!ip) {
                                f->oom = true;
                                return;
                        }
                        f->ips[f->nips++] = ip;
                }
        }
}

static void read_fields(const char *text, struct fields *f)
{
        bool in_content = false;
        const char *p = text;
        while (*p) {
                const char *nl = strchr(p, '\n');
                size_t n = nl ? (size_t)(nl - p) : strlen(p);
                const char *line = p;
                p = nl ? nl + 1 : p + n;
                trim(&line, &n);
                if (n == 0) {
                        in_content = false;
                        continue;
                }
                const char *colon = memchr(line, ':', n);
                int k = colon ? key_lookup(line, (size_t)(colon - line)) : -1;
                if (k < 0) {
                        if (in_content)
                                content_append(f, line, n);
                        continue;
                }
                const char *val = colon + 1;
                size_t vn = n - (size_t)(val - line);
                trim(&val, &vn);
                if (vn > MAX_VALUE_LEN)
                        vn = MAX_VALUE_LEN;
                in_content = false;
                if (k == K_IP) {
                        if (!f->nips)
                                f->nkeys++;
                        ips_add(f, val, vn);
                        continue;
                }
                if (f->v[k])
                        continue; /* the first occurrence wins (e.g. over a quoted copy) */
                if (k != K_REPORT_ID)
                        f->nkeys++;
                if (k == K_CONTENT) {
                        in_content = true;
                        f->v[k] = dup_n("", 0);
                        if (!f->v[k])
                                f->oom = true;
                        f->content_len = 0;
                        if (vn)
                                content_append(f, val, vn);
                        continue;
                }
                f->v[k] = dup_n(val, vn);
                if (!f->v[k])
                        f->oom = true;
        }
}

/* ==== building the REPORT ==== */

struct build {
        struct mail_result *out;
        bool failed;
};

static void fail(struct build *b, const char *field, const char *what)
{
        if (b->failed)
                return;
        b->failed = true;
        snprintf(b->out->field, sizeof b->out->field, "%s", field);
        snprintf(b->out->reason, sizeof b->out->reason, "%s: %s", field, what);
}

static void warn(struct build *b, const char *field, const char *what)
{
        struct mail_result *r = b->out;
        size_t used = strlen(r->warnings);
        if (used + 4 >= sizeof r->warnings)
                return;
        snprintf(r->warnings + used, sizeof r->warnings - used, "%s%s: %s", used ? "; " : "",
                 field, what);
}

/* Pick the canonical word for @p v among @p words (first word match allowed:
 * "High risk" is high); returns the word or NULL. */
static const char *pick_word(const char *v, const char *const *words, const char *const *alias,
                             const char *const *alias_to)
{
        char low[64];
        lower_collapse(v, low, sizeof low);
        for (size_t i = 0; alias && alias[i]; i++)
                if (strcmp(low, alias[i]) == 0)
                        return alias_to[i];
        for (size_t i = 0; words[i]; i++) {
                size_t wl = strlen(words[i]);
                if (strcmp(low, words[i]) == 0 ||
                    (strncmp(low, words[i], wl) == 0 && low[wl] == ' '))
                        return words[i];
        }
        return NULL;
}

static bool has_ctl(const char *s)
{
        for (; *s; s++)
                if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
                        return true;
        return false;
}

/* A strict decimal number token ([-+]digits[.digits]); advances *p. */
static int decimal(const char **p, double *out)
{
        const char *s = *p;
        char tok[32];
        size_t n = 0;
        if (*s == '+' || *s == '-')
                tok[n++] = *s++;
        int nd = 0;
        while (isdigit((unsigned char)*s) && n < sizeof tok - 1) {
                tok[n++] = *s++;
                nd++;
        }
        if (*s == '.' && n < sizeof tok - 1) {
                tok[n++] = *s++;
                while (isdigit((unsigned char)*s) && n < sizeof tok - 1) {
                        tok[n++] = *s++;
                        nd++;
                }
        }
        if (nd == 0 || isdigit((unsigned char)*s))
                return -1;
        tok[n] = '\0';
        *out = g_ascii_strtod(tok, NULL);
        *p = s;
        return isfinite(*out) ? 0 : -1;
}

/* "27.1234, 75.5678 (accuracy 30 m)"; accuracy optional (-1 when absent). */
static int parse_location(const char *s, double *lat, double *lon, double *acc)
{
        const char *p = s;
        *acc = -1;
        if (decimal(&p, lat))
                return -1;
        while (*p == ' ')
                p++;
        if (*p != ',')
                return -1;
        p++;
        while (*p == ' ')
                p++;
        if (decimal(&p, lon))
                return -1;
        if (*lat < -90 || *lat > 90 || *lon < -180 || *lon > 180)
                return -1;
        while (*p == ' ')
                p++;
        if (!*p)
                return 0;
        /* the accuracy: "(accuracy 30 m)", "(±30 m)", "accuracy: 30m" */
        const char *q = p;
        while (*q && !isdigit((unsigned char)*q))
                q++;
        if (!*q)
                return 0;
        char low[64];
        lower_collapse(p, low, sizeof low);
        if (!strstr(low, "acc") && !strstr(p, "\xC2\xB1"))
                return 0; /* trailing words we do not know: location still fine */
        double a;
        if (decimal(&q, &a) == 0 && a >= 0 && a <= 1e7)
                *acc = a;
        return 0;
}

static bool digits_only(const char *s, size_t min, size_t max)
{
        size_t n = strlen(s);
        if (n < min || n > max)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isdigit((unsigned char)s[i]))
                        return false;
        return true;
}

static void set_str(json_t *obj, const char *key, const char *v)
{
        if (v && *v)
                json_object_set_new(obj, key, json_string(v)); /* steals ref */
}

static int build_report(struct fields *f, struct mail_result *out, bool has_id)
{
        static const char *const platforms[] = {"facebook", "instagram", "threads", NULL};
        static const char *const risks[] = {"imminent", "high", "elevated", NULL};
        static const char *const cats[] = {"suicide", "self_injury", NULL};
        static const char *const cat_alias[] = {"self injury", "self harm", "selfharm",
                                                "self injury/self harm", NULL};
        static const char *const cat_alias_to[] = {"self_injury", "self_injury", "self_injury",
                                                   "self_injury"};
        static const char *const ctypes[] = {"post", "comment", "story", "reel",
                                             "live_video", "message", NULL};
        static const char *const ctype_alias[] = {"live video", "live", NULL};
        static const char *const ctype_alias_to[] = {"live_video", "live_video"};
        struct build b = {.out = out};
        json_t *r = json_object();
        json_t *account = json_object();
        json_t *content = json_object();
        json_t *signals = json_object();
        if (!r || !account || !content || !signals) {
                json_decref(r);
                json_decref(account);
                json_decref(content);
                json_decref(signals);
                return -1;
        }

        const char *v = f->v[K_REPORT_ID];
        if (!has_id || !v || !*v)
                fail(&b, "report_id", "required");
        else if (strlen(v) > 200 || has_ctl(v) || strchr(v, ' '))
                fail(&b, "report_id", "must be one word of at most 200 characters");
        else
                set_str(r, "report_id", v);

        const char *w;
        if (!(v = f->v[K_PLATFORM]) || !*v)
                fail(&b, "platform", "required");
        else if (!(w = pick_word(v, platforms, NULL, NULL)))
                fail(&b, "platform", "must be facebook, instagram or threads");
        else
                set_str(r, "platform", w);

        if (!(v = f->v[K_RISK]) || !*v)
                fail(&b, "risk_level", "required");
        else if (!(w = pick_word(v, risks, NULL, NULL)))
                fail(&b, "risk_level", "must be imminent, high or elevated");
        else
                set_str(r, "risk_level", w);

        if (!(v = f->v[K_CATEGORY]) || !*v)
                fail(&b, "category", "required");
        else if (!(w = pick_word(v, cats, cat_alias, cat_alias_to)))
                fail(&b, "category", "must be suicide or self_injury");
        else
                set_str(r, "category", w);

        int64_t t;
        if (!(v = f->v[K_DETECTED]) || !*v)
                fail(&b, "detected_time", "required");
        else if (mail_parse_detected(v, &t) != 0)
                fail(&b, "detected_time",
                     "must be YYYY-MM-DD HH:MM IST, RFC 3339 or RFC 2822 with a zone");
        else
                json_object_set_new(r, "detected_time", json_integer((json_int_t)t)); /* steals ref */

        if (!(v = f->v[K_ACCOUNT_ID]) || !*v)
                fail(&b, "account.id", "required");
        else if (!digits_only(v, 1, 40))
                fail(&b, "account.id", "must be digits");
        else
                set_str(account, "id", v);
        set_str(account, "name", f->v[K_ACCOUNT_NAME]);
        set_str(account, "username", f->v[K_USERNAME]);
        set_str(account, "profile_url", f->v[K_PROFILE_URL]);
        set_str(account, "phone", f->v[K_PHONE]);
        set_str(account, "email", f->v[K_EMAIL]);

        if (!(v = f->v[K_CONTENT_TYPE]) || !*v)
                fail(&b, "content.type", "required");
        else if (!(w = pick_word(v, ctypes, ctype_alias, ctype_alias_to)))
                fail(&b, "content.type",
                     "must be post, comment, story, reel, live_video or message");
        else
                set_str(content, "type", w);
        set_str(content, "text", f->v[K_CONTENT]);
        set_str(content, "permalink", f->v[K_PERMALINK]);

        if ((v = f->v[K_DEVICE_LOCATION]) && *v) {
                double lat, lon, acc;
                if (parse_location(v, &lat, &lon, &acc) == 0) {
                        json_t *dl = json_object();
                        json_object_set_new(dl, "latitude", json_real(lat));  /* steals ref */
                        json_object_set_new(dl, "longitude", json_real(lon)); /* steals ref */
                        if (acc >= 0)
                                json_object_set_new(dl, "accuracy_meters", json_real(acc));
                        json_object_set_new(signals, "device_location", dl); /* steals ref */
                } else {
                        warn(&b, "signals.device_location", "unreadable, dropped");
                }
        }
        if (f->nips) {
                json_t *arr = json_array();
                for (size_t i = 0; i < f->nips; i++) {
                        unsigned char buf[16];
                        if (inet_pton(AF_INET, f->ips[i], buf) == 1 ||
                            inet_pton(AF_INET6, f->ips[i], buf) == 1) {
                                json_t *o = json_object();
                                json_object_set_new(o, "ip", json_string(f->ips[i])); /* steals ref */
                                json_array_append_new(arr, o); /* steals ref */
                        } else {
                                warn(&b, "signals.ip_addresses", "not an IP address, dropped");
                        }
                }
                if (json_array_size(arr))
                        json_object_set_new(signals, "ip_addresses", arr); /* steals ref */
                else
                        json_decref(arr);
        }
        set_str(signals, "profile_location", f->v[K_PROFILE_LOCATION]);
        if ((v = f->v[K_PIN]) && *v) {
                char pin[16];
                size_t n = 0;
                for (const char *s = v; *s && n < sizeof pin - 1; s++)
                        if (*s != ' ')
                                pin[n++] = *s;
                pin[n] = '\0';
                if (digits_only(pin, 6, 6) && pin[0] != '0')
                        set_str(signals, "postal_code", pin);
                else
                        warn(&b, "signals.postal_code", "not a 6-digit PIN, dropped");
        }

        json_object_set_new(r, "account", account); /* steals ref */
        json_object_set_new(r, "content", content); /* steals ref */
        if (json_object_size(signals))
                json_object_set_new(r, "signals", signals); /* steals ref */
        else
                json_decref(signals);
        out->report = r;
        out->kind = b.failed ? MAIL_INVALID : MAIL_REPORT;
        return 0;
}

/* has_id: whether the text holds a Report ID line at all. */
static int parse_text_internal(const char *text, struct mail_result *out, bool *has_id)
{
        struct fields f = {0};
        int rc = -1;
        read_fields(text, &f);
        if (f.oom)
                goto out;
        *has_id = f.v[K_REPORT_ID] != NULL;
        json_decref(out->report);
        out->report = NULL;
        out->reason[0] = out->field[0] = out->warnings[0] = '\0';
        if (!*has_id && f.nkeys < 2) {
                out->kind = MAIL_NOT_REPORT;
                snprintf(out->reason, sizeof out->reason, "no Report ID line");
                rc = 0;
                goto out;
        }
        rc = build_report(&f, out, *has_id);
out:
        fields_free(&f);
        return rc;
}

int mail_parse_text(const char *text, struct mail_result *out)
{
        bool has_id;
        return parse_text_internal(text ? text : "", out, &has_id);
}

/* ==== MIME ==== */

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;

static void gmime_init_once(void)
{
        g_mime_init();
}

void mail_parse_init(void)
{
        pthread_once(&gmime_once, gmime_init_once);
}

const char *mail_kind_name(enum mail_kind k)
{
        switch (k) {
        case MAIL_REPORT:
                return "report";
        case MAIL_NOT_REPORT:
                return "not_report";
        case MAIL_INVALID:
                return "invalid";
        }
        return "?";
}

void mail_result_clear(struct mail_result *r)
{
        if (!r)
                return;
        json_decref(r->report);
        free(r->sender);
        free(r->message_id);
        free(r->subject);
        free(r->auth_results);
        memset(r, 0, sizeof *r);
}

struct bodies {
        GMimePart *plain; /* borrowed from the message */
        GMimePart *html;
        bool report_type; /* multipart/report somewhere: a bounce or receipt */
};

static void find_bodies(GMimeObject *obj, struct bodies *b, int depth)
{
        if (!obj || depth > 16)
                return;
        GMimeContentType *ct = g_mime_object_get_content_type(obj);
        if (GMIME_IS_MULTIPART(obj)) {
                if (ct && g_mime_content_type_is_type(ct, "multipart", "report"))
                        b->report_type = true;
                GMimeMultipart *mp = GMIME_MULTIPART(obj);
                int n = g_mime_multipart_get_count(mp);
                for (int i = 0; i < n; i++)
                        find_bodies(g_mime_multipart_get_part(mp, i), b, depth + 1);
                return;
        }
        if (!GMIME_IS_PART(obj) || !ct)
                return; /* message/rfc822 parts (forwards) are not read */
        GMimePart *part = GMIME_PART(obj);
        if (g_mime_part_is_attachment(part))
                return;
        if (!b->plain && g_mime_content_type_is_type(ct, "text", "plain"))
                b->plain = part;
        else if (!b->html && g_mime_content_type_is_type(ct, "text", "html"))
                b->html = part;
}

/* Stateful 7-bit charsets whose bytes are also valid UTF-8 but mean otherwise. */
static bool charset_stateful(const char *cs)
{
        return cs && (g_ascii_strncasecmp(cs, "iso-2022", 8) == 0 ||
                      g_ascii_strcasecmp(cs, "utf-7") == 0 ||
                      g_ascii_strncasecmp(cs, "hz", 2) == 0);
}

/* The decoded text of a leaf part as malloc'd UTF-8 with LF line ends. */
static char *part_text(GMimePart *part)
{
        GMimeDataWrapper *dw = g_mime_part_get_content(part);
        GMimeStream *mem = g_mime_stream_mem_new();
        char *text = NULL;
        if (!mem)
                return NULL;
        if (dw)
                g_mime_data_wrapper_write_to_stream(dw, mem);
        GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
        size_t n = 0;
        char *buf = malloc((ba ? ba->len : 0) + 1);
        if (!buf)
                goto out;
        for (size_t i = 0; ba && i < ba->len; i++)
                if (ba->data[i] != 0)
                        buf[n++] = (char)ba->data[i];
        buf[n] = '\0';
        const char *cs = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "charset");
        if (!charset_stateful(cs) && g_utf8_validate(buf, (gssize)n, NULL)) {
                text = buf;
                buf = NULL;
        } else {
                gsize outn = 0;
                gchar *conv = NULL;
                if (cs)
                        conv = g_convert(buf, (gssize)n, "UTF-8", g_mime_charset_iconv_name(cs),
                                         NULL, &outn, NULL);
                if (!conv)
                        conv = g_convert(buf, (gssize)n, "UTF-8", "WINDOWS-1252", NULL, &outn,
                                         NULL);
                if (!conv)
                        conv = g_convert(buf, (gssize)n, "UTF-8", "ISO-8859-1", NULL, &outn, NULL);
                if (conv) {
                        text = malloc(outn + 1);
                        if (text) {
                                size_t w = 0;
                                for (size_t i = 0; i < outn; i++)
                                        if (conv[i])
                                                text[w++] = conv[i];
                                text[w] = '\0';
                                n = w;
                        }
                        g_free(conv);
                }
        }
        if (text) {
                size_t tl = mail_text_normalise(text, strlen(text));
                const char *fmt = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "format");
                if (fmt && g_ascii_strcasecmp(fmt, "flowed") == 0) {
                        const char *dsp = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "delsp");
                        mail_text_unflow(text, tl, dsp && g_ascii_strcasecmp(dsp, "yes") == 0);
                }
        }
out:
        free(buf);
        g_object_unref(mem);
        return text;
}

static bool header_has(GMimeObject *obj, const char *name, const char *const *values)
{
        const char *h = g_mime_object_get_header(obj, name);
        if (!h)
                return false;
        if (!values)
                return true;
        while (*h == ' ' || *h == '\t')
                h++;
        for (; *values; values++) {
                size_t n = strlen(*values);
                if (g_ascii_strncasecmp(h, *values, n) == 0 &&
                    (h[n] == '\0' || h[n] == ' ' || h[n] == ';' || h[n] == '\t' || h[n] == '\r' ||
                     h[n] == '\n'))
                        return true;
        }
        return false;
}

static char *dup_lower(const char *s)
{
        char *d = strdup(s);
        if (d)
                for (char *p = d; *p; p++)
                        *p = (char)tolower((unsigned char)*p);
        return d;
}

/* Classify by headers: 2 auto-reply or bounce, 1 bulk or list mail, 0 neither. */
static int header_class(GMimeMessage *msg, const struct bodies *b, char *why, size_t whysz)
{
        static const char *const replied[] = {"auto-replied", NULL};
        static const char *const generated[] = {"auto-generated", "auto-notified", NULL};
        static const char *const prec_auto[] = {"auto_reply", NULL};
        static const char *const prec_bulk[] = {"bulk", "list", "junk", NULL};
        GMimeObject *o = GMIME_OBJECT(msg);
        if (header_has(o, "Auto-Submitted", replied)) {
                snprintf(why, whysz, "auto-reply (Auto-Submitted: auto-replied)");
                return 2;
        }
        if (header_has(o, "X-Autoreply", NULL) || header_has(o, "X-Autorespond", NULL) ||
            header_has(o, "X-Autoresponder", NULL)) {
                snprintf(why, whysz, "auto-reply (X-Autoreply)");
                return 2;
        }
        if (header_has(o, "Precedence", prec_auto)) {
                snprintf(why, whysz, "auto-reply (Precedence: auto_reply)");
                return 2;
        }
        if (b->report_type) {
                snprintf(why, whysz, "delivery or read report (multipart/report)");
                return 2;
        }
        if (header_has(o, "Precedence", prec_bulk)) {
                snprintf(why, whysz, "bulk or list mail (Precedence)");
                return 1;
        }
        if (header_has(o, "List-Unsubscribe", NULL) || header_has(o, "List-Id", NULL)) {
                snprintf(why, whysz, "list mail (List-Unsubscribe/List-Id)");
                return 1;
        }
        if (header_has(o, "Auto-Submitted", generated)) {
                snprintf(why, whysz, "automatic mail (Auto-Submitted: auto-generated)");
                return 1;
        }
        return 0;
}

int mail_parse(const char *raw, size_t len, struct mail_result *out)
{
        int rc = -1;
        GMimeMessage *msg = NULL;
        char *text = NULL;
        memset(out, 0, sizeof *out);
        mail_parse_init();

        GMimeStream *stream = g_mime_stream_mem_new_with_buffer(raw ? raw : "", raw ? len : 0);
        GMimeParser *parser = g_mime_parser_new_with_stream(stream);
        g_object_unref(stream);
        msg = g_mime_parser_construct_message(parser, NULL);
        g_object_unref(parser);
        if (!msg) {
                out->kind = MAIL_INVALID;
                snprintf(out->field, sizeof out->field, "message");
                snprintf(out->reason, sizeof out->reason, "message: not an RFC 5322 message");
                rc = 0;
                goto out;
        }

        InternetAddressList *from = g_mime_message_get_from(msg);
        for (int i = 0; from && i < internet_address_list_length(from); i++) {
                InternetAddress *ia = internet_address_list_get_address(from, i);
                if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
                        const char *addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
                        if (addr && *addr) {
                                if (!(out->sender = dup_lower(addr)))
                                        goto out;
                                break;
                        }
                }
        }
        const char *mid = g_mime_message_get_message_id(msg);
        if (mid && !(out->message_id = strdup(mid)))
                goto out;
        const char *subj = g_mime_message_get_subject(msg);
        if (subj) {
                gchar *valid = g_utf8_make_valid(subj, -1);
                out->subject = valid ? strdup(valid) : NULL;
                g_free(valid);
        }

        const char *ar = g_mime_object_get_header(GMIME_OBJECT(msg), "Authentication-Results");
        if (ar && !(out->auth_results = strdup(ar)))
                goto out;

        struct bodies b = {0};
        find_bodies(g_mime_message_get_mime_part(msg), &b, 0);
        char why[160] = "";
        int hclass = header_class(msg, &b, why, sizeof why);
        if (hclass == 2) {
                out->kind = MAIL_NOT_REPORT;
                snprintf(out->reason, sizeof out->reason, "%s", why);
                rc = 0;
                goto out;
        }

        bool has_id = false;
        out->kind = MAIL_NOT_REPORT;
        snprintf(out->reason, sizeof out->reason, "no text part");
        if (b.plain) {
                if (!(text = part_text(b.plain)))
                        goto out;
                if (parse_text_internal(text, out, &has_id) != 0)
                        goto out;
                free(text);
                text = NULL;
        }
        if (!has_id && b.html) {
                char *html = part_text(b.html);
                if (!html)
                        goto out;
                text = mail_html_to_text(html, strlen(html));
                free(html);
                if (!text)
                        goto out;
                struct mail_result hr = {0};
                bool html_id = false;
                if (parse_text_internal(text, &hr, &html_id) != 0) {
                        mail_result_clear(&hr);
                        goto out;
                }
                /* the HTML part wins if it holds more of a report */
                if (html_id || (out->kind == MAIL_NOT_REPORT && hr.kind != MAIL_NOT_REPORT) ||
                    !b.plain) {
                        json_decref(out->report);
                        out->report = hr.report;
                        hr.report = NULL;
                        out->kind = hr.kind;
                        memcpy(out->reason, hr.reason, sizeof out->reason);
                        memcpy(out->field, hr.field, sizeof out->field);
                        memcpy(out->warnings, hr.warnings, sizeof out->warnings);
                        has_id = html_id;
                }
                mail_result_clear(&hr);
        }
        if (hclass == 1 && !has_id) {
                json_decref(out->report);
                out->report = NULL;
                out->kind = MAIL_NOT_REPORT;
                out->field[0] = '\0';
                snprintf(out->reason, sizeof out->reason, "%s", why);
        }
        rc = 0;
out:
        free(text);
        if (msg)
                g_object_unref(msg);
        return rc;
}
