/* SPDX-License-Identifier: Apache-2.0 */
/* The routed message, deterministic notification ids, and inbound bodies. */
#include <stdlib.h>
#include "routed.h"
#include "testutil.h"

static const char routed_kota[] =
        "{\"schema\":\"prahari.alert/v1\",\"alert_id\":\"0b6f5c1e-3a1d-4c59-9f3e-2d1c0b9a8f70\","
        "\"revision\":1,\"short_code\":\"K7Q2XM\",\"source\":\"meta\",\"way\":\"meta\","
        "\"source_alert_id\":\"MH-2026-000101\",\"platform\":\"instagram\",\"severity\":\"critical\","
        "\"category\":\"suicide\",\"reported_at\":\"2026-12-03T09:05:00Z\","
        "\"location\":{\"method\":\"gps\",\"lat\":25.142,\"lon\":75.845,\"radius_m\":35,"
        "\"confidence\":0.95},\"phone_e164\":\"+919000012345\","
        "\"routing\":{\"route\":\"district\",\"district\":\"Kota\",\"reason\":\"point_in_polygon\","
        "\"boundary_version\":\"rajasthan_districts_41@sha256:9e97df22\","
        "\"jurisdictions\":[{\"name\":\"Kota\",\"lead\":true,\"overlap\":1.0}],"
        "\"recipients\":[{\"recipient_id\":\"KOTA-SP\",\"jurisdiction\":\"Kota\",\"role\":\"sp\","
        "\"level\":1,\"name\":\"SP Kota\",\"phone\":\"+919876500001\",\"email\":"
        "\"sp.kota@police.example\",\"lang\":\"en\"},{\"recipient_id\":\"KOTA-CR\","
        "\"jurisdiction\":\"Kota\",\"role\":\"control_room\",\"level\":1,\"name\":\"Control Room Kota\","
        "\"phone\":\"+919876500002\",\"email\":null,\"lang\":\"hi\"}]}}";

