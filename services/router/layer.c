/* SPDX-License-Identifier: Apache-2.0 */
/* The jurisdiction layer: features sorted by name (the tie rule's order), a
 * uniform grid whose cells name an owner or list candidates, per-feature
 * y-bands of edges for exact ray crossing (GEOS's RayCrossingCounter rules
 * with an exact orientation test), a GEOS STRtree of prepared geometries as
 * the reference, and circle overlaps computed with GEOS. */
#include "layer.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct edge {
        double x1, y1, x2, y2;
};

struct feat {
        char *name;
        GEOSGeometry *geom;
        const GEOSPreparedGeometry *prep;
        double minx, miny, maxx, maxy;
        struct edge *edges;
        uint32_t nedges;
        /* y-bands: edges whose y-range meets band b are
         * band_edges[band_start[b] .. band_start[b+1]) */
        double by0, binv;
        uint32_t nbands;
        uint32_t *band_start;
        uint32_t *band_edges;
};

#define CAND_FULL 0x8000u /* candidate covers the whole cell */

struct layer {
        GEOSContextHandle_t ctx;
        char version[160];
        struct feat *f;
        size_t n;
        GEOSSTRtree *tree;
        /* grid over the layer's bounding box */
        double gx0, gy0, gx1, gy1, ginvx, ginvy;
        uint32_t gw, gh;
        int32_t *cell; /* >= 0 owner, -1 nobody, <= -2 candidate list -(v+2) */
        uint32_t *cand_start;
        uint16_t *cand;
        size_t nlists, ncand;
};

/* ==== Exact orientation ==== */

/* x * 2^52 as an integer when that is exact and small enough for int128
 * products; false otherwise. */
static bool fixed52(double x, int64_t *out)
{
        if (!(fabs(x) < 128.0))
                return false;
        double s = ldexp(x, 52);
        double t = trunc(s);
        if (t != s)
                return false;
        *out = (int64_t)t;
        return true;
}

/*
 * Sign of (p1 - q) x (p2 - q): 1 when q is left of p1->p2 (counter-clockwise),
 * -1 right, 0 collinear. A fast floating-point filter (as GEOS's
 * orientationIndexFilter) decides almost every case; the rest is computed
 * exactly with 128-bit integers when all coordinates are exact multiples of
 * 2^-52 below 128 in magnitude (every lon/lat in India), else in long double.
 */
static int orient(double p1x, double p1y, double p2x, double p2y, double qx, double qy)
{
        double detleft = (p1x - qx) * (p2y - qy);
        double detright = (p1y - qy) * (p2x - qx);
        double det = detleft - detright;
        double detsum;
        if (detleft > 0.0) {
                if (detright <= 0.0)
                        return det > 0 ? 1 : (det < 0 ? -1 : 0);
                detsum = detleft + detright;
        } else if (detleft < 0.0) {
                if (detright >= 0.0)
                        return det > 0 ? 1 : (det < 0 ? -1 : 0);
                detsum = -detleft - detright;
        } else {
                return det > 0 ? 1 : (det < 0 ? -1 : 0);
        }
        double errbound = 1e-15 * detsum;
        if (det >= errbound || -det >= errbound)
                return det > 0 ? 1 : -1;
        int64_t a, b, c, d, e, f;
        if (fixed52(p1x, &a) && fixed52(p1y, &b) && fixed52(p2x, &c) && fixed52(p2y, &d) &&
            fixed52(qx, &e) && fixed52(qy, &f)) {
                __int128 l = (__int128)(a - e) * (__int128)(d - f);
                __int128 r = (__int128)(b - f) * (__int128)(c - e);
                return l > r ? 1 : (l < r ? -1 : 0);
        }
        long double ld = (long double)(p1x - qx) * (long double)(p2y - qy) -
                         (long double)(p1y - qy) * (long double)(p2x - qx);
        return ld > 0 ? 1 : (ld < 0 ? -1 : 0);
}

/* ==== Ray crossing over one feature's band ==== */

