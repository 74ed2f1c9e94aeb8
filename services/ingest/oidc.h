/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file oidc.h
 * @brief Pub/Sub push authentication (pure, OpenSSL libcrypto): Google OIDC
 *        bearer tokens (RS256 only) verified against a JWKS by `kid`, and the
 *        weaker per-endpoint query-string token.
 */
#ifndef PRAHARI_INGEST_OIDC_H
#define PRAHARI_INGEST_OIDC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct oidc_jwks; /* RSA public keys by kid */

/**
 * @brief Parse a JWKS document ({"keys":[{"kty":"RSA","kid","n","e"}...]}).
 * Keys other than RSA are skipped. @returns a new set (at least one key), or
 * NULL with @p err.
 */
struct oidc_jwks *oidc_jwks_parse(const char *text, size_t len, char *err, size_t errsz);

/** @brief Free; NULL is a no-op. */
void oidc_jwks_free(struct oidc_jwks *k);

/** What a token must say. */
struct oidc_expect {
        const char *audience;        /* aud */
        const char *service_account; /* email, with email_verified true */
        int64_t now_s;               /* unix seconds */
        int skew_s;                  /* allowed clock skew, 60 */
};

/**
 * @brief Verify a compact JWT: header alg RS256 (none/HS256/other refused),
 * kid known, RSA-SHA256 signature valid, iss https://accounts.google.com or
 * accounts.google.com, aud as expected (string or array holding it), email as
 * expected with email_verified true, exp in the future (nbf/iat not in the
 * future) within the skew.
 * @returns true when valid; false with the reason in @p why (never secrets).
 */
bool oidc_verify(const struct oidc_jwks *k, const char *token, const struct oidc_expect *ex,
                 char *why, size_t whysz);

/**
 * @brief Extract the token from an "Authorization: Bearer <jwt>" header value.
 * @returns pointer into @p header, or NULL.
 */
const char *oidc_bearer(const char *header);

/** @brief Constant-time equality of two NUL-terminated tokens (NULL: false). */
bool oidc_token_equal(const char *given, const char *configured);

#endif
