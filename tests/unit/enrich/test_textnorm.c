/* SPDX-License-Identifier: Apache-2.0 */
/* Table tests of textnorm: folding (NFC, case, Devanagari->Latin with schwa
 * deletion) and the spelling-tolerant matching key. */
#include "textnorm.h"
#include "testutil.h"

#include <stdlib.h>

static struct textnorm *tn;

static const char *key(const char *s)
{
        static char buf[8][TEXTNORM_MAX];
        static int slot;
        char *out = buf[slot++ % 8];
        if (textnorm_key(tn, s, out, TEXTNORM_MAX) < 0)
                return "(invalid)";
        return out;
}

static const char *fold(const char *s)
{
        static char buf[TEXTNORM_MAX];
        if (textnorm_fold(tn, s, buf, sizeof(buf)) < 0)
                return "(invalid)";
        return buf;
}

/* Groups of spellings that must share one key. */
static const char *const same_key[][8] = {
        {"झुंझुनूं", "झुंझुनू", "झुंझुनु", "Jhunjhunun", "jhunjhunu", "JHUNJHUNU", " Jhunjhunu. ", NULL},
        {"Dholpur", "Dhaulpur", "धौलपुर", "DHOLPUR", NULL},
        {"Jaipur", "जयपुर", "Jaypur", NULL},
        {"Udaipur", "उदयपुर", NULL},
        {"Ajmer", "अजमेर", NULL},
        {"Sikar", "सीकर", "Seekar", NULL},
        {"Bhilwara", "भीलवाड़ा", "Bhilvara", NULL},
        {"Barmer", "बाड़मेर", NULL},
        {"Jaisalmer", "जैसलमेर", "JAISALMER", NULL},
        {"Kota", "कोटा", "KOTA", "Kotaa", NULL},
        {"Baran", "बाराँ", "Bara", NULL},
        {"Bundi", "बूंदी", "बूँदी", "Boondi", NULL},
        {"Hanumangarh", "हनुमानगढ़", NULL},
        {"Pratapgarh", "प्रतापगढ़", NULL},
        {"Chittorgarh", "Chittaurgarh", "चित्तौड़गढ़", NULL},
        {"Sawai Madhopur", "सवाई माधोपुर", "Sawai-Madhopur", "SawaiMadhopur", NULL},
        {"Sri Ganganagar", "Sriganganagar", "Shri Ganganagar", NULL},
        {"Phalodi", "फलोदी", NULL},
        {"Jhalawar", "झालावाड़", NULL},
        {"Beawar", "Beāwar", NULL},
        {"Chhoti Sadri", "Choti Sadri", NULL},
        {"Jalore", "जालौर", "Jalor", NULL},
        {"Sanchore", "सांचोर", NULL},
};

/* Pairs that must stay apart. */
static const char *const diff_key[][2] = {
        {"Jaipur", "Jodhpur"},   {"Kota", "Kotputli"}, {"Bundi", "Banswara"},
        {"Sikar", "Sirohi"},     {"Alwar", "Ajmer"},   {"Churu", "Chittorgarh"},
        {"Pali", "Phalodi"},     {"Tonk", "Deeg"},
};

int main(void)
{
        char err[256];
        tn = textnorm_new(err, sizeof(err));
        if (!tn) {
                fprintf(stderr, "%s\n", err);
                return 1;
        }

        /* folding */
        CHECK_STR(fold("Kota, Rajasthan"), "kota rajasthan");
        CHECK_STR(fold("  near   bus-stand,Sikar!! "), "near bus stand sikar");
        CHECK_STR(fold("झुंझुनूं, राजस्थान"), "jhunjhunu rajasthan");
        CHECK_STR(fold("जयपुर"), "jaypur");
        CHECK_STR(fold("धौलपुर"), "dhaulpur");
        CHECK_STR(fold("Wānkāner"), "wankaner");
        CHECK_STR(fold("ÉCOLE"), "ecole");
        CHECK_STR(fold("कोटपूतली-बहरोड़"), "kotputli bahror");
        CHECK_STR(fold("\xff\xfe broken"), "(invalid)");
        CHECK_STR(fold(""), "");

        /* same key within each group */
        for (size_t g = 0; g < sizeof(same_key) / sizeof(same_key[0]); g++) {
                const char *k0 = key(same_key[g][0]);
                CHECK_MSG(k0[0] != '\0', "empty key for %s", same_key[g][0]);
                for (size_t i = 1; same_key[g][i]; i++) {
                        const char *ki = key(same_key[g][i]);
                        CHECK_MSG(strcmp(k0, ki) == 0, "%s -> %s but %s -> %s", same_key[g][0], k0,
                                  same_key[g][i], ki);
                }
        }
        for (size_t g = 0; g < sizeof(diff_key) / sizeof(diff_key[0]); g++)
                CHECK_MSG(strcmp(key(diff_key[g][0]), key(diff_key[g][1])) != 0, "%s == %s",
                          diff_key[g][0], diff_key[g][1]);

        /* concrete keys (the rules, spelled out) */
        CHECK_STR(key("Jhunjhunun"), "jhunjhunu");
        CHECK_STR(key("Dhaulpur"), "dholpur");
        CHECK_STR(key("Chhoti Sadri"), "cotisadri");
        CHECK_STR(key("Phalodi"), "falodi");
        CHECK_STR(key("Neem Ka Thana"), "nimkathana");

        /* words */
        {
                struct textnorm_word w[TEXTNORM_MAX_WORDS];
                const char *f = "near bus stand sikar";
                size_t n = textnorm_words(f, w, TEXTNORM_MAX_WORDS);
                CHECK_INT(n, 4);
                CHECK_INT(w[3].off, 15);
                CHECK_INT(w[3].len, 5);
        }

        /* distance */
        CHECK_INT(textnorm_distance("jhunjhunu", 9, "jhujhunu", 8, 2), 1);
        CHECK_INT(textnorm_distance("kota", 4, "kota", 4, 2), 0);
        CHECK_INT(textnorm_distance("ajmer", 5, "ajmre", 5, 2), 1);
        CHECK_INT(textnorm_distance("ajmer", 5, "jaipur", 6, 2), 3);
        CHECK_INT(textnorm_distance("abc", 3, "abcdefgh", 8, 2), 3);

        textnorm_free(tn);
        return test_summary("enrich_textnorm");
}
