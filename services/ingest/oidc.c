/* SPDX-License-Identifier: Apache-2.0 */
/* OIDC bearer-token verification for Pub/Sub push (pure; OpenSSL 3 EVP for
 * RSA-SHA256, jansson for the JSON parts). RS256 only, keys by kid. */
#include "oidc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "prahari/util.h"

struct oidc_key {
        char kid[128];
        EVP_PKEY *pkey;
};

struct oidc_jwks {
        struct oidc_key *v;
        size_t n;
};

static EVP_PKEY *rsa_from_ne(const unsigned char *n, size_t nlen, const unsigned char *e,
                             size_t elen)
{
        EVP_PKEY *pkey = NULL;
        BIGNUM *bn = BN_bin2bn(n, (int)nlen, NULL), *be = BN_bin2bn(e, (int)elen, NULL);
        OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
        OSSL_PARAM *params = NULL;
        EVP_PKEY_CTX *ctx = NULL;
        if (!bn || !be || !bld || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) ||
            !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be))
                goto out;
        params = OSSL_PARAM_BLD_to_param(bld);
        ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
        if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
            EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
                pkey = NULL;
out:
        EVP_PKEY_CTX_free(ctx);
        OSSL_PARAM_free(params);
        OSSL_PARAM_BLD_free(bld);
        BN_free(bn);
        BN_free(be);
        return pkey;
}

struct oidc_jwks *oidc_jwks_parse(const char *text, size_t len, char *err, size_t errsz)
{
        json_error_t je;
        json_t *root = json_loadb(text, len, 0, &je);
        json_t *keys = json_object_get(root, "keys");
        struct oidc_jwks *k = calloc(1, sizeof(*k));
        if (!k || !json_is_array(keys)) {
                snprintf(err, errsz, "JWKS: must be an object with a \"keys\" array");
                goto fail;
        }
        k->v = calloc(json_array_size(keys) + 1, sizeof(*k->v));
        if (!k->v)
                goto fail;
        size_t i;
        json_t *jk;
        json_array_foreach(keys, i, jk)
        {
                const char *kty = json_string_value(json_object_get(jk, "kty"));
                const char *kid = json_string_value(json_object_get(jk, "kid"));
                const char *n = json_string_value(json_object_get(jk, "n"));
                const char *e = json_string_value(json_object_get(jk, "e"));
                if (!kty || strcmp(kty, "RSA") != 0)
                        continue;
                if (!kid || !n || !e || strlen(kid) >= sizeof(k->v[0].kid)) {
                        snprintf(err, errsz, "JWKS: keys[%zu]: kid, n and e are required", i);
                        goto fail;
                }
                size_t nl = 0, el = 0;
                unsigned char *nb = util_b64_decode(n, strlen(n), &nl);
                unsigned char *eb = util_b64_decode(e, strlen(e), &el);
                EVP_PKEY *pk = nb && eb ? rsa_from_ne(nb, nl, eb, el) : NULL;
                free(nb);
                free(eb);
                if (!pk) {
                        snprintf(err, errsz, "JWKS: keys[%zu] (kid %s): not a usable RSA key", i,
                                 kid);
                        goto fail;
                }
                snprintf(k->v[k->n].kid, sizeof(k->v[k->n].kid), "%s", kid);
                k->v[k->n++].pkey = pk;
        }
        if (k->n == 0) {
                snprintf(err, errsz, "JWKS: no RSA key");
                goto fail;
        }
        json_decref(root);
        return k;
fail:
        json_decref(root);
        oidc_jwks_free(k);
        return NULL;
}

void oidc_jwks_free(struct oidc_jwks *k)
{
        if (!k)
                return;
        for (size_t i = 0; i < k->n; i++)
                EVP_PKEY_free(k->v[i].pkey);
        free(k->v);
        free(k);
}

static EVP_PKEY *key_by_kid(const struct oidc_jwks *k, const char *kid)
{
        for (size_t i = 0; kid && i < k->n; i++)
                if (strcmp(k->v[i].kid, kid) == 0)
                        return k->v[i].pkey;
        return NULL;
}

/* base64url part [s, s+n) -> JSON object, or NULL. */
static json_t *part_json(const char *s, size_t n)
{
        size_t len = 0;
        unsigned char *raw = util_b64_decode(s, n, &len);
        if (!raw)
                return NULL;
        json_t *j = json_loadb((const char *)raw, len, JSON_REJECT_DUPLICATES, NULL);
        free(raw);
        if (j && !json_is_object(j)) {
                json_decref(j);
                return NULL;
        }
        return j;
}

