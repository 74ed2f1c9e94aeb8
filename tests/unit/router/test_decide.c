/* SPDX-License-Identifier: Apache-2.0 */
/* decide: table of locations -> routing decisions over the real layers and
 * the shipped directory; every GeoNames town routed as a GPS fix; the
 * uncertainty circle on a shared edge and across the state border; the
 * routing JSON with recipients, interstate contacts and directory gaps. */
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "rcsv.h"
#include "decide.h"
#include "prahari/util.h"

static GEOSContextHandle_t ctx;
static struct layer *dl, *sl;
static struct directory *dir;
static const struct decide_cfg cfg = {0.3, 50000, 0.2, 2000, "Rajasthan", NULL};

static struct layer *load(const char *file, const char *prop)
{
        char err[1024];
        struct gj_layer *gl = geojson_load_file(ctx, file, prop, err, sizeof err);
        struct layer *l = gl ? layer_new(ctx, gl, err, sizeof err) : NULL;
        CHECK_MSG(l != NULL, "%s", err);
        return l;
}

static int run(const char *locjson, struct decision *d)
{
        json_error_t je;
        json_t *loc = locjson ? json_loads(locjson, 0, &je) : NULL;
        CHECK_MSG(!locjson || loc, "bad test json %s", locjson);
        char err[128];
        int rc = decide_route(&cfg, dl, sl, loc, d, err, sizeof err);
        json_decref(loc);
        return rc;
}

/* A point on the Jaipur|Dausa boundary (bisection between the two towns). */
static void edge_point(const char *a, double ax, double ay, const char *b, double bx, double by,
                       double *x, double *y)
{
        int ia = layer_find(dl, a);
        (void)b;
        for (int it = 0; it < 60; it++) {
                double mx = (ax + bx) / 2, my = (ay + by) / 2;
                if (layer_lookup(dl, mx, my) == ia) {
                        ax = mx;
                        ay = my;
                } else {
                        bx = mx;
                        by = my;
                }
        }
        *x = ax;
        *y = ay;
}

