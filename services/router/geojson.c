/* SPDX-License-Identifier: Apache-2.0 */
/* GeoJSON FeatureCollection -> GEOS (Multi)Polygons with names, validated with
 * GEOSisValidDetail_r; the version id hashes the file's bytes. Errors name the
 * feature (index and name) and the JSON path or the position of the fault. */
#include "geojson.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "prahari/util.h"

/* Each context's last error message, in a small table (a context may be made
 * on one thread and used on another, so the buffer cannot be thread-local). */
#define GEOS_CTX_MAX 32
static struct {
        GEOSContextHandle_t ctx;
        char *buf;
} geos_errs[GEOS_CTX_MAX];
static pthread_mutex_t geos_errs_mu = PTHREAD_MUTEX_INITIALIZER;
#define GEOS_ERRBUF 512

static void geos_error_cb(const char *message, void *userdata)
{
        char *buf = userdata;
        snprintf(buf, GEOS_ERRBUF, "%s", message ? message : "");
}

static void geos_notice_cb(const char *message, void *userdata)
{
        (void)message;
        (void)userdata;
}

GEOSContextHandle_t geojson_geos_new(void)
{
        char *buf = calloc(1, GEOS_ERRBUF);
        GEOSContextHandle_t ctx = buf ? GEOS_init_r() : NULL;
        if (!ctx) {
                free(buf);
                return NULL;
        }
        pthread_mutex_lock(&geos_errs_mu);
        size_t i = 0;
        while (i < GEOS_CTX_MAX && geos_errs[i].ctx)
                i++;
        if (i < GEOS_CTX_MAX) {
                geos_errs[i].ctx = ctx;
                geos_errs[i].buf = buf;
        }
        pthread_mutex_unlock(&geos_errs_mu);
        if (i == GEOS_CTX_MAX) {
                GEOS_finish_r(ctx);
                free(buf);
                return NULL;
        }
        GEOSContext_setErrorMessageHandler_r(ctx, geos_error_cb, buf);
        GEOSContext_setNoticeMessageHandler_r(ctx, geos_notice_cb, NULL);
        return ctx;
}

void geojson_geos_free(GEOSContextHandle_t ctx)
{
        if (!ctx)
                return;
        GEOS_finish_r(ctx);
        pthread_mutex_lock(&geos_errs_mu);
        for (size_t i = 0; i < GEOS_CTX_MAX; i++)
                if (geos_errs[i].ctx == ctx) {
                        free(geos_errs[i].buf);
                        geos_errs[i].ctx = NULL;
                        geos_errs[i].buf = NULL;
                }
        pthread_mutex_unlock(&geos_errs_mu);
}

const char *geojson_geos_error(GEOSContextHandle_t ctx)
{
        const char *b = "";
        pthread_mutex_lock(&geos_errs_mu);
        for (size_t i = 0; i < GEOS_CTX_MAX; i++)
                if (geos_errs[i].ctx == ctx && ctx)
                        b = geos_errs[i].buf;
        pthread_mutex_unlock(&geos_errs_mu);
        return b;
}

void geojson_version(const char *path, const void *data, size_t len, char *out, size_t outsz)
{
        const char *base = strrchr(path, '/');
        base = base ? base + 1 : path;
        size_t blen = strlen(base);
        static const char *const suffixes[] = {".geojson", ".json"};
        for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
                size_t sl = strlen(suffixes[i]);
                if (blen > sl && strcmp(base + blen - sl, suffixes[i]) == 0) {
                        blen -= sl;
                        break;
                }
        }
        char hex[65];
        util_sha256_hex(data, len, hex);
        snprintf(out, outsz, "%.*s@sha256:%.8s", (int)blen, base, hex);
}

static void seterr(char *err, size_t errsz, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errsz, const char *fmt, ...)
{
        if (!err || errsz == 0)
                return;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errsz, fmt, ap);
        va_end(ap);
}

/* Append to err (used for the list of invalid features). */
static void adderr(char *err, size_t errsz, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void adderr(char *err, size_t errsz, const char *fmt, ...)
{
        if (!err || errsz == 0)
                return;
        size_t used = strnlen(err, errsz);
        if (used + 1 >= errsz)
                return;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + used, errsz - used, fmt, ap);
        va_end(ap);
}

