/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file textnorm.h
 * @brief Text normalisation for place names in any script and spelling:
 *        ICU NFC + case folding + Devanagari->Latin transliteration (with a
 *        Hindi schwa-deletion pass, so जयपुर reads "jaipur" not "jayapura"),
 *        then a phonetic matching key tolerant of the usual spelling
 *        variation (aa/a, ee/ii/i, oo/uu/u, au/o, w/v, sh/s, chh/ch/c, ph/f,
 *        doubled letters, trailing nasal n, silent final e). One index serves
 *        both scripts.
 */
#ifndef PRAHARI_ENRICH_TEXTNORM_H
#define PRAHARI_ENRICH_TEXTNORM_H
#include <stddef.h>

struct textnorm;

/** Longest key or folded text handled; longer input is truncated. */
#define TEXTNORM_MAX 512
/** Most words textnorm_words returns. */
#define TEXTNORM_MAX_WORDS 24

/**
 * @brief Open the ICU transliterator. Not thread-safe: one per thread.
 * @returns NULL with a message in @p err if ICU lacks the transform.
 */
struct textnorm *textnorm_new(char *err, size_t errsz);

/** @brief Close; NULL is a no-op. */
void textnorm_free(struct textnorm *tn);

/**
 * @brief Fold @p text to lower-case ASCII words separated by single spaces:
 * NFC, case fold, Devanagari transliterated, diacritics removed, every
 * other character (punctuation, digits kept) a separator.
 * @returns the length written to @p out (always NUL-terminated), or -1 if
 * @p text is not valid UTF-8.
 */
int textnorm_fold(struct textnorm *tn, const char *text, char *out, size_t outsz);

/**
 * @brief The matching key of one folded ASCII word (a-z0-9 only), written
 * to @p out. Pure; no ICU. @returns the key length.
 */
size_t textnorm_word_key(const char *word, size_t len, char *out, size_t outsz);

/**
 * @brief The key of a whole name: fold, then the concatenation of the word
 * keys ("Sri Ganganagar" and "Sriganganagar" give the same key).
 * @returns the key length (0 if nothing usable), -1 on invalid UTF-8.
 */
int textnorm_key(struct textnorm *tn, const char *text, char *out, size_t outsz);

/** One word of a folded text: offset and length in the folded buffer. */
struct textnorm_word {
        size_t off, len;
};

/**
 * @brief Split folded text (output of textnorm_fold) into words.
 * @returns the number of words (at most @p max).
 */
size_t textnorm_words(const char *folded, struct textnorm_word *words, size_t max);

/**
 * @brief Damerau-Levenshtein (optimal string alignment) distance between
 * two keys, stopping early above @p limit (returns limit+1 then).
 */
int textnorm_distance(const char *a, size_t alen, const char *b, size_t blen, int limit);

#endif
