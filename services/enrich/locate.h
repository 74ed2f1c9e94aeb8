/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file locate.h
 * @brief The rules that turn every location hint of an alert into one
 *        estimate with a method, a radius, a confidence, the candidates
 *        considered and warnings. Pure: the caller looks IPs up beforehand.
 *
 * Meaning of confidence: the probability that the person is within
 * radius_m of (lat, lon) -- or, without a point, inside the named area or
 * state. Base values (see README): fresh GPS 0.95 (radius 2 x accuracy),
 * PIN from good place coordinates 0.8 x share, PIN as a whole district 0.7
 * x share, a place name 0.6 (profile) / 0.7 (other sources) x match score,
 * IP 0.3 (state only); a place only the outside geocoder knows: the
 * place-name base x GEOCODE_CONFIDENCE_FACTOR (0.42 / 0.49). Order of strength: GPS > PIN > place > IP. Each
 * other usable signal that agrees raises it (noisy-or, capped at 0.99);
 * each that disagrees is recorded (signals_disagree) and scales it by 0.85.
 */
#ifndef PRAHARI_ENRICH_LOCATE_H
#define PRAHARI_ENRICH_LOCATE_H
#include <stdbool.h>
#include <stdint.h>

#include "gazetteer.h"
#include "geocode_parse.h"
#include "locwarn.h"

enum loc_method { LOC_NONE = 0, LOC_GPS, LOC_PLACE, LOC_PIN, LOC_IP };

/** What an IP database says about one address (filled by the caller). */
struct ip_geo {
        bool found;
        char country_code[4];
        char state[64];
        char city[64];
        double lat, lon;
};

enum hint_kind { HINT_GPS, HINT_PLACE, HINT_PIN, HINT_IP };

struct loc_hint {
        enum hint_kind kind;
        struct {
                double lat, lon, accuracy_m; /* accuracy NAN if absent */
                int64_t observed_us;         /* 0 if absent */
                bool valid;                  /* lat/lon were numbers */
        } gps;
        const char *text;   /* place text, PIN code or IP address (borrowed) */
        const char *source; /* "device", "profile", ... or NULL (borrowed) */
        struct ip_geo ip;   /* HINT_IP: the lookup result */
        /* HINT_PLACE: the outside geocoder's answer, asked only when the
         * gazetteer matched nothing; NULL when not asked or it failed */
        const struct geocode_answer *geo;
};

#define LOC_MAX_CANDS 24

struct loc_cand {
        enum loc_method method;
        char name[96];
        const char *kind;   /* "district", "town", "postal_place", "device", "ip_city", ... */
        int district;       /* -1 if none */
        char state[64];     /* "" if unknown */
        bool has_point;
        double lat, lon, radius_m;
        double score;
        const char *source; /* borrowed from the hint */
};

struct location {
        enum loc_method method;
        bool has_point;
        double lat, lon, radius_m;
        double confidence;
        char state[64];        /* "" when unknown */
        int area_district;     /* >= 0: the estimate is this whole district */
        struct loc_cand cands[LOC_MAX_CANDS];
        int ncands;
        unsigned warnings;     /* enum loc_warning bits */
};

/**
 * @brief Combine @p hints (a report made at @p ref_us, 0 if unknown) into
 * @p out. @p tn is the caller's (one per thread).
 */
void locate(const struct gazetteer *g, struct textnorm *tn, const struct loc_hint *hints,
            size_t nhints, int64_t ref_us, struct location *out);

/** @brief "gps", "place", "pin", "ip", "none". */
const char *locate_method_name(enum loc_method m);

#endif
