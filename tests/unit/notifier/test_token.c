/* SPDX-License-Identifier: Apache-2.0 */
/* Link tokens: round trip, length, expiry, tampering, key rotation. */
#include <stdint.h>
#include "testutil.h"
#include "token.h"

int main(void)
{
        struct token_keys keys, old_only, rotated;
        char err[200] = "";
        CHECK_INT(token_keys_parse("# link keys\nk2026b:0123456789abcdef0123456789abcdef\n"
                                   "k2026a:fedcba9876543210fedcba9876543210\r\n\n",
                                   &keys, err, sizeof err),
                  0);
        CHECK_INT(keys.n, 2);
        CHECK_STR(keys.k[0].kid, "k2026b");
        CHECK_INT(token_keys_parse("k2026a:fedcba9876543210fedcba9876543210\n", &old_only, err,
                                   sizeof err),
                  0);
        CHECK_INT(token_keys_parse("k2027:00000000001111111111222222222233\n"
                                   "k2026b:0123456789abcdef0123456789abcdef\n",
                                   &rotated, err, sizeof err),
                  0);

        const int64_t now = 1764752710; /* 2025-12-03T09:05:10Z */
        char tok[TOKEN_LEN + 1];
        CHECK_INT(token_make(&keys, "K7Q2XM", "KOTA-SP", now + 86400, tok), 0);
        CHECK_INT(strlen(tok), 28);
        CHECK(strlen(tok) <= 30); /* fits one DLT variable */

        struct token_claims cl;
        CHECK_INT(token_verify(&keys, tok, now, &cl), TOKEN_OK);
        CHECK_STR(cl.short_code, "K7Q2XM");
        CHECK_INT(cl.expires, now + 86400);
        CHECK_STR(cl.kid, "k2026b");
        CHECK(token_recipient_matches(&cl, "KOTA-SP"));
        CHECK(!token_recipient_matches(&cl, "KOTA-CR"));

        /* Expiry: valid one second before, refused at the instant and after. */
        CHECK_INT(token_verify(&keys, tok, now + 86399, NULL), TOKEN_OK);
        CHECK_INT(token_verify(&keys, tok, now + 86400, NULL), TOKEN_EXPIRED);
        CHECK_INT(token_verify(&keys, tok, now + 999999, NULL), TOKEN_EXPIRED);

        /* Every single-character change is refused. */
        static const char alpha[] =
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        int accepted = 0;
        for (size_t i = 0; i < TOKEN_LEN; i++) {
                char t2[TOKEN_LEN + 1];
                memcpy(t2, tok, sizeof t2);
                t2[i] = alpha[(strchr(alpha, tok[i]) - alpha + 17) % 64];
                if (token_verify(&keys, t2, now, NULL) == TOKEN_OK)
                        accepted++;
        }
        CHECK_INT(accepted, 0);
        /* A tampered tag is a bad signature; a tampered key byte an unknown key. */
        char t3[TOKEN_LEN + 1];
        memcpy(t3, tok, sizeof t3);
        t3[TOKEN_LEN - 2] = t3[TOKEN_LEN - 2] == 'A' ? 'B' : 'A';
        CHECK_INT(token_verify(&keys, t3, now, NULL), TOKEN_BAD_SIGNATURE);

        /* Rotation: signed with k2026b (first line), verified by a file that
         * has a newer k2027 on top and k2026b below; not by one without it. */
        CHECK_INT(token_verify(&rotated, tok, now, NULL), TOKEN_OK);
        CHECK_INT(token_verify(&old_only, tok, now, NULL), TOKEN_UNKNOWN_KEY);
        char tok_new[TOKEN_LEN + 1];
        CHECK_INT(token_make(&rotated, "K7Q2XM", "KOTA-SP", now + 60, tok_new), 0);
        CHECK_INT(token_verify(&rotated, tok_new, now, &cl), TOKEN_OK);
        CHECK_STR(cl.kid, "k2027");
        CHECK_INT(token_verify(&keys, tok_new, now, NULL), TOKEN_UNKNOWN_KEY);

        /* Same kid, different secret: bad signature. */
        struct token_keys forged;
        CHECK_INT(token_keys_parse("k2026b:XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX\n", &forged, err,
                                   sizeof err),
                  0);
        CHECK_INT(token_verify(&forged, tok, now, NULL), TOKEN_BAD_SIGNATURE);

        /* Malformed input. */
        CHECK_INT(token_verify(&keys, "", now, NULL), TOKEN_MALFORMED);
        CHECK_INT(token_verify(&keys, "short", now, NULL), TOKEN_MALFORMED);
        CHECK_INT(token_verify(&keys, "AAAAAAAAAAAAAAAAAAAAAAAAAA+/", now, NULL), TOKEN_MALFORMED);
        CHECK_INT(token_verify(&keys, NULL, now, NULL), TOKEN_MALFORMED);

        /* Every short code of the alphabet round-trips. */
        static const char *codes[] = {"222222", "ZZZZZZ", "23456Z", "HJKMNP", "Q7W9X3"};
        for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
                CHECK_INT(token_make(&keys, codes[i], "R", now + 10, tok), 0);
                CHECK_INT(token_verify(&keys, tok, now, &cl), TOKEN_OK);
                CHECK_STR(cl.short_code, codes[i]);
        }
        /* Characters outside the alphabet are refused when making. */
        CHECK_INT(token_make(&keys, "K0Q2XM", "R", now, tok), -1);
        CHECK_INT(token_make(&keys, "K7Q2X", "R", now, tok), -1);

        /* Key file errors name the line. */
        CHECK_INT(token_keys_parse("nocolon\n", &forged, err, sizeof err), -1);
        CHECK(strstr(err, "line 1") != NULL);
        CHECK_INT(token_keys_parse("a:0123456789abcdef0123456789abcdef\nb:short\n", &forged, err,
                                   sizeof err),
                  -1);
        CHECK(strstr(err, "line 2") != NULL);
        CHECK_INT(token_keys_parse("\n# nothing\n", &forged, err, sizeof err), -1);
        CHECK_STR(token_status_name(TOKEN_EXPIRED), "expired");
        return test_summary("notifier_token");
}
