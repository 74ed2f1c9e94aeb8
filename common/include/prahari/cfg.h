/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file cfg.h
 * @brief Table-driven configuration from environment variables.
 *
 * Each service declares one table of struct cfg_item with offsets into its own
 * config struct, calls cfg_load() once at start, and exits with status 2 on
 * error. Every error message names the variable. An empty variable counts as
 * unset. A variable NAME_FILE (for items with CFG_SECRET) is read from that
 * file instead (trailing newline stripped); secrets are never logged.
 */
#ifndef PRAHARI_CFG_H
#define PRAHARI_CFG_H
#include <stddef.h>
#include <stdbool.h>

enum cfg_type {
        CFG_STR,    /* char * (strdup'd; freed by cfg_free) */
        CFG_INT,    /* long, strict strtol with range [min,max] */
        CFG_DOUBLE, /* double, strict strtod with range [min,max] */
        CFG_BOOL,   /* bool: 1/0 true/false yes/no on/off */
        CFG_PORT    /* int 1..65535 */
};

#define CFG_REQUIRED 0x1 /* error if unset and no default */
#define CFG_SECRET 0x2   /* never logged; NAME_FILE honoured */

struct cfg_item {
        const char *name;     /* environment variable, e.g. "PRAHARI_OPS_PORT" */
        enum cfg_type type;
        size_t offset;        /* offsetof(struct my_cfg, field) */
        const char *def;      /* default as text, or NULL */
        int flags;            /* CFG_REQUIRED | CFG_SECRET */
        double min, max;      /* for CFG_INT/CFG_DOUBLE; both 0 = unbounded */
        const char *help;     /* one sentence, used by cfg_print_help and docs */
};

/**
 * @brief Fill @p out from the environment according to @p items.
 * @returns 0 on success; -1 with a message naming the variable in @p err.
 */
int cfg_load(const struct cfg_item *items, size_t n, void *out, char *err, size_t errsz);

/** @brief Free the strings cfg_load allocated in @p out. */
void cfg_free(const struct cfg_item *items, size_t n, void *out);

/** @brief Log every setting once at start (secrets shown as "(set)"/"(unset)"). */
void cfg_log(const struct cfg_item *items, size_t n, const void *cfg);

/** @brief Print the table as Markdown rows (for --help and the README). */
void cfg_print_help(const struct cfg_item *items, size_t n);

/**
 * @brief Strict parsers used by cfg_load, exported for reuse.
 * @returns 0 on success, -1 if @p s is not entirely a number in range.
 */
int cfg_parse_long(const char *s, long min, long max, long *out);
int cfg_parse_double(const char *s, double *out);
int cfg_parse_bool(const char *s, bool *out);

#endif
