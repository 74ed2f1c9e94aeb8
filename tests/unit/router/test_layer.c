/* SPDX-License-Identifier: Apache-2.0 */
/* layer: over the real 41-district and India-states files, every GeoNames
 * town lands in its district / state; points on shared edges and corners
 * (computed from the data) go to exactly one district by the tie rule; every
 * part of the multi-part districts is found; the Kotputli-Behror hole is no
 * district; the own index, GEOS STRtree and a plain scan agree everywhere;
 * uncertainty circles give the right overlaps. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "rcsv.h"
#include "layer.h"
#include "prahari/util.h"

static GEOSContextHandle_t ctx;
static struct layer *dl, *sl; /* districts, states */

static struct layer *load(const char *file, const char *prop)
{
        char err[1024];
        struct gj_layer *gl = geojson_load_file(ctx, file, prop, err, sizeof err);
        CHECK_MSG(gl != NULL, "%s", err);
        if (!gl)
                return NULL;
        struct layer *l = layer_new(ctx, gl, err, sizeof err);
        CHECK_MSG(l != NULL, "%s", err);
        return l;
}

/* All three lookups must agree; returns the answer. */
static int lookup3(struct layer *l, double x, double y)
{
        int a = layer_lookup(l, x, y), b = layer_lookup_geos(l, x, y), c = layer_lookup_scan(l, x, y);
        CHECK_MSG(a == b && b == c, "%.9f %.9f: own %s geos %s scan %s", x, y,
                  a >= 0 ? layer_name(l, a) : "-", b >= 0 ? layer_name(l, b) : "-",
                  c >= 0 ? layer_name(l, c) : "-");
        return a;
}

/* The tie rule computed independently: GEOS covers over every feature (own
 * prepared geometries, no index), the first in name order wins. */
static const GEOSPreparedGeometry *prep[64];

static int rule_by_geos(struct layer *l, double x, double y, int *ncover)
{
        GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(ctx, x, y);
        int first = -1;
        *ncover = 0;
        for (size_t i = 0; i < layer_count(l); i++) {
                const GEOSGeometry *g = layer_geom(l, (int)i);
                double x0, x1, y0, y1;
                GEOSGeom_getXMin_r(ctx, g, &x0);
                GEOSGeom_getXMax_r(ctx, g, &x1);
                GEOSGeom_getYMin_r(ctx, g, &y0);
                GEOSGeom_getYMax_r(ctx, g, &y1);
                if (x < x0 || x > x1 || y < y0 || y > y1)
                        continue;
                if (!prep[i])
                        prep[i] = GEOSPrepare_r(ctx, g);
                if (GEOSPreparedCovers_r(ctx, prep[i], pt) == 1) {
                        if (first < 0)
                                first = (int)i;
                        (*ncover)++;
                }
        }
        GEOSGeom_destroy_r(ctx, pt);
        return first;
}

static void test_towns(void)
{
        size_t len;
        char *csv = util_read_file(PRAHARI_DATA_DIR "/gazetteer/towns_geonames_rajasthan_region.csv",
                                   &len);
        CHECK(csv != NULL);
        if (!csv)
                return;
        struct rcsv_reader r;
        struct rcsv_record rec;
        char err[128];
        rcsv_init(&r, csv, len);
        CHECK(rcsv_next(&r, &rec, err, sizeof err) == 1 && rec.n == 9 &&
              strcmp(rec.field[5], "district_41") == 0 && strcmp(rec.field[8], "india_state_pip") == 0);
        int rows = 0, inside = 0, outside = 0, pk = 0, bad_d = 0, bad_s = 0;
        while (rcsv_next(&r, &rec, err, sizeof err) == 1) {
                double lat = strtod(rec.field[3], NULL), lon = strtod(rec.field[4], NULL);
                int d = lookup3(dl, lon, lat);
                int s = lookup3(sl, lon, lat);
                rows++;
                if (strcmp(rec.field[7], "yes") == 0) {
                        inside++;
                        if (d < 0 || strcmp(layer_name(dl, d), rec.field[5]) != 0) {
                                bad_d++;
                                fprintf(stderr, "town %s: district %s, want %s\n", rec.field[0],
                                        d >= 0 ? layer_name(dl, d) : "-", rec.field[5]);
                        }
                } else {
                        outside++;
                        if (d >= 0) {
                                bad_d++;
                                fprintf(stderr, "town %s outside: got %s\n", rec.field[0],
                                        layer_name(dl, d));
                        }
                }
                const char *want_state = rec.field[8];
                if (!*want_state) {
                        pk += strcmp(rec.field[1], "PK") == 0;
                        if (s >= 0) {
                                bad_s++;
                                fprintf(stderr, "town %s: state %s, want none\n", rec.field[0],
                                        layer_name(sl, s));
                        }
                } else if (s < 0 || strcmp(layer_name(sl, s), want_state) != 0) {
                        bad_s++;
                        fprintf(stderr, "town %s: state %s, want %s\n", rec.field[0],
                                s >= 0 ? layer_name(sl, s) : "-", want_state);
                }
        }
        CHECK_INT(rows, 1772);
        CHECK_INT(inside, 327);
        CHECK_INT(outside, 1445);
        CHECK(pk >= 190); /* Pakistan's towns: in no Indian state */
        CHECK_INT(bad_d, 0);
        CHECK_INT(bad_s, 0);
        rcsv_free(&r);
        free(csv);
}

