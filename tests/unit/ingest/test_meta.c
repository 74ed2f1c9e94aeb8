/* SPDX-License-Identifier: Apache-2.0 */
/* Meta way in: signatures over the fixture bytes, normalisation of the sample
 * reports, and a table of bad or odd reports with their outcome. */
#include <stdlib.h>
#include <string.h>

#include "../../testutil.h"
#include "fixtures.h"
#include "meta.h"

static const char *hint_str(const json_t *c, const char *kind, const char *key)
{
        size_t i;
        json_t *h;
        json_array_foreach(json_object_get(c, "location_hints"), i, h)
        {
                if (strcmp(json_string_value(json_object_get(h, "kind")), kind) == 0)
                        return json_string_value(json_object_get(h, key));
        }
        return NULL;
}

static const json_t *hint(const json_t *c, const char *kind)
{
        size_t i;
        json_t *h;
        json_array_foreach(json_object_get(c, "location_hints"), i, h)
        {
                if (strcmp(json_string_value(json_object_get(h, "kind")), kind) == 0)
                        return h;
        }
        return NULL;
}

static const char *cstr(const json_t *o, const char *k)
{
        return json_string_value(json_object_get(o, k));
}

static void test_signatures(void)
{
        char *secret = fx_secret("meta_app_secret", NULL);
        static const struct {
                const char *id;
                bool ok;
        } rows[] = {
            {"meta-01-kota-gps", true},   {"meta-02-two-reports", true},
            {"meta-03-ip-only", true},    {"meta-04-out-of-state", true},
            {"meta-05-bad-signature", false}, {"meta-06-reserialised", false},
            {"meta-07-quarantine", true}, {"meta-08-duplicate", true},
        };
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                json_t *c = fx_case(rows[i].id);
                size_t len;
                char *body = fx_read(json_string_value(json_object_get(c, "body")), &len);
                bool ok = meta_verify_signature(secret, body, len,
                                                fx_header(c, "X-Hub-Signature-256"));
                CHECK_MSG(ok == rows[i].ok, "%s", rows[i].id);
                /* one byte changed: never valid */
                body[len / 2] ^= 1;
                CHECK(!meta_verify_signature(secret, body, len,
                                             fx_header(c, "X-Hub-Signature-256")));
                free(body);
                json_decref(c);
        }
        CHECK(!meta_verify_signature(secret, "{}", 2, NULL));
        CHECK(!meta_verify_signature(secret, "{}", 2, "sha256="));
        CHECK(!meta_verify_signature(NULL, "{}", 2, "sha256=00"));
        free(secret);
}

static struct item_list parse_fixture(const char *file, int *rc)
{
        struct item_list l = {0};
        size_t len;
        char *body = fx_read(file, &len);
        char code[32], detail[256];
        *rc = meta_parse_delivery(body, len, "meta", 1764752710000000LL, &l, code, sizeof(code),
                                  detail, sizeof(detail));
        free(body);
        return l;
}

