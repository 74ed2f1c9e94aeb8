/* SPDX-License-Identifier: Apache-2.0 */
/* SMTP submission through libcurl, one message per recipient. */
#include "smtp.h"
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "strbuf.h"

struct smtp_client {
        struct smtp_cfg cfg; /* strings borrowed from the caller's config */
        CURL *curl;
};

struct upload {
        const char *p;
        size_t left;
};

static size_t read_cb(char *buf, size_t size, size_t nmemb, void *ud)
{
        struct upload *u = ud;
        size_t n = size * nmemb;
        if (n > u->left)
                n = u->left;
        memcpy(buf, u->p, n);
        u->p += n;
        u->left -= n;
        return n;
}

struct smtp_client *smtp_client_new(const struct smtp_cfg *cfg)
{
        struct smtp_client *c = calloc(1, sizeof *c);
        if (!c)
                return NULL;
        c->cfg = *cfg;
        c->curl = curl_easy_init();
        if (!c->curl) {
                free(c);
                return NULL;
        }
        return c;
}

void smtp_client_destroy(struct smtp_client *c)
{
        if (!c)
                return;
        curl_easy_cleanup(c->curl);
        free(c);
}

void smtp_send(struct smtp_client *c, const char *rcpt, const char *message,
               struct smtp_result *res)
{
        CURL *e = c->curl;
        memset(res, 0, sizeof *res);
        struct curl_slist *rcpts = NULL;
        struct strbuf from = {0}, to = {0};
        sb_addf(&from, "<%s>", c->cfg.mail_from);
        sb_addf(&to, "<%s>", rcpt);
        char *f = sb_take(&from), *t = sb_take(&to);
        rcpts = curl_slist_append(rcpts, t ? t : "");
        struct upload up = {message, strlen(message)};

        curl_easy_reset(e);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_URL, c->cfg.url);
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
        if (c->cfg.starttls)
                curl_easy_setopt(e, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
        if (c->cfg.ca_file)
                curl_easy_setopt(e, CURLOPT_CAINFO, c->cfg.ca_file);
        if (c->cfg.user) {
                curl_easy_setopt(e, CURLOPT_USERNAME, c->cfg.user);
                curl_easy_setopt(e, CURLOPT_PASSWORD, c->cfg.password ? c->cfg.password : "");
        }
        curl_easy_setopt(e, CURLOPT_MAIL_FROM, f ? f : "<>");
        curl_easy_setopt(e, CURLOPT_MAIL_RCPT, rcpts);
        curl_easy_setopt(e, CURLOPT_READFUNCTION, read_cb);
        curl_easy_setopt(e, CURLOPT_READDATA, &up);
        curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)up.left);
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, c->cfg.timeout_ms > 0 ? c->cfg.timeout_ms : 15000L);
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                         c->cfg.connect_timeout_ms > 0 ? c->cfg.connect_timeout_ms : 5000L);
        CURLcode cc = curl_easy_perform(e);
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &res->code);
        if (cc == CURLE_OK) {
                res->result = SEND_OK;
        } else {
                /* A reply code means the server answered: 5xx permanent, 4xx
                 * transient. No reply (connect, TLS, timeout) is transient. */
                res->result = backoff_classify_smtp(res->code > 0, res->code);
                if (res->result == SEND_OK) /* failed after a 2xx (e.g. TLS) */
                        res->result = SEND_TRANSIENT;
                snprintf(res->error, sizeof res->error, "smtp: %s (reply %ld)",
                         curl_easy_strerror(cc), res->code);
        }
        curl_slist_free_all(rcpts);
        free(f);
        free(t);
}
