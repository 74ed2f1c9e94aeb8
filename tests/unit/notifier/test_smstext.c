/* SPDX-License-Identifier: Apache-2.0 */
/* DLT templates: loading, cutting values at 30 characters, and proof that
 * every filled text (all kinds, both languages, all 41 districts and the
 * state command centre, every severity) matches its registered template byte
 * for byte apart from the variables and stays within three SMS parts. */
#include <stdint.h>
#include <stdlib.h>
#include "gsm.h"
#include "prahari/util.h"
#include "smstext.h"
#include "testutil.h"

#define PUBLIC_URL "https://prahari.rajpolice.example"

static size_t chars(const char *s)
{
        size_t n = 0;
        for (; *s; s++)
                n += ((unsigned char)*s & 0xC0) != 0x80;
        return n;
}

static void test_cut(void)
{
        static const struct {
                const char *in, *out;
        } cases[] = {
                {"Kota district", "Kota district"},
                {"Sawai Madhopur district", "Sawai Madhopur district"},
                {"State Command Centre", "State Command Centre"},
                /* 30 characters exactly, then a space: the cut is a boundary */
                {"abcdefghij abcdefghij abcdefgh more", "abcdefghij abcdefghij abcdefgh"},
                /* the 31st character continues a word: back to the last space */
                {"Pratapgarh district extra words here", "Pratapgarh district extra"},
                /* no space at all: hard cut at 30 characters */
                {"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123"},
                /* line breaks never reach the SMS */
                {"Kota\ndistrict", "Kota district"},
                {"", ""},
                /* Devanagari: 30 characters, never half a UTF-8 sequence */
                {"कककककककककककककककककककककककककककककककककककककककक",
                 "कककककककककककककककककककककककककककककक"},
                /* 29 characters and a space fit; the word after does not */
                {"खखखखखखखखख खखखखखखखखख खखखखखखखखख खखखख", "खखखखखखखखख खखखखखखखखख खखखखखखखखख"},
                /* the third word runs past 30: cut before it */
                {"खखखखखखखखख खखखखखखखखख खखखखखखखखखखख", "खखखखखखखखख खखखखखखखखख"},
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                char *out = smstext_cut(cases[i].in, SMSTEXT_VAR_MAX);
                CHECK_MSG(out && strcmp(out, cases[i].out) == 0, "cut case %zu: \"%s\"", i,
                          out ? out : "(null)");
                if (out) {
                        CHECK(chars(out) <= SMSTEXT_VAR_MAX);
                        CHECK(util_utf8_valid(out, strlen(out)));
                }
                free(out);
        }
        CHECK(smstext_cut("\xE0\xA4", 30) == NULL);
}

/* The 41 districts with their Hindi names, from the shared gazetteer. */
struct district {
        char en[64], hi[128];
};