/* A ring from a JSON array of [x, y] positions. @p where is the JSON path. */
static GEOSGeometry *ring_from_json(GEOSContextHandle_t ctx, const json_t *arr, const char *where,
                                   size_t *nvert, char *err, size_t errsz)
{
        if (!json_is_array(arr)) {
                seterr(err, errsz, "%s: not an array of positions", where);
                return NULL;
        }
        size_t n = json_array_size(arr);
        if (n < 4) {
                seterr(err, errsz, "%s: a ring needs at least 4 positions, has %zu", where, n);
                return NULL;
        }
        double *xy = malloc(2 * n * sizeof *xy);
        if (!xy) {
                seterr(err, errsz, "out of memory");
                return NULL;
        }
        GEOSGeometry *ring = NULL;
        for (size_t i = 0; i < n; i++) {
                const json_t *pos = json_array_get(arr, i);
                const json_t *jx = json_array_get(pos, 0), *jy = json_array_get(pos, 1);
                if (!json_is_array(pos) || !json_is_number(jx) || !json_is_number(jy)) {
                        seterr(err, errsz, "%s[%zu]: not a [lon, lat] position", where, i);
                        goto out;
                }
                xy[2 * i] = json_number_value(jx);
                xy[2 * i + 1] = json_number_value(jy);
                if (xy[2 * i] < -180 || xy[2 * i] > 180 || xy[2 * i + 1] < -90 ||
                    xy[2 * i + 1] > 90) {
                        seterr(err, errsz, "%s[%zu]: position %.7f %.7f outside lon/lat range",
                               where, i, xy[2 * i], xy[2 * i + 1]);
                        goto out;
                }
        }
        if (xy[0] != xy[2 * (n - 1)] || xy[1] != xy[2 * (n - 1) + 1]) {
                seterr(err, errsz, "%s: ring not closed (first %.7f %.7f, last %.7f %.7f)", where,
                       xy[0], xy[1], xy[2 * (n - 1)], xy[2 * (n - 1) + 1]);
                goto out;
        }
        GEOSCoordSequence *seq = GEOSCoordSeq_copyFromBuffer_r(ctx, xy, (unsigned)n, 0, 0);
        if (!seq) {
                seterr(err, errsz, "%s: %s", where, geojson_geos_error(ctx));
                goto out;
        }
        ring = GEOSGeom_createLinearRing_r(ctx, seq); /* takes seq */
        if (!ring)
                seterr(err, errsz, "%s: %s", where, geojson_geos_error(ctx));
        else
                *nvert += n;
out:
        free(xy);
        return ring;
}

/* A polygon from [shell, hole...]. */
static GEOSGeometry *polygon_from_json(GEOSContextHandle_t ctx, const json_t *rings,
                                       const char *where, size_t *nvert, char *err, size_t errsz)
{
        if (!json_is_array(rings) || json_array_size(rings) == 0) {
                seterr(err, errsz, "%s: a polygon needs at least its outer ring", where);
                return NULL;
        }
        size_t nr = json_array_size(rings);
        GEOSGeometry **rg = calloc(nr, sizeof *rg);
        if (!rg) {
                seterr(err, errsz, "out of memory");
                return NULL;
        }
        GEOSGeometry *poly = NULL;
        size_t made = 0;
        for (; made < nr; made++) {
                char w[128];
                snprintf(w, sizeof w, "%s[%zu]", where, made);
                rg[made] = ring_from_json(ctx, json_array_get(rings, made), w, nvert, err, errsz);
                if (!rg[made])
                        goto out;
        }
        poly = GEOSGeom_createPolygon_r(ctx, rg[0], nr > 1 ? rg + 1 : NULL,
                                        (unsigned)(nr - 1)); /* takes the rings */
        if (!poly)
                seterr(err, errsz, "%s: %s", where, geojson_geos_error(ctx));
        made = 0; /* owned by poly (or destroyed by GEOS on failure) */
out:
        for (size_t i = 0; i < made; i++)
                GEOSGeom_destroy_r(ctx, rg[i]);
        free(rg);
        return poly;
}

