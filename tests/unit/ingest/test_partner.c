/* SPDX-License-Identifier: Apache-2.0 */
/* The canonical way in: per-partner keys (a key never authenticates another
 * partner), the fixture alert, and partner_alert validation errors. */
#include <stdlib.h>
#include <string.h>

#include "../../testutil.h"
#include "fixtures.h"
#include "partner.h"

static const char *cstr(const json_t *o, const char *k)
{
        return json_string_value(json_object_get(o, k));
}

static struct partner_keys *keys_from_secrets(void)
{
        size_t len;
        char *s = fx_read("secrets.json", &len);
        json_t *root = json_loadb(s, len, 0, NULL);
        char *txt = json_dumps(json_object_get(root, "partner_keys"), 0);
        char err[256];
        struct partner_keys *k = partner_keys_parse(txt, strlen(txt), err, sizeof(err));
        free(txt);
        free(s);
        json_decref(root);
        return k;
}

static void test_keys_and_signature(void)
{
        struct partner_keys *k = keys_from_secrets();
        CHECK(k != NULL);
        CHECK_INT(partner_keys_count(k), 2);
        json_t *c = fx_case("alerts-01-pin-kota");
        size_t len;
        char *body = fx_read(json_string_value(json_object_get(c, "body")), &len);
        const char *sig = fx_header(c, "X-Prahari-Signature");
        const char *who = fx_header(c, "X-Prahari-Partner");
        CHECK_STR(who, "sharechat");
        CHECK(partner_verify(k, who, body, len, sig));
        CHECK(!partner_verify(k, "koo", body, len, sig));     /* other partner's key */
        CHECK(!partner_verify(k, "unknown", body, len, sig)); /* not configured */
        CHECK(!partner_verify(k, who, body, len - 1, sig));   /* body changed */
        CHECK(!partner_verify(k, who, body, len, NULL));
        /* sign with koo's key: authenticates koo only */
        unsigned char mac[32];
        char hex[65], hdr[80];
        util_hmac_sha256("test-koo-key-0c1d", 17, body, len, mac);
        util_hex(mac, 32, hex);
        snprintf(hdr, sizeof(hdr), "sha256=%s", hex);
        CHECK(partner_verify(k, "koo", body, len, hdr));
        CHECK(!partner_verify(k, "sharechat", body, len, hdr));

        struct item_list l = {0};
        char code[32], detail[256];
        CHECK_INT(partner_parse_delivery(who, body, len, 5, &l, code, sizeof(code), detail,
                                         sizeof(detail)),
                  0);
        CHECK_INT(l.n, 1);
        struct ingest_item *it = &l.v[0];
        CHECK(!it->quarantined);
        CHECK_STR(it->source, "sharechat");
        CHECK_STR(it->way, "alerts");
        CHECK_STR(it->source_alert_id, "SC-88213");
        CHECK_STR(cstr(it->canonical, "severity"), "high");
        CHECK_STR(cstr(it->canonical, "platform"), "sharechat");
        CHECK_STR(cstr(it->canonical, "reported_at"), "2026-12-03T09:30:00Z");
        CHECK_STR(cstr(it->canonical, "language"), "hi");
        json_t *hints = json_object_get(it->canonical, "location_hints");
        CHECK_INT(json_array_size(hints), 2);
        CHECK_STR(cstr(json_array_get(hints, 0), "kind"), "pin");
        CHECK_STR(cstr(json_array_get(hints, 0), "code"), "324005");
        CHECK_STR(cstr(json_array_get(hints, 1), "kind"), "phone");
        CHECK_STR(cstr(json_array_get(hints, 1), "number"), "9000012377");
        CHECK_STR(cstr(it->subject, "display_name"), "Test User SC");
        CHECK(strstr(cstr(it->content, "text"), "khatam") != NULL);
        item_list_free(&l);

        /* the same body claimed by koo: source mismatch -> quarantined */
        CHECK_INT(partner_parse_delivery("koo", body, len, 5, &l, code, sizeof(code), detail,
                                         sizeof(detail)),
                  0);
        CHECK(l.n == 1 && l.v[0].quarantined);
        CHECK_STR(l.v[0].source, "koo");
        CHECK_STR(l.v[0].reason,
                  "alerts[0].source: must equal the authenticated partner (X-Prahari-Partner)");
        item_list_free(&l);
        free(body);
        json_decref(c);
        partner_keys_free(k);

        char err[200];
        CHECK(partner_keys_parse("[]", 2, err, sizeof(err)) == NULL);
        CHECK(partner_keys_parse("{\"a\":\"short\"}", 13, err, sizeof(err)) == NULL);
        CHECK(strstr(err, "\"a\"") != NULL);
}

#define HEAD "{\"source\":\"sharechat\",\"source_alert_id\":\"S-1\",\"severity\":\"medium\"," \
             "\"category\":\"suicide\",\"reported_at\":\"2026-12-03T09:30:00+05:30\""

