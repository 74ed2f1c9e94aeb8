/* SPDX-License-Identifier: Apache-2.0 */
/* Partner items (pure): the list the adapters fill, field-naming validation
 * helpers, and the building blocks of the canonical message (location hints,
 * times, NUL scrubbing). No I/O. */
#include "item.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prahari/util.h"

/* ==== Item list ==== */

struct ingest_item *item_list_add(struct item_list *l, const char *source, const char *way)
{
        if (l->n == l->cap) {
                size_t ncap = l->cap ? l->cap * 2 : 4;
                struct ingest_item *nv = realloc(l->v, ncap * sizeof(*nv));
                if (!nv)
                        return NULL;
                l->v = nv;
                l->cap = ncap;
        }
        struct ingest_item *it = &l->v[l->n++];
        memset(it, 0, sizeof(*it));
        snprintf(it->source, sizeof(it->source), "%s", source ? source : "");
        snprintf(it->way, sizeof(it->way), "%s", way ? way : "");
        return it;
}

void item_clear(struct ingest_item *it)
{
        json_decref(it->canonical);
        json_decref(it->subject);
        json_decref(it->content);
        free(it->raw);
        it->canonical = it->subject = it->content = NULL;
        it->raw = NULL;
        it->rawlen = 0;
}

void item_list_free(struct item_list *l)
{
        for (size_t i = 0; i < l->n; i++)
                item_clear(&l->v[i]);
        free(l->v);
        l->v = NULL;
        l->n = l->cap = 0;
}

void item_quarantine(struct ingest_item *it, const char *field, const char *what,
                     const char *raw, size_t rawlen)
{
        char *copy = NULL;
        if (raw && raw != it->raw) {
                copy = malloc(rawlen + 1);
                if (copy) {
                        memcpy(copy, raw, rawlen);
                        copy[rawlen] = '\0';
                }
        } else if (raw == it->raw) {
                copy = it->raw; /* keep the raw we already hold */
                it->raw = NULL;
        }
        item_clear(it);
        it->raw = copy;
        it->rawlen = copy ? rawlen : 0;
        it->quarantined = true;
        snprintf(it->field, sizeof(it->field), "%s", field ? field : "");
        if (field && *field)
                snprintf(it->reason, sizeof(it->reason), "%s: %s", field, what);
        else
                snprintf(it->reason, sizeof(it->reason), "%s", what);
}

int item_set_raw_from_json(struct ingest_item *it, const json_t *obj)
{
        char *s = json_dumps(obj, JSON_SORT_KEYS | JSON_COMPACT);
        if (!s)
                return -1;
        free(it->raw);
        it->raw = s;
        it->rawlen = strlen(s);
        util_sha256_hex(s, it->rawlen, it->content_hash);
        return 0;
}

/* ==== Validation ==== */

void vld_init(struct vld *v, const char *prefix)
{
        memset(v, 0, sizeof(*v));
        snprintf(v->prefix, sizeof(v->prefix), "%s", prefix ? prefix : "");
}

void vld_fail(struct vld *v, const char *key, const char *what)
{
        if (v->failed)
                return;
        v->failed = true;
        if (v->prefix[0] && key && *key)
                snprintf(v->field, sizeof(v->field), "%s.%s", v->prefix, key);
        else
                snprintf(v->field, sizeof(v->field), "%s", key && *key ? key : v->prefix);
        snprintf(v->what, sizeof(v->what), "%s", what);
}

/* A string that came from a number jansson could not hold (see jsonload.h). */
static bool is_bignum_marker(const json_t *j)
{
        const char *s = json_string_value(j);
        return s && s[0] == '\x1b' && strncmp(s + 1, "NUMBER:", 7) == 0;
}

const char *vld_str(struct vld *v, const json_t *obj, const char *key, bool required)
{
        json_t *j = json_object_get(obj, key);
        if (!j || json_is_null(j)) {
                if (required)
                        vld_fail(v, key, "required");
                return NULL;
        }
        if (is_bignum_marker(j)) {
                vld_fail(v, key, "number too large to read");
                return NULL;
        }
        if (!json_is_string(j)) {
                vld_fail(v, key, "must be a string");
                return NULL;
        }
        const char *s = json_string_value(j);
        if (strlen(s) != json_string_length(j)) {
                vld_fail(v, key, "must not contain NUL");
                return NULL;
        }
        if (required && !*s) {
                vld_fail(v, key, "must not be empty");
                return NULL;
        }
        return s;
}

const char *vld_enum(struct vld *v, const json_t *obj, const char *key, bool required,
                     const char *const *allowed)
{
        const char *s = vld_str(v, obj, key, required);
        if (!s)
                return NULL;
        for (size_t i = 0; allowed[i]; i++)
                if (strcmp(s, allowed[i]) == 0)
                        return allowed[i];
        char what[96];
        size_t off = (size_t)snprintf(what, sizeof(what), "must be one of");
        for (size_t i = 0; allowed[i] && off < sizeof(what); i++)
                off += (size_t)snprintf(what + off, sizeof(what) - off, "%s%s", i ? "|" : " ",
                                        allowed[i]);
        vld_fail(v, key, what);
        return NULL;
}

