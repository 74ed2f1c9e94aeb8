/* SPDX-License-Identifier: Apache-2.0 */
/* The message transform: normalized alert JSON in, enriched JSON out (the
 * location object of docs/architecture.md and phone_e164), and the messages
 * that must be dead-lettered. */
#include "enrich.h"
#include "testutil.h"

#include <jansson.h>
#include <stdlib.h>

#include "prahari/util.h"

static struct textnorm *tn;
static struct gazetteer *g;
static int ip_calls;

static void fake_ip(void *ctx, const char *ip, struct ip_geo *out)
{
        (void)ctx;
        memset(out, 0, sizeof(*out));
        out->lat = out->lon = NAN;
        ip_calls++;
        if (strcmp(ip, "49.36.128.10") == 0) {
                out->found = true;
                util_strlcpy(out->country_code, "IN", sizeof(out->country_code));
                util_strlcpy(out->state, "Karnataka", sizeof(out->state));
                util_strlcpy(out->city, "Mangaluru", sizeof(out->city));
                out->lat = 12.9141;
                out->lon = 74.856;
        }
}

static json_t *run(const char *msg, struct enrich_result *r, int *rc)
{
        struct enrich_env env = {g, tn, fake_ip, NULL, 1764752800000000LL, NULL, NULL};
        char err[256];
        json_t *out;
        *rc = enrich_message(&env, msg, strlen(msg), r, err, sizeof(err));
        if (*rc != 0)
                return NULL;
        out = json_loads(r->message, 0, NULL);
        CHECK_MSG(out != NULL, "output is not JSON: %s", r->message);
        return out;
}

#define HDR                                                                                        \
        "{\"schema\":\"prahari.alert/v1\",\"alert_id\":\"0b6f5c1e-0000-4000-8000-000000000001\","  \
        "\"revision\":1,\"short_code\":\"K7Q2XM\",\"source\":\"meta\",\"severity\":\"critical\","  \
        "\"reported_at\":\"2026-12-03T09:05:00Z\","

static void test_gps_message(void)
{
        struct enrich_result r;
        int rc;
        json_t *o = run(HDR "\"location_hints\":["
                            "{\"kind\":\"gps\",\"lat\":25.142,\"lon\":75.845,\"accuracy_m\":35,"
                            "\"observed_at\":\"2026-12-03T09:00:00Z\",\"source\":\"device\"},"
                            "{\"kind\":\"ip\",\"ip\":\"49.36.128.10\"},"
                            "{\"kind\":\"phone\",\"number\":\"+91 90000 12345\"}]}",
                        &r, &rc);
        json_t *loc = json_object_get(o, "location");
        CHECK_INT(rc, 0);
        CHECK_STR(r.alert_id, "0b6f5c1e-0000-4000-8000-000000000001");
        CHECK_INT(r.revision, 1);
        CHECK_STR(json_string_value(json_object_get(o, "short_code")), "K7Q2XM");
        CHECK_STR(json_string_value(json_object_get(o, "schema")), "prahari.alert/v1");
        CHECK_STR(json_string_value(json_object_get(loc, "method")), "gps");
        CHECK_NEAR(json_number_value(json_object_get(loc, "lat")), 25.142, 1e-9);
        CHECK_NEAR(json_number_value(json_object_get(loc, "lon")), 75.845, 1e-9);
        CHECK_NEAR(json_number_value(json_object_get(loc, "radius_m")), 70 + 600, 1e-9);
        CHECK_NEAR(json_number_value(json_object_get(loc, "confidence")), 0.95, 1e-9);
        CHECK(json_object_get(loc, "area") == NULL);
        CHECK_INT(json_array_size(json_object_get(loc, "warnings")), 0);
        CHECK_INT(json_array_size(json_object_get(loc, "candidates")), 2); /* gps + ip city */
        CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(loc, "candidates"), 1),
                                                    "state")),
                  "Karnataka");
        CHECK_STR(json_string_value(json_object_get(o, "phone_e164")), "+919000012345");
        CHECK_INT(ip_calls, 1);
        CHECK(strstr(r.location_json, "\"method\":\"gps\"") != NULL);
        json_decref(o);
        enrich_result_free(&r);
}

