/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file smtp.h
 * @brief One e-mail over SMTP with libcurl: smtp:// with STARTTLS required
 *        (CURLUSESSL_ALL) or smtps:// (implicit TLS), a CA file, optional
 *        AUTH. libcurl dot-stuffs the upload (a line starting with '.' is
 *        sent as '..'); the message given is the plain RFC 5322 text.
 */
#ifndef PRAHARI_NOTIFIER_SMTP_H
#define PRAHARI_NOTIFIER_SMTP_H
#include <stdbool.h>
#include "backoff.h"

struct smtp_cfg {
        const char *url;       /* smtp://host:port or smtps://host:port */
        bool starttls;         /* require STARTTLS on smtp:// */
        const char *ca_file;   /* NULL: system CAs */
        const char *user;      /* NULL: no AUTH */
        const char *password;
        const char *mail_from; /* envelope sender */
        long timeout_ms, connect_timeout_ms;
};

struct smtp_result {
        enum send_result result;
        long code;        /* last SMTP reply code, 0 if none */
        char error[200];
};

struct smtp_client;

struct smtp_client *smtp_client_new(const struct smtp_cfg *cfg);
void smtp_client_destroy(struct smtp_client *c);

/** @brief Send @p message (CRLF text) to @p rcpt. */
void smtp_send(struct smtp_client *c, const char *rcpt, const char *message,
               struct smtp_result *res);

#endif
