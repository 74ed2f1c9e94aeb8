/* SPDX-License-Identifier: Apache-2.0 */
/* Token bucket, reply bodies and canonical helpers. */
#include <stdlib.h>
#include <string.h>

#include "../../testutil.h"
#include "item.h"
#include "ratelimit.h"
#include "reply.h"

static void test_ratelimit(void)
{
        struct rl_bucket b = {0};
        int ra = 0, allowed = 0;
        int64_t t = 1000000000;
        for (int i = 0; i < 10; i++)
                allowed += rl_take(&b, 2.0, 5.0, t, &ra);
        CHECK_INT(allowed, 5); /* burst */
        CHECK(!rl_take(&b, 2.0, 5.0, t, &ra));
        CHECK_INT(ra, 1); /* 2/s: next token in 0.5 s -> 1 s */
        CHECK(rl_take(&b, 2.0, 5.0, t + 500000, &ra));
        CHECK(!rl_take(&b, 2.0, 5.0, t + 500000, &ra));
        /* refill caps at burst */
        allowed = 0;
        for (int i = 0; i < 10; i++)
                allowed += rl_take(&b, 2.0, 5.0, t + 3600000000LL, &ra);
        CHECK_INT(allowed, 5);
        struct rl_bucket slow = {0};
        CHECK(rl_take(&slow, 0.1, 1.0, t, &ra));
        CHECK(!rl_take(&slow, 0.1, 1.0, t, &ra));
        CHECK_INT(ra, 10);
}

static void test_reply(void)
{
        struct ingest_item items[4];
        struct intake_result res[4];
        memset(items, 0, sizeof(items));
        memset(res, 0, sizeof(res));
        snprintf(items[0].source_alert_id, sizeof(items[0].source_alert_id), "%s", "A-1");
        res[0].outcome = INTAKE_ACCEPTED;
        snprintf(items[1].source_alert_id, sizeof(items[1].source_alert_id), "%s", "A-2");
        res[1].outcome = INTAKE_DUPLICATE;
        res[2].outcome = INTAKE_QUARANTINED;
        res[2].quarantine_id = 17;
        snprintf(items[3].source_alert_id, sizeof(items[3].source_alert_id), "%s", "A-4");
        res[3].outcome = INTAKE_REVISION;
        char *s = reply_accepted(items, res, 4);
        CHECK_STR(s, "{\"accepted\":[\"A-1\",\"A-4\"],\"duplicates\":[\"A-2\"],\"quarantined\":[\"quarantine-17\"]}");
        free(s);
        s = reply_accepted(items, res, 0);
        CHECK_STR(s, "{\"accepted\":[],\"duplicates\":[],\"quarantined\":[]}");
        free(s);
        s = reply_error("invalid_envelope", "entry: required, must be an array");
        CHECK_STR(s, "{\"error\":\"invalid_envelope\",\"detail\":\"entry: required, must be an array\"}");
        free(s);
        s = reply_error("unauthenticated", NULL);
        CHECK_STR(s, "{\"error\":\"unauthenticated\"}");
        free(s);
        s = reply_error_quarantined("invalid_json", "body: byte 3: invalid token", 42);
        CHECK_STR(s, "{\"error\":\"invalid_json\",\"detail\":\"body: byte 3: invalid token\","
                     "\"quarantined\":[\"quarantine-42\"]}");
        free(s);
}

static void test_canon(void)
{
        json_t *c = canon_new("meta", "meta", "X", "facebook", "high", "suicide", 1764752700250000LL);
        CHECK_STR(json_string_value(json_object_get(c, "reported_at")), "2025-12-03T09:05:00.250Z");
        canon_hint_pin(c, "0324005");
        canon_hint_pin(c, "32400");
        canon_hint_pin(c, "32A005");
        canon_hint_ip(c, "300.1.1.1", 0);
        canon_hint_phone(c, "");
        CHECK_INT(json_array_size(json_object_get(c, "location_hints")), 0);
        canon_hint_pin(c, "324-005");
        canon_hint_phone(c, "+91 1");
        canon_hint_phone(c, "+91 1"); /* not twice */
        CHECK_INT(json_array_size(json_object_get(c, "location_hints")), 2);
        /* place text cut to 500 characters (Devanagari: 3 bytes each) */
        char big[3 * 600 + 1];
        for (int i = 0; i < 600; i++)
                memcpy(big + 3 * i, "\xe0\xa4\x95", 3);
        big[1800] = '\0';
        canon_hint_place(c, big, "profile");
        const char *t = json_string_value(json_object_get(json_array_get(json_object_get(c, "location_hints"), 2), "text"));
        CHECK_INT(strlen(t), 1500);
        json_decref(c);
        char lang[8];
        CHECK(canon_lang_from_locale("hi_IN", lang));
        CHECK_STR(lang, "hi");
        CHECK(canon_lang_from_locale("en", lang));
        CHECK_STR(lang, "en");
        CHECK(!canon_lang_from_locale("1x_IN", lang));
        CHECK(!canon_lang_from_locale(NULL, lang));
}

int main(void)
{
        test_ratelimit();
        test_reply();
        test_canon();
        return test_summary("ingest_misc");
}