static void test_rep_points(void)
{
        size_t len;
        char *csv = util_read_file(PRAHARI_DATA_DIR "/gazetteer/rajasthan_districts_41.csv", &len);
        CHECK(csv != NULL);
        if (!csv)
                return;
        struct rcsv_reader r;
        struct rcsv_record rec;
        char err[128];
        rcsv_init(&r, csv, len);
        CHECK(rcsv_next(&r, &rec, err, sizeof err) == 1);
        int ilat = -1, ilon = -1;
        for (size_t i = 0; i < rec.n; i++) {
                if (strcmp(rec.field[i], "rep_lat") == 0)
                        ilat = (int)i;
                if (strcmp(rec.field[i], "rep_lon") == 0)
                        ilon = (int)i;
        }
        CHECK(ilat > 0 && ilon > 0);
        int n = 0;
        while (ilat > 0 && rcsv_next(&r, &rec, err, sizeof err) == 1) {
                double lat = strtod(rec.field[ilat], NULL), lon = strtod(rec.field[ilon], NULL);
                int d = lookup3(dl, lon, lat);
                CHECK_MSG(d >= 0 && strcmp(layer_name(dl, d), rec.field[0]) == 0, "%s -> %s",
                          rec.field[0], d >= 0 ? layer_name(dl, d) : "-");
                /* the state of every district's point is Rajasthan */
                int s = lookup3(sl, lon, lat);
                CHECK(s >= 0 && strcmp(layer_name(sl, s), "Rajasthan") == 0);
                n++;
        }
        CHECK_INT(n, 41);
        rcsv_free(&r);
        free(csv);
}

/* Vertices of every ring of feature idx, appended to xy. */
static size_t feature_vertices(int idx, double **xy, int **owner, size_t n, size_t *cap)
{
        const GEOSGeometry *g = layer_geom(dl, idx);
        for (int p = 0; p < GEOSGetNumGeometries_r(ctx, g); p++) {
                const GEOSGeometry *poly = GEOSGetGeometryN_r(ctx, g, p);
                int nh = GEOSGetNumInteriorRings_r(ctx, poly);
                for (int ri = -1; ri < nh; ri++) {
                        const GEOSGeometry *ring = ri < 0 ? GEOSGetExteriorRing_r(ctx, poly)
                                                          : GEOSGetInteriorRingN_r(ctx, poly, ri);
                        const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(ctx, ring);
                        unsigned m;
                        GEOSCoordSeq_getSize_r(ctx, cs, &m);
                        for (unsigned k = 0; k + 1 < m; k++) {
                                if (n == *cap) {
                                        *cap *= 2;
                                        *xy = realloc(*xy, *cap * 2 * sizeof **xy);
                                        *owner = realloc(*owner, *cap * sizeof **owner);
                                }
                                GEOSCoordSeq_getXY_r(ctx, cs, k, &(*xy)[2 * n], &(*xy)[2 * n + 1]);
                                (*owner)[n++] = idx;
                        }
                }
        }
        return n;
}

struct vtx {
        double x, y;
        int owner;
};

static int cmp_vtx(const void *a, const void *b)
{
        const struct vtx *p = a, *q = b;
        if (p->x != q->x)
                return p->x < q->x ? -1 : 1;
        if (p->y != q->y)
                return p->y < q->y ? -1 : 1;
        return p->owner - q->owner;
}

/* Shared vertices (corners of two or more districts) and midpoints of the
 * edges between consecutive shared vertices. */
