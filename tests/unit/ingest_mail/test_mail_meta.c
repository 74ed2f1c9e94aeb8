/* SPDX-License-Identifier: Apache-2.0 */
/* The e-mail REPORT goes through ingest's own Meta normaliser
 * (meta_report_to_item) exactly as a webhook report would: each fixture
 * e-mail must become an alert (not a quarantine record) with the severity
 * and the location signal that ../shared/fixtures/cases.json expects. */
#include <stdlib.h>
#include <string.h>

#include "item.h"
#include "mail_parse.h"
#include "meta.h"
#include "prahari/util.h"
#include "../../testutil.h"

/* The first location hint of @p kind in the canonical message, or NULL. */
static const json_t *hint(const json_t *canon, const char *kind)
{
        size_t i;
        const json_t *h;
        json_array_foreach(json_object_get(canon, "location_hints"), i, h)
                if (strcmp(json_string_value(json_object_get(h, "kind")), kind) == 0)
                        return h;
        return NULL;
}

static struct ingest_item *normalise(const char *fixture, struct item_list *l)
{
        char path[512];
        size_t len;
        snprintf(path, sizeof path, "%s/fixtures/bodies/%s", PRAHARI_SHARED_DIR, fixture);
        char *raw = util_read_file(path, &len);
        CHECK(raw != NULL);
        if (!raw)
                return NULL;
        struct mail_result r;
        CHECK_INT(mail_parse(raw, len, &r), 0);
        CHECK_INT(r.kind, MAIL_REPORT);
        struct ingest_item *it = item_list_add(l, "meta", "email");
        int rc = it ? meta_report_to_item(r.report, "report", it) : -1;
        CHECK_MSG(rc == 0, "%s: quarantined: %s", fixture, it ? it->reason : "oom");
        mail_result_clear(&r);
        free(raw);
        return rc == 0 ? it : NULL;
}

int main(void)
{
        struct item_list l = {0};
        struct ingest_item *it = normalise("email-01-bikaner.eml", &l);
        if (it) {
                CHECK_STR(it->source_alert_id, "MH-2026-004211");
                CHECK_STR(json_string_value(json_object_get(it->canonical, "severity")), "critical");
                CHECK_STR(json_string_value(json_object_get(it->canonical, "platform")), "instagram");
                CHECK_STR(json_string_value(json_object_get(it->canonical, "account_id")), "17841400000000077");
                CHECK_STR(json_string_value(json_object_get(it->canonical, "reported_at")),
                          "2026-12-03T08:35:00Z");
                const json_t *g = hint(it->canonical, "gps");
                CHECK(g != NULL);
                CHECK_NEAR(json_number_value(json_object_get(g, "lat")), 28.0229, 1e-9);
                CHECK_NEAR(json_number_value(json_object_get(g, "lon")), 73.3119, 1e-9);
                CHECK(hint(it->canonical, "ip") != NULL);
                CHECK(hint(it->canonical, "phone") != NULL);
                /* least data on the wire: the text stays out of the canonical message */
                char *wire = json_dumps(it->canonical, JSON_COMPACT);
                CHECK(wire && strstr(wire, "मुझे") == NULL && strstr(wire, "करण") == NULL);
                free(wire);
        }
        it = normalise("email-02-sikar-html.eml", &l);
        if (it) {
                CHECK_STR(it->source_alert_id, "MH-2026-004212");
                CHECK_STR(json_string_value(json_object_get(it->canonical, "severity")), "high");
                CHECK_STR(json_string_value(json_object_get(it->canonical, "account_id")), "100089765432100088");
                CHECK(hint(it->canonical, "gps") == NULL);
                const json_t *pl = hint(it->canonical, "place");
                CHECK(pl != NULL);
                CHECK_STR(json_string_value(json_object_get(pl, "text")), "Sikar, Rajasthan");
        }
        item_list_free(&l);
        return test_summary("ingest_mail_meta");
}
