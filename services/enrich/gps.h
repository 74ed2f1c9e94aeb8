/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file gps.h
 * @brief Sanity and uncertainty of one device/recording fix.
 *
 * Rules (documented in services/enrich/README.md):
 *  - not finite, |lat| > 90 or |lon| > 180 -> gps_out_of_range (unless the
 *    swapped pair is a point in India's box 6..37 N, 68..98 E: gps_swapped);
 *  - exactly 0,0 -> gps_zero;
 *  - a pair outside India's box whose swap lies inside -> gps_swapped;
 *  - such fixes are not used as given: a swapped pair is offered as a
 *    candidate with confidence GPS_SWAPPED_CONFIDENCE;
 *  - radius = 2 x accuracy (device accuracy is a ~68 % radius; twice it
 *    holds the person with > 95 % for a normal error), at least 20 m;
 *    without an accuracy GPS_DEFAULT_ACCURACY_M and a lower confidence;
 *  - staleness: the person may have moved since the fix: the radius grows
 *    by GPS_DRIFT_MPS x age, capped at GPS_DRIFT_CAP_M; a fix older than an
 *    hour is flagged gps_stale and its confidence scaled by 0.8. A fix
 *    "from the future" (clock skew) counts as age 0.
 */
#ifndef PRAHARI_ENRICH_GPS_H
#define PRAHARI_ENRICH_GPS_H
#include <stdbool.h>
#include <stdint.h>

#define GPS_CONFIDENCE 0.95
#define GPS_NO_ACCURACY_CONFIDENCE 0.8
#define GPS_SWAPPED_CONFIDENCE 0.5
#define GPS_DEFAULT_ACCURACY_M 500.0
#define GPS_DRIFT_MPS 2.0
#define GPS_DRIFT_CAP_M 30000.0
#define GPS_STALE_S 3600.0

struct gps_fix {
        double lat, lon;
        double accuracy_m;   /* NAN or <= 0 when not given */
        int64_t observed_us; /* 0 when not given */
};

struct gps_eval {
        bool usable;         /* lat/lon can be used as given */
        bool swapped;        /* lat/lon hold the swapped pair (a weaker candidate) */
        double lat, lon, radius_m, confidence;
        double age_s;        /* report time - fix time, >= 0 */
        unsigned warnings;   /* enum loc_warning bits */
};

/** @brief True if the point is inside India's bounding box (6..37 N, 68..98 E). */
bool gps_in_india_box(double lat, double lon);

/**
 * @brief Evaluate @p fix for a report made at @p ref_us (0: unknown, no
 * staleness). Pure.
 */
void gps_evaluate(const struct gps_fix *fix, int64_t ref_us, struct gps_eval *out);

#endif
