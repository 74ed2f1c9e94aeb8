/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the e-mail parser: the two fixture e-mails of
 * ../shared/fixtures (asserting every field the REPORT must carry), and a
 * table of messages built here for each MIME and text oddity partners send,
 * plus tables for the HTML-to-text, Detected-time and sender helpers. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mail_parse.h"
#include "mail_text.h"
#include "prahari/util.h"
#include "../../testutil.h"

#define IST_1405 1796286900LL /* 2026-12-03 14:05 IST = 08:35:00Z */

static const char *jstr(const json_t *r, const char *path)
{
        /* "a.b" lookups */
        char buf[64];
        snprintf(buf, sizeof buf, "%s", path);
        char *dot = strchr(buf, '.');
        if (dot) {
                *dot = '\0';
                r = json_object_get(r, buf);
                path = dot + 1;
        }
        return json_string_value(json_object_get(r, path));
}

static double jnum(const json_t *r, const char *obj, const char *key)
{
        const json_t *o = json_object_get(json_object_get(r, "signals"), obj);
        return json_number_value(json_object_get(o, key));
}

/* LF text to CRLF (malloc'd). */
static char *to_crlf(const char *s)
{
        size_t n = strlen(s), w = 0;
        char *d = malloc(2 * n + 1);
        for (size_t i = 0; i < n; i++) {
                if (s[i] == '\n')
                        d[w++] = '\r';
                d[w++] = s[i];
        }
        d[w] = '\0';
        return d;
}

static int parse_str(const char *msg, struct mail_result *r)
{
        return mail_parse(msg, strlen(msg), r);
}

/* ---- the fixtures ---- */

static void test_fixture_bikaner(void)
{
        size_t len;
        char *raw = util_read_file(PRAHARI_SHARED_DIR "/fixtures/bodies/email-01-bikaner.eml", &len);
        CHECK(raw != NULL);
        if (!raw)
                return;
        struct mail_result r;
        CHECK_INT(mail_parse(raw, len, &r), 0);
        CHECK_STR(mail_kind_name(r.kind), "report");
        CHECK_STR(r.sender, "records@partner-reports.example");
        CHECK_STR(r.message_id, "mh-2026-004211@partner-reports.example");
        CHECK_STR(r.subject, "[Imminent Harm] Report MH-2026-004211 - Instagram - तत्काल");
        CHECK_STR(jstr(r.report, "report_id"), "MH-2026-004211");
        CHECK_STR(jstr(r.report, "platform"), "instagram");
        CHECK_STR(jstr(r.report, "risk_level"), "imminent");
        CHECK_STR(jstr(r.report, "category"), "suicide");
        CHECK_INT(json_integer_value(json_object_get(r.report, "detected_time")), IST_1405);
        CHECK_STR(jstr(r.report, "account.id"), "17841400000000077");
        CHECK_STR(jstr(r.report, "account.name"), "करण सिंह");
        CHECK_STR(jstr(r.report, "account.profile_url"), "https://www.instagram.com/karan.s.test/");
        CHECK_STR(jstr(r.report, "account.phone"), "+91-90000-12311");
        CHECK_STR(jstr(r.report, "content.type"), "story");
        CHECK_STR(jstr(r.report, "content.text"),
                  "मुझे माफ़ कर देना, मैं अब और नहीं जी सकता।\nयह मेरा आखिरी स्टोरी है।");
        CHECK_NEAR(jnum(r.report, "device_location", "latitude"), 28.0229, 1e-9);
        CHECK_NEAR(jnum(r.report, "device_location", "longitude"), 73.3119, 1e-9);
        CHECK_NEAR(jnum(r.report, "device_location", "accuracy_meters"), 30, 1e-9);
        json_t *ips = json_object_get(json_object_get(r.report, "signals"), "ip_addresses");
        CHECK_INT(json_array_size(ips), 1);
        CHECK_STR(json_string_value(json_object_get(json_array_get(ips, 0), "ip")), "223.188.20.7");
        CHECK_STR(jstr(r.report, "signals.profile_location"), "Bikaner");
        CHECK_STR(r.warnings, "");
        mail_result_clear(&r);
        free(raw);
}