static bool aud_ok(const json_t *aud, const char *want)
{
        if (json_is_string(aud))
                return strcmp(json_string_value(aud), want) == 0;
        size_t i;
        json_t *a;
        json_array_foreach(aud, i, a)
        {
                if (json_is_string(a) && strcmp(json_string_value(a), want) == 0)
                        return true;
        }
        return false;
}

bool oidc_verify(const struct oidc_jwks *k, const char *token, const struct oidc_expect *ex,
                 char *why, size_t whysz)
{
        bool ok = false;
        json_t *hdr = NULL, *claims = NULL;
        unsigned char *sig = NULL;
        EVP_MD_CTX *md = NULL;
        if (!k || !token || !ex || !ex->audience || !ex->service_account) {
                snprintf(why, whysz, "no token or not configured");
                return false;
        }
        const char *d1 = strchr(token, '.');
        const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
        if (!d1 || !d2 || strchr(d2 + 1, '.')) {
                snprintf(why, whysz, "not a compact JWT");
                goto out;
        }
        hdr = part_json(token, (size_t)(d1 - token));
        claims = part_json(d1 + 1, (size_t)(d2 - d1 - 1));
        if (!hdr || !claims) {
                snprintf(why, whysz, "header or claims not base64url JSON");
                goto out;
        }
        const char *alg = json_string_value(json_object_get(hdr, "alg"));
        if (!alg || strcmp(alg, "RS256") != 0) {
                snprintf(why, whysz, "alg must be RS256");
                goto out;
        }
        EVP_PKEY *pk = key_by_kid(k, json_string_value(json_object_get(hdr, "kid")));
        if (!pk) {
                snprintf(why, whysz, "unknown kid");
                goto out;
        }
        size_t siglen = 0;
        sig = util_b64_decode(d2 + 1, strlen(d2 + 1), &siglen);
        if (!sig || siglen == 0) {
                snprintf(why, whysz, "signature not base64url");
                goto out;
        }
        md = EVP_MD_CTX_new();
        if (!md || EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pk) != 1 ||
            EVP_DigestVerify(md, sig, siglen, (const unsigned char *)token,
                             (size_t)(d2 - token)) != 1) {
                snprintf(why, whysz, "bad signature");
                goto out;
        }
        const char *iss = json_string_value(json_object_get(claims, "iss"));
        if (!iss || (strcmp(iss, "https://accounts.google.com") != 0 &&
                     strcmp(iss, "accounts.google.com") != 0)) {
                snprintf(why, whysz, "wrong iss");
                goto out;
        }
        if (!aud_ok(json_object_get(claims, "aud"), ex->audience)) {
                snprintf(why, whysz, "wrong aud");
                goto out;
        }
        const char *email = json_string_value(json_object_get(claims, "email"));
        if (!email || strcmp(email, ex->service_account) != 0) {
                snprintf(why, whysz, "wrong email");
                goto out;
        }
        if (!json_is_true(json_object_get(claims, "email_verified"))) {
                snprintf(why, whysz, "email not verified");
                goto out;
        }
        json_t *exp = json_object_get(claims, "exp");
        if (!json_is_number(exp) || json_number_value(exp) + ex->skew_s <= (double)ex->now_s) {
                snprintf(why, whysz, "expired or no exp");
                goto out;
        }
        json_t *nbf = json_object_get(claims, "nbf");
        if (nbf && (!json_is_number(nbf) ||
                    json_number_value(nbf) - ex->skew_s > (double)ex->now_s)) {
                snprintf(why, whysz, "not yet valid (nbf)");
                goto out;
        }
        json_t *iat = json_object_get(claims, "iat");
        if (iat && (!json_is_number(iat) ||
                    json_number_value(iat) - ex->skew_s > (double)ex->now_s)) {
                snprintf(why, whysz, "issued in the future (iat)");
                goto out;
        }
        ok = true;
        why[0] = '\0';
out:
        EVP_MD_CTX_free(md);
        free(sig);
        json_decref(hdr);
        json_decref(claims);
        return ok;
}

const char *oidc_bearer(const char *header)
{
        if (!header || strncasecmp(header, "Bearer ", 7) != 0)
                return NULL;
        const char *t = header + 7;
        while (*t == ' ')
                t++;
        return *t ? t : NULL;
}

bool oidc_token_equal(const char *given, const char *configured)
{
        if (!given || !configured || !*configured)
                return false;
        unsigned char a[32], b[32];
        /* Compare fixed-size digests so that the length leaks nothing either. */
        util_hmac_sha256("prahari-token", 13, given, strlen(given), a);
        util_hmac_sha256("prahari-token", 13, configured, strlen(configured), b);
        return util_ct_equal(a, b, 32);
}