/* 1 covered (inside or on the boundary), 0 not. GEOS RayCrossingCounter. */
static bool feat_covers(const struct feat *ft, double px, double py)
{
        if (px < ft->minx || px > ft->maxx || py < ft->miny || py > ft->maxy)
                return false;
        double bf = floor((py - ft->by0) * ft->binv);
        uint32_t b = bf < 0 ? 0 : (bf >= ft->nbands ? ft->nbands - 1 : (uint32_t)bf);
        unsigned crossings = 0;
        for (uint32_t k = ft->band_start[b]; k < ft->band_start[b + 1]; k++) {
                const struct edge *e = &ft->edges[ft->band_edges[k]];
                if (e->x1 < px && e->x2 < px)
                        continue;
                if (px == e->x2 && py == e->y2)
                        return true;
                if (e->y1 == py && e->y2 == py) {
                        double mn = e->x1 < e->x2 ? e->x1 : e->x2;
                        double mx = e->x1 < e->x2 ? e->x2 : e->x1;
                        if (px >= mn && px <= mx)
                                return true;
                        continue;
                }
                if ((e->y1 > py && e->y2 <= py) || (e->y2 > py && e->y1 <= py)) {
                        int o = orient(e->x1, e->y1, e->x2, e->y2, px, py);
                        if (o == 0)
                                return true;
                        if (e->y2 < e->y1)
                                o = -o;
                        if (o > 0)
                                crossings++;
                }
        }
        return crossings & 1u;
}

/* Plain loop over every edge (the benchmark's baseline): same rules. */
static bool feat_covers_scan(const struct feat *ft, double px, double py)
{
        unsigned crossings = 0;
        for (uint32_t k = 0; k < ft->nedges; k++) {
                const struct edge *e = &ft->edges[k];
                if (e->x1 < px && e->x2 < px)
                        continue;
                if (px == e->x2 && py == e->y2)
                        return true;
                if (e->y1 == py && e->y2 == py) {
                        double mn = e->x1 < e->x2 ? e->x1 : e->x2;
                        double mx = e->x1 < e->x2 ? e->x2 : e->x1;
                        if (px >= mn && px <= mx)
                                return true;
                        continue;
                }
                if ((e->y1 > py && e->y2 <= py) || (e->y2 > py && e->y1 <= py)) {
                        int o = orient(e->x1, e->y1, e->x2, e->y2, px, py);
                        if (o == 0)
                                return true;
                        if (e->y2 < e->y1)
                                o = -o;
                        if (o > 0)
                                crossings++;
                }
        }
        return crossings & 1u;
}

/* ==== Building ==== */

static int cmp_feat_name(const void *a, const void *b)
{
        const struct gj_feature *x = a, *y = b;
        return strcmp(x->name, y->name);
}

static int add_ring_edges(GEOSContextHandle_t ctx, const GEOSGeometry *ring, struct edge **edges,
                          uint32_t *n, uint32_t *cap)
{
        const GEOSCoordSequence *seq = GEOSGeom_getCoordSeq_r(ctx, ring);
        unsigned m = 0;
        if (!seq || !GEOSCoordSeq_getSize_r(ctx, seq, &m) || m < 2)
                return -1;
        double *xy = malloc(2 * (size_t)m * sizeof *xy);
        if (!xy)
                return -1;
        if (!GEOSCoordSeq_copyToBuffer_r(ctx, seq, xy, 0, 0)) {
                free(xy);
                return -1;
        }
        if (*n + m > *cap) {
                uint32_t nc = (*cap ? *cap : 1024);
                while (nc < *n + m)
                        nc *= 2;
                struct edge *ne = realloc(*edges, nc * sizeof *ne);
                if (!ne) {
                        free(xy);
                        return -1;
                }
                *edges = ne;
                *cap = nc;
        }
        for (unsigned i = 0; i + 1 < m; i++) {
                struct edge *e = &(*edges)[(*n)++];
                e->x1 = xy[2 * i];
                e->y1 = xy[2 * i + 1];
                e->x2 = xy[2 * i + 2];
                e->y2 = xy[2 * i + 3];
        }
        free(xy);
        return 0;
}

