/* SPDX-License-Identifier: Apache-2.0 */
/* prahari-devbroker: a Kafka-protocol broker for development and tests, built
 * on librdkafka's in-memory mock cluster, listening on a fixed loopback port
 * with Prahari's four topics created. Messages live in memory only. */
#include "interpose.h"

#include "prahari/cfg.h"
#include "prahari/log.h"
#include "prahari/sig.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <errno.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#define DEVBROKER_MAX_BROKERS 16

/* ---- logging of librdkafka's own lines --------------------------------------- */
static void rk_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
        (void)rk;
        /* The mock's own handle never connects anywhere; its warning about
         * the missing bootstrap.servers is expected and only confuses. */
        if (strcmp(fac, "CONFWARN") == 0 && strstr(buf, "bootstrap.servers"))
                return;
        /* syslog levels: <=3 error, 4 warning, 5-6 info, 7 debug */
        log_msg(level <= 3 ? LOG_ERROR : level == 4 ? LOG_WARN : level <= 6 ? LOG_INFO : LOG_DEBUG,
                NULL, NULL, "librdkafka %s: %s", fac, buf);
}

/* ---- configuration -------------------------------------------------------- */
struct devbroker_cfg {
        int port;
        long partitions;
        long brokers;
        char *topics[4]; /* normalized, enriched, routed, deadletter */
};

static const struct cfg_item g_cfg_items[] = {
        {"PRAHARI_DEVBROKER_PORT", CFG_PORT, offsetof(struct devbroker_cfg, port), "19092", 0, 0, 0,
         "loopback port of the first mock broker (broker i gets port + i - 1)"},
        {"PRAHARI_DEVBROKER_PARTITIONS", CFG_INT, offsetof(struct devbroker_cfg, partitions), "6",
         0, 1, 1000, "partitions of the normalized, enriched and routed topics (dead-letter: 1)"},
        {"PRAHARI_DEVBROKER_BROKERS", CFG_INT, offsetof(struct devbroker_cfg, brokers), "1", 0, 1,
         DEVBROKER_MAX_BROKERS, "number of mock brokers"},
        {"PRAHARI_TOPIC_NORMALIZED", CFG_STR, offsetof(struct devbroker_cfg, topics[0]),
         "prahari.alerts.normalized.v1", 0, 0, 0, "topic ingest -> enrich"},
        {"PRAHARI_TOPIC_ENRICHED", CFG_STR, offsetof(struct devbroker_cfg, topics[1]),
         "prahari.alerts.enriched.v1", 0, 0, 0, "topic enrich -> router"},
        {"PRAHARI_TOPIC_ROUTED", CFG_STR, offsetof(struct devbroker_cfg, topics[2]),
         "prahari.alerts.routed.v1", 0, 0, 0, "topic router -> notifier"},
        {"PRAHARI_TOPIC_DEADLETTER", CFG_STR, offsetof(struct devbroker_cfg, topics[3]),
         "prahari.alerts.deadletter.v1", 0, 0, 0, "dead-letter topic (1 partition)"},
};
#define CFG_N (sizeof(g_cfg_items) / sizeof(g_cfg_items[0]))

/** Cross-field checks after cfg_load. @returns 0, or -1 with @p err naming the variable. */
static int cfg_check(const struct devbroker_cfg *cfg, char *err, size_t errsz)
{
        int i;

        if ((long)cfg->port + cfg->brokers - 1 > 65535) {
                snprintf(err, errsz, "PRAHARI_DEVBROKER_PORT: %d + %ld brokers exceeds 65535",
                         cfg->port, cfg->brokers);
                return -1;
        }
        for (i = 0; i < 4; i++) {
                if (strlen(cfg->topics[i]) > 249) {
                        snprintf(err, errsz, "%s: a Kafka topic name is at most 249 characters",
                                 g_cfg_items[3 + i].name);
                        return -1;
                }
        }
        return 0;
}

/* ---- main ------------------------------------------------------------------ */
/** Expected bootstrap list "127.0.0.1:P,127.0.0.1:P+1,..." for @p cfg. */
static void expected_bootstraps(const struct devbroker_cfg *cfg, char *buf, size_t sz)
{
        size_t o = 0;
        long i;

        buf[0] = '\0';
        for (i = 0; i < cfg->brokers && o < sz; i++) {
                int n = snprintf(buf + o, sz - o, "%s127.0.0.1:%ld", i ? "," : "",
                                 (long)cfg->port + i);
                if (n < 0)
                        break;
                o += (size_t)n;
        }
}

/**
 * Try to bind each broker's port before starting the mock: librdkafka 2.0.2
 * aborts (an assertion in rd_kafka_mock_cluster_destroy on its own error path)
 * when a mock broker cannot bind, so a busy port must be caught here.
 * @returns 0 if every port is free, else -1 (logged, naming the variable).
 */
static int ports_free(const struct devbroker_cfg *cfg)
{
        long i;

        for (i = 0; i < cfg->brokers; i++) {
                struct sockaddr_in sin;
                int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), on = 1, rc, e;

                if (fd < 0) {
                        log_error("socket: %s", strerror(errno));
                        return -1;
                }
                memset(&sin, 0, sizeof(sin));
                sin.sin_family = AF_INET;
                sin.sin_port = htons((uint16_t)(cfg->port + i));
                sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
                (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
                rc = bind(fd, (struct sockaddr *)&sin, sizeof(sin));
                e = errno;
                close(fd);
                if (rc != 0) {
                        log_error("PRAHARI_DEVBROKER_PORT: cannot listen on 127.0.0.1:%ld: %s "
                                  "(is another prahari-devbroker running?)",
                                  (long)cfg->port + i, strerror(e));
                        return -1;
                }
        }
        return 0;
}