static void test_fixture_sikar(void)
{
        size_t len;
        char *raw = util_read_file(PRAHARI_SHARED_DIR "/fixtures/bodies/email-02-sikar-html.eml", &len);
        CHECK(raw != NULL);
        if (!raw)
                return;
        struct mail_result r;
        CHECK_INT(mail_parse(raw, len, &r), 0);
        CHECK_STR(mail_kind_name(r.kind), "report");
        CHECK_STR(r.sender, "records@partner-reports.example");
        CHECK_STR(r.message_id, "mh-2026-004212@partner-reports.example");
        CHECK_STR(jstr(r.report, "report_id"), "MH-2026-004212");
        CHECK_STR(jstr(r.report, "platform"), "facebook");
        CHECK_STR(jstr(r.report, "risk_level"), "high");
        CHECK_STR(jstr(r.report, "category"), "suicide");
        CHECK_INT(json_integer_value(json_object_get(r.report, "detected_time")), 1796287800LL);
        CHECK_STR(jstr(r.report, "account.id"), "100089765432100088");
        CHECK_STR(jstr(r.report, "account.name"), "Sunita & family");
        CHECK_STR(jstr(r.report, "content.type"), "post");
        CHECK_STR(jstr(r.report, "content.text"), "bas ab bahut ho gaya <3 alvida");
        CHECK_STR(jstr(r.report, "signals.profile_location"), "Sikar, Rajasthan");
        CHECK(json_object_get(json_object_get(r.report, "signals"), "device_location") == NULL);
        mail_result_clear(&r);
        free(raw);
}

/* ---- constructed variants ---- */

#define HDR "From: Partner Reports <Records@Partner-Reports.example>\n" \
            "To: cell@police.example\nMessage-ID: <v1@partner-reports.example>\n"
#define BASE_BODY                                                                          \
        "Report ID: MH-V-1\nPlatform: Instagram\nRisk level: Imminent\nCategory: Suicide\n" \
        "Detected: 2026-12-03 14:05 IST\nAccount ID: 17841400000000001\nContent type: post\n"

struct variant {
        const char *name;
        const char *msg;       /* LF line ends; run as LF and as CRLF */
        const char *kind;      /* expected kind */
        const char *report_id; /* expected, or NULL */
        const char *field;     /* invalid: the field at fault */
        const char *path;      /* a string field to check ("a.b"), or NULL */
        const char *value;
        const char *subject;   /* expected decoded subject, or NULL */
        long long detected;    /* expected detected_time, 0 = don't check */
};

