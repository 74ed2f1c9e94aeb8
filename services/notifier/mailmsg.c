/* SPDX-License-Identifier: Apache-2.0 */
/* RFC 5322 / MIME message building for alert e-mails: RFC 2047 encoded-word
 * headers, quoted-printable bodies, deterministic Message-ID and boundary. */
#include "mailmsg.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "prahari/util.h"
#include "strbuf.h"

#define EW_MAX_BYTES 42 /* 42 bytes -> 56 base64 chars -> 68-char encoded word */

static bool is_plain_ascii(const char *s)
{
        for (; *s; s++)
                if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7E)
                        return false;
        return true;
}

static bool has_line_break(const char *s)
{
        return s && (strchr(s, '\r') || strchr(s, '\n'));
}

char *mailmsg_header(const char *name, const char *value)
{
        struct strbuf b = {0};
        const char *v = value ? value : "";
        size_t len = strlen(v);
        if (!util_utf8_valid(v, len) && len > 0)
                return NULL;
        sb_add(&b, name);
        sb_add(&b, ":");
        if (is_plain_ascii(v)) {
                /* Fold before a space so that lines stay within 78
                 * characters; unfolding gives the value back unchanged. */
                size_t col = strlen(name) + 1;
                const char *p = v;
                bool first = true;
                for (;;) {
                        const char *sp = strchr(p, ' ');
                        size_t wl = sp ? (size_t)(sp - p) : strlen(p);
                        if (!first && col + 1 + wl > 78) {
                                sb_add(&b, "\r\n ");
                                col = 1;
                        } else {
                                sb_add(&b, " ");
                                col++;
                        }
                        sb_addn(&b, p, wl);
                        col += wl;
                        first = false;
                        if (!sp)
                                break;
                        p = sp + 1;
                }
                return sb_take(&b);
        }
        const unsigned char *s = (const unsigned char *)v;
        size_t i = 0;
        bool first = true;
        while (i < len) {
                size_t start = i, chunk = 0;
                while (i < len) {
                        uint32_t cp;
                        size_t n = util_utf8_next(s + i, len - i, &cp);
                        if (n == 0) {
                                sb_free(&b);
                                return NULL;
                        }
                        if (chunk + n > EW_MAX_BYTES)
                                break;
                        chunk += n;
                        i += n;
                }
                char *enc = util_b64_encode(s + start, chunk);
                if (!enc) {
                        sb_free(&b);
                        return NULL;
                }
                sb_add(&b, first ? " " : "\r\n ");
                sb_add(&b, "=?UTF-8?B?");
                sb_add(&b, enc);
                sb_add(&b, "?=");
                free(enc);
                first = false;
        }
        return sb_take(&b);
}

char *mailmsg_qp(const char *text)
{
        static const char hex[] = "0123456789ABCDEF";
        struct strbuf b = {0};
        const unsigned char *p = (const unsigned char *)(text ? text : "");
        size_t col = 0;
        while (*p) {
                const unsigned char *eol = (const unsigned char *)strchr((const char *)p, '\n');
                size_t n = eol ? (size_t)(eol - p) : strlen((const char *)p);
                size_t end = n;
                if (end > 0 && p[end - 1] == '\r')
                        end--;
                col = 0;
                for (size_t i = 0; i < end; i++) {
                        unsigned char c = p[i];
                        char tok[4];
                        size_t tl;
                        bool last = i + 1 == end;
                        if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last)) {
                                tok[0] = (char)c;
                                tl = 1;
                        } else {
                                tok[0] = '=';
                                tok[1] = hex[c >> 4];
                                tok[2] = hex[c & 15];
                                tl = 3;
                        }
                        /* Keep room for the soft break "=" unless this is
                         * the last token of the line. */
                        size_t limit = last ? 76 : 75;
                        if (col + tl > limit) {
                                sb_add(&b, "=\r\n");
                                col = 0;
                        }
                        sb_addn(&b, tok, tl);
                        col += tl;
                }
                if (eol)
                        sb_add(&b, "\r\n");
                p += eol ? n + 1 : n;
        }
        return sb_take(&b);
}

