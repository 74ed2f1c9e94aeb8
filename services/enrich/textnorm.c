/* SPDX-License-Identifier: Apache-2.0 */
/* Place-name normalisation: ICU NFC, case folding and Devanagari->Latin
 * transliteration (after a Hindi schwa-deletion pass), then a phonetic key
 * that absorbs the common English/Hindi spelling variation. ASCII input
 * takes a fast path without ICU. */
#include "textnorm.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utrans.h>

struct textnorm {
        UTransliterator *tr;
        const UNormalizer2 *nfc, *nfd;
};

static const char TRANS_ID[] = "Devanagari-Latin; Latin-ASCII";

struct textnorm *textnorm_new(char *err, size_t errsz)
{
        struct textnorm *tn = calloc(1, sizeof(*tn));
        UErrorCode st = U_ZERO_ERROR;
        UChar id[64];
        UParseError pe;

        if (!tn) {
                snprintf(err, errsz, "out of memory");
                return NULL;
        }
        u_uastrcpy(id, TRANS_ID);
        tn->tr = utrans_openU(id, -1, UTRANS_FORWARD, NULL, 0, &pe, &st);
        if (U_FAILURE(st)) {
                snprintf(err, errsz, "ICU transliterator \"%s\": %s", TRANS_ID, u_errorName(st));
                free(tn);
                return NULL;
        }
        st = U_ZERO_ERROR;
        tn->nfc = unorm2_getNFCInstance(&st);
        if (U_SUCCESS(st))
                tn->nfd = unorm2_getNFDInstance(&st);
        if (U_FAILURE(st)) {
                snprintf(err, errsz, "ICU NFC: %s", u_errorName(st));
                utrans_close(tn->tr);
                free(tn);
                return NULL;
        }
        return tn;
}

void textnorm_free(struct textnorm *tn)
{
        if (!tn)
                return;
        utrans_close(tn->tr);
        free(tn);
}

/* ---- Devanagari schwa deletion ---------------------------------------- */

enum unit_kind { U_INHERENT, U_MATRA, U_VIRAMA, U_VOWEL, U_OTHER };

struct dev_unit {
        size_t start, cons_end, end; /* [start,cons_end) consonant+nukta, [.., end) the rest */
        enum unit_kind kind;
        bool nasal;
        bool del;
};

static bool dev_is_consonant(UChar c)
{
        return (c >= 0x0915 && c <= 0x0939) || (c >= 0x0958 && c <= 0x095F) ||
               (c >= 0x0978 && c <= 0x097F);
}

static bool dev_is_matra(UChar c)
{
        return (c >= 0x093E && c <= 0x094C) || c == 0x094E || c == 0x094F ||
               (c >= 0x0955 && c <= 0x0957) || c == 0x0962 || c == 0x0963;
}

static bool dev_is_vowel(UChar c)
{
        return (c >= 0x0904 && c <= 0x0914) || c == 0x0960 || c == 0x0961 ||
               (c >= 0x0972 && c <= 0x0977);
}

static bool dev_is_nasal(UChar c)
{
        return c == 0x0901 || c == 0x0902;
}

/* Parse one unit at s[i]; returns false if s[i] does not start a syllable. */
static bool dev_unit_parse(const UChar *s, size_t n, size_t i, struct dev_unit *u)
{
        size_t j = i;

        memset(u, 0, sizeof(*u));
        u->start = i;
        if (dev_is_consonant(s[j])) {
                j++;
                if (j < n && s[j] == 0x093C) /* nukta */
                        j++;
                u->cons_end = j;
                if (j < n && s[j] == 0x094D) {
                        u->kind = U_VIRAMA;
                        j++;
                        while (j < n && (s[j] == 0x200C || s[j] == 0x200D))
                                j++;
                } else if (j < n && dev_is_matra(s[j])) {
                        u->kind = U_MATRA;
                        j++;
                } else {
                        u->kind = U_INHERENT;
                }
        } else if (dev_is_vowel(s[j])) {
                j++;
                u->cons_end = j;
                u->kind = U_VOWEL;
        } else {
                return false;
        }
        while (j < n && (dev_is_nasal(s[j]) || s[j] == 0x0903)) {
                if (dev_is_nasal(s[j]))
                        u->nasal = true;
                j++;
        }
        u->end = j;
        return true;
}

