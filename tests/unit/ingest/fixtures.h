/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers for ingest unit tests: read ../shared/fixtures files and cases. */
#ifndef PRAHARI_TEST_INGEST_FIXTURES_H
#define PRAHARI_TEST_INGEST_FIXTURES_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "prahari/util.h"

/* Read fixtures/<rel>; aborts the test if missing (a missing fixture is a failure). */
static inline char *fx_read(const char *rel, size_t *len)
{
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", PRAHARI_FIXTURES, rel);
        char *s = util_read_file(path, len);
        if (!s) {
                fprintf(stderr, "missing fixture %s\n", path);
                exit(1);
        }
        return s;
}

/* The case with @p id from cases.json (new reference). */
static inline json_t *fx_case(const char *id)
{
        size_t len;
        char *s = fx_read("cases.json", &len);
        json_t *root = json_loadb(s, len, 0, NULL);
        free(s);
        json_t *cases = json_object_get(root, "cases"), *c, *found = NULL;
        size_t i;
        json_array_foreach(cases, i, c)
        {
                if (strcmp(json_string_value(json_object_get(c, "id")), id) == 0)
                        found = json_incref(c);
        }
        json_decref(root);
        if (!found) {
                fprintf(stderr, "no case %s\n", id);
                exit(1);
        }
        return found;
}

static inline const char *fx_header(const json_t *c, const char *name)
{
        return json_string_value(json_object_get(json_object_get(c, "headers"), name));
}

/* secrets.json value at @p key (string); caller frees. */
static inline char *fx_secret(const char *key, const char *sub)
{
        size_t len;
        char *s = fx_read("secrets.json", &len);
        json_t *root = json_loadb(s, len, 0, NULL);
        free(s);
        json_t *v = json_object_get(root, key);
        if (sub)
                v = json_object_get(v, sub);
        char *out = json_is_string(v) ? strdup(json_string_value(v)) : NULL;
        json_decref(root);
        return out;
}
#endif
