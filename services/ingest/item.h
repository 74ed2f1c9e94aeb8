/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file item.h
 * @brief One partner item as the adapters produce it (pure): the canonical
 *        message (without the ids the writer assigns), the private parts kept
 *        only in PostgreSQL, the raw bytes and the content hash; or a
 *        quarantine record. Plus the validation helpers every adapter uses so
 *        that each error names the field ("entry[0].changes[0].value.report_id:
 *        required").
 */
#ifndef PRAHARI_INGEST_ITEM_H
#define PRAHARI_INGEST_ITEM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define ITEM_SCHEMA "prahari.alert/v1"

struct ingest_item {
        char source[65];           /* partner: meta, google, youtube, sharechat, ... */
        char way[16];              /* meta | google | youtube | alerts | email */
        char source_alert_id[201]; /* "" when unknown (quarantine only) */
        bool quarantined;
        char reason[256];          /* quarantine: "<field>: <what is wrong>" */
        char field[160];           /* quarantine: the field at fault, "" if none */
        json_t *canonical;         /* owned; normalized message minus alert_id, revision,
                                    * short_code, received_at (added by the writer) */
        json_t *subject;           /* owned; personal details (PostgreSQL only) */
        json_t *content;           /* owned; post text, links, media (PostgreSQL only) */
        char *raw;                 /* owned; the item as received */
        size_t rawlen;
        char content_hash[65];     /* sha256 of the item re-serialised canonically */
        int64_t received_us;       /* when the delivery arrived */
};

struct item_list {
        struct ingest_item *v;
        size_t n, cap;
};

/* ==== Item list ==== */

/** @brief Append a zeroed item; @returns it (owned by @p l) or NULL on OOM. */
struct ingest_item *item_list_add(struct item_list *l, const char *source, const char *way);

/** @brief Free every item and the array; @p l is reset to empty. */
void item_list_free(struct item_list *l);

/** @brief Free the owned parts of one item. */
void item_clear(struct ingest_item *it);

/**
 * @brief Turn @p it into a quarantine record with @p field and @p what
 * ("required", "must be a string", ...), keeping @p raw (copied). Drops any
 * canonical/private parts already built.
 */
void item_quarantine(struct ingest_item *it, const char *field, const char *what,
                     const char *raw, size_t rawlen);

/**
 * @brief Set the content hash and raw bytes from the partner's item object:
 * sha256 over json_dumps(@p obj, JSON_SORT_KEYS | JSON_COMPACT), which is also
 * stored as raw. @returns 0, -1 on OOM.
 */
int item_set_raw_from_json(struct ingest_item *it, const json_t *obj);

/* ==== Validation (errors name the field) ==== */

/** The state of validating one item: the path prefix and the first error. */
struct vld {
        char prefix[128]; /* e.g. "entry[0].changes[1].value" */
        bool failed;
        char field[160];
        char what[96];
};

void vld_init(struct vld *v, const char *prefix);

/** @brief Start validating the nested object @p key of @p prefix ("a.b" + "c" -> "a.b.c"). */
void vld_sub_init(struct vld *sub, const char *prefix, const char *key);

/** @brief Carry the first failure of @p sub (if any) up into @p v. */
void vld_sub_merge(struct vld *v, const struct vld *sub);

/** @brief Record the first error: field "<prefix>.<key>" and what is wrong. */
void vld_fail(struct vld *v, const char *key, const char *what);

/**
 * @brief A string member. Missing or null: NULL (error if @p required).
 * Not a string, empty (when required) or holding NUL: error, NULL.
 */
const char *vld_str(struct vld *v, const json_t *obj, const char *key, bool required);

/** @brief A string member that must be one of @p allowed (NULL-terminated). */
const char *vld_enum(struct vld *v, const json_t *obj, const char *key, bool required,
                     const char *const *allowed);

/** @brief An object member; NULL when absent (error if required or not an object). */
json_t *vld_obj(struct vld *v, const json_t *obj, const char *key, bool required);

/** @brief An array member; NULL when absent (error if required or not an array). */
json_t *vld_arr(struct vld *v, const json_t *obj, const char *key, bool required);

/**
 * @brief A number member (integer or real) within [min, max].
 * @returns true and *@p out when present and valid; false when absent or bad
 * (bad records an error).
 */
bool vld_num(struct vld *v, const json_t *obj, const char *key, bool required, double min,
             double max, double *out);

/**
 * @brief A unix time in seconds (integer). Values >= 1e11 are taken as
 * milliseconds (a partner bug we accept, documented). @returns true with
 * microseconds in *@p out_us.
 */
bool vld_unix_time(struct vld *v, const json_t *obj, const char *key, bool required,
                   int64_t *out_us);

/** @brief An RFC 3339 string (any offset). @returns true with microseconds. */
bool vld_rfc3339(struct vld *v, const json_t *obj, const char *key, bool required,
                 int64_t *out_us);

/** @brief A boolean member; @returns true when present and valid. */
bool vld_bool(struct vld *v, const json_t *obj, const char *key, bool *out);

/* ==== Canonical building blocks ==== */

/**
 * @brief A new canonical message with schema, source, way, source_alert_id,
 * platform, severity, category, reported_at (UTC, milliseconds when non-zero)
 * and an empty location_hints array. @returns new reference or NULL.
 */
json_t *canon_new(const char *source, const char *way, const char *source_alert_id,
                  const char *platform, const char *severity, const char *category,
                  int64_t reported_us);

/** @brief RFC 3339 UTC text; milliseconds shown only when not whole seconds. */
void canon_time(int64_t us, char *buf, size_t bufsz);

/** @brief Append a gps hint. @p accuracy_m < 0 and @p observed_us == 0 are omitted. */
void canon_hint_gps(json_t *c, double lat, double lon, double accuracy_m, int64_t observed_us,
                    const char *source);
/** @brief Append a place hint (text cut to 500 characters; empty text ignored). */
void canon_hint_place(json_t *c, const char *text, const char *source);
/** @brief Append a pin hint if @p code (spaces removed) is a valid 6-digit PIN. */
void canon_hint_pin(json_t *c, const char *code);
/** @brief Append an ip hint if @p ip is IPv4/IPv6; @p observed_us 0 omitted. */
void canon_hint_ip(json_t *c, const char *ip, int64_t observed_us);
/** @brief Append a phone hint (non-empty, not already present). */
void canon_hint_phone(json_t *c, const char *number);

/** @brief Set a string member when @p s is non-NULL and non-empty (NUL-free copy). */
void canon_set_str(json_t *obj, const char *key, const char *s);

/**
 * @brief Replace NUL characters in every string of @p j by U+FFFD (PostgreSQL
 * jsonb refuses \u0000). Returns @p j.
 */
json_t *item_scrub_nul(json_t *j);

/** @brief Language from a locale: "hi_IN" -> "hi"; NULL if not a locale. */
bool canon_lang_from_locale(const char *locale, char out[8]);

#endif