static void test_place_message(void)
{
        struct enrich_result r;
        int rc;
        json_t *o = run(HDR "\"location_hints\":[{\"kind\":\"place\",\"text\":\"झुंझुनूं, राजस्थान\","
                            "\"source\":\"profile\"}]}",
                        &r, &rc);
        json_t *loc = json_object_get(o, "location");
        CHECK_INT(rc, 0);
        CHECK_STR(json_string_value(json_object_get(loc, "method")), "place");
        CHECK_STR(json_string_value(json_object_get(json_object_get(loc, "area"), "name")), "Jhunjhunu");
        CHECK_STR(json_string_value(json_object_get(json_object_get(loc, "area"), "kind")), "district");
        CHECK_STR(json_string_value(json_object_get(loc, "state")), "Rajasthan");
        CHECK_NEAR(json_number_value(json_object_get(loc, "lat")), 28.07989, 1e-6);
        CHECK(json_number_value(json_object_get(loc, "radius_m")) > 40000);
        CHECK(json_is_null(json_object_get(o, "phone_e164")));
        json_decref(o);
        enrich_result_free(&r);
}

static void test_other_messages(void)
{
        struct enrich_result r;
        int rc;
        json_t *o, *loc;

        /* no hints: none, no point */
        o = run(HDR "\"location_hints\":[]}", &r, &rc);
        loc = json_object_get(o, "location");
        CHECK_STR(json_string_value(json_object_get(loc, "method")), "none");
        CHECK(json_object_get(loc, "lat") == NULL);
        CHECK_NEAR(json_number_value(json_object_get(loc, "confidence")), 0, 1e-12);
        json_decref(o);
        enrich_result_free(&r);

        /* no location_hints at all, no revision: revision 1 */
        o = run("{\"schema\":\"prahari.alert/v1\",\"alert_id\":\"a-1\"}", &r, &rc);
        CHECK_INT(rc, 0);
        CHECK_INT(r.revision, 1);
        CHECK_STR(json_string_value(json_object_get(json_object_get(o, "location"), "method")), "none");
        json_decref(o);
        enrich_result_free(&r);

        /* IP only: method ip, state, no point */
        o = run(HDR "\"location_hints\":[{\"kind\":\"ip\",\"ip\":\"49.36.128.10\"}]}", &r, &rc);
        loc = json_object_get(o, "location");
        CHECK_STR(json_string_value(json_object_get(loc, "method")), "ip");
        CHECK_STR(json_string_value(json_object_get(loc, "state")), "Karnataka");
        CHECK(json_object_get(loc, "lat") == NULL);
        CHECK(json_object_get(loc, "area") == NULL);
        CHECK_STR(json_string_value(json_array_get(json_object_get(loc, "warnings"), 0)),
                  "ip_state_only");
        json_decref(o);
        enrich_result_free(&r);

        /* PIN as a number; stale fix; numeric strings; a swapped pair */
        o = run(HDR "\"location_hints\":[{\"kind\":\"pin\",\"code\":324005},"
                    "{\"kind\":\"gps\",\"lat\":\"75.845\",\"lon\":\"25.142\",\"accuracy_m\":20}]}",
                &r, &rc);
        loc = json_object_get(o, "location");
        CHECK_STR(json_string_value(json_object_get(loc, "method")), "pin");
        CHECK_STR(json_string_value(json_object_get(json_object_get(loc, "area"), "name")), "Kota");
        CHECK_STR(json_string_value(json_array_get(json_object_get(loc, "warnings"), 0)), "gps_swapped");
        json_decref(o);
        enrich_result_free(&r);

        o = run(HDR "\"location_hints\":[{\"kind\":\"gps\",\"lat\":24.5854,\"lon\":73.7125,"
                    "\"accuracy_m\":40,\"observed_at\":\"2026-12-03T05:00:00Z\"}]}",
                &r, &rc);
        loc = json_object_get(o, "location");
        CHECK_STR(json_string_value(json_object_get(loc, "method")), "gps");
        CHECK_STR(json_string_value(json_array_get(json_object_get(loc, "warnings"), 0)), "gps_stale");
        CHECK_NEAR(json_number_value(json_object_get(loc, "radius_m")), 80 + 29400, 1e-9);
        json_decref(o);
        enrich_result_free(&r);

        /* a PIN written inside the place text counts as a PIN and agrees */
        o = run(HDR "\"location_hints\":[{\"kind\":\"place\",\"text\":\"Talwandi, Kota - 324005\","
                    "\"source\":\"profile\"}]}",
                &r, &rc);
        loc = json_object_get(o, "location");
        CHECK_STR(json_string_value(json_object_get(loc, "method")), "pin");
        CHECK_STR(json_string_value(json_object_get(json_object_get(loc, "area"), "name")), "Kota");
        CHECK(json_number_value(json_object_get(loc, "confidence")) > 0.8); /* 0.7 and 0.42 agree */
        CHECK_INT(json_array_size(json_object_get(loc, "warnings")), 0);
        json_decref(o);
        enrich_result_free(&r);
        /* a 7-digit number is not a PIN */
        o = run(HDR "\"location_hints\":[{\"kind\":\"place\",\"text\":\"Kota 3240051\"}]}", &r, &rc);
        CHECK_STR(json_string_value(json_object_get(json_object_get(o, "location"), "method")), "place");
        json_decref(o);
        enrich_result_free(&r);

        o = run(HDR "\"location_hints\":[{\"kind\":\"gps\",\"lat\":\"north\",\"lon\":75},"
                    "{\"kind\":\"phone\",\"number\":\"not a number\"}]}",
                &r, &rc);
        loc = json_object_get(o, "location");
        CHECK_STR(json_string_value(json_object_get(loc, "method")), "none");
        CHECK_STR(json_string_value(json_array_get(json_object_get(loc, "warnings"), 0)),
                  "gps_out_of_range");
        CHECK(json_is_null(json_object_get(o, "phone_e164")));
        json_decref(o);
        enrich_result_free(&r);
}

