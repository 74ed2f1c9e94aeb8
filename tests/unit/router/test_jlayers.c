/* SPDX-License-Identifier: Apache-2.0 */
/* jlayers: police-district and police-station layers built with GEOS from the
 * REAL Kota polygon (Kota City = Kota within ~12 km of the city centre, Kota
 * Rural = the rest; a station area within 3 km under Kota City), written as
 * GeoJSON and loaded through the spec; GeoNames towns of Kota routed to City
 * or Rural by distance, Jaipur unchanged; parent chains, the directory's
 * fallback to the parent, moved_from, spec parsing and chain checks. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "testutil.h"
#include "rcsv.h"
#include "decide.h"
#include "prahari/util.h"

#define CITY_LAT 25.18
#define CITY_LON 75.83

static GEOSContextHandle_t ctx;
static struct layer *dl, *sl;
static struct directory *dir;
static struct jlayers js;
static char tmpdir[64];

static struct layer *load(const char *file, const char *prop)
{
        char err[1024];
        struct gj_layer *gl = geojson_load_file(ctx, file, prop, err, sizeof err);
        struct layer *l = gl ? layer_new(ctx, gl, err, sizeof err) : NULL;
        CHECK_MSG(l != NULL, "%s", err);
        return l;
}

struct shift {
        double lon0, lat0;
};

static int to_lonlat(double *x, double *y, void *ud)
{
        const struct shift *s = ud;
        *x = s->lon0 + *x / (LAYER_M_PER_DEG * cos(s->lat0 * M_PI / 180));
        *y = s->lat0 + *y / LAYER_M_PER_DEG;
        return 1;
}

/* A circle of @p r metres around the city centre, in lon/lat (GEOS buffer
 * in a local metric projection, then projected back). */
static GEOSGeometry *circle(double r)
{
        GEOSGeometry *p = GEOSGeom_createPointFromXY_r(ctx, 0, 0);
        GEOSGeometry *b = GEOSBuffer_r(ctx, p, r, 32);
        struct shift s = {CITY_LON, CITY_LAT};
        GEOSGeometry *c = GEOSGeom_transformXY_r(ctx, b, to_lonlat, &s);
        GEOSGeom_destroy_r(ctx, p);
        GEOSGeom_destroy_r(ctx, b);
        return c;
}

static void feature(FILE *f, bool first, const char *name, const char *pkey, const char *parent,
                    const GEOSGeometry *g)
{
        GEOSGeoJSONWriter *w = GEOSGeoJSONWriter_create_r(ctx);
        char *gj = GEOSGeoJSONWriter_writeGeometry_r(ctx, w, g, -1);
        fprintf(f, "%s{\"type\":\"Feature\",\"properties\":{\"name\":\"%s\",\"%s\":\"%s\"},"
                   "\"geometry\":%s}",
                first ? "" : ",", name, pkey, parent, gj);
        GEOSFree_r(ctx, gj);
        GEOSGeoJSONWriter_destroy_r(ctx, w);
}

