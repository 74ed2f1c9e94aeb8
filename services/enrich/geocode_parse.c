/* SPDX-License-Identifier: Apache-2.0 */
/* The outside geocoder's pure part: query URL, jsonv2 answer -> hits, and
 * the choice among hits (lead, ambiguity, confidence). See geocode_parse.h. */
#include "geocode_parse.h"
#include "geo.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PLACE_PROFILE_BASE 0.6 /* as locate.c's place-name bases */
#define PLACE_OTHER_BASE 0.7

/* States and union territories as OSM's English display_name writes them. */
static const char *const INDIAN_STATES[] = {
        "Andhra Pradesh", "Arunachal Pradesh", "Assam", "Bihar", "Chhattisgarh", "Goa",
        "Gujarat", "Haryana", "Himachal Pradesh", "Jharkhand", "Karnataka", "Kerala",
        "Madhya Pradesh", "Maharashtra", "Manipur", "Meghalaya", "Mizoram", "Nagaland",
        "Odisha", "Punjab", "Rajasthan", "Sikkim", "Tamil Nadu", "Telangana", "Tripura",
        "Uttar Pradesh", "Uttarakhand", "West Bengal", "Andaman and Nicobar Islands",
        "Chandigarh", "Dadra and Nagar Haveli and Daman and Diu", "Delhi",
        "Jammu and Kashmir", "Ladakh", "Lakshadweep", "Puducherry"};

static bool in_india_box(double lat, double lon)
{
        return lat >= 6.0 && lat <= 37.5 && lon >= 68.0 && lon <= 98.0;
}

/* Length of @p s cut to at most @p max bytes without splitting a UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t len, size_t max)
{
        if (len <= max)
                return len;
        while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
                max--;
        return max;
}

static void copy_cut(char *dst, size_t dstsz, const char *src, size_t len)
{
        size_t n = utf8_cut(src, len, dstsz - 1);
        memcpy(dst, src, n);
        dst[n] = '\0';
}

static bool is_space(char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool unreserved(unsigned char c)
{
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '.' || c == '_' || c == '~';
}

/* Append percent-encoded @p s (len bytes) at out+*pos. @returns -1 when full. */
static int put_encoded(char *out, size_t outsz, size_t *pos, const char *s, size_t len)
{
        static const char hex[] = "0123456789ABCDEF";
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)s[i];
                if (unreserved(c)) {
                        if (*pos + 1 >= outsz)
                                return -1;
                        out[(*pos)++] = (char)c;
                } else {
                        if (*pos + 3 >= outsz)
                                return -1;
                        out[(*pos)++] = '%';
                        out[(*pos)++] = hex[c >> 4];
                        out[(*pos)++] = hex[c & 15];
                }
        }
        out[*pos] = '\0';
        return 0;
}

static int put_raw(char *out, size_t outsz, size_t *pos, const char *s)
{
        size_t n = strlen(s);
        if (*pos + n >= outsz)
                return -1;
        memcpy(out + *pos, s, n + 1);
        *pos += n;
        return 0;
}

