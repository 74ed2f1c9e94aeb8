/* SPDX-License-Identifier: Apache-2.0 */
/* Table-driven configuration from environment variables: strict parsers,
 * defaults, required items, NAME_FILE for secrets, and error messages that
 * always name the variable (and never show a secret's value). */
#include "prahari/cfg.h"
#include "prahari/log.h"
#include "prahari/util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ==== Strict parsers ==== */

int cfg_parse_long(const char *s, long min, long max, long *out)
{
        if (!s || !*s || isspace((unsigned char)s[0]))
                return -1;
        char *end = NULL;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno != 0 || end == s || *end != '\0')
                return -1;
        if (v < min || v > max)
                return -1;
        *out = v;
        return 0;
}

int cfg_parse_double(const char *s, double *out)
{
        if (!s || !*s || isspace((unsigned char)s[0]))
                return -1;
        char *end = NULL;
        errno = 0;
        double v = strtod(s, &end);
        if (errno != 0 || end == s || *end != '\0' || !isfinite(v))
                return -1;
        *out = v;
        return 0;
}

int cfg_parse_bool(const char *s, bool *out)
{
        static const char *const yes[] = {"1", "true", "yes", "on"};
        static const char *const no[] = {"0", "false", "no", "off"};
        if (!s)
                return -1;
        for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
                if (strcasecmp(s, yes[i]) == 0) {
                        *out = true;
                        return 0;
                }
                if (strcasecmp(s, no[i]) == 0) {
                        *out = false;
                        return 0;
                }
        }
        return -1;
}

/* ==== Loading ==== */

static const char *env_nonempty(const char *name)
{
        const char *v = getenv(name);
        return v && *v ? v : NULL;
}

/* Read a secret from the file named by NAME_FILE: trailing CR/LF stripped.
 * @returns malloc'd value, NULL if NAME_FILE is unset; sets *bad on error. */
static char *read_secret_file(const char *name, char *err, size_t errsz, int *bad)
{
        char fname[256];
        snprintf(fname, sizeof fname, "%s_FILE", name);
        const char *path = env_nonempty(fname);
        if (!path)
                return NULL;
        size_t len = 0;
        char *v = util_read_file(path, &len);
        if (!v) {
                snprintf(err, errsz, "%s: cannot read file '%s': %s", fname, path,
                         strerror(errno));
                *bad = 1;
                return NULL;
        }
        while (len > 0 && (v[len - 1] == '\n' || v[len - 1] == '\r'))
                v[--len] = '\0';
        if (len == 0) {
                snprintf(err, errsz, "%s: file '%s' is empty", fname, path);
                free(v);
                *bad = 1;
                return NULL;
        }
        if (strlen(v) != len) {
                snprintf(err, errsz, "%s: file '%s' contains a NUL byte", fname, path);
                free(v);
                *bad = 1;
                return NULL;
        }
        return v;
}

/* Parse @p text into the field of @p it; @p shown is what errors may print. */
static int set_field(const struct cfg_item *it, const char *text, void *out, char *err,
                     size_t errsz)
{
        char *field = (char *)out + it->offset;
        const char *shown = (it->flags & CFG_SECRET) ? "(secret)" : text;
        bool bounded = !(it->min == 0 && it->max == 0);

        switch (it->type) {
        case CFG_STR: {
                char *dup = strdup(text);
                if (!dup) {
                        snprintf(err, errsz, "%s: out of memory", it->name);
                        return -1;
                }
                free(*(char **)field);
                *(char **)field = dup;
                return 0;
        }
        case CFG_INT: {
                long lo = bounded ? (long)it->min : LONG_MIN;
                long hi = bounded ? (long)it->max : LONG_MAX;
                long v;
                if (cfg_parse_long(text, lo, hi, &v) != 0) {
                        if (bounded)
                                snprintf(err, errsz,
                                         "%s: '%s' is not an integer in [%ld, %ld]", it->name,
                                         shown, lo, hi);
                        else
                                snprintf(err, errsz, "%s: '%s' is not an integer", it->name,
                                         shown);
                        return -1;
                }
                *(long *)field = v;
                return 0;
        }
        case CFG_DOUBLE: {
                double v;
                if (cfg_parse_double(text, &v) != 0 ||
                    (bounded && (v < it->min || v > it->max))) {
                        if (bounded)
                                snprintf(err, errsz, "%s: '%s' is not a number in [%g, %g]",
                                         it->name, shown, it->min, it->max);
                        else
                                snprintf(err, errsz, "%s: '%s' is not a number", it->name,
                                         shown);
                        return -1;
                }
                *(double *)field = v;
                return 0;
        }
        case CFG_BOOL: {
                bool v;
                if (cfg_parse_bool(text, &v) != 0) {
                        snprintf(err, errsz,
                                 "%s: '%s' is not a boolean (1/0, true/false, yes/no, on/off)",
                                 it->name, shown);
                        return -1;
                }
                *(bool *)field = v;
                return 0;
        }
        case CFG_PORT: {
                long v;
                if (cfg_parse_long(text, 1, 65535, &v) != 0) {
                        snprintf(err, errsz, "%s: '%s' is not a port (1..65535)", it->name,
                                 shown);
                        return -1;
                }
                *(int *)field = (int)v;
                return 0;
        }
        }
        snprintf(err, errsz, "%s: unknown type in the config table", it->name);
        return -1;
}

