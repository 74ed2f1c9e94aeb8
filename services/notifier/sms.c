/* SPDX-License-Identifier: Apache-2.0 */
/* SMS gateway client over libcurl: json and form-get profiles, provider
 * failover with a circuit breaker and a token-bucket rate limit each. */
#include "sms.h"
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "prahari/log.h"
#include "prahari/util.h"
#include "strbuf.h"

#define RESP_CAP (64 * 1024)

struct sms_client {
        struct sms_providers *ps;
        CURL *curl;
};

static void provider_init(struct sms_provider *p)
{
        pthread_mutex_init(&p->mu, NULL);
        if (p->timeout_ms <= 0)
                p->timeout_ms = 5000;
        if (p->connect_timeout_ms <= 0)
                p->connect_timeout_ms = 2000;
        if (p->breaker_failures <= 0)
                p->breaker_failures = 3;
        if (p->breaker_open_ms <= 0)
                p->breaker_open_ms = 30000;
        p->tokens = p->rate_per_s > 0 ? p->rate_per_s : 0;
        p->refill_us = util_mono_us();
}

void sms_providers_free(struct sms_providers *ps)
{
        if (!ps)
                return;
        for (size_t i = 0; i < ps->n; i++) {
                struct sms_provider *p = &ps->p[i];
                free(p->url);
                free(p->token);
                free(p->username);
                free(p->sender);
                pthread_mutex_destroy(&p->mu);
        }
        free(ps->p);
        ps->p = NULL;
        ps->n = 0;
}

static int parse_profile(const char *s, enum sms_profile *out)
{
        if (!s || strcmp(s, "json") == 0)
                *out = SMS_PROFILE_JSON;
        else if (strcmp(s, "form-get") == 0)
                *out = SMS_PROFILE_FORM_GET;
        else
                return -1;
        return 0;
}

static char *read_secret(const char *path)
{
        char *s = util_read_file(path, NULL);
        if (!s)
                return NULL;
        size_t n = strlen(s);
        while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
                s[--n] = '\0';
        return s;
}

int sms_providers_load(const char *json_text, struct sms_providers *out, char *err, size_t errsz)
{
        memset(out, 0, sizeof *out);
        json_error_t jerr;
        json_t *arr = json_loads(json_text, 0, &jerr);
        int rc = -1;
        if (!json_is_array(arr) || json_array_size(arr) == 0) {
                snprintf(err, errsz, "expected a non-empty JSON array of providers");
                goto out;
        }
        out->p = calloc(json_array_size(arr), sizeof *out->p);
        if (!out->p)
                goto out;
        size_t i;
        json_t *o;
        json_array_foreach(arr, i, o)
        {
                struct sms_provider *p = &out->p[i];
                const char *name = json_string_value(json_object_get(o, "name"));
                const char *url = json_string_value(json_object_get(o, "url"));
                const char *tf = json_string_value(json_object_get(o, "token_file"));
                if (!name || !url || !tf) {
                        snprintf(err, errsz, "providers[%zu]: name, url and token_file required", i);
                        goto out;
                }
                util_strlcpy(p->name, name, sizeof p->name);
                if (parse_profile(json_string_value(json_object_get(o, "profile")), &p->profile)) {
                        snprintf(err, errsz, "providers[%zu] (%s): profile must be json or form-get",
                                 i, name);
                        goto out;
                }
                p->url = strdup(url);
                p->token = read_secret(tf);
                if (!p->token || !*p->token) {
                        snprintf(err, errsz, "providers[%zu] (%s): token_file %s unreadable or empty",
                                 i, name, tf);
                        free(p->url);
                        free(p->token);
                        memset(p, 0, sizeof *p);
                        goto out;
                }
                const char *u = json_string_value(json_object_get(o, "username"));
                const char *snd = json_string_value(json_object_get(o, "sender"));
                p->username = u ? strdup(u) : NULL;
                p->sender = snd ? strdup(snd) : NULL;
                p->timeout_ms = (long)json_integer_value(json_object_get(o, "timeout_ms"));
                p->connect_timeout_ms =
                        (long)json_integer_value(json_object_get(o, "connect_timeout_ms"));
                p->rate_per_s = json_number_value(json_object_get(o, "rate_per_s"));
                p->breaker_failures = (int)json_integer_value(json_object_get(o, "breaker_failures"));
                p->breaker_open_ms = (int)json_integer_value(json_object_get(o, "breaker_open_ms"));
                if (p->profile == SMS_PROFILE_FORM_GET && !p->username) {
                        snprintf(err, errsz, "providers[%zu] (%s): form-get needs username", i, name);
                        provider_init(p);
                        out->n = i + 1;
                        goto out;
                }
                provider_init(p);
                out->n = i + 1;
        }
        rc = 0;
out:
        json_decref(arr);
        if (rc != 0)
                sms_providers_free(out);
        return rc;
}