static void test_table(void)
{
        static const struct {
                const char *loc;
                const char *route, *district, *state, *reason;
                const char *juris; /* names joined by '|', lead first */
        } cases[] = {
                {NULL, "state_command_centre", NULL, NULL, "no_location", "STATE_COMMAND_CENTRE"},
                {"{\"method\":\"none\",\"confidence\":0}", "state_command_centre", NULL, NULL,
                 "no_location", "STATE_COMMAND_CENTRE"},
                {"{\"method\":\"ip\",\"state\":\"Rajasthan\",\"confidence\":0.4}",
                 "state_command_centre", NULL, NULL, "ip_only", "STATE_COMMAND_CENTRE"},
                /* (an IP's state stays a hint in location.state, never routing.state) */
                /* ip with coordinates is still state-level only */
                {"{\"method\":\"ip\",\"lat\":26.91,\"lon\":75.79,\"radius_m\":20000,\"confidence\":0.9}",
                 "state_command_centre", NULL, NULL, "ip_only", "STATE_COMMAND_CENTRE"},
                {"{\"method\":\"gps\",\"lat\":25.142,\"lon\":75.845,\"radius_m\":35,\"confidence\":0.95}",
                 "district", "Kota", "Rajasthan", "point_in_polygon", "Kota"},
                /* Jhunjhunu town, a pin-code centroid estimate with 5 km radius */
                {"{\"method\":\"pin\",\"lat\":28.1317,\"lon\":75.4022,\"radius_m\":5000,\"confidence\":0.7}",
                 "district", "Jhunjhunu", "Rajasthan", "point_in_polygon", "Jhunjhunu"},
                {"{\"method\":\"place\",\"lat\":28.13,\"lon\":75.40,\"radius_m\":40000,\"confidence\":0.8,"
                 "\"area\":{\"kind\":\"district\",\"name\":\"Jhunjhunu\"}}",
                 "district", "Jhunjhunu", "Rajasthan", "area", "Jhunjhunu"},
                /* area wins over the radius limit, not over the confidence floor */
                {"{\"method\":\"place\",\"radius_m\":90000,\"confidence\":0.6,"
                 "\"area\":{\"kind\":\"district\",\"name\":\"Jaisalmer\"}}",
                 "district", "Jaisalmer", "Rajasthan", "area", "Jaisalmer"},
                {"{\"method\":\"place\",\"radius_m\":30000,\"confidence\":0.1,"
                 "\"area\":{\"kind\":\"district\",\"name\":\"Jaisalmer\"}}",
                 "state_command_centre", NULL, NULL, "too_uncertain", "STATE_COMMAND_CENTRE"},
                /* a cancelled district's name is no district: no point either */
                {"{\"method\":\"place\",\"confidence\":0.9,\"area\":{\"kind\":\"district\",\"name\":\"Dudu\"}}",
                 "state_command_centre", NULL, NULL, "no_location", "STATE_COMMAND_CENTRE"},
                {"{\"method\":\"gps\",\"lat\":25.142,\"lon\":75.845,\"radius_m\":35,\"confidence\":0.29}",
                 "state_command_centre", NULL, "Rajasthan", "too_uncertain", "STATE_COMMAND_CENTRE"},
                {"{\"method\":\"gps\",\"lat\":25.142,\"lon\":75.845,\"radius_m\":50001,\"confidence\":0.9}",
                 "state_command_centre", NULL, "Rajasthan", "too_uncertain", "STATE_COMMAND_CENTRE"},
                {"{\"method\":\"gps\",\"lat\":25.142,\"lon\":75.845,\"radius_m\":50000,\"confidence\":0.3}",
                 "district", "Kota", "Rajasthan", "point_in_polygon", NULL},
                {"{\"method\":\"gps\",\"lat\":251.42,\"lon\":75.845,\"radius_m\":35,\"confidence\":0.9}",
                 "state_command_centre", NULL, NULL, "no_location", "STATE_COMMAND_CENTRE"},
                /* Bhopal, Madhya Pradesh: inter-state hand-off */
                {"{\"method\":\"gps\",\"lat\":23.2599,\"lon\":77.4126,\"radius_m\":50,\"confidence\":0.9}",
                 "state_command_centre", NULL, "Madhya Pradesh", "out_of_state",
                 "STATE_COMMAND_CENTRE|INTERSTATE:Madhya Pradesh"},
                /* Ahmedabad, Gujarat */
                {"{\"method\":\"gps\",\"lat\":23.0225,\"lon\":72.5714,\"radius_m\":50,\"confidence\":0.9}",
                 "state_command_centre", NULL, "Gujarat", "out_of_state",
                 "STATE_COMMAND_CENTRE|INTERSTATE:Gujarat"},
                /* Lahore, Pakistan: out of state, no Indian state */
                {"{\"method\":\"gps\",\"lat\":31.5497,\"lon\":74.3436,\"radius_m\":50,\"confidence\":0.9}",
                 "state_command_centre", NULL, NULL, "out_of_state", "STATE_COMMAND_CENTRE"},
                /* Bhawani Mandi: Rajasthan per the state layer, in no district
                 * of the 41-file: snapped to Jhalawar (within 2 km) */
                {"{\"method\":\"gps\",\"lat\":24.41582,\"lon\":75.83552,\"radius_m\":0,\"confidence\":0.9}",
                 "district", "Jhalawar", "Rajasthan", "nearest_district", "Jhalawar"},
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                struct decision d;
                CHECK_INT(run(cases[i].loc, &d), 0);
                const char *dist = d.district >= 0 ? layer_name(dl, d.district) : NULL;
                CHECK_MSG(strcmp(decide_route_str(d.route), cases[i].route) == 0 &&
                                  strcmp(decide_reason_str(d.reason), cases[i].reason) == 0,
                          "case %zu: %s %s", i, decide_route_str(d.route),
                          decide_reason_str(d.reason));
                CHECK_MSG((!dist && !cases[i].district) ||
                                  (dist && cases[i].district && strcmp(dist, cases[i].district) == 0),
                          "case %zu: district %s", i, dist ? dist : "-");
                CHECK_MSG((!d.state[0] && !cases[i].state) ||
                                  (cases[i].state && strcmp(d.state, cases[i].state) == 0),
                          "case %zu: state %s", i, d.state);
                if (cases[i].juris) {
                        char got[512] = "";
                        size_t off = 0;
                        for (size_t k = 0; k < d.nj; k++)
                                off += (size_t)snprintf(got + off, sizeof got - off, "%s%s",
                                                        k ? "|" : "", d.j[k].name);
                        CHECK_MSG(strcmp(got, cases[i].juris) == 0, "case %zu: jurisdictions %s", i,
                                  got);
                }
                CHECK(d.nj >= 1 && d.j[0].lead);
                for (size_t k = 1; k < d.nj; k++)
                        CHECK(!d.j[k].lead);
                CHECK_STR(decide_key(&d, dl), d.route == ROUTE_DISTRICT ? dist : "STATE_COMMAND_CENTRE");
        }
}

