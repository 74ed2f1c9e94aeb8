/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file geocode_parse.h
 * @brief The pure part of the optional outside geocoder (a
 *        Nominatim-compatible `/search` API): the query URL, the jsonv2
 *        answer parsed into hits, and the choice among the hits (which one
 *        leads, whether they are ambiguous). No network here: geocoder.c
 *        does the HTTP.
 *
 * Mapping rules (documented in services/enrich/README.md):
 *  - only hits inside India are usable: the last part of `display_name` is
 *    "India" (the query asks `accept-language=en`) and the point lies in
 *    India's box (6..37.5 N, 68..98 E); country- and state-level hits
 *    (`addresstype` country/state) place nobody and are dropped;
 *  - the radius of a hit is the distance from its point to the farthest
 *    corner of its `boundingbox`, at least GEOCODE_MIN_RADIUS_M;
 *  - the hit with the highest `importance` leads; another usable hit that
 *    is nearly as important (>= GEOCODE_AMBIGUOUS_RATIO x) and whose circle
 *    does not touch the lead's makes the answer ambiguous: candidates only;
 *  - the confidence of a geocoded place is the local place-name base
 *    (0.6 profile / 0.7 other sources) x GEOCODE_CONFIDENCE_FACTOR, so it
 *    is always below what the local gazetteer would give.
 */
#ifndef PRAHARI_ENRICH_GEOCODE_PARSE_H
#define PRAHARI_ENRICH_GEOCODE_PARSE_H
#include <stdbool.h>
#include <stddef.h>

#define GEOCODE_MAX_HITS 5           /* the query's limit=5 */
#define GEOCODE_MAX_TEXT 200         /* bytes of place text sent at most */
#define GEOCODE_MIN_RADIUS_M 1000.0  /* a point-like hit still means "about here" */
#define GEOCODE_CONFIDENCE_FACTOR 0.7
#define GEOCODE_AMBIGUOUS_RATIO 0.8

struct geocode_hit {
        double lat, lon;
        double importance;   /* 0 when absent */
        double radius_m;     /* from the bounding box (>= GEOCODE_MIN_RADIUS_M) */
        bool has_bbox;
        double bbox[4];      /* minlat, maxlat, minlon, maxlon */
        bool in_india;       /* display_name ends with India and the point is in the box */
        bool area_level;     /* addresstype country or state: places nobody */
        char name[96];       /* `name`, else the first part of display_name (UTF-8 safe cut) */
        char addresstype[32];
        char state[64];      /* the Indian state or UT named in display_name, "" if none */
};

/** A parsed answer: n == 0 is a negative answer ("no such place"). */
struct geocode_answer {
        struct geocode_hit hits[GEOCODE_MAX_HITS];
        int n;
};

/**
 * @brief Build the query URL: @p base (e.g. "https://nominatim.example/search")
 * + `q=<text>&format=jsonv2&countrycodes=in&limit=5&accept-language=en`
 * (+ `&email=` when @p email is non-empty). The text is trimmed, its inner
 * whitespace collapsed, cut at GEOCODE_MAX_TEXT bytes (on a UTF-8 boundary)
 * and percent-encoded. Nothing else is sent.
 * @returns the length, or -1 if the text is empty or @p out is too small.
 */
int geocode_query_url(const char *base, const char *text, const char *email, char *out,
                      size_t outsz);

/**
 * @brief Parse a jsonv2 `/search` answer (a JSON array of places). Places
 * without a numeric lat/lon are skipped; at most GEOCODE_MAX_HITS are kept.
 * @returns 0, or -1 with a reason in @p err when the body is not such an
 * array (e.g. Nominatim's `{"error": ...}` object).
 */
int geocode_parse(const char *body, size_t len, struct geocode_answer *out, char *err,
                  size_t errsz);

/** Which hits are usable and which one leads. */
struct geocode_pick {
        bool usable[GEOCODE_MAX_HITS];
        int nusable;
        int lead;       /* index of the estimate; -1 when none or ambiguous */
        int top;        /* the most important usable hit, -1 if none */
        bool ambiguous; /* several far-apart hits of similar importance */
};

/** @brief Apply the mapping rules above to @p a. */
void geocode_select(const struct geocode_answer *a, struct geocode_pick *out);

/**
 * @brief Confidence of a geocoded place for a hint of @p source
 * ("profile" or anything else), before agreement with other signals.
 */
double geocode_confidence(const char *source);

/**
 * @brief Score of hit @p i as a candidate: the confidence scaled by its
 * importance relative to the top hit.
 */
double geocode_hit_score(const struct geocode_answer *a, const struct geocode_pick *p, int i,
                         const char *source);

#endif
