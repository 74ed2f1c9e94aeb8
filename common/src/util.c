/* SPDX-License-Identifier: Apache-2.0 */
/* Small pure helpers shared by every service: clocks, RFC 3339 time, UUIDs,
 * short codes, SHA-256 / HMAC via OpenSSL, hex, base64 and UTF-8 checks.
 * Nothing here touches the network. */
#include "prahari/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

/* ==== Clocks ==== */

int64_t util_now_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t util_mono_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ==== RFC 3339 ==== */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
        y -= m <= 2;
        int64_t era = (y >= 0 ? y : y - 399) / 400;
        int64_t yoe = y - era * 400;
        int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
        z += 719468;
        int64_t era = (z >= 0 ? z : z - 146096) / 146097;
        int64_t doe = z - era * 146097;
        int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        int64_t mp = (5 * doy + 2) / 153;
        *d = (int)(doy - (153 * mp + 2) / 5 + 1);
        *m = (int)(mp < 10 ? mp + 3 : mp - 9);
        *y = yoe + era * 400 + (*m <= 2);
}

static int floor_div(int64_t a, int64_t b, int64_t *q)
{
        int64_t r = a % b;
        *q = a / b;
        if (r < 0) {
                r += b;
                (*q)--;
        }
        return (int)r;
}

void util_rfc3339(int64_t us, bool with_ms, char *buf, size_t bufsz)
{
        int64_t secs, days, year;
        int usec = floor_div(us, 1000000, &secs);
        int sod = floor_div(secs, 86400, &days);
        int mon, day;
        civil_from_days(days, &year, &mon, &day);
        if (with_ms)
                snprintf(buf, bufsz, "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ", (long long)year,
                         mon, day, sod / 3600, sod / 60 % 60, sod % 60, usec / 1000);
        else
                snprintf(buf, bufsz, "%04lld-%02d-%02dT%02d:%02d:%02dZ", (long long)year, mon,
                         day, sod / 3600, sod / 60 % 60, sod % 60);
}

/* Read exactly @p n decimal digits. */
static int digits(const char *s, int n, int *out)
{
        int v = 0;
        for (int i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -1;
                v = v * 10 + (s[i] - '0');
        }
        *out = v;
        return 0;
}

static int days_in_month(int y, int m)
{
        static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
                return 29;
        return dim[m - 1];
}

int util_parse_rfc3339(const char *s, int64_t *out_us)
{
        int y, mo, d, h, mi, sec;
        if (!s || strlen(s) < 20)
                return -1;
        if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
            digits(s + 8, 2, &d))
                return -1;
        if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
                return -1;
        if (digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
            digits(s + 17, 2, &sec))
                return -1;
        if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 ||
            sec > 60)
                return -1;
        const char *p = s + 19;
        int64_t frac_us = 0;
        if (*p == '.') {
                p++;
                int nd = 0;
                int64_t scale = 100000;
                while (*p >= '0' && *p <= '9') {
                        if (++nd > 9)
                                return -1;
                        frac_us += (*p - '0') * scale;
                        scale /= 10;
                        p++;
                }
                if (nd == 0)
                        return -1;
        }
        int off_min = 0;
        if (*p == 'Z' || *p == 'z') {
                p++;
        } else if (*p == '+' || *p == '-') {
                int oh, om;
                if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || oh > 23 ||
                    om > 59)
                        return -1;
                off_min = (oh * 60 + om) * (*p == '-' ? -1 : 1);
                p += 6;
        } else {
                return -1;
        }
        if (*p != '\0')
                return -1;
        int64_t days = days_from_civil(y, mo, d);
        int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - (int64_t)off_min * 60;
        *out_us = secs * 1000000 + frac_us;
        return 0;
}

/* ==== Random, ids ==== */

void util_random(void *buf, size_t len)
{
        if (len == 0)
                return;
        if (RAND_bytes(buf, (int)len) == 1)
                return;
        /* OpenSSL's DRBG failed: fall back to the kernel, which blocks rather than fails. */
        unsigned char *p = buf;
        while (len > 0) {
                ssize_t n = getrandom(p, len, 0);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        abort(); /* no randomness at all: ids would collide */
                }
                p += n;
                len -= (size_t)n;
        }
}