static bool unit_has_vowel(const struct dev_unit *u)
{
        return u->kind == U_VOWEL || u->kind == U_MATRA || (u->kind == U_INHERENT && !u->del);
}

/*
 * Decide which inherent vowels Hindi speakers drop (right to left): the
 * word-final one (unless after a conjunct), and a medial one in the context
 * V C[a] C V. Writes the word to out with a virama where a schwa goes and
 * without a word-final nasal mark (बाराँ ~ Baran, झुंझुनूं ~ Jhunjhunu).
 */
static size_t dev_word_emit(const UChar *s, struct dev_unit *u, size_t nu, UChar *out,
                            size_t o, size_t cap)
{
        for (size_t k = nu; k-- > 0;) {
                if (u[k].kind != U_INHERENT || u[k].nasal)
                        continue;
                if (k == nu - 1) {
                        if (nu >= 2 && u[k - 1].kind != U_VIRAMA)
                                u[k].del = true;
                } else if (k >= 1 && u[k - 1].kind != U_VIRAMA && unit_has_vowel(&u[k - 1]) &&
                           unit_has_vowel(&u[k + 1]) && u[k + 1].kind != U_VOWEL) {
                        u[k].del = true;
                }
        }
        for (size_t k = 0; k < nu; k++) {
                for (size_t i = u[k].start; i < u[k].end && o < cap; i++) {
                        /* a final nasal is not spelt in English (Baran, Bundi);
                         * a medial chandrabindu reads like an anusvara (n/m) */
                        if (k == nu - 1 && dev_is_nasal(s[i]))
                                continue;
                        out[o++] = s[i] == 0x0901 ? 0x0902 : s[i];
                        if (i + 1 == u[k].cons_end && u[k].del && o < cap)
                                out[o++] = 0x094D;
                }
        }
        return o;
}

static size_t dev_schwa(const UChar *s, size_t n, UChar *out, size_t cap)
{
        struct dev_unit units[64];
        size_t i = 0, o = 0;

        while (i < n && o < cap) {
                size_t nu = 0;
                while (i < n && nu < 64 && dev_unit_parse(s, n, i, &units[nu])) {
                        i = units[nu].end;
                        nu++;
                }
                if (nu > 0) {
                        o = dev_word_emit(s, units, nu, out, o, cap);
                        continue;
                }
                out[o++] = s[i++];
        }
        return o;
}

/* ---- folding ----------------------------------------------------------- */

/* Copy ASCII letters/digits lower-cased; anything else one separator. */
static int fold_ascii(const char *in, size_t len, char *out, size_t outsz)
{
        size_t o = 0;
        bool sep = false;

        if (outsz == 0)
                return -1;
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)in[i];
                if (c >= 'A' && c <= 'Z')
                        c = (unsigned char)(c - 'A' + 'a');
                if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
                        if (sep && o > 0 && o + 1 < outsz)
                                out[o++] = ' ';
                        sep = false;
                        if (o + 1 < outsz)
                                out[o++] = (char)c;
                } else if (c == '\'') {
                        /* ICU writes sava'i to keep a+i apart: not a word break */
                } else {
                        sep = true;
                }
        }
        out[o] = '\0';
        return (int)o;
}

