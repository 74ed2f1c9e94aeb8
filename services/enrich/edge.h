/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file edge.h
 * @brief prahari-enrich's edges: the configuration table, the data (gazetteer
 *        and IP database) loaded at start and rebuilt on SIGHUP by a
 *        background thread and swapped between messages, and the stage
 *        function that enriches one normalized message, records the location
 *        and its timeline row in PostgreSQL in one transaction (idempotent),
 *        and hands the enriched message to the stage loop. The optional
 *        outside geocoder (PRAHARI_GEOCODER_URL) is asked from the stage
 *        thread about place texts the gazetteer does not know.
 */
#ifndef PRAHARI_ENRICH_EDGE_H
#define PRAHARI_ENRICH_EDGE_H
#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "gazetteer.h"
#include "geocoder.h"
#include "ipdb.h"
#include "prahari/cfg.h"
#include "prahari/kafka.h"
#include "prahari/stage.h"

struct enrich_cfg {
        char *gazetteer_dir, *npm_dir, *ipdb_v4, *ipdb_v6;
        int ops_port;
        char *group;
        char *topic_normalized, *topic_enriched, *topic_deadletter;
        /* the optional outside geocoder: off while geocoder_url is NULL */
        char *geocoder_url, *geocoder_user_agent, *geocoder_email;
        long geocoder_timeout_ms, geocoder_cache_size, geocoder_cache_ttl_s;
        long geocoder_breaker_failures, geocoder_breaker_open_s;
};

/** The configuration table (see services/enrich/README.md). */
extern const struct cfg_item enrich_cfg_items[];
extern const size_t enrich_cfg_nitems;

/** Everything loaded from files: replaced as a whole on SIGHUP. */
struct enrich_data {
        struct gazetteer *g;
        struct ipdb *ip;
        int ip_files; /* how many IP database files opened (0..2) */
};

struct enrich_svc {
        const struct enrich_cfg *cfg;
        struct enrich_data *data;   /* used by the stage thread only */
        struct textnorm *tn;        /* the stage thread's */
        struct geocoder *geo;       /* the stage thread's; NULL when off */
        PGconn *pg;
        struct kq_consumer *kc;
        struct kq_producer *kp;
        atomic_bool pg_ok;
        /* reload: the thread builds, the stage thread swaps between messages */
        pthread_t reloader;
        bool reloader_started;
        pthread_mutex_t mu;
        struct enrich_data *pending; /* guarded by mu */
};

/**
 * @brief Resolve the derived defaults (IP database paths under
 * PRAHARI_DATA_NPM_DIR) and load the data. @returns 0, or -1 with @p err
 * naming the variable whose file failed.
 */
int enrich_svc_init(struct enrich_svc *s, const struct enrich_cfg *cfg, char *err, size_t errsz);

/** @brief Start the SIGHUP reload thread. @returns 0 or -1. */
int enrich_reloader_start(struct enrich_svc *s);

/** @brief The stage function (ctx = struct enrich_svc). */
enum stage_result enrich_stage_cb(void *ctx, const struct kq_msg *in, struct stage_output *out,
                                  char *reason, size_t reasonsz);

/** @brief /readyz: data loaded, PostgreSQL and Kafka up. */
bool enrich_ready_cb(void *ctx);

/** @brief Stop the reload thread, free data, close PostgreSQL. */
void enrich_svc_teardown(struct enrich_svc *s);

#endif