/* Writes <tmp>/pd.geojson (Kota City, Kota Rural) and <tmp>/ps.geojson. */
static void build_files(void)
{
        const GEOSGeometry *kota = layer_geom(dl, layer_find(dl, "Kota"));
        GEOSGeometry *c12 = circle(12000), *c3 = circle(3000);
        GEOSGeometry *city = GEOSIntersection_r(ctx, kota, c12);
        GEOSGeometry *rural = GEOSDifference_r(ctx, kota, c12);
        GEOSGeometry *ps = GEOSIntersection_r(ctx, kota, c3);
        CHECK(city && rural && ps);
        /* the split keeps the area: City + Rural = Kota */
        double ak, ac, ar;
        GEOSArea_r(ctx, kota, &ak);
        GEOSArea_r(ctx, city, &ac);
        GEOSArea_r(ctx, rural, &ar);
        CHECK_NEAR((ac + ar) / ak, 1.0, 1e-9);
        CHECK(ac / ak > 0.03 && ac / ak < 0.2); /* ~450 km2 of Kota's ~5 200 km2 */
        char path[128];
        snprintf(path, sizeof path, "%s/pd.geojson", tmpdir);
        FILE *f = fopen(path, "w");
        fputs("{\"type\":\"FeatureCollection\",\"features\":[", f);
        feature(f, true, "Kota City", "district", "Kota", city);
        feature(f, false, "Kota Rural", "district", "Kota", rural);
        fputs("]}\n", f);
        fclose(f);
        snprintf(path, sizeof path, "%s/ps.geojson", tmpdir);
        f = fopen(path, "w");
        fputs("{\"type\":\"FeatureCollection\",\"features\":[", f);
        feature(f, true, "PS Kota Centre", "pd", "Kota City", ps);
        fputs("]}\n", f);
        fclose(f);
        GEOSGeom_destroy_r(ctx, c12);
        GEOSGeom_destroy_r(ctx, c3);
        GEOSGeom_destroy_r(ctx, city);
        GEOSGeom_destroy_r(ctx, rural);
        GEOSGeom_destroy_r(ctx, ps);
}

