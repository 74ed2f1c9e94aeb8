/* SPDX-License-Identifier: Apache-2.0 */
/* Extra jurisdiction layers (police districts, police-station areas) with
 * their parent chains: spec parsing, loading, chain checks, point matching. */
#include "jlayers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "directory.h"
#include "prahari/util.h"

static int field(const char **p, char *out, size_t outsz, bool last)
{
        const char *s = *p;
        size_t n = strcspn(s, ":;");
        if (n == 0 || n >= outsz || (last ? s[n] == ':' : s[n] != ':'))
                return -1;
        memcpy(out, s, n);
        out[n] = '\0';
        *p = s + n + (s[n] == ':' ? 1 : 0);
        return 0;
}

int jlayers_parse_spec(const char *s, struct jlayer_spec *out, size_t max, char *err,
                       size_t errsz)
{
        size_t n = 0;
        const char *p = s ? s : "";
        while (*p) {
                if (*p == ';' || *p == ' ') {
                        p++;
                        continue;
                }
                if (n == max || n == JLAYERS_MAX) {
                        snprintf(err, errsz, "more than %d layers", JLAYERS_MAX);
                        return -1;
                }
                struct jlayer_spec *sp = &out[n];
                if (field(&p, sp->level, sizeof sp->level, false) ||
                    field(&p, sp->path, sizeof sp->path, false) ||
                    field(&p, sp->name_prop, sizeof sp->name_prop, false) ||
                    field(&p, sp->parent_prop, sizeof sp->parent_prop, true)) {
                        snprintf(err, errsz,
                                 "entry %zu: expected level:path:name_property:parent_property",
                                 n + 1);
                        return -1;
                }
                if (strcmp(sp->level, "district") == 0 || strcmp(sp->level, "state") == 0) {
                        snprintf(err, errsz, "entry %zu: level \"%s\" is reserved", n + 1,
                                 sp->level);
                        return -1;
                }
                for (size_t i = 0; i < n; i++)
                        if (strcmp(out[i].level, sp->level) == 0) {
                                snprintf(err, errsz, "level \"%s\" twice", sp->level);
                                return -1;
                        }
                n++;
        }
        return (int)n;
}

int jlayers_add_layer(struct jlayers *js, const char *level, struct layer *l,
                      const char *const *pnames, const char *const *parents, size_t n, char *err,
                      size_t errsz)
{
        if (js->n == JLAYERS_MAX) {
                snprintf(err, errsz, "more than %d layers", JLAYERS_MAX);
                layer_destroy(l);
                return -1;
        }
        for (size_t i = 0; i < js->n; i++)
                if (strcmp(js->v[i].level, level) == 0) {
                        snprintf(err, errsz, "level \"%s\" twice", level);
                        layer_destroy(l);
                        return -1;
                }
        size_t nf = layer_count(l);
        char **par = calloc(nf ? nf : 1, sizeof *par);
        if (!par) {
                snprintf(err, errsz, "out of memory");
                layer_destroy(l);
                return -1;
        }
        for (size_t i = 0; i < n; i++) {
                int f = layer_find(l, pnames[i]);
                if (f >= 0 && parents[i] && *parents[i] && !par[f])
                        par[f] = strdup(parents[i]);
        }
        for (size_t f = 0; f < nf; f++)
                if (!par[f]) {
                        snprintf(err, errsz, "%s feature \"%s\": no parent", level,
                                 layer_name(l, (int)f));
                        for (size_t q = 0; q < nf; q++)
                                free(par[q]);
                        free(par);
                        layer_destroy(l);
                        return -1;
                }
        struct jlayer *j = &js->v[js->n++];
        util_strlcpy(j->level, level, sizeof j->level);
        j->l = l;
        j->parent = par;
        return 0;
}

int jlayers_add_file(struct jlayers *js, GEOSContextHandle_t ctx, const struct jlayer_spec *sp,
                     char *err, size_t errsz)
{
        char e[1024];
        struct gj_layer *gl = geojson_load_file(ctx, sp->path, sp->name_prop, e, sizeof e);
        struct layer *l = gl ? layer_new(ctx, gl, e, sizeof e) : NULL;
        if (!l) {
                snprintf(err, errsz, "%s layer: %s", sp->level, e);
                return -1;
        }
        /* the parents: the same file's features, read again for one property */
        json_error_t je;
        json_t *root = json_load_file(sp->path, 0, &je);
        json_t *fs = json_object_get(root, "features");
        size_t n = json_array_size(fs);
        const char **names = calloc(n ? n : 1, sizeof *names);
        const char **pars = calloc(n ? n : 1, sizeof *pars);
        int rc = -1;
        if (!root || !names || !pars) {
                snprintf(err, errsz, "%s layer %s: %s", sp->level, sp->path,
                         root ? "out of memory" : je.text);
                layer_destroy(l);
                goto out;
        }
        for (size_t i = 0; i < n; i++) {
                json_t *props = json_object_get(json_array_get(fs, i), "properties");
                names[i] = json_string_value(json_object_get(props, sp->name_prop));
                pars[i] = json_string_value(json_object_get(props, sp->parent_prop));
                if (!names[i])
                        names[i] = "";
        }
        rc = jlayers_add_layer(js, sp->level, l, names, pars, n, e, sizeof e);
        if (rc)
                snprintf(err, errsz, "%s (%s, property %s)", e, sp->path, sp->parent_prop);
out:
        free(names);
        free(pars);
        json_decref(root);
        return rc;
}