/* Zero the field of an item that is unset and has no default. */
static void clear_field(const struct cfg_item *it, void *out)
{
        char *field = (char *)out + it->offset;
        switch (it->type) {
        case CFG_STR: free(*(char **)field); *(char **)field = NULL; break;
        case CFG_INT: *(long *)field = 0; break;
        case CFG_DOUBLE: *(double *)field = 0; break;
        case CFG_BOOL: *(bool *)field = false; break;
        case CFG_PORT: *(int *)field = 0; break;
        }
}

/* Unset items without a default are set to zero / NULL. String fields must
 * be NULL (or strings from an earlier cfg_load) before the call: zero the
 * struct first. On error the strings loaded so far are freed. */
int cfg_load(const struct cfg_item *items, size_t n, void *out, char *err, size_t errsz)
{
        if (errsz > 0)
                err[0] = '\0';
        for (size_t i = 0; i < n; i++) {
                const struct cfg_item *it = &items[i];
                char *secret = NULL;
                int bad = 0;
                const char *val = env_nonempty(it->name);

                if (it->flags & CFG_SECRET) {
                        secret = read_secret_file(it->name, err, errsz, &bad);
                        if (bad)
                                goto fail;
                        if (secret && val) {
                                snprintf(err, errsz, "%s: set either %s or %s_FILE, not both",
                                         it->name, it->name, it->name);
                                free(secret);
                                goto fail;
                        }
                        if (secret)
                                val = secret;
                }
                if (!val)
                        val = it->def;
                if (!val) {
                        if (it->flags & CFG_REQUIRED) {
                                if (it->flags & CFG_SECRET)
                                        snprintf(err, errsz, "%s: required (set %s or %s_FILE)",
                                                 it->name, it->name, it->name);
                                else
                                        snprintf(err, errsz, "%s: required but not set",
                                                 it->name);
                                goto fail;
                        }
                        clear_field(it, out);
                        continue;
                }
                int rc = set_field(it, val, out, err, errsz);
                free(secret);
                if (rc != 0)
                        goto fail;
                continue;
        fail:
                for (size_t j = 0; j < i; j++)
                        if (items[j].type == CFG_STR)
                                clear_field(&items[j], out);
                return -1;
        }
        return 0;
}

void cfg_free(const struct cfg_item *items, size_t n, void *out)
{
        for (size_t i = 0; i < n; i++)
                if (items[i].type == CFG_STR)
                        clear_field(&items[i], out);
}

/* Render the value of one item for logs; secrets only say whether they are set. */
static void show_value(const struct cfg_item *it, const void *cfg, char *buf, size_t bufsz)
{
        const char *field = (const char *)cfg + it->offset;
        if (it->flags & CFG_SECRET) {
                bool set = it->type != CFG_STR || *(char *const *)field != NULL;
                snprintf(buf, bufsz, "%s", set ? "(set)" : "(unset)");
                return;
        }
        switch (it->type) {
        case CFG_STR: {
                const char *s = *(char *const *)field;
                snprintf(buf, bufsz, "%s", s ? s : "(unset)");
                return;
        }
        case CFG_INT: snprintf(buf, bufsz, "%ld", *(const long *)field); return;
        case CFG_DOUBLE: snprintf(buf, bufsz, "%g", *(const double *)field); return;
        case CFG_BOOL: snprintf(buf, bufsz, "%s", *(const bool *)field ? "true" : "false"); return;
        case CFG_PORT: snprintf(buf, bufsz, "%d", *(const int *)field); return;
        }
        snprintf(buf, bufsz, "?");
}

void cfg_log(const struct cfg_item *items, size_t n, const void *cfg)
{
        for (size_t i = 0; i < n; i++) {
                char v[512];
                show_value(&items[i], cfg, v, sizeof v);
                log_info("config %s=%s", items[i].name, v);
        }
}

void cfg_print_help(const struct cfg_item *items, size_t n)
{
        static const char *const tnames[] = {"string", "integer", "number", "boolean", "port"};
        printf("| variable | type | default | meaning |\n|---|---|---|---|\n");
        for (size_t i = 0; i < n; i++) {
                const struct cfg_item *it = &items[i];
                const char *t = (unsigned)it->type < 5 ? tnames[it->type] : "?";
                char range[80] = "";
                if ((it->type == CFG_INT || it->type == CFG_DOUBLE) &&
                    !(it->min == 0 && it->max == 0))
                        snprintf(range, sizeof range, " in [%g, %g]", it->min, it->max);
                printf("| `%s`%s | %s%s%s | %s | %s |\n", it->name,
                       (it->flags & CFG_SECRET) ? " (or `_FILE`)" : "", t, range,
                       (it->flags & CFG_REQUIRED) ? ", required" : "",
                       it->def && !(it->flags & CFG_SECRET) ? it->def : "",
                       it->help ? it->help : "");
        }
}