static GEOSGeometry *geometry_from_json(GEOSContextHandle_t ctx, const json_t *g, const char *where,
                                        size_t *nvert, char *err, size_t errsz)
{
        const char *type = json_string_value(json_object_get(g, "type"));
        const json_t *coords = json_object_get(g, "coordinates");
        char w[96];
        if (!type) {
                seterr(err, errsz, "%s.geometry: missing or without a type", where);
                return NULL;
        }
        if (strcmp(type, "Polygon") == 0) {
                snprintf(w, sizeof w, "%s.geometry.coordinates", where);
                GEOSGeometry *p = polygon_from_json(ctx, coords, w, nvert, err, errsz);
                if (!p)
                        return NULL;
                /* Always hold a MultiPolygon so that the layer sees one shape. */
                GEOSGeometry *parts[1] = {p};
                GEOSGeometry *mp = GEOSGeom_createCollection_r(ctx, GEOS_MULTIPOLYGON, parts, 1);
                if (!mp) {
                        seterr(err, errsz, "%s: %s", where, geojson_geos_error(ctx));
                        GEOSGeom_destroy_r(ctx, p);
                }
                return mp;
        }
        if (strcmp(type, "MultiPolygon") != 0) {
                seterr(err, errsz, "%s.geometry.type: %s is not Polygon or MultiPolygon", where,
                       type);
                return NULL;
        }
        if (!json_is_array(coords) || json_array_size(coords) == 0) {
                seterr(err, errsz, "%s.geometry.coordinates: empty MultiPolygon", where);
                return NULL;
        }
        size_t np = json_array_size(coords);
        GEOSGeometry **parts = calloc(np, sizeof *parts);
        if (!parts) {
                seterr(err, errsz, "out of memory");
                return NULL;
        }
        GEOSGeometry *mp = NULL;
        size_t made = 0;
        for (; made < np; made++) {
                snprintf(w, sizeof w, "%s.geometry.coordinates[%zu]", where, made);
                parts[made] = polygon_from_json(ctx, json_array_get(coords, made), w, nvert, err,
                                                errsz);
                if (!parts[made])
                        goto out;
        }
        mp = GEOSGeom_createCollection_r(ctx, GEOS_MULTIPOLYGON, parts, (unsigned)np);
        if (!mp)
                seterr(err, errsz, "%s: %s", where, geojson_geos_error(ctx));
        made = 0;
out:
        for (size_t i = 0; i < made; i++)
                GEOSGeom_destroy_r(ctx, parts[i]);
        free(parts);
        return mp;
}

void geojson_layer_free(GEOSContextHandle_t ctx, struct gj_layer *gl)
{
        if (!gl)
                return;
        for (size_t i = 0; i < gl->n; i++) {
                free(gl->f[i].name);
                free(gl->f[i].repair);
                if (gl->f[i].geom)
                        GEOSGeom_destroy_r(ctx, gl->f[i].geom);
        }
        free(gl->f);
        free(gl);
}

/* Append clones of the polygons inside @p g (recursing into collections). */
static int collect_polygons(GEOSContextHandle_t ctx, const GEOSGeometry *g, GEOSGeometry ***parts,
                            size_t *np, size_t *cap)
{
        int t = GEOSGeomTypeId_r(ctx, g);
        if (t == GEOS_POLYGON) {
                if (*np == *cap) {
                        size_t nc = *cap ? *cap * 2 : 8;
                        GEOSGeometry **nv = realloc(*parts, nc * sizeof *nv);
                        if (!nv)
                                return -1;
                        *parts = nv;
                        *cap = nc;
                }
                (*parts)[(*np)++] = GEOSGeom_clone_r(ctx, g);
                return 0;
        }
        if (t == GEOS_MULTIPOLYGON || t == GEOS_GEOMETRYCOLLECTION)
                for (int i = 0; i < GEOSGetNumGeometries_r(ctx, g); i++)
                        if (collect_polygons(ctx, GEOSGetGeometryN_r(ctx, g, i), parts, np, cap))
                                return -1;
        return 0; /* lines and points of collapsed rings are dropped */
}

/* The polygons of a repaired geometry as one MultiPolygon (GEOSMakeValid may
 * return a collection with lines or points where rings collapsed). */
