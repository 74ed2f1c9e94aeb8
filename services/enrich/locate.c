/* SPDX-License-Identifier: Apache-2.0 */
/* The locate rules: evaluate each hint (GPS sanity, PIN, place match, IP),
 * pick the strongest usable one (GPS > PIN > place > IP), let the others
 * raise or lower the confidence, and keep every candidate and warning. */
#include "locate.h"
#include "geo.h"
#include "gps.h"
#include "pin.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define PIN_COORDS_CONFIDENCE 0.8
#define PIN_AREA_CONFIDENCE 0.7
#define PIN_NEW_DISTRICT_FACTOR 0.7
#define PLACE_PROFILE_CONFIDENCE 0.6
#define PLACE_OTHER_CONFIDENCE 0.7
#define PLACE_AMBIGUOUS_CONFIDENCE 0.3
#define STATE_ONLY_CONFIDENCE 0.5
#define IP_CONFIDENCE 0.3
#define IP_UNRESOLVED_CONFIDENCE 0.05
#define IP_CANDIDATE_SCORE 0.2
#define DISAGREE_FACTOR 0.85
#define CONFIDENCE_CAP 0.99
#define AREA_SLACK 1.5 /* districts are not circles */

const char *locate_method_name(enum loc_method m)
{
        switch (m) {
        case LOC_GPS: return "gps";
        case LOC_PLACE: return "place";
        case LOC_PIN: return "pin";
        case LOC_IP: return "ip";
        case LOC_NONE: break;
        }
        return "none";
}

/* One usable estimate from one hint. */
struct est {
        enum loc_method m;
        bool has_point;
        double lat, lon, r;
        int district; /* known district, -1 if not */
        int area;     /* >= 0: a whole district */
        const char *state;
        double conf;
        double rank; /* strength within a method: the best one leads */
};

static struct loc_cand *cand_new(struct location *out, enum loc_method m, const char *name,
                                 const char *kind, const char *source)
{
        struct loc_cand *c;
        if (out->ncands >= LOC_MAX_CANDS)
                return NULL;
        c = &out->cands[out->ncands++];
        memset(c, 0, sizeof(*c));
        c->method = m;
        snprintf(c->name, sizeof(c->name), "%s", name ? name : "");
        c->kind = kind;
        c->district = -1;
        c->source = source;
        return c;
}

static double slack(const struct est *e)
{
        return e->area >= 0 ? e->r * AREA_SLACK : e->r;
}

/* 1 agree, -1 disagree, 0 cannot tell. */
static int agreement(const struct est *a, const struct est *b)
{
        if (a->district >= 0 && b->district >= 0)
                return a->district == b->district ? 1 : -1;
        if (a->has_point && b->has_point) {
                double d = geo_distance_m(a->lat, a->lon, b->lat, b->lon);
                return d <= slack(a) + slack(b) ? 1 : -1;
        }
        if (a->state && b->state)
                return strcmp(a->state, b->state) == 0 ? 0 : -1;
        return 0;
}

static void eval_gps(const struct loc_hint *h, int64_t ref_us, struct location *out,
                     struct est *ests, size_t *nest)
{
        struct gps_fix fix = {h->gps.lat, h->gps.lon, h->gps.accuracy_m, h->gps.observed_us};
        struct gps_eval ev;
        struct loc_cand *c;
        char name[64];

        if (!h->gps.valid) {
                out->warnings |= LW_GPS_OUT_OF_RANGE;
                return;
        }
        gps_evaluate(&fix, ref_us, &ev);
        out->warnings |= ev.warnings;
        if (!ev.usable && !ev.swapped)
                return;
        snprintf(name, sizeof(name), "%.6f,%.6f", ev.lat, ev.lon);
        c = cand_new(out, LOC_GPS, name, ev.swapped ? "gps_swapped" : "gps",
                     h->source ? h->source : "device");
        if (c) {
                c->has_point = true;
                c->lat = ev.lat;
                c->lon = ev.lon;
                c->radius_m = ev.radius_m;
                c->score = ev.confidence;
        }
        ests[*nest] = (struct est){.m = LOC_GPS, .has_point = true, .lat = ev.lat, .lon = ev.lon,
                                   .r = ev.radius_m, .district = -1, .area = -1,
                                   .conf = ev.confidence,
                                   /* a swapped pair only leads when nothing else does */
                                   .rank = ev.swapped ? -1.0 : ev.confidence - ev.radius_m * 1e-9};
        (*nest)++;
}