int sms_providers_single(const char *url, const char *token, const char *sender,
                         const char *profile, const char *username, long timeout_ms,
                         struct sms_providers *out, char *err, size_t errsz)
{
        memset(out, 0, sizeof *out);
        if (!url || !token) {
                snprintf(err, errsz, "PRAHARI_SMS_URL: set it and PRAHARI_SMS_TOKEN_FILE, or "
                                     "PRAHARI_SMS_PROVIDERS_FILE");
                return -1;
        }
        out->p = calloc(1, sizeof *out->p);
        if (!out->p)
                return -1;
        struct sms_provider *p = &out->p[0];
        util_strlcpy(p->name, "default", sizeof p->name);
        if (parse_profile(profile, &p->profile)) {
                snprintf(err, errsz, "PRAHARI_SMS_PROFILE: must be json or form-get");
                free(out->p);
                out->p = NULL;
                return -1;
        }
        p->url = strdup(url);
        p->token = strdup(token);
        p->sender = sender ? strdup(sender) : NULL;
        p->username = username ? strdup(username) : NULL;
        p->timeout_ms = timeout_ms;
        provider_init(p);
        out->n = 1;
        if (p->profile == SMS_PROFILE_FORM_GET && !p->username) {
                snprintf(err, errsz, "PRAHARI_SMS_USERNAME: required for the form-get profile");
                sms_providers_free(out);
                return -1;
        }
        return 0;
}

struct sms_client *sms_client_new(struct sms_providers *ps)
{
        struct sms_client *c = calloc(1, sizeof *c);
        if (!c)
                return NULL;
        c->ps = ps;
        c->curl = curl_easy_init();
        if (!c->curl) {
                free(c);
                return NULL;
        }
        return c;
}

void sms_client_destroy(struct sms_client *c)
{
        if (!c)
                return;
        curl_easy_cleanup(c->curl);
        free(c);
}

static size_t write_cb(char *data, size_t size, size_t nmemb, void *ud)
{
        struct strbuf *b = ud;
        size_t n = size * nmemb;
        if (b->len + n > RESP_CAP)
                return 0; /* abort: an answer this large is not a gateway's */
        sb_addn(b, data, n);
        return b->failed ? 0 : n;
}

/* Breaker: true if the provider may be tried now; else *until_us is when it
 * half-opens. */
static bool breaker_allows(struct sms_provider *p, int64_t now_us, int64_t *until_us)
{
        pthread_mutex_lock(&p->mu);
        bool ok = p->open_until_us <= now_us;
        *until_us = p->open_until_us;
        pthread_mutex_unlock(&p->mu);
        return ok;
}

static void breaker_record(struct sms_provider *p, bool outage)
{
        pthread_mutex_lock(&p->mu);
        if (!outage) {
                p->consecutive = 0;
        } else if (++p->consecutive >= p->breaker_failures) {
                p->open_until_us = util_mono_us() + (int64_t)p->breaker_open_ms * 1000;
                p->consecutive = 0;
                log_warn("sms provider %s: circuit open for %d ms", p->name, p->breaker_open_ms);
        }
        pthread_mutex_unlock(&p->mu);
}

/* Token bucket: wait until a token is there (at most 2 s). */
static void rate_wait(struct sms_provider *p)
{
        if (p->rate_per_s <= 0)
                return;
        for (int spins = 0; spins < 200; spins++) {
                pthread_mutex_lock(&p->mu);
                int64_t now = util_mono_us();
                p->tokens += (double)(now - p->refill_us) / 1e6 * p->rate_per_s;
                if (p->tokens > p->rate_per_s)
                        p->tokens = p->rate_per_s;
                p->refill_us = now;
                bool got = p->tokens >= 1.0;
                if (got)
                        p->tokens -= 1.0;
                pthread_mutex_unlock(&p->mu);
                if (got)
                        return;
                struct timespec ts = {0, 10 * 1000000L};
                nanosleep(&ts, NULL);
        }
}

char *sms_form_query(const struct sms_provider *p, const struct sms_request *rq)
{
        CURL *e = curl_easy_init();
        if (!e)
                return NULL;
        struct strbuf b = {0};
        const char *to = rq->to && rq->to[0] == '+' ? rq->to + 1 : rq->to;
        const char *sender = p->sender ? p->sender : rq->sender;
        const struct {
                const char *k, *v;
        } kv[] = {
                {"username", p->username},     {"pin", p->token},
                {"message", rq->text},         {"mnumber", to},
                {"signature", sender},         {"dlt_entity_id", rq->entity_id},
                {"dlt_template_id", rq->template_id},
                {"msgType", rq->unicode ? "UC" : "PM"},
        };
        for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++) {
                char *ev = curl_easy_escape(e, kv[i].v ? kv[i].v : "", 0);
                if (!ev) {
                        b.failed = true;
                        break;
                }
                sb_addf(&b, "%s%s=%s", i ? "&" : "", kv[i].k, ev);
                curl_free(ev);
        }
        curl_easy_cleanup(e);
        return sb_take(&b);
}