static void test_fixture_reports(void)
{
        int rc;
        struct item_list l = parse_fixture("bodies/meta-01-kota-gps.json", &rc);
        CHECK_INT(rc, 0);
        CHECK_INT(l.n, 1);
        struct ingest_item *it = &l.v[0];
        CHECK(!it->quarantined);
        CHECK_STR(it->source, "meta");
        CHECK_STR(it->source_alert_id, "MH-2026-000101");
        CHECK_STR(cstr(it->canonical, "schema"), "prahari.alert/v1");
        CHECK_STR(cstr(it->canonical, "severity"), "critical");
        CHECK_STR(cstr(it->canonical, "platform"), "instagram");
        CHECK_STR(cstr(it->canonical, "category"), "suicide");
        CHECK_STR(cstr(it->canonical, "reported_at"), "2025-12-03T09:05:00Z");
        CHECK_STR(cstr(it->canonical, "account_id"), "17841400000000001");
        CHECK_STR(cstr(it->canonical, "language"), "hi");
        const json_t *g = hint(it->canonical, "gps");
        CHECK(g != NULL);
        CHECK_NEAR(json_real_value(json_object_get(g, "lat")), 25.142, 1e-9);
        CHECK_NEAR(json_real_value(json_object_get(g, "lon")), 75.845, 1e-9);
        CHECK_NEAR(json_number_value(json_object_get(g, "accuracy_m")), 35, 1e-9);
        CHECK_STR(cstr(g, "source"), "device");
        CHECK_STR(cstr(g, "observed_at"), "2025-12-03T09:00:00Z");
        CHECK_STR(hint_str(it->canonical, "ip", "ip"), "2409:40d4:1a:3b2c::1");
        CHECK_STR(hint_str(it->canonical, "phone", "number"), "+91 90000 12345");
        /* least data: no text, no name in the canonical message */
        char *wire = json_dumps(it->canonical, 0);
        CHECK(strstr(wire, "aman") == NULL);
        CHECK(strstr(wire, "text") == NULL);
        free(wire);
        CHECK_STR(cstr(it->subject, "display_name"), "\xe0\xa4\x85\xe0\xa4\xae\xe0\xa4\xa8 "
                                                     "\xe0\xa4\x95\xe0\xa5\x81\xe0\xa4\xae\xe0\xa4\xbe\xe0\xa4\xb0");
        CHECK_STR(cstr(it->subject, "username"), "aman.k.2007");
        CHECK_STR(cstr(it->subject, "profile_url"), "https://www.instagram.com/aman.k.2007/");
        CHECK_STR(cstr(it->content, "kind"), "post");
        CHECK_STR(cstr(it->content, "url"), "https://www.instagram.com/p/C0ffee12345/");
        CHECK(strstr(cstr(it->content, "text"), "\xf0\x9f\x99\x8f") != NULL); /* emoji kept */
        CHECK_INT(strlen(it->content_hash), 64);
        char hash1[65];
        memcpy(hash1, it->content_hash, 65);
        item_list_free(&l);

        /* meta-08 is the same report: same hash (dedup) */
        l = parse_fixture("bodies/meta-08-duplicate.json", &rc);
        CHECK_INT(l.n, 1);
        CHECK_STR(l.v[0].content_hash, hash1);
        item_list_free(&l);

        /* meta-06 (raw UTF-8 instead of \u escapes) is the same content: same hash */
        l = parse_fixture("bodies/meta-05-bad-signature.json", &rc);
        CHECK_INT(l.n, 1);
        char hash5[65];
        memcpy(hash5, l.v[0].content_hash, 65);
        CHECK(strcmp(hash5, hash1) != 0); /* different report id */
        item_list_free(&l);

        l = parse_fixture("bodies/meta-02-two-reports.json", &rc);
        CHECK_INT(rc, 0);
        CHECK_INT(l.n, 2);
        CHECK_STR(l.v[0].source_alert_id, "MH-2026-000102");
        CHECK_STR(cstr(l.v[0].canonical, "account_id"), "100089765432101234");
        CHECK_STR(cstr(l.v[0].subject, "account_id"), "100089765432101234");
        CHECK_STR(cstr(l.v[0].canonical, "severity"), "high");
        CHECK_STR(hint_str(l.v[0].canonical, "place", "text"),
                  "\xe0\xa4\x9d\xe0\xa5\x81\xe0\xa4\x82\xe0\xa4\x9d\xe0\xa5\x81\xe0\xa4\xa8\xe0\xa5"
                  "\x82\xe0\xa4\x82, \xe0\xa4\xb0\xe0\xa4\xbe\xe0\xa4\x9c\xe0\xa4\xb8\xe0\xa5\x8d"
                  "\xe0\xa4\xa5\xe0\xa4\xbe\xe0\xa4\xa8");
        CHECK_STR(hint_str(l.v[0].canonical, "place", "source"), "profile");
        CHECK(hint(l.v[0].canonical, "gps") == NULL);
        CHECK_STR(l.v[1].source_alert_id, "MH-2026-000103");
        CHECK_STR(cstr(l.v[1].canonical, "severity"), "critical");
        CHECK(hint(l.v[1].canonical, "gps") != NULL);
        item_list_free(&l);

        l = parse_fixture("bodies/meta-03-ip-only.json", &rc);
        CHECK_INT(l.n, 1);
        CHECK_STR(hint_str(l.v[0].canonical, "ip", "ip"), "49.36.128.10");
        CHECK_STR(hint_str(l.v[0].canonical, "ip", "observed_at"), "2025-12-03T09:01:40Z");
        CHECK(hint(l.v[0].canonical, "gps") == NULL);
        item_list_free(&l);

        l = parse_fixture("bodies/meta-07-quarantine.json", &rc);
        CHECK_INT(rc, 0);
        CHECK_INT(l.n, 2);
        CHECK(l.v[0].quarantined);
        CHECK_STR(l.v[0].reason, "entry[0].changes[0].value.report_id: required");
        CHECK_STR(l.v[0].field, "entry[0].changes[0].value.report_id");
        CHECK(l.v[0].raw && strstr(l.v[0].raw, "\"platform\":\"facebook\"") != NULL);
        CHECK(l.v[0].canonical == NULL);
        CHECK(!l.v[1].quarantined);
        CHECK_STR(l.v[1].source_alert_id, "MH-2026-000108");
        item_list_free(&l);
}

