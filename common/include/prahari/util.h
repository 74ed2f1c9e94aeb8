/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file util.h
 * @brief Small pure helpers: time, ids, hashing, HMAC, hex, base64.
 *        No network libraries (common_core).
 */
#ifndef PRAHARI_UTIL_H
#define PRAHARI_UTIL_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/** @brief Wall clock in microseconds since the epoch. */
int64_t util_now_us(void);
/** @brief Monotonic clock in microseconds. */
int64_t util_mono_us(void);

/**
 * @brief Format microseconds since the epoch as RFC 3339 UTC with
 * milliseconds ("2026-12-03T09:05:10.123Z") into @p buf (>= 32 bytes).
 * When @p with_ms is false: "2026-12-03T09:05:10Z".
 */
void util_rfc3339(int64_t us, bool with_ms, char *buf, size_t bufsz);

/**
 * @brief Parse RFC 3339 with any offset and optional fraction
 * ("2026-12-03T14:44:10.250+05:30", "...Z"; 't'/'z'/' ' accepted).
 * @returns 0 and microseconds since the epoch in @p out_us; -1 if invalid.
 */
int util_parse_rfc3339(const char *s, int64_t *out_us);

/** @brief A random (v4) UUID as 36 characters + NUL into @p buf (>= 37). */
void util_uuid4(char *buf);

/**
 * @brief A short code for SMS: 6 characters from "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
 * (no 0/O/1/I/L), derived from the first bytes of @p alert_id's SHA-256 and
 * @p salt (0 first; the caller bumps salt on a unique-key collision).
 */
void util_short_code(const char *alert_id, unsigned salt, char out[7]);

/** @brief SHA-256 of @p data as 64 lower-case hex characters + NUL. */
void util_sha256_hex(const void *data, size_t len, char out[65]);

/** @brief HMAC-SHA256 of @p data with @p key; 32 raw bytes into @p mac. */
void util_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
                      unsigned char mac[32]);

/**
 * @brief Check a header of the form "sha256=<64 hex>" against
 * HMAC-SHA256(@p key, @p body) in constant time (case-insensitive hex).
 * @returns true only when it matches; false for NULL, malformed or wrong.
 */
bool util_hmac_sha256_verify_header(const char *key, size_t keylen, const void *body,
                                    size_t len, const char *header);

/** @brief Constant-time comparison of two equal-length buffers. */
bool util_ct_equal(const void *a, const void *b, size_t len);

/** @brief Lower-case hex of @p len bytes into @p out (>= 2*len+1). */
void util_hex(const unsigned char *in, size_t len, char *out);

/**
 * @brief Decode standard or URL-safe base64, with or without padding,
 * ignoring nothing else (whitespace is an error).
 * @returns malloc'd buffer (NUL-terminated for convenience) and its length in
 * @p outlen, or NULL if the input is not base64. Caller frees.
 */
unsigned char *util_b64_decode(const char *in, size_t inlen, size_t *outlen);

/** @brief base64url without padding; malloc'd, caller frees. */
char *util_b64url_encode(const unsigned char *in, size_t len);

/** @brief Read a whole file; malloc'd and NUL-terminated; NULL on error. */
char *util_read_file(const char *path, size_t *len);

/** @brief True if @p s (of @p len bytes) is valid UTF-8 without NUL bytes. */
bool util_utf8_valid(const char *s, size_t len);

/* ==== Additions ==== */

/**
 * @brief Decode one UTF-8 sequence at @p s (at most @p len bytes).
 * @returns its length (1..4) and the code point in @p cp, or 0 if the bytes
 * are not a valid, shortest-form sequence of a scalar value (no surrogates,
 * nothing above U+10FFFF).
 */
size_t util_utf8_next(const unsigned char *s, size_t len, uint32_t *cp);

/** @brief Fill @p buf with @p len cryptographically random bytes (aborts if none). */
void util_random(void *buf, size_t len);

/**
 * @brief Encode standard base64 with padding; malloc'd, caller frees.
 */
char *util_b64_encode(const unsigned char *in, size_t len);

/**
 * @brief Copy at most @p dstsz-1 bytes of @p src into @p dst, always NUL-terminated.
 * @returns strlen(@p src) (truncation happened when >= @p dstsz).
 */
size_t util_strlcpy(char *dst, const char *src, size_t dstsz);

#endif
