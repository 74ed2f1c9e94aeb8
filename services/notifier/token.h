/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file token.h
 * @brief Signed, expiring, single-alert link tokens (PUBLIC_URL/a/<token>).
 *
 * A token is 21 bytes in base64url without padding, 28 characters, so that
 * it fits one DLT variable (30 characters):
 *
 *   byte 0      key id byte: first byte of SHA-256 of the key's id
 *   bytes 1-4   the alert's short code, 6 characters of the short-code
 *               alphabet packed base 31 (big-endian)
 *   bytes 5-8   recipient: first 4 bytes of SHA-256 of the recipient id
 *   bytes 9-12  expiry, seconds since the epoch (big-endian, unsigned)
 *   bytes 13-20 the first 8 bytes of HMAC-SHA256(key secret, bytes 0-12)
 *
 * Keys come from PRAHARI_LINK_KEYS_FILE, one "kid:secret" per line; the first
 * line signs, every line verifies (rotation: add the new key on top, keep the
 * old one until its links expired). A 64-bit tag suffices for a link that
 * is checked online, one guess per HTTP request.
 */
#ifndef PRAHARI_NOTIFIER_TOKEN_H
#define PRAHARI_NOTIFIER_TOKEN_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define TOKEN_LEN 28
#define TOKEN_MAX_KEYS 16

struct token_key {
        char kid[64];
        unsigned char kid_byte;
        unsigned char secret[128];
        size_t secret_len;
};

struct token_keys {
        struct token_key k[TOKEN_MAX_KEYS];
        size_t n;
};

/** What a valid token says. */
struct token_claims {
        char short_code[7];
        unsigned char recipient_hash[4];
        int64_t expires; /* seconds since the epoch */
        char kid[64];    /* the key that verified it */
};

enum token_status {
        TOKEN_OK = 0,
        TOKEN_MALFORMED = 1,
        TOKEN_UNKNOWN_KEY = 2,
        TOKEN_BAD_SIGNATURE = 3,
        TOKEN_EXPIRED = 4,
};

/**
 * @brief Parse the keys file text ("kid:secret" per line; blank lines and
 * lines starting with '#' ignored; secrets of at least 16 bytes).
 * @returns 0, or -1 with @p err naming the line.
 */
int token_keys_parse(const char *text, struct token_keys *out, char *err, size_t errsz);

/**
 * @brief Make a token for @p short_code (6 characters of the short-code
 * alphabet) and @p recipient_id, valid until @p expires, signed with the
 * first key. @p out receives TOKEN_LEN characters + NUL.
 * @returns 0, or -1 if the short code is not in the alphabet or no key.
 */
int token_make(const struct token_keys *keys, const char *short_code, const char *recipient_id,
               int64_t expires, char out[TOKEN_LEN + 1]);

/**
 * @brief Check @p token at time @p now (seconds). Fills @p claims on TOKEN_OK.
 * The tag is compared in constant time.
 */
enum token_status token_verify(const struct token_keys *keys, const char *token, int64_t now,
                               struct token_claims *claims);

/** @brief True when @p recipient_id's hash is the one in @p claims. */
bool token_recipient_matches(const struct token_claims *claims, const char *recipient_id);

/** @brief "ok", "malformed", "unknown_key", "bad_signature", "expired". */
const char *token_status_name(enum token_status st);

#endif