static void eval_pin(const struct gazetteer *g, const struct loc_hint *h, struct location *out,
                     struct est *ests, size_t *nest)
{
        uint32_t pin;
        struct pin_result r;
        double conf;

        if (!h->text || pin_parse(h->text, &pin) != 0) {
                out->warnings |= LW_PIN_UNKNOWN;
                return;
        }
        pin_resolve(g, pin, &r);
        if (!r.known || r.district < 0) {
                out->warnings |= LW_PIN_UNKNOWN;
                return;
        }
        conf = (r.by_coords ? PIN_COORDS_CONFIDENCE : PIN_AREA_CONFIDENCE) * r.share;
        if (r.new_district_ambiguous) {
                out->warnings |= LW_PIN_NEW_DISTRICT_AMBIGUOUS;
                conf *= PIN_NEW_DISTRICT_FACTOR;
        }
        for (int i = 0; i < r.ncand; i++) {
                const struct gaz_district *cd = gazetteer_district(g, r.cand[i]);
                struct loc_cand *c = cand_new(out, LOC_PIN, cd->name,
                                              r.by_coords ? "postal_places" : "postal_district",
                                              h->source);
                if (!c)
                        break;
                c->district = r.cand[i];
                snprintf(c->state, sizeof(c->state), "%s", HOME_STATE);
                c->has_point = true;
                if (r.cand[i] == r.district) {
                        c->lat = r.lat;
                        c->lon = r.lon;
                        c->radius_m = r.radius_m;
                        c->score = conf;
                } else {
                        c->lat = cd->rep_lat;
                        c->lon = cd->rep_lon;
                        c->radius_m = cd->radius_m;
                        c->score = conf * r.cand_share[i];
                }
        }
        ests[*nest] = (struct est){.m = LOC_PIN, .has_point = true, .lat = r.lat, .lon = r.lon,
                                   .r = r.radius_m, .district = r.district,
                                   .area = r.area ? r.district : -1, .state = HOME_STATE,
                                   .conf = conf, .rank = conf};
        (*nest)++;
}

static bool is_district_level(const struct gaz_entry *e)
{
        return e->district >= 0 &&
               (e->kind == GAZ_DISTRICT || e->kind == GAZ_ALIAS || e->kind == GAZ_CANCELLED);
}

/*
 * A place the gazetteer does not know, as the outside geocoder answered it:
 * every usable hit a candidate (kind "geocoder"); the lead an estimate with
 * the geocoder's lower confidence, or none when the hits are ambiguous.
 * @returns false when no hit is usable (the place stays unmatched).
 */
static bool eval_geocoded(const struct loc_hint *h, struct location *out, struct est *ests,
                          size_t *nest, bool *ambiguous_only)
{
        const struct geocode_answer *a = h->geo;
        struct geocode_pick p;

        geocode_select(a, &p);
        if (p.nusable == 0)
                return false;
        for (int i = 0; i < a->n; i++) {
                const struct geocode_hit *x = &a->hits[i];
                struct loc_cand *c;
                if (!p.usable[i])
                        continue;
                c = cand_new(out, LOC_PLACE, x->name, "geocoder", h->source);
                if (!c)
                        break;
                snprintf(c->state, sizeof(c->state), "%s", x->state);
                c->has_point = true;
                c->lat = x->lat;
                c->lon = x->lon;
                c->radius_m = x->radius_m;
                c->score = geocode_hit_score(a, &p, i, h->source);
        }
        if (p.ambiguous) {
                out->warnings |= LW_PLACE_AMBIGUOUS;
                *ambiguous_only = true;
                return true;
        }
        {
                const struct geocode_hit *x = &a->hits[p.lead];
                struct est *es = &ests[*nest];
                memset(es, 0, sizeof(*es));
                es->m = LOC_PLACE;
                es->has_point = true;
                es->lat = x->lat;
                es->lon = x->lon;
                es->r = x->radius_m;
                es->district = -1;
                es->area = -1;
                es->state = x->state[0] ? x->state : NULL;
                es->conf = geocode_confidence(h->source);
                es->rank = es->conf;
                (*nest)++;
        }
        return true;
}

