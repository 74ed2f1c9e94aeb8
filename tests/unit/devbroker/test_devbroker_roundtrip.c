/* SPDX-License-Identifier: Apache-2.0 */
/* Integration test of prahari-devbroker (ctest label "integration"): starts the
 * real binary on a spare port, checks the metadata it advertises (address,
 * topics, partition counts), produces and consumes one message on each topic
 * with an idempotent acks=all producer, stops it with SIGTERM (exit 0),
 * checks a second instance on a busy port fails, and that a restart with
 * other settings comes back on the same port.
 * usage: test_devbroker_roundtrip PATH_TO_prahari-devbroker [PORT]
 * (default: a free port the kernel picks; the machine may be shared). */
#include "../../testutil.h"

#include <librdkafka/rdkafka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *const k_default_topics[4] = {
        "prahari.alerts.normalized.v1", "prahari.alerts.enriched.v1",
        "prahari.alerts.routed.v1", "prahari.alerts.deadletter.v1"};
static const char *const k_topic_vars[4] = {"PRAHARI_TOPIC_NORMALIZED", "PRAHARI_TOPIC_ENRICHED",
                                             "PRAHARI_TOPIC_ROUTED", "PRAHARI_TOPIC_DEADLETTER"};

static double now_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int port_open(int port)
{
        struct sockaddr_in sin;
        int fd = socket(AF_INET, SOCK_STREAM, 0), rc;

        memset(&sin, 0, sizeof(sin));
        sin.sin_family = AF_INET;
        sin.sin_port = htons((uint16_t)port);
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        rc = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
        close(fd);
        return rc == 0;
}

/** Start the broker with PORT, PARTITIONS and the topic names (NULL = unset). */
static pid_t start_broker(const char *bin, int port, const char *partitions,
                          const char *const topics[4])
{
        pid_t pid = fork();

        if (pid == 0) {
                char portbuf[16];
                int i;

                snprintf(portbuf, sizeof(portbuf), "%d", port);
                setenv("PRAHARI_DEVBROKER_PORT", portbuf, 1);
                setenv("PRAHARI_DEVBROKER_PARTITIONS", partitions, 1);
                unsetenv("PRAHARI_DEVBROKER_BROKERS");
                for (i = 0; i < 4; i++) {
                        if (topics && topics[i])
                                setenv(k_topic_vars[i], topics[i], 1);
                        else
                                unsetenv(k_topic_vars[i]);
                }
                execl(bin, bin, (char *)NULL);
                _exit(127);
        }
        return pid;
}

/** A loopback port that is free right now (the kernel's choice). */
static int free_port(void)
{
        struct sockaddr_in sin;
        socklen_t len = sizeof(sin);
        int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

        memset(&sin, 0, sizeof(sin));
        sin.sin_family = AF_INET;
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd >= 0 && bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
            getsockname(fd, (struct sockaddr *)&sin, &len) == 0)
                port = ntohs(sin.sin_port);
        if (fd >= 0)
                close(fd);
        return port;
}

static int wait_ready(pid_t pid, int port, double timeout_s)
{
        double end = now_s() + timeout_s;
        int st;

        while (now_s() < end) {
                if (waitpid(pid, &st, WNOHANG) == pid)
                        return -1; /* died */
                if (port_open(port))
                        return 0;
                usleep(50 * 1000);
        }
        return -1;
}

/** SIGTERM, then wait up to @p timeout_s; returns the exit status or -1. */
static int stop_broker(pid_t pid, double timeout_s)
{
        double end = now_s() + timeout_s;
        int st;

        kill(pid, SIGTERM);
        while (now_s() < end) {
                pid_t r = waitpid(pid, &st, WNOHANG);
                if (r == pid)
                        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                usleep(20 * 1000);
        }
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
        return -1;
}

static rd_kafka_t *mk_client(rd_kafka_type_t type, const char *bootstrap, const char *const *kv)
{
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        char err[256];
        rd_kafka_t *rk;

        if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof(err)))
                goto fail;
        for (; kv && kv[0]; kv += 2)
                if (rd_kafka_conf_set(conf, kv[0], kv[1], err, sizeof(err))) {
                        fprintf(stderr, "conf %s: %s\n", kv[0], err);
                        goto fail;
                }
        rk = rd_kafka_new(type, conf, err, sizeof(err));
        if (rk)
                return rk;
