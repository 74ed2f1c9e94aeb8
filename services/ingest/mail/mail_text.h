/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file mail_text.h
 * @brief Pure text helpers of the e-mail way in: HTML to plain text, the
 *        `Detected` time formats, sender allow-lists, line-end clean-up.
 *        No GMime, no network; values in, values out.
 */
#ifndef PRAHARI_INGEST_MAIL_TEXT_H
#define PRAHARI_INGEST_MAIL_TEXT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ==== Text ==== */

/**
 * @brief Plain text from HTML (UTF-8 in, UTF-8 out).
 *
 * Tags are removed; `<br>`, `<p>`, `<div>`, `<tr>`, `<li>`, headings and
 * `<table>` end a line; a new table cell on a line that already has text is
 * separated by a space when the text so far ends with ':' (so
 * `Key:</td><td>Value` gives `Key: Value`) and by a tab otherwise. Source
 * white space collapses to one space as a browser shows it (except inside
 * `<pre>`); `<script>`, `<style>`, `<head>` and comments are dropped. Entities
 * `&amp; &lt; &gt; &quot; &apos; &nbsp; &#NN; &#xHH;` and a few typographic
 * ones are decoded; an unknown or malformed entity is kept as written; a
 * numeric entity of NUL, a surrogate or beyond U+10FFFF becomes U+FFFD.
 *
 * @returns malloc'd NUL-terminated text (caller frees), or NULL on OOM.
 */
char *mail_html_to_text(const char *html, size_t len);

/**
 * @brief Normalise line ends in place: CRLF and lone CR become LF, NUL bytes
 * are removed and a leading UTF-8 byte-order mark is dropped.
 * @returns the new length (the buffer stays NUL-terminated).
 */
size_t mail_text_normalise(char *s, size_t len);

/**
 * @brief Undo RFC 3676 format=flowed in place (text with LF line ends): a line
 * ending in a space is joined with the next (the space dropped when @p delsp),
 * a leading space-stuffing space is removed; the signature line "-- " is
 * never joined. @returns the new length (NUL-terminated).
 */
size_t mail_text_unflow(char *s, size_t len, bool delsp);

/* ==== Time ==== */

/**
 * @brief Parse a report's `Detected` value into unix seconds.
 *
 * Accepted: `YYYY-MM-DD HH:MM[:SS] ZONE` with ZONE one of IST (+05:30),
 * UTC, GMT, Z or a numeric offset `+HH:MM`/`+HHMM`; RFC 3339 (any offset,
 * fraction ignored); RFC 2822 (`Thu, 03 Dec 2026 14:05:00 +0530`, day name
 * optional, obsolete zone names UT/GMT/EST/.../IST as +05:30). A time without
 * a zone is refused (ambiguous). Years outside 2000..2100 are refused.
 *
 * @returns 0 and the time in @p out; -1 if @p s is none of these.
 */
int mail_parse_detected(const char *s, int64_t *out);

/* ==== Senders ==== */

/**
 * @brief Whether @p addr (an addr-spec like `a@b.example`) is on the
 * comma-separated allow-list @p list. Entries are compared without regard to
 * case and surrounding spaces; an entry `@domain.example` allows every
 * address of exactly that domain. NULL or empty list allows nobody.
 */
bool mail_sender_allowed(const char *list, const char *addr);

/**
 * @brief Whether an Authentication-Results header value (RFC 8601) written by
 * our own receiving server says the message really comes from @p from_domain.
 *
 * The value must start with @p authserv_id (case-insensitive, optionally
 * followed by a version number) and hold `dmarc=pass` (whose `header.from`,
 * when given, is @p from_domain), or `dkim=pass` whose `header.d` is
 * @p from_domain or `header.i` ends in `@from_domain`. Comments in
 * parentheses are ignored. Only the topmost such header may be trusted (the
 * one our server added); the caller passes that one.
 * @returns true only in those cases; false for NULL or anything else.
 */
bool mail_auth_results_ok(const char *value, const char *authserv_id, const char *from_domain);

#endif
