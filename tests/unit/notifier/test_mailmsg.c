/* SPDX-License-Identifier: Apache-2.0 */
/* The alert e-mail: RFC 2047 subjects, quoted-printable bodies, line limits,
 * Message-ID, and what may and may not appear in it. */
#include <stdint.h>
#include <stdlib.h>
#include "mailmsg.h"
#include "prahari/util.h"
#include "testutil.h"

/* Decode quoted-printable (soft breaks removed, CRLF kept as LF). */
static char *qp_decode(const char *s)
{
        char *out = malloc(strlen(s) + 1), *o = out;
        while (*s) {
                if (s[0] == '=' && s[1] == '\r' && s[2] == '\n') {
                        s += 3;
                } else if (s[0] == '=' && s[1] && s[2]) {
                        char hx[3] = {s[1], s[2], 0};
                        *o++ = (char)strtol(hx, NULL, 16);
                        s += 3;
                } else if (s[0] == '\r' && s[1] == '\n') {
                        *o++ = '\n';
                        s += 2;
                } else {
                        *o++ = *s++;
                }
        }
        *o = '\0';
        return out;
}

/* Decode a header value of encoded words; every word must be at most 75
 * characters and decode on its own to valid UTF-8. Returns NULL if not. */
static char *ew_decode(const char *h, int *words)
{
        char *out = calloc(1, strlen(h) + 1);
        size_t ol = 0;
        const char *p = h;
        *words = 0;
        while ((p = strstr(p, "=?UTF-8?B?")) != NULL) {
                const char *e = strstr(p + 10, "?=");
                if (!e || e - p + 2 > 75) {
                        free(out);
                        return NULL;
                }
                size_t n;
                unsigned char *d = util_b64_decode(p + 10, (size_t)(e - p - 10), &n);
                if (!d || !util_utf8_valid((const char *)d, n)) {
                        free(d);
                        free(out);
                        return NULL;
                }
                memcpy(out + ol, d, n);
                ol += n;
                free(d);
                (*words)++;
                p = e + 2;
        }
        return out;
}

/* Every line ends in CRLF, none is longer than @p max octets. */
static int bad_lines(const char *m, size_t max)
{
        int bad = 0;
        const char *line = m;
        while (*line) {
                const char *lf = strchr(line, '\n');
                if (!lf)
                        return bad + 1; /* no final CRLF */
                size_t n = (size_t)(lf - line);
                if (n == 0 || line[n - 1] != '\r' || n - 1 > max)
                        bad++;
                line = lf + 1;
        }
        return bad;
}

static void test_header(void)
{
        static const char *subjects[] = {
                "[PRAHARI K7Q2XM] CRITICAL – प्रहरी अलर्ट – झुंझुनूं",
                "प्रहरी अलर्ट: आत्महत्या का गंभीर जोखिम, कृपया तुरंत कार्रवाई करें, जिला झुंझुनूं, "
                "राजस्थान पुलिस",
                "é", "🙏🙏🙏🙏🙏🙏🙏🙏🙏🙏🙏🙏🙏🙏🙏🙏🙏🙏🙏🙏", "aéb",
        };
        for (size_t i = 0; i < sizeof subjects / sizeof subjects[0]; i++) {
                char *h = mailmsg_header("Subject", subjects[i]);
                CHECK(h != NULL);
                if (!h)
                        continue;
                int words = 0;
                char *dec = ew_decode(h, &words);
                CHECK_MSG(dec && strcmp(dec, subjects[i]) == 0, "subject %zu round trip", i);
                CHECK(words >= 1);
                /* folded lines, each within 78 characters */
                char *hl = malloc(strlen(h) + 3);
                memcpy(hl, h, strlen(h));
                memcpy(hl + strlen(h), "\r\n", 3);
                CHECK_INT(bad_lines(hl, 78), 0);
                free(hl);
                free(dec);
                free(h);
        }
        /* The long Hindi subject needs several words. */
        char *h = mailmsg_header("Subject", subjects[1]);
        int words = 0;
        free(ew_decode(h, &words));
        CHECK(words >= 4);
        free(h);
        /* ASCII is left readable and folded before spaces; unfolding restores it. */
        const char *ascii = "[PRAHARI K7Q2XM] CRITICAL risk alert for the State Command Centre of "
                            "Rajasthan Police, please act now";
        h = mailmsg_header("Subject", ascii);
        CHECK(strstr(h, "=?") == NULL);
        CHECK(strstr(h, "\r\n ") != NULL);
        char unf[512] = "";
        size_t u = 0;
        for (const char *p = h; *p; p++) {
                if (p[0] == '\r' && p[1] == '\n') {
                        p++;
                        continue;
                }
                unf[u++] = *p;
        }
        unf[u] = '\0';
        CHECK(strncmp(unf, "Subject: ", 9) == 0);
        CHECK_STR(unf + 9, ascii);
        free(h);
        CHECK(mailmsg_header("Subject", "\xE0\xA4") == NULL);
}

