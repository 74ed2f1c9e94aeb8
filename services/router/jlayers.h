/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file jlayers.h
 * @brief Extra jurisdiction layers more specific than the revenue districts
 *        (police districts, police-station areas), each feature naming its
 *        parent for escalation. Pure apart from reading the layer files.
 *
 * Spec (PRAHARI_JURISDICTION_LAYERS): entries `level:path:name_property:parent_property`
 * separated by ';', most specific first, e.g.
 *   police_station:/d/ps.geojson:name:police_district;police_district:/d/pd.geojson:name:district
 * A feature's parent is a feature of a less specific extra layer or a
 * revenue district; the chain ends at a district, then STATE_COMMAND_CENTRE.
 */
#ifndef PRAHARI_ROUTER_JLAYERS_H
#define PRAHARI_ROUTER_JLAYERS_H
#include <stddef.h>
#include <geos_c.h>
#include "layer.h"

#define JLAYERS_MAX 4
#define JLAYERS_MAX_CHAIN (JLAYERS_MAX + 2)

struct jlayer_spec {
        char level[32], path[512], name_prop[64], parent_prop[64];
};

struct jlayer {
        char level[32];
        struct layer *l;
        char **parent; /* per feature index (layer order) */
};

/** The extra layers, most specific first. */
struct jlayers {
        struct jlayer v[JLAYERS_MAX];
        size_t n;
};

/** A point's most specific jurisdiction and its parent chain. */
struct jmatch {
        char name[80], level[32];
        char parents[JLAYERS_MAX_CHAIN][80]; /* ... district, STATE_COMMAND_CENTRE */
        size_t nparents;
};

/**
 * @brief Parse a spec string ("" = no extra layer). @returns the number of
 * entries written to @p out (at most JLAYERS_MAX), or -1 with @p err.
 */
int jlayers_parse_spec(const char *s, struct jlayer_spec *out, size_t max, char *err,
                       size_t errsz);

/**
 * @brief Append the layer of @p sp (read from its file with @p ctx, which must
 * outlive it) to @p js. Every feature needs a non-empty parent property.
 * @returns 0, or -1 with @p err naming the file.
 */
int jlayers_add_file(struct jlayers *js, GEOSContextHandle_t ctx, const struct jlayer_spec *sp,
                     char *err, size_t errsz);

/**
 * @brief Append a layer built from @p l (owned from now on) with parents
 * @p parents[i] given per feature name @p pnames[i] (borrowed, copied).
 * @returns 0, or -1 with @p err.
 */
int jlayers_add_layer(struct jlayers *js, const char *level, struct layer *l,
                      const char *const *pnames, const char *const *parents, size_t n, char *err,
                      size_t errsz);

/**
 * @brief Check that every parent chain reaches a district of @p districts.
 * @returns 0, or -1 with @p err naming the first feature whose chain breaks.
 */
int jlayers_check(const struct jlayers *js, const struct layer *districts, char *err,
                  size_t errsz);

/**
 * @brief The most specific feature covering the point whose chain reaches the
 * district named @p district (layers tried most specific first, each by the
 * layer tie rule). @returns 1 with @p m filled, or 0 when none.
 */
int jlayers_match(const struct jlayers *js, const char *district, double lon, double lat,
                  struct jmatch *m);

/**
 * @brief The parent chain of jurisdiction @p name (a feature of an extra
 * layer or a district name) into @p m (name, level, parents). Districts get
 * level "district" and [STATE_COMMAND_CENTRE]. @returns 1 if known, else 0.
 */
int jlayers_chain(const struct jlayers *js, const struct layer *districts, const char *name,
                  struct jmatch *m);

/** @brief All feature names of every extra layer (borrowed pointers into @p js), count in *n. */
const char **jlayers_names(const struct jlayers *js, size_t *n);

/** @brief Free the layers (not the struct itself: it is a value). */
void jlayers_clear(struct jlayers *js);

#endif