static void eval_place(const struct gazetteer *g, struct textnorm *tn, const struct loc_hint *h,
                       struct location *out, struct est *ests, size_t *nest,
                       const char **state_only, bool *ambiguous_only)
{
        struct place_result r;
        double base = h->source && strcmp(h->source, "profile") == 0 ? PLACE_PROFILE_CONFIDENCE
                                                                      : PLACE_OTHER_CONFIDENCE;

        if (!h->text || gazetteer_match(g, tn, h->text, &r) != 0 || r.unmatched) {
                if (!h->geo || !eval_geocoded(h, out, ests, nest, ambiguous_only))
                        out->warnings |= LW_PLACE_UNMATCHED;
                return;
        }
        if (r.ambiguous)
                out->warnings |= LW_PLACE_AMBIGUOUS;
        for (size_t i = 0; i < r.n; i++) {
                const struct gaz_entry *e = r.c[i].entry;
                const struct gaz_district *d = gazetteer_district(g, e->district);
                /* a district's name or alias shows the district's official name */
                bool official = d && (e->kind == GAZ_DISTRICT || e->kind == GAZ_ALIAS);
                struct loc_cand *c = cand_new(out, LOC_PLACE, official ? d->name : e->name,
                                              gazetteer_kind_name(e->kind), h->source);
                if (!c)
                        break;
                c->district = e->district;
                snprintf(c->state, sizeof(c->state), "%s", e->state ? e->state : "");
                c->has_point = isfinite(e->lat) && isfinite(e->lon);
                c->lat = e->lat;
                c->lon = e->lon;
                c->radius_m = e->radius_m;
                c->score = r.c[i].score;
        }
        if (r.n == 0 && r.state_hint) {
                *state_only = r.state_hint;
                return;
        }
        if (r.best < 0) {
                if (r.ambiguous)
                        *ambiguous_only = true;
                return;
        }
        {
                const struct gaz_entry *e = r.c[r.best].entry;
                struct est *es = &ests[*nest];
                memset(es, 0, sizeof(*es));
                es->m = LOC_PLACE;
                es->district = e->district;
                es->state = e->state;
                es->conf = base * r.c[r.best].score;
                es->rank = es->conf;
                es->has_point = true;
                if (is_district_level(e)) {
                        const struct gaz_district *d = gazetteer_district(g, e->district);
                        es->area = e->district;
                        es->lat = d->rep_lat;
                        es->lon = d->rep_lon;
                        es->r = d->radius_m;
                } else {
                        es->area = -1;
                        es->lat = e->lat;
                        es->lon = e->lon;
                        es->r = e->radius_m;
                }
                (*nest)++;
        }
}

static void eval_ip(const struct loc_hint *h, struct location *out, const char **ip_state,
                    bool *ip_seen)
{
        struct loc_cand *c;

        if (h->text && *h->text)
                *ip_seen = true;
        if (!h->ip.found || !h->ip.state[0]) {
                if (h->text && *h->text)
                        out->warnings |= LW_IP_UNRESOLVED;
                return;
        }
        c = cand_new(out, LOC_IP, h->ip.city[0] ? h->ip.city : h->ip.state, "ip_city", h->source);
        if (c) {
                snprintf(c->state, sizeof(c->state), "%s", h->ip.state);
                c->has_point = isfinite(h->ip.lat) && isfinite(h->ip.lon) &&
                               !(h->ip.lat == 0 && h->ip.lon == 0);
                c->lat = h->ip.lat;
                c->lon = h->ip.lon;
                c->radius_m = 0; /* a hub city: no meaningful radius */
                c->score = IP_CANDIDATE_SCORE;
        }
        /* only Indian states are meaningful to the router */
        if (!*ip_state && strcmp(h->ip.country_code, "IN") == 0)
                *ip_state = h->ip.state;
}