static void test_qp(void)
{
        static const char *bodies[] = {
                ".starts with a dot\n.\nthe dot above is alone\n",
                "trailing space \nand tab\t\nequals = sign\n",
                "अब और नहीं सह सकता। कल का टेस्ट भी खराब गया, सब खत्म करना चाहता हूँ। माफ करना "
                "माँ 🙏 — एक बहुत लंबी पंक्ति जो छिहत्तर अक्षरों से कहीं अधिक है और जिसे तोड़ना "
                "ही होगा\n",
                "no final newline",
        };
        for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
                char *q = mailmsg_qp(bodies[i]);
                CHECK(q != NULL);
                char *d = qp_decode(q);
                CHECK_MSG(strcmp(d, bodies[i]) == 0, "qp %zu round trip", i);
                /* lines within 76; all output is 7-bit */
                int long_lines = 0, eight_bit = 0;
                const char *line = q;
                while (*line) {
                        const char *lf = strchr(line, '\n');
                        size_t n = lf ? (size_t)(lf - line) : strlen(line);
                        if (lf && n > 0 && line[n - 1] == '\r')
                                n--;
                        if (n > 76)
                                long_lines++;
                        line += lf ? (size_t)(lf - line) + 1 : strlen(line);
                }
                for (const char *p = q; *p; p++)
                        if ((unsigned char)*p > 126)
                                eight_bit++;
                CHECK_INT(long_lines, 0);
                CHECK_INT(eight_bit, 0);
                free(d);
                free(q);
        }
        char *q = mailmsg_qp("a \nb");
        CHECK_STR(q, "a=20\r\nb");
        free(q);
        /* A leading dot is left as it is: libcurl's SMTP upload stuffs it. */
        q = mailmsg_qp(".x\n");
        CHECK_STR(q, ".x\r\n");
        free(q);
}