/* A delivery wrapping one REPORT given as JSON text. */
static struct item_list one(const char *report, int *rc, char *detail, size_t dsz)
{
        char body[4096];
        snprintf(body, sizeof(body),
                 "{\"object\":\"safety_report\",\"entry\":[{\"id\":\"1\",\"time\":1764752710,"
                 "\"changes\":[{\"field\":\"imminent_harm_report\",\"value\":%s}]}]}",
                 report);
        struct item_list l = {0};
        char code[32];
        *rc = meta_parse_delivery(body, strlen(body), "meta", 0, &l, code, sizeof(code), detail,
                                  dsz);
        return l;
}

#define BASE_HEAD "{\"report_id\":\"R-1\",\"platform\":\"facebook\",\"risk_level\":\"elevated\","
#define GOOD_TAIL "\"category\":\"self_injury\",\"detected_time\":1764752700,"           \
                  "\"account\":{\"id\":\"42\"},\"content\":{\"type\":\"comment\"}"

static void test_report_table(void)
{
        static const struct {
                const char *report;
                const char *reason; /* NULL: accepted */
        } rows[] = {
            {BASE_HEAD GOOD_TAIL "}", NULL},
            {BASE_HEAD GOOD_TAIL ",\"unknown_field\":{\"x\":1}}", NULL},
            {"{\"platform\":\"facebook\",\"risk_level\":\"high\"," GOOD_TAIL "}",
             "entry[0].changes[0].value.report_id: required"},
            {"{\"report_id\":\"\",\"platform\":\"facebook\",\"risk_level\":\"high\"," GOOD_TAIL "}",
             "entry[0].changes[0].value.report_id: must not be empty"},
            {"{\"report_id\":7,\"platform\":\"facebook\",\"risk_level\":\"high\"," GOOD_TAIL "}",
             "entry[0].changes[0].value.report_id: must be a string"},
            {"{\"report_id\":\"R\\u0000X\",\"platform\":\"facebook\",\"risk_level\":\"high\"," GOOD_TAIL
             "}",
             "entry[0].changes[0].value.report_id: must not contain NUL"},
            {"{\"report_id\":\"R-1\",\"platform\":\"myspace\",\"risk_level\":\"high\"," GOOD_TAIL "}",
             "entry[0].changes[0].value.platform: must be one of facebook|instagram|threads"},
            {"{\"report_id\":\"R-1\",\"platform\":\"facebook\",\"risk_level\":\"low\"," GOOD_TAIL "}",
             "entry[0].changes[0].value.risk_level: must be one of imminent|high|elevated"},
            {BASE_HEAD "\"category\":\"sad\",\"detected_time\":1764752700,\"account\":{\"id\":\"4\"},"
                       "\"content\":{\"type\":\"post\"}}",
             "entry[0].changes[0].value.category: must be one of suicide|self_injury"},
            {BASE_HEAD "\"category\":\"suicide\",\"detected_time\":\"2026-12-03T09:05:00Z\","
                       "\"account\":{\"id\":\"4\"},\"content\":{\"type\":\"post\"}}",
             "entry[0].changes[0].value.detected_time: must be unix seconds (an integer)"},
            {BASE_HEAD "\"category\":\"suicide\",\"detected_time\":12,"
                       "\"account\":{\"id\":\"4\"},\"content\":{\"type\":\"post\"}}",
             "entry[0].changes[0].value.detected_time: out of range (2000..2100)"},
            {BASE_HEAD "\"category\":\"suicide\",\"detected_time\":1764752700,"
                       "\"content\":{\"type\":\"post\"}}",
             "entry[0].changes[0].value.account: required"},
            {BASE_HEAD "\"category\":\"suicide\",\"detected_time\":1764752700,\"account\":{},"
                       "\"content\":{\"type\":\"post\"}}",
             "entry[0].changes[0].value.account.id: required"},
            {BASE_HEAD "\"category\":\"suicide\",\"detected_time\":1764752700,"
                       "\"account\":{\"id\":true},\"content\":{\"type\":\"post\"}}",
             "entry[0].changes[0].value.account.id: must be a string or an integer"},
            {BASE_HEAD "\"category\":\"suicide\",\"detected_time\":1764752700,"
                       "\"account\":{\"id\":123456789012345678901234567890},\"content\":{\"type\":\"post\"}}",
             "entry[0].changes[0].value.account.id: integer beyond 64 bits"},
            {BASE_HEAD "\"category\":\"suicide\",\"detected_time\":1764752700,"
                       "\"account\":{\"id\":\"4\",\"phone\":5},\"content\":{\"type\":\"post\"}}",
             "entry[0].changes[0].value.account.phone: must be a string"},
            {BASE_HEAD "\"category\":\"suicide\",\"detected_time\":1764752700,"
                       "\"account\":{\"id\":\"4\"}}",
             "entry[0].changes[0].value.content: required"},
            {BASE_HEAD "\"category\":\"suicide\",\"detected_time\":1764752700,"
                       "\"account\":{\"id\":\"4\"},\"content\":{\"type\":\"tweet\"}}",
             "entry[0].changes[0].value.content.type: must be one of post|comment|story|reel|live_video|message"},
            {BASE_HEAD "\"category\":\"suicide\",\"detected_time\":1764752700,"
                       "\"account\":{\"id\":\"4\"},\"content\":{\"type\":\"post\",\"text\":[1]}}",
             "entry[0].changes[0].value.content.text: must be a string"},
            {BASE_HEAD "\"category\":\"suicide\",\"detected_time\":1764752700,"
                       "\"account\":{\"id\":\"4\"},\"content\":{\"type\":\"post\",\"media\":[{\"type\":\"gif\",\"url\":\"u\"}]}}",
             "entry[0].changes[0].value.content.media[0].type: must be one of photo|video"},
            {BASE_HEAD GOOD_TAIL ",\"signals\":{\"device_location\":{\"latitude\":95,\"longitude\":75}}}",
             "entry[0].changes[0].value.signals.device_location.latitude: out of range [-90, 90]"},
            {BASE_HEAD GOOD_TAIL ",\"signals\":{\"device_location\":{\"latitude\":\"25.1\",\"longitude\":75}}}",
             "entry[0].changes[0].value.signals.device_location.latitude: must be a number"},
            {BASE_HEAD GOOD_TAIL ",\"signals\":{\"ip_addresses\":[{\"seen_time\":1764752700}]}}",
             "entry[0].changes[0].value.signals.ip_addresses[0].ip: required"},
            {BASE_HEAD GOOD_TAIL ",\"signals\":\"Kota\"}",
             "entry[0].changes[0].value.signals: must be an object"},
            {"\"just a string\"", "entry[0].changes[0].value: must be an object"},
        };
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                int rc;
                char detail[256] = "";
                struct item_list l = one(rows[i].report, &rc, detail, sizeof(detail));
                CHECK_MSG(rc == 0, "row %zu: %s", i, detail);
                if (rc != 0 || l.n != 1) {
                        CHECK_MSG(0, "row %zu: %zu items", i, l.n);
                        item_list_free(&l);
                        continue;
                }
                if (rows[i].reason) {
                        CHECK_MSG(l.v[0].quarantined, "row %zu", i);
                        CHECK_STR(l.v[0].reason, rows[i].reason);
                        CHECK(l.v[0].raw != NULL && l.v[0].rawlen > 0);
                } else {
                        CHECK_MSG(!l.v[0].quarantined, "row %zu: %s", i, l.v[0].reason);
                        CHECK_STR(cstr(l.v[0].canonical, "severity"), "medium");
                        CHECK_STR(cstr(l.v[0].canonical, "category"), "self_injury");
                }
                item_list_free(&l);
        }
}

