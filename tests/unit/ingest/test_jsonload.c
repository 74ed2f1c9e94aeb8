/* SPDX-License-Identifier: Apache-2.0 */
/* Partner JSON parsing rules: duplicate keys, NUL, invalid UTF-8, deep
 * nesting, numbers beyond jansson's range. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../../testutil.h"
#include "jsonload.h"

static void test_table(void)
{
        static const struct {
                const char *body;
                bool ok;
                const char *detail_has;
        } rows[] = {
            {"{\"a\":1}", true, NULL},
            {"{\"a\":\"x\\u0000y\"}", true, NULL},                 /* NUL allowed in strings */
            {"{\"a\":1,\"a\":2}", false, "duplicate object key"},   /* duplicate keys refused */
            {"{\"a\":\"\xc3\x28\"}", false, "unable to decode byte"}, /* invalid UTF-8 */
            {"{\"a\":\"\\ud83d\"}", false, "invalid Unicode"},       /* lone surrogate */
            {"{\"a\":1} x", false, "end of file expected"},
            {"[]", false, "must be a JSON object"},
            {"\"x\"", false, "not valid JSON"},
            {"", false, "not valid JSON"},
            {"{\"a\":12345678901234567890}", true, NULL}, /* beyond int64: marked, not refused */
            {"{\"a\":-9223372036854775809}", true, NULL},
            {"{\"a\":1e400}", true, NULL},
            {"{\"a\":9223372036854775807}", true, NULL},
        };
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                char detail[256] = "";
                json_t *j = jsonload_object(rows[i].body, strlen(rows[i].body), detail, sizeof(detail));
                CHECK_MSG((j != NULL) == rows[i].ok, "row %zu: %s", i, detail);
                if (!rows[i].ok)
                        CHECK_MSG(strstr(detail, rows[i].detail_has) != NULL, "row %zu: %s", i, detail);
                json_decref(j);
        }
}

static void test_bignums(void)
{
        char detail[256];
        const char *b = "{\"s\":\"12345678901234567890\",\"a\":12345678901234567890,\"b\":[1,-99999999999999999999,2.5],"
                        "\"c\":9223372036854775807,\"d\":1e999,\"e\":1.5e10}";
        json_t *j = jsonload_object(b, strlen(b), detail, sizeof(detail));
        CHECK(j != NULL);
        CHECK_STR(json_string_value(json_object_get(j, "s")), "12345678901234567890"); /* strings untouched */
        CHECK_STR(json_string_value(json_object_get(j, "a")), "\x1bNUMBER:12345678901234567890");
        CHECK_STR(json_string_value(json_array_get(json_object_get(j, "b"), 1)),
                  "\x1bNUMBER:-99999999999999999999");
        CHECK_INT(json_integer_value(json_array_get(json_object_get(j, "b"), 0)), 1);
        CHECK_NEAR(json_real_value(json_array_get(json_object_get(j, "b"), 2)), 2.5, 1e-12);
        CHECK_INT(json_integer_value(json_object_get(j, "c")), 9223372036854775807LL);
        CHECK_STR(json_string_value(json_object_get(j, "d")), "\x1bNUMBER:1e999");
        CHECK_NEAR(json_real_value(json_object_get(j, "e")), 1.5e10, 1);
        json_decref(j);
        size_t n;
        CHECK(jsonload_quote_bignums("{\"a\":1}", 7, &n) == NULL);
        /* escaped quotes inside strings do not confuse the scanner */
        const char *q = "{\"x\":\"a\\\"12345678901234567890\",\"y\":99999999999999999999}";
        char *out = jsonload_quote_bignums(q, strlen(q), &n);
        CHECK(out != NULL);
        CHECK_STR(out, "{\"x\":\"a\\\"12345678901234567890\",\"y\":\"\\u001bNUMBER:99999999999999999999\"}");
        free(out);
}

static void test_deep_nesting(void)
{
        size_t depth = 5000;
        char *b = malloc(depth * 2 + 16);
        size_t o = 0;
        b[o++] = '{';
        memcpy(b + o, "\"a\":", 4);
        o += 4;
        for (size_t i = 0; i < depth; i++)
                b[o++] = '[';
        for (size_t i = 0; i < depth; i++)
                b[o++] = ']';
        b[o++] = '}';
        char detail[256];
        json_t *j = jsonload_object(b, o, detail, sizeof(detail));
        CHECK(j == NULL);
        CHECK_MSG(strstr(detail, "maximum parsing depth") != NULL, "%s", detail);
        free(b);
}

int main(void)
{
        test_table();
        test_bignums();
        test_deep_nesting();
        return test_summary("ingest_jsonload");
}
