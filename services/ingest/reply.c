/* SPDX-License-Identifier: Apache-2.0 */
/* Response bodies (pure): the 202 lists and the error JSON. */
#include "reply.h"

#include <stdio.h>
#include <jansson.h>

char *reply_accepted(const struct ingest_item *items, const struct intake_result *res, size_t n)
{
        json_t *acc = json_array(), *dup = json_array(), *qua = json_array();
        for (size_t i = 0; i < n; i++) {
                const char *id = res[i].source_alert_id[0] ? res[i].source_alert_id
                                                           : items[i].source_alert_id;
                switch (res[i].outcome) {
                case INTAKE_ACCEPTED:
                case INTAKE_REVISION:
                        json_array_append_new(acc, json_string(id));
                        break;
                case INTAKE_DUPLICATE:
                        json_array_append_new(dup, json_string(id));
                        break;
                case INTAKE_QUARANTINED:
                        if (id && *id) {
                                json_array_append_new(qua, json_string(id));
                        } else {
                                char q[48];
                                snprintf(q, sizeof(q), "quarantine-%lld", res[i].quarantine_id);
                                json_array_append_new(qua, json_string(q));
                        }
                        break;
                }
        }
        json_t *o = json_pack("{s:o, s:o, s:o}", "accepted", acc, "duplicates", dup,
                              "quarantined", qua); /* steals refs */
        char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        return s;
}

char *reply_error(const char *code, const char *detail)
{
        json_t *o = json_pack("{s:s}", "error", code);
        if (o && detail)
                json_object_set_new(o, "detail", json_string(detail));
        char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        return s;
}

char *reply_error_quarantined(const char *code, const char *detail, long long quarantine_id)
{
        char q[48];
        snprintf(q, sizeof(q), "quarantine-%lld", quarantine_id);
        json_t *o = json_pack("{s:s}", "error", code);
        if (o && detail)
                json_object_set_new(o, "detail", json_string(detail));
        if (o)
                json_object_set_new(o, "quarantined", json_pack("[s]", q));
        char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        return s;
}