static GEOSGeometry *polygons_only(GEOSContextHandle_t ctx, const GEOSGeometry *g)
{
        GEOSGeometry **parts = NULL;
        size_t np = 0, cap = 0;
        GEOSGeometry *mp = NULL;
        if (collect_polygons(ctx, g, &parts, &np, &cap) == 0)
                mp = GEOSGeom_createCollection_r(ctx, GEOS_MULTIPOLYGON, parts, (unsigned)np);
        else
                for (size_t i = 0; i < np; i++)
                        GEOSGeom_destroy_r(ctx, parts[i]);
        free(parts);
        return mp;
}

struct gj_layer *geojson_parse(GEOSContextHandle_t ctx, const char *buf, size_t len,
                               const char *name_prop, char *err, size_t errsz)
{
        return geojson_parse_ex(ctx, buf, len, name_prop, 0, err, errsz);
}

struct gj_layer *geojson_parse_ex(GEOSContextHandle_t ctx, const char *buf, size_t len,
                                  const char *name_prop, unsigned flags, char *err, size_t errsz)
{
        json_error_t jerr;
        struct gj_layer *gl = NULL;
        if (err && errsz)
                err[0] = '\0';
        json_t *root = json_loadb(buf, len, 0, &jerr);
        if (!root) {
                seterr(err, errsz, "not JSON: line %d column %d: %s", jerr.line, jerr.column,
                       jerr.text);
                return NULL;
        }
        const char *type = json_string_value(json_object_get(root, "type"));
        const json_t *features = json_object_get(root, "features");
        if (!type || strcmp(type, "FeatureCollection") != 0 || !json_is_array(features)) {
                seterr(err, errsz, "not a FeatureCollection with a features array");
                goto fail;
        }
        size_t n = json_array_size(features);
        if (n == 0) {
                seterr(err, errsz, "features: empty FeatureCollection");
                goto fail;
        }
        gl = calloc(1, sizeof *gl);
        if (!gl || !(gl->f = calloc(n, sizeof *gl->f))) {
                seterr(err, errsz, "out of memory");
                goto fail;
        }
        for (size_t i = 0; i < n; i++) {
                const json_t *ft = json_array_get(features, i);
                char where[48];
                snprintf(where, sizeof where, "features[%zu]", i);
                const char *name =
                        json_string_value(json_object_get(json_object_get(ft, "properties"),
                                                          name_prop));
                if (!name || !*name) {
                        seterr(err, errsz, "%s.properties.%s: missing or empty", where,
                               name_prop);
                        goto fail;
                }
                gl->f[i].name = strdup(name);
                if (!gl->f[i].name) {
                        seterr(err, errsz, "out of memory");
                        goto fail;
                }
                gl->n = i + 1;
                gl->f[i].geom = geometry_from_json(ctx, json_object_get(ft, "geometry"), where,
                                                   &gl->f[i].nvertices, err, errsz);
                if (!gl->f[i].geom) {
                        size_t used = strnlen(err, errsz);
                        if (used + 24 < errsz)
                                adderr(err, errsz, " (%s)", name);
                        goto fail;
                }
                gl->nvertices += gl->f[i].nvertices;
        }
        /* Validity: report every invalid feature, not only the first. */
        int invalid = 0;
        for (size_t i = 0; i < gl->n; i++) {
                char *reason = NULL;
                GEOSGeometry *loc = NULL;
                char v = GEOSisValidDetail_r(ctx, gl->f[i].geom, 0, &reason, &loc);
                if (v == 1)
                        continue;
                double x = 0, y = 0;
                if (loc) {
                        GEOSGeomGetX_r(ctx, loc, &x);
                        GEOSGeomGetY_r(ctx, loc, &y);
                }
                char what[640];
                snprintf(what, sizeof what, "%s at %.7f %.7f",
                         reason ? reason : geojson_geos_error(ctx), x, y);
                GEOSGeometry *fixed = NULL, *mv = NULL;
                if (flags & GEOJSON_REPAIR) {
                        mv = GEOSMakeValid_r(ctx, gl->f[i].geom);
                        fixed = mv ? polygons_only(ctx, mv) : NULL;
                        if (mv)
                                GEOSGeom_destroy_r(ctx, mv);
                        if (fixed && GEOSisValid_r(ctx, fixed) == 1 && !GEOSisEmpty_r(ctx, fixed)) {
                                GEOSGeom_destroy_r(ctx, gl->f[i].geom);
                                gl->f[i].geom = fixed;
                                gl->f[i].repair = strdup(what);
                                gl->nrepaired++;
                                fixed = NULL;
                        } else {
                                adderr(err, errsz, "%sfeatures[%zu] (%s): invalid and not "
                                       "repairable: %s", invalid ? "; " : "", i, gl->f[i].name, what);
                                invalid++;
                        }
                        if (fixed)
                                GEOSGeom_destroy_r(ctx, fixed);
                } else {
                        adderr(err, errsz, "%sfeatures[%zu] (%s): invalid: %s",
                               invalid ? "; " : "", i, gl->f[i].name, what);
                        invalid++;
                }
                if (reason)
                        GEOSFree_r(ctx, reason);
                if (loc)
                        GEOSGeom_destroy_r(ctx, loc);
        }
        if (invalid)
                goto fail;
        json_decref(root);
        return gl;
fail:
        geojson_layer_free(ctx, gl);
        json_decref(root);
        return NULL;
}