void mailmsg_date(int64_t us, char *buf, size_t bufsz)
{
        static const char *const wd[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
        static const char *const mo[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
        time_t t = (time_t)(us / 1000000);
        struct tm tm;
        gmtime_r(&t, &tm);
        snprintf(buf, bufsz, "%s, %02d %s %04d %02d:%02d:%02d +0000", wd[tm.tm_wday], tm.tm_mday,
                 mo[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* "Name <addr>" with the name quoted or encoded as needed. */
static char *address_header(const char *hname, const char *name, const char *addr)
{
        struct strbuf b = {0};
        if (!name || !*name) {
                sb_addf(&b, "%s: <%s>", hname, addr);
                return sb_take(&b);
        }
        if (is_plain_ascii(name)) {
                sb_addf(&b, "%s: \"", hname);
                for (const char *p = name; *p; p++) {
                        if (*p == '"' || *p == '\\')
                                sb_add(&b, "\\");
                        sb_addn(&b, p, 1);
                }
                sb_addf(&b, "\" <%s>", addr);
                return sb_take(&b);
        }
        char *enc = mailmsg_header(hname, name);
        if (!enc)
                return NULL;
        sb_add(&b, enc);
        free(enc);
        sb_addf(&b, "\r\n <%s>", addr);
        return sb_take(&b);
}

char *mailmsg_build(const struct mail_msg *m)
{
        if (!m->from || !m->to || !m->notification_id || has_line_break(m->from) ||
            has_line_break(m->to) || has_line_break(m->subject) || has_line_break(m->from_name) ||
            has_line_break(m->to_name) || has_line_break(m->notification_id) ||
            strpbrk(m->from, "<>\" ") || strpbrk(m->to, "<>\" "))
                return NULL;
        struct strbuf b = {0};
        char *from = address_header("From", m->from_name, m->from);
        char *to = address_header("To", m->to_name, m->to);
        char *subj = mailmsg_header("Subject", m->subject ? m->subject : "");
        char *qtext = mailmsg_qp(m->text ? m->text : "");
        char *qhtml = m->html ? mailmsg_qp(m->html) : NULL;
        char *out = NULL;
        char date[64];
        if (!from || !to || !subj || !qtext || (m->html && !qhtml))
                goto done;
        if (!util_utf8_valid(m->text ? m->text : "", strlen(m->text ? m->text : "")) ||
            (m->html && !util_utf8_valid(m->html, strlen(m->html))))
                goto done;
        mailmsg_date(m->date_us, date, sizeof date);
        char boundary[80];
        snprintf(boundary, sizeof boundary, "=_prahari_%s", m->notification_id);
        sb_addf(&b, "%s\r\n%s\r\n%s\r\n", from, to, subj);
        sb_addf(&b, "Date: %s\r\n", date);
        sb_addf(&b, "Message-ID: <%s@prahari>\r\n", m->notification_id);
        sb_add(&b, "MIME-Version: 1.0\r\n");
        sb_add(&b, "Auto-Submitted: auto-generated\r\n");
        if (m->html) {
                sb_addf(&b, "Content-Type: multipart/alternative;\r\n boundary=\"%s\"\r\n\r\n",
                        boundary);
                sb_add(&b, "This is a MIME message.\r\n");
                sb_addf(&b, "\r\n--%s\r\n", boundary);
        }
        sb_add(&b, "Content-Type: text/plain; charset=UTF-8\r\n"
                   "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
        sb_add(&b, qtext);
        if (m->html) {
                sb_addf(&b, "\r\n--%s\r\n", boundary);
                sb_add(&b, "Content-Type: text/html; charset=UTF-8\r\n"
                           "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
                sb_add(&b, qhtml);
                sb_addf(&b, "\r\n--%s--\r\n", boundary);
        } else if (b.len >= 2 && !(b.p[b.len - 2] == '\r' && b.p[b.len - 1] == '\n')) {
                sb_add(&b, "\r\n");
        }
        out = sb_take(&b);
done:
        sb_free(&b);
        free(from);
        free(to);
        free(subj);
        free(qtext);
        free(qhtml);
        return out;
}

/* ==== The alert e-mail ==== */

struct labels {
        const char *title, *escalated, *severity, *category, *platform, *where, *state_cc,
                *reported, *location, *person, *name, *account, *profile, *post, *posttext,
                *confirm, *confirm_note, *footer;
};

static const struct labels lab_en = {
        "Prahari alert",
        "ESCALATION: this alert has not been confirmed yet.",
        "Severity",
        "Category",
        "Platform",
        "Jurisdiction",
        "State Command Centre",
        "Reported at",
        "Location",
        "Person",
        "Name",
        "Account",
        "Profile",
        "Flagged post",
        "Post text",
        "Confirm you are acting on this alert",
        "Open the link and press Confirm; afterwards record the outcome there.",
        "Sent by Prahari for Rajasthan Police. Confidential: for the addressee only.",
};

static const struct labels lab_hi = {
        "प्रहरी अलर्ट",
        "एस्केलेशन: इस अलर्ट की अभी तक पुष्टि नहीं हुई है।",
        "गंभीरता",
        "श्रेणी",
        "प्लेटफ़ॉर्म",
        "क्षेत्राधिकार",
        "राज्य कमांड सेंटर",
        "रिपोर्ट का समय",
        "स्थान",
        "व्यक्ति",
        "नाम",
        "खाता",
        "प्रोफ़ाइल",
        "चिह्नित पोस्ट",
        "पोस्ट का पाठ",
        "पुष्टि करें कि आप इस अलर्ट पर कार्रवाई कर रहे हैं",
        "लिंक खोलें और पुष्टि दबाएँ; बाद में वहीं परिणाम दर्ज करें।",
        "राजस्थान पुलिस के लिए प्रहरी द्वारा भेजा गया। गोपनीय: केवल प्राप्तकर्ता के लिए।",
};

static void row(struct strbuf *t, struct strbuf *h, const char *label, const char *value,
                bool link)
{
        if (!value || !*value)
                return;
        sb_addf(t, "%s: %s\n", label, value);
        sb_add(h, "<tr><th align=\"left\">");
        sb_add_html(h, label);
        sb_add(h, "</th><td>");
        if (link) {
                sb_add(h, "<a href=\"");
                sb_add_html(h, value);
                sb_add(h, "\">");
        }
        sb_add_html(h, value);
        sb_add(h, link ? "</a></td></tr>\n" : "</td></tr>\n");
}

int mailmsg_alert(const struct alert_mail *a, char **subject, char **text, char **html)
{
        const struct labels *L = a->lang && strcmp(a->lang, "hi") == 0 ? &lab_hi : &lab_en;
        struct strbuf s = {0}, t = {0}, h = {0};
        const char *where = a->district && *a->district ? a->district : L->state_cc;
        char sev[32];
        snprintf(sev, sizeof sev, "%s", a->severity ? a->severity : "");
        for (char *p = sev; *p; p++)
                if (*p >= 'a' && *p <= 'z')
                        *p = (char)(*p - 'a' + 'A');

        sb_addf(&s, "[PRAHARI %s] %s%s – %s – %s", a->short_code ? a->short_code : "",
                a->level > 1 ? "ESCALATION – " : "", sev, L->title, where);

        sb_add(&h, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>");
        sb_add_html(&h, L->title);
        sb_add(&h, "</title></head><body>\n<h2>");
        sb_add_html(&h, L->title);
        sb_add(&h, " ");
        sb_add_html(&h, a->short_code);
        sb_add(&h, "</h2>\n");
        sb_addf(&t, "%s %s\n\n", L->title, a->short_code ? a->short_code : "");
        if (a->level > 1) {
                sb_addf(&t, "%s\n\n", L->escalated);
                sb_add(&h, "<p><strong>");
                sb_add_html(&h, L->escalated);
                sb_add(&h, "</strong></p>\n");
        }
        sb_add(&h, "<table>\n");
        row(&t, &h, L->severity, sev, false);
        row(&t, &h, L->category, a->category, false);
        row(&t, &h, L->platform, a->platform, false);
        row(&t, &h, L->where, where, false);
        row(&t, &h, L->reported, a->reported_at, false);
        char loc[256] = "";
        if (a->has_point)
                snprintf(loc, sizeof loc, "%.5f, %.5f (±%.0f m, %s, %.0f%%)", a->lat, a->lon,
                         a->radius_m, a->loc_method ? a->loc_method : "?", a->confidence * 100.0);
        else if (a->loc_method)
                snprintf(loc, sizeof loc, "%s", a->loc_method);
        row(&t, &h, L->location, loc, false);
        if (a->has_point) {
                char map[160];
                snprintf(map, sizeof map, "https://www.openstreetmap.org/?mlat=%.5f&mlon=%.5f#map=15/%.5f/%.5f",
                         a->lat, a->lon, a->lat, a->lon);
                row(&t, &h, "Map", map, true);
        }
        row(&t, &h, L->name, a->person_name, false);
        row(&t, &h, L->account, a->username, false);
        row(&t, &h, L->profile, a->profile_url, true);
        row(&t, &h, L->post, a->permalink, true);
        sb_add(&h, "</table>\n");
        if (a->post_text && *a->post_text) {
                sb_addf(&t, "\n%s:\n%s\n", L->posttext, a->post_text);
                sb_add(&h, "<h3>");
                sb_add_html(&h, L->posttext);
                sb_add(&h, "</h3>\n<blockquote>");
                sb_add_html(&h, a->post_text);
                sb_add(&h, "</blockquote>\n");
        }
        if (a->ack_url) {
                sb_addf(&t, "\n%s:\n%s\n%s\n", L->confirm, a->ack_url, L->confirm_note);
                sb_add(&h, "<p><a href=\"");
                sb_add_html(&h, a->ack_url);
                sb_add(&h, "\"><strong>");
                sb_add_html(&h, L->confirm);
                sb_add(&h, "</strong></a><br>");
                sb_add_html(&h, L->confirm_note);
                sb_add(&h, "</p>\n");
        }
        sb_addf(&t, "\n-- \n%s\n", L->footer);
        sb_add(&h, "<p><small>");
        sb_add_html(&h, L->footer);
        sb_add(&h, "</small></p>\n</body></html>\n");

        if (s.failed || t.failed || h.failed) {
                sb_free(&s);
                sb_free(&t);
                sb_free(&h);
                return -1;
        }
        *subject = sb_take(&s);
        *text = sb_take(&t);
        *html = sb_take(&h);
        return 0;
}
