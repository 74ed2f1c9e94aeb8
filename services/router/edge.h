/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file edge.h
 * @brief prahari-router's edges: the configuration table, the directory
 *        from PostgreSQL, and the stage function that routes one enriched
 *        message (decide, record in PostgreSQL, build the routed message).
 */
#ifndef PRAHARI_ROUTER_EDGE_H
#define PRAHARI_ROUTER_EDGE_H
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <libpq-fe.h>
#include "decide.h"
#include "prahari/cfg.h"
#include "prahari/kafka.h"
#include "prahari/stage.h"

struct router_cfg {
        char *boundaries_source; /* "file" or "postgis" */
        char *boundaries_file, *boundaries_prop, *states_file, *states_prop, *home_state;
        char *jurisdiction_layers; /* PRAHARI_JURISDICTION_LAYERS ("" = none) */
        double min_confidence, max_radius_m, overlap_min, snap_m;
        long directory_reload_s;
        int ops_port;
        char *topic_enriched, *topic_routed, *topic_deadletter;
};

/** The configuration table (see services/router/README.md). */
extern const struct cfg_item router_cfg_items[];
extern const size_t router_cfg_nitems;

struct router {
        const struct router_cfg *cfg;
        struct decide_cfg dcfg;
        GEOSContextHandle_t geos;          /* the state layer's context */
        struct layer *states;
        struct jlayers jl;                 /* extra layers (r->geos), most specific first */
        struct layer *districts;           /* main thread only */
        GEOSContextHandle_t districts_ctx; /* the district layer's own context */
        /* a new district version built by the reloader, swapped in by the
         * main thread between two messages (guarded by layer_mu) */
        struct layer *pending;
        GEOSContextHandle_t pending_ctx;
        pthread_mutex_t layer_mu;
        char seen_version[160]; /* reloader: the active version last loaded */
        atomic_bool layers_ok;
        PGconn *pg;              /* the stage's connection (main thread) */
        PGconn *dir_pg;          /* the reloader's connection */
        struct directory *dir;   /* guarded by dir_mu */
        pthread_mutex_t dir_mu;
        pthread_t reloader;
        bool reloader_running;
        atomic_bool stop_reloader;
        struct kq_consumer *kc;
        struct kq_producer *kp;
        atomic_bool pg_ok, dir_ok;
};

/**
 * @brief Load the district layer (from PRAHARI_BOUNDARIES_FILE, or the
 * version in effect in PostGIS when PRAHARI_BOUNDARIES_SOURCE=postgis) and the
 * state layer (checks PRAHARI_HOME_STATE is one of its features).
 * @returns 0 or -1 with @p err naming the variable.
 */
int router_layers_load(struct router *r, char *err, size_t errsz);

/**
 * @brief (Re)load the directory from PostgreSQL over the reloader's own
 * connection; swaps r->dir under dir_mu only on success.
 * @returns 0, or -1 (logged; the old directory stays).
 */
int router_directory_reload(struct router *r);

/**
 * @brief Start the thread that reloads the directory every
 * PRAHARI_DIRECTORY_RELOAD_S seconds and at once on SIGHUP (it also keeps
 * /readyz's view of PostgreSQL fresh when no message flows). With
 * PRAHARI_BOUNDARIES_SOURCE=postgis it also polls for a newly effective
 * district version, builds it, and hands it to the main thread, which
 * switches between two messages: no restart, no message lost.
 * @returns 0 or -1.
 */
int router_reloader_start(struct router *r);
/** @brief Stop and join the reloader (no-op if not running). */
void router_reloader_stop(struct router *r);

/** @brief The stage function: routes one enriched message (ctx = struct router). */
enum stage_result router_route_cb(void *ctx, const struct kq_msg *in, struct stage_output *out,
                                  char *reason, size_t reasonsz);

/** @brief /readyz: layers loaded, directory loaded, PostgreSQL and Kafka up. */
bool router_ready_cb(void *ctx);

/** @brief Free layers, directory, GEOS context, PG connection. */
void router_teardown(struct router *r);

#endif