fail:
        rd_kafka_conf_destroy(conf);
        return NULL;
}

/** Check the advertised broker and the partition count of each topic. */
static void check_metadata(const char *bootstrap, int port, const char *const topics[4],
                           const int parts[4])
{
        rd_kafka_t *rk = mk_client(RD_KAFKA_PRODUCER, bootstrap, NULL);
        const struct rd_kafka_metadata *md = NULL;
        int i, j;

        CHECK(rk != NULL);
        if (!rk)
                return;
        CHECK_INT(rd_kafka_metadata(rk, 1, NULL, &md, 5000), RD_KAFKA_RESP_ERR_NO_ERROR);
        if (md) {
                CHECK_INT(md->broker_cnt, 1);
                if (md->broker_cnt >= 1) {
                        CHECK_STR(md->brokers[0].host, "127.0.0.1");
                        CHECK_INT(md->brokers[0].port, port);
                }
                for (i = 0; i < 4; i++) {
                        int found = -1;
                        for (j = 0; j < md->topic_cnt; j++)
                                if (strcmp(md->topics[j].topic, topics[i]) == 0)
                                        found = j;
                        CHECK_MSG(found >= 0, "topic %s missing from metadata", topics[i]);
                        if (found >= 0)
                                CHECK_MSG(md->topics[found].partition_cnt == parts[i],
                                          "%s: %d partitions, want %d", topics[i],
                                          md->topics[found].partition_cnt, parts[i]);
                }
                rd_kafka_metadata_destroy(md);
        }
        rd_kafka_destroy(rk);
}

static int g_delivered, g_delivery_errors;

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
        (void)rk;
        (void)opaque;
        if (rkm->err)
                g_delivery_errors++;
        else
                g_delivered++;
}