int main(void)
{
        struct routed r;
        char err[200] = "";
        CHECK_INT(routed_parse(routed_kota, strlen(routed_kota), &r, err, sizeof err), 0);
        CHECK_STR(r.alert_id, "0b6f5c1e-3a1d-4c59-9f3e-2d1c0b9a8f70");
        CHECK_STR(r.short_code, "K7Q2XM");
        CHECK_STR(r.severity, "critical");
        CHECK_STR(r.district, "Kota");
        CHECK_STR(r.route, "district");
        CHECK_INT(r.nr, 2);
        CHECK_STR(r.r[0].phone, "+919876500001");
        CHECK_STR(r.r[1].lang, "hi");
        CHECK(r.r[1].email == NULL);
        CHECK_INT(r.r[1].level, 1);
        routed_free(&r);

        /* Each broken field is named. */
        static const struct {
                const char *from, *to, *field;
        } broken[] = {
                {"\"schema\":\"prahari.alert/v1\"", "\"schema\":\"x\"", "schema"},
                {"\"alert_id\":\"0b6f5c1e-3a1d-4c59-9f3e-2d1c0b9a8f70\"", "\"alert_id\":\"12\"",
                 "alert_id"},
                {"\"short_code\":\"K7Q2XM\"", "\"short_code\":\"K7Q\"", "short_code"},
                {"\"severity\":\"critical\"", "\"severity\":\"urgent\"", "severity"},
                {"\"route\":\"district\"", "\"route\":\"elsewhere\"", "routing.route"},
                {"\"district\":\"Kota\"", "\"district\":null", "routing.district"},
                {"\"phone\":\"+919876500001\"", "\"phone\":\"98765 00001\"",
                 "routing.recipients[0].phone"},
                {"\"email\":\"sp.kota@police.example\"", "\"email\":\"x@y\\r\\nBcc: z@w.example\"",
                 "routing.recipients[0].email"},
                {"\"recipient_id\":\"KOTA-CR\"", "\"recipient_id\":\"\"",
                 "routing.recipients[1].recipient_id"},
        };
        for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
                const char *at = strstr(routed_kota, broken[i].from);
                CHECK(at != NULL);
                if (!at)
                        continue;
                char msg[4096];
                snprintf(msg, sizeof msg, "%.*s%s%s", (int)(at - routed_kota), routed_kota,
                         broken[i].to, at + strlen(broken[i].from));
                CHECK_INT(routed_parse(msg, strlen(msg), &r, err, sizeof err), -1);
                CHECK_MSG(strncmp(err, broken[i].field, strlen(broken[i].field)) == 0,
                          "case %zu: %s", i, err);
        }
        CHECK_INT(routed_parse("[]", 2, &r, err, sizeof err), -1);

        /* Ids: deterministic, distinct per key part, UUID shaped. */
        char id1[37], ref1[26], id2[37], ref2[26];
        routed_ids("0b6f5c1e-3a1d-4c59-9f3e-2d1c0b9a8f70", "KOTA-SP", "sms", 1, id1, ref1);
        routed_ids("0b6f5c1e-3a1d-4c59-9f3e-2d1c0b9a8f70", "KOTA-SP", "sms", 1, id2, ref2);
        CHECK_STR(id1, id2);
        CHECK_STR(ref1, ref2);
        CHECK_INT(strlen(id1), 36);
        CHECK_INT(strlen(ref1), 25);
        CHECK(id1[14] == '8');
        CHECK(strchr("89ab", id1[19]) != NULL);
        static const struct {
                const char *rid, *ch;
                int level;
        } other[] = {{"KOTA-SP", "email", 1}, {"KOTA-SP", "sms", 2}, {"KOTA-CR", "sms", 1}};
        for (size_t i = 0; i < 3; i++) {
                routed_ids("0b6f5c1e-3a1d-4c59-9f3e-2d1c0b9a8f70", other[i].rid, other[i].ch,
                           other[i].level, id2, ref2);
                CHECK(strcmp(id1, id2) != 0);
                CHECK(strcmp(ref1, ref2) != 0);
        }

        /* Revision ids: revision 0 is routed_ids itself; others differ per
         * revision and stay deterministic (the "moved away" notices). */
        char id3[37], ref3[26];
        routed_ids_rev("0b6f5c1e-3a1d-4c59-9f3e-2d1c0b9a8f70", "KOTA-SP", "sms", 1, 0, id3, ref3);
        CHECK_STR(id3, id1);
        CHECK_STR(ref3, ref1);
        routed_ids_rev("0b6f5c1e-3a1d-4c59-9f3e-2d1c0b9a8f70", "KOTA-SP", "sms", 1, 2, id3, ref3);
        CHECK(strcmp(id3, id1) != 0 && strcmp(ref3, ref1) != 0);
        routed_ids_rev("0b6f5c1e-3a1d-4c59-9f3e-2d1c0b9a8f70", "KOTA-SP", "sms", 1, 2, id2, ref2);
        CHECK_STR(id3, id2);
        CHECK_STR(ref3, ref2);
        routed_ids_rev("0b6f5c1e-3a1d-4c59-9f3e-2d1c0b9a8f70", "KOTA-SP", "sms", 1, 3, id2, ref2);
        CHECK(strcmp(id3, id2) != 0 && strcmp(ref3, ref2) != 0);

        /* A revision that moved the alert from Baran to Kota: routing.parents
         * and routing.moved_from. */
        {
                char moved[4096];
                const char *at = strstr(routed_kota, "\"recipients\":[");
                CHECK(at != NULL);
                snprintf(moved, sizeof moved,
                         "%.*s\"parents\":[\"Kota\",\"STATE_COMMAND_CENTRE\"],"
                         "\"moved_from\":{\"jurisdiction\":\"Baran\",\"recipients\":["
                         "{\"recipient_id\":\"BARAN-SP\",\"jurisdiction\":\"Baran\",\"level\":1,"
                         "\"phone\":\"+919000015101\",\"email\":null,\"lang\":\"hi\"}]},%s",
                         (int)(at - routed_kota), routed_kota, at);
                CHECK_INT(routed_parse(moved, strlen(moved), &r, err, sizeof err), 0);
                CHECK_INT(r.nparents, 2);
                CHECK_STR(r.parents[0], "Kota");
                CHECK_STR(r.parents[1], "STATE_COMMAND_CENTRE");
                CHECK_STR(r.moved_from, "Baran");
                CHECK_INT(r.nmr, 1);
                CHECK_STR(r.mr[0].recipient_id, "BARAN-SP");
                CHECK_STR(r.mr[0].lang, "hi");
                CHECK_INT(r.nr, 2);
                routed_free(&r);
                char bad[4096];
                const char *ph = strstr(moved, "+919000015101");
                snprintf(bad, sizeof bad, "%.*s12345%s", (int)(ph - moved), moved, ph + 13);
                CHECK_INT(routed_parse(bad, strlen(bad), &r, err, sizeof err), -1);
                CHECK_MSG(strcmp(err, "routing.moved_from.recipients[0].phone: not E.164") == 0,
                          "%s", err);
        }
        CHECK_INT(routed_parse(routed_kota, strlen(routed_kota), &r, err, sizeof err), 0);
        CHECK(r.moved_from == NULL && r.nmr == 0 && r.nparents == 0);
        routed_free(&r);

        /* SMS replies. */
        static const struct {
                const char *body;
                int rc;
                const char *code;
        } inbound[] = {
                {"{\"from\":\"+919876500001\",\"text\":\"ACK K7Q2XM\"}", 1, "K7Q2XM"},
                {"{\"from\":\"+919876500001\",\"text\":\"  ack k7q2xm \"}", 1, "K7Q2XM"},
                {"{\"from\":\"+919876500001\",\"text\":\"ACK\\tK7Q2XM\\n\"}", 1, "K7Q2XM"},
                {"{\"from\":\"+919876500001\",\"text\":\"ACKK7Q2XM\"}", 0, NULL},
                {"{\"from\":\"+919876500001\",\"text\":\"ACK K7Q2XMX\"}", 0, NULL},
                {"{\"from\":\"+919876500001\",\"text\":\"ACK K7Q\"}", 0, NULL},
                {"{\"from\":\"+919876500001\",\"text\":\"on my way\"}", 0, NULL},
                {"{\"text\":\"ACK K7Q2XM\"}", -1, NULL},
                {"not json", -1, NULL},
        };
        for (size_t i = 0; i < sizeof inbound / sizeof inbound[0]; i++) {
                char from[32] = "", code[7] = "";
                int rc = routed_parse_inbound(inbound[i].body, strlen(inbound[i].body), from, code);
                CHECK_MSG(rc == inbound[i].rc, "inbound %zu: %d", i, rc);
                if (inbound[i].code) {
                        CHECK_STR(code, inbound[i].code);
                        CHECK_STR(from, "+919876500001");
                }
        }

        /* Delivery reports. */
        struct dlr d;
        const char *dl = "{\"message_id\":\"gw-1\",\"client_ref\":\"pabc\",\"status\":\"DELIVRD\","
                         "\"at\":\"2026-12-03T09:05:12Z\"}";
        CHECK_INT(routed_parse_dlr(dl, strlen(dl), &d, err, sizeof err), 0);
        CHECK_STR(d.message_id, "gw-1");
        CHECK(routed_dlr_delivered(d.status));
        dl = "{\"message_id\":\"gw-1\",\"status\":\"LOST\"}";
        CHECK_INT(routed_parse_dlr(dl, strlen(dl), &d, err, sizeof err), -1);
        CHECK(strncmp(err, "status", 6) == 0);
        dl = "{\"status\":\"UNDELIV\"}";
        CHECK_INT(routed_parse_dlr(dl, strlen(dl), &d, err, sizeof err), -1);
        CHECK(!routed_dlr_delivered("UNDELIV"));

        /* Form bodies. */
        const char *form = "action=ack&outcome=person_reached&note=a+b%2Fc%E0%A4%95&empty=";
        char v[64];
        CHECK_INT(routed_form_get(form, strlen(form), "action", v, sizeof v), 0);
        CHECK_STR(v, "ack");
        CHECK_INT(routed_form_get(form, strlen(form), "outcome", v, sizeof v), 0);
        CHECK_STR(v, "person_reached");
        CHECK_INT(routed_form_get(form, strlen(form), "note", v, sizeof v), 0);
        CHECK_STR(v, "a b/cक");
        CHECK_INT(routed_form_get(form, strlen(form), "empty", v, sizeof v), 0);
        CHECK_STR(v, "");
        CHECK_INT(routed_form_get(form, strlen(form), "missing", v, sizeof v), -1);
        CHECK_INT(routed_form_get("x=%G1", 5, "x", v, sizeof v), -1);
        CHECK_INT(routed_form_get("x=%4", 4, "x", v, sizeof v), -1);
        CHECK_INT(routed_form_get(form, strlen(form), "outcome", v, 4), -1);
        CHECK(routed_outcome_ok("false_alarm"));
        CHECK(!routed_outcome_ok("closed"));
        CHECK(routed_email_ok("sp.kota@police.example"));
        CHECK(!routed_email_ok("sp kota@police.example"));
        CHECK(routed_phone_ok("+919876500001"));
        CHECK(!routed_phone_ok("+91 98765"));
        return test_summary("notifier_routed");
}
