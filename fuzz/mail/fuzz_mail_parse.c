/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target for the e-mail parser: any bytes as one RFC 5322 message
 * through mail_parse (GMime, HTML to text, the Key: Value reader), plus the
 * pure helpers on the same bytes. Checks the result's invariants: a report
 * always carries the required fields; every string is valid UTF-8. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "mail_parse.h"
#include "mail_text.h"

static void check_utf8(const json_t *j)
{
        const char *k;
        const json_t *v;
        size_t i;
        switch (json_typeof(j)) {
        case JSON_OBJECT:
                json_object_foreach((json_t *)j, k, v)
                        check_utf8(v);
                break;
        case JSON_ARRAY:
                json_array_foreach(j, i, v)
                        check_utf8(v);
                break;
        case JSON_STRING:
                if (!g_utf8_validate(json_string_value(j), (gssize)json_string_length(j), NULL))
                        abort();
                break;
        default:
                break;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct mail_result r;
        if (mail_parse((const char *)data, size, &r) != 0)
                abort();
        if (r.kind == MAIL_REPORT) {
                static const char *const req[] = {"report_id", "platform", "risk_level", "category",
                                                  "detected_time", NULL};
                for (size_t i = 0; req[i]; i++)
                        if (!json_object_get(r.report, req[i]))
                                abort();
                const char *id = json_string_value(
                        json_object_get(json_object_get(r.report, "account"), "id"));
                if (!id || !*id)
                        abort();
        }
        if (r.report)
                check_utf8(r.report);
        if (r.subject && !g_utf8_validate(r.subject, -1, NULL))
                abort();
        mail_result_clear(&r);

        char *html = mail_html_to_text((const char *)data, size);
        free(html);
        char *s = malloc(size + 1);
        if (s) {
                memcpy(s, data, size);
                s[size] = '\0';
                int64_t t;
                mail_parse_detected(s, &t);
                mail_sender_allowed("a@b.example,@c.example", s);
                free(s);
        }
        return 0;
}
