/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file geocoder.h
 * @brief The optional outside geocoder (a Nominatim-compatible `/search`
 *        API over libcurl), asked only about place texts the gazetteer does
 *        not know: a hard timeout, an LRU cache of answers (negative ones
 *        too) keyed by the normalised text, and a circuit breaker. Sends
 *        the place text and nothing else (plus the User-Agent and the
 *        optional contact e-mail the usage policy asks for). One per stage
 *        thread: not thread-safe.
 */
#ifndef PRAHARI_ENRICH_GEOCODER_H
#define PRAHARI_ENRICH_GEOCODER_H
#include <stdbool.h>
#include <stddef.h>

#include "geocode_cache.h"
#include "geocode_parse.h"

struct geocoder_cfg {
        const char *url;        /* e.g. https://nominatim.example/search */
        const char *user_agent;
        const char *email;      /* NULL or "": not sent */
        long timeout_ms;
        long cache_size;
        long cache_ttl_s;
        long breaker_failures;
        long breaker_open_s;
};

/** What one lookup did (the label of prahari_enrich_geocoder_requests_total). */
enum geocode_outcome {
        GEO_OK = 0,       /* answered with at least one place */
        GEO_EMPTY,        /* answered: no such place */
        GEO_CACHED,       /* from the cache, no request */
        GEO_TIMEOUT,      /* no answer within the timeout */
        GEO_ERROR,        /* connection, HTTP status or body unusable */
        GEO_BREAKER_OPEN, /* breaker open, no request */
        GEO_NO_TEXT,      /* nothing to ask (empty or invalid text), no request */
        GEO_NOUTCOMES
};

struct geocoder;

/**
 * @brief Create (curl handle, cache, breaker, metrics).
 * @returns NULL with a message naming the variable in @p err.
 */
struct geocoder *geocoder_new(const struct geocoder_cfg *cfg, char *err, size_t errsz);

/** @brief Free; NULL is a no-op. */
void geocoder_free(struct geocoder *g);

/**
 * @brief Look @p text up (cache first). @p out is filled for GEO_OK,
 * GEO_EMPTY and GEO_CACHED.
 */
enum geocode_outcome geocoder_lookup(struct geocoder *g, const char *text,
                                     struct geocode_answer *out);

/** @brief enrich_geocode_fn over geocoder_lookup (ctx = struct geocoder). */
bool geocoder_enrich_cb(void *ctx, const char *text, struct geocode_answer *out);

/** @brief The breaker's state now (for tests and logs). */
enum breaker_state geocoder_breaker_state(const struct geocoder *g);

/** @brief "ok", "empty", "cached", "timeout", "error", "breaker_open", "no_text". */
const char *geocode_outcome_name(enum geocode_outcome o);

#endif
