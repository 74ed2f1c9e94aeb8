/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file enrich.h
 * @brief The message transform of prahari-enrich: a normalized alert
 *        (prahari.alert/v1) in, the enriched alert out (the same object plus
 *        `location` and `phone_e164`). Pure apart from the IP lookup and
 *        the optional outside geocoder, which the caller provides as
 *        functions.
 */
#ifndef PRAHARI_ENRICH_ENRICH_H
#define PRAHARI_ENRICH_ENRICH_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gazetteer.h"
#include "locate.h"
#include "phone.h"

/** Look @p ip up; fill @p out (out->found false when unknown). */
typedef void (*enrich_ip_lookup_fn)(void *ctx, const char *ip, struct ip_geo *out);

/**
 * Ask the outside geocoder about @p text (a place text the gazetteer does
 * not know). @returns true with @p out filled (n == 0: no such place), false
 * when there is no answer (off, breaker open, timeout, error).
 */
typedef bool (*enrich_geocode_fn)(void *ctx, const char *text, struct geocode_answer *out);

/** Outside geocoder lookups per alert at most, so an alert waits at most one timeout. */
#define ENRICH_MAX_GEOCODE 1

struct enrich_env {
        const struct gazetteer *g;
        struct textnorm *tn;
        enrich_ip_lookup_fn ip_lookup; /* NULL: IPs are unknown */
        void *ip_ctx;
        int64_t now_us; /* reference time when the alert has none */
        enrich_geocode_fn geocode; /* NULL: the outside geocoder is off */
        void *geocode_ctx;
};

#define ENRICH_MAX_HINTS 32

struct enrich_result {
        char alert_id[64];
        int revision;
        struct location loc;
        char phone_e164[PHONE_E164_MAX]; /* "" when none */
        char *location_json;             /* the location object alone; malloc'd */
        char *message;                   /* the enriched message; malloc'd */
        size_t message_len;
};

/**
 * @brief Enrich one normalized message.
 * @returns 0 with @p out filled (free with enrich_result_free), or -1 with a
 * reason in @p err when the message is not a readable alert (dead-letter it).
 */
int enrich_message(const struct enrich_env *env, const char *payload, size_t len,
                   struct enrich_result *out, char *err, size_t errsz);

/** @brief Free what enrich_message allocated; safe on a zeroed struct. */
void enrich_result_free(struct enrich_result *r);

/**
 * @brief The location object of docs/architecture.md as JSON text
 * (malloc'd), e.g. for the locations table's detail column.
 */
char *enrich_location_json(const struct gazetteer *g, const struct location *loc);

#endif