static const struct variant variants[] = {
        {"qp soft break inside a multi-byte character",
         HDR "Subject: r\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n"
             "Content-Transfer-Encoding: quoted-printable\n\n" BASE_BODY
             "Content: =E0=A4=AE=E0=A5=81=E0=A4=\n=9D=E0=A5=87 =E0=A4=AE=E0=A4=BE=E0=A4=AB=\n=E0=A4=BC\n",
         "report", "MH-V-1", NULL, "content.text", "मुझे माफ़", NULL, IST_1405},
        {"base64 text/plain",
         HDR "Subject: r\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
             "Content-Transfer-Encoding: base64\n\n"
             "UmVwb3J0IElEOiBNSC1CNjQtMQpQbGF0Zm9ybTogRmFjZWJvb2sKUmlzayBsZXZlbDogRWxldmF0\n"
             "ZWQKQ2F0ZWdvcnk6IFNlbGYgaW5qdXJ5CkRldGVjdGVkOiAyMDI2LTEyLTAzIDE0OjA1IElTVApB\n"
             "Y2NvdW50IElEOiAxMDAwMTIzCkNvbnRlbnQgdHlwZTogY29tbWVudApDb250ZW50OiDgpK7gpYjg\n"
             "pIIg4KSg4KWA4KSVIOCkqOCkueClgOCkgiDgpLngpYLgpIEK\n",
         "report", "MH-B64-1", NULL, "content.text", "मैं ठीक नहीं हूँ", NULL, IST_1405},
        {"base64: category self injury, risk elevated",
         HDR "Subject: r\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
             "UmVwb3J0IElEOiBNSC1CNjQtMQpQbGF0Zm9ybTogRmFjZWJvb2sKUmlzayBsZXZlbDogRWxldmF0\n"
             "ZWQKQ2F0ZWdvcnk6IFNlbGYgaW5qdXJ5CkRldGVjdGVkOiAyMDI2LTEyLTAzIDE0OjA1IElTVApB\n"
             "Y2NvdW50IElEOiAxMDAwMTIzCkNvbnRlbnQgdHlwZTogY29tbWVudApDb250ZW50OiDgpK7gpYjg\n"
             "pIIg4KSg4KWA4KSVIOCkqOCkueClgOCkgiDgpLngpYLgpIEK\n",
         "report", "MH-B64-1", NULL, "category", "self_injury", NULL, 0},
        {"UTF-8 bytes declared ISO-8859-1",
         HDR "Subject: r\nContent-Type: text/plain; charset=ISO-8859-1\n"
             "Content-Transfer-Encoding: 8bit\n\n" BASE_BODY "Account name: करण सिंह\n",
         "report", "MH-V-1", NULL, "account.name", "करण सिंह", NULL, 0},
        {"UTF-8 bytes declared us-ascii",
         HDR "Subject: r\nContent-Type: text/plain; charset=us-ascii\n\n" BASE_BODY
             "Profile location: झुंझुनूं\n",
         "report", "MH-V-1", NULL, "signals.profile_location", "झुंझुनूं", NULL, 0},
        {"real ISO-8859-1 bytes converted",
         HDR "Subject: r\nContent-Type: text/plain; charset=ISO-8859-1\n"
             "Content-Transfer-Encoding: 8bit\n\n" BASE_BODY "Account name: Jos\xE9 M\xFCller\n",
         "report", "MH-V-1", NULL, "account.name", "José Müller", NULL, 0},
        {"RFC 2047 B subject",
         HDR "Subject: =?UTF-8?B?4KSw4KS/4KSq4KWL4KSw4KWN4KSfIE1ILTE=?=\n\n" BASE_BODY,
         "report", "MH-V-1", NULL, NULL, NULL, "रिपोर्ट MH-1", 0},
        {"RFC 2047 Q subject in ISO-8859-1",
         HDR "Subject: =?ISO-8859-1?Q?Rapport_d=E9tect=E9?= MH-V-1\n\n" BASE_BODY,
         "report", "MH-V-1", NULL, NULL, NULL, "Rapport détecté MH-V-1", 0},
        {"auto-reply quoting a report",
         HDR "Subject: Automatic reply: Report MH-V-1\nAuto-Submitted: auto-replied\n\n"
             "I am out of office.\n\n" BASE_BODY,
         "not_report", NULL, NULL, NULL, NULL, NULL, 0},
        {"X-Autoreply",
         HDR "Subject: Re: report\nX-Autoreply: yes\n\nThanks, received.\n",
         "not_report", NULL, NULL, NULL, NULL, NULL, 0},
        {"newsletter",
         HDR "Subject: Safety newsletter\nPrecedence: bulk\n"
             "List-Unsubscribe: <mailto:unsub@partner-reports.example>\n\n"
             "This month: platform updates.\nCategory: news\n",
         "not_report", NULL, NULL, NULL, NULL, NULL, 0},
        {"list headers on a complete report: still a report",
         HDR "Subject: r\nList-Id: <reports.partner-reports.example>\n\n" BASE_BODY,
         "report", "MH-V-1", NULL, NULL, NULL, NULL, 0},
        {"delivery status notification",
         HDR "Subject: Undelivered\nMIME-Version: 1.0\n"
             "Content-Type: multipart/report; report-type=delivery-status; boundary=\"XX\"\n\n"
             "--XX\nContent-Type: text/plain\n\n" BASE_BODY
             "--XX\nContent-Type: message/delivery-status\n\nStatus: 5.1.1\n--XX--\n",
         "not_report", NULL, NULL, NULL, NULL, NULL, 0},
        {"plain mail without report keys",
         HDR "Subject: hello\n\nHi team, see you tomorrow.\n",
         "not_report", NULL, NULL, NULL, NULL, NULL, 0},
        {"missing Report ID with report keys",
         HDR "Subject: r\n\nPlatform: Instagram\nRisk level: Imminent\nCategory: Suicide\n"
             "Detected: 2026-12-03 14:05 IST\nAccount ID: 1784\nContent type: post\n",
         "invalid", NULL, "report_id", NULL, NULL, NULL, 0},
        {"bad Detected",
         HDR "Subject: r\n\nReport ID: MH-V-2\nPlatform: Instagram\nRisk level: Imminent\n"
             "Category: Suicide\nDetected: yesterday evening\nAccount ID: 1784\nContent type: post\n",
         "invalid", "MH-V-2", "detected_time", NULL, NULL, NULL, 0},
        {"Detected without a zone",
         HDR "Subject: r\n\nReport ID: MH-V-2\nPlatform: Instagram\nRisk level: Imminent\n"
             "Category: Suicide\nDetected: 2026-12-03 14:05\nAccount ID: 1784\nContent type: post\n",
         "invalid", "MH-V-2", "detected_time", NULL, NULL, NULL, 0},
        {"Detected RFC 2822",
         HDR "Subject: r\n\nReport ID: MH-V-3\nPlatform: Threads\nRisk level: High\n"
             "Category: Suicide\nDetected: Thu, 03 Dec 2026 14:05:00 +0530\nAccount ID: 1784\n"
             "Content type: post\n",
         "report", "MH-V-3", NULL, "platform", "threads", NULL, IST_1405},
        {"Detected RFC 3339",
         HDR "Subject: r\n\nReport ID: MH-V-4\nPlatform: Facebook\nRisk level: High\n"
             "Category: Suicide\nDetected: 2026-12-03T14:05:00+05:30\nAccount ID: 1784\n"
             "Content type: reel\n",
         "report", "MH-V-4", NULL, "content.type", "reel", NULL, IST_1405},
        {"key spacing and case",
         HDR "Subject: r\n\n  report id :MH-V-5\nPLATFORM:   FaceBook \n"
             "Risk level:   HIGH  \ncategory:suicide\n DETECTED : 2026-12-03 14:05 ist\n"
             "account-ID: 1784\ncontent type: Live video\n",
         "report", "MH-V-5", NULL, "risk_level", "high", NULL, IST_1405},
        {"key spacing: content type live video",
         HDR "Subject: r\n\n  report id :MH-V-5\nPLATFORM:   FaceBook \n"
             "Risk level:   HIGH  \ncategory:suicide\n DETECTED : 2026-12-03 14:05 ist\n"
             "account-ID: 1784\ncontent type: Live video\n",
         "report", "MH-V-5", NULL, "content.type", "live_video", NULL, 0},
        {"HTML entities",
         HDR "Subject: r\nContent-Type: text/html; charset=utf-8\n\n"
             "<html><head><style>p{x:1}</style></head><body><p>Report ID: MH-V-6<br>"
             "Platform: Instagram<br>Risk level: Imminent<br>Category: Suicide<br>"
             "Detected: 2026-12-03 14:05 IST<br>Account ID: 1784<br>Content type: post<br>"
             "Content: &quot;A &amp; B&quot; &lt;3 &#2325;&#x93e;&nbsp;x &apos;y&apos; &bogus;"
             "</p></body></html>\n",
         "report", "MH-V-6", NULL, "content.text", "\"A & B\" <3 का x 'y' &bogus;", NULL, 0},
        {"nested multipart/mixed with alternative inside",
         HDR "Subject: r\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"M\"\n\n"
             "preamble\n--M\nContent-Type: multipart/alternative; boundary=\"A\"\n\n"
             "--A\nContent-Type: text/plain; charset=utf-8\n\n" BASE_BODY
             "Content: पहली पंक्ति\nदूसरी पंक्ति\nDevice location: 26.9124, 75.7873 (accuracy 12 m)\n"
             "--A\nContent-Type: text/html; charset=utf-8\n\n<p>Report ID: MH-WRONG</p>\n--A--\n"
             "--M\nContent-Type: text/plain; name=old.txt\nContent-Disposition: attachment; filename=old.txt\n\n"
             "Report ID: MH-ATTACHED\n--M--\n",
         "report", "MH-V-1", NULL, "content.text", "पहली पंक्ति\nदूसरी पंक्ति", NULL, 0},
        {"alternative whose plain part is only a note: HTML used",
         HDR "Subject: r\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"A\"\n\n"
             "--A\nContent-Type: text/plain\n\nPlease view this message in HTML.\n"
             "--A\nContent-Type: text/html\n\n<table><tr><td>Report ID:</td><td>MH-V-7</td></tr>"
             "<tr><td>Platform:</td><td>Instagram</td></tr><tr><td>Risk level:</td><td>High</td></tr>"
             "<tr><td>Category:</td><td>Suicide</td></tr>"
             "<tr><td>Detected:</td><td>2026-12-03 14:05 IST</td></tr>"
             "<tr><td>Account ID:</td><td>1784</td></tr><tr><td>Content type:</td><td>post</td></tr>"
             "<tr><td>PIN code:</td><td>332 001</td></tr></table>\n--A--\n",
         "report", "MH-V-7", NULL, "signals.postal_code", "332001", NULL, IST_1405},
        {"bad platform",
         HDR "Subject: r\n\nReport ID: MH-V-8\nPlatform: Snapchat\nRisk level: High\n"
             "Category: Suicide\nDetected: 2026-12-03 14:05 IST\nAccount ID: 1784\nContent type: post\n",
         "invalid", "MH-V-8", "platform", NULL, NULL, NULL, 0},
        {"account id with letters",
         HDR "Subject: r\n\nReport ID: MH-V-9\nPlatform: Facebook\nRisk level: High\n"
             "Category: Suicide\nDetected: 2026-12-03 14:05 IST\nAccount ID: 17x84\nContent type: post\n",
         "invalid", "MH-V-9", "account.id", NULL, NULL, NULL, 0},
        {"missing content type",
         HDR "Subject: r\n\nReport ID: MH-V-10\nPlatform: Facebook\nRisk level: High\n"
             "Category: Suicide\nDetected: 2026-12-03 14:05 IST\nAccount ID: 1784\n",
         "invalid", "MH-V-10", "content.type", NULL, NULL, NULL, 0},
        {"content ends at the next known key; first Report ID wins",
         HDR "Subject: r\n\n" BASE_BODY "Content: line one\n  line two  \nPhone: 09000012345\n"
             "Report ID: MH-QUOTED\n",
         "report", "MH-V-1", NULL, "content.text", "line one\nline two", NULL, 0},
        {"content ends at a blank line",
         HDR "Subject: r\n\n" BASE_BODY "Content: only this\n\nRegards, the team\n",
         "report", "MH-V-1", NULL, "content.text", "only this", NULL, 0},
        {"phone after content",
         HDR "Subject: r\n\n" BASE_BODY "Content: line one\nPhone: 09000012345\n",
         "report", "MH-V-1", NULL, "account.phone", "09000012345", NULL, 0},
        {"format=flowed: a long value wrapped by the sender's mailer",
         HDR "Subject: r\nContent-Type: text/plain; charset=utf-8; format=flowed\n\n" BASE_BODY
             "Profile location: Ward 12, near the water tank, \nJhunjhunu, Rajasthan\n"
             "Content: first \nsentence\n",
         "report", "MH-V-1", NULL, "signals.profile_location",
         "Ward 12, near the water tank, Jhunjhunu, Rajasthan", NULL, 0},
        {"format=flowed: content joined",
         HDR "Subject: r\nContent-Type: text/plain; charset=utf-8; format=flowed\n\n" BASE_BODY
             "Content: first \nsentence\nsecond line\n",
         "report", "MH-V-1", NULL, "content.text", "first sentence\nsecond line", NULL, 0},
        {"format=flowed; delsp=yes",
         HDR "Subject: r\nContent-Type: text/plain; charset=utf-8; format=flowed; delsp=yes\n\n" BASE_BODY
             "Profile URL: https://www.facebook.com/profile.php?id= \n100089765432100001&sk=about\n",
         "report", "MH-V-1", NULL, "account.profile_url",
         "https://www.facebook.com/profile.php?id=100089765432100001&sk=about", NULL, 0},
        {"message without MIME headers, only LF",
         "From: records@partner-reports.example\nSubject: r\n\n" BASE_BODY "Email: x@y.example\n",
         "report", "MH-V-1", NULL, "account.email", "x@y.example", NULL, 0},
};