void util_uuid4(char *buf)
{
        unsigned char b[16];
        util_random(b, sizeof b);
        b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
        b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
        char hex[33];
        util_hex(b, 16, hex);
        memcpy(buf, hex, 8);
        buf[8] = '-';
        memcpy(buf + 9, hex + 8, 4);
        buf[13] = '-';
        memcpy(buf + 14, hex + 12, 4);
        buf[18] = '-';
        memcpy(buf + 19, hex + 16, 4);
        buf[23] = '-';
        memcpy(buf + 24, hex + 20, 12);
        buf[36] = '\0';
}

/* The short code: SHA-256 of the alert id (salt 0) or of "<alert_id>#<salt>";
 * the first 8 bytes as a big-endian number, written in base 31 over an
 * alphabet without the look-alikes 0/O/1/I/L. */
void util_short_code(const char *alert_id, unsigned salt, char out[7])
{
        static const char alphabet[] = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
        const size_t base = sizeof alphabet - 1;
        unsigned char md[32];
        unsigned int mdlen = 0;
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        if (!ctx)
                abort();
        EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
        EVP_DigestUpdate(ctx, alert_id, strlen(alert_id));
        if (salt != 0) {
                char sfx[16];
                int n = snprintf(sfx, sizeof sfx, "#%u", salt);
                EVP_DigestUpdate(ctx, sfx, (size_t)n);
        }
        EVP_DigestFinal_ex(ctx, md, &mdlen);
        EVP_MD_CTX_free(ctx);
        uint64_t v = 0;
        for (int i = 0; i < 8; i++)
                v = (v << 8) | md[i];
        for (int i = 0; i < 6; i++) {
                out[i] = alphabet[v % base];
                v /= base;
        }
        out[6] = '\0';
}

/* ==== Hashing ==== */

void util_hex(const unsigned char *in, size_t len, char *out)
{
        static const char hexd[] = "0123456789abcdef";
        for (size_t i = 0; i < len; i++) {
                out[2 * i] = hexd[in[i] >> 4];
                out[2 * i + 1] = hexd[in[i] & 15];
        }
        out[2 * len] = '\0';
}

void util_sha256_hex(const void *data, size_t len, char out[65])
{
        unsigned char md[32];
        unsigned int mdlen = 0;
        if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
                abort(); /* SHA-256 cannot fail short of a broken libcrypto */
        util_hex(md, 32, out);
}

void util_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
                      unsigned char mac[32])
{
        static const unsigned char empty[1] = {0};
        unsigned int maclen = 0;
        if (!HMAC(EVP_sha256(), keylen ? key : empty, (int)keylen,
                  len ? data : empty, len, mac, &maclen) ||
            maclen != 32)
                abort();
}

bool util_ct_equal(const void *a, const void *b, size_t len)
{
        return CRYPTO_memcmp(a, b, len) == 0;
}