void vld_sub_init(struct vld *sub, const char *prefix, const char *key)
{
        char p[160];
        snprintf(p, sizeof(p), "%s.%s", prefix, key);
        vld_init(sub, p);
}

void vld_sub_merge(struct vld *v, const struct vld *sub)
{
        if (sub->failed && !v->failed) {
                v->failed = true;
                snprintf(v->field, sizeof(v->field), "%s", sub->field);
                snprintf(v->what, sizeof(v->what), "%s", sub->what);
        }
}

json_t *vld_obj(struct vld *v, const json_t *obj, const char *key, bool required)
{
        json_t *j = json_object_get(obj, key);
        if (!j || json_is_null(j)) {
                if (required)
                        vld_fail(v, key, "required");
                return NULL;
        }
        if (!json_is_object(j)) {
                vld_fail(v, key, "must be an object");
                return NULL;
        }
        return j;
}

json_t *vld_arr(struct vld *v, const json_t *obj, const char *key, bool required)
{
        json_t *j = json_object_get(obj, key);
        if (!j || json_is_null(j)) {
                if (required)
                        vld_fail(v, key, "required");
                return NULL;
        }
        if (!json_is_array(j)) {
                vld_fail(v, key, "must be an array");
                return NULL;
        }
        return j;
}

bool vld_num(struct vld *v, const json_t *obj, const char *key, bool required, double min,
             double max, double *out)
{
        json_t *j = json_object_get(obj, key);
        if (!j || json_is_null(j)) {
                if (required)
                        vld_fail(v, key, "required");
                return false;
        }
        if (is_bignum_marker(j)) {
                vld_fail(v, key, "number too large to read");
                return false;
        }
        if (!json_is_number(j)) {
                vld_fail(v, key, "must be a number");
                return false;
        }
        double d = json_number_value(j);
        if (!isfinite(d) || d < min || d > max) {
                char what[96];
                snprintf(what, sizeof(what), "out of range [%g, %g]", min, max);
                vld_fail(v, key, what);
                return false;
        }
        *out = d;
        return true;
}

bool vld_unix_time(struct vld *v, const json_t *obj, const char *key, bool required,
                   int64_t *out_us)
{
        json_t *j = json_object_get(obj, key);
        if (!j || json_is_null(j)) {
                if (required)
                        vld_fail(v, key, "required");
                return false;
        }
        if (is_bignum_marker(j)) {
                vld_fail(v, key, "number too large to read");
                return false;
        }
        if (!json_is_integer(j)) {
                vld_fail(v, key, "must be unix seconds (an integer)");
                return false;
        }
        json_int_t t = json_integer_value(j);
        /* Milliseconds by mistake: 1e11 s is the year 5138, 1e11 ms is 1973. */
        if (t >= 100000000000LL)
                t /= 1000;
        /* 2000-01-01 .. 2100-01-01: anything else is a partner bug. */
        if (t < 946684800LL || t > 4102444800LL) {
                vld_fail(v, key, "out of range (2000..2100)");
                return false;
        }
        *out_us = (int64_t)t * 1000000;
        return true;
}

bool vld_rfc3339(struct vld *v, const json_t *obj, const char *key, bool required,
                 int64_t *out_us)
{
        const char *s = vld_str(v, obj, key, required);
        if (!s)
                return false;
        int64_t us;
        if (util_parse_rfc3339(s, &us) != 0) {
                vld_fail(v, key, "must be an RFC 3339 time");
                return false;
        }
        if (us < 946684800LL * 1000000 || us > 4102444800LL * 1000000) {
                vld_fail(v, key, "out of range (2000..2100)");
                return false;
        }
        *out_us = us;
        return true;
}

bool vld_bool(struct vld *v, const json_t *obj, const char *key, bool *out)
{
        json_t *j = json_object_get(obj, key);
        if (!j || json_is_null(j))
                return false;
        if (!json_is_boolean(j)) {
                vld_fail(v, key, "must be true or false");
                return false;
        }
        *out = json_is_true(j);
        return true;
}

/* ==== Canonical ==== */

void canon_time(int64_t us, char *buf, size_t bufsz)
{
        util_rfc3339(us, us % 1000000 != 0, buf, bufsz);
}

/* A copy of @p s for JSON with any NUL already excluded (s is a C string). */
void canon_set_str(json_t *obj, const char *key, const char *s)
{
        if (s && *s)
                json_object_set_new(obj, key, json_string(s)); /* steals ref */
}

json_t *canon_new(const char *source, const char *way, const char *source_alert_id,
                  const char *platform, const char *severity, const char *category,
                  int64_t reported_us)
{
        char ts[40];
        canon_time(reported_us, ts, sizeof(ts));
        return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[]}", "schema", ITEM_SCHEMA,
                         "source", source, "way", way, "source_alert_id", source_alert_id,
                         "platform", platform, "severity", severity, "category", category,
                         "reported_at", ts, "location_hints");
}