static void test_variants(void)
{
        for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
                const struct variant *v = &variants[i];
                for (int crlf = 0; crlf < 2; crlf++) {
                        char *msg = crlf ? to_crlf(v->msg) : strdup(v->msg);
                        struct mail_result r;
                        CHECK_INT(parse_str(msg, &r), 0);
                        CHECK_MSG(strcmp(mail_kind_name(r.kind), v->kind) == 0,
                                  "%s (%s): kind %s, want %s (%s)", v->name, crlf ? "CRLF" : "LF",
                                  mail_kind_name(r.kind), v->kind, r.reason);
                        if (v->report_id)
                                CHECK_STR(jstr(r.report, "report_id"), v->report_id);
                        if (v->field) {
                                CHECK_STR(r.field, v->field);
                                CHECK_MSG(strncmp(r.reason, v->field, strlen(v->field)) == 0,
                                          "%s: reason \"%s\" names the field", v->name, r.reason);
                        }
                        if (v->path)
                                CHECK_MSG(jstr(r.report, v->path) &&
                                                  strcmp(jstr(r.report, v->path), v->value) == 0,
                                          "%s (%s): %s = \"%s\", want \"%s\"", v->name,
                                          crlf ? "CRLF" : "LF", v->path,
                                          jstr(r.report, v->path) ? jstr(r.report, v->path) : "(null)",
                                          v->value);
                        if (v->subject)
                                CHECK_STR(r.subject, v->subject);
                        if (v->detected)
                                CHECK_INT(json_integer_value(json_object_get(r.report, "detected_time")),
                                          v->detected);
                        if (r.sender && strstr(v->msg, "Partner-Reports"))
                                CHECK_STR(r.sender, "records@partner-reports.example");
                        if (strstr(v->msg, "<v1@partner-reports.example>"))
                                CHECK_STR(r.message_id, "v1@partner-reports.example");
                        if (strcmp(v->kind, "not_report") == 0)
                                CHECK(r.report == NULL);
                        mail_result_clear(&r);
                        free(msg);
                }
        }
}

