/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file layer.h
 * @brief A jurisdiction layer in memory: point lookup that returns exactly
 *        one feature (or none), uncertainty-circle overlaps, nearest feature.
 *
 * Tie rule (documented in services/router/README.md): a point belongs to the
 * features whose closed polygon covers it (boundary included, as ST_Covers).
 * When several do -- the point lies exactly on a shared edge or corner -- the
 * one whose name sorts first (strcmp, bytewise) wins. Feature indices are in
 * that order, so "lowest index wins". Points in a hole belong to no feature
 * unless another feature covers them.
 *
 * Two lookups give the same answer: layer_lookup (the router's own index: a
 * uniform grid whose cells either name their owner outright or list
 * candidates, tested by exact ray crossing over per-feature y-bands of edges)
 * and layer_lookup_geos (GEOS STRtree + prepared covers, the reference).
 * layer_lookup_scan is a plain ray-casting loop over every edge (baseline).
 * A layer is used from one thread (GEOS prepared geometries are not shared).
 */
#ifndef PRAHARI_ROUTER_LAYER_H
#define PRAHARI_ROUTER_LAYER_H
#include <stdbool.h>
#include <stddef.h>
#include <geos_c.h>
#include "geojson.h"

struct layer;

/** Overlap of an uncertainty circle with one feature. */
struct layer_overlap {
        int idx;        /* feature index */
        double overlap; /* fraction of the circle's area inside the feature, [0,1] */
};

/* ==== Life cycle ==== */

/**
 * @brief Build the indexes over @p gl. Takes ownership of @p gl (freed by
 * layer_destroy, or here on failure). @p ctx is borrowed and must outlive the
 * layer. Duplicate feature names are an error.
 * @returns the layer or NULL with @p err.
 */
struct layer *layer_new(GEOSContextHandle_t ctx, struct gj_layer *gl, char *err, size_t errsz);

/** @brief Free everything; NULL is a no-op. */
void layer_destroy(struct layer *l);

/* ==== Names ==== */

/** @brief Number of features. */
size_t layer_count(const struct layer *l);
/** @brief Name of feature @p idx (sorted order); borrowed. */
const char *layer_name(const struct layer *l, int idx);
/** @brief Index of the feature named exactly @p name, or -1. */
int layer_find(const struct layer *l, const char *name);
/** @brief Version id of the file the layer came from; borrowed. */
const char *layer_version(const struct layer *l);
/** @brief The feature's GEOS geometry (borrowed). */
const GEOSGeometry *layer_geom(const struct layer *l, int idx);

/* ==== Point lookups (lon, lat in degrees) ==== */

/** @brief The feature covering the point by the tie rule, or -1. Own index. */
int layer_lookup(const struct layer *l, double lon, double lat);
/** @brief Same answer through GEOS STRtree + GEOSPreparedCovers_r. */
int layer_lookup_geos(const struct layer *l, double lon, double lat);
/** @brief Same answer by ray casting every edge of every feature (no index). */
int layer_lookup_scan(const struct layer *l, double lon, double lat);
/** @brief True if feature @p idx covers the point (exact predicate). */
bool layer_covers(const struct layer *l, int idx, double lon, double lat);

/* ==== Uncertainty ==== */

/**
 * @brief Overlap of the circle of @p radius_m metres around the point with
 * every feature it touches. The circle is built in a local equirectangular
 * projection (x scaled by cos(lat)), so the radius is in metres on the ground;
 * the overlap fractions are area ratios, which that projection keeps.
 * Results are sorted by overlap descending, ties by index (the tie rule).
 * @returns the number written to @p out (at most @p max), or -1 on a GEOS error.
 */
int layer_overlaps(const struct layer *l, double lon, double lat, double radius_m,
                   struct layer_overlap *out, size_t max);

/**
 * @brief The feature nearest to the point within @p max_m metres (distance
 * to its boundary, measured on the ground), or -1. @p dist_m gets the distance.
 */
int layer_nearest(const struct layer *l, double lon, double lat, double max_m, double *dist_m);

/* ==== Introspection ==== */

/** @brief Bytes held by the own index (edges, bands, grid). */
size_t layer_index_bytes(const struct layer *l);
/** @brief Number of edges and grid cells (total, with candidate lists). */
void layer_stats(const struct layer *l, size_t *nedges, size_t *ncells, size_t *nmixed);

/** @brief Metres per degree of latitude used by the local projection. */
#define LAYER_M_PER_DEG 111195.0802 /* mean Earth radius 6371008.8 m * pi / 180 */

/** @brief Great-circle distance in metres (haversine, mean Earth radius). */
double layer_distance_m(double lon1, double lat1, double lon2, double lat2);

#endif