struct gj_layer *geojson_load_file(GEOSContextHandle_t ctx, const char *path,
                                   const char *name_prop, char *err, size_t errsz)
{
        return geojson_load_file_ex(ctx, path, name_prop, 0, err, errsz);
}

struct gj_layer *geojson_load_file_ex(GEOSContextHandle_t ctx, const char *path,
                                      const char *name_prop, unsigned flags, char *err,
                                      size_t errsz)
{
        size_t len = 0;
        char *buf = util_read_file(path, &len);
        if (!buf) {
                seterr(err, errsz, "%s: cannot read", path);
                return NULL;
        }
        char inner[1024];
        struct gj_layer *gl = geojson_parse_ex(ctx, buf, len, name_prop, flags, inner, sizeof inner);
        if (!gl)
                seterr(err, errsz, "%s: %s", path, inner);
        else
                geojson_version(path, buf, len, gl->version, sizeof gl->version);
        free(buf);
        return gl;
}

struct gj_layer *geojson_layer_from_wkb_hex(GEOSContextHandle_t ctx, const char *const *names,
                                            const char *const *hex, size_t n,
                                            const char *version, char *err, size_t errsz)
{
        struct gj_layer *gl = calloc(1, sizeof *gl);
        GEOSWKBReader *rd = GEOSWKBReader_create_r(ctx);
        if (!gl || !rd || n == 0 || !(gl->f = calloc(n, sizeof *gl->f))) {
                seterr(err, errsz, n == 0 ? "no features" : "out of memory");
                goto fail;
        }
        util_strlcpy(gl->version, version, sizeof gl->version);
        for (size_t i = 0; i < n; i++) {
                gl->f[i].name = strdup(names[i]);
                gl->n = i + 1;
                GEOSGeometry *g = GEOSWKBReader_readHEX_r(ctx, rd, (const unsigned char *)hex[i],
                                                          strlen(hex[i]));
                if (!gl->f[i].name || !g) {
                        seterr(err, errsz, "feature %zu (%s): bad WKB: %s", i, names[i],
                               geojson_geos_error(ctx));
                        goto fail;
                }
                int t = GEOSGeomTypeId_r(ctx, g);
                if (t == GEOS_POLYGON) {
                        GEOSGeometry *parts[1] = {g};
                        GEOSGeometry *mp = GEOSGeom_createCollection_r(ctx, GEOS_MULTIPOLYGON, parts, 1);
                        if (!mp)
                                GEOSGeom_destroy_r(ctx, g);
                        g = mp;
                } else if (t != GEOS_MULTIPOLYGON) {
                        GEOSGeom_destroy_r(ctx, g);
                        g = NULL;
                }
                if (!g || GEOSisValid_r(ctx, g) != 1) {
                        if (g)
                                GEOSGeom_destroy_r(ctx, g);
                        seterr(err, errsz, "feature %zu (%s): not a valid (Multi)Polygon", i,
                               names[i]);
                        goto fail;
                }
                gl->f[i].geom = g;
                int ng = GEOSGetNumCoordinates_r(ctx, g);
                gl->f[i].nvertices = ng > 0 ? (size_t)ng : 0;
                gl->nvertices += gl->f[i].nvertices;
        }
        GEOSWKBReader_destroy_r(ctx, rd);
        return gl;
fail:
        if (rd)
                GEOSWKBReader_destroy_r(ctx, rd);
        geojson_layer_free(ctx, gl);
        return NULL;
}