static void test_deadletter(void)
{
        static const char *const bad[] = {
                "not json",
                "[1,2]",
                "{\"schema\":\"prahari.alert/v2\",\"alert_id\":\"x\"}",
                "{\"alert_id\":\"x\"}",
                "{\"schema\":\"prahari.alert/v1\"}",
                "{\"schema\":\"prahari.alert/v1\",\"alert_id\":\"\"}",
                "{\"schema\":\"prahari.alert/v1\",\"alert_id\":\"x\",\"revision\":\"2\"}",
                "{\"schema\":\"prahari.alert/v1\",\"alert_id\":\"x\",\"revision\":0}",
                "{\"schema\":\"prahari.alert/v1\",\"alert_id\":\"x\",\"location_hints\":{}}",
                "{\"schema\":\"prahari.alert/v1\",\"alert_id\":\"x\",\"alert_id\":\"y\"}",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct enrich_env env = {g, tn, NULL, NULL, 0, NULL, NULL};
                struct enrich_result r;
                char err[256] = "";
                int rc = enrich_message(&env, bad[i], strlen(bad[i]), &r, err, sizeof(err));
                CHECK_MSG(rc == -1, "accepted: %s", bad[i]);
                CHECK_MSG(err[0] != '\0', "no reason for %s", bad[i]);
                CHECK(r.message == NULL);
                enrich_result_free(&r);
        }
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
        test_gps_message();
        test_place_message();
        test_other_messages();
        test_deadletter();
        gazetteer_free(g);
        textnorm_free(tn);
        return test_summary("enrich_message");
}