static int feat_build(GEOSContextHandle_t ctx, struct feat *ft)
{
        uint32_t cap = 0;
        int ng = GEOSGetNumGeometries_r(ctx, ft->geom);
        for (int p = 0; p < ng; p++) {
                const GEOSGeometry *poly = GEOSGetGeometryN_r(ctx, ft->geom, p);
                if (add_ring_edges(ctx, GEOSGetExteriorRing_r(ctx, poly), &ft->edges,
                                   &ft->nedges, &cap))
                        return -1;
                int nh = GEOSGetNumInteriorRings_r(ctx, poly);
                for (int h = 0; h < nh; h++)
                        if (add_ring_edges(ctx, GEOSGetInteriorRingN_r(ctx, poly, h),
                                           &ft->edges, &ft->nedges, &cap))
                                return -1;
        }
        if (ft->nedges == 0)
                return -1;
        ft->minx = ft->miny = INFINITY;
        ft->maxx = ft->maxy = -INFINITY;
        for (uint32_t k = 0; k < ft->nedges; k++) {
                const struct edge *e = &ft->edges[k];
                ft->minx = fmin(ft->minx, fmin(e->x1, e->x2));
                ft->maxx = fmax(ft->maxx, fmax(e->x1, e->x2));
                ft->miny = fmin(ft->miny, fmin(e->y1, e->y2));
                ft->maxy = fmax(ft->maxy, fmax(e->y1, e->y2));
        }
        /* About 4 edges per band: a horizontal line meets few edges per band. */
        uint32_t nb = ft->nedges / 4;
        nb = nb < 1 ? 1 : (nb > 65536 ? 65536 : nb);
        double h = ft->maxy - ft->miny;
        ft->nbands = nb;
        ft->by0 = ft->miny;
        ft->binv = h > 0 ? nb / h : 0;
        ft->band_start = calloc((size_t)nb + 1, sizeof *ft->band_start);
        if (!ft->band_start)
                return -1;
        /* two passes: count, then fill (CSR) */
        for (int pass = 0; pass < 2; pass++) {
                uint32_t *fillpos = NULL;
                if (pass == 1) {
                        for (uint32_t b = 0; b < nb; b++)
                                ft->band_start[b + 1] += ft->band_start[b];
                        ft->band_edges = malloc(((size_t)ft->band_start[nb] + 1) *
                                                sizeof *ft->band_edges);
                        fillpos = malloc((size_t)nb * sizeof *fillpos);
                        if (!ft->band_edges || !fillpos) {
                                free(fillpos);
                                return -1;
                        }
                        memcpy(fillpos, ft->band_start, (size_t)nb * sizeof *fillpos);
                }
                for (uint32_t k = 0; k < ft->nedges; k++) {
                        const struct edge *e = &ft->edges[k];
                        double lo = floor((fmin(e->y1, e->y2) - ft->by0) * ft->binv);
                        double hi = floor((fmax(e->y1, e->y2) - ft->by0) * ft->binv);
                        uint32_t b0 = lo < 0 ? 0 : (lo >= nb ? nb - 1 : (uint32_t)lo);
                        uint32_t b1 = hi < 0 ? 0 : (hi >= nb ? nb - 1 : (uint32_t)hi);
                        for (uint32_t b = b0; b <= b1; b++) {
                                if (pass == 0)
                                        ft->band_start[b + 1]++;
                                else
                                        ft->band_edges[fillpos[b]++] = k;
                        }
                }
                free(fillpos);
        }
        return 0;
}

static void cell_range(const struct layer *l, double x0, double x1, double y0, double y1,
                       uint32_t *cx0, uint32_t *cx1, uint32_t *cy0, uint32_t *cy1)
{
        double a = floor((x0 - l->gx0) * l->ginvx), b = floor((x1 - l->gx0) * l->ginvx);
        double c = floor((y0 - l->gy0) * l->ginvy), d = floor((y1 - l->gy0) * l->ginvy);
        *cx0 = a < 0 ? 0 : (a >= l->gw ? l->gw - 1 : (uint32_t)a);
        *cx1 = b < 0 ? 0 : (b >= l->gw ? l->gw - 1 : (uint32_t)b);
        *cy0 = c < 0 ? 0 : (c >= l->gh ? l->gh - 1 : (uint32_t)c);
        *cy1 = d < 0 ? 0 : (d >= l->gh ? l->gh - 1 : (uint32_t)d);
}

/* First feature (name order) covering the point, by the band test. */
static int first_cover(const struct layer *l, double x, double y)
{
        for (size_t i = 0; i < l->n; i++)
                if (feat_covers(&l->f[i], x, y))
                        return (int)i;
        return -1;
}

static int cmp64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return x < y ? -1 : (x > y ? 1 : 0);
}