/* Every GeoNames town as an exact GPS fix. */
static void test_towns(void)
{
        size_t len;
        char *csv = util_read_file(PRAHARI_DATA_DIR "/gazetteer/towns_geonames_rajasthan_region.csv", &len);
        CHECK(csv != NULL);
        if (!csv)
                return;
        struct rcsv_reader r;
        struct rcsv_record rec;
        char err[128];
        rcsv_init(&r, csv, len);
        CHECK(rcsv_next(&r, &rec, err, sizeof err) == 1);
        int n = 0, bad = 0, snapped = 0;
        while (rcsv_next(&r, &rec, err, sizeof err) == 1) {
                char loc[200];
                snprintf(loc, sizeof loc,
                         "{\"method\":\"gps\",\"lat\":%s,\"lon\":%s,\"radius_m\":0,\"confidence\":0.9}",
                         rec.field[3], rec.field[4]);
                struct decision d;
                run(loc, &d);
                n++;
                const char *dist = d.district >= 0 ? layer_name(dl, d.district) : "";
                bool ok;
                if (strcmp(rec.field[7], "yes") == 0)
                        ok = d.route == ROUTE_DISTRICT && d.reason == REASON_POINT_IN_POLYGON &&
                             strcmp(dist, rec.field[5]) == 0;
                else if (strcmp(rec.field[8], "Rajasthan") == 0) /* Bhawani Mandi */
                        ok = d.reason == REASON_NEAREST_DISTRICT && ++snapped;
                else
                        ok = d.route == ROUTE_STATE_COMMAND_CENTRE && d.reason == REASON_OUT_OF_STATE &&
                             strcmp(d.state, rec.field[8]) == 0;
                if (!ok) {
                        bad++;
                        fprintf(stderr, "town %s: %s %s %s %s\n", rec.field[0],
                                decide_route_str(d.route), dist, d.state, decide_reason_str(d.reason));
                }
        }
        CHECK_INT(n, 1772);
        CHECK_INT(bad, 0);
        CHECK_INT(snapped, 1);
        rcsv_free(&r);
        free(csv);
}

