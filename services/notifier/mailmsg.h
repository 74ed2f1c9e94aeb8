/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file mailmsg.h
 * @brief The alert e-mail as an RFC 5322 / MIME message (delivery-v1 "E-mail").
 *
 * Lines end in CRLF and stay under 78 characters in the headers and 76 in
 * the quoted-printable body (always far under the 998-octet limit). The
 * message is deterministic for a given notification: Message-ID
 * <notification_id@prahari> and a MIME boundary derived from it, so a resend
 * after a crash is byte-identical apart from the Date line. Dot-stuffing is
 * not done here: libcurl's SMTP upload doubles a leading '.' on the wire.
 */
#ifndef PRAHARI_NOTIFIER_MAILMSG_H
#define PRAHARI_NOTIFIER_MAILMSG_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/** Everything one message needs. Strings are UTF-8 and borrowed. */
struct mail_msg {
        const char *from;      /* address */
        const char *from_name; /* display name or NULL */
        const char *to;        /* address */
        const char *to_name;   /* display name or NULL */
        const char *subject;
        const char *notification_id; /* uuid: Message-ID <id@prahari> */
        int64_t date_us;             /* Date: header */
        const char *text;            /* text/plain body (LF or CRLF line ends) */
        const char *html;            /* text/html body or NULL */
};

/**
 * @brief Build the whole message.
 * @returns malloc'd text (caller frees), or NULL on invalid UTF-8 or a
 * header value with a line break.
 */
char *mailmsg_build(const struct mail_msg *m);

/**
 * @brief "Name: value" with a non-ASCII value as RFC 2047 encoded words
 * (=?UTF-8?B?...?=, each at most 75 characters, no UTF-8 sequence split
 * across words), folded with CRLF + space; no trailing CRLF.
 * @returns malloc'd text or NULL on invalid UTF-8.
 */
char *mailmsg_header(const char *name, const char *value);

/**
 * @brief Quoted-printable encoding (RFC 2045) of UTF-8 text: line ends
 * become CRLF, output lines are at most 76 characters with soft breaks,
 * trailing blanks encoded. @returns malloc'd text or NULL.
 */
char *mailmsg_qp(const char *text);

/** @brief RFC 5322 date of @p us ("Thu, 03 Dec 2026 09:05:10 +0000"). */
void mailmsg_date(int64_t us, char *buf, size_t bufsz);

/* ==== The alert e-mail ==== */

/** What the alert e-mail shows. NULL/empty fields are left out. */
struct alert_mail {
        const char *lang;        /* en | hi (subject and headings) */
        const char *short_code;
        const char *severity;
        const char *category;
        const char *platform;
        const char *district;    /* NULL: state command centre */
        const char *route_reason;
        const char *reported_at; /* RFC 3339 */
        const char *loc_method;  /* gps | place | pin | ip | none */
        bool has_point;
        double lat, lon, radius_m, confidence;
        const char *person_name;
        const char *username;
        const char *profile_url;
        const char *permalink;
        const char *post_text;   /* only when the deployment allows it, else NULL */
        const char *ack_url;
        int level;               /* 1 first notice; > 1 escalation */
};

/**
 * @brief Subject, plain text and HTML of the alert e-mail; each malloc'd.
 * @returns 0, or -1 (nothing allocated) when out of memory.
 */
int mailmsg_alert(const struct alert_mail *a, char **subject, char **text, char **html);

#endif