static void test_odd_values(void)
{
        int rc;
        char detail[256];
        /* detected_time in milliseconds: read as seconds */
        struct item_list l = one(BASE_HEAD "\"category\":\"suicide\",\"detected_time\":1764752700123,"
                                           "\"account\":{\"id\":9007199254740993},\"content\":{\"type\":\"post\","
                                           "\"text\":\"a\\u0000b\"},\"signals\":{\"postal_code\":\"324 005\","
                                           "\"profile_location\":\"  \",\"ip_addresses\":[{\"ip\":\"not-an-ip\"}]}}",
                                 &rc, detail, sizeof(detail));
        CHECK_INT(l.n, 1);
        CHECK(!l.v[0].quarantined);
        CHECK_STR(cstr(l.v[0].canonical, "reported_at"), "2025-12-03T09:05:00Z");
        CHECK_STR(cstr(l.v[0].canonical, "account_id"), "9007199254740993"); /* 2^53+1 kept */
        CHECK_STR(hint_str(l.v[0].canonical, "pin", "code"), "324005");
        CHECK(hint(l.v[0].canonical, "place") == NULL); /* blank place ignored */
        CHECK(hint(l.v[0].canonical, "ip") == NULL);    /* not an address: no hint */
        /* NUL in free text replaced by U+FFFD for PostgreSQL */
        CHECK_STR(cstr(l.v[0].content, "text"), "a\xef\xbf\xbd" "b");
        item_list_free(&l);

        /* changes of another field are ignored */
        const char *body = "{\"object\":\"safety_report\",\"entry\":[{\"id\":\"1\",\"changes\":"
                           "[{\"field\":\"other\",\"value\":{}}]}]}";
        char code[32];
        rc = meta_parse_delivery(body, strlen(body), "meta", 0, &l, code, sizeof(code), detail,
                                 sizeof(detail));
        CHECK_INT(rc, 0);
        CHECK_INT(l.n, 0);
        item_list_free(&l);
}

