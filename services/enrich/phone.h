/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file phone.h
 * @brief Phone numbers to E.164, Indian forms first: "+91 98xxx xxxxx",
 *        "098xxxxxxxx", "98xxxxxxxx", "0091...", "91" + 10 digits, with
 *        spaces, dashes, dots or parentheses and ASCII or Devanagari digits.
 *        An Indian national number is 10 digits not starting 0 (mobiles 6-9,
 *        landlines STD code + number; toll-free 1800/1860 refused). Other countries: "+" and 8-15 digits.
 */
#ifndef PRAHARI_ENRICH_PHONE_H
#define PRAHARI_ENRICH_PHONE_H
#include <stddef.h>

#define PHONE_E164_MAX 17 /* "+" + 15 digits + NUL */

/**
 * @brief Normalise @p in to E.164 in @p out (>= PHONE_E164_MAX bytes).
 * @returns 0, or -1 if it is not a phone number (out is then "").
 */
int phone_e164(const char *in, char *out, size_t outsz);

#endif