static void test_table(void)
{
        static const struct {
                const char *alert;
                const char *reason;
        } rows[] = {
            {HEAD "}", NULL},
            {HEAD ",\"location_hints\":[{\"kind\":\"gps\",\"lat\":26.9,\"lon\":75.8,\"accuracy_m\":10,"
                  "\"observed_at\":\"2026-12-03T09:00:00Z\"},{\"kind\":\"place\",\"text\":\"Kota\"},"
                  "{\"kind\":\"ip\",\"ip\":\"49.36.128.10\"},{\"kind\":\"phone\",\"number\":\"+919000012345\"}]}",
             NULL},
            {"{\"source_alert_id\":\"S-1\",\"severity\":\"high\",\"category\":\"suicide\","
             "\"reported_at\":\"2026-12-03T09:30:00Z\"}",
             "alerts[0].source: required"},
            {"{\"source\":\"sharechat\",\"severity\":\"high\",\"category\":\"suicide\","
             "\"reported_at\":\"2026-12-03T09:30:00Z\"}",
             "alerts[0].source_alert_id: required"},
            {"{\"source\":\"sharechat\",\"source_alert_id\":\"S-1\",\"severity\":\"urgent\","
             "\"category\":\"suicide\",\"reported_at\":\"2026-12-03T09:30:00Z\"}",
             "alerts[0].severity: must be one of critical|high|medium"},
            {"{\"source\":\"sharechat\",\"source_alert_id\":\"S-1\",\"severity\":\"high\","
             "\"category\":\"suicide\",\"reported_at\":\"03/12/2026\"}",
             "alerts[0].reported_at: must be an RFC 3339 time"},
            {HEAD ",\"location_hints\":[{\"kind\":\"pin\",\"code\":\"024005\"}]}",
             "alerts[0].location_hints[0].code: must be a 6-digit PIN not starting with 0"},
            {HEAD ",\"location_hints\":[{\"kind\":\"gps\",\"lat\":26.9}]}",
             "alerts[0].location_hints[0].lon: required"},
            {HEAD ",\"location_hints\":[{\"kind\":\"gps\",\"lat\":26.9,\"lon\":75,\"source\":\"moon\"}]}",
             "alerts[0].location_hints[0].source: must be one of device|recording|ip|account_home|partner"},
            {HEAD ",\"location_hints\":[{\"kind\":\"satellite\"}]}",
             "alerts[0].location_hints[0].kind: must be one of gps|pin|place|ip|phone"},
            {HEAD ",\"location_hints\":[{\"kind\":\"place\",\"text\":\"\"}]}",
             "alerts[0].location_hints[0].text: must not be empty"},
            {HEAD ",\"location_hints\":{}}", "alerts[0].location_hints: must be an array"},
            {HEAD ",\"subject\":{\"phone\":919000012345}}", "alerts[0].subject.phone: must be a string"},
            {HEAD ",\"content\":{\"text\":{}}}", "alerts[0].content.text: must be a string"},
            {"7", "alerts[0]: must be an object"},
        };
        /* schema maxLength 500 (characters, not bytes) for a place */
        for (int len = 500; len <= 501; len++) {
                char body[4096], code[32], detail[256];
                int o = snprintf(body, sizeof(body), "{\"alerts\":[" HEAD ",\"location_hints\":[{\"kind\":\"place\",\"text\":\"");
                for (int c = 0; c < len; c++)
                        o += snprintf(body + o, sizeof(body) - (size_t)o, "%s", c % 2 ? "\xe0\xa4\x95" : "a");
                snprintf(body + o, sizeof(body) - (size_t)o, "\"}]}]}");
                struct item_list l = {0};
                CHECK_INT(partner_parse_delivery("sharechat", body, strlen(body), 1, &l, code, sizeof(code),
                                                 detail, sizeof(detail)),
                          0);
                CHECK(l.n == 1 && l.v[0].quarantined == (len > 500));
                if (len > 500)
                        CHECK_STR(l.v[0].reason, "alerts[0].location_hints[0].text: longer than 500 characters");
                item_list_free(&l);
        }
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                char body[2048], code[32], detail[256];
                snprintf(body, sizeof(body), "{\"alerts\":[%s]}", rows[i].alert);
                struct item_list l = {0};
                CHECK_INT(partner_parse_delivery("sharechat", body, strlen(body), 1, &l, code,
                                                 sizeof(code), detail, sizeof(detail)),
                          0);
                CHECK_INT(l.n, 1);
                if (rows[i].reason) {
                        CHECK_MSG(l.v[0].quarantined, "row %zu", i);
                        CHECK_STR(l.v[0].reason, rows[i].reason);
                } else {
                        CHECK_MSG(!l.v[0].quarantined, "row %zu: %s", i, l.v[0].reason);
                        CHECK_STR(cstr(l.v[0].canonical, "reported_at"), "2026-12-03T04:00:00Z");
                }
                item_list_free(&l);
        }
        struct item_list l = {0};
        char code[32], detail[256];
        CHECK_INT(partner_parse_delivery("sharechat", "{\"alert\":[]}", 12, 1, &l, code, sizeof(code),
                                         detail, sizeof(detail)),
                  -1);
        CHECK_STR(detail, "alerts: required, must be an array");
        CHECK_INT(l.n, 0);
}

int main(void)
{
        test_keys_and_signature();
        test_table();
        return test_summary("ingest_partner");
}
