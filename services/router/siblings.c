/* SPDX-License-Identifier: Apache-2.0 */
/* Layer-wide checks on import: sibling overlaps (pairwise intersections, only
 * searched when the areas do not add up to the union's) and gaps (holes of
 * the union, with the features around them). */
#include "siblings.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KM_PER_DEG 111.1950802

/* Area in km^2 at the shape's own latitude, and a point inside it. */
static int area_km2(GEOSContextHandle_t ctx, const GEOSGeometry *g, double *km2, double *lon,
                    double *lat)
{
        double a = 0, x = 0, y = 0;
        GEOSGeometry *pt = GEOSPointOnSurface_r(ctx, g);
        if (!pt || !GEOSArea_r(ctx, g, &a)) {
                if (pt)
                        GEOSGeom_destroy_r(ctx, pt);
                return -1;
        }
        GEOSGeomGetX_r(ctx, pt, &x);
        GEOSGeomGetY_r(ctx, pt, &y);
        GEOSGeom_destroy_r(ctx, pt);
        *km2 = a * KM_PER_DEG * KM_PER_DEG * cos(y * M_PI / 180.0);
        if (lon)
                *lon = x;
        if (lat)
                *lat = y;
        return 0;
}

void siblings_report_free(struct sib_report *r)
{
        free(r->ov);
        free(r->gap);
        memset(r, 0, sizeof *r);
}

static int add_overlap(struct sib_report *r, struct sib_overlap o)
{
        struct sib_overlap *n = realloc(r->ov, (r->nov + 1) * sizeof *n);
        if (!n)
                return -1;
        r->ov = n;
        r->ov[r->nov++] = o;
        return 0;
}

static int add_gap(struct sib_report *r, struct sib_gap g)
{
        struct sib_gap *n = realloc(r->gap, (r->ngap + 1) * sizeof *n);
        if (!n)
                return -1;
        r->gap = n;
        r->gap[r->ngap++] = g;
        return 0;
}