static void test_shared_edges(void)
{
        size_t cap = 1024, n = 0;
        double *xy = malloc(cap * 2 * sizeof *xy);
        int *owner = malloc(cap * sizeof *owner);
        for (size_t i = 0; i < layer_count(dl); i++)
                n = feature_vertices((int)i, &xy, &owner, n, &cap);
        struct vtx *v = malloc(n * sizeof *v);
        for (size_t i = 0; i < n; i++)
                v[i] = (struct vtx){xy[2 * i], xy[2 * i + 1], owner[i]};
        qsort(v, n, sizeof *v, cmp_vtx);
        int shared = 0, tri = 0, wrong = 0, mids = 0, mid_two = 0;
        for (size_t i = 0; i < n;) {
                size_t j = i + 1;
                while (j < n && v[j].x == v[i].x && v[j].y == v[i].y)
                        j++;
                /* distinct owners of this vertex */
                int owners[8], no = 0;
                for (size_t k = i; k < j; k++)
                        if (no == 0 || owners[no - 1] != v[k].owner)
                                if (no < 8)
                                        owners[no++] = v[k].owner;
                if (no >= 2) {
                        shared++;
                        tri += no >= 3;
                        /* every 7th shared vertex: the full check is slow under ASan */
                        if (no >= 3 || shared % 7 == 0) {
                                int got = lookup3(dl, v[i].x, v[i].y);
                                int nc;
                                int want = rule_by_geos(dl, v[i].x, v[i].y, &nc);
                                /* owners[] is sorted: the tie rule picks the first */
                                if (got != owners[0] || want != owners[0] || nc < no)
                                        wrong++;
                        }
                }
                i = j;
        }
        CHECK_MSG(shared > 10000, "%d shared vertices", shared);
        CHECK_MSG(tri >= 30, "%d corners of three districts", tri);
        CHECK_INT(wrong, 0);
        /* Midpoints of shared edges: an edge (a,b) of district A whose both
         * ends are vertices of district B too. Walk district rings in order. */
        for (size_t i = 0; i < layer_count(dl) && mids < 2000; i++) {
                size_t cap2 = 1024, m = 0;
                double *fx = malloc(cap2 * 2 * sizeof *fx);
                int *fo = malloc(cap2 * sizeof *fo);
                m = feature_vertices((int)i, &fx, &fo, 0, &cap2);
                for (size_t k = 0; k + 1 < m && mids < 2000; k += 13) {
                        struct vtx a = {fx[2 * k], fx[2 * k + 1], 0}, b = {fx[2 * k + 2], fx[2 * k + 3], 0};
                        /* another district having both a and b as vertices:
                         * scan a's equal range in the sorted vertex list */
                        int other = -1;
                        size_t lo = 0, hi = n;
                        while (lo < hi) {
                                size_t mid = (lo + hi) / 2;
                                if (v[mid].x < a.x || (v[mid].x == a.x && v[mid].y < a.y))
                                        lo = mid + 1;
                                else
                                        hi = mid;
                        }
                        for (size_t q = lo; q < n && v[q].x == a.x && v[q].y == a.y; q++)
                                if (v[q].owner != (int)i) {
                                        /* b also a vertex of that owner? */
                                        struct vtx key = {b.x, b.y, v[q].owner};
                                        if (bsearch(&key, v, n, sizeof *v, cmp_vtx))
                                                other = v[q].owner;
                                }
                        if (other < 0)
                                continue;
                        double mx = (a.x + b.x) / 2, my = (a.y + b.y) / 2;
                        int got = lookup3(dl, mx, my);
                        int nc;
                        int want = rule_by_geos(dl, mx, my, &nc);
                        mids++;
                        mid_two += nc == 2;
                        int first = (int)i < other ? (int)i : other;
                        CHECK_MSG(got == want && (got == (int)i || got == other) &&
                                          (nc != 2 || got == first),
                                  "midpoint %.9f %.9f of %s|%s: got %s", mx, my,
                                  layer_name(dl, (int)i), layer_name(dl, other),
                                  got >= 0 ? layer_name(dl, got) : "-");
                }
                free(fx);
                free(fo);
        }
        CHECK_MSG(mids >= 1000, "%d shared-edge midpoints", mids);
        fprintf(stderr, "shared vertices %d (3+ districts: %d), midpoints %d (on both: %d)\n",
                shared, tri, mids, mid_two);
        free(v);
        free(xy);
        free(owner);
}