static void hint_add(json_t *c, json_t *h)
{
        json_t *arr = json_object_get(c, "location_hints");
        if (arr && h)
                json_array_append_new(arr, h); /* steals ref */
        else
                json_decref(h);
}

void canon_hint_gps(json_t *c, double lat, double lon, double accuracy_m, int64_t observed_us,
                    const char *source)
{
        json_t *h = json_pack("{s:s, s:f, s:f}", "kind", "gps", "lat", lat, "lon", lon);
        if (!h)
                return;
        if (accuracy_m >= 0)
                json_object_set_new(h, "accuracy_m", json_real(accuracy_m));
        if (observed_us > 0) {
                char ts[40];
                canon_time(observed_us, ts, sizeof(ts));
                json_object_set_new(h, "observed_at", json_string(ts));
        }
        if (source)
                json_object_set_new(h, "source", json_string(source));
        hint_add(c, h);
}

/* Cut @p s to at most @p maxchars UTF-8 characters; returns the byte length. */
static size_t utf8_prefix(const char *s, size_t maxchars)
{
        size_t i = 0, chars = 0;
        while (s[i] && chars < maxchars) {
                i++;
                while (((unsigned char)s[i] & 0xC0) == 0x80)
                        i++;
                chars++;
        }
        return i;
}

void canon_hint_place(json_t *c, const char *text, const char *source)
{
        if (!text)
                return;
        while (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r')
                text++;
        if (!*text)
                return;
        size_t n = utf8_prefix(text, 500);
        json_t *h = json_pack("{s:s, s:s%}", "kind", "place", "text", text, n);
        if (h && source)
                json_object_set_new(h, "source", json_string(source));
        hint_add(c, h);
}

void canon_hint_pin(json_t *c, const char *code)
{
        if (!code)
                return;
        char pin[8];
        size_t n = 0;
        for (const char *p = code; *p; p++) {
                if (*p == ' ' || *p == '-')
                        continue;
                if (*p < '0' || *p > '9' || n >= 6)
                        return;
                pin[n++] = *p;
        }
        if (n != 6 || pin[0] == '0')
                return;
        pin[6] = '\0';
        hint_add(c, json_pack("{s:s, s:s}", "kind", "pin", "code", pin));
}

void canon_hint_ip(json_t *c, const char *ip, int64_t observed_us)
{
        unsigned char buf[16];
        if (!ip || (inet_pton(AF_INET, ip, buf) != 1 && inet_pton(AF_INET6, ip, buf) != 1))
                return;
        json_t *h = json_pack("{s:s, s:s}", "kind", "ip", "ip", ip);
        if (h && observed_us > 0) {
                char ts[40];
                canon_time(observed_us, ts, sizeof(ts));
                json_object_set_new(h, "observed_at", json_string(ts));
        }
        hint_add(c, h);
}

void canon_hint_phone(json_t *c, const char *number)
{
        if (!number || !*number)
                return;
        json_t *arr = json_object_get(c, "location_hints");
        size_t i;
        json_t *h;
        json_array_foreach(arr, i, h)
        {
                const char *k = json_string_value(json_object_get(h, "kind"));
                const char *n = json_string_value(json_object_get(h, "number"));
                if (k && n && strcmp(k, "phone") == 0 && strcmp(n, number) == 0)
                        return;
        }
        hint_add(c, json_pack("{s:s, s:s}", "kind", "phone", "number", number));
}

json_t *item_scrub_nul(json_t *j)
{
        if (json_is_string(j)) {
                size_t len = json_string_length(j);
                const char *s = json_string_value(j);
                if (strlen(s) == len)
                        return j;
                size_t nul = 0;
                for (size_t i = 0; i < len; i++)
                        nul += s[i] == '\0';
                char *out = malloc(len + nul * 2 + 1);
                if (!out)
                        return j;
                size_t o = 0;
                for (size_t i = 0; i < len; i++) {
                        if (s[i] == '\0') {
                                out[o++] = (char)0xEF; /* U+FFFD */
                                out[o++] = (char)0xBF;
                                out[o++] = (char)0xBD;
                        } else {
                                out[o++] = s[i];
                        }
                }
                json_string_setn_nocheck(j, out, o);
                free(out);
        } else if (json_is_object(j)) {
                const char *k;
                json_t *val;
                json_object_foreach(j, k, val) item_scrub_nul(val);
        } else if (json_is_array(j)) {
                size_t i;
                json_t *val;
                json_array_foreach(j, i, val) item_scrub_nul(val);
        }
        return j;
}

bool canon_lang_from_locale(const char *locale, char out[8])
{
        if (!locale)
                return false;
        size_t n = 0;
        while (locale[n] && locale[n] != '_' && locale[n] != '-' && n < 3) {
                char ch = locale[n];
                if (ch >= 'A' && ch <= 'Z')
                        ch = (char)(ch - 'A' + 'a');
                if (ch < 'a' || ch > 'z')
                        return false;
                out[n++] = ch;
        }
        if (n < 2 || (locale[n] && locale[n] != '_' && locale[n] != '-'))
                return false;
        out[n] = '\0';
        return true;
}
