/* SPDX-License-Identifier: Apache-2.0 */
/* Normalized alert -> enriched alert: read the location hints, look IPs up
 * (and place texts the gazetteer does not know, when the outside geocoder
 * is on) through the caller's functions, run the locate rules, normalise the phone,
 * and write the location object of docs/architecture.md. */
#include "enrich.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prahari/util.h"

static const char SCHEMA_ID[] = "prahari.alert/v1";

static double round_to(double v, double unit)
{
        return round(v / unit) * unit;
}

/* set helpers: json_object_set_new steals the reference */
static void set_real(json_t *o, const char *k, double v, double unit)
{
        json_object_set_new(o, k, json_real(round_to(v, unit))); /* steals ref */
}

static json_t *location_obj(const struct gazetteer *g, const struct location *loc)
{
        json_t *o = json_object(), *cands = json_array(), *warns = json_array();

        json_object_set_new(o, "method", json_string(locate_method_name(loc->method)));
        if (loc->has_point) {
                set_real(o, "lat", loc->lat, 1e-6);
                set_real(o, "lon", loc->lon, 1e-6);
                set_real(o, "radius_m", loc->radius_m, 1.0);
        }
        set_real(o, "confidence", loc->confidence, 1e-3);
        if (loc->state[0])
                json_object_set_new(o, "state", json_string(loc->state));
        if (loc->area_district >= 0) {
                const struct gaz_district *d = gazetteer_district(g, loc->area_district);
                json_object_set_new(o, "area",
                                    json_pack("{s:s, s:s}", "kind", "district", "name", d->name));
        }
        for (int i = 0; i < loc->ncands; i++) {
                const struct loc_cand *c = &loc->cands[i];
                const struct gaz_district *d = gazetteer_district(g, c->district);
                json_t *j = json_object();
                json_object_set_new(j, "method", json_string(locate_method_name(c->method)));
                json_object_set_new(j, "name", json_string(c->name));
                if (c->kind)
                        json_object_set_new(j, "kind", json_string(c->kind));
                json_object_set_new(j, "district", d ? json_string(d->name) : json_null());
                if (c->state[0])
                        json_object_set_new(j, "state", json_string(c->state));
                if (c->has_point) {
                        set_real(j, "lat", c->lat, 1e-6);
                        set_real(j, "lon", c->lon, 1e-6);
                        if (c->radius_m > 0)
                                set_real(j, "radius_m", c->radius_m, 1.0);
                }
                set_real(j, "score", c->score, 1e-3);
                if (c->source)
                        json_object_set_new(j, "source", json_string(c->source));
                json_array_append_new(cands, j); /* steals ref */
        }
        json_object_set_new(o, "candidates", cands);
        for (unsigned i = 0; i < LW_COUNT; i++)
                if (loc->warnings & (1u << i))
                        json_array_append_new(warns, json_string(locwarn_name(i)));
        json_object_set_new(o, "warnings", warns);
        return o;
}

char *enrich_location_json(const struct gazetteer *g, const struct location *loc)
{
        json_t *o = location_obj(g, loc);
        char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(12));
        json_decref(o);
        return s;
}

static int64_t time_field(json_t *msg, const char *k)
{
        const char *s = json_string_value(json_object_get(msg, k));
        int64_t us;
        return s && util_parse_rfc3339(s, &us) == 0 ? us : 0;
}

/* A number, or a numeric string (partners send both). */
static bool num_field(json_t *o, const char *k, double *out)
{
        json_t *v = json_object_get(o, k);
        if (json_is_number(v)) {
                *out = json_number_value(v);
                return true;
        }
        if (json_is_string(v)) {
                char *end;
                const char *s = json_string_value(v);
                *out = strtod(s, &end);
                return end != s && *end == '\0';
        }
        return false;
}

/* The first run of exactly six ASCII digits (first 1-9) in @p text. */
static bool pin_in_text(const char *text, char *out, size_t outsz)
{
        const char *p = text;
        while (*p) {
                size_t n = 0;
                while (p[n] >= '0' && p[n] <= '9')
                        n++;
                if (n == 6 && p[0] != '0' && outsz > 6) {
                        memcpy(out, p, 6);
                        out[6] = '\0';
                        return true;
                }
                p += n ? n : 1;
        }
        return false;
}

/* Does the gazetteer match nothing in @p text (locate's place_unmatched)? */
static bool place_unknown(const struct enrich_env *env, const char *text)
{
        struct place_result r;
        return gazetteer_match(env->g, env->tn, text, &r) != 0 || r.unmatched;
}

int enrich_message(const struct enrich_env *env, const char *payload, size_t len,
                   struct enrich_result *out, char *err, size_t errsz)
{
        json_error_t jerr;
        json_t *msg = NULL, *hints, *h, *rev;
        struct loc_hint lh[ENRICH_MAX_HINTS];
        char pinbuf[ENRICH_MAX_HINTS][16];
        struct geocode_answer geo[ENRICH_MAX_GEOCODE];
        int ngeo = 0;
        size_t nh = 0, i;
        const char *s;
        int64_t ref;
        int rc = -1;

