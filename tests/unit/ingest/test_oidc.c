/* SPDX-License-Identifier: Apache-2.0 */
/* OIDC bearer tokens for Pub/Sub push: the tokens of cases.json, and tokens
 * minted here with the test private key (and another key) for every way a
 * token must be refused. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "../../testutil.h"
#include "fixtures.h"
#include "oidc.h"

#define AUD_G "https://prahari.example/v1/intake/google"
#define AUD_Y "https://prahari.example/v1/intake/youtube"
#define SA "safety-push@partner-safety.iam.gserviceaccount.com"
#define NOW 1764752710LL

static char *b64s(const char *s)
{
        return util_b64url_encode((const unsigned char *)s, strlen(s));
}

/* header.claims signed RS256 with @p pk (or HS256 with @p hskey, or none). */
static char *mint(const char *header, const char *claims, EVP_PKEY *pk, const char *hskey)
{
        char *h = b64s(header), *c = b64s(claims);
        size_t n = strlen(h) + strlen(c) + 2;
        char *input = malloc(n);
        snprintf(input, n, "%s.%s", h, c);
        unsigned char sig[512];
        size_t siglen = 0;
        if (pk) {
                EVP_MD_CTX *md = EVP_MD_CTX_new();
                siglen = sizeof(sig);
                EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pk);
                EVP_DigestSign(md, sig, &siglen, (unsigned char *)input, strlen(input));
                EVP_MD_CTX_free(md);
        } else if (hskey) {
                util_hmac_sha256(hskey, strlen(hskey), input, strlen(input), sig);
                siglen = 32;
        }
        char *s = siglen ? util_b64url_encode(sig, siglen) : strdup("");
        size_t tn = strlen(input) + strlen(s) + 2;
        char *tok = malloc(tn);
        snprintf(tok, tn, "%s.%s", input, s);
        free(h);
        free(c);
        free(input);
        free(s);
        return tok;
}

static struct oidc_jwks *jwks(void)
{
        size_t len;
        char *s = fx_read("keys/google-test-jwks.json", &len);
        char err[200];
        struct oidc_jwks *k = oidc_jwks_parse(s, len, err, sizeof(err));
        free(s);
        return k;
}

static void test_cases_tokens(struct oidc_jwks *k)
{
        static const struct {
                const char *id, *aud;
                bool ok;
        } rows[] = {
            {"google-01-udaipur", AUD_G, true},
            {"google-02-expired-token", AUD_G, false},
            {"youtube-01-jodhpur-live", AUD_Y, true},
            {"youtube-01-jodhpur-live", AUD_G, false}, /* YouTube's token at /google */
            {"google-01-udaipur", AUD_Y, false},
        };
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                json_t *c = fx_case(rows[i].id);
                const char *tok = oidc_bearer(fx_header(c, "Authorization"));
                CHECK(tok != NULL);
                struct oidc_expect ex = {rows[i].aud, SA, NOW, 60};
                char why[128];
                CHECK_MSG(oidc_verify(k, tok, &ex, why, sizeof(why)) == rows[i].ok, "%s: %s",
                          rows[i].id, why);
                json_decref(c);
        }
        json_t *c = fx_case("google-02-expired-token");
        struct oidc_expect ex = {AUD_G, SA, NOW, 60};
        char why[128];
        CHECK(!oidc_verify(k, oidc_bearer(fx_header(c, "Authorization")), &ex, why, sizeof(why)));
        CHECK_STR(why, "expired or no exp");
        json_decref(c);
}

#define HDR "{\"alg\":\"RS256\",\"kid\":\"test-key-1\",\"typ\":\"JWT\"}"
#define CLAIMS(iss, aud, email, ver, exp)                                                  \
        "{\"iss\":\"" iss "\",\"aud\":" aud ",\"email\":\"" email "\",\"email_verified\":" ver \
        ",\"iat\":1764750000,\"exp\":" exp "}"