static int hexval(int c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

bool util_hmac_sha256_verify_header(const char *key, size_t keylen, const void *body,
                                    size_t len, const char *header)
{
        if (!key || !header || (!body && len))
                return false;
        if (strncmp(header, "sha256=", 7) != 0)
                return false;
        const char *hx = header + 7;
        if (strlen(hx) != 64)
                return false;
        unsigned char want[32];
        for (int i = 0; i < 32; i++) {
                int hi = hexval((unsigned char)hx[2 * i]);
                int lo = hexval((unsigned char)hx[2 * i + 1]);
                if (hi < 0 || lo < 0)
                        return false;
                want[i] = (unsigned char)(hi << 4 | lo);
        }
        unsigned char mac[32];
        util_hmac_sha256(key, keylen, body, len, mac);
        return util_ct_equal(mac, want, 32);
}

/* ==== Base64 ==== */

char *util_b64url_encode(const unsigned char *in, size_t len)
{
        static const char tbl[] =
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        char *out = malloc(len / 3 * 4 + 5);
        if (!out)
                return NULL;
        size_t o = 0, i = 0;
        for (; i + 2 < len; i += 3) {
                uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
                out[o++] = tbl[v >> 18];
                out[o++] = tbl[(v >> 12) & 63];
                out[o++] = tbl[(v >> 6) & 63];
                out[o++] = tbl[v & 63];
        }
        if (len - i == 1) {
                uint32_t v = (uint32_t)in[i] << 16;
                out[o++] = tbl[v >> 18];
                out[o++] = tbl[(v >> 12) & 63];
        } else if (len - i == 2) {
                uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
                out[o++] = tbl[v >> 18];
                out[o++] = tbl[(v >> 12) & 63];
                out[o++] = tbl[(v >> 6) & 63];
        }
        out[o] = '\0';
        return out;
}

char *util_b64_encode(const unsigned char *in, size_t len)
{
        char *s = util_b64url_encode(in, len);
        if (!s)
                return NULL;
        size_t n = strlen(s);
        char *out = realloc(s, n + 3);
        if (!out) {
                free(s);
                return NULL;
        }
        for (size_t i = 0; i < n; i++) {
                if (out[i] == '-')
                        out[i] = '+';
                else if (out[i] == '_')
                        out[i] = '/';
        }
        while (n % 4)
                out[n++] = '=';
        out[n] = '\0';
        return out;
}

/* Value of one base64 character; @p alpha records which alphabet the input
 * uses (1 standard, 2 URL-safe) so the two cannot be mixed. */
static int b64val(unsigned char c, int *alpha)
{
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        int want = 0, v = -1;
        if (c == '+' || c == '/') {
                want = 1;
                v = c == '+' ? 62 : 63;
        } else if (c == '-' || c == '_') {
                want = 2;
                v = c == '-' ? 62 : 63;
        } else {
                return -1;
        }
        if (*alpha && *alpha != want)
                return -1;
        *alpha = want;
        return v;
}

unsigned char *util_b64_decode(const char *in, size_t inlen, size_t *outlen)
{
        if (!in)
                return NULL;
        size_t n = inlen;
        if (n % 4 == 0 && n >= 4) { /* padded form: at most two '=' at the very end */
                if (in[n - 1] == '=')
                        n--;
                if (in[n - 1] == '=')
                        n--;
        }
        if (n % 4 == 1)
                return NULL;
        unsigned char *out = malloc(n / 4 * 3 + 3);
        if (!out)
                return NULL;
        int alpha = 0;
        uint32_t acc = 0;
        int bits = 0;
        size_t o = 0;
        for (size_t i = 0; i < n; i++) {
                int v = b64val((unsigned char)in[i], &alpha);
                if (v < 0) {
                        free(out);
                        return NULL;
                }
                acc = acc << 6 | (uint32_t)v;
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        out[o++] = (unsigned char)(acc >> bits);
                        acc &= (1u << bits) - 1;
                }
        }
        out[o] = '\0';
        if (outlen)
                *outlen = o;
        return out;
}

/* ==== Files, strings ==== */

char *util_read_file(const char *path, size_t *len)
{
        FILE *f = fopen(path, "rb");
        if (!f)
                return NULL;
        size_t cap = 4096, n = 0;
        char *buf = malloc(cap);
        while (buf) {
                if (n + 1 >= cap) {
                        char *nb = realloc(buf, cap * 2);
                        if (!nb) {
                                free(buf);
                                buf = NULL;
                                break;
                        }
                        buf = nb;
                        cap *= 2;
                }
                size_t r = fread(buf + n, 1, cap - n - 1, f);
                n += r;
                if (r == 0) {
                        if (ferror(f)) {
                                free(buf);
                                buf = NULL;
                        }
                        break;
                }
        }
        fclose(f);
        if (!buf)
                return NULL;
        buf[n] = '\0';
        if (len)
                *len = n;
        return buf;
}

size_t util_strlcpy(char *dst, const char *src, size_t dstsz)
{
        size_t n = strlen(src);
        if (dstsz > 0) {
                size_t c = n < dstsz - 1 ? n : dstsz - 1;
                memcpy(dst, src, c);
                dst[c] = '\0';
        }
        return n;
}

/* ==== UTF-8 ==== */

size_t util_utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
        if (len == 0)
                return 0;
        unsigned char c = s[0];
        size_t need;
        uint32_t v, min;
        if (c < 0x80) {
                *cp = c;
                return 1;
        } else if ((c & 0xe0) == 0xc0) {
                need = 2;
                v = c & 0x1f;
                min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
                need = 3;
                v = c & 0x0f;
                min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
                need = 4;
                v = c & 0x07;
                min = 0x10000;
        } else {
                return 0;
        }
        if (len < need)
                return 0;
        for (size_t i = 1; i < need; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                v = v << 6 | (s[i] & 0x3f);
        }
        if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
                return 0;
        *cp = v;
        return need;
}

bool util_utf8_valid(const char *s, size_t len)
{
        const unsigned char *u = (const unsigned char *)s;
        size_t i = 0;
        if (!s)
                return len == 0;
        while (i < len) {
                uint32_t cp;
                size_t k = util_utf8_next(u + i, len - i, &cp);
                if (k == 0 || cp == 0)
                        return false;
                i += k;
        }
        return true;
}