static char *json_body(const struct sms_provider *p, const struct sms_request *rq)
{
        json_t *o = json_object();
        json_object_set_new(o, "to", json_string(rq->to));                 /* steals ref */
        json_object_set_new(o, "sender", json_string(p->sender ? p->sender : rq->sender));
        json_object_set_new(o, "text", json_string(rq->text));
        json_object_set_new(o, "unicode", json_boolean(rq->unicode));
        json_object_set_new(o, "dlt_entity_id", json_string(rq->entity_id));
        json_object_set_new(o, "dlt_template_id", json_string(rq->template_id));
        json_object_set_new(o, "client_ref", json_string(rq->client_ref));
        char *s = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        return s;
}

/* One attempt at one provider. */
static void try_provider(struct sms_client *c, struct sms_provider *p,
                         const struct sms_request *rq, struct sms_result *res)
{
        CURL *e = c->curl;
        struct strbuf resp = {0};
        struct curl_slist *hdrs = NULL;
        char *body = NULL, *url = NULL;
        memset(res, 0, sizeof *res);
        util_strlcpy(res->provider, p->name, sizeof res->provider);
        res->result = SEND_TRANSIENT;

        curl_easy_reset(e);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, p->timeout_ms);
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, p->connect_timeout_ms);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, &resp);
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        if (p->profile == SMS_PROFILE_JSON) {
                body = json_body(p, rq);
                struct strbuf auth = {0};
                sb_addf(&auth, "Authorization: Bearer %s", p->token);
                char *a = sb_take(&auth);
                hdrs = curl_slist_append(hdrs, a ? a : "");
                free(a);
                hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
                hdrs = curl_slist_append(hdrs, "Expect:");
                curl_easy_setopt(e, CURLOPT_URL, p->url);
                curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
                curl_easy_setopt(e, CURLOPT_POSTFIELDS, body ? body : "");
        } else {
                char *q = sms_form_query(p, rq);
                struct strbuf ub = {0};
                sb_add(&ub, p->url);
                sb_add(&ub, strchr(p->url, '?') ? "&" : "?");
                sb_add(&ub, q);
                free(q);
                url = sb_take(&ub);
                curl_easy_setopt(e, CURLOPT_URL, url ? url : p->url);
                curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
        }
        CURLcode cc = curl_easy_perform(e);
        long status = 0;
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
        res->http_status = status;
        bool transport_ok = cc == CURLE_OK;
        res->result = backoff_classify_http(transport_ok, status);
        if (!transport_ok) {
                snprintf(res->error, sizeof res->error, "%s: %s", p->name, curl_easy_strerror(cc));
        } else if (res->result != SEND_OK) {
                snprintf(res->error, sizeof res->error, "%s: HTTP %ld", p->name, status);
        } else if (p->profile == SMS_PROFILE_JSON) {
                json_t *o = resp.p ? json_loads(resp.p, 0, NULL) : NULL;
                const char *mid = json_string_value(json_object_get(o, "message_id"));
                if (mid && *mid) {
                        util_strlcpy(res->message_id, mid, sizeof res->message_id);
                } else {
                        /* 2xx without a message id: the gateway did not say it
                         * took the message; retry (client_ref dedups). */
                        res->result = SEND_TRANSIENT;
                        snprintf(res->error, sizeof res->error, "%s: 2xx without message_id",
                                 p->name);
                }
                json_decref(o);
        } else {
                const char *t = resp.p ? resp.p : "";
                if (strncmp(t, "Message Accepted", 16) == 0) {
                        const char *id = strstr(t, "ID=");
                        if (id) {
                                size_t n = strcspn(id + 3, " \r\n");
                                if (n >= sizeof res->message_id)
                                        n = sizeof res->message_id - 1;
                                memcpy(res->message_id, id + 3, n);
                                res->message_id[n] = '\0';
                        }
                } else {
                        /* The government gateway's refusal is a text line. */
                        res->result = SEND_PERMANENT;
                        size_t n = strcspn(t, "\r\n");
                        snprintf(res->error, sizeof res->error, "%s: %.*s", p->name,
                                 (int)(n > 120 ? 120 : n), t);
                }
        }
        curl_slist_free_all(hdrs);
        free(body);
        free(url);
        sb_free(&resp);
}

void sms_send(struct sms_client *c, const struct sms_request *rq, struct sms_result *res)
{
        memset(res, 0, sizeof *res);
        res->result = SEND_TRANSIENT;
        snprintf(res->error, sizeof res->error, "no SMS provider available (all circuits open)");
        int64_t now = util_mono_us(), earliest = INT64_MAX;
        bool tried = false;
        for (size_t i = 0; i < c->ps->n; i++) {
                struct sms_provider *p = &c->ps->p[i];
                int64_t until = 0;
                if (!breaker_allows(p, now, &until)) {
                        if (until < earliest)
                                earliest = until;
                        continue;
                }
                tried = true;
                rate_wait(p);
                try_provider(c, p, rq, res);
                breaker_record(p, res->result == SEND_TRANSIENT);
                if (res->result != SEND_TRANSIENT)
                        return;
                if (i + 1 < c->ps->n)
                        log_warn("sms: %s; trying the next provider", res->error);
        }
        if (!tried) {
                res->not_attempted = true;
                res->open_wait_ms = earliest > now && earliest != INT64_MAX
                                            ? (earliest - now + 999) / 1000
                                            : 0;
        }
}
