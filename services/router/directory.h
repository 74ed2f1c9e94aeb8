/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file directory.h
 * @brief The district directory: who is told, per jurisdiction and
 *        escalation level. CSV parsing with validation of every row (all bad
 *        rows reported with line and reason), CSV export, lookups, JSON. Pure.
 *
 * CSV columns (header row required, any order):
 *   recipient_id,jurisdiction,role,name,phone,email,level,lang[,duty_days,duty_hours]
 * duty_days ("mon-fri", "sat,sun", "fri-mon") and duty_hours ("09:00-18:00",
 * IST, "22:00-06:00" crosses midnight) are optional columns and may be empty.
 * jurisdiction: a district of the boundary layer, STATE_COMMAND_CENTRE, or
 * INTERSTATE:<state> (role interstate). phone: E.164 (and +91 numbers are
 * +91 then ten digits starting 6-9). email: local@domain.tld, <= 254 chars.
 */
#ifndef PRAHARI_ROUTER_DIRECTORY_H
#define PRAHARI_ROUTER_DIRECTORY_H
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#define DIR_STATE_COMMAND_CENTRE "STATE_COMMAND_CENTRE"
#define DIR_INTERSTATE_PREFIX "INTERSTATE:"

struct dir_entry {
        char *recipient_id, *jurisdiction, *role, *name;
        char *phone; /* NULL when none */
        char *email; /* NULL when none */
        int level;
        char lang[3];
        int line; /* CSV line (0 when loaded from the database) */
        char *duty_days;  /* NULL: every day */
        char *duty_hours; /* NULL: all day */
        struct dir_duty {
                unsigned days; /* bit 0 = Monday .. bit 6 = Sunday; 0x7f = every day */
                int start, end; /* minutes of the IST day; start == end: all day */
        } duty;  /* parsed by directory_add (invalid text: always on duty) */
};

struct directory {
        struct dir_entry *e;
        size_t n, cap;
};

struct dir_error {
        int line; /* 0: about the file as a whole */
        char reason[200];
};

/* ==== Validation ==== */

/**
 * @brief E.164 check: ^\+[1-9][0-9]{7,14}$, and +91 numbers must be +91
 * followed by 10 digits starting 6-9. @returns true if valid; else false
 * with the reason in @p why.
 */
bool directory_phone_valid(const char *s, char *why, size_t whysz);

/**
 * @brief Simplified RFC 5321 address: dot-atom local part (<= 64), '@', a
 * domain of LDH labels (<= 63 each) with at least one dot, total <= 254.
 */
bool directory_email_valid(const char *s, char *why, size_t whysz);

/**
 * @brief Parse a duty window: @p days ("" or NULL: every day; "mon-fri",
 * "mon,wed,fri", "fri-mon" wraps) and @p hours ("" or NULL: all day;
 * "HH:MM-HH:MM" in IST, end before start crosses midnight; the days name the
 * day a shift starts). @returns true, or false with the reason in @p why.
 */
bool directory_duty_parse(const char *days, const char *hours, struct dir_duty *out, char *why,
                          size_t whysz);

/**
 * @brief Is @p e on duty at @p now (Unix time; IST = UTC+05:30)? A night
 * shift started the day before counts for that day.
 */
bool directory_on_duty(const struct dir_entry *e, long long now);

/* ==== Parsing ==== */

/**
 * @brief Parse and validate a directory CSV. @p districts (borrowed) are the
 * names a district jurisdiction may take. With @p require_complete, every
 * district and STATE_COMMAND_CENTRE must have a level-1 recipient with a phone
 * (errors at line 0). Every problem is appended to *@p errs (malloc'd array,
 * count in *@p nerrs; caller frees).
 * @returns the directory when there is no error at all, else NULL.
 */
struct directory *directory_parse_csv(const char *buf, size_t len, const char *const *districts,
                                      size_t ndistricts, bool require_complete,
                                      struct dir_error **errs, size_t *nerrs);

/**
 * @brief directory_parse_csv where a jurisdiction may also be one of
 * @p extra (features of the extra jurisdiction layers: police districts,
 * station areas); those are never required by @p require_complete (their
 * parent's recipients serve them).
 */
struct directory *directory_parse_csv_ex(const char *buf, size_t len,
                                         const char *const *districts, size_t ndistricts,
                                         const char *const *extra, size_t nextra,
                                         bool require_complete, struct dir_error **errs,
                                         size_t *nerrs);

/* ==== Building, lookups, output ==== */

/** @brief An empty directory (NULL when out of memory); free with directory_free. */
struct directory *directory_new(void);
/** @brief Free @p d and its strings; NULL is a no-op. */
void directory_free(struct directory *d);

/** @brief Append a copy of @p e (strings copied). @returns 0 or -1 (out of memory). */
int directory_add(struct directory *d, const struct dir_entry *e);

/**
 * @brief Entries of @p jurisdiction at @p level (level 0: any), in directory
 * order, as indices into d->e. @returns how many matched (may exceed @p max;
 * only @p max are written).
 */
size_t directory_select(const struct directory *d, const char *jurisdiction, int level,
                        size_t *idx, size_t max);

/**
 * @brief directory_select honouring duty windows at @p now: when at least one
 * of the matching entries is on duty, only those are returned; when none is,
 * all are (a level is never left empty because of windows). @p now == 0:
 * windows ignored. @returns how many were selected (only @p max written).
 */
size_t directory_select_on_duty(const struct directory *d, const char *jurisdiction, int level,
                                long long now, size_t *idx, size_t max);

/** @brief One recipient as the routed message's JSON object (new reference). */
json_t *directory_entry_json(const struct dir_entry *e);

/** @brief The directory as CSV with a header (malloc'd, caller frees). */
char *directory_to_csv(const struct directory *d);

#endif
