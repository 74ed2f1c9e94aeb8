/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file strbuf.h
 * @brief A growable, always NUL-terminated byte buffer with a hard size cap,
 *        used by the notifier's text builders.
 */
#ifndef PRAHARI_NOTIFIER_STRBUF_H
#define PRAHARI_NOTIFIER_STRBUF_H
#include <stddef.h>
#include <stdbool.h>

#define STRBUF_CAP (4u * 1024u * 1024u) /* no notifier text grows past 4 MiB */

struct strbuf {
        char *p;
        size_t len, size;
        bool failed; /* set on allocation failure or when the cap is hit */
};

/** @brief Append @p n bytes. Sets failed (and appends nothing) on error. */
void sb_addn(struct strbuf *b, const char *s, size_t n);
/** @brief Append a NUL-terminated string (NULL appends nothing). */
void sb_add(struct strbuf *b, const char *s);
/** @brief Append formatted text. */
void sb_addf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** @brief Append @p s with & < > " ' escaped for HTML. */
void sb_add_html(struct strbuf *b, const char *s);
/**
 * @brief Hand the buffer to the caller (malloc'd, never NULL unless failed)
 * and reset @p b. @returns NULL (and frees) if the buffer failed.
 */
char *sb_take(struct strbuf *b);
/** @brief Free and reset. */
void sb_free(struct strbuf *b);

#endif