/* The same message with LF and CRLF line ends gives the same REPORT. */
static void test_crlf_equal(void)
{
        size_t len;
        char *raw = util_read_file(PRAHARI_SHARED_DIR "/fixtures/bodies/email-01-bikaner.eml", &len);
        if (!raw) {
                CHECK(raw != NULL);
                return;
        }
        char *lf = malloc(len + 1);
        size_t w = 0;
        for (size_t i = 0; i < len; i++)
                if (raw[i] != '\r')
                        lf[w++] = raw[i];
        struct mail_result a, b;
        CHECK_INT(mail_parse(raw, len, &a), 0);
        CHECK_INT(mail_parse(lf, w, &b), 0);
        CHECK(a.report && b.report && json_equal(a.report, b.report));
        mail_result_clear(&a);
        mail_result_clear(&b);
        free(lf);
        free(raw);
}

/* Optional fields that cannot be read are dropped with a warning, never fatal. */
static void test_optional_dropped(void)
{
        const char *msg = HDR "Subject: r\n\n" BASE_BODY
                "Device location: north of the lake\nIP address: 10.1.2.3, 2001:db8::1\n"
                "IP address: not-an-ip\nPIN code: 12345\n";
        struct mail_result r;
        CHECK_INT(parse_str(msg, &r), 0);
        CHECK_STR(mail_kind_name(r.kind), "report");
        json_t *sig = json_object_get(r.report, "signals");
        CHECK(json_object_get(sig, "device_location") == NULL);
        CHECK(json_object_get(sig, "postal_code") == NULL);
        json_t *ips = json_object_get(sig, "ip_addresses");
        CHECK_INT(json_array_size(ips), 2);
        CHECK_STR(json_string_value(json_object_get(json_array_get(ips, 1), "ip")), "2001:db8::1");
        CHECK(strstr(r.warnings, "signals.device_location") != NULL);
        CHECK(strstr(r.warnings, "signals.postal_code") != NULL);
        CHECK(strstr(r.warnings, "signals.ip_addresses") != NULL);
        mail_result_clear(&r);

        msg = HDR "Subject: r\n\n" BASE_BODY "Device location: 26.9124,75.7873\n";
        CHECK_INT(parse_str(msg, &r), 0);
        CHECK_NEAR(jnum(r.report, "device_location", "latitude"), 26.9124, 1e-9);
        CHECK(json_object_get(json_object_get(json_object_get(r.report, "signals"), "device_location"),
                              "accuracy_meters") == NULL);
        mail_result_clear(&r);

        msg = HDR "Subject: r\n\n" BASE_BODY "Device location: 126.9, 75.7 (accuracy 10 m)\n";
        CHECK_INT(parse_str(msg, &r), 0);
        CHECK(strstr(r.warnings, "signals.device_location") != NULL);
        mail_result_clear(&r);
}