int siblings_check(GEOSContextHandle_t ctx, const struct gj_layer *gl, struct sib_report *out,
                   char *err, size_t errsz)
{
        memset(out, 0, sizeof *out);
        GEOSGeometry **parts = calloc(gl->n, sizeof *parts);
        GEOSGeometry *all = NULL, *u = NULL;
        if (!parts)
                goto fail;
        for (size_t i = 0; i < gl->n; i++) {
                double km2;
                if (area_km2(ctx, gl->f[i].geom, &km2, NULL, NULL))
                        goto fail;
                out->sum_km2 += km2;
                parts[i] = GEOSGeom_clone_r(ctx, gl->f[i].geom);
        }
        all = GEOSGeom_createCollection_r(ctx, GEOS_GEOMETRYCOLLECTION, parts, (unsigned)gl->n);
        free(parts);
        parts = NULL;
        u = all ? GEOSUnaryUnion_r(ctx, all) : NULL;
        if (!u || area_km2(ctx, u, &out->union_km2, NULL, NULL))
                goto fail;
        /* overlaps: only when the parts cover more than their union */
        if (out->sum_km2 - out->union_km2 > 1e-6 * out->union_km2 + 1e-9) {
                for (size_t a = 0; a < gl->n; a++)
                        for (size_t b = a + 1; b < gl->n; b++) {
                                const GEOSGeometry *ga = gl->f[a].geom, *gb = gl->f[b].geom;
                                double ax0, ax1, ay0, ay1, bx0, bx1, by0, by1;
                                GEOSGeom_getXMin_r(ctx, ga, &ax0);
                                GEOSGeom_getXMax_r(ctx, ga, &ax1);
                                GEOSGeom_getYMin_r(ctx, ga, &ay0);
                                GEOSGeom_getYMax_r(ctx, ga, &ay1);
                                GEOSGeom_getXMin_r(ctx, gb, &bx0);
                                GEOSGeom_getXMax_r(ctx, gb, &bx1);
                                GEOSGeom_getYMin_r(ctx, gb, &by0);
                                GEOSGeom_getYMax_r(ctx, gb, &by1);
                                if (ax1 < bx0 || bx1 < ax0 || ay1 < by0 || by1 < ay0)
                                        continue;
                                GEOSGeometry *ix = GEOSIntersection_r(ctx, ga, gb);
                                struct sib_overlap o = {a, b, 0, 0, 0};
                                double deg2 = 0;
                                if (ix && GEOSArea_r(ctx, ix, &deg2) && deg2 > 1e-12 &&
                                    area_km2(ctx, ix, &o.km2, &o.lon, &o.lat) == 0)
                                        add_overlap(out, o);
                                if (ix)
                                        GEOSGeom_destroy_r(ctx, ix);
                        }
        }
        /* gaps: holes of the union */
        for (int p = 0; p < GEOSGetNumGeometries_r(ctx, u); p++) {
                const GEOSGeometry *poly = GEOSGetGeometryN_r(ctx, u, p);
                if (GEOSGeomTypeId_r(ctx, poly) != GEOS_POLYGON)
                        continue;
                for (int h = 0; h < GEOSGetNumInteriorRings_r(ctx, poly); h++) {
                        const GEOSGeometry *ring = GEOSGetInteriorRingN_r(ctx, poly, h);
                        GEOSGeometry *hp = GEOSGeom_createPolygon_r(
                                ctx, GEOSGeom_clone_r(ctx, ring), NULL, 0);
                        struct sib_gap g = {0};
                        if (!hp || area_km2(ctx, hp, &g.km2, &g.lon, &g.lat)) {
                                if (hp)
                                        GEOSGeom_destroy_r(ctx, hp);
                                goto fail;
                        }
                        for (size_t i = 0; i < gl->n && g.nbounded < 8; i++)
                                if (GEOSIntersects_r(ctx, gl->f[i].geom, ring) == 1)
                                        g.bounded_by[g.nbounded++] = i;
                        GEOSGeom_destroy_r(ctx, hp);
                        add_gap(out, g);
                }
        }
        GEOSGeom_destroy_r(ctx, u);
        GEOSGeom_destroy_r(ctx, all);
        return 0;
fail:
        snprintf(err, errsz, "layer check: %s", geojson_geos_error(ctx));
        if (parts)
                for (size_t i = 0; i < gl->n; i++)
                        if (parts[i])
                                GEOSGeom_destroy_r(ctx, parts[i]);
        free(parts);
        if (u)
                GEOSGeom_destroy_r(ctx, u);
        if (all)
                GEOSGeom_destroy_r(ctx, all);
        siblings_report_free(out);
        return -1;
}

json_t *siblings_report_json(const struct gj_layer *gl, const struct sib_report *r)
{
        json_t *o = json_object(), *ov = json_array(), *gaps = json_array();
        json_object_set_new(o, "sum_km2", json_real(round(r->sum_km2 * 1000) / 1000));
        json_object_set_new(o, "union_km2", json_real(round(r->union_km2 * 1000) / 1000));
        for (size_t i = 0; i < r->nov; i++)
                json_array_append_new(ov, json_pack("{s:s,s:s,s:f,s:[f,f]}", "a",
                                                    gl->f[r->ov[i].a].name, "b",
                                                    gl->f[r->ov[i].b].name, "km2", r->ov[i].km2,
                                                    "at", r->ov[i].lon, r->ov[i].lat));
        for (size_t i = 0; i < r->ngap; i++) {
                json_t *by = json_array();
                for (size_t k = 0; k < r->gap[i].nbounded; k++)
                        json_array_append_new(by, json_string(gl->f[r->gap[i].bounded_by[k]].name));
                json_array_append_new(gaps, json_pack("{s:f,s:[f,f],s:o}", "km2", r->gap[i].km2,
                                                      "at", r->gap[i].lon, r->gap[i].lat,
                                                      "bounded_by", by));
        }
        json_object_set_new(o, "overlaps", ov); /* steals ref */
        json_object_set_new(o, "gaps", gaps);   /* steals ref */
        return o;
}
