/* SPDX-License-Identifier: Apache-2.0 */
/* GSM-7 / UCS-2 detection and part counting at every boundary of the spec. */
#include <jansson.h>
#include <stdlib.h>
#include "gsm.h"
#include "testutil.h"

/* @p n copies of @p unit concatenated (malloc'd). */
static char *rep(const char *unit, size_t n)
{
        size_t ul = strlen(unit);
        char *s = malloc(ul * n + 1);
        for (size_t i = 0; i < n; i++)
                memcpy(s + i * ul, unit, ul);
        s[ul * n] = '\0';
        return s;
}

int main(void)
{
        static const struct {
                const char *unit;
                size_t n;
                enum gsm_encoding enc;
                size_t units;
                int parts;
        } cases[] = {
                {"a", 1, GSM_ENC_GSM7, 1, 1},
                {"a", 160, GSM_ENC_GSM7, 160, 1},
                {"a", 161, GSM_ENC_GSM7, 161, 2},
                {"a", 306, GSM_ENC_GSM7, 306, 2},
                {"a", 307, GSM_ENC_GSM7, 307, 3},
                {"a", 459, GSM_ENC_GSM7, 459, 3},
                {"a", 460, GSM_ENC_GSM7, 460, 4},
                {"{", 80, GSM_ENC_GSM7, 160, 1},   /* extension: 2 each */
                {"{", 81, GSM_ENC_GSM7, 162, 2},
                {"€", 80, GSM_ENC_GSM7, 160, 1},
                {"^}\\[]~|", 1, GSM_ENC_GSM7, 14, 1},
                {"@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà", 1, GSM_ENC_GSM7, 42, 1},
                {"\r\n", 1, GSM_ENC_GSM7, 2, 1},
                {"ç", 1, GSM_ENC_UCS2, 1, 1},       /* only Ç is in GSM-7 */
                {"`", 1, GSM_ENC_UCS2, 1, 1},       /* backtick is not GSM-7 */
                {"क", 70, GSM_ENC_UCS2, 70, 1},
                {"क", 71, GSM_ENC_UCS2, 71, 2},
                {"क", 134, GSM_ENC_UCS2, 134, 2},
                {"क", 135, GSM_ENC_UCS2, 135, 3},
                {"🙏", 1, GSM_ENC_UCS2, 2, 1},       /* outside the BMP: 2 units */
                {"🙏", 35, GSM_ENC_UCS2, 70, 1},
                {"🙏", 36, GSM_ENC_UCS2, 72, 2},
                {"a{", 50, GSM_ENC_GSM7, 150, 1},
                {"a{क", 1, GSM_ENC_UCS2, 3, 1},      /* in UCS-2 '{' is one unit */
                {"", 1, GSM_ENC_GSM7, 0, 1},
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                char *s = rep(cases[i].unit, cases[i].n);
                struct gsm_count c;
                CHECK_INT(gsm_count_text(s, strlen(s), &c), 0);
                CHECK_MSG(c.enc == cases[i].enc, "case %zu enc", i);
                CHECK_MSG(c.units == cases[i].units, "case %zu units %zu", i, c.units);
                CHECK_MSG(c.parts == cases[i].parts, "case %zu parts %d", i, c.parts);
                free(s);
        }
        /* The real post text of the Meta fixture (Devanagari and U+1F64F):
         * 82 BMP characters and one emoji = 84 UTF-16 units: two parts. */
        json_error_t jerr;
        json_t *root = json_load_file(PRAHARI_SHARED_DIR "/fixtures/bodies/meta-01-kota-gps.json",
                                      0, &jerr);
        CHECK(root != NULL);
        const char *post = json_string_value(json_object_get(
                json_object_get(json_object_get(json_array_get(json_object_get(json_array_get(
                                                                     json_object_get(root, "entry"), 0),
                                                                 "changes"),
                                                                 0),
                                                  "value"),
                                "content"),
                "text"));
        CHECK(post != NULL);
        struct gsm_count c;
        CHECK_INT(gsm_count_text(post ? post : "", post ? strlen(post) : 0, &c), 0);
        CHECK(c.enc == GSM_ENC_UCS2);
        CHECK_INT(c.units, 84);
        CHECK_INT(c.parts, 2);
        /* Invalid UTF-8 is refused, not counted. */
        CHECK_INT(gsm_count_text("\xC3\x28", 2, &c), -1);
        CHECK_INT(gsm_count_text("\xE0\xA4", 2, &c), -1);
        CHECK_INT(gsm_septets(0x20AC), 2);
        CHECK_INT(gsm_septets('A'), 1);
        CHECK_INT(gsm_septets(0x0915), 0);
        CHECK_STR(gsm_encoding_name(GSM_ENC_UCS2), "ucs2");
        json_decref(root);
        return test_summary("notifier_gsm");
}