/* Bytes that are not a message at all. */
static void test_garbage(void)
{
        static const char junk[] = "\x00\x01\xff\xfe garbage \r\n\r\n\x80";
        struct mail_result r;
        CHECK_INT(mail_parse(junk, sizeof junk - 1, &r), 0);
        CHECK(r.kind != MAIL_REPORT);
        CHECK(r.sender == NULL);
        mail_result_clear(&r);
        CHECK_INT(mail_parse(NULL, 0, &r), 0);
        CHECK(r.kind != MAIL_REPORT);
        mail_result_clear(&r);
}

/* ---- helpers ---- */

static void test_html(void)
{
        static const struct {
                const char *in, *want;
        } t[] = {
                {"<p>a</p><p>b</p>", "a\nb"},
                {"a<br>b<BR/>c", "a\nb\nc"},
                {"<tr><td>Key:</td><td>Value</td></tr>", "Key: Value"},
                {"<tr><td>Key</td><td>Value</td></tr>", "Key\tValue"},
                {"  many \n  spaces\t here ", "many spaces here"},
                {"&amp;&lt;&gt;&quot;&#65;&#x42;&nbsp;C", "&<>\"AB C"},
                {"&#0; &#xD800; &#1114112;", "\xEF\xBF\xBD \xEF\xBF\xBD \xEF\xBF\xBD"},
                {"x<!-- Report ID: no -->y", "xy"},
                {"<script>var a='<p>';</script>ok", "ok"},
                {"a < b", "a < b"},
                {"<a href=\"x>y\">link</a>", "link"},
                {"<pre>l1\n  l2</pre>", "l1\n  l2"},
                {"AT&T &unknown; &", "AT&T &unknown; &"},
        };
        for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
                char *o = mail_html_to_text(t[i].in, strlen(t[i].in));
                CHECK_STR(o, t[i].want);
                free(o);
        }
}

