/* SPDX-License-Identifier: Apache-2.0 */
/* Compact HMAC-signed acknowledgement link tokens with key rotation. */
#include "token.h"
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "prahari/util.h"

static const char code_alpha[] = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"; /* util_short_code's */
#define CODE_BASE 31u

static unsigned char kid_byte(const char *kid)
{
        unsigned char h[SHA256_DIGEST_LENGTH];
        SHA256((const unsigned char *)kid, strlen(kid), h);
        return h[0];
}

int token_keys_parse(const char *text, struct token_keys *out, char *err, size_t errsz)
{
        memset(out, 0, sizeof *out);
        int lineno = 0;
        const char *p = text ? text : "";
        while (*p) {
                const char *eol = strchr(p, '\n');
                size_t n = eol ? (size_t)(eol - p) : strlen(p);
                lineno++;
                while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == ' '))
                        n--;
                if (n > 0 && p[0] != '#') {
                        const char *colon = memchr(p, ':', n);
                        if (!colon || colon == p) {
                                snprintf(err, errsz, "line %d: expected kid:secret", lineno);
                                return -1;
                        }
                        size_t kl = (size_t)(colon - p), sl = n - kl - 1;
                        if (kl >= sizeof out->k[0].kid) {
                                snprintf(err, errsz, "line %d: key id longer than 63", lineno);
                                return -1;
                        }
                        if (sl < 16 || sl > sizeof out->k[0].secret) {
                                snprintf(err, errsz, "line %d: secret must be 16..128 bytes",
                                         lineno);
                                return -1;
                        }
                        if (out->n == TOKEN_MAX_KEYS) {
                                snprintf(err, errsz, "more than %d keys", TOKEN_MAX_KEYS);
                                return -1;
                        }
                        struct token_key *k = &out->k[out->n];
                        memcpy(k->kid, p, kl);
                        k->kid[kl] = '\0';
                        memcpy(k->secret, colon + 1, sl);
                        k->secret_len = sl;
                        k->kid_byte = kid_byte(k->kid);
                        for (size_t i = 0; i < out->n; i++)
                                if (out->k[i].kid_byte == k->kid_byte) {
                                        snprintf(err, errsz,
                                                 "line %d: key id '%s' collides with '%s'; "
                                                 "choose another id",
                                                 lineno, k->kid, out->k[i].kid);
                                        return -1;
                                }
                        out->n++;
                }
                p += eol ? (size_t)(eol - p) + 1 : strlen(p);
        }
        if (out->n == 0) {
                snprintf(err, errsz, "no key (expected lines kid:secret)");
                return -1;
        }
        return 0;
}

static void put32(unsigned char *b, uint32_t v)
{
        b[0] = (unsigned char)(v >> 24);
        b[1] = (unsigned char)(v >> 16);
        b[2] = (unsigned char)(v >> 8);
        b[3] = (unsigned char)v;
}

static uint32_t get32(const unsigned char *b)
{
        return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static void recipient_hash(const char *recipient_id, unsigned char out[4])
{
        unsigned char h[SHA256_DIGEST_LENGTH];
        SHA256((const unsigned char *)recipient_id, strlen(recipient_id), h);
        memcpy(out, h, 4);
}

static void tag(const struct token_key *k, const unsigned char *msg, unsigned char out[8])
{
        unsigned char mac[32];
        util_hmac_sha256(k->secret, k->secret_len, msg, 13, mac);
        memcpy(out, mac, 8);
}

int token_make(const struct token_keys *keys, const char *short_code, const char *recipient_id,
               int64_t expires, char out[TOKEN_LEN + 1])
{
        if (!keys || keys->n == 0 || !short_code || strlen(short_code) != 6 || !recipient_id ||
            expires < 0 || expires > (int64_t)UINT32_MAX)
                return -1;
        uint32_t packed = 0;
        for (int i = 0; i < 6; i++) {
                const char *c = strchr(code_alpha, short_code[i]);
                if (!c || short_code[i] == '\0')
                        return -1;
                packed = packed * CODE_BASE + (uint32_t)(c - code_alpha);
        }
        unsigned char raw[21];
        const struct token_key *k = &keys->k[0];
        raw[0] = k->kid_byte;
        put32(raw + 1, packed);
        recipient_hash(recipient_id, raw + 5);
        put32(raw + 9, (uint32_t)expires);
        tag(k, raw, raw + 13);
        char *enc = util_b64url_encode(raw, sizeof raw);
        if (!enc || strlen(enc) != TOKEN_LEN) {
                free(enc);
                return -1;
        }
        memcpy(out, enc, TOKEN_LEN + 1);
        free(enc);
        return 0;
}

enum token_status token_verify(const struct token_keys *keys, const char *token, int64_t now,
                               struct token_claims *claims)
{
        if (!token || strlen(token) != TOKEN_LEN)
                return TOKEN_MALFORMED;
        for (const char *p = token; *p; p++)
                if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
                        return TOKEN_MALFORMED;
        size_t rawlen = 0;
        unsigned char *raw = util_b64_decode(token, TOKEN_LEN, &rawlen);
        enum token_status st = TOKEN_MALFORMED;
        if (!raw || rawlen != 21)
                goto out;
        const struct token_key *k = NULL;
        for (size_t i = 0; i < keys->n; i++)
                if (keys->k[i].kid_byte == raw[0])
                        k = &keys->k[i];
        if (!k) {
                st = TOKEN_UNKNOWN_KEY;
                goto out;
        }
        unsigned char want[8];
        tag(k, raw, want);
        if (!util_ct_equal(want, raw + 13, 8)) {
                st = TOKEN_BAD_SIGNATURE;
                goto out;
        }
        uint32_t packed = get32(raw + 1);
        char code[7];
        for (int i = 5; i >= 0; i--) {
                code[i] = code_alpha[packed % CODE_BASE];
                packed /= CODE_BASE;
        }
        code[6] = '\0';
        if (packed != 0) /* signed by us, so never; but stay strict */
                goto out;
        int64_t exp = (int64_t)get32(raw + 9);
        if (now >= exp) {
                st = TOKEN_EXPIRED;
                goto out;
        }
        if (claims) {
                memcpy(claims->short_code, code, sizeof code);
                memcpy(claims->recipient_hash, raw + 5, 4);
                claims->expires = exp;
                util_strlcpy(claims->kid, k->kid, sizeof claims->kid);
        }
        st = TOKEN_OK;
out:
        free(raw);
        return st;
}

bool token_recipient_matches(const struct token_claims *claims, const char *recipient_id)
{
        unsigned char h[4];
        if (!claims || !recipient_id)
                return false;
        recipient_hash(recipient_id, h);
        return memcmp(h, claims->recipient_hash, 4) == 0;
}

const char *token_status_name(enum token_status st)
{
        switch (st) {
        case TOKEN_OK: return "ok";
        case TOKEN_MALFORMED: return "malformed";
        case TOKEN_UNKNOWN_KEY: return "unknown_key";
        case TOKEN_BAD_SIGNATURE: return "bad_signature";
        case TOKEN_EXPIRED: return "expired";
        }
        return "unknown";
}
