/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file sms.h
 * @brief SMS gateways over HTTP (libcurl): the `json` and `form-get`
 *        provider profiles of delivery-v1, an ordered provider list with a
 *        circuit breaker and a rate limit per provider, failover to the next
 *        provider on an outage.
 */
#ifndef PRAHARI_NOTIFIER_SMS_H
#define PRAHARI_NOTIFIER_SMS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include "backoff.h"

enum sms_profile { SMS_PROFILE_JSON = 0, SMS_PROFILE_FORM_GET = 1 };

/** One configured gateway. The breaker and bucket fields are shared state. */
struct sms_provider {
        char name[64];
        enum sms_profile profile;
        char *url;
        char *token;    /* json: bearer token; form-get: pin */
        char *username; /* form-get */
        char *sender;   /* overrides the template's sender id when set */
        long timeout_ms, connect_timeout_ms;
        double rate_per_s;     /* 0: unlimited */
        int breaker_failures;  /* consecutive outage answers that open it */
        int breaker_open_ms;   /* how long it stays open */
        /* shared state (mu) */
        pthread_mutex_t mu;
        int consecutive;
        int64_t open_until_us;
        double tokens;
        int64_t refill_us;
};

struct sms_providers {
        struct sms_provider *p;
        size_t n;
};

/** One SMS to send (borrowed strings). */
struct sms_request {
        const char *to;          /* E.164 */
        const char *text;        /* filled DLT template */
        bool unicode;            /* UCS-2 */
        const char *sender;      /* template's sender id */
        const char *entity_id;
        const char *template_id;
        const char *client_ref;  /* the notification's, reused on every retry */
};

/** The result of one attempt (over every provider tried). */
struct sms_result {
        enum send_result result;
        char provider[64];    /* the provider that answered last */
        char message_id[128]; /* on SEND_OK */
        long http_status;     /* 0 when no answer */
        char error[200];      /* on failure: what went wrong, never the text */
        bool not_attempted;   /* every circuit open: no provider was tried */
        int64_t open_wait_ms; /* then: until the earliest breaker half-opens */
};

/**
 * @brief Load providers from the JSON array in @p json_text
 * (PRAHARI_SMS_PROVIDERS_FILE): objects with name, profile (json|form-get),
 * url, token_file (json bearer / form-get pin), username, sender,
 * timeout_ms, connect_timeout_ms, rate_per_s, breaker_failures,
 * breaker_open_ms. @returns 0 or -1 with @p err naming the entry.
 */
int sms_providers_load(const char *json_text, struct sms_providers *out, char *err, size_t errsz);

/**
 * @brief One provider from the single-provider variables.
 * @returns 0 or -1 with @p err.
 */
int sms_providers_single(const char *url, const char *token, const char *sender,
                         const char *profile, const char *username, long timeout_ms,
                         struct sms_providers *out, char *err, size_t errsz);

void sms_providers_free(struct sms_providers *ps);

/** A per-thread sender (owns one curl handle; connections are kept). */
struct sms_client;

struct sms_client *sms_client_new(struct sms_providers *ps);
void sms_client_destroy(struct sms_client *c);

/**
 * @brief Send through the first provider whose breaker is closed; on an
 * outage (timeout, refused, 5xx) try the next one. A 4xx (or a form-get
 * error text) is permanent and stops. Waits for the provider's rate limit.
 * When every breaker is open nothing is sent: SEND_TRANSIENT with
 * @c not_attempted set and @c open_wait_ms until the earliest half-opens.
 */
void sms_send(struct sms_client *c, const struct sms_request *rq, struct sms_result *res);

/**
 * @brief The form-get query string for @p rq (exported for tests): every
 * value escaped with curl_easy_escape, msgType UC for UCS-2, PM otherwise,
 * mnumber without '+'. @returns malloc'd string or NULL.
 */
char *sms_form_query(const struct sms_provider *p, const struct sms_request *rq);

#endif