static void test_parts_and_hole(void)
{
        static const char *const multi[] = {"Chittorgarh", "Rajsamand", "Alwar", "Jhunjhunu"};
        static const int nparts[] = {3, 4, 2, 2};
        for (size_t i = 0; i < 4; i++) {
                int idx = layer_find(dl, multi[i]);
                CHECK(idx >= 0);
                if (idx < 0)
                        continue;
                const GEOSGeometry *g = layer_geom(dl, idx);
                CHECK_INT(GEOSGetNumGeometries_r(ctx, g), nparts[i]);
                for (int p = 0; p < GEOSGetNumGeometries_r(ctx, g); p++) {
                        GEOSGeometry *pt = GEOSPointOnSurface_r(ctx, GEOSGetGeometryN_r(ctx, g, p));
                        double x, y;
                        GEOSGeomGetX_r(ctx, pt, &x);
                        GEOSGeomGetY_r(ctx, pt, &y);
                        CHECK_MSG(lookup3(dl, x, y) == idx, "%s part %d at %f %f", multi[i], p, x, y);
                        GEOSGeom_destroy_r(ctx, pt);
                }
        }
        /* The hole: a point inside it is no district; its ring is Kotputli-Behror's. */
        int kb = layer_find(dl, "Kotputli-Behror");
        CHECK(kb >= 0);
        const GEOSGeometry *poly = GEOSGetGeometryN_r(ctx, layer_geom(dl, kb), 0);
        CHECK_INT(GEOSGetNumInteriorRings_r(ctx, poly), 1);
        GEOSGeometry *hole = GEOSGeom_clone_r(ctx, GEOSGetInteriorRingN_r(ctx, poly, 0));
        GEOSGeometry *hp = GEOSGeom_createPolygon_r(ctx, hole, NULL, 0);
        GEOSGeometry *in = GEOSPointOnSurface_r(ctx, hp);
        double x, y, area;
        GEOSGeomGetX_r(ctx, in, &x);
        GEOSGeomGetY_r(ctx, in, &y);
        GEOSArea_r(ctx, hp, &area);
        /* ~4 km2 around 28.12 N 76.43 E */
        CHECK_NEAR(y, 28.12, 0.03);
        CHECK_NEAR(x, 76.43, 0.03);
        double km2 = area * (LAYER_M_PER_DEG / 1000) * (LAYER_M_PER_DEG / 1000) * cos(y * M_PI / 180);
        CHECK_MSG(km2 > 3 && km2 < 5, "hole %.2f km2", km2);
        CHECK_INT(lookup3(dl, x, y), -1);
        /* the state layer places the hole in Rajasthan */
        int s = lookup3(sl, x, y);
        CHECK(s >= 0 && strcmp(layer_name(sl, s), "Rajasthan") == 0);
        /* a vertex of the hole's ring is on Kotputli-Behror's boundary: covered */
        const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(ctx, GEOSGetInteriorRingN_r(ctx, poly, 0));
        double hx, hy;
        GEOSCoordSeq_getXY_r(ctx, cs, 0, &hx, &hy);
        CHECK_INT(lookup3(dl, hx, hy), kb);
        /* nearest district to the hole's inside point: Kotputli-Behror, < 2 km */
        double dm;
        CHECK_INT(layer_nearest(dl, x, y, 5000, &dm), kb);
        CHECK_MSG(dm > 0 && dm < 2000, "%.0f m", dm);
        GEOSGeom_destroy_r(ctx, in);
        GEOSGeom_destroy_r(ctx, hp);
}

static void test_random_agree(void)
{
        /* fixed LCG: the same points every run */
        uint64_t s = 0x9e3779b97f4a7c15ull;
        int disagree = 0, inside = 0;
        const int n = 20000;
        for (int i = 0; i < n; i++) {
                s = s * 6364136223846793005ull + 1442695040888963407ull;
                double x = 69.4 + 9.0 * (double)(s >> 11) / 9007199254740992.0;
                s = s * 6364136223846793005ull + 1442695040888963407ull;
                double y = 23.0 + 7.3 * (double)(s >> 11) / 9007199254740992.0;
                int a = layer_lookup(dl, x, y), b = layer_lookup_geos(dl, x, y);
                disagree += a != b;
                inside += a >= 0;
                if (i % 10 == 0)
                        disagree += layer_lookup_scan(dl, x, y) != a;
        }
        CHECK_INT(disagree, 0);
        /* Rajasthan covers roughly half of its bounding box */
        CHECK_MSG(inside > n * 4 / 10 && inside < n * 7 / 10, "%d inside", inside);
}