static void test_spec(void)
{
        struct jlayer_spec sp[JLAYERS_MAX];
        char err[200];
        CHECK_INT(jlayers_parse_spec("", sp, JLAYERS_MAX, err, sizeof err), 0);
        CHECK_INT(jlayers_parse_spec("police_district:/d/pd.geojson:name:district", sp,
                                     JLAYERS_MAX, err, sizeof err),
                  1);
        CHECK_STR(sp[0].level, "police_district");
        CHECK_STR(sp[0].path, "/d/pd.geojson");
        CHECK_STR(sp[0].name_prop, "name");
        CHECK_STR(sp[0].parent_prop, "district");
        CHECK_INT(jlayers_parse_spec("ps:/a.json:n:p; pd:/b.json:name:district", sp, JLAYERS_MAX,
                                     err, sizeof err),
                  2);
        CHECK_STR(sp[1].level, "pd");
        CHECK_STR(sp[1].parent_prop, "district");
        static const char *const bad[] = {
                "police_district:/d/pd.geojson:name",       /* 3 fields */
                "police_district:/d/pd.geojson:name:",      /* empty parent */
                "pd:/a:n:p:extra",                           /* 5 fields */
                "district:/a:n:p",                           /* reserved level */
                "pd:/a:n:p;pd:/b:n:p",                       /* level twice */
                "a:/a:n:p;b:/b:n:p;c:/c:n:p;d:/d:n:p;e:/e:n:p", /* more than 4 */
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
                CHECK_MSG(jlayers_parse_spec(bad[i], sp, JLAYERS_MAX, err, sizeof err) == -1,
                          "accepted %s", bad[i]);
}

static void test_load(void)
{
        char spec[400], err[1024];
        snprintf(spec, sizeof spec,
                 "police_station:%s/ps.geojson:name:pd;police_district:%s/pd.geojson:name:district",
                 tmpdir, tmpdir);
        struct jlayer_spec sp[JLAYERS_MAX];
        int n = jlayers_parse_spec(spec, sp, JLAYERS_MAX, err, sizeof err);
        CHECK_INT(n, 2);
        for (int i = 0; i < n; i++)
                CHECK_MSG(jlayers_add_file(&js, ctx, &sp[i], err, sizeof err) == 0, "%s", err);
        CHECK_INT(js.n, 2);
        CHECK_MSG(jlayers_check(&js, dl, err, sizeof err) == 0, "%s", err);
        /* a parent property that is missing: named in the error */
        struct jlayers bad = {0};
        struct jlayer_spec s2 = sp[1];
        util_strlcpy(s2.parent_prop, "revenue_district", sizeof s2.parent_prop);
        CHECK(jlayers_add_file(&bad, ctx, &s2, err, sizeof err) == -1);
        CHECK_MSG(strstr(err, "no parent") && strstr(err, "revenue_district"), "%s", err);
        /* a chain that does not end at a district */
        char path[128];
        snprintf(path, sizeof path, "%s/bad.geojson", tmpdir);
        FILE *f = fopen(path, "w");
        fputs("{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":"
              "{\"name\":\"X\",\"p\":\"Kotah\"},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":"
              "[[[75.8,25.1],[75.9,25.1],[75.9,25.2],[75.8,25.1]]]}}]}",
              f);
        fclose(f);
        struct jlayer_spec s3 = {"pd", "", "name", "p"};
        util_strlcpy(s3.path, path, sizeof s3.path);
        CHECK(jlayers_add_file(&bad, ctx, &s3, err, sizeof err) == 0);
        CHECK(jlayers_check(&bad, dl, err, sizeof err) == -1);
        CHECK_MSG(strstr(err, "\"Kotah\""), "%s", err);
        jlayers_clear(&bad);
}

static void route(double lat, double lon, struct decision *d)
{
        char loc[160], err[128];
        snprintf(loc, sizeof loc,
                 "{\"method\":\"gps\",\"lat\":%.6f,\"lon\":%.6f,\"radius_m\":20,\"confidence\":0.9}",
                 lat, lon);
        json_t *j = json_loads(loc, 0, NULL);
        struct decide_cfg cfg = {0.3, 50000, 0.2, 2000, "Rajasthan", &js};
        decide_route(&cfg, dl, sl, j, d, err, sizeof err);
        json_decref(j);
}

static void test_points(void)
{
        static const struct {
                double lat, lon;
                const char *name, *level, *chain;
        } t[] = {
                {25.18254, 75.83907, "PS Kota Centre", "police_station",
                 "Kota City>Kota>STATE_COMMAND_CENTRE"},          /* GeoNames Kota */
                {25.12407, 75.97218, "Kota Rural", "police_district",
                 "Kota>STATE_COMMAND_CENTRE"},                    /* Kaithoon, ~15 km */
                {25.22, 75.90, "Kota City", "police_district",
                 "Kota>STATE_COMMAND_CENTRE"},                    /* ~8 km NE */
                {24.92707, 76.28649, "Kota Rural", "police_district",
                 "Kota>STATE_COMMAND_CENTRE"},                    /* Sangod */
                {26.91962, 75.78781, "Jaipur", "district", "STATE_COMMAND_CENTRE"},
                {26.2389, 73.0243, "Jodhpur", "district", "STATE_COMMAND_CENTRE"},
        };
        for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
                struct decision d;
                route(t[i].lat, t[i].lon, &d);
                char chain[200] = "";
                size_t cl = 0;
                for (size_t k = 0; k < d.lead.nparents && cl < sizeof chain; k++)
                        cl += (size_t)snprintf(chain + cl, sizeof chain - cl, "%s%s", k ? ">" : "",
                                               d.lead.parents[k]);
                CHECK_STR(decide_key(&d, dl), t[i].name);
                CHECK_STR(d.lead.level, t[i].level);
                CHECK_STR(chain, t[i].chain);
                CHECK_STR(d.j[0].name, t[i].name);
        }
        /* every GeoNames town of Kota: City within 11 km of the centre, Rural
         * beyond 13 km (the band between is the 32-segment buffer's edge) */
        size_t len;
        char *csv = util_read_file(PRAHARI_DATA_DIR "/gazetteer/towns_geonames_rajasthan_region.csv",
                                   &len);
        CHECK(csv != NULL);
        struct rcsv_reader r;
        struct rcsv_record rec;
        char why[128];
        rcsv_init(&r, csv, len);
        int ncity = 0, nrural = 0, nps = 0;
        rcsv_next(&r, &rec, why, sizeof why); /* header */
        while (csv && rcsv_next(&r, &rec, why, sizeof why) == 1) {
                if (rec.n < 6 || strcmp(rec.field[5], "Kota") != 0)
                        continue;
                double lat = strtod(rec.field[3], NULL), lon = strtod(rec.field[4], NULL);
                double km = layer_distance_m(lon, lat, CITY_LON, CITY_LAT) / 1000;
                struct decision d;
                route(lat, lon, &d);
                const char *got = decide_key(&d, dl);
                if (km < 2.9) {
                        CHECK_STR(got, "PS Kota Centre");
                        nps++;
                } else if (km > 3.1 && km < 11) {
                        CHECK_STR(got, "Kota City");
                        ncity++;
                } else if (km > 13) {
                        CHECK_MSG(strcmp(got, "Kota Rural") == 0, "%s (%.1f km): %s",
                                  rec.field[0], km, got);
                        nrural++;
                }
        }
        rcsv_free(&r);
        free(csv);
        CHECK(nps >= 1);
        CHECK(nrural >= 10);
        printf("# Kota towns: %d station area, %d city, %d rural\n", nps, ncity, nrural);
        /* a lead moved by the uncertainty circle: no specific jurisdiction.
         * A point in Kota City with a 1 m radius keeps it; area -> district */
        json_t *j = json_loads("{\"method\":\"gps\",\"area\":{\"kind\":\"district\",\"name\":"
                               "\"Kota\"},\"confidence\":0.9}",
                               0, NULL);
        struct decide_cfg cfg = {0.3, 50000, 0.2, 2000, "Rajasthan", &js};
        struct decision d;
        char err[128];
        decide_route(&cfg, dl, sl, j, &d, err, sizeof err);
        json_decref(j);
        CHECK_STR(decide_key(&d, dl), "Kota");
        CHECK_STR(d.lead.level, "district");
        /* no location: state level, no parents */
        decide_route(&cfg, dl, sl, NULL, &d, err, sizeof err);
        CHECK_STR(d.lead.level, "state");
        CHECK_INT(d.lead.nparents, 0);
}

