/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file geojson.h
 * @brief Load a GeoJSON FeatureCollection of Polygon/MultiPolygon features
 *        into GEOS geometries (reentrant API), validate them, and name the
 *        layer's version by the file's content hash. Pure: no network, no DB.
 */
#ifndef PRAHARI_ROUTER_GEOJSON_H
#define PRAHARI_ROUTER_GEOJSON_H
#include <stddef.h>
#include <geos_c.h>

/** One feature: its name property and its (Multi)Polygon, owned by the layer. */
struct gj_feature {
        char *name;
        GEOSGeometry *geom;
        size_t nvertices;
        char *repair; /* GEOJSON_REPAIR: what was wrong before GEOSMakeValid; else NULL */
};

/** A loaded file: features in file order. */
struct gj_layer {
        struct gj_feature *f;
        size_t n;
        size_t nvertices;
        size_t nrepaired;
        char version[160]; /* "<file name without .geojson>@sha256:<8 hex>" */
};

/* ==== GEOS context ==== */

/**
 * @brief A new GEOS context whose last error message is kept per context
 * (read with geojson_geos_error; at most 32 contexts live at once). A context
 * may move between threads but is used by one at a time. Destroy with
 * geojson_geos_free. @returns NULL when none can be made.
 */
GEOSContextHandle_t geojson_geos_new(void);
/** @brief Finish a context from geojson_geos_new; NULL is a no-op. */
void geojson_geos_free(GEOSContextHandle_t ctx);
/** @brief The last GEOS error text seen on @p ctx ("" if none). */
const char *geojson_geos_error(GEOSContextHandle_t ctx);

/* ==== Loading ==== */

/**
 * @brief The version id of a boundary file: base name without a ".geojson"
 * or ".json" suffix, "@sha256:", the first 8 hex digits of SHA-256(@p data).
 */
void geojson_version(const char *path, const void *data, size_t len, char *out, size_t outsz);

/**
 * @brief Parse @p buf (a FeatureCollection) into a layer. @p name_prop names
 * the property used as the feature's name ("name", "ST_NM"). Every feature
 * must be a valid Polygon or MultiPolygon with a non-empty name; the first
 * structural error, or every invalid geometry (GEOSisValid reason, feature
 * index, name and position), is written to @p err.
 * @returns the layer (caller frees with geojson_layer_free) or NULL.
 */
struct gj_layer *geojson_parse(GEOSContextHandle_t ctx, const char *buf, size_t len,
                               const char *name_prop, char *err, size_t errsz);

/**
 * @brief Read and parse @p path; the version id is set from its bytes.
 * @returns the layer or NULL with @p err (naming the file).
 */
struct gj_layer *geojson_load_file(GEOSContextHandle_t ctx, const char *path,
                                   const char *name_prop, char *err, size_t errsz);

/** Flags of the _ex variants. */
#define GEOJSON_REPAIR 0x1 /* repair invalid geometries (GEOSMakeValid, polygons kept) */

/**
 * @brief geojson_parse with @p flags: with GEOJSON_REPAIR an invalid feature
 * is repaired instead of failing the load; its gj_feature.repair says what
 * was wrong (reason and position) and gl->nrepaired counts them.
 */
struct gj_layer *geojson_parse_ex(GEOSContextHandle_t ctx, const char *buf, size_t len,
                                  const char *name_prop, unsigned flags, char *err, size_t errsz);

/** @brief geojson_load_file with @p flags (see geojson_parse_ex). */
struct gj_layer *geojson_load_file_ex(GEOSContextHandle_t ctx, const char *path,
                                      const char *name_prop, unsigned flags, char *err,
                                      size_t errsz);

/**
 * @brief A layer from features stored as hex WKB (e.g. PostGIS
 * encode(ST_AsBinary(geom), 'hex')), with @p version as its id. Polygons are
 * held as MultiPolygons; each is checked with GEOSisValid.
 * @returns the layer or NULL with @p err naming the feature.
 */
struct gj_layer *geojson_layer_from_wkb_hex(GEOSContextHandle_t ctx, const char *const *names,
                                            const char *const *hex, size_t n,
                                            const char *version, char *err, size_t errsz);

/** @brief Free the layer and its geometries (with @p ctx); NULL is a no-op. */
void geojson_layer_free(GEOSContextHandle_t ctx, struct gj_layer *gl);

#endif