static void test_minted(struct oidc_jwks *k)
{
        size_t len;
        char *pem = fx_read("keys/google-test-private.pem", &len);
        BIO *bio = BIO_new_mem_buf(pem, (int)len);
        EVP_PKEY *pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
        BIO_free(bio);
        free(pem);
        CHECK(pk != NULL);
        EVP_PKEY *other = EVP_RSA_gen(2048);
        CHECK(other != NULL);

        static const struct {
                const char *name, *header, *claims;
                int key; /* 0 test key, 1 other key, 2 HS256 with "secret", 3 none */
                bool ok;
                const char *why;
        } rows[] = {
            {"valid", HDR, CLAIMS("https://accounts.google.com", "\"" AUD_G "\"", SA, "true", "1764756310"), 0, true, ""},
            {"iss without scheme", HDR, CLAIMS("accounts.google.com", "\"" AUD_G "\"", SA, "true", "1764756310"), 0, true, ""},
            {"aud as array", HDR, CLAIMS("accounts.google.com", "[\"x\",\"" AUD_G "\"]", SA, "true", "1764756310"), 0, true, ""},
            {"expired inside skew", HDR, CLAIMS("accounts.google.com", "\"" AUD_G "\"", SA, "true", "1764752680"), 0, true, ""},
            {"expired beyond skew", HDR, CLAIMS("accounts.google.com", "\"" AUD_G "\"", SA, "true", "1764752640"), 0, false, "expired or no exp"},
            {"wrong aud", HDR, CLAIMS("https://accounts.google.com", "\"" AUD_Y "\"", SA, "true", "1764756310"), 0, false, "wrong aud"},
            {"wrong iss", HDR, CLAIMS("https://evil.example", "\"" AUD_G "\"", SA, "true", "1764756310"), 0, false, "wrong iss"},
            {"wrong email", HDR, CLAIMS("https://accounts.google.com", "\"" AUD_G "\"", "x@evil.example", "true", "1764756310"), 0, false, "wrong email"},
            {"email not verified", HDR, CLAIMS("https://accounts.google.com", "\"" AUD_G "\"", SA, "false", "1764756310"), 0, false, "email not verified"},
            {"email_verified as string", HDR, CLAIMS("https://accounts.google.com", "\"" AUD_G "\"", SA, "\"true\"", "1764756310"), 0, false, "email not verified"},
            {"other key", HDR, CLAIMS("https://accounts.google.com", "\"" AUD_G "\"", SA, "true", "1764756310"), 1, false, "bad signature"},
            {"unknown kid", "{\"alg\":\"RS256\",\"kid\":\"test-key-9\"}", CLAIMS("https://accounts.google.com", "\"" AUD_G "\"", SA, "true", "1764756310"), 0, false, "unknown kid"},
            {"no kid", "{\"alg\":\"RS256\"}", CLAIMS("https://accounts.google.com", "\"" AUD_G "\"", SA, "true", "1764756310"), 0, false, "unknown kid"},
            {"HS256", "{\"alg\":\"HS256\",\"kid\":\"test-key-1\"}", CLAIMS("https://accounts.google.com", "\"" AUD_G "\"", SA, "true", "1764756310"), 2, false, "alg must be RS256"},
            {"alg none", "{\"alg\":\"none\",\"kid\":\"test-key-1\"}", CLAIMS("https://accounts.google.com", "\"" AUD_G "\"", SA, "true", "1764756310"), 3, false, "alg must be RS256"},
            {"RS256 header, no signature", HDR, CLAIMS("https://accounts.google.com", "\"" AUD_G "\"", SA, "true", "1764756310"), 3, false, "signature not base64url"},
            {"no exp", HDR, "{\"iss\":\"accounts.google.com\",\"aud\":\"" AUD_G "\",\"email\":\"" SA "\",\"email_verified\":true}", 0, false, "expired or no exp"},
            {"issued in the future", HDR, "{\"iss\":\"accounts.google.com\",\"aud\":\"" AUD_G "\",\"email\":\"" SA "\",\"email_verified\":true,\"iat\":1764760000,\"exp\":1764766310}", 0, false, "issued in the future (iat)"},
        };
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                EVP_PKEY *use = rows[i].key == 0 ? pk : rows[i].key == 1 ? other : NULL;
                char *tok = mint(rows[i].header, rows[i].claims, use, rows[i].key == 2 ? "secret" : NULL);
                struct oidc_expect ex = {AUD_G, SA, NOW, 60};
                char why[128] = "";
                bool ok = oidc_verify(k, tok, &ex, why, sizeof(why));
                CHECK_MSG(ok == rows[i].ok, "%s: %s", rows[i].name, why);
                CHECK_STR(why, rows[i].why);
                /* a tampered claim part never verifies */
                if (rows[i].ok) {
                        char *dot = strchr(tok, '.');
                        dot[3] = dot[3] == 'A' ? 'B' : 'A';
                        CHECK(!oidc_verify(k, tok, &ex, why, sizeof(why)));
                }
                free(tok);
        }
        EVP_PKEY_free(pk);
        EVP_PKEY_free(other);
}

static void test_misc(struct oidc_jwks *k)
{
        struct oidc_expect ex = {AUD_G, SA, NOW, 60};
        char why[128];
        CHECK(!oidc_verify(k, "abc", &ex, why, sizeof(why)));
        CHECK(!oidc_verify(k, "a.b.c.d", &ex, why, sizeof(why)));
        CHECK(!oidc_verify(k, NULL, &ex, why, sizeof(why)));
        CHECK(oidc_bearer("Basic abc") == NULL);
        CHECK(oidc_bearer("Bearer ") == NULL);
        CHECK_STR(oidc_bearer("bearer  x.y.z"), "x.y.z");
        CHECK(oidc_token_equal("s3cret-token", "s3cret-token"));
        CHECK(!oidc_token_equal("s3cret-token", "s3cret-tokeN"));
        CHECK(!oidc_token_equal("s3cret", "s3cret-token"));
        CHECK(!oidc_token_equal(NULL, "x"));
        CHECK(!oidc_token_equal("", ""));
        char err[128];
        CHECK(oidc_jwks_parse("{\"keys\":[]}", 11, err, sizeof(err)) == NULL);
        CHECK_STR(err, "JWKS: no RSA key");
        CHECK(oidc_jwks_parse("{}", 2, err, sizeof(err)) == NULL);
}

int main(void)
{
        struct oidc_jwks *k = jwks();
        CHECK(k != NULL);
        test_cases_tokens(k);
        test_minted(k);
        test_misc(k);
        oidc_jwks_free(k);
        return test_summary("ingest_oidc");
}
