/* SPDX-License-Identifier: Apache-2.0 */
/* The locate rules, table-tested with real places: every method, every
 * warning, agreement and disagreement, and the sample alerts of
 * ../shared/fixtures/cases.json (their hints copied from the bodies; the
 * expected method and district read from cases.json itself). */
#include "locate.h"
#include "pin.h"
#include "testutil.h"

#include <jansson.h>
#include <stdlib.h>

#include "prahari/util.h"

static struct textnorm *tn;
static struct gazetteer *g;

#define T0 1764752700LL /* report time used by the table (s) */
#define S(x) ((int64_t)(x) * 1000000LL)

static struct loc_hint H_GPS(double lat, double lon, double acc, int64_t observed_s)
{
        struct loc_hint h = {.kind = HINT_GPS};
        h.gps.lat = lat;
        h.gps.lon = lon;
        h.gps.accuracy_m = acc;
        h.gps.observed_us = observed_s ? S(observed_s) : 0;
        h.gps.valid = true;
        h.source = "device";
        return h;
}

static struct loc_hint H_PLACE(const char *text, const char *source)
{
        struct loc_hint h = {.kind = HINT_PLACE, .text = text, .source = source};
        return h;
}

static struct loc_hint H_PIN(const char *code)
{
        struct loc_hint h = {.kind = HINT_PIN, .text = code};
        return h;
}

static struct loc_hint H_IP(const char *ip, const char *cc, const char *state, const char *city,
                            double lat, double lon)
{
        struct loc_hint h = {.kind = HINT_IP, .text = ip};
        if (state) {
                h.ip.found = true;
                util_strlcpy(h.ip.country_code, cc, sizeof(h.ip.country_code));
                util_strlcpy(h.ip.state, state, sizeof(h.ip.state));
                util_strlcpy(h.ip.city, city, sizeof(h.ip.city));
        }
        h.ip.lat = lat;
        h.ip.lon = lon;
        return h;
}

struct lcase {
        const char *what;
        struct loc_hint hints[5];
        size_t n;
        enum loc_method method;
        const char *area;   /* expected area district or NULL */
        const char *state;  /* expected state or "" */
        bool point;
        double lat, lon;    /* when point */
        double conf_min, conf_max;
        unsigned warnings;  /* exact set */
};

static const char *area_name(const struct location *l)
{
        const struct gaz_district *d = gazetteer_district(g, l->area_district);
        return d ? d->name : NULL;
}

static void run_case(const struct lcase *c)
{
        struct location l;
        const char *a;
        locate(g, tn, c->hints, c->n, S(T0), &l);
        CHECK_MSG(l.method == c->method, "%s: method %s", c->what, locate_method_name(l.method));
        a = area_name(&l);
        if (c->area)
                CHECK_MSG(a && strcmp(a, c->area) == 0, "%s: area %s", c->what, a ? a : "(none)");
        else
                CHECK_MSG(a == NULL, "%s: unexpected area %s", c->what, a);
        CHECK_MSG(strcmp(l.state, c->state) == 0, "%s: state '%s'", c->what, l.state);
        CHECK_MSG(l.has_point == c->point, "%s: point %d", c->what, l.has_point);
        if (c->point && c->lat != 0) {
                CHECK_MSG(fabs(l.lat - c->lat) < 1e-4 && fabs(l.lon - c->lon) < 1e-4,
                          "%s: at %f,%f", c->what, l.lat, l.lon);
        }
        CHECK_MSG(l.confidence >= c->conf_min - 1e-9 && l.confidence <= c->conf_max + 1e-9,
                  "%s: confidence %g not in [%g,%g]", c->what, l.confidence, c->conf_min,
                  c->conf_max);
        CHECK_MSG(l.warnings == c->warnings, "%s: warnings %#x want %#x", c->what, l.warnings,
                  c->warnings);
        CHECK(l.confidence >= 0 && l.confidence <= 1);
}