static int grid_build(struct layer *l)
{
        l->gx0 = l->gy0 = INFINITY;
        l->gx1 = l->gy1 = -INFINITY;
        size_t total = 0;
        for (size_t i = 0; i < l->n; i++) {
                l->gx0 = fmin(l->gx0, l->f[i].minx);
                l->gy0 = fmin(l->gy0, l->f[i].miny);
                l->gx1 = fmax(l->gx1, l->f[i].maxx);
                l->gy1 = fmax(l->gy1, l->f[i].maxy);
                total += l->f[i].nedges;
        }
        /* about two cells per edge, square-ish cells */
        double w = l->gx1 - l->gx0, h = l->gy1 - l->gy0;
        double target = fmin(fmax(2.0 * (double)total, 4096.0), 4.0e6);
        double side = sqrt(w * h / target);
        if (!(side > 0))
                side = 1;
        l->gw = (uint32_t)fmax(1.0, ceil(w / side));
        l->gh = (uint32_t)fmax(1.0, ceil(h / side));
        l->ginvx = w > 0 ? l->gw / w : 0;
        l->ginvy = h > 0 ? l->gh / h : 0;
        size_t ncell = (size_t)l->gw * l->gh;
        /* per cell: bitmap of features with edges in the cell is too big for
         * large layers; collect (cell, feature) pairs instead. */
        size_t npairs = 0, cap = total * 2 + 16;
        uint64_t *pairs = malloc(cap * sizeof *pairs);
        l->cell = malloc(ncell * sizeof *l->cell);
        if (!pairs || !l->cell) {
                free(pairs);
                return -1;
        }
        const double eps = 1e-9;
        for (size_t i = 0; i < l->n; i++) {
                const struct feat *ft = &l->f[i];
                for (uint32_t k = 0; k < ft->nedges; k++) {
                        const struct edge *e = &ft->edges[k];
                        uint32_t cx0, cx1, cy0, cy1;
                        cell_range(l, fmin(e->x1, e->x2) - eps, fmax(e->x1, e->x2) + eps,
                                   fmin(e->y1, e->y2) - eps, fmax(e->y1, e->y2) + eps, &cx0,
                                   &cx1, &cy0, &cy1);
                        for (uint32_t cy = cy0; cy <= cy1; cy++)
                                for (uint32_t cx = cx0; cx <= cx1; cx++) {
                                        if (npairs == cap) {
                                                cap *= 2;
                                                uint64_t *np = realloc(pairs, cap * sizeof *np);
                                                if (!np) {
                                                        free(pairs);
                                                        return -1;
                                                }
                                                pairs = np;
                                        }
                                        pairs[npairs++] =
                                                ((uint64_t)((size_t)cy * l->gw + cx) << 16) | i;
                                }
                }
        }
        /* sort + unique by cell then feature */
        qsort(pairs, npairs, sizeof *pairs, cmp64);
        size_t u = 0;
        for (size_t k = 0; k < npairs; k++)
                if (u == 0 || pairs[k] != pairs[u - 1])
                        pairs[u++] = pairs[k];
        npairs = u;
        /* lists: at most (mixed cells) entries of (edge features + full features) */
        size_t ncap = npairs + 1024;
        l->cand = malloc(ncap * sizeof *l->cand);
        size_t scap = 1024;
        l->cand_start = malloc(scap * sizeof *l->cand_start);
        if (!l->cand || !l->cand_start) {
                free(pairs);
                return -1;
        }
        l->cand_start[0] = 0;
        size_t pk = 0;
        int rc = -1;
        for (size_t c = 0; c < ncell; c++) {
                uint32_t cx = (uint32_t)(c % l->gw), cy = (uint32_t)(c / l->gw);
                double mx = l->gx0 + (cx + 0.5) / l->ginvx;
                double my = l->gy0 + (cy + 0.5) / l->ginvy;
                if (l->ginvx == 0)
                        mx = l->gx0;
                if (l->ginvy == 0)
                        my = l->gy0;
                size_t start = pk;
                while (pk < npairs && (pairs[pk] >> 16) == c)
                        pk++;
                if (start == pk) {
                        l->cell[c] = first_cover(l, mx, my);
                        continue;
                }
                /* mixed: edge features, plus features covering the whole cell */
                size_t need = l->ncand + (pk - start) + l->n;
                if (need > ncap) {
                        while (ncap < need)
                                ncap *= 2;
                        uint16_t *nc = realloc(l->cand, ncap * sizeof *nc);
                        if (!nc)
                                goto out;
                        l->cand = nc;
                }
                size_t q = start;
                for (size_t i = 0; i < l->n; i++) {
                        if (q < pk && (pairs[q] & 0xffffu) == i) {
                                l->cand[l->ncand++] = (uint16_t)i;
                                q++;
                        } else if (feat_covers(&l->f[i], mx, my)) {
                                l->cand[l->ncand++] = (uint16_t)(i | CAND_FULL);
                        }
                }
                if (l->nlists + 2 > scap) {
                        scap *= 2;
                        uint32_t *ns = realloc(l->cand_start, scap * sizeof *ns);
                        if (!ns)
                                goto out;
                        l->cand_start = ns;
                }
                l->cell[c] = -(int32_t)l->nlists - 2;
                l->nlists++;
                l->cand_start[l->nlists] = (uint32_t)l->ncand;
        }
        rc = 0;
out:
        free(pairs);
        return rc;
}

