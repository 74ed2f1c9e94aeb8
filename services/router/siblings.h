/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file siblings.h
 * @brief Checks a boundary layer as a whole before import: overlaps between
 *        sibling features and gaps (holes in their union), with areas and
 *        positions. Pure (GEOS).
 */
#ifndef PRAHARI_ROUTER_SIBLINGS_H
#define PRAHARI_ROUTER_SIBLINGS_H
#include <stddef.h>
#include <jansson.h>
#include "geojson.h"

struct sib_overlap {
        size_t a, b;    /* feature indices (file order), a < b */
        double km2;     /* area of the overlap */
        double lon, lat; /* a point inside it */
};

struct sib_gap {
        double km2;
        double lon, lat;      /* a point inside the gap */
        size_t bounded_by[8]; /* features touching it (first 8) */
        size_t nbounded;
};

struct sib_report {
        double sum_km2, union_km2;
        struct sib_overlap *ov;
        size_t nov;
        struct sib_gap *gap;
        size_t ngap;
};

/**
 * @brief Overlaps (pairs whose intersection has area) and gaps (interior
 * rings of the union) of @p gl. Areas use the local scale at each shape
 * (111.195 km per degree, x scaled by cos(lat)).
 * @returns 0 with @p out filled (free with siblings_report_free), -1 on a
 * GEOS error with @p err.
 */
int siblings_check(GEOSContextHandle_t ctx, const struct gj_layer *gl, struct sib_report *out,
                   char *err, size_t errsz);

/** @brief The report as JSON with feature names (new reference). */
json_t *siblings_report_json(const struct gj_layer *gl, const struct sib_report *r);

/** @brief Free the report's arrays and zero it. */
void siblings_report_free(struct sib_report *r);

#endif
