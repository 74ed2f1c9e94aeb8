/* SPDX-License-Identifier: Apache-2.0 */
/* Table tests of util.h: RFC 3339 parse/format, base64, SHA-256, HMAC
 * (known vectors and the Meta signatures of the shared fixtures), UTF-8,
 * UUIDs and short codes. */
#include "prahari/util.h"
#include "testutil.h"

#include <jansson.h>
#include <stdlib.h>

static void test_rfc3339_parse(void)
{
        static const struct {
                const char *in;
                int ok;
                int64_t us;
        } rows[] = {
                {"2026-12-03T09:05:10Z", 1, 1796288710000000LL},
                {"2026-12-03T14:44:10.250+05:30", 1, 1796289250250000LL},
                {"2026-12-03t14:44:10.25+05:30", 1, 1796289250250000LL},
                {"2026-12-03 09:05:10z", 1, 1796288710000000LL},
                {"2026-12-03T09:05:10.123456Z", 1, 1796288710123456LL},
                {"2026-12-03T09:05:10.123456789Z", 1, 1796288710123456LL}, /* ns truncated */
                {"2026-12-03T09:05:10+00:00", 1, 1796288710000000LL},
                {"2026-12-03T00:15:00-03:30", 1, 1796269500000000LL},
                {"1969-12-31T23:59:59.5Z", 1, -500000LL},
                {"1970-01-01T00:00:00Z", 1, 0},
                {"2024-02-29T23:59:59-08:00", 1, 1709279999000000LL},
                {"2000-02-29T12:00:00Z", 1, 951825600000000LL},
                {"1999-12-31T23:59:59.999999Z", 1, 946684799999999LL},
                {"2026-02-29T00:00:00Z", 0, 0},  /* not a leap year */
                {"2100-02-29T00:00:00Z", 0, 0},  /* century, not leap */
                {"2026-04-31T00:00:00Z", 0, 0},
                {"2026-13-01T00:00:00Z", 0, 0},
                {"2026-00-01T00:00:00Z", 0, 0},
                {"2026-12-00T00:00:00Z", 0, 0},
                {"2026-12-03T24:00:00Z", 0, 0},
                {"2026-12-03T23:60:00Z", 0, 0},
                {"2026-12-03T09:05:10", 0, 0},       /* no offset */
                {"2026-12-03T09:05:10.Z", 0, 0},     /* empty fraction */
                {"2026-12-03T09:05:10.1234567890Z", 0, 0}, /* 10 digits */
                {"2026-12-03T09:05:10+0530", 0, 0},
                {"2026-12-03T09:05:10+05:60", 0, 0},
                {"2026-12-03T09:05:10+24:00", 0, 0},
                {"2026-12-03T09:05:10Z ", 0, 0},
                {"2026-12-03X09:05:10Z", 0, 0},
                {"2026-1-03T09:05:10Z", 0, 0},
                {"", 0, 0},
                {"1796288710", 0, 0},
        };
        for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
                int64_t us = 42;
                int rc = util_parse_rfc3339(rows[i].in, &us);
                CHECK_MSG((rc == 0) == rows[i].ok, "'%s' rc=%d", rows[i].in, rc);
                if (rows[i].ok && rc == 0)
                        CHECK_MSG(us == rows[i].us, "'%s' -> %lld, want %lld", rows[i].in,
                                  (long long)us, (long long)rows[i].us);
        }
        CHECK(util_parse_rfc3339(NULL, &(int64_t){0}) == -1);
}