static void test_overlaps(void)
{
        struct layer_overlap ov[16];
        int kota = layer_find(dl, "Kota");
        /* Kota's representative point, GPS-sized circle: all Kota */
        int n = layer_overlaps(dl, 75.8923, 25.0093, 35, ov, 16);
        CHECK_INT(n, 1);
        CHECK(n == 1 && ov[0].idx == kota && ov[0].overlap == 1.0);
        /* a 2 km circle on a shared edge midpoint splits about evenly; find
         * one: the midpoint between the Jaipur and Dausa representative
         * points is not on the edge, so walk from Jaipur to Dausa instead */
        int jp = layer_find(dl, "Jaipur"), da = layer_find(dl, "Dausa");
        double ax = 75.80, ay = 26.90, bx = 76.33, by = 26.88; /* Jaipur city -> Dausa town */
        CHECK(layer_lookup(dl, ax, ay) == jp && layer_lookup(dl, bx, by) == da);
        for (int it = 0; it < 60; it++) { /* bisection to the boundary */
                double mx = (ax + bx) / 2, my = (ay + by) / 2;
                if (layer_lookup(dl, mx, my) == jp) {
                        ax = mx;
                        ay = my;
                } else {
                        bx = mx;
                        by = my;
                }
        }
        n = layer_overlaps(dl, ax, ay, 2000, ov, 16);
        CHECK_MSG(n == 2, "%d overlaps", n);
        if (n == 2) {
                CHECK(ov[0].overlap >= ov[1].overlap);
                CHECK(ov[0].overlap > 0.3 && ov[1].overlap > 0.3);
                CHECK_NEAR(ov[0].overlap + ov[1].overlap, 1.0, 1e-6);
                CHECK((ov[0].idx == jp && ov[1].idx == da) || (ov[0].idx == da && ov[1].idx == jp));
        }
        /* the circle's area is right in metres: radius 10 km at lat 26.9 is
         * all inside Jaipur when centred on Jaipur city -> overlap 1 */
        n = layer_overlaps(dl, 75.80, 26.90, 10000, ov, 16);
        CHECK(n == 1 && ov[0].idx == jp && ov[0].overlap == 1.0);
        /* a circle on the state border (Bhawani Mandi) is partly outside
         * Rajasthan: overlaps sum to less than one */
        n = layer_overlaps(dl, 75.83552, 24.41582, 3000, ov, 16);
        double sum = 0;
        for (int i = 0; i < n; i++)
                sum += ov[i].overlap;
        CHECK_MSG(n >= 1 && sum > 0.05 && sum < 0.95, "n %d sum %f", n, sum);
        CHECK(n >= 1 && strcmp(layer_name(dl, ov[0].idx), "Jhalawar") == 0);
        /* far outside: nothing */
        CHECK_INT(layer_overlaps(dl, 80.9, 26.8, 5000, ov, 16), 0);
        /* distance: one degree of latitude */
        CHECK_NEAR(layer_distance_m(75, 25, 75, 26), LAYER_M_PER_DEG, 0.05);
}

int main(void)
{
        ctx = geojson_geos_new();
        dl = load(PRAHARI_DATA_DIR "/boundaries/rajasthan_districts_41.geojson", "name");
        sl = load(PRAHARI_DATA_DIR "/boundaries/india_states.geojson", "ST_NM");
        if (dl && sl) {
                CHECK_INT(layer_count(dl), 41);
                CHECK_STR(layer_name(dl, 0), "Ajmer");
                CHECK_STR(layer_name(dl, 40), "Udaipur");
                CHECK_INT(layer_find(dl, "Sawai Madhopur"), 35);
                CHECK_INT(layer_find(dl, "Nowhere"), -1);
                CHECK_STR(layer_version(dl), "rajasthan_districts_41@sha256:9e97df22");
                test_towns();
                test_rep_points();
                test_parts_and_hole();
                test_shared_edges();
                test_random_agree();
                test_overlaps();
        }
        for (size_t i = 0; i < 64; i++)
                if (prep[i])
                        GEOSPreparedGeom_destroy_r(ctx, prep[i]);
        layer_destroy(dl);
        layer_destroy(sl);
        geojson_geos_free(ctx);
        return test_summary("router_layer");
}