static size_t load_districts(struct district *d, size_t max)
{
        char *csv = util_read_file(PRAHARI_SHARED_DIR "/data/gazetteer/rajasthan_districts_41.csv",
                                   NULL);
        size_t n = 0;
        if (!csv)
                return 0;
        char *line = strchr(csv, '\n'); /* skip the header */
        while (line && *++line && n < max) {
                char *c1 = strchr(line, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
                if (!c1 || !c2)
                        break;
                snprintf(d[n].en, sizeof d[n].en, "%.*s", (int)(c1 - line), line);
                snprintf(d[n].hi, sizeof d[n].hi, "%.*s", (int)(c2 - c1 - 1), c1 + 1);
                n++;
                line = strchr(line, '\n');
        }
        free(csv);
        return n;
}

int main(void)
{
        test_cut();

        char *json = util_read_file(PRAHARI_NOTIFIER_TEMPLATES, NULL);
        CHECK(json != NULL);
        struct dlt_set set;
        char err[256] = "";
        CHECK_INT(smstext_load(json, PUBLIC_URL "/", &set, err, sizeof err), 0);
        CHECK_INT(set.n, 8);

        const struct dlt_template *en = smstext_find(&set, "alert", "en");
        CHECK(en != NULL);
        CHECK_STR(en->text, "PRAHARI {#var#}: {#var#} risk alert, {#var#}, {#var#}. Confirm: "
                            PUBLIC_URL "/a/{#var#}");
        CHECK_STR(en->sender, "PRHARI");
        CHECK_STR(en->template_id, "1107000000000000101");
        /* A language without a template falls back to English. */
        CHECK(smstext_find(&set, "alert", "ta") == en);
        CHECK(smstext_find(&set, "nosuchkind", "en") == NULL);

        /* One exact text: the shape the police see. */
        struct smstext_var v1[] = {{"short_code", "K7Q2XM"},
                                   {"severity", smstext_severity("critical", "en")},
                                   {"place", "Kota district"},
                                   {"platform", "Instagram"},
                                   {"token", "AbCdEfGhIjKlMnOpQrStUvWxYz01"}};
        char *t1 = smstext_fill(en, v1, 5);
        CHECK_STR(t1, "PRAHARI K7Q2XM: CRITICAL risk alert, Kota district, Instagram. "
                      "Confirm: " PUBLIC_URL "/a/AbCdEfGhIjKlMnOpQrStUvWxYz01");
        CHECK(smstext_matches(en, t1));
        struct gsm_count gc;
        CHECK_INT(gsm_count_text(t1, strlen(t1), &gc), 0);
        CHECK(gc.enc == GSM_ENC_GSM7);
        CHECK_INT(gc.parts, 1);
        /* One changed byte of fixed text, or a value over 30 characters,
         * no longer matches the registered template. */
        char *bad = strdup(t1);
        bad[3] = 'X';
        CHECK(!smstext_matches(en, bad));
        free(bad);
        CHECK(!smstext_matches(en, "PRAHARI K7Q2XM: CRITICAL risk alert, Kota district, "
                                   "Instagram and a much longer platform name. Confirm: "
                                   PUBLIC_URL "/a/x"));
        CHECK(!smstext_matches(en, "PRAHARI K7Q2XM: CRITICAL risk alert, Kota district, Instagram."));
        free(t1);

        /* The "moved away" notice to the old lead: short code and the new
         * place only (no link, no personal data), byte for byte. */
        const struct dlt_template *ma = smstext_find(&set, "moved_away", "en");
        const struct dlt_template *mah = smstext_find(&set, "moved_away", "hi");
        CHECK(ma != NULL && mah != NULL && ma != mah);
        CHECK_STR(ma->template_id, "1107000000000000107");
        CHECK_STR(mah->template_id, "1107000000000000108");
        CHECK_INT(ma->nvars, 2);
        char *m1 = smstext_fill(ma, v1, 5);
        CHECK_STR(m1, "PRAHARI K7Q2XM: this alert has moved to Kota district and is handled "
                      "there now. No action needed from you.");
        CHECK(smstext_matches(ma, m1));
        CHECK(!smstext_matches(en, m1));
        CHECK(strstr(m1, "/a/") == NULL);
        CHECK_INT(gsm_count_text(m1, strlen(m1), &gc), 0);
        CHECK(gc.enc == GSM_ENC_GSM7);
        CHECK_INT(gc.parts, 1);
        free(m1);
        struct smstext_var vh[] = {{"short_code", "K7Q2XM"}, {"place", "कोटा जिला"}};
        m1 = smstext_fill(mah, vh, 2);
        CHECK_STR(m1, "प्रहरी K7Q2XM: यह अलर्ट अब कोटा जिला को सौंपा गया, वहीं कार्रवाई होगी। "
                      "आपकी ओर से कुछ आवश्यक नहीं।");
        CHECK(smstext_matches(mah, m1));
        CHECK_INT(gsm_count_text(m1, strlen(m1), &gc), 0);
        CHECK(gc.enc == GSM_ENC_UCS2);
        CHECK_INT(gc.parts, 2);
        free(m1);

        /* Every kind x language x district x severity. */
        struct district d[64];
        size_t nd = load_districts(d, 64);
        CHECK_INT(nd, 41);
        static const char *kinds[] = {"alert", "moved", "moved_away", "escalation"};
        static const char *langs[] = {"en", "hi"};
        static const char *sevs[] = {"critical", "high", "medium"};
        static const char *plats[] = {"instagram", "facebook", "youtube", "sharechat-partner-app"};
        int checked = 0, failures = 0, maxparts = 0;
        for (size_t k = 0; k < 4; k++)
                for (size_t l = 0; l < 2; l++)
                        for (size_t i = 0; i <= nd; i++)
                                for (size_t s = 0; s < 3; s++) {
                                        const struct dlt_template *t =
                                                smstext_find(&set, kinds[k], langs[l]);
                                        char place[160], plat[64];
                                        smstext_place(i < nd ? d[i].en : NULL,
                                                      i < nd ? d[i].hi : NULL, langs[l], place,
                                                      sizeof place);
                                        smstext_platform(plats[(i + s) % 4], plat, sizeof plat);
                                        struct smstext_var v[] = {
                                                {"short_code", "ZZ9Y8X"},
                                                {"severity", smstext_severity(sevs[s], langs[l])},
                                                {"place", place},
                                                {"platform", plat},
                                                {"token", "abcdefghijklmnopqrstuvwxyz_-"}};
                                        char *txt = t ? smstext_fill(t, v, 5) : NULL;
                                        bool ok = txt && strcmp(t->lang, langs[l]) == 0 &&
                                                  smstext_matches(t, txt);
                                        struct gsm_count c = {0};
                                        ok = ok && gsm_count_text(txt, strlen(txt), &c) == 0 &&
                                             c.parts <= 3;
                                        /* Hindi texts are UCS-2, English GSM-7. */
                                        ok = ok && c.enc == (l == 1 ? GSM_ENC_UCS2 : GSM_ENC_GSM7);
                                        if (!ok) {
                                                failures++;
                                                fprintf(stderr, "no match: %s/%s: %s\n", kinds[k],
                                                        langs[l], txt ? txt : "(null)");
                                        }
                                        if (c.parts > maxparts)
                                                maxparts = c.parts;
                                        checked++;
                                        free(txt);
                                }
        CHECK_INT(checked, 4 * 2 * 42 * 3);
        CHECK_INT(failures, 0);
        CHECK(maxparts >= 1 && maxparts <= 3);

        /* Hindi place names come from the gazetteer. */
        char place[160];
        smstext_place("Kota", "कोटा", "hi", place, sizeof place);
        CHECK_STR(place, "कोटा जिला");
        smstext_place(NULL, NULL, "en", place, sizeof place);
        CHECK_STR(place, "State Command Centre");
        smstext_place("STATE_COMMAND_CENTRE", NULL, "hi", place, sizeof place);
        CHECK_STR(place, "राज्य कमांड सेंटर");
        CHECK_STR(smstext_severity("high", "hi"), "उच्च");

        /* Loading rejects a template whose vars do not match its text. */
        struct dlt_set bad_set;
        CHECK_INT(smstext_load("{\"entity_id\":\"1\",\"sender\":\"PRHARI\",\"templates\":[{\"kind\":"
                               "\"alert\",\"lang\":\"en\",\"template_id\":\"9\",\"vars\":[\"a\"],"
                               "\"text\":\"X {#var#} {#var#}\"}]}",
                               PUBLIC_URL, &bad_set, err, sizeof err),
                  -1);
        CHECK(strstr(err, "templates[0]") != NULL);
        CHECK_INT(smstext_load("{\"templates\":[]}", PUBLIC_URL, &bad_set, err, sizeof err), -1);
        /* {PUBLIC_URL} without a configured URL is an error, not an SMS with a hole. */
        CHECK_INT(smstext_load(json, "", &bad_set, err, sizeof err), -1);

        smstext_free(&set);
        free(json);
        return test_summary("notifier_smstext");
}