static void test_rfc3339_format(void)
{
        static const struct {
                int64_t us;
                const char *ms, *s;
        } rows[] = {
                {1796288710123456LL, "2026-12-03T09:05:10.123Z", "2026-12-03T09:05:10Z"},
                {1796289250250000LL, "2026-12-03T09:14:10.250Z", "2026-12-03T09:14:10Z"},
                {0, "1970-01-01T00:00:00.000Z", "1970-01-01T00:00:00Z"},
                {-500000, "1969-12-31T23:59:59.500Z", "1969-12-31T23:59:59Z"},
                {951825600000000LL, "2000-02-29T12:00:00.000Z", "2000-02-29T12:00:00Z"},
                {946684799999999LL, "1999-12-31T23:59:59.999Z", "1999-12-31T23:59:59Z"},
        };
        for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
                char buf[40];
                util_rfc3339(rows[i].us, true, buf, sizeof buf);
                CHECK_STR(buf, rows[i].ms);
                util_rfc3339(rows[i].us, false, buf, sizeof buf);
                CHECK_STR(buf, rows[i].s);
                /* and back: the millisecond form parses to the truncated value */
                int64_t back = 0;
                CHECK(util_parse_rfc3339(rows[i].ms, &back) == 0);
                int64_t ms = rows[i].us / 1000 * 1000;
                if (rows[i].us < 0 && rows[i].us % 1000)
                        ms -= 1000;
                CHECK_INT(back, ms);
        }
        /* now is formatted and parses back to the same millisecond */
        int64_t now = util_now_us();
        char buf[40];
        util_rfc3339(now, true, buf, sizeof buf);
        int64_t back = 0;
        CHECK(util_parse_rfc3339(buf, &back) == 0);
        CHECK_INT(back, now / 1000 * 1000);
}