int geocode_query_url(const char *base, const char *text, const char *email, char *out,
                      size_t outsz)
{
        char q[GEOCODE_MAX_TEXT + 1];
        size_t qn = 0, pos = 0;
        bool pending_space = false, truncated = false;

        if (!base || !text || !out || outsz == 0)
                return -1;
        /* trim and collapse whitespace; stop at the byte limit */
        for (const char *p = text; *p; p++) {
                if (is_space(*p)) {
                        pending_space = qn > 0;
                        continue;
                }
                if (pending_space) {
                        if (qn + 1 >= GEOCODE_MAX_TEXT) {
                                truncated = true;
                                break;
                        }
                        q[qn++] = ' ';
                        pending_space = false;
                }
                if (qn >= GEOCODE_MAX_TEXT) {
                        truncated = true;
                        break;
                }
                q[qn++] = *p;
        }
        if (truncated) { /* drop a UTF-8 sequence cut in the middle, and a trailing space */
                size_t k = qn;
                while (k > 0 && ((unsigned char)q[k - 1] & 0xC0) == 0x80)
                        k--;
                if (k > 0) {
                        unsigned char lead = (unsigned char)q[k - 1];
                        size_t need = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
                        if (qn - (k - 1) < need)
                                qn = k - 1;
                }
                while (qn > 0 && q[qn - 1] == ' ')
                        qn--;
        }
        if (qn == 0)
                return -1;
        if (put_raw(out, outsz, &pos, base) ||
            put_raw(out, outsz, &pos, strchr(base, '?') ? "&q=" : "?q=") ||
            put_encoded(out, outsz, &pos, q, qn) ||
            put_raw(out, outsz, &pos,
                    "&format=jsonv2&countrycodes=in&limit=5&accept-language=en"))
                return -1;
        if (email && *email &&
            (put_raw(out, outsz, &pos, "&email=") ||
             put_encoded(out, outsz, &pos, email, strlen(email))))
                return -1;
        return (int)pos;
}

/* A number, or a numeric string (Nominatim writes lat/lon as strings). */
static bool json_num(json_t *v, double *out)
{
        if (json_is_number(v)) {
                *out = json_number_value(v);
                return isfinite(*out);
        }
        if (json_is_string(v)) {
                const char *s = json_string_value(v);
                char *end;
                *out = strtod(s, &end);
                return end != s && *end == '\0' && isfinite(*out);
        }
        return false;
}

/* The state named in display_name (searched from the end) and whether the
 * last part is India. */
static void read_display_name(const char *dn, struct geocode_hit *h, bool *india)
{
        const char *end = dn + strlen(dn);
        bool last = true;

        *india = false;
        h->state[0] = '\0';
        while (end > dn) {
                const char *seg = end, *start;
                size_t len;
                while (seg > dn && seg[-1] != ',')
                        seg--;
                start = seg;
                len = (size_t)(end - start);
                while (len && is_space(*start)) {
                        start++;
                        len--;
                }
                while (len && is_space(start[len - 1]))
                        len--;
                if (last) {
                        *india = len == 5 && memcmp(start, "India", 5) == 0;
                        if (!*india)
                                return; /* another country's states are not India's */
                        last = false;
                } else {
                        for (size_t i = 0; i < sizeof(INDIAN_STATES) / sizeof(INDIAN_STATES[0]);
                             i++)
                                if (strlen(INDIAN_STATES[i]) == len &&
                                    memcmp(INDIAN_STATES[i], start, len) == 0) {
                                        copy_cut(h->state, sizeof(h->state), start, len);
                                        return;
                                }
                }
                end = seg > dn ? seg - 1 : dn; /* the comma before this part */
        }
}

static double bbox_radius(const struct geocode_hit *h)
{
        double r = 0;
        if (h->has_bbox) {
                const double lats[2] = {h->bbox[0], h->bbox[1]}, lons[2] = {h->bbox[2], h->bbox[3]};
                for (int i = 0; i < 2; i++)
                        for (int j = 0; j < 2; j++) {
                                double d = geo_distance_m(h->lat, h->lon, lats[i], lons[j]);
                                if (d > r)
                                        r = d;
                        }
        }
        return r < GEOCODE_MIN_RADIUS_M ? GEOCODE_MIN_RADIUS_M : r;
}

