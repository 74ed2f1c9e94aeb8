/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file gsm.h
 * @brief SMS encoding detection and part counting (delivery-v1 "Text rules"):
 *        GSM-7 (160 per single part, 153 per part when split; extension
 *        characters ^ { } \ [ ] ~ | € count twice) or UCS-2 (70 / 67 per
 *        part, counted in UTF-16 code units, so a character outside the
 *        Basic Multilingual Plane, e.g. most emoji, counts two).
 */
#ifndef PRAHARI_NOTIFIER_GSM_H
#define PRAHARI_NOTIFIER_GSM_H
#include <stddef.h>
#include <stdbool.h>

enum gsm_encoding { GSM_ENC_GSM7 = 0, GSM_ENC_UCS2 = 1 };

/** The result of counting one text. */
struct gsm_count {
        enum gsm_encoding enc;
        size_t units;    /* GSM-7 septets, or UTF-16 code units for UCS-2 */
        int parts;       /* 1 for an empty text */
        size_t per_part; /* capacity per part that applied: 160/153 or 70/67 */
};

/**
 * @brief Classify and count @p len bytes of UTF-8 text.
 * @returns 0 with @p out filled; -1 if the text is not valid UTF-8.
 */
int gsm_count_text(const char *text, size_t len, struct gsm_count *out);

/**
 * @brief GSM-7 cost of one code point: 1 (basic table), 2 (extension table)
 * or 0 (not representable in GSM-7).
 */
int gsm_septets(unsigned cp);

/** @brief "gsm7" or "ucs2". */
const char *gsm_encoding_name(enum gsm_encoding enc);

#endif