static void roundtrip(const char *bootstrap, const char *const topics[4])
{
        static const char *const pconf[] = {"acks", "all", "enable.idempotence", "true",
                                            "linger.ms", "0", NULL};
        static const char *const cconf[] = {"group.id", "devbroker-test",
                                            "auto.offset.reset", "earliest",
                                            "fetch.wait.max.ms", "10",
                                            "enable.partition.eof", "false", NULL};
        rd_kafka_conf_t *conf;
        rd_kafka_t *p, *c;
        rd_kafka_topic_partition_list_t *subs;
        char key[64], val[64], err[256];
        int i, got[4] = {0, 0, 0, 0};
        double end;

        conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof(err));
        for (i = 0; pconf[i]; i += 2)
                rd_kafka_conf_set(conf, pconf[i], pconf[i + 1], err, sizeof(err));
        rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
        p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
        CHECK(p != NULL);
        if (!p)
                return;
        g_delivered = g_delivery_errors = 0;
        for (i = 0; i < 4; i++) {
                snprintf(key, sizeof(key), "alert-%d", i);
                snprintf(val, sizeof(val), "{\"n\":%d,\"topic\":\"%s\"}", i, topics[i]);
                CHECK_INT(rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topics[i]),
                                            RD_KAFKA_V_KEY(key, strlen(key)),
                                            RD_KAFKA_V_VALUE(val, strlen(val)),
                                            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                            RD_KAFKA_V_END),
                          RD_KAFKA_RESP_ERR_NO_ERROR);
        }
        CHECK_INT(rd_kafka_flush(p, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
        CHECK_INT(g_delivered, 4);
        CHECK_INT(g_delivery_errors, 0);
        rd_kafka_destroy(p);

        c = mk_client(RD_KAFKA_CONSUMER, bootstrap, cconf);
        CHECK(c != NULL);
        if (!c)
                return;
        rd_kafka_poll_set_consumer(c);
        subs = rd_kafka_topic_partition_list_new(4);
        for (i = 0; i < 4; i++)
                rd_kafka_topic_partition_list_add(subs, topics[i], RD_KAFKA_PARTITION_UA);
        CHECK_INT(rd_kafka_subscribe(c, subs), RD_KAFKA_RESP_ERR_NO_ERROR);
        rd_kafka_topic_partition_list_destroy(subs);
        end = now_s() + 20;
        while (now_s() < end && got[0] + got[1] + got[2] + got[3] < 4) {
                rd_kafka_message_t *rkm = rd_kafka_consumer_poll(c, 200);
                if (!rkm)
                        continue;
                if (!rkm->err) {
                        const char *t = rd_kafka_topic_name(rkm->rkt);
                        for (i = 0; i < 4; i++) {
                                if (strcmp(t, topics[i]) != 0)
                                        continue;
                                snprintf(key, sizeof(key), "alert-%d", i);
                                snprintf(val, sizeof(val), "{\"n\":%d,\"topic\":\"%s\"}", i,
                                         topics[i]);
                                CHECK(rkm->key_len == strlen(key) &&
                                      memcmp(rkm->key, key, rkm->key_len) == 0);
                                CHECK(rkm->len == strlen(val) &&
                                      memcmp(rkm->payload, val, rkm->len) == 0);
                                got[i]++;
                        }
                }
                rd_kafka_message_destroy(rkm);
        }
        for (i = 0; i < 4; i++)
                CHECK_MSG(got[i] == 1, "topic %s: consumed %d messages, want 1", topics[i],
                          got[i]);
        rd_kafka_consumer_close(c);
        rd_kafka_destroy(c);
}

int main(int argc, char **argv)
{
        static const char *const custom[4] = {"it.norm", "it.enr", "it.routed", "it.dead"};
        static const int parts6[4] = {6, 6, 6, 1};
        static const int parts3[4] = {3, 3, 3, 1};
        const char *bin;
        char bootstrap[64];
        long port = 0;
        pid_t pid, pid2;
        int rc;

        if (argc < 2) {
                fprintf(stderr, "usage: %s PATH_TO_prahari-devbroker [PORT]\n", argv[0]);
                return 2;
        }
        bin = argv[1];
        if (argc > 2)
                port = strtol(argv[2], NULL, 10);
        if (port <= 0 || port > 65535)
                port = free_port();
        if (port_open((int)port)) {
                fprintf(stderr, "port %ld is already in use; pick another\n", port);
                return 1;
        }
        snprintf(bootstrap, sizeof(bootstrap), "127.0.0.1:%ld", port);

        /* 1. defaults: the four topics of docs/architecture.md */
        pid = start_broker(bin, (int)port, "6", NULL);
        CHECK(pid > 0);
        CHECK_INT(wait_ready(pid, (int)port, 10), 0);
        check_metadata(bootstrap, (int)port, k_default_topics, parts6);
        roundtrip(bootstrap, k_default_topics);

        /* 2. a second instance on the same port must fail, not listen elsewhere */
        pid2 = start_broker(bin, (int)port, "6", NULL);
        {
                int st = 0;
                double end = now_s() + 10;
                pid_t r = 0;
                while (now_s() < end && (r = waitpid(pid2, &st, WNOHANG)) == 0)
                        usleep(20 * 1000);
                if (r == 0) {
                        kill(pid2, SIGKILL);
                        waitpid(pid2, &st, 0);
                }
                CHECK_MSG(r == pid2 && WIFEXITED(st) && WEXITSTATUS(st) == 1,
                          "second broker on a busy port: exited=%d status=%d", r == pid2,
                          WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        }

        rc = stop_broker(pid, 15);
        CHECK_INT(rc, 0);
        CHECK(!port_open((int)port));

        /* 3. restart at once (TIME_WAIT sockets remain): same port, env topics */
        pid = start_broker(bin, (int)port, "3", custom);
        CHECK_INT(wait_ready(pid, (int)port, 10), 0);
        check_metadata(bootstrap, (int)port, custom, parts3);
        roundtrip(bootstrap, custom);
        CHECK_INT(stop_broker(pid, 15), 0);

        /* 4. bad settings exit 2 and name the variable (seen in the log) */
        {
                pid_t p3 = start_broker(bin, (int)port, "zero", NULL);
                int st = 0;
                waitpid(p3, &st, 0);
                CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 2);
        }
        return test_summary("devbroker_roundtrip");
}