static void test_table(void)
{
        const struct lcase cases[] = {
                {"fresh GPS in Kota", {H_GPS(25.142, 75.845, 35, T0 - 300)}, 1, LOC_GPS, NULL, "",
                 true, 25.142, 75.845, 0.95, 0.95, 0},
                {"GPS in Bhopal: a point, the router finds the state",
                 {H_GPS(23.2599, 77.4126, 15, T0 - 300)}, 1, LOC_GPS, NULL, "", true, 23.2599,
                 77.4126, 0.95, 0.95, 0},
                {"Hindi profile place", {H_PLACE("झुंझुनूं, राजस्थान", "profile")}, 1, LOC_PLACE,
                 "Jhunjhunu", "Rajasthan", true, 28.07989, 75.54242, 0.6, 0.6, 0},
                {"YouTube location description", {H_PLACE("Beawar, Rajasthan", "recording")}, 1,
                 LOC_PLACE, "Beawar", "Rajasthan", true, 26.05507, 74.20305, 0.7, 0.7, 0},
                {"town refines the district", {H_PLACE("Ramganj Mandi, Kota", "profile")}, 1,
                 LOC_PLACE, NULL, "Rajasthan", true, 0, 0, 0.5, 0.6, 0},
                {"PIN 324005 (only coarse coordinates: the district)", {H_PIN("324005")}, 1, LOC_PIN, "Kota", "Rajasthan", true, 0, 0, 0.7,
                 0.8, 0},
                {"PIN in Devanagari digits", {H_PIN("३२४००५")}, 1, LOC_PIN, "Kota", "Rajasthan", true,
                 0, 0, 0.7, 0.8, 0},
                {"IP only: state, never a district",
                 {H_IP("49.36.128.10", "IN", "Rajasthan", "Jaipur", 26.9, 75.8)}, 1, LOC_IP, NULL,
                 "Rajasthan", false, 0, 0, 0.3, 0.3, LW_IP_STATE_ONLY},
                {"IP the database cannot place", {H_IP("10.1.2.3", NULL, NULL, NULL, NAN, NAN)}, 1,
                 LOC_IP, NULL, "", false, 0, 0, 0.05, 0.05, LW_IP_STATE_ONLY | LW_IP_UNRESOLVED},
                {"PIN with good place coordinates: a point (Kota 324001)", {H_PIN("324001")}, 1,
                 LOC_PIN, NULL, "Rajasthan", true, 0, 0, 0.4, 0.8, 0},
                {"nothing", {{0}}, 0, LOC_NONE, NULL, "", false, 0, 0, 0, 0, 0},
                {"GPS + IP + profile place agree (Bikaner)",
                 {H_GPS(28.0229, 73.3119, 30, T0 - 120),
                  H_IP("223.188.20.7", "IN", "Rajasthan", "Jaipur", 26.9, 75.8),
                  H_PLACE("Bikaner", "profile")},
                 3, LOC_GPS, NULL, "Rajasthan", true, 28.0229, 73.3119, 0.975, 0.99, 0},
                {"GPS in Bhopal, profile says Kota: GPS wins, disagreement recorded",
                 {H_GPS(23.2599, 77.4126, 15, T0), H_PLACE("Kota", "profile")}, 2, LOC_GPS, NULL,
                 "", true, 23.2599, 77.4126, 0.95 * 0.85, 0.95 * 0.85, LW_SIGNALS_DISAGREE},
                {"swapped GPS alone: the swapped pair, weakly",
                 {H_GPS(75.845, 25.142, 35, T0)}, 1, LOC_GPS, NULL, "", true, 25.142, 75.845, 0.5,
                 0.5, LW_GPS_SWAPPED},
                {"swapped GPS and a place: the place leads",
                 {H_GPS(75.845, 25.142, 35, T0), H_PLACE("Kota", "profile")}, 2, LOC_PLACE, "Kota",
                 "Rajasthan", true, 25.19668, 76.00097, 0.6, 0.6, LW_GPS_SWAPPED},
                {"0,0 and a PIN: the PIN", {H_GPS(0, 0, 10, T0), H_PIN("324005")}, 2, LOC_PIN, "Kota",
                 "Rajasthan", true, 0, 0, 0.7, 0.8, LW_GPS_ZERO},
                {"out of range and nothing else", {H_GPS(123, 456, 10, T0)}, 1, LOC_NONE, NULL, "",
                 false, 0, 0, 0, 0, LW_GPS_OUT_OF_RANGE},
                {"stale GPS, agreeing place", {H_GPS(24.5854, 73.7125, 40, T0 - 3 * 3600),
                                               H_PLACE("Udaipur", "profile")},
                 2, LOC_GPS, NULL, "Rajasthan", true, 24.5854, 73.7125, 0.9, 0.92, LW_GPS_STALE},
                {"ambiguous name only", {H_PLACE("Shahpura", "profile")}, 1, LOC_PLACE, NULL,
                 "Rajasthan", false, 0, 0, 0.3, 0.3, LW_PLACE_AMBIGUOUS},
                {"unmatched text", {H_PLACE("somewhere over the rainbow", "profile")}, 1, LOC_NONE,
                 NULL, "", false, 0, 0, 0, 0, LW_PLACE_UNMATCHED},
                {"unknown PIN", {H_PIN("999999")}, 1, LOC_NONE, NULL, "", false, 0, 0, 0, 0,
                 LW_PIN_UNKNOWN},
                {"malformed PIN", {H_PIN("32A005")}, 1, LOC_NONE, NULL, "", false, 0, 0, 0, 0,
                 LW_PIN_UNKNOWN},
                {"PIN (Kota) beats a place (Sikar): disagreement",
                 {H_PLACE("Sikar", "profile"), H_PIN("324005")}, 2, LOC_PIN, "Kota", "Rajasthan",
                 true, 0, 0, 0.55, 0.7, LW_SIGNALS_DISAGREE},
                {"PIN and place agree (Kota)", {H_PLACE("Kota", "profile"), H_PIN("324005")}, 2,
                 LOC_PIN, "Kota", "Rajasthan", true, 0, 0, 0.88, 0.93, 0},
                {"only a state", {H_PLACE("Rajasthan", "profile")}, 1, LOC_PLACE, NULL, "Rajasthan",
                 false, 0, 0, 0.5, 0.5, 0},
                {"out-of-state town by name", {H_PLACE("Bhopal", "profile")}, 1, LOC_PLACE, NULL,
                 "Madhya Pradesh", true, 23.2547, 77.4029, 0.5, 0.52, 0},
                {"cancelled district name (Dudu)", {H_PLACE("Dudu", "profile")}, 1, LOC_PLACE, NULL,
                 "Rajasthan", true, 0, 0, 0.5, 0.55, 0},
                {"IP abroad and a Rajasthan place: the place, no IP state",
                 {H_IP("8.8.8.8", "US", "California", "Mountain View", 37.4, -122.1),
                  H_PLACE("Sikar, Rajasthan", "profile")},
                 2, LOC_PLACE, "Sikar", "Rajasthan", true, 27.66242, 75.028, 0.6, 0.6, 0},
                {"invalid GPS value", {{.kind = HINT_GPS}}, 1, LOC_NONE, NULL, "", false, 0, 0, 0,
                 0, LW_GPS_OUT_OF_RANGE},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                run_case(&cases[i]);
}

/* A PIN that a 2023 district may hold: flagged, lower confidence. */
static void test_new_district_pin(void)
{
        size_t npins, tested = 0;
        const uint32_t *pins = gazetteer_pins(g, &npins);
        for (size_t i = 0; i < npins && tested < 5; i++) {
                struct pin_result r;
                char code[8];
                struct loc_hint h;
                struct location l;
                pin_resolve(g, pins[i], &r);
                if (!r.new_district_ambiguous)
                        continue;
                snprintf(code, sizeof(code), "%u", pins[i]);
                h = H_PIN(code);
                locate(g, tn, &h, 1, S(T0), &l);
                CHECK_INT(l.method, LOC_PIN);
                CHECK(l.warnings & LW_PIN_NEW_DISTRICT_AMBIGUOUS);
                CHECK(l.confidence < 0.7 * 0.7 + 1e-9);
                CHECK(l.ncands >= 2); /* the parent and the new district(s) */
                tested++;
        }
        CHECK_INT(tested, 5);
}

/* The sample alerts: hints as ingest puts them on the wire. */
struct fixture_case {
        const char *id;
        int alert; /* index within the case's expect.alerts */
        struct loc_hint hints[4];
        size_t n;
};

static void test_fixtures(void)
{
        const struct fixture_case fx[] = {
                {"meta-01-kota-gps", 0,
                 {H_GPS(25.142, 75.845, 35, 1764752400),
                  H_IP("2409:40d4:1a:3b2c::1", "IN", "Rajasthan", "Jaipur", 26.9, 75.8)}, 2},
                {"meta-02-two-reports", 0, {H_PLACE("झुंझुनूं, राजस्थान", "profile")}, 1},
                {"meta-02-two-reports", 1, {H_GPS(26.9124, 75.7873, 20, 1764752400)}, 1},
                {"meta-03-ip-only", 0, {H_IP("49.36.128.10", "IN", "Maharashtra", "Mumbai", 19, 72.8)},
                 1},
                {"meta-04-out-of-state", 0, {H_GPS(23.2599, 77.4126, 15, 1764752400)}, 1},
                {"meta-07-quarantine", 0, {H_GPS(24.5854, 73.7125, 40, 1764752400)}, 1},
                {"google-01-udaipur", 0,
                 {H_GPS(24.5854, 73.7125, 60, 0), H_IP("106.196.10.20", NULL, NULL, NULL, NAN, NAN)},
                 2},
                {"youtube-01-jodhpur-live", 0,
                 {H_GPS(26.2389, 73.0243, NAN, 0), H_IP("117.99.4.5", NULL, NULL, NULL, NAN, NAN)}, 2},
                {"youtube-02-beawar-place", 0,
                 {H_PLACE("Beawar, Rajasthan", "recording"),
                  H_IP("117.99.4.5", "IN", "Delhi", "Delhi", 28.6, 77.2)},
                 2},
                {"alerts-01-pin-kota", 0, {H_PIN("324005")}, 1},
                {"email-01-bikaner", 0,
                 {H_GPS(28.0229, 73.3119, 30, 0), H_IP("223.188.20.7", NULL, NULL, NULL, NAN, NAN),
                  H_PLACE("Bikaner", "profile")},
                 3},
                {"email-02-sikar-html", 0, {H_PLACE("Sikar, Rajasthan", "profile")}, 1},
        };
        char path[1024];
        const char *shared = getenv("PRAHARI_SHARED_DIR");
        json_error_t je;
        json_t *root, *cases;

        snprintf(path, sizeof(path), "%s/fixtures/cases.json", shared && *shared ? shared : "..");
        root = json_load_file(path, 0, &je);
        CHECK_MSG(root != NULL, "cannot load %s: %s", path, je.text);
        if (!root)
                return;
        cases = json_object_get(root, "cases");
        for (size_t k = 0; k < sizeof(fx) / sizeof(fx[0]); k++) {
                size_t i;
                json_t *c, *exp = NULL;
                const char *want_method, *want_district;
                struct location l;
                json_array_foreach(cases, i, c) {
                        const char *id = json_string_value(json_object_get(c, "id"));
                        if (id && strcmp(id, fx[k].id) == 0)
                                exp = json_array_get(
                                        json_object_get(json_object_get(c, "expect"), "alerts"),
                                        (size_t)fx[k].alert);
                }
                CHECK_MSG(exp != NULL, "%s not in cases.json", fx[k].id);
                if (!exp)
                        continue;
                want_method = json_string_value(json_object_get(exp, "location_method"));
                want_district = json_string_value(json_object_get(exp, "district"));
                locate(g, tn, fx[k].hints, fx[k].n, S(T0), &l);
                CHECK_MSG(want_method && strcmp(locate_method_name(l.method), want_method) == 0,
                          "%s: method %s, want %s", fx[k].id, locate_method_name(l.method),
                          want_method);
                if (l.method == LOC_PLACE || l.method == LOC_PIN) {
                        /* a name or a PIN names the district itself */
                        int d = l.area_district;
                        if (d < 0) {
                                for (int j = 0; j < l.ncands; j++)
                                        if (l.cands[j].method == l.method) {
                                                d = l.cands[j].district;
                                                break;
                                        }
                        }
                        const struct gaz_district *gd = gazetteer_district(g, d);
                        CHECK_MSG(gd && want_district && strcmp(gd->name, want_district) == 0,
                                  "%s: district %s, want %s", fx[k].id, gd ? gd->name : "(none)",
                                  want_district ? want_district : "null");
                }
                if (l.method == LOC_IP) {
                        CHECK(!l.has_point && l.area_district < 0);
                        CHECK(want_district == NULL);
                }
                if (strcmp(fx[k].id, "email-01-bikaner") == 0)
                        CHECK_MSG(l.confidence > 0.95, "agreeing signals: %g", l.confidence);
        }
        json_decref(root);
}

int main(void)
{
        char err[512];
        const char *dir = getenv("PRAHARI_GAZETTEER_DIR");
        tn = textnorm_new(err, sizeof(err));
        g = tn ? gazetteer_load(tn, dir && *dir ? dir : PRAHARI_DEFAULT_GAZETTEER_DIR, err,
                                sizeof(err))
               : NULL;
        if (!g) {
                fprintf(stderr, "%s\n", err);
                return 1;
        }
        test_table();
        test_new_district_pin();
        test_fixtures();
        gazetteer_free(g);
        textnorm_free(tn);
        return test_summary("enrich_locate");
}