void locate(const struct gazetteer *g, struct textnorm *tn, const struct loc_hint *hints,
            size_t nhints, int64_t ref_us, struct location *out)
{
        struct est ests[32];
        size_t nest = 0;
        const char *state_only = NULL, *ip_state = NULL;
        bool ambiguous_only = false, ip_seen = false;
        const struct est *lead = NULL;
        static const enum loc_method order[] = {LOC_GPS, LOC_PIN, LOC_PLACE};

        memset(out, 0, sizeof(*out));
        out->method = LOC_NONE;
        out->area_district = -1;
        for (size_t i = 0; i < nhints && nest < 32; i++) {
                const struct loc_hint *h = &hints[i];
                switch (h->kind) {
                case HINT_GPS: eval_gps(h, ref_us, out, ests, &nest); break;
                case HINT_PIN: eval_pin(g, h, out, ests, &nest); break;
                case HINT_PLACE:
                        eval_place(g, tn, h, out, ests, &nest, &state_only, &ambiguous_only);
                        break;
                case HINT_IP: eval_ip(h, out, &ip_state, &ip_seen); break;
                }
        }
        /* the lead: strongest method, best within it; a swapped GPS pair last */
        for (size_t k = 0; k < sizeof(order) / sizeof(order[0]) && !lead; k++)
                for (size_t i = 0; i < nest; i++)
                        if (ests[i].m == order[k] && ests[i].rank >= 0 &&
                            (!lead || ests[i].rank > lead->rank))
                                lead = &ests[i];
        for (size_t i = 0; i < nest && !lead; i++)
                if (!lead || ests[i].conf > lead->conf)
                        lead = &ests[i];
        if (lead) {
                double conf = lead->conf;
                const char *state = lead->state;
                for (size_t i = 0; i < nest; i++) {
                        const struct est *o = &ests[i];
                        int a;
                        if (o == lead || o->rank < 0)
                                continue;
                        a = agreement(lead, o);
                        if (a > 0) {
                                conf = 1.0 - (1.0 - conf) * (1.0 - o->conf);
                                if (!state)
                                        state = o->state;
                        } else if (a < 0) {
                                out->warnings |= LW_SIGNALS_DISAGREE;
                                conf *= DISAGREE_FACTOR;
                        }
                }
                out->method = lead->m;
                out->has_point = lead->has_point;
                out->lat = lead->lat;
                out->lon = lead->lon;
                out->radius_m = lead->r;
                out->area_district = lead->area;
                out->confidence = conf > CONFIDENCE_CAP ? CONFIDENCE_CAP : conf;
                if (state)
                        snprintf(out->state, sizeof(out->state), "%s", state);
        } else if (ambiguous_only || state_only) {
                /* a name that fits several places, or only a state: no point */
                out->method = LOC_PLACE;
                out->confidence = ambiguous_only ? PLACE_AMBIGUOUS_CONFIDENCE : STATE_ONLY_CONFIDENCE;
                if (state_only) {
                        snprintf(out->state, sizeof(out->state), "%s", state_only);
                } else {
                        /* every candidate in one state: that much is known */
                        const char *st = NULL;
                        bool same = true;
                        for (int i = 0; i < out->ncands; i++) {
                                if (out->cands[i].method != LOC_PLACE)
                                        continue;
                                if (!st)
                                        st = out->cands[i].state;
                                else if (strcmp(st, out->cands[i].state) != 0)
                                        same = false;
                        }
                        if (st && same)
                                snprintf(out->state, sizeof(out->state), "%s", st);
                }
        } else if (ip_state) {
                out->method = LOC_IP;
                out->confidence = IP_CONFIDENCE;
                out->warnings |= LW_IP_STATE_ONLY;
                snprintf(out->state, sizeof(out->state), "%s", ip_state);
        } else if (ip_seen) {
                /* only an IP the database cannot place: say so, place nothing */
                out->method = LOC_IP;
                out->confidence = IP_UNRESOLVED_CONFIDENCE;
                out->warnings |= LW_IP_STATE_ONLY;
        }
}