static void test_base64(void)
{
        static const struct {
                const char *in;
                const char *out; /* NULL: must be rejected */
                size_t outlen;
        } rows[] = {
                {"", "", 0},
                {"Zg==", "f", 1},
                {"Zg", "f", 1},
                {"Zm8=", "fo", 2},
                {"Zm8", "fo", 2},
                {"Zm9v", "foo", 3},
                {"Zm9vYmFy", "foobar", 6},
                {"aGVsbG8gd29ybGQ=", "hello world", 11},
                {"+/+/", "\xfb\xff\xbf", 3},
                {"-_-_", "\xfb\xff\xbf", 3},
                {"-_8", "\xfb\xff", 2},
                {"+_+_", NULL, 0},      /* alphabets mixed */
                {"Zm9v YmFy", NULL, 0}, /* whitespace */
                {"Zm9v\nYmFy", NULL, 0},
                {"Zg=", NULL, 0},       /* partial padding */
                {"Zg===", NULL, 0},
                {"Z", NULL, 0},
                {"Zm9vY", NULL, 0},
                {"====", NULL, 0},
                {"Zm=v", NULL, 0},
                {"Zm9v!mFy", NULL, 0},
                {"Zm9vYmFy=", NULL, 0},
        };
        for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
                size_t n = 999;
                unsigned char *d = util_b64_decode(rows[i].in, strlen(rows[i].in), &n);
                if (!rows[i].out) {
                        CHECK_MSG(d == NULL, "'%s' accepted", rows[i].in);
                } else {
                        CHECK_MSG(d != NULL, "'%s' rejected", rows[i].in);
                        if (d) {
                                CHECK_INT(n, rows[i].outlen);
                                CHECK(memcmp(d, rows[i].out, rows[i].outlen) == 0);
                                CHECK(d[n] == '\0');
                        }
                }
                free(d);
        }
        /* RFC 4648 section 10 vectors, both encoders */
        static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
        static const char *const url[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
        static const char *const std[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                                          "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
        for (size_t i = 0; i < 7; i++) {
                char *u = util_b64url_encode((const unsigned char *)plain[i], strlen(plain[i]));
                char *s = util_b64_encode((const unsigned char *)plain[i], strlen(plain[i]));
                CHECK_STR(u, url[i]);
                CHECK_STR(s, std[i]);
                free(u);
                free(s);
        }
        unsigned char bin[3] = {0xfb, 0xff, 0xbf};
        char *u = util_b64url_encode(bin, 3);
        CHECK_STR(u, "-_-_");
        free(u);
}

static void test_hashes(void)
{
        char hex[65];
        util_sha256_hex("abc", 3, hex);
        CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        util_sha256_hex("", 0, hex);
        CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

        /* RFC 4231 test cases 1 and 2 */
        unsigned char mac[32];
        unsigned char key1[20];
        memset(key1, 0x0b, sizeof key1);
        util_hmac_sha256(key1, sizeof key1, "Hi There", 8, mac);
        util_hex(mac, 32, hex);
        CHECK_STR(hex, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
        util_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, mac);
        util_hex(mac, 32, hex);
        CHECK_STR(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");

        const char *good = "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        const char *upper = "sha256=5BDCC146BF60754E6A042426089575C75A003F089D2739839DEC58B964EC3843";
        const char *data = "what do ya want for nothing?";
        CHECK(util_hmac_sha256_verify_header("Jefe", 4, data, 28, good));
        CHECK(util_hmac_sha256_verify_header("Jefe", 4, data, 28, upper));
        CHECK(!util_hmac_sha256_verify_header("Jefe", 4, data, 27, good));
        CHECK(!util_hmac_sha256_verify_header("Jeff", 4, data, 28, good));
        CHECK(!util_hmac_sha256_verify_header("Jefe", 4, data, 28, good + 7)); /* no prefix */
        CHECK(!util_hmac_sha256_verify_header("Jefe", 4, data, 28, "sha1=5bdcc146"));
        CHECK(!util_hmac_sha256_verify_header("Jefe", 4, data, 28,
                                              "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec384"));
        CHECK(!util_hmac_sha256_verify_header("Jefe", 4, data, 28,
                                              "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843 "));
        CHECK(!util_hmac_sha256_verify_header("Jefe", 4, data, 28,
                                              "sha256=zbdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
        CHECK(!util_hmac_sha256_verify_header("Jefe", 4, data, 28, NULL));
        CHECK(!util_hmac_sha256_verify_header(NULL, 0, data, 28, good));

        CHECK(util_ct_equal("abcd", "abcd", 4));
        CHECK(!util_ct_equal("abcd", "abce", 4));
        unsigned char raw[3] = {0x00, 0xab, 0xff};
        char h[7];
        util_hex(raw, 3, h);
        CHECK_STR(h, "00abff");
}

/* The X-Hub-Signature-256 of every Meta case in the shared fixtures: valid
 * exactly when the case does not expect 401. */
static void test_meta_fixture_signatures(void)
{
        const char *dir = PRAHARI_SHARED_DIR "/fixtures";
        json_error_t je;
        json_t *secrets = json_load_file(PRAHARI_SHARED_DIR "/fixtures/secrets.json", 0, &je);
        json_t *cases = json_load_file(PRAHARI_SHARED_DIR "/fixtures/cases.json", 0, &je);
        CHECK(secrets && cases);
        const char *secret = json_string_value(json_object_get(secrets, "meta_app_secret"));
        CHECK(secret != NULL);
        json_t *arr = json_object_get(cases, "cases");
        size_t idx;
        json_t *c;
        int checked = 0, good = 0, bad = 0;
        json_array_foreach(arr, idx, c)
        {
                if (!secret || strcmp(json_string_value(json_object_get(c, "way")), "meta") != 0)
                        continue;
                const char *hdr = json_string_value(
                        json_object_get(json_object_get(c, "headers"), "X-Hub-Signature-256"));
                const char *body = json_string_value(json_object_get(c, "body"));
                if (!hdr || !body)
                        continue;
                char path[512];
                snprintf(path, sizeof path, "%s/%s", dir, body);
                size_t len = 0;
                char *bytes = util_read_file(path, &len);
                CHECK_MSG(bytes != NULL, "cannot read %s", path);
                if (!bytes)
                        continue;
                long long status =
                        json_integer_value(json_object_get(json_object_get(c, "expect"), "status"));
                bool ok = util_hmac_sha256_verify_header(secret, strlen(secret), bytes, len, hdr);
                CHECK_MSG(ok == (status != 401), "%s: verify=%d status=%lld",
                          json_string_value(json_object_get(c, "id")), ok, status);
                ok ? good++ : bad++;
                checked++;
                free(bytes);
        }
        CHECK(checked >= 8);
        CHECK(good >= 6 && bad >= 2);
        json_decref(secrets);
        json_decref(cases);
}

static void test_utf8(void)
{
        static const struct {
                const char *s;
                size_t len;
                int ok;
        } rows[] = {
                {"abc", 3, 1},
                {"", 0, 1},
                {"\xc3\xa9", 2, 1},                         /* é */
                {"\xe0\xa4\x95\xe0\xa5\x8b\xe0\xa4\x9f\xe0\xa4\xbe", 12, 1}, /* कोटा */
                {"\xf0\x9f\x98\x80", 4, 1},                 /* U+1F600 */
                {"\xf4\x8f\xbf\xbf", 4, 1},                 /* U+10FFFF */
                {"\xef\xbb\xbf", 3, 1},                     /* BOM is a scalar value */
                {"\xc0\xaf", 2, 0},                         /* overlong '/' */
                {"\xc1\xbf", 2, 0},
                {"\xe0\x80\xaf", 3, 0},                     /* overlong */
                {"\xf0\x80\x80\xaf", 4, 0},                 /* overlong */
                {"\xed\xa0\x80", 3, 0},                     /* U+D800 surrogate */
                {"\xed\xbf\xbf", 3, 0},                     /* U+DFFF */
                {"\xf4\x90\x80\x80", 4, 0},                 /* U+110000 */
                {"\xf8\x88\x80\x80\x80", 5, 0},
                {"\x80", 1, 0},                             /* lone continuation */
                {"\xe2\x82", 2, 0},                         /* truncated € */
                {"\xe2\x82\xac", 3, 1},                     /* € */
                {"a\0b", 3, 0},                             /* NUL */
                {"\xff", 1, 0},
        };
        for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
                CHECK_MSG(util_utf8_valid(rows[i].s, rows[i].len) == rows[i].ok, "row %zu", i);
}

static void test_ids(void)
{
        char a[37], b[37];
        util_uuid4(a);
        util_uuid4(b);
        CHECK_INT(strlen(a), 36);
        CHECK(strcmp(a, b) != 0);
        CHECK(a[8] == '-' && a[13] == '-' && a[18] == '-' && a[23] == '-');
        CHECK(a[14] == '4');
        CHECK(strchr("89ab", a[19]) != NULL);
        for (int i = 0; i < 36; i++)
                if (i != 8 && i != 13 && i != 18 && i != 23)
                        CHECK(strchr("0123456789abcdef", a[i]) != NULL);

        /* Short codes: values computed independently (Python hashlib). */
        char sc[7];
        util_short_code("0b6f5c1e-8d7a-4c3b-9f2e-1a2b3c4d5e6f", 0, sc);
        CHECK_STR(sc, "XWM36J");
        util_short_code("0b6f5c1e-8d7a-4c3b-9f2e-1a2b3c4d5e6f", 1, sc);
        CHECK_STR(sc, "JBW463");
        util_short_code("0b6f5c1e-8d7a-4c3b-9f2e-1a2b3c4d5e6f", 2, sc);
        CHECK_STR(sc, "2NMBUX");
        for (int i = 0; i < 200; i++) {
                util_uuid4(a);
                util_short_code(a, 0, sc);
                CHECK(strlen(sc) == 6 && strspn(sc, "23456789ABCDEFGHJKMNPQRSTUVWXYZ") == 6);
        }
}

static void test_misc(void)
{
        char d[5];
        CHECK_INT(util_strlcpy(d, "abcdefg", sizeof d), 7);
        CHECK_STR(d, "abcd");
        CHECK_INT(util_strlcpy(d, "ab", sizeof d), 2);
        CHECK_STR(d, "ab");
        size_t n = 0;
        char *f = util_read_file(PRAHARI_SHARED_DIR "/fixtures/secrets.json", &n);
        CHECK(f != NULL && n > 0 && strlen(f) == n);
        free(f);
        CHECK(util_read_file("/nonexistent/file", &n) == NULL);
        int64_t m1 = util_mono_us(), m2 = util_mono_us();
        CHECK(m2 >= m1);
        CHECK(util_now_us() > 1796288710000000LL - 400LL * 86400 * 1000000); /* after 2025 */
}

int main(void)
{
        test_rfc3339_parse();
        test_rfc3339_format();
        test_base64();
        test_hashes();
        test_meta_fixture_signatures();
        test_utf8();
        test_ids();
        test_misc();
        return test_summary("common_util");
}