static const char *rid(const json_t *o, size_t i)
{
        return json_string_value(
                json_object_get(json_array_get(json_object_get(o, "recipients"), i), "recipient_id"));
}

static void test_directory(void)
{
        size_t len;
        char *csv = util_read_file(PRAHARI_REPO_DIR "/deploy/directory/rajasthan.csv", &len);
        CHECK(csv != NULL);
        if (!csv)
                return;
        /* the shipped directory plus an SHO for Kota City */
        const char *add = "KOTACITY-SHO,Kota City,sho,SHO Kota City,+919000028199,,1,hi,,\n";
        char *buf = malloc(len + strlen(add) + 1);
        memcpy(buf, csv, len);
        memcpy(buf + len, add, strlen(add) + 1);
        const char *names[41];
        for (int i = 0; i < 41; i++)
                names[i] = layer_name(dl, i);
        size_t nx = 0;
        const char **extra = jlayers_names(&js, &nx);
        CHECK_INT(nx, 3);
        struct dir_error *errs = NULL;
        size_t nerr = 0;
        /* without the extra layer's names "Kota City" is unknown */
        struct directory *d0 = directory_parse_csv(buf, strlen(buf), names, 41, true, &errs, &nerr);
        CHECK(d0 == NULL && nerr == 1);
        CHECK_MSG(nerr == 1 && strstr(errs[0].reason, "\"Kota City\""), "%s",
                  nerr ? errs[0].reason : "");
        free(errs);
        /* with them it is valid; "Kota Rural" and the station need no entry */
        dir = directory_parse_csv_ex(buf, strlen(buf), names, 41, extra, nx, true, &errs, &nerr);
        CHECK_MSG(dir != NULL, "%s", nerr ? errs[0].reason : "");
        free(errs);
        free(extra);
        free(buf);
        free(csv);
        if (!dir)
                return;
        struct decision d;
        /* Kota City: its own SHO only */
        route(25.22, 75.90, &d);
        json_t *o = decide_routing_json_at(&d, dl, dir, 0);
        CHECK_STR(json_string_value(json_object_get(o, "district")), "Kota City");
        CHECK_STR(json_string_value(json_object_get(o, "level")), "police_district");
        char *ps = json_dumps(json_object_get(o, "parents"), JSON_COMPACT);
        CHECK_STR(ps, "[\"Kota\",\"STATE_COMMAND_CENTRE\"]");
        free(ps);
        CHECK_INT(json_array_size(json_object_get(o, "recipients")), 1);
        CHECK_STR(rid(o, 0), "KOTACITY-SHO");
        json_decref(o);
        /* Kota Rural: none of its own -> the parent Kota's SP and control room */
        route(24.92707, 76.28649, &d);
        o = decide_routing_json_at(&d, dl, dir, 0);
        CHECK_STR(json_string_value(json_object_get(o, "district")), "Kota Rural");
        CHECK_INT(json_array_size(json_object_get(o, "recipients")), 2);
        CHECK_STR(rid(o, 0), "KOTA-SP");
        CHECK_STR(rid(o, 1), "KOTA-CR");
        CHECK_STR(json_string_value(json_object_get(
                          json_array_get(json_object_get(o, "jurisdictions"), 0), "recipients_from")),
                  "Kota");
        CHECK(json_object_get(o, "directory_gap") == NULL);
        json_decref(o);
        /* the station area: none of its own -> Kota City's SHO (first parent with entries) */
        route(25.18254, 75.83907, &d);
        o = decide_routing_json_at(&d, dl, dir, 0);
        CHECK_STR(json_string_value(json_object_get(o, "district")), "PS Kota Centre");
        CHECK_INT(json_array_size(json_object_get(o, "recipients")), 1);
        CHECK_STR(rid(o, 0), "KOTACITY-SHO");
        json_decref(o);
        /* Jaipur unchanged */
        route(26.91962, 75.78781, &d);
        o = decide_routing_json_at(&d, dl, dir, 0);
        CHECK_STR(json_string_value(json_object_get(o, "district")), "Jaipur");
        CHECK_STR(rid(o, 0), "JAIPUR-SP");
        json_decref(o);
        /* moved_from: the old lead's level-1 recipients, with the same fallback */
        struct decide_cfg cfg = {0.3, 50000, 0.2, 2000, "Rajasthan", &js};
        static const struct {
                const char *from, *first;
                int n;
        } mv[] = {
                {"Kota City", "KOTACITY-SHO", 1},
                {"Kota Rural", "KOTA-SP", 2},
                {"Jaipur", "JAIPUR-SP", 2},
                {"STATE_COMMAND_CENTRE", "SCC-DUTY", 1},
        };
        for (size_t i = 0; i < sizeof mv / sizeof mv[0]; i++) {
                o = decide_moved_from(&cfg, dl, dir, mv[i].from, 0);
                CHECK_STR(json_string_value(json_object_get(o, "jurisdiction")), mv[i].from);
                CHECK_INT(json_array_size(json_object_get(o, "recipients")), mv[i].n);
                CHECK_STR(rid(o, 0), mv[i].first);
                json_decref(o);
        }
}

int main(void)
{
        ctx = geojson_geos_new();
        dl = load(PRAHARI_DATA_DIR "/boundaries/rajasthan_districts_41.geojson", "name");
        sl = load(PRAHARI_DATA_DIR "/boundaries/india_states.geojson", "ST_NM");
        snprintf(tmpdir, sizeof tmpdir, "/tmp/router-jlayers-XXXXXX");
        CHECK(mkdtemp(tmpdir) != NULL);
        if (dl && sl) {
                build_files();
                test_spec();
                test_load();
                if (js.n == 2) {
                        test_points();
                        test_directory();
                }
        }
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
        if (system(cmd) != 0)
                fprintf(stderr, "could not remove %s\n", tmpdir);
        directory_free(dir);
        jlayers_clear(&js);
        layer_destroy(dl);
        layer_destroy(sl);
        geojson_geos_free(ctx);
        return test_summary("router_jlayers");
}
