/* SPDX-License-Identifier: Apache-2.0 */
/* The outside geocoder's LRU cache (hash chains + a recency list, entries
 * allocated on first use up to the capacity, then recycled) and its circuit
 * breaker. Pure: time comes from the caller. */
#include "geocode_cache.h"

#include <stdlib.h>
#include <string.h>

struct gc_entry {
        struct gc_entry *hnext;       /* hash chain */
        struct gc_entry *prev, *next; /* recency: head = most recent */
        uint64_t hash;
        int64_t expires_us;
        char key[GEOCACHE_KEY_MAX];
        struct geocode_answer a;
};

struct geocache {
        struct gc_entry **buckets;
        size_t nbuckets; /* power of two */
        size_t capacity, size;
        int64_t ttl_us;
        struct gc_entry *head, *tail;
};

static uint64_t fnv1a(const char *s)
{
        uint64_t h = 1469598103934665603ULL;
        for (; *s; s++) {
                h ^= (unsigned char)*s;
                h *= 1099511628211ULL;
        }
        return h;
}

struct geocache *geocache_new(size_t capacity, int64_t ttl_us)
{
        struct geocache *c = calloc(1, sizeof(*c));
        if (!c)
                return NULL;
        c->capacity = capacity ? capacity : 1;
        c->ttl_us = ttl_us;
        c->nbuckets = 16;
        while (c->nbuckets < c->capacity * 2)
                c->nbuckets <<= 1;
        c->buckets = calloc(c->nbuckets, sizeof(*c->buckets));
        if (!c->buckets) {
                free(c);
                return NULL;
        }
        return c;
}

void geocache_free(struct geocache *c)
{
        struct gc_entry *e, *n;
        if (!c)
                return;
        for (e = c->head; e; e = n) {
                n = e->next;
                free(e);
        }
        free(c->buckets);
        free(c);
}

static void list_unlink(struct geocache *c, struct gc_entry *e)
{
        if (e->prev)
                e->prev->next = e->next;
        else
                c->head = e->next;
        if (e->next)
                e->next->prev = e->prev;
        else
                c->tail = e->prev;
        e->prev = e->next = NULL;
}

static void list_push_front(struct geocache *c, struct gc_entry *e)
{
        e->prev = NULL;
        e->next = c->head;
        if (c->head)
                c->head->prev = e;
        c->head = e;
        if (!c->tail)
                c->tail = e;
}

static void hash_unlink(struct geocache *c, struct gc_entry *e)
{
        struct gc_entry **pp = &c->buckets[e->hash & (c->nbuckets - 1)];
        while (*pp && *pp != e)
                pp = &(*pp)->hnext;
        if (*pp)
                *pp = e->hnext;
        e->hnext = NULL;
}

static void cut_key(char *dst, const char *key)
{
        size_t n = strlen(key);
        if (n >= GEOCACHE_KEY_MAX)
                n = GEOCACHE_KEY_MAX - 1;
        memcpy(dst, key, n);
        dst[n] = '\0';
}

static struct gc_entry *find(struct geocache *c, const char *key, uint64_t h)
{
        struct gc_entry *e = c->buckets[h & (c->nbuckets - 1)];
        for (; e; e = e->hnext)
                if (e->hash == h && strcmp(e->key, key) == 0)
                        return e;
        return NULL;
}

bool geocache_get(struct geocache *c, const char *key, int64_t now_us,
                  struct geocode_answer *out)
{
        char k[GEOCACHE_KEY_MAX];
        uint64_t h;
        struct gc_entry *e;

        cut_key(k, key);
        h = fnv1a(k);
        e = find(c, k, h);
        if (!e)
                return false;
        if (now_us >= e->expires_us) {
                hash_unlink(c, e);
                list_unlink(c, e);
                free(e);
                c->size--;
                return false;
        }
        list_unlink(c, e);
        list_push_front(c, e);
        *out = e->a;
        return true;
}

void geocache_put(struct geocache *c, const char *key, const struct geocode_answer *a,
                  int64_t now_us)
{
        char k[GEOCACHE_KEY_MAX];
        uint64_t h;
        struct gc_entry *e;

        cut_key(k, key);
        h = fnv1a(k);
        e = find(c, k, h);
        if (e) {
                list_unlink(c, e);
        } else if (c->size >= c->capacity && c->tail) {
                e = c->tail; /* evict the least recently used, reuse its memory */
                hash_unlink(c, e);
                list_unlink(c, e);
                e->hash = h;
                memcpy(e->key, k, sizeof(k));
                e->hnext = c->buckets[h & (c->nbuckets - 1)];
                c->buckets[h & (c->nbuckets - 1)] = e;
        } else {
                e = calloc(1, sizeof(*e));
                if (!e)
                        return; /* not cached: the next lookup asks again */
                e->hash = h;
                memcpy(e->key, k, sizeof(k));
                e->hnext = c->buckets[h & (c->nbuckets - 1)];
                c->buckets[h & (c->nbuckets - 1)] = e;
                c->size++;
        }
        e->a = *a;
        e->expires_us = now_us + c->ttl_us;
        list_push_front(c, e);
}

size_t geocache_size(const struct geocache *c)
{
        return c ? c->size : 0;
}

/* ---- circuit breaker ------------------------------------------------------ */

void breaker_init(struct breaker *b, int threshold, int64_t open_us)
{
        memset(b, 0, sizeof(*b));
        b->threshold = threshold < 1 ? 1 : threshold;
        b->open_us = open_us;
}

bool breaker_allow(struct breaker *b, int64_t now_us)
{
        switch (b->state) {
        case BREAKER_CLOSED: return true;
        case BREAKER_OPEN:
                if (now_us - b->opened_at < b->open_us)
                        return false;
                b->state = BREAKER_HALF_OPEN;
                b->trial = true;
                return true;
        case BREAKER_HALF_OPEN:
                if (b->trial)
                        return false; /* one trial at a time */
                b->trial = true;
                return true;
        }
        return false;
}

void breaker_success(struct breaker *b)
{
        b->state = BREAKER_CLOSED;
        b->failures = 0;
        b->trial = false;
}

void breaker_failure(struct breaker *b, int64_t now_us)
{
        b->trial = false;
        if (b->state == BREAKER_HALF_OPEN ||
            (b->state == BREAKER_CLOSED && ++b->failures >= b->threshold)) {
                b->state = BREAKER_OPEN;
                b->opened_at = now_us;
                b->failures = 0;
        }
}

const char *breaker_state_name(enum breaker_state s)
{
        switch (s) {
        case BREAKER_CLOSED: return "closed";
        case BREAKER_OPEN: return "open";
        case BREAKER_HALF_OPEN: return "half_open";
        }
        return "unknown";
}
