/* SPDX-License-Identifier: Apache-2.0 */
/* prahari-xcheck-postgis: the router's lookup against PostGIS. N random
 * points over Rajasthan's bounding box (fixed seed) are routed by the own
 * index and by ST_Covers over the imported boundary version (first name
 * wins, the same tie rule); every point off a boundary must agree. Also
 * measures PostGIS lookups/s: batched (unnest) and one query per point.
 * usage: prahari-xcheck-postgis [BOUNDARIES.geojson] [N (default 100000)]
 * environment: PRAHARI_PG_DSN (the version must be imported by
 * `prahari-admin boundaries import`). Exit 0 when all agree. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "layer.h"
#include "prahari/cfg.h"
#include "prahari/log.h"
#include "prahari/pg.h"

static double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng = 0x2545f4914f6cdd1dull;
static double rnd(void)
{
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        return (double)(rng >> 11) / 9007199254740992.0;
}

/* "{a,b,c}" of %.17g values (exact round trip). */
static char *pg_array(const double *v, size_t n, size_t stride)
{
        char *s = malloc(n * 26 + 3);
        if (!s)
                return NULL;
        size_t off = 0;
        s[off++] = '{';
        for (size_t i = 0; i < n; i++)
                off += (size_t)snprintf(s + off, 26, "%s%.17g", i ? "," : "", v[i * stride]);
        s[off++] = '}';
        s[off] = '\0';
        return s;
}

int main(int argc, char **argv)
{
        const char *file = argc > 1 ? argv[1] : PRAHARI_DEFAULT_BOUNDARIES_FILE;
        long n = 100000;
        if (argc > 2 && cfg_parse_long(argv[2], 100, 10000000, &n)) {
                fprintf(stderr, "N: an integer from 100 to 1e7\n");
                return 2;
        }
        log_init("xcheck");
        GEOSContextHandle_t ctx = geojson_geos_new();
        char err[1024];
        struct gj_layer *gl = geojson_load_file(ctx, file, "name", err, sizeof err);
        struct layer *l = gl ? layer_new(ctx, gl, err, sizeof err) : NULL;
        if (!l) {
                fprintf(stderr, "%s\n", err);
                return 2;
        }
        PGconn *pg = pg_connect_env("prahari-xcheck", err, sizeof err);
        if (!pg) {
                fprintf(stderr, "%s\n", err);
                return 2;
        }
        const char *version = layer_version(l);
        double *pts = malloc((size_t)n * 2 * sizeof *pts);
        int *pgans = malloc((size_t)n * sizeof *pgans);
        if (!pts || !pgans)
                return 2;
        for (long i = 0; i < n; i++) {
                pts[2 * i] = 69.48 + (78.27 - 69.48) * rnd();
                pts[2 * i + 1] = 23.06 + (30.19 - 23.06) * rnd();
        }
        const char *q = "SELECT p.ord, (SELECT b.name FROM boundaries b WHERE b.version = $1 AND "
                        "ST_Covers(b.geom, ST_SetSRID(ST_MakePoint(p.x, p.y), 4326)) "
                        "ORDER BY b.name LIMIT 1) FROM unnest($2::float8[], $3::float8[]) "
                        "WITH ORDINALITY AS p(x, y, ord)";
        const long batch = 5000;
        double t0 = now_s();
        for (long s = 0; s < n; s += batch) {
                long m = n - s < batch ? n - s : batch;
                char *xs = pg_array(pts + 2 * s, (size_t)m, 2);
                char *ys = pg_array(pts + 2 * s + 1, (size_t)m, 2);
                const char *p[3] = {version, xs, ys};
                PGresult *res = pg_exec(pg, q, 3, p);
                free(xs);
                free(ys);
                if (!res || PQntuples(res) != m) {
                        fprintf(stderr, "query failed (is %s imported?)\n", version);
                        return 2;
                }
                for (int r = 0; r < m; r++) {
                        long ord = strtol(PQgetvalue(res, r, 0), NULL, 10);
                        pgans[s + ord - 1] =
                                PQgetisnull(res, r, 1) ? -1 : layer_find(l, PQgetvalue(res, r, 1));
                }
                PQclear(res);
        }
        double batched = (double)n / (now_s() - t0);
        long differ = 0, on_boundary = 0, inside = 0;
        for (long i = 0; i < n; i++) {
                int own = layer_lookup(l, pts[2 * i], pts[2 * i + 1]);
                inside += own >= 0;
                if (own == pgans[i])
                        continue;
                /* on a boundary: covered by two features, or by one whose
                 * boundary holds the point (PostGIS and GEOS may differ there) */
                int ncov = 0;
                for (size_t f = 0; f < layer_count(l); f++)
                        ncov += layer_covers(l, (int)f, pts[2 * i], pts[2 * i + 1]);
                if (ncov >= 2) {
                        on_boundary++;
                } else {
                        differ++;
                        if (differ <= 10)
                                fprintf(stderr, "differ: %.17g %.17g own %s postgis %s\n",
                                        pts[2 * i], pts[2 * i + 1],
                                        own >= 0 ? layer_name(l, own) : "-",
                                        pgans[i] >= 0 ? layer_name(l, pgans[i]) : "-");
                }
        }
        /* one query per point (the way a service would ask PostGIS) */
        const char *q1 = "SELECT b.name FROM boundaries b WHERE b.version = $1 AND "
                         "ST_Covers(b.geom, ST_SetSRID(ST_MakePoint($2::float8, $3::float8), "
                         "4326)) ORDER BY b.name LIMIT 1";
        long n1 = n < 3000 ? n : 3000;
        t0 = now_s();
        for (long i = 0; i < n1; i++) {
                char x[32], y[32];
                snprintf(x, sizeof x, "%.17g", pts[2 * i]);
                snprintf(y, sizeof y, "%.17g", pts[2 * i + 1]);
                const char *p[3] = {version, x, y};
                PGresult *res = pg_exec(pg, q1, 3, p);
                PQclear(res);
        }
        double single = (double)n1 / (now_s() - t0);
        t0 = now_s();
        long sum = 0;
        for (long i = 0; i < n; i++)
                sum += layer_lookup(l, pts[2 * i], pts[2 * i + 1]);
        double own_rate = (double)n / (now_s() - t0);
        printf("xcheck           %s: %ld points (%ld inside), %ld differ off a boundary, %ld on "
               "a boundary\n",
               version, n, inside, differ, on_boundary);
        printf("lookups/s        PostGIS batched (unnest, %ld per query) %10.0f\n", batch,
               batched);
        printf("lookups/s        PostGIS one query per point          %10.0f  (%ld queries)\n",
               single, n1);
        printf("lookups/s        own grid index                       %10.0f  (checksum %ld)\n",
               own_rate, sum);
        PQfinish(pg);
        free(pts);
        free(pgans);
        layer_destroy(l);
        geojson_geos_free(ctx);
        return differ == 0 ? 0 : 1;
}
