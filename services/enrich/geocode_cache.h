/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file geocode_cache.h
 * @brief The outside geocoder's memory: a bounded LRU cache of answers
 *        keyed by the normalised place text (negative answers too), with a
 *        time to live, and a circuit breaker (closed -> open after N
 *        consecutive failures -> half-open after a pause, one trial ->
 *        closed on success / open again on failure). Pure: the caller gives
 *        the time; not thread-safe (one per stage thread).
 */
#ifndef PRAHARI_ENRICH_GEOCODE_CACHE_H
#define PRAHARI_ENRICH_GEOCODE_CACHE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "geocode_parse.h"

#define GEOCACHE_KEY_MAX 256

struct geocache;

/**
 * @brief A cache of at most @p capacity answers (>= 1), each valid for
 * @p ttl_us. @returns NULL when out of memory.
 */
struct geocache *geocache_new(size_t capacity, int64_t ttl_us);

/** @brief Free; NULL is a no-op. */
void geocache_free(struct geocache *c);

/**
 * @brief Look @p key up at time @p now_us; a hit becomes the most recently
 * used. An expired entry is removed and counts as a miss.
 * @returns true with @p out filled on a hit.
 */
bool geocache_get(struct geocache *c, const char *key, int64_t now_us,
                  struct geocode_answer *out);

/**
 * @brief Store @p a (n == 0: a negative answer) under @p key (cut at
 * GEOCACHE_KEY_MAX - 1 bytes), replacing an entry with that key or evicting
 * the least recently used one when full.
 */
void geocache_put(struct geocache *c, const char *key, const struct geocode_answer *a,
                  int64_t now_us);

/** @brief Entries held (expired ones included until met or evicted). */
size_t geocache_size(const struct geocache *c);

enum breaker_state { BREAKER_CLOSED = 0, BREAKER_OPEN = 1, BREAKER_HALF_OPEN = 2 };

struct breaker {
        enum breaker_state state;
        int failures;      /* consecutive, while closed */
        int threshold;     /* failures that open it (>= 1) */
        int64_t open_us;   /* how long it stays open */
        int64_t opened_at; /* when it last opened */
        bool trial;        /* half-open: the one trial request is in flight */
};

/** @brief Closed, opening after @p threshold failures for @p open_us. */
void breaker_init(struct breaker *b, int threshold, int64_t open_us);

/**
 * @brief May a request go out at @p now_us? Open: no, until the pause is
 * over, then half-open with exactly one trial allowed.
 */
bool breaker_allow(struct breaker *b, int64_t now_us);

/** @brief The request succeeded (a usable answer, even an empty one): closed. */
void breaker_success(struct breaker *b);

/** @brief The request failed or timed out: count it; open when due. */
void breaker_failure(struct breaker *b, int64_t now_us);

/** @brief "closed", "open", "half_open". */
const char *breaker_state_name(enum breaker_state s);

#endif