static void test_circles(void)
{
        struct decision d;
        char loc[256];
        double x, y;
        /* Jaipur city -> Dausa town: a point on their shared boundary */
        edge_point("Jaipur", 75.80, 26.90, "Dausa", 76.33, 26.88, &x, &y);
        snprintf(loc, sizeof loc,
                 "{\"method\":\"gps\",\"lat\":%.10f,\"lon\":%.10f,\"radius_m\":2000,\"confidence\":0.8}", y, x);
        CHECK_INT(run(loc, &d), 0);
        CHECK(d.route == ROUTE_DISTRICT && d.nj == 2);
        if (d.nj == 2) {
                CHECK(d.j[0].overlap >= d.j[1].overlap && d.j[1].overlap >= 0.2);
                CHECK_NEAR(d.j[0].overlap + d.j[1].overlap, 1.0, 1e-6);
                CHECK(d.district == d.j[0].idx);
                CHECK((strcmp(d.j[0].name, "Jaipur") == 0 && strcmp(d.j[1].name, "Dausa") == 0) ||
                      (strcmp(d.j[0].name, "Dausa") == 0 && strcmp(d.j[1].name, "Jaipur") == 0));
        }
        /* 300 m inside Jaipur: the small circle never reaches Dausa by 20 %,
         * but a large one moves the lead to whichever holds more of it */
        snprintf(loc, sizeof loc,
                 "{\"method\":\"gps\",\"lat\":%.10f,\"lon\":%.10f,\"radius_m\":100,\"confidence\":0.8}", y, x - 0.003);
        run(loc, &d);
        CHECK(d.nj == 1 && strcmp(layer_name(dl, d.district), "Jaipur") == 0 && d.j[0].overlap == 1.0);
        /* threshold: 0.2 with the default; raising it removes the second */
        snprintf(loc, sizeof loc,
                 "{\"method\":\"gps\",\"lat\":%.10f,\"lon\":%.10f,\"radius_m\":2000,\"confidence\":0.8}", y, x - 0.012);
        run(loc, &d);
        CHECK(d.route == ROUTE_DISTRICT && strcmp(layer_name(dl, d.district), "Jaipur") == 0);
        double second = d.nj > 1 ? d.j[1].overlap : 0;
        struct decide_cfg hi = cfg;
        hi.overlap_min = second + 0.01;
        json_t *jl = json_loads(loc, 0, NULL);
        char err[64];
        struct decision d2;
        decide_route(&hi, dl, sl, jl, &d2, err, sizeof err);
        json_decref(jl);
        CHECK(d2.nj == 1 || second == 0);

        /* Across the state border: Baran -> Guna (MP); a point about 1 km
         * into MP whose circle reaches back into Rajasthan */
        edge_point("Baran", 76.52, 25.10, "MP", 77.31, 24.65, &x, &y);
        int bi = layer_lookup(dl, x, y);
        CHECK(bi >= 0 && strcmp(layer_name(dl, bi), "Baran") == 0);
        double ox = x + 0.01 * (77.31 - 76.52) / 0.9, oy = y + 0.01 * (24.65 - 25.10) / 0.9;
        CHECK(layer_lookup(dl, ox, oy) < 0);
        /* radius 3 x the distance to Baran: 19 % of the circle lies in Baran
         * here (the border bends away), so the threshold is 0.15 for this one */
        double dist = 0;
        CHECK_INT(layer_nearest(dl, ox, oy, 10000, &dist), bi);
        CHECK(dist > 300 && dist < 1500);
        snprintf(loc, sizeof loc,
                 "{\"method\":\"gps\",\"lat\":%.10f,\"lon\":%.10f,\"radius_m\":%.0f,\"confidence\":0.8}", oy, ox,
                 3.0 * dist);
        struct decide_cfg lo = cfg;
        lo.overlap_min = 0.15;
        jl = json_loads(loc, 0, NULL);
        CHECK_INT(decide_route(&lo, dl, sl, jl, &d, err, sizeof err), 0);
        json_decref(jl);
        CHECK(d.route == ROUTE_STATE_COMMAND_CENTRE && d.reason == REASON_OUT_OF_STATE);
        CHECK_STR(d.state, "Madhya Pradesh");
        CHECK_MSG(d.nj == 3 && strcmp(d.j[1].name, "Baran") == 0 && d.j[1].overlap >= 0.15 &&
                          d.j[1].overlap < 0.25 && strcmp(d.j[2].name, "INTERSTATE:Madhya Pradesh") == 0,
                  "nj %zu dist %.0f overlap %f", d.nj, dist, d.nj > 1 ? d.j[1].overlap : -1);
        json_t *ro = decide_routing_json(&d, dl, dir);
        json_t *rs = json_object_get(ro, "recipients");
        /* SCC duty + Baran SP + Baran control room + MP inter-state */
        CHECK_INT(json_array_size(rs), 4);
        CHECK_STR(json_string_value(json_object_get(json_array_get(rs, 0), "recipient_id")), "SCC-DUTY");
        CHECK_STR(json_string_value(json_object_get(json_array_get(rs, 3), "recipient_id")),
                  "IS-MADHYA_PRADESH");
        json_decref(ro);
}