static void test_unflow(void)
{
        static const struct {
                const char *in, *want;
                bool delsp;
        } t[] = {
                {"a \nb\nc", "a b\nc", false},
                {"a \nb", "ab", true},
                {" From here\n  two", "From here\n two", false},
                {"-- \nsig", "-- \nsig", false},
                {"x \n\ny", "x \ny", false},
        };
        for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
                char *s = strdup(t[i].in);
                mail_text_unflow(s, strlen(s), t[i].delsp);
                CHECK_STR(s, t[i].want);
                free(s);
        }
}

static void test_detected(void)
{
        static const struct {
                const char *in;
                long long want; /* -1: refused */
        } t[] = {
                {"2026-12-03 14:05 IST", IST_1405},
                {"2026-12-03 14:05:00 IST", IST_1405},
                {"2026-12-03 08:35 UTC", IST_1405},
                {"2026-12-03 14:05 +05:30", IST_1405},
                {"2026-12-03 14:05 +0530", IST_1405},
                {"2026-12-03T14:05:00+05:30", IST_1405},
                {"2026-12-03T08:35:00Z", IST_1405},
                {"2026-12-03T08:35:00.750Z", IST_1405},
                {"Thu, 03 Dec 2026 14:05:00 +0530", IST_1405},
                {"3 Dec 2026 08:35 GMT", IST_1405},
                {"Thu, 03 Dec 2026 03:35:00 -0500 (EST)", IST_1405},
                {"  2026-12-03 14:05 IST  ", IST_1405},
                {"2026-12-03 14:05", -1},
                {"2026-02-30 14:05 IST", -1},
                {"2026-12-03 24:05 IST", -1},
                {"1999-12-03 14:05 IST", -1},
                {"2026-12-03 14:05 XYZ", -1},
                {"Thu, 03 Foo 2026 14:05:00 +0530", -1},
                {"yesterday", -1},
                {"", -1},
        };
        for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
                int64_t got = 0;
                int rc = mail_parse_detected(t[i].in, &got);
                if (t[i].want < 0)
                        CHECK_MSG(rc == -1, "\"%s\" must be refused", t[i].in);
                else
                        CHECK_MSG(rc == 0 && got == t[i].want, "\"%s\": rc %d, %lld", t[i].in, rc,
                                  (long long)got);
        }
}

