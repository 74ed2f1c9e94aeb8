/* SPDX-License-Identifier: Apache-2.0 */
/* prahari-router: wiring only. Loads the configuration and both boundary
 * layers, connects PostgreSQL (directory) and Kafka, serves the ops port,
 * runs the stage loop over the enriched topic, and tears down in reverse. */
#include <stdio.h>
#include <string.h>

#include "edge.h"
#include "prahari/log.h"
#include "prahari/ops.h"
#include "prahari/sig.h"

int main(int argc, char **argv)
{
        if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
                printf("prahari-router: routes enriched alerts to a district or the state "
                       "command centre.\nEnvironment:\n\n");
                cfg_print_help(router_cfg_items, router_cfg_nitems);
                return 0;
        }
        log_init("router");
        sig_install();
        struct router_cfg cfg;
        char err[1024];
        memset(&cfg, 0, sizeof cfg);
        if (cfg_load(router_cfg_items, router_cfg_nitems, &cfg, err, sizeof err)) {
                log_error("configuration: %s", err);
                return 2;
        }
        cfg_log(router_cfg_items, router_cfg_nitems, &cfg);
        int rc = 2;
        struct router r = {.cfg = &cfg, .dir_mu = PTHREAD_MUTEX_INITIALIZER,
                            .layer_mu = PTHREAD_MUTEX_INITIALIZER};
        struct ops_server *ops = NULL;
        r.geos = geojson_geos_new();
        if (!r.geos) {
                log_error("GEOS: cannot create a context");
                goto out;
        }
        if (router_layers_load(&r, err, sizeof err)) {
                log_error("%s", err);
                goto out;
        }
        /* The directory: a failure here is not fatal (PostgreSQL may come up
         * later); /readyz stays 503 and messages wait until it loads. */
        if (router_directory_reload(&r))
                log_warn("directory not loaded yet; will retry");
        if (router_reloader_start(&r)) {
                log_error("cannot start the directory reloader thread");
                goto out;
        }
        r.kp = kq_producer_new("prahari-router", err, sizeof err);
        if (!r.kp) {
                log_error("Kafka producer: %s", err);
                goto out;
        }
        const char *topics[1] = {cfg.topic_enriched};
        r.kc = kq_consumer_new("prahari-router", topics, 1, err, sizeof err);
        if (!r.kc) {
                log_error("Kafka consumer: %s", err);
                goto out;
        }
        ops = ops_start(cfg.ops_port, router_ready_cb, &r, err, sizeof err);
        if (!ops) {
                log_error("PRAHARI_ROUTER_OPS_PORT: %s", err);
                goto out;
        }
        log_info("up: consuming %s, producing %s, ops port %d", cfg.topic_enriched,
                 cfg.topic_routed, cfg.ops_port);
        const struct stage_cfg scfg = {.name = "router",
                                       .out_topic = cfg.topic_routed,
                                       .dlq_topic = cfg.topic_deadletter,
                                       .produce_timeout_ms = 0};
        rc = stage_run(&scfg, r.kc, r.kp, router_route_cb, &r) == 0 ? 0 : 1;
        log_info("stopping");
out:
        ops_stop(ops);
        router_reloader_stop(&r);
        kq_consumer_close(r.kc);
        kq_producer_destroy(r.kp);
        router_teardown(&r);
        geojson_geos_free(r.geos);
        cfg_free(router_cfg_items, router_cfg_nitems, &cfg);
        log_info("stopped (exit %d)", rc);
        return rc;
}