int textnorm_fold(struct textnorm *tn, const char *text, char *out, size_t outsz)
{
        size_t len = strlen(text);
        bool ascii = true;
        UChar a[TEXTNORM_MAX], b[TEXTNORM_MAX * 2];
        char utf8[TEXTNORM_MAX * 3];
        int32_t alen = 0, blen, ulen = 0;
        UErrorCode st = U_ZERO_ERROR;

        for (size_t i = 0; i < len; i++) {
                if ((unsigned char)text[i] >= 0x80) {
                        ascii = false;
                        break;
                }
        }
        if (ascii)
                return fold_ascii(text, len, out, outsz);
        if (len > TEXTNORM_MAX - 1) {
                len = TEXTNORM_MAX - 1; /* cut at a sequence boundary */
                while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80)
                        len--;
        }
        u_strFromUTF8(a, TEXTNORM_MAX, &alen, text, (int32_t)len, &st);
        if (U_FAILURE(st))
                return -1;
        {
                /* Latin with accents (GeoNames: "Jhunjhunūn", "Beāwar"): NFD and
                 * dropping the combining marks gives the same ASCII as ICU's
                 * Latin-ASCII, far faster; anything else takes the full path */
                bool dev = false;
                for (int32_t i = 0; i < alen; i++)
                        if (a[i] >= 0x0900 && a[i] <= 0x097F)
                                dev = true;
                if (!dev) {
                        int32_t n, k = 0;
                        bool ok = true;
                        st = U_ZERO_ERROR;
                        n = unorm2_normalize(tn->nfd, a, alen, b, TEXTNORM_MAX * 2, &st);
                        if (U_SUCCESS(st)) {
                                for (int32_t i = 0; i < n && ok; i++) {
                                        if (b[i] >= 0x0300 && b[i] <= 0x036F)
                                                continue;
                                        if (b[i] >= 0x80)
                                                ok = false;
                                        else
                                                utf8[k++] = (char)b[i];
                                }
                                if (ok)
                                        return fold_ascii(utf8, (size_t)k, out, outsz);
                        }
                }
        }
        st = U_ZERO_ERROR;
        blen = unorm2_normalize(tn->nfc, a, alen, b, TEXTNORM_MAX, &st);
        if (U_FAILURE(st))
                return -1;
        st = U_ZERO_ERROR;
        alen = u_strFoldCase(a, TEXTNORM_MAX, b, blen, U_FOLD_CASE_DEFAULT, &st);
        if (U_FAILURE(st))
                return -1;
        blen = (int32_t)dev_schwa(a, (size_t)alen, b, TEXTNORM_MAX);
        {
                int32_t limit = blen;
                st = U_ZERO_ERROR;
                utrans_transUChars(tn->tr, b, &blen, TEXTNORM_MAX * 2, 0, &limit, &st);
                if (U_FAILURE(st))
                        return -1;
        }
        st = U_ZERO_ERROR;
        u_strToUTF8(utf8, (int32_t)sizeof(utf8), &ulen, b, blen, &st);
        if (U_FAILURE(st))
                return -1;
        return fold_ascii(utf8, (size_t)ulen, out, outsz);
}

/* ---- keys -------------------------------------------------------------- */

static bool is_vowel(char c)
{
        return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
}

static bool is_letter(char c)
{
        return c >= 'a' && c <= 'z';
}