static void test_json(void)
{
        struct decision d;
        run("{\"method\":\"gps\",\"lat\":25.142,\"lon\":75.845,\"radius_m\":35,\"confidence\":0.95}", &d);
        json_t *o = decide_routing_json(&d, dl, dir);
        char *s = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
        CHECK_STR(s,
                  "{\"boundary_version\":\"rajasthan_districts_41@sha256:9e97df22\",\"district\":\"Kota\","
                  "\"jurisdictions\":[{\"lead\":true,\"name\":\"Kota\",\"overlap\":1.0}],"
                  "\"level\":\"district\",\"parents\":[\"STATE_COMMAND_CENTRE\"],\"reason\":"
                  "\"point_in_polygon\",\"recipients\":[{\"email\":\"sp.kota@police.example\",\"jurisdiction\":"
                  "\"Kota\",\"lang\":\"en\",\"level\":1,\"name\":\"SP Kota\",\"phone\":\"+919000028101\","
                  "\"recipient_id\":\"KOTA-SP\",\"role\":\"sp\"},{\"email\":\"controlroom.kota@police.example\","
                  "\"jurisdiction\":\"Kota\",\"lang\":\"en\",\"level\":1,\"name\":\"Control Room Kota\","
                  "\"phone\":\"+919000028100\",\"recipient_id\":\"KOTA-CR\",\"role\":\"control_room\"}],"
                  "\"route\":\"district\",\"state\":\"Rajasthan\"}");
        free(s);
        json_decref(o);
        /* no location: the state command centre's level 1 only */
        run(NULL, &d);
        o = decide_routing_json(&d, dl, dir);
        CHECK(json_is_null(json_object_get(o, "district")) && json_is_null(json_object_get(o, "state")));
        CHECK_INT(json_array_size(json_object_get(o, "recipients")), 1);
        CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(o, "recipients"), 0),
                                                    "recipient_id")),
                  "SCC-DUTY");
        json_decref(o);
        /* a directory without Kota: the state command centre stands in */
        struct directory *partial = directory_new();
        for (size_t i = 0; i < dir->n; i++)
                if (strcmp(dir->e[i].jurisdiction, "Kota") != 0)
                        directory_add(partial, &dir->e[i]);
        run("{\"method\":\"gps\",\"lat\":25.142,\"lon\":75.845,\"radius_m\":35,\"confidence\":0.95}", &d);
        o = decide_routing_json(&d, dl, partial);
        CHECK_STR(json_string_value(json_object_get(o, "district")), "Kota");
        CHECK_INT(json_array_size(json_object_get(o, "recipients")), 1);
        CHECK_STR(json_string_value(json_array_get(json_object_get(o, "directory_gap"), 0)), "Kota");
        json_decref(o);
        directory_free(partial);
}

int main(void)
{
        ctx = geojson_geos_new();
        dl = load(PRAHARI_DATA_DIR "/boundaries/rajasthan_districts_41.geojson", "name");
        sl = load(PRAHARI_DATA_DIR "/boundaries/india_states.geojson", "ST_NM");
        size_t len;
        char *csv = util_read_file(PRAHARI_REPO_DIR "/deploy/directory/rajasthan.csv", &len);
        const char *names[41];
        for (int i = 0; dl && i < 41; i++)
                names[i] = layer_name(dl, i);
        struct dir_error *errs = NULL;
        size_t nerr = 0;
        if (csv && dl)
                dir = directory_parse_csv(csv, len, names, 41, true, &errs, &nerr);
        free(errs);
        free(csv);
        CHECK(dl && sl && dir);
        if (dl && sl && dir) {
                test_table();
                test_towns();
                test_circles();
                test_json();
        }
        directory_free(dir);
        layer_destroy(dl);
        layer_destroy(sl);
        geojson_geos_free(ctx);
        return test_summary("router_decide");
}