        memset(out, 0, sizeof(*out));
        msg = json_loadb(payload, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!msg || !json_is_object(msg)) {
                snprintf(err, errsz, "not a JSON object: %s", msg ? "wrong type" : jerr.text);
                goto out;
        }
        s = json_string_value(json_object_get(msg, "schema"));
        if (!s || strcmp(s, SCHEMA_ID) != 0) {
                snprintf(err, errsz, "schema: expected %s", SCHEMA_ID);
                goto out;
        }
        s = json_string_value(json_object_get(msg, "alert_id"));
        if (!s || !*s || strlen(s) >= sizeof(out->alert_id)) {
                snprintf(err, errsz, "alert_id: missing or too long");
                goto out;
        }
        util_strlcpy(out->alert_id, s, sizeof(out->alert_id));
        rev = json_object_get(msg, "revision");
        if (rev && (!json_is_integer(rev) || json_integer_value(rev) < 1 ||
                    json_integer_value(rev) > 1000000)) {
                snprintf(err, errsz, "revision: not a positive integer");
                goto out;
        }
        out->revision = rev ? (int)json_integer_value(rev) : 1;
        hints = json_object_get(msg, "location_hints");
        if (hints && !json_is_array(hints)) {
                snprintf(err, errsz, "location_hints: not an array");
                goto out;
        }
        ref = time_field(msg, "reported_at");
        if (!ref)
                ref = time_field(msg, "received_at");
        if (!ref)
                ref = env->now_us;
        json_array_foreach(hints, i, h) {
                const char *kind = json_string_value(json_object_get(h, "kind"));
                struct loc_hint *x = &lh[nh];
                if (!json_is_object(h) || !kind || nh >= ENRICH_MAX_HINTS)
                        continue;
                memset(x, 0, sizeof(*x));
                x->source = json_string_value(json_object_get(h, "source"));
                if (strcmp(kind, "gps") == 0) {
                        x->kind = HINT_GPS;
                        x->gps.valid = num_field(h, "lat", &x->gps.lat) &&
                                       num_field(h, "lon", &x->gps.lon);
                        if (!num_field(h, "accuracy_m", &x->gps.accuracy_m))
                                x->gps.accuracy_m = NAN;
                        x->gps.observed_us = time_field(h, "observed_at");
                        nh++;
                } else if (strcmp(kind, "place") == 0) {
                        x->kind = HINT_PLACE;
                        x->text = json_string_value(json_object_get(h, "text"));
                        if (x->text && env->geocode && ngeo < ENRICH_MAX_GEOCODE &&
                            place_unknown(env, x->text)) {
                                /* only the place text leaves the process */
                                if (env->geocode(env->geocode_ctx, x->text, &geo[ngeo]))
                                        x->geo = &geo[ngeo];
                                ngeo++;
                        }
                        nh++;
                        /* "Talwandi, Kota 324005": a PIN inside the text is a PIN hint too */
                        if (x->text && nh < ENRICH_MAX_HINTS &&
                            pin_in_text(x->text, pinbuf[nh], sizeof(pinbuf[nh]))) {
                                memset(&lh[nh], 0, sizeof(lh[nh]));
                                lh[nh].kind = HINT_PIN;
                                lh[nh].text = pinbuf[nh];
                                lh[nh].source = "place_text";
                                nh++;
                        }
                } else if (strcmp(kind, "pin") == 0) {
                        json_t *code = json_object_get(h, "code");
                        x->kind = HINT_PIN;
                        if (json_is_integer(code)) {
                                snprintf(pinbuf[nh], sizeof(pinbuf[nh]), "%lld",
                                         (long long)json_integer_value(code));
                                x->text = pinbuf[nh];
                        } else {
                                x->text = json_string_value(code);
                        }
                        nh++;
                } else if (strcmp(kind, "ip") == 0) {
                        x->kind = HINT_IP;
                        x->text = json_string_value(json_object_get(h, "ip"));
                        x->ip.lat = x->ip.lon = NAN;
                        if (x->text && env->ip_lookup)
                                env->ip_lookup(env->ip_ctx, x->text, &x->ip);
                        nh++;
                } else if (strcmp(kind, "phone") == 0) {
                        const char *num = json_string_value(json_object_get(h, "number"));
                        if (num && !out->phone_e164[0] &&
                            phone_e164(num, out->phone_e164, sizeof(out->phone_e164)) != 0)
                                out->phone_e164[0] = '\0';
                }
        }
        locate(env->g, env->tn, lh, nh, ref, &out->loc);
        {
                json_t *lo = location_obj(env->g, &out->loc);
                out->location_json = json_dumps(lo, JSON_COMPACT | JSON_REAL_PRECISION(12));
                json_object_set_new(msg, "location", lo); /* steals ref */
        }
        json_object_set_new(msg, "phone_e164",
                            out->phone_e164[0] ? json_string(out->phone_e164) : json_null());
        out->message = json_dumps(msg, JSON_COMPACT | JSON_REAL_PRECISION(12));
        if (!out->message || !out->location_json) {
                snprintf(err, errsz, "out of memory");
                enrich_result_free(out);
                goto out;
        }
        out->message_len = strlen(out->message);
        rc = 0;
out:
        json_decref(msg);
        return rc;
}

void enrich_result_free(struct enrich_result *r)
{
        free(r->location_json);
        free(r->message);
        r->location_json = NULL;
        r->message = NULL;
}