/**
 * Start the mock cluster on the configured ports and create the topics.
 * @returns the cluster (destroy with rd_kafka_mock_cluster_destroy), or NULL
 *          after logging why.
 */
static rd_kafka_mock_cluster_t *cluster_start(rd_kafka_t *rk, const struct devbroker_cfg *cfg)
{
        rd_kafka_mock_cluster_t *mcluster;
        char expect[DEVBROKER_MAX_BROKERS * 24];
        const char *boot;
        int i;

        /* See interpose.c: binds to 127.0.0.1:0 made while this runs get our port. */
        interpose_begin(cfg->port);
        mcluster = rd_kafka_mock_cluster_new(rk, (int)cfg->brokers);
        interpose_end();
        if (!mcluster) {
                int e = interpose_last_errno();
                log_error("cannot start the mock cluster on 127.0.0.1:%d: %s", cfg->port,
                          e ? strerror(e) : "rd_kafka_mock_cluster_new failed");
                return NULL;
        }
        boot = rd_kafka_mock_cluster_bootstraps(mcluster);
        expected_bootstraps(cfg, expect, sizeof(expect));
        if (!boot || strcmp(boot, expect) != 0) {
                log_error("mock cluster listens on %s, not on %s (%d binds rewritten); the bind() "
                          "interposer did not take effect",
                          boot ? boot : "(none)", expect, interpose_count());
                rd_kafka_mock_cluster_destroy(mcluster);
                return NULL;
        }
        for (i = 0; i < 4; i++) {
                int parts = i == 3 ? 1 : (int)cfg->partitions;
                int repl = cfg->brokers < 3 ? (int)cfg->brokers : 3;
                rd_kafka_resp_err_t err =
                        rd_kafka_mock_topic_create(mcluster, cfg->topics[i], parts, repl);
                if (err) {
                        log_error("%s: cannot create topic %s: %s", g_cfg_items[3 + i].name,
                                  cfg->topics[i], rd_kafka_err2str(err));
                        rd_kafka_mock_cluster_destroy(mcluster);
                        return NULL;
                }
                log_info("topic %s: %d partition%s", cfg->topics[i], parts, parts == 1 ? "" : "s");
        }
        return mcluster;
}

int main(int argc, char **argv)
{
        struct devbroker_cfg cfg;
        rd_kafka_conf_t *conf;
        rd_kafka_t *rk = NULL;
        rd_kafka_mock_cluster_t *mcluster = NULL;
        char errstr[512];
        int rc = 1;

        if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
                printf("prahari-devbroker: librdkafka's in-memory mock cluster on a fixed loopback\n"
                       "port, for development and tests only. Stops on SIGTERM/SIGINT.\n\n");
                cfg_print_help(g_cfg_items, CFG_N);
                return 0;
        }
        log_init("devbroker");
        memset(&cfg, 0, sizeof(cfg));
        if (cfg_load(g_cfg_items, CFG_N, &cfg, errstr, sizeof(errstr)) != 0 ||
            cfg_check(&cfg, errstr, sizeof(errstr)) != 0) {
                log_error("configuration: %s", errstr);
                cfg_free(g_cfg_items, CFG_N, &cfg);
                return 2;
        }
        sig_install();
        log_info("prahari-devbroker keeps every message in memory only: everything is lost when "
                 "it stops. It is for development and tests, never for production; point "
                 "KAFKA_BOOTSTRAP_SERVERS at a real Kafka cluster instead");
        cfg_log(g_cfg_items, CFG_N, &cfg);
        if (ports_free(&cfg) != 0)
                goto out;

        /* The mock cluster needs a client handle that lives as long as it does. */
        conf = rd_kafka_conf_new();
        rd_kafka_conf_set_log_cb(conf, rk_log_cb);
        if (rd_kafka_conf_set(conf, "client.id", "prahari-devbroker", errstr, sizeof(errstr)) !=
            RD_KAFKA_CONF_OK) {
                log_error("librdkafka conf: %s", errstr);
                rd_kafka_conf_destroy(conf);
                goto out;
        }
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!rk) {
                log_error("rd_kafka_new: %s", errstr);
                rd_kafka_conf_destroy(conf);
                goto out;
        }
        conf = NULL; /* owned by rk now */

        mcluster = cluster_start(rk, &cfg);
        if (!mcluster)
                goto out;
        log_info("ready: Kafka protocol on %s (librdkafka %s mock cluster, %ld broker%s)",
                 rd_kafka_mock_cluster_bootstraps(mcluster), rd_kafka_version_str(), cfg.brokers,
                 cfg.brokers == 1 ? "" : "s");

        while (!sig_stop_requested())
                rd_kafka_poll(rk, 200);

        log_info("stopping on signal; in-memory messages are discarded");
        rc = 0;
out:
        if (mcluster)
                rd_kafka_mock_cluster_destroy(mcluster);
        if (rk)
                rd_kafka_destroy(rk);
        cfg_free(g_cfg_items, CFG_N, &cfg);
        log_info("stopped");
        return rc;
}