static bool parse_hit(json_t *o, struct geocode_hit *h)
{
        json_t *bb = json_object_get(o, "boundingbox");
        const char *name = json_string_value(json_object_get(o, "name"));
        const char *dn = json_string_value(json_object_get(o, "display_name"));
        const char *at = json_string_value(json_object_get(o, "addresstype"));
        bool india = false;

        memset(h, 0, sizeof(*h));
        if (!json_is_object(o) || !json_num(json_object_get(o, "lat"), &h->lat) ||
            !json_num(json_object_get(o, "lon"), &h->lon) || fabs(h->lat) > 90 ||
            fabs(h->lon) > 180)
                return false;
        if (!json_num(json_object_get(o, "importance"), &h->importance) || h->importance < 0)
                h->importance = 0;
        if (json_is_array(bb) && json_array_size(bb) == 4) {
                h->has_bbox = true;
                for (size_t i = 0; i < 4; i++)
                        if (!json_num(json_array_get(bb, i), &h->bbox[i]))
                                h->has_bbox = false;
                if (h->has_bbox && (h->bbox[0] > h->bbox[1] || h->bbox[2] > h->bbox[3]))
                        h->has_bbox = false;
        }
        h->radius_m = bbox_radius(h);
        if (at)
                copy_cut(h->addresstype, sizeof(h->addresstype), at, strlen(at));
        h->area_level = at && (strcmp(at, "country") == 0 || strcmp(at, "state") == 0 ||
                               strcmp(at, "continent") == 0);
        if (dn)
                read_display_name(dn, h, &india);
        h->in_india = india && in_india_box(h->lat, h->lon);
        if (name && *name) {
                copy_cut(h->name, sizeof(h->name), name, strlen(name));
        } else if (dn) {
                const char *comma = strchr(dn, ',');
                copy_cut(h->name, sizeof(h->name), dn, comma ? (size_t)(comma - dn) : strlen(dn));
        }
        return true;
}

int geocode_parse(const char *body, size_t len, struct geocode_answer *out, char *err,
                  size_t errsz)
{
        json_error_t jerr;
        json_t *root, *v;
        size_t i;

        memset(out, 0, sizeof(*out));
        root = json_loadb(body, len, 0, &jerr);
        if (!root) {
                snprintf(err, errsz, "not JSON: %s", jerr.text);
                return -1;
        }
        if (!json_is_array(root)) {
                snprintf(err, errsz, "%s",
                         json_object_get(root, "error") ? "the geocoder answered an error object"
                                                        : "not a JSON array");
                json_decref(root);
                return -1;
        }
        json_array_foreach(root, i, v) {
                if (out->n >= GEOCODE_MAX_HITS)
                        break;
                if (parse_hit(v, &out->hits[out->n]))
                        out->n++;
        }
        json_decref(root);
        return 0;
}

void geocode_select(const struct geocode_answer *a, struct geocode_pick *p)
{
        memset(p, 0, sizeof(*p));
        p->lead = p->top = -1;
        for (int i = 0; i < a->n && i < GEOCODE_MAX_HITS; i++) {
                const struct geocode_hit *h = &a->hits[i];
                p->usable[i] = h->in_india && !h->area_level;
                if (!p->usable[i])
                        continue;
                p->nusable++;
                if (p->top < 0 || h->importance > a->hits[p->top].importance)
                        p->top = i;
        }
        if (p->top < 0)
                return;
        for (int i = 0; i < a->n && i < GEOCODE_MAX_HITS; i++) {
                const struct geocode_hit *t = &a->hits[p->top], *h = &a->hits[i];
                if (i == p->top || !p->usable[i])
                        continue;
                if (h->importance >= GEOCODE_AMBIGUOUS_RATIO * t->importance &&
                    geo_distance_m(t->lat, t->lon, h->lat, h->lon) > t->radius_m + h->radius_m)
                        p->ambiguous = true;
        }
        p->lead = p->ambiguous ? -1 : p->top;
}

double geocode_confidence(const char *source)
{
        double base = source && strcmp(source, "profile") == 0 ? PLACE_PROFILE_BASE
                                                               : PLACE_OTHER_BASE;
        return base * GEOCODE_CONFIDENCE_FACTOR;
}

double geocode_hit_score(const struct geocode_answer *a, const struct geocode_pick *p, int i,
                         const char *source)
{
        double c = geocode_confidence(source), top;
        if (p->top < 0 || i < 0 || i >= a->n)
                return 0;
        top = a->hits[p->top].importance;
        if (top <= 0 || a->hits[i].importance >= top)
                return c;
        return c * a->hits[i].importance / top;
}