size_t textnorm_word_key(const char *w, size_t len, char *out, size_t outsz)
{
        char tmp[TEXTNORM_MAX];
        size_t t = 0, o = 0;

        if (outsz == 0)
                return 0;
        for (size_t i = 0; i < len && t + 1 < sizeof(tmp);) {
                const char *p = w + i;
                size_t rest = len - i;
                char c = p[0];
#define PFX(s) (rest >= sizeof(s) - 1 && memcmp(p, s, sizeof(s) - 1) == 0)
                if (PFX("chh")) {
                        tmp[t++] = 'c';
                        i += 3;
                } else if (PFX("ch")) {
                        tmp[t++] = 'c';
                        i += 2;
                } else if (PFX("sh")) {
                        tmp[t++] = 's';
                        i += 2;
                } else if (PFX("ph")) {
                        tmp[t++] = 'f';
                        i += 2;
                } else if (PFX("ck")) {
                        tmp[t++] = 'k';
                        i += 2;
                } else if (PFX("ee") || PFX("ii")) {
                        tmp[t++] = 'i';
                        i += 2;
                } else if (PFX("oo") || PFX("uu")) {
                        tmp[t++] = 'u';
                        i += 2;
                } else if (PFX("au")) {
                        tmp[t++] = 'o';
                        i += 2;
                } else if (c == 'w') {
                        tmp[t++] = 'v';
                        i++;
                } else if (c == 'q') {
                        tmp[t++] = 'k';
                        i++;
                } else if (c == 'z') {
                        tmp[t++] = 'j';
                        i++;
                } else if (c == 'y' && t > 0 && is_vowel(tmp[t - 1]) &&
                           (rest == 1 || (is_letter(p[1]) && !is_vowel(p[1])))) {
                        tmp[t++] = 'i'; /* jaypur ~ jaipur */
                        i++;
                } else {
                        tmp[t++] = c;
                        i++;
                }
#undef PFX
        }
        /* collapse doubled letters: aa, tt, ll ... */
        for (size_t i = 0; i < t && o + 1 < outsz; i++) {
                if (o > 0 && out[o - 1] == tmp[i] && is_letter(tmp[i]))
                        continue;
                out[o++] = tmp[i];
        }
        /* trailing nasalisation: jhunjhunun ~ jhunjhunu, baran ~ बाराँ */
        if (o >= 4 && out[o - 1] == 'n' && is_vowel(out[o - 2]))
                o--;
        /* a silent final e after a consonant: Jalore ~ जालौर, Sanchore ~ सांचोर */
        else if (o >= 5 && out[o - 1] == 'e' && is_letter(out[o - 2]) && !is_vowel(out[o - 2]))
                o--;
        out[o] = '\0';
        return o;
}

size_t textnorm_words(const char *folded, struct textnorm_word *words, size_t max)
{
        size_t n = 0, i = 0;

        while (folded[i] && n < max) {
                while (folded[i] == ' ')
                        i++;
                if (!folded[i])
                        break;
                words[n].off = i;
                while (folded[i] && folded[i] != ' ')
                        i++;
                words[n].len = i - words[n].off;
                n++;
        }
        return n;
}

int textnorm_key(struct textnorm *tn, const char *text, char *out, size_t outsz)
{
        char folded[TEXTNORM_MAX];
        struct textnorm_word w[TEXTNORM_MAX_WORDS];
        size_t nw, o = 0;

        if (outsz == 0)
                return -1;
        out[0] = '\0';
        if (textnorm_fold(tn, text, folded, sizeof(folded)) < 0)
                return -1;
        nw = textnorm_words(folded, w, TEXTNORM_MAX_WORDS);
        for (size_t k = 0; k < nw && o + 1 < outsz; k++)
                o += textnorm_word_key(folded + w[k].off, w[k].len, out + o, outsz - o);
        return (int)o;
}

int textnorm_distance(const char *a, size_t alen, const char *b, size_t blen, int limit)
{
        int d[3][TEXTNORM_MAX_WORDS * 4 + 1];
        const size_t cap = TEXTNORM_MAX_WORDS * 4;

        if (alen > cap || blen > cap)
                return limit + 1;
        if ((alen > blen ? alen - blen : blen - alen) > (size_t)limit)
                return limit + 1;
        for (size_t j = 0; j <= blen; j++)
                d[0][j] = (int)j;
        for (size_t i = 1; i <= alen; i++) {
                int *cur = d[i % 3], *prev = d[(i - 1) % 3], *pp = d[(i + 1) % 3];
                int rowmin;
                cur[0] = (int)i;
                rowmin = cur[0];
                for (size_t j = 1; j <= blen; j++) {
                        int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                        int v = prev[j] + 1;
                        if (cur[j - 1] + 1 < v)
                                v = cur[j - 1] + 1;
                        if (prev[j - 1] + cost < v)
                                v = prev[j - 1] + cost;
                        if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                            pp[j - 2] + 1 < v)
                                v = pp[j - 2] + 1;
                        cur[j] = v;
                        if (v < rowmin)
                                rowmin = v;
                }
                if (rowmin > limit)
                        return limit + 1;
        }
        return d[alen % 3][blen] > limit ? limit + 1 : d[alen % 3][blen];
}