void layer_destroy(struct layer *l)
{
        if (!l)
                return;
        if (l->tree)
                GEOSSTRtree_destroy_r(l->ctx, l->tree);
        for (size_t i = 0; i < l->n; i++) {
                struct feat *ft = &l->f[i];
                if (ft->prep)
                        GEOSPreparedGeom_destroy_r(l->ctx, ft->prep);
                if (ft->geom)
                        GEOSGeom_destroy_r(l->ctx, ft->geom);
                free(ft->name);
                free(ft->edges);
                free(ft->band_start);
                free(ft->band_edges);
        }
        free(l->f);
        free(l->cell);
        free(l->cand_start);
        free(l->cand);
        free(l);
}

struct layer *layer_new(GEOSContextHandle_t ctx, struct gj_layer *gl, char *err, size_t errsz)
{
        struct layer *l = calloc(1, sizeof *l);
        if (!l || gl->n == 0 || gl->n >= CAND_FULL) {
                snprintf(err, errsz, l ? "layer has %zu features (1..32767)" : "out of memory",
                         gl->n);
                free(l);
                geojson_layer_free(ctx, gl);
                return NULL;
        }
        l->ctx = ctx;
        snprintf(l->version, sizeof l->version, "%s", gl->version);
        qsort(gl->f, gl->n, sizeof *gl->f, cmp_feat_name);
        for (size_t i = 1; i < gl->n; i++)
                if (strcmp(gl->f[i - 1].name, gl->f[i].name) == 0) {
                        snprintf(err, errsz, "two features named \"%s\"", gl->f[i].name);
                        free(l);
                        geojson_layer_free(ctx, gl);
                        return NULL;
                }
        l->f = calloc(gl->n, sizeof *l->f);
        if (!l->f) {
                free(l);
                geojson_layer_free(ctx, gl);
                snprintf(err, errsz, "out of memory");
                return NULL;
        }
        l->n = gl->n;
        for (size_t i = 0; i < gl->n; i++) { /* move names and geometries */
                l->f[i].name = gl->f[i].name;
                l->f[i].geom = gl->f[i].geom;
                gl->f[i].name = NULL;
                gl->f[i].geom = NULL;
        }
        geojson_layer_free(ctx, gl);
        l->tree = GEOSSTRtree_create_r(ctx, 10);
        if (!l->tree)
                goto fail;
        for (size_t i = 0; i < l->n; i++) {
                struct feat *ft = &l->f[i];
                ft->prep = GEOSPrepare_r(ctx, ft->geom);
                if (!ft->prep || feat_build(ctx, ft))
                        goto fail;
                GEOSSTRtree_insert_r(ctx, l->tree, ft->geom, (void *)(uintptr_t)(i + 1));
        }
        if (grid_build(l))
                goto fail;
        return l;
fail:
        snprintf(err, errsz, "building the layer index failed: %s", geojson_geos_error(ctx));
        layer_destroy(l);
        return NULL;
}

size_t layer_count(const struct layer *l) { return l->n; }

const char *layer_name(const struct layer *l, int idx)
{
        return idx >= 0 && (size_t)idx < l->n ? l->f[idx].name : NULL;
}

