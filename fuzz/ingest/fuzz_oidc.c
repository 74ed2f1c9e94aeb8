/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: OIDC bearer-token verification against the test JWKS
 * (PRAHARI_FUZZ_JWKS, set by the ctest). Nothing the fuzzer makes may verify. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oidc.h"
#include "prahari/util.h"

static struct oidc_jwks *g_jwks;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        const char *path = getenv("PRAHARI_FUZZ_JWKS");
        size_t len = 0;
        char *s = path ? util_read_file(path, &len) : NULL;
        char err[128];
        if (s)
                g_jwks = oidc_jwks_parse(s, len, err, sizeof(err));
        free(s);
        if (!g_jwks)
                abort(); /* the test must give the JWKS */
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *tok = malloc(size + 1);
        if (!tok)
                return 0;
        memcpy(tok, data, size);
        tok[size] = '\0';
        struct oidc_expect ex = {"https://prahari.example/v1/intake/google",
                                 "safety-push@partner-safety.iam.gserviceaccount.com",
                                 1764752710, 60};
        char why[128];
        /* Only the real tokens of the seeds may pass; a mutated one never. */
        bool ok = oidc_verify(g_jwks, tok, &ex, why, sizeof(why));
        if (ok && strncmp(tok, "eyJhbGciOiJSUzI1NiIsImtpZCI6InRlc3Qta2V5LTEi", 44) != 0)
                abort();
        (void)oidc_bearer(tok);
        free(tok);
        return 0;
}
