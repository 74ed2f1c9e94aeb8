/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file jsonload.h
 * @brief Parse a partner body with jansson under the project's rules (pure).
 *
 * Rules (each has a unit test):
 *  - the top level must be an object;
 *  - duplicate object keys are refused (ambiguous: which value counts?);
 *  - embedded NUL (\u0000) is allowed in strings; identifiers holding NUL fail
 *    validation, free text has NUL replaced by U+FFFD before storage;
 *  - invalid UTF-8, lone surrogates and nesting deeper than jansson's limit
 *    (2048) are refused;
 *  - a number jansson cannot hold (an integer beyond 64 bits, a real that
 *    overflows) does not fail the whole delivery: it is read as the string
 *    "\x1bNUMBER:<digits>" so the item that holds it is quarantined naming
 *    the field ("number too large to read"), and the others go through.
 */
#ifndef PRAHARI_INGEST_JSONLOAD_H
#define PRAHARI_INGEST_JSONLOAD_H
#include <stddef.h>
#include <jansson.h>

/**
 * @brief Parse @p body as a JSON object.
 * @returns new reference, or NULL with a sentence naming the position in
 * @p detail.
 */
json_t *jsonload_object(const char *body, size_t len, char *detail, size_t detailsz);

/**
 * @brief The body with every number that overflows jansson's int64/double
 * rewritten as "\u001bNUMBER:<token>" (outside strings only).
 * @returns malloc'd NUL-terminated text and its length in @p outlen, or NULL
 * when nothing needed rewriting (or on OOM).
 */
char *jsonload_quote_bignums(const char *body, size_t len, size_t *outlen);

#endif
