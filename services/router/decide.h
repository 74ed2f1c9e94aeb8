/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file decide.h
 * @brief The routing decision: from an enriched alert's `location` to the
 *        routed message's `routing` object. Pure (layers and directory are
 *        values passed in); see services/router/README.md for the rules.
 */
#ifndef PRAHARI_ROUTER_DECIDE_H
#define PRAHARI_ROUTER_DECIDE_H
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "directory.h"
#include "jlayers.h"
#include "layer.h"

struct decide_cfg {
        double min_confidence; /* below: too_uncertain (default 0.3) */
        double max_radius_m;   /* above: too_uncertain (default 50000) */
        double overlap_min;    /* circle overlap that makes a district a jurisdiction (0.2) */
        double snap_m;         /* home-state point in no district: nearest within this (2000) */
        const char *home_state; /* the state layer's name of our state ("Rajasthan") */
        const struct jlayers *layers; /* extra layers, most specific first; NULL: none */
};

enum decide_route { ROUTE_DISTRICT = 0, ROUTE_STATE_COMMAND_CENTRE = 1 };

enum decide_reason {
        REASON_POINT_IN_POLYGON = 0,
        REASON_AREA,
        REASON_OUT_OF_STATE,
        REASON_NO_LOCATION,
        REASON_IP_ONLY,
        REASON_TOO_UNCERTAIN,
        REASON_NEAREST_DISTRICT, /* home state, in no district, snapped within snap_m */
        REASON_NO_DISTRICT       /* home state, in no district, nothing near */
};

#define DECIDE_MAX_J 16

struct decide_jurisdiction {
        int idx;        /* district index in the layer, or -1 for the name below */
        char name[80];  /* district, STATE_COMMAND_CENTRE or INTERSTATE:<state> */
        double overlap; /* fraction of the uncertainty circle; < 0: not measured */
        bool lead;
};

struct decision {
        enum decide_route route;
        int district;   /* lead district index, or -1 */
        char state[64]; /* "" when unknown */
        enum decide_reason reason;
        double snap_m;  /* distance snapped over (REASON_NEAREST_DISTRICT) */
        bool circle_failed; /* GEOS failed on the circle: decided on the point alone */
        struct decide_jurisdiction j[DECIDE_MAX_J];
        size_t nj; /* j[0] is the lead */
        struct jmatch lead; /* the lead jurisdiction (j[0].name), its level and parent chain */
};

/** @brief The reason's wire name ("point_in_polygon", ...). */
const char *decide_reason_str(enum decide_reason r);
/** @brief "district" or "state_command_centre". */
const char *decide_route_str(enum decide_route r);

/**
 * @brief Decide where @p location (the enriched message's object, borrowed;
 * NULL means no location) goes. @p states may be NULL (state unknown then).
 * If GEOS fails on the uncertainty circle the point alone decides,
 * circle_failed is set and @p err says why. @returns 0.
 */
int decide_route(const struct decide_cfg *cfg, const struct layer *districts,
                 const struct layer *states, const json_t *location, struct decision *out,
                 char *err, size_t errsz);

/**
 * @brief The `routing` object for @p d: route, district, state, reason,
 * boundary_version, jurisdictions, and recipients = the level-1 entries of
 * every jurisdiction (lead first, each recipient once). A district with no
 * level-1 entry falls back to STATE_COMMAND_CENTRE's, and the object gets
 * "directory_gap": [names]. @returns a new reference, or NULL when out of memory.
 */
json_t *decide_routing_json(const struct decision *d, const struct layer *districts,
                            const struct directory *dir);

/**
 * @brief decide_routing_json at @p now (Unix time) for duty windows (0:
 * windows ignored), adding "level" and "parents" (the lead's chain). The
 * lead's recipients: its own level-1 entries, else the first parent in its
 * chain that has some ("recipients_from" on the jurisdiction).
 */
json_t *decide_routing_json_at(const struct decision *d, const struct layer *districts,
                               const struct directory *dir, long long now);

/**
 * @brief The `moved_from` object for a lead that moved away from
 * @p jurisdiction (a district, an extra layer's feature or
 * STATE_COMMAND_CENTRE): {jurisdiction, recipients: its level-1 recipients
 * at @p now, with the same parent fallback}. @returns a new reference.
 */
json_t *decide_moved_from(const struct decide_cfg *cfg, const struct layer *districts,
                          const struct directory *dir, const char *jurisdiction, long long now);

/** @brief The routing key: the lead district's name or STATE_COMMAND_CENTRE (borrowed). */
const char *decide_key(const struct decision *d, const struct layer *districts);

#endif