static void test_envelope_errors(void)
{
        static const struct {
                const char *body;
                const char *code;
                const char *detail_has;
        } rows[] = {
            {"not json", "invalid_json", "body: not valid JSON"},
            {"[1,2]", "invalid_json", "body: must be a JSON object"},
            {"{\"object\":\"page\",\"entry\":[]}", "invalid_envelope", "object: must be"},
            {"{\"object\":\"safety_report\"}", "invalid_envelope", "entry: required"},
            {"{\"object\":\"safety_report\",\"entry\":[5]}", "invalid_envelope", "entry[0]: must be an object"},
            {"{\"object\":\"safety_report\",\"entry\":[{\"id\":\"1\"}]}", "invalid_envelope",
             "entry[0].changes: required"},
            {"{\"object\":\"safety_report\",\"entry\":[{\"changes\":[{\"value\":{}}]}]}",
             "invalid_envelope", "entry[0].changes[0].field: required"},
            {"{\"object\":\"safety_report\",\"object\":\"x\",\"entry\":[]}", "invalid_json",
             "duplicate"},
            {"{\"object\":\"safety_report\",\"entry\":[],\"x\":\"\xff\"}", "invalid_json", "decode byte 0xff"},
        };
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                struct item_list l = {0};
                char code[32] = "", detail[256] = "";
                int rc = meta_parse_delivery(rows[i].body, strlen(rows[i].body), "meta", 0, &l,
                                             code, sizeof(code), detail, sizeof(detail));
                CHECK_INT(rc, -1);
                CHECK_STR(code, rows[i].code);
                CHECK_MSG(strstr(detail, rows[i].detail_has) != NULL, "row %zu: %s", i, detail);
                CHECK_INT(l.n, 0);
                item_list_free(&l);
        }
}

int main(void)
{
        test_signatures();
        test_fixture_reports();
        test_report_table();
        test_odd_values();
        test_envelope_errors();
        return test_summary("ingest_meta");
}