static void test_senders(void)
{
        static const struct {
                const char *list, *addr;
                bool want;
        } t[] = {
                {"records@partner-reports.example", "records@partner-reports.example", true},
                {" a@x.example , Records@Partner-Reports.example ", "records@partner-reports.example", true},
                {"@partner-reports.example", "anyone@partner-reports.example", true},
                {"@partner-reports.example", "anyone@evil-partner-reports.example", false},
                {"records@partner-reports.example", "records@partner-reports.example.evil", false},
                {"records@partner-reports.example", "xrecords@partner-reports.example", false},
                {"", "records@partner-reports.example", false},
                {NULL, "records@partner-reports.example", false},
                {"a@x.example", "", false},
        };
        for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
                CHECK_MSG(mail_sender_allowed(t[i].list, t[i].addr) == t[i].want, "list \"%s\" addr \"%s\"",
                          t[i].list ? t[i].list : "(null)", t[i].addr);
}

static void test_auth_results(void)
{
        static const char *const id = "mx.police.example";
        static const struct {
                const char *value, *domain;
                bool want;
        } t[] = {
                {"mx.police.example; dmarc=pass (p=reject) header.from=partner-reports.example",
                 "partner-reports.example", true},
                {"MX.Police.Example 1; spf=pass smtp.mailfrom=partner-reports.example;\r\n\t"
                 "dkim=pass header.d=Partner-Reports.example header.s=s1",
                 "partner-reports.example", true},
                {"mx.police.example; dkim=pass header.i=@partner-reports.example", "partner-reports.example", true},
                {"mx.police.example; dmarc=pass", "partner-reports.example", true},
                {"mx.police.example; dmarc=fail header.from=partner-reports.example", "partner-reports.example", false},
                {"mx.police.example; dmarc=pass header.from=evil.example", "partner-reports.example", false},
                {"mx.police.example; dkim=pass header.d=evil.example", "partner-reports.example", false},
                {"mx.police.example; spf=pass smtp.mailfrom=partner-reports.example", "partner-reports.example", false},
                {"mx.police.example; (dmarc=pass) dmarc=none", "partner-reports.example", false},
                {"mx.evil.example; dmarc=pass header.from=partner-reports.example", "partner-reports.example", false},
                {"mx.police.example.evil; dmarc=pass", "partner-reports.example", false},
                {"mx.police.example; none", "partner-reports.example", false},
                {NULL, "partner-reports.example", false},
        };
        for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
                CHECK_MSG(mail_auth_results_ok(t[i].value, id, t[i].domain) == t[i].want, "\"%s\"",
                          t[i].value ? t[i].value : "(null)");

        /* the topmost header is the one kept */
        const char *msg = "Authentication-Results: mx.police.example; dmarc=fail\n"
                          "Authentication-Results: mx.police.example; dmarc=pass\n" HDR "Subject: r\n\n" BASE_BODY;
        struct mail_result r;
        CHECK_INT(parse_str(msg, &r), 0);
        CHECK_STR(r.auth_results, "mx.police.example; dmarc=fail");
        CHECK(!mail_auth_results_ok(r.auth_results, id, "partner-reports.example"));
        mail_result_clear(&r);
}

int main(void)
{
        test_fixture_bikaner();
        test_fixture_sikar();
        test_variants();
        test_crlf_equal();
        test_optional_dropped();
        test_garbage();
        test_html();
        test_unflow();
        test_detected();
        test_senders();
        test_auth_results();
        return test_summary("ingest_mail_parse");
}
