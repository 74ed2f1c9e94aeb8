/* SPDX-License-Identifier: Apache-2.0 */
/* prahari-enrich: wiring only. Loads the configuration and the data
 * (gazetteer, IP database), connects Kafka, serves the ops port, starts the
 * SIGHUP reload thread, runs the stage loop from the normalized to the
 * enriched topic, and tears down in reverse. */
#include <stdio.h>
#include <string.h>

#include "edge.h"
#include "prahari/log.h"
#include "prahari/ops.h"
#include "prahari/sig.h"

int main(int argc, char **argv)
{
        struct enrich_cfg cfg;
        struct enrich_svc s;
        struct ops_server *ops = NULL;
        char err[1024];
        int rc = 2;

        if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
                printf("prahari-enrich: locates the person of each normalized alert.\n"
                       "Environment:\n\n");
                cfg_print_help(enrich_cfg_items, enrich_cfg_nitems);
                return 0;
        }
        log_init("enrich");
        sig_install();
        memset(&cfg, 0, sizeof cfg);
        memset(&s, 0, sizeof s);
        if (cfg_load(enrich_cfg_items, enrich_cfg_nitems, &cfg, err, sizeof err)) {
                log_error("configuration: %s", err);
                return 2;
        }
        if (enrich_svc_init(&s, &cfg, err, sizeof err)) {
                log_error("%s", err);
                goto out;
        }
        cfg_log(enrich_cfg_items, enrich_cfg_nitems, &cfg);
        s.kp = kq_producer_new("prahari-enrich", err, sizeof err);
        if (!s.kp) {
                log_error("Kafka producer: %s", err);
                goto out;
        }
        {
                const char *topics[1] = {cfg.topic_normalized};
                s.kc = kq_consumer_new(cfg.group, topics, 1, err, sizeof err);
        }
        if (!s.kc) {
                log_error("Kafka consumer: %s", err);
                goto out;
        }
        ops = ops_start(cfg.ops_port, enrich_ready_cb, &s, err, sizeof err);
        if (!ops) {
                log_error("PRAHARI_ENRICH_OPS_PORT: %s", err);
                goto out;
        }
        if (enrich_reloader_start(&s)) {
                log_error("cannot start the reload thread");
                goto out;
        }
        log_info("up: consuming %s, producing %s, ops port %d", cfg.topic_normalized,
                 cfg.topic_enriched, cfg.ops_port);
        {
                const struct stage_cfg scfg = {.name = "enrich",
                                               .out_topic = cfg.topic_enriched,
                                               .dlq_topic = cfg.topic_deadletter,
                                               .produce_timeout_ms = 0};
                rc = stage_run(&scfg, s.kc, s.kp, enrich_stage_cb, &s) == 0 ? 0 : 1;
        }
        log_info("stopping");
out:
        ops_stop(ops);
        kq_consumer_close(s.kc);
        kq_producer_destroy(s.kp);
        enrich_svc_teardown(&s);
        cfg_free(enrich_cfg_items, enrich_cfg_nitems, &cfg);
        log_info("stopped (exit %d)", rc);
        return rc;
}
