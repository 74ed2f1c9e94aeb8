/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file geo.h
 * @brief Great-circle distance on the WGS84 mean sphere (haversine).
 */
#ifndef PRAHARI_ENRICH_GEO_H
#define PRAHARI_ENRICH_GEO_H
#include <math.h>

/** @brief Distance in metres between two lat/lon points (degrees). */
static inline double geo_distance_m(double lat1, double lon1, double lat2, double lon2)
{
        const double r = 6371008.8, k = 3.14159265358979323846 / 180.0;
        double dlat = (lat2 - lat1) * k, dlon = (lon2 - lon1) * k;
        double a = sin(dlat / 2) * sin(dlat / 2) +
                   cos(lat1 * k) * cos(lat2 * k) * sin(dlon / 2) * sin(dlon / 2);
        return 2 * r * asin(sqrt(a < 1 ? a : 1));
}

#endif