int layer_find(const struct layer *l, const char *name)
{
        size_t lo = 0, hi = l->n;
        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                int c = strcmp(l->f[mid].name, name);
                if (c == 0)
                        return (int)mid;
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return -1;
}

const char *layer_version(const struct layer *l) { return l->version; }

const GEOSGeometry *layer_geom(const struct layer *l, int idx) { return l->f[idx].geom; }

bool layer_covers(const struct layer *l, int idx, double lon, double lat)
{
        return feat_covers(&l->f[idx], lon, lat);
}

int layer_lookup(const struct layer *l, double lon, double lat)
{
        if (!(lon >= l->gx0 && lon <= l->gx1 && lat >= l->gy0 && lat <= l->gy1))
                return -1;
        uint32_t cx = (uint32_t)((lon - l->gx0) * l->ginvx);
        uint32_t cy = (uint32_t)((lat - l->gy0) * l->ginvy);
        if (cx >= l->gw)
                cx = l->gw - 1;
        if (cy >= l->gh)
                cy = l->gh - 1;
        int32_t v = l->cell[(size_t)cy * l->gw + cx];
        if (v >= -1)
                return v;
        size_t li = (size_t)(-(v + 2));
        for (uint32_t k = l->cand_start[li]; k < l->cand_start[li + 1]; k++) {
                uint16_t c = l->cand[k];
                if (c & CAND_FULL)
                        return c & ~CAND_FULL;
                if (feat_covers(&l->f[c], lon, lat))
                        return c;
        }
        return -1;
}

int layer_lookup_scan(const struct layer *l, double lon, double lat)
{
        for (size_t i = 0; i < l->n; i++)
                if (feat_covers_scan(&l->f[i], lon, lat))
                        return (int)i;
        return -1;
}

struct collect {
        int idx[64];
        size_t n;
};

static void collect_cb(void *item, void *userdata)
{
        struct collect *c = userdata;
        if (c->n < sizeof c->idx / sizeof c->idx[0])
                c->idx[c->n++] = (int)((uintptr_t)item - 1);
}

static int cmp_int(const void *a, const void *b)
{
        int x = *(const int *)a, y = *(const int *)b;
        return (x > y) - (x < y);
}

int layer_lookup_geos(const struct layer *l, double lon, double lat)
{
        GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(l->ctx, lon, lat);
        if (!pt)
                return -1;
        struct collect c = {.n = 0};
        GEOSSTRtree_query_r(l->ctx, l->tree, pt, collect_cb, &c);
        qsort(c.idx, c.n, sizeof c.idx[0], cmp_int);
        int found = -1;
        for (size_t k = 0; k < c.n && found < 0; k++)
                if (GEOSPreparedCovers_r(l->ctx, l->f[c.idx[k]].prep, pt) == 1)
                        found = c.idx[k];
        GEOSGeom_destroy_r(l->ctx, pt);
        return found;
}

/* ==== Circles ==== */

struct proj {
        double lon0, lat0, kx;
};

static int unproject_cb(double *x, double *y, void *userdata)
{
        const struct proj *p = userdata;
        *x = p->lon0 + *x / p->kx;
        *y = p->lat0 + *y / LAYER_M_PER_DEG;
        return 1;
}

static int cmp_overlap(const void *a, const void *b)
{
        const struct layer_overlap *x = a, *y = b;
        if (x->overlap > y->overlap)
                return -1;
        if (x->overlap < y->overlap)
                return 1;
        return (x->idx > y->idx) - (x->idx < y->idx);
}