/* Chain of feature f of layer i: parents up to the last one not found in a
 * less specific extra layer (the district), then STATE_COMMAND_CENTRE. */
static void chain(const struct jlayers *js, size_t i, int f, struct jmatch *m)
{
        util_strlcpy(m->name, layer_name(js->v[i].l, f), sizeof m->name);
        util_strlcpy(m->level, js->v[i].level, sizeof m->level);
        m->nparents = 0;
        const char *cur = js->v[i].parent[f];
        size_t k = i + 1;
        while (cur && m->nparents + 1 < JLAYERS_MAX_CHAIN) {
                util_strlcpy(m->parents[m->nparents++], cur, sizeof m->parents[0]);
                const char *next = NULL;
                for (; k < js->n && !next; k++) {
                        int q = layer_find(js->v[k].l, cur);
                        if (q >= 0)
                                next = js->v[k].parent[q];
                }
                cur = next;
        }
        util_strlcpy(m->parents[m->nparents++], DIR_STATE_COMMAND_CENTRE, sizeof m->parents[0]);
}

/* The district of a chain: the entry before STATE_COMMAND_CENTRE. */
static const char *chain_district(const struct jmatch *m)
{
        return m->nparents >= 2 ? m->parents[m->nparents - 2] : "";
}

int jlayers_check(const struct jlayers *js, const struct layer *dl, char *err, size_t errsz)
{
        for (size_t i = 0; i < js->n; i++)
                for (size_t f = 0; f < layer_count(js->v[i].l); f++) {
                        struct jmatch m;
                        chain(js, i, (int)f, &m);
                        if (layer_find(dl, chain_district(&m)) < 0) {
                                snprintf(err, errsz,
                                         "%s feature \"%s\": parent chain ends at \"%s\", not a "
                                         "district of %s",
                                         js->v[i].level, m.name, chain_district(&m),
                                         layer_version(dl));
                                return -1;
                        }
                }
        return 0;
}

int jlayers_match(const struct jlayers *js, const char *district, double lon, double lat,
                  struct jmatch *m)
{
        for (size_t i = 0; js && i < js->n; i++) {
                int f = layer_lookup(js->v[i].l, lon, lat);
                if (f < 0)
                        continue;
                chain(js, i, f, m);
                if (strcmp(chain_district(m), district) == 0)
                        return 1;
        }
        return 0;
}

int jlayers_chain(const struct jlayers *js, const struct layer *dl, const char *name,
                  struct jmatch *m)
{
        for (size_t i = 0; js && i < js->n; i++) {
                int f = layer_find(js->v[i].l, name);
                if (f >= 0) {
                        chain(js, i, f, m);
                        return 1;
                }
        }
        memset(m, 0, sizeof *m);
        util_strlcpy(m->name, name, sizeof m->name);
        if (dl && layer_find(dl, name) >= 0) {
                util_strlcpy(m->level, "district", sizeof m->level);
                util_strlcpy(m->parents[m->nparents++], DIR_STATE_COMMAND_CENTRE,
                             sizeof m->parents[0]);
                return 1;
        }
        if (strcmp(name, DIR_STATE_COMMAND_CENTRE) == 0) {
                util_strlcpy(m->level, "state", sizeof m->level);
                return 1;
        }
        return 0;
}

const char **jlayers_names(const struct jlayers *js, size_t *n)
{
        size_t total = 0;
        for (size_t i = 0; i < js->n; i++)
                total += layer_count(js->v[i].l);
        const char **v = calloc(total ? total : 1, sizeof *v);
        *n = 0;
        if (!v)
                return NULL;
        for (size_t i = 0; i < js->n; i++)
                for (size_t f = 0; f < layer_count(js->v[i].l); f++)
                        v[(*n)++] = layer_name(js->v[i].l, (int)f);
        return v;
}

void jlayers_clear(struct jlayers *js)
{
        for (size_t i = 0; i < js->n; i++) {
                for (size_t f = 0; f < layer_count(js->v[i].l); f++)
                        free(js->v[i].parent[f]);
                free(js->v[i].parent);
                layer_destroy(js->v[i].l);
        }
        js->n = 0;
}