static void test_build(void)
{
        char date[64];
        mailmsg_date(1764752710123456LL, date, sizeof date);
        CHECK_STR(date, "Wed, 03 Dec 2025 09:05:10 +0000");

        struct alert_mail a = {
                .lang = "en",
                .short_code = "K7Q2XM",
                .severity = "critical",
                .category = "suicide",
                .platform = "instagram",
                .district = "Kota",
                .reported_at = "2025-12-03T09:05:00Z",
                .loc_method = "gps",
                .has_point = true,
                .lat = 25.142,
                .lon = 75.845,
                .radius_m = 35,
                .confidence = 0.95,
                .person_name = "अमन कुमार",
                .username = "aman.k.2007",
                .profile_url = "https://www.instagram.com/aman.k.2007/",
                .permalink = "https://www.instagram.com/p/C0ffee12345/",
                .post_text = NULL,
                .ack_url = "https://prahari.example/a/AbCdEfGhIjKlMnOpQrStUvWxYz01",
                .level = 1,
        };
        char *subj, *text, *html;
        CHECK_INT(mailmsg_alert(&a, &subj, &text, &html), 0);
        CHECK_STR(subj, "[PRAHARI K7Q2XM] CRITICAL – Prahari alert – Kota");
        CHECK(strstr(text, "Name: अमन कुमार") != NULL);
        CHECK(strstr(text, "25.14200, 75.84500 (±35 m, gps, 95%)") != NULL);
        CHECK(strstr(text, a.ack_url) != NULL);
        CHECK(strstr(text, "Post text") == NULL);
        CHECK(strstr(html, "<a href=\"https://www.instagram.com/aman.k.2007/\">") != NULL);

        struct mail_msg m = {
                .from = "prahari-alerts@police.example",
                .from_name = "Prahari Alerts",
                .to = "sp.kota@police.example",
                .to_name = "SP Kota",
                .subject = subj,
                .notification_id = "0b6f5c1e-1111-4222-8333-444455556666",
                .date_us = 1764752710123456LL,
                .text = text,
                .html = html,
        };
        char *msg = mailmsg_build(&m);
        CHECK(msg != NULL);
        CHECK_INT(bad_lines(msg, 78), 0);
        CHECK(strstr(msg, "\r\nMessage-ID: <0b6f5c1e-1111-4222-8333-444455556666@prahari>\r\n"));
        CHECK(strncmp(msg, "From: \"Prahari Alerts\" <prahari-alerts@police.example>\r\n", 55) == 0);
        CHECK(strstr(msg, "\r\nTo: \"SP Kota\" <sp.kota@police.example>\r\n") != NULL);
        CHECK(strstr(msg, "\r\nDate: Wed, 03 Dec 2025 09:05:10 +0000\r\n") != NULL);
        CHECK(strstr(msg, "multipart/alternative") != NULL);
        CHECK(strstr(msg, "text/plain; charset=UTF-8") != NULL);
        CHECK(strstr(msg, "text/html; charset=UTF-8") != NULL);
        CHECK(strstr(msg, "--=_prahari_0b6f5c1e-1111-4222-8333-444455556666--\r\n") != NULL);
        /* The name only ever appears encoded in the message (7-bit), and the
         * plain part decodes back to the text. */
        int eight_bit = 0;
        for (const char *p = msg; *p; p++)
                if ((unsigned char)*p > 126)
                        eight_bit++;
        CHECK_INT(eight_bit, 0);
        const char *body = strstr(msg, "quoted-printable\r\n\r\n");
        const char *bend = strstr(msg, "\r\n--=_prahari_0b6f5c1e-1111-4222-8333-444455556666\r\n"
                                       "Content-Type: text/html");
        CHECK(body && bend);
        if (body && bend) {
                body += strlen("quoted-printable\r\n\r\n");
                char *part = strndup(body, (size_t)(bend - body));
                char *dec = qp_decode(part);
                CHECK_STR(dec, text);
                free(dec);
                free(part);
        }
        /* Deterministic: the same notification gives the same message. */
        char *msg2 = mailmsg_build(&m);
        CHECK_STR(msg2, msg);
        free(msg2);
        free(msg);
        /* Header injection is refused. */
        m.to = "x@example\r\nBcc: y@example";
        CHECK(mailmsg_build(&m) == NULL);
        free(subj);
        free(text);
        free(html);

        /* Post text only when given (PRAHARI_MAIL_INCLUDE_POST_TEXT=1);
         * Hindi headings for a Hindi recipient; escalation marked. */
        a.post_text = "अब और नहीं सह सकता।";
        a.lang = "hi";
        a.level = 2;
        a.district = NULL;
        CHECK_INT(mailmsg_alert(&a, &subj, &text, &html), 0);
        CHECK(strstr(text, "पोस्ट का पाठ:\nअब और नहीं सह सकता।") != NULL);
        CHECK(strstr(subj, "ESCALATION") != NULL);
        CHECK(strstr(subj, "राज्य कमांड सेंटर") != NULL);
        m.to = "cc@police.example";
        m.to_name = "राज्य कमांड सेंटर";
        m.subject = subj;
        m.text = text;
        m.html = NULL;
        msg = mailmsg_build(&m);
        CHECK(msg != NULL);
        CHECK_INT(bad_lines(msg, 78), 0);
        CHECK(strstr(msg, "multipart") == NULL);
        CHECK(strstr(msg, "\r\nTo: =?UTF-8?B?") != NULL);
        free(msg);
        free(subj);
        free(text);
        free(html);
}

int main(void)
{
        test_header();
        test_qp();
        test_build();
        return test_summary("notifier_mailmsg");
}