int layer_overlaps(const struct layer *l, double lon, double lat, double radius_m,
                   struct layer_overlap *out, size_t max)
{
        struct proj p = {lon, lat, LAYER_M_PER_DEG * cos(lat * M_PI / 180.0)};
        if (!(radius_m > 0) || !(p.kx > 0))
                return -1;
        GEOSGeometry *o = GEOSGeom_createPointFromXY_r(l->ctx, 0, 0);
        GEOSGeometry *mc = o ? GEOSBuffer_r(l->ctx, o, radius_m, 16) : NULL;
        GEOSGeometry *circle = mc ? GEOSGeom_transformXY_r(l->ctx, mc, unproject_cb, &p) : NULL;
        int n = -1;
        double carea = 0;
        if (!circle || !GEOSArea_r(l->ctx, circle, &carea) || !(carea > 0))
                goto out;
        struct collect c = {.n = 0};
        GEOSSTRtree_query_r(l->ctx, l->tree, circle, collect_cb, &c);
        n = 0;
        for (size_t k = 0; k < c.n && (size_t)n < max; k++) {
                int i = c.idx[k];
                double frac = 0;
                if (GEOSPreparedContains_r(l->ctx, l->f[i].prep, circle) == 1) {
                        frac = 1.0;
                } else if (GEOSPreparedIntersects_r(l->ctx, l->f[i].prep, circle) == 1) {
                        GEOSGeometry *ix = GEOSIntersection_r(l->ctx, l->f[i].geom, circle);
                        double a = 0;
                        if (!ix || !GEOSArea_r(l->ctx, ix, &a)) {
                                if (ix)
                                        GEOSGeom_destroy_r(l->ctx, ix);
                                n = -1;
                                goto out;
                        }
                        GEOSGeom_destroy_r(l->ctx, ix);
                        frac = fmin(1.0, a / carea);
                }
                if (frac > 0) {
                        out[n].idx = i;
                        out[n].overlap = frac;
                        n++;
                }
        }
        qsort(out, (size_t)n, sizeof *out, cmp_overlap);
out:
        if (circle)
                GEOSGeom_destroy_r(l->ctx, circle);
        if (mc)
                GEOSGeom_destroy_r(l->ctx, mc);
        if (o)
                GEOSGeom_destroy_r(l->ctx, o);
        return n;
}

double layer_distance_m(double lon1, double lat1, double lon2, double lat2)
{
        const double r = 6371008.8, d = M_PI / 180.0;
        double dlat = (lat2 - lat1) * d, dlon = (lon2 - lon1) * d;
        double a = sin(dlat / 2) * sin(dlat / 2) +
                   cos(lat1 * d) * cos(lat2 * d) * sin(dlon / 2) * sin(dlon / 2);
        return 2 * r * asin(fmin(1.0, sqrt(a)));
}

int layer_nearest(const struct layer *l, double lon, double lat, double max_m, double *dist_m)
{
        double dy = max_m / LAYER_M_PER_DEG;
        double dx = dy / fmax(0.01, cos(lat * M_PI / 180.0));
        int best = -1;
        double bestd = INFINITY;
        GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(l->ctx, lon, lat);
        if (!pt)
                return -1;
        for (size_t i = 0; i < l->n; i++) {
                const struct feat *ft = &l->f[i];
                if (lon < ft->minx - dx || lon > ft->maxx + dx || lat < ft->miny - dy ||
                    lat > ft->maxy + dy)
                        continue;
                GEOSCoordSequence *cs = GEOSPreparedNearestPoints_r(l->ctx, ft->prep, pt);
                double x = 0, y = 0;
                if (!cs)
                        continue;
                if (GEOSCoordSeq_getXY_r(l->ctx, cs, 0, &x, &y)) {
                        double d = layer_distance_m(lon, lat, x, y);
                        if (d <= max_m && d < bestd) {
                                bestd = d;
                                best = (int)i;
                        }
                }
                GEOSCoordSeq_destroy_r(l->ctx, cs);
        }
        GEOSGeom_destroy_r(l->ctx, pt);
        if (dist_m)
                *dist_m = best >= 0 ? bestd : INFINITY;
        return best;
}

size_t layer_index_bytes(const struct layer *l)
{
        size_t b = sizeof *l + l->n * sizeof *l->f;
        for (size_t i = 0; i < l->n; i++) {
                const struct feat *ft = &l->f[i];
                b += ft->nedges * sizeof *ft->edges + ((size_t)ft->nbands + 1) * 4 +
                     (size_t)ft->band_start[ft->nbands] * 4;
        }
        b += (size_t)l->gw * l->gh * sizeof *l->cell + (l->nlists + 1) * 4 + l->ncand * 2;
        return b;
}

void layer_stats(const struct layer *l, size_t *nedges, size_t *ncells, size_t *nmixed)
{
        size_t e = 0;
        for (size_t i = 0; i < l->n; i++)
                e += l->f[i].nedges;
        if (nedges)
                *nedges = e;
        if (ncells)
                *ncells = (size_t)l->gw * l->gh;
        if (nmixed)
                *nmixed = l->nlists;
}
