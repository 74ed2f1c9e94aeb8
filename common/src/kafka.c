/* SPDX-License-Identifier: Apache-2.0 */
/* librdkafka wrappers with the project's delivery rules: idempotent producer
 * (acks=all) whose synchronous produce waits for the delivery report of that
 * very message, and a consumer that stores offsets only when told to and
 * commits them every second and on close. Configuration comes from KAFKA_*
 * environment variables; librdkafka's logs go through log.h. */
#include "prahari/kafka.h"
#include "prahari/cfg.h"
#include "prahari/log.h"
#include "prahari/metrics.h"
#include "prahari/util.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

extern char **environ;

#define DEFAULT_BOOTSTRAP "127.0.0.1:19092"

/* First member of both handles: what the error callback needs. */
struct kq_base {
        atomic_int fatal;
        const char *role; /* "producer" / "consumer", for logs */
};

/* ==== Configuration from the environment ==== */

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
        (void)rk;
        enum log_level lvl = level <= 3 ? LOG_ERROR : level == 4 ? LOG_WARN
                                                  : level <= 6   ? LOG_INFO
                                                                 : LOG_DEBUG;
        /* One KAFKA_* environment serves both producers and consumers, so a
         * property meant for the other kind is expected, not a problem. */
        if (lvl == LOG_WARN && strcmp(fac, "CONFWARN") == 0 &&
            strstr(buf, "will be ignored by this"))
                lvl = LOG_DEBUG;
        log_msg(lvl, NULL, NULL, "rdkafka %s: %s", fac, buf);
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
        struct kq_base *b = opaque;
        if (err == RD_KAFKA_RESP_ERR__FATAL) {
                char why[512];
                rd_kafka_resp_err_t orig = rd_kafka_fatal_error(rk, why, sizeof why);
                log_error("kafka %s: fatal error %s: %s", b->role, rd_kafka_err2name(orig), why);
                atomic_store(&b->fatal, 1);
                return;
        }
        log_warn("kafka %s: %s: %s", b->role, rd_kafka_err2name((rd_kafka_resp_err_t)err),
                 reason);
}

static int conf_set(rd_kafka_conf_t *conf, const char *what, const char *prop, const char *val,
                    char *err, size_t errsz)
{
        char e[512];
        if (rd_kafka_conf_set(conf, prop, val, e, sizeof e) != RD_KAFKA_CONF_OK) {
                snprintf(err, errsz, "%s: %s", what, e);
                return -1;
        }
        return 0;
}

/* PRAHARI_KAFKA_* integer setting -> librdkafka property. */
static int conf_set_env_ms(rd_kafka_conf_t *conf, const char *env, const char *prop,
                           const char *def, long max, char *err, size_t errsz)
{
        const char *v = getenv(env);
        if (!v || !*v)
                v = def;
        long ms;
        if (cfg_parse_long(v, 0, max, &ms) != 0) {
                snprintf(err, errsz, "%s: '%s' is not an integer in [0, %ld]", env, v, max);
                return -1;
        }
        char buf[32];
        snprintf(buf, sizeof buf, "%ld", ms);
        return conf_set(conf, env, prop, buf, err, errsz);
}

/* Every KAFKA_X_Y=v becomes x.y=v; KAFKA_X_Y_FILE=path becomes x.y=<file>. */
static int conf_from_env(rd_kafka_conf_t *conf, char *err, size_t errsz)
{
        for (char **e = environ; e && *e; e++) {
                if (strncmp(*e, "KAFKA_", 6) != 0)
                        continue;
                const char *eq = strchr(*e, '=');
                if (!eq || eq[1] == '\0')
                        continue; /* empty counts as unset */
                char var[128], prop[128];
                size_t nlen = (size_t)(eq - *e);
                if (nlen >= sizeof var || nlen <= 6) {
                        snprintf(err, errsz, "%.*s: name too long", (int)(nlen > 100 ? 100 : nlen),
                                 *e);
                        return -1;
                }
                memcpy(var, *e, nlen);
                var[nlen] = '\0';
                const char *name = var + 6;
                size_t plen = strlen(name);
                int is_file = plen > 5 && strcmp(name + plen - 5, "_FILE") == 0;
                if (is_file)
                        plen -= 5;
                for (size_t i = 0; i < plen; i++)
                        prop[i] = name[i] == '_' ? '.' : (char)tolower((unsigned char)name[i]);
                prop[plen] = '\0';
                const char *val = eq + 1;
                char *file_val = NULL;
                if (is_file) {
                        size_t len = 0;
                        file_val = util_read_file(val, &len);
                        if (!file_val) {
                                snprintf(err, errsz, "%s: cannot read file '%s': %s", var, val,
                                         strerror(errno));
                                return -1;
                        }
                        while (len > 0 &&
                               (file_val[len - 1] == '\n' || file_val[len - 1] == '\r'))
                                file_val[--len] = '\0';
                        val = file_val;
                }
                int rc = conf_set(conf, var, prop, val, err, errsz);
                free(file_val);
                if (rc != 0)
                        return -1;
        }
        return 0;
}

static rd_kafka_conf_t *conf_new(struct kq_base *base, const char *client_id, char *err,
                                 size_t errsz)
{
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        if (conf_set(conf, "bootstrap.servers", "bootstrap.servers", DEFAULT_BOOTSTRAP, err,
                     errsz) ||
            conf_set(conf, "socket.nagle.disable", "socket.nagle.disable", "true", err, errsz) ||
            (client_id && *client_id &&
             conf_set(conf, "client.id", "client.id", client_id, err, errsz)) ||
            conf_from_env(conf, err, errsz)) {
                rd_kafka_conf_destroy(conf);
                return NULL;
        }
        rd_kafka_conf_set_log_cb(conf, log_cb);
        rd_kafka_conf_set_error_cb(conf, error_cb);
        rd_kafka_conf_set_opaque(conf, base);
        return conf;
}

/* ==== Producer ==== */

/* One produced message awaiting its delivery report. */
struct kq_pending {
        struct kq_pending *next; /* async completions waiting for kq_producer_poll */
        int sync;
        int done;
        int abandoned; /* sync caller timed out: the report frees this */
        bool ok;
        char errstr[256];
        kq_delivery_cb cb;
        void *opaque;
};

struct kq_producer {
        struct kq_base base;
        rd_kafka_t *rk;
        pthread_mutex_t mu;
        pthread_cond_t cv;
        int polling; /* one thread at a time calls rd_kafka_poll; others wait on cv */
        struct kq_pending *done_head, *done_tail;
        atomic_llong ready_until_us;
};

/* Runs inside rd_kafka_poll/flush on whichever thread serves the queue. */
static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
        (void)rk;
        struct kq_producer *p = opaque;
        struct kq_pending *pd = rkm->_private;
        if (!pd)
                return;
        pthread_mutex_lock(&p->mu);
        pd->ok = rkm->err == RD_KAFKA_RESP_ERR_NO_ERROR;
        if (!pd->ok)
                snprintf(pd->errstr, sizeof pd->errstr, "%s", rd_kafka_err2str(rkm->err));
        if (pd->sync) {
                if (pd->abandoned) {
                        free(pd);
                } else {
                        pd->done = 1;
                        pthread_cond_broadcast(&p->cv);
                }
        } else {
                pd->next = NULL;
                if (p->done_tail)
                        p->done_tail->next = pd;
                else
                        p->done_head = pd;
                p->done_tail = pd;
        }
        pthread_mutex_unlock(&p->mu);
}

struct kq_producer *kq_producer_new(const char *client_id, char *err, size_t errsz)
{
        struct kq_producer *p = calloc(1, sizeof *p);
        if (!p) {
                snprintf(err, errsz, "kafka producer: out of memory");
                return NULL;
        }
        p->base.role = "producer";
        pthread_mutex_init(&p->mu, NULL);
        pthread_cond_init(&p->cv, NULL);
        rd_kafka_conf_t *conf = conf_new(&p->base, client_id, err, errsz);
        if (!conf)
                goto fail;
        /* Our rules come after the passthrough: they are not negotiable. */
        if (conf_set(conf, "enable.idempotence", "enable.idempotence", "true", err, errsz) ||
            conf_set(conf, "acks", "acks", "all", err, errsz) ||
            conf_set_env_ms(conf, "PRAHARI_KAFKA_LINGER_MS", "linger.ms", "0", 900000, err,
                            errsz)) {
                rd_kafka_conf_destroy(conf);
                goto fail;
        }
        rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
        rd_kafka_conf_set_opaque(conf, p); /* base is the first member */
        char e[512];
        p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof e);
        if (!p->rk) {
                rd_kafka_conf_destroy(conf);
                snprintf(err, errsz, "kafka producer: %s", e);
                goto fail;
        }
        conf = NULL; /* owned by rk */
        /* Warm up: connect and fetch metadata now, so that the first alert does
         * not wait for the connection and the idempotent producer id (~1 s on
         * the dev broker). A broker that is down is not an error here. */
        {
                const struct rd_kafka_metadata *md = NULL;
                if (rd_kafka_metadata(p->rk, 0, NULL, &md, 2000) == RD_KAFKA_RESP_ERR_NO_ERROR)
                        rd_kafka_metadata_destroy(md);
        }
        return p;
fail:
        pthread_cond_destroy(&p->cv);
        pthread_mutex_destroy(&p->mu);
        free(p);
        return NULL;
}

/* Serve the producer queue for up to @p timeout_ms, or wait while another
 * thread serves it; returns early once *@p done is set. */
static void serve(struct kq_producer *p, int timeout_ms, const int *done)
{
        pthread_mutex_lock(&p->mu);
        if (done && *done) {
                pthread_mutex_unlock(&p->mu);
                return;
        }
        if (p->polling) {
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
                ts.tv_sec += timeout_ms / 1000 + ts.tv_nsec / 1000000000L;
                ts.tv_nsec %= 1000000000L;
                pthread_cond_timedwait(&p->cv, &p->mu, &ts);
                pthread_mutex_unlock(&p->mu);
                return;
        }
        p->polling = 1;
        pthread_mutex_unlock(&p->mu);
        rd_kafka_poll(p->rk, timeout_ms);
        pthread_mutex_lock(&p->mu);
        p->polling = 0;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
}

/* Run the callbacks of async messages whose reports arrived, on this thread. */
static void drain_async(struct kq_producer *p)
{
        pthread_mutex_lock(&p->mu);
        struct kq_pending *pd = p->done_head;
        p->done_head = p->done_tail = NULL;
        pthread_mutex_unlock(&p->mu);
        while (pd) {
                struct kq_pending *next = pd->next;
                if (pd->cb)
                        pd->cb(pd->opaque, pd->ok, pd->ok ? NULL : pd->errstr);
                free(pd);
                pd = next;
        }
}

static rd_kafka_resp_err_t produce(struct kq_producer *p, const char *topic, const char *key,
                                   size_t keylen, const void *val, size_t len,
                                   const char *traceparent, struct kq_pending *pd)
{
        rd_kafka_headers_t *hdrs = rd_kafka_headers_new(2);
        if (traceparent && *traceparent)
                rd_kafka_header_add(hdrs, "traceparent", -1, traceparent, -1);
        rd_kafka_header_add(hdrs, "schema", -1, KQ_SCHEMA_ID, -1);
        rd_kafka_resp_err_t e = rd_kafka_producev(
                p->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, key ? keylen : 0),
                RD_KAFKA_V_VALUE((void *)val, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE(pd), RD_KAFKA_V_END);
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
                rd_kafka_headers_destroy(hdrs); /* only owned by librdkafka on success */
        return e;
}

int kq_produce_sync(struct kq_producer *p, const char *topic, const char *key, size_t keylen,
                    const void *val, size_t len, const char *traceparent, int timeout_ms,
                    char *err, size_t errsz)
{
        if (atomic_load(&p->base.fatal)) {
                snprintf(err, errsz, "kafka producer: fatal error earlier");
                return -1;
        }
        if (timeout_ms <= 0)
                timeout_ms = 10000;
        int64_t deadline = util_mono_us() + (int64_t)timeout_ms * 1000;
        struct kq_pending *pd = calloc(1, sizeof *pd);
        if (!pd) {
                snprintf(err, errsz, "kafka producer: out of memory");
                return -1;
        }
        pd->sync = 1;
        for (;;) {
                rd_kafka_resp_err_t e = produce(p, topic, key, keylen, val, len, traceparent, pd);
                if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
                        break;
                if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL || util_mono_us() >= deadline) {
                        snprintf(err, errsz, "produce to %s: %s", topic, rd_kafka_err2str(e));
                        free(pd);
                        return -1;
                }
                serve(p, 50, NULL); /* queue full: make room, never drop */
        }
        for (;;) {
                int64_t left = deadline - util_mono_us();
                pthread_mutex_lock(&p->mu);
                if (pd->done) {
                        pthread_mutex_unlock(&p->mu);
                        break;
                }
                if (left <= 0) {
                        pd->abandoned = 1; /* the delivery report frees it */
                        pthread_mutex_unlock(&p->mu);
                        snprintf(err, errsz, "produce to %s: no acknowledgement within %d ms",
                                 topic, timeout_ms);
                        return -1;
                }
                pthread_mutex_unlock(&p->mu);
                int slice = left / 1000 > 100 ? 100 : (int)(left / 1000) + 1;
                serve(p, slice, &pd->done);
        }
        int rc = 0;
        if (!pd->ok) {
                snprintf(err, errsz, "produce to %s: %s", topic, pd->errstr);
                rc = -1;
        }
        free(pd);
        return rc;
}

int kq_produce_async(struct kq_producer *p, const char *topic, const char *key, size_t keylen,
                     const void *val, size_t len, const char *traceparent, kq_delivery_cb cb,
                     void *opaque, char *err, size_t errsz)
{
        if (atomic_load(&p->base.fatal)) {
                snprintf(err, errsz, "kafka producer: fatal error earlier");
                return -1;
        }
        struct kq_pending *pd = calloc(1, sizeof *pd);
        if (!pd) {
                snprintf(err, errsz, "kafka producer: out of memory");
                return -1;
        }
        pd->cb = cb;
        pd->opaque = opaque;
        rd_kafka_resp_err_t e = produce(p, topic, key, keylen, val, len, traceparent, pd);
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
                snprintf(err, errsz, "produce to %s: %s", topic, rd_kafka_err2str(e));
                free(pd);
                return -1;
        }
        return 0;
}

void kq_producer_poll(struct kq_producer *p, int timeout_ms)
{
        serve(p, timeout_ms, NULL);
        drain_async(p);
}

int kq_producer_flush(struct kq_producer *p, int timeout_ms)
{
        rd_kafka_resp_err_t e = rd_kafka_flush(p->rk, timeout_ms);
        drain_async(p);
        return e == RD_KAFKA_RESP_ERR_NO_ERROR ? 0 : -1;
}

bool kq_producer_ready(struct kq_producer *p)
{
        if (!p || atomic_load(&p->base.fatal))
                return false;
        int64_t now = util_mono_us();
        if (atomic_load(&p->ready_until_us) > now)
                return true;
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t e = rd_kafka_metadata(p->rk, 0, NULL, &md, 1000);
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
                return false;
        bool ok = md->broker_cnt > 0;
        rd_kafka_metadata_destroy(md);
        if (ok)
                atomic_store(&p->ready_until_us, now + 5 * 1000000LL);
        return ok;
}

bool kq_producer_fatal(struct kq_producer *p)
{
        return p && atomic_load(&p->base.fatal);
}

int kq_producer_close(struct kq_producer *p, int timeout_ms)
{
        if (!p)
                return 0;
        int lost = 0;
        if (rd_kafka_flush(p->rk, timeout_ms) != RD_KAFKA_RESP_ERR_NO_ERROR) {
                lost = rd_kafka_outq_len(p->rk);
                log_error("kafka producer: %d message(s) not acknowledged at shutdown", lost);
                rd_kafka_purge(p->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
                rd_kafka_flush(p->rk, 1000); /* serve the purge reports */
        }
        drain_async(p);
        rd_kafka_destroy(p->rk);
        pthread_cond_destroy(&p->cv);
        pthread_mutex_destroy(&p->mu);
        free(p);
        return lost;
}

void kq_producer_destroy(struct kq_producer *p)
{
        (void)kq_producer_close(p, 5000);
}

/* ==== Consumer ==== */

struct kq_consumer {
        struct kq_base base;
        rd_kafka_t *rk;
        atomic_int assigned; /* partitions currently assigned */
        char group[128];     /* group.id, for the lag metric's labels */
};

static void commit_stored(rd_kafka_t *rk, const char *when)
{
        rd_kafka_resp_err_t e = rd_kafka_commit(rk, NULL, 0);
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR__NO_OFFSET)
                log_warn("kafka consumer: commit %s: %s", when, rd_kafka_err2str(e));
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
        struct kq_consumer *c = opaque;
        bool coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
        rd_kafka_error_t *error = NULL;
        rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR_NO_ERROR;

        switch (err) {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
                if (coop) {
                        error = rd_kafka_incremental_assign(rk, parts);
                        atomic_fetch_add(&c->assigned, parts->cnt);
                } else {
                        e = rd_kafka_assign(rk, parts);
                        atomic_store(&c->assigned, parts->cnt);
                }
                log_info("kafka consumer: assigned %d partition(s)", parts->cnt);
                break;
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
                if (rd_kafka_assignment_lost(rk))
                        log_warn("kafka consumer: assignment lost; uncommitted work will be redelivered");
                else
                        commit_stored(rk, "on revoke");
                if (coop) {
                        error = rd_kafka_incremental_unassign(rk, parts);
                        atomic_fetch_sub(&c->assigned, parts->cnt);
                } else {
                        e = rd_kafka_assign(rk, NULL);
                        atomic_store(&c->assigned, 0);
                }
                log_info("kafka consumer: revoked %d partition(s)", parts->cnt);
                break;
        default:
                log_error("kafka consumer: rebalance failed: %s", rd_kafka_err2str(err));
                e = rd_kafka_assign(rk, NULL);
                atomic_store(&c->assigned, 0);
                break;
        }
        if (error) {
                log_error("kafka consumer: incremental rebalance: %s", rd_kafka_error_string(error));
                rd_kafka_error_destroy(error);
        } else if (e) {
                log_error("kafka consumer: rebalance: %s", rd_kafka_err2str(e));
        }
}

/*
 * librdkafka's statistics (every PRAHARI_KAFKA_STATS_MS, default 5000) give the
 * consumer lag of every assigned partition without a blocking request: they
 * become the gauge prahari_kafka_consumer_lag{group,topic,partition}. Served
 * from the consumer's own poll, so it costs the message loop nothing extra.
 */
static int stats_cb(rd_kafka_t *rk, char *json, size_t json_len, void *opaque)
{
        (void)rk;
        const struct kq_consumer *c = opaque;
        json_t *root = json_loadb(json, json_len, 0, NULL);
        if (!root)
                return 0;
        const char *group = c ? c->group : "";
        const char *tname;
        json_t *topic;
        json_object_foreach(json_object_get(root, "topics"), tname, topic)
        {
                const char *pname;
                json_t *part;
                json_object_foreach(json_object_get(topic, "partitions"), pname, part)
                {
                        json_t *lag = json_object_get(part, "consumer_lag");
                        json_t *desired = json_object_get(part, "desired");
                        if (strcmp(pname, "-1") == 0 || !json_is_integer(lag) ||
                            (desired && !json_is_true(desired)))
                                continue;
                        char labels[512];
                        snprintf(labels, sizeof labels, "group=\"%s\",topic=\"%s\",partition=\"%s\"",
                                 group, tname, pname);
                        struct metric *m = metrics_gauge(
                                "prahari_kafka_consumer_lag",
                                "Messages behind the partition's high watermark (librdkafka stats)",
                                labels);
                        json_int_t v = json_integer_value(lag);
                        metric_set(m, v < 0 ? 0 : (double)v);
                }
        }
        json_decref(root);
        return 0; /* librdkafka frees json */
}

struct kq_consumer *kq_consumer_new(const char *group_id, const char *const *topics,
                                    size_t ntopics, char *err, size_t errsz)
{
        struct kq_consumer *c = calloc(1, sizeof *c);
        if (!c) {
                snprintf(err, errsz, "kafka consumer: out of memory");
                return NULL;
        }
        c->base.role = "consumer";
        util_strlcpy(c->group, group_id, sizeof c->group);
        rd_kafka_conf_t *conf = conf_new(&c->base, group_id, err, errsz);
        if (!conf)
                goto fail;
        if (conf_set(conf, "group.id", "group.id", group_id, err, errsz) ||
            conf_set(conf, "enable.auto.offset.store", "enable.auto.offset.store", "false", err,
                     errsz) ||
            conf_set(conf, "enable.auto.commit", "enable.auto.commit", "true", err, errsz) ||
            conf_set(conf, "auto.commit.interval.ms", "auto.commit.interval.ms", "1000", err,
                     errsz) ||
            conf_set(conf, "auto.offset.reset", "auto.offset.reset", "earliest", err, errsz) ||
            conf_set_env_ms(conf, "PRAHARI_KAFKA_FETCH_WAIT_MS", "fetch.wait.max.ms", "10",
                            300000, err, errsz) ||
            conf_set_env_ms(conf, "PRAHARI_KAFKA_STATS_MS", "statistics.interval.ms", "5000",
                            3600000, err, errsz)) {
                rd_kafka_conf_destroy(conf);
                goto fail;
        }
        rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
        rd_kafka_conf_set_stats_cb(conf, stats_cb);
        rd_kafka_conf_set_opaque(conf, c);
        char e[512];
        c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, e, sizeof e);
        if (!c->rk) {
                rd_kafka_conf_destroy(conf);
                snprintf(err, errsz, "kafka consumer: %s", e);
                goto fail;
        }
        conf = NULL; /* owned by rk */
        rd_kafka_poll_set_consumer(c->rk);
        rd_kafka_topic_partition_list_t *subs =
                rd_kafka_topic_partition_list_new((int)(ntopics ? ntopics : 1));
        for (size_t i = 0; i < ntopics; i++)
                rd_kafka_topic_partition_list_add(subs, topics[i], RD_KAFKA_PARTITION_UA);
        rd_kafka_resp_err_t se = rd_kafka_subscribe(c->rk, subs);
        rd_kafka_topic_partition_list_destroy(subs);
        if (se != RD_KAFKA_RESP_ERR_NO_ERROR) {
                snprintf(err, errsz, "kafka consumer: subscribe: %s", rd_kafka_err2str(se));
                rd_kafka_destroy(c->rk);
                goto fail;
        }
        return c;
fail:
        free(c);
        return NULL;
}

static char *dup_bytes(const void *src, size_t len)
{
        char *d = malloc(len + 1);
        if (!d)
                return NULL;
        if (len)
                memcpy(d, src, len);
        d[len] = '\0';
        return d;
}

static void seek_to(struct kq_consumer *c, const char *topic, int32_t partition, int64_t offset)
{
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(l, topic, partition)->offset = offset;
        rd_kafka_error_t *error = rd_kafka_seek_partitions(c->rk, l, 5000);
        if (error) {
                log_error("kafka consumer: seek %s[%d] to %lld: %s", topic, (int)partition,
                          (long long)offset, rd_kafka_error_string(error));
                rd_kafka_error_destroy(error);
        } else if (l->elems[0].err) {
                log_error("kafka consumer: seek %s[%d] to %lld: %s", topic, (int)partition,
                          (long long)offset, rd_kafka_err2str(l->elems[0].err));
        }
        rd_kafka_topic_partition_list_destroy(l);
}

int kq_consumer_poll(struct kq_consumer *c, int timeout_ms, struct kq_msg *out)
{
        memset(out, 0, sizeof *out);
        rd_kafka_message_t *rkm = rd_kafka_consumer_poll(c->rk, timeout_ms);
        if (!rkm)
                return 0;
        if (rkm->err) {
                if (rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                        rd_kafka_message_destroy(rkm);
                        return 0;
                }
                if (rkm->err == RD_KAFKA_RESP_ERR__FATAL)
                        atomic_store(&c->base.fatal, 1);
                log_warn("kafka consumer: %s%s%s", rkm->rkt ? rd_kafka_topic_name(rkm->rkt) : "",
                         rkm->rkt ? ": " : "", rd_kafka_message_errstr(rkm));
                rd_kafka_message_destroy(rkm);
                return -1;
        }
        char *key = rkm->key ? dup_bytes(rkm->key, rkm->key_len) : NULL;
        char *payload = dup_bytes(rkm->payload ? rkm->payload : "", rkm->payload ? rkm->len : 0);
        if ((rkm->key && !key) || !payload) {
                log_error("kafka consumer: out of memory; message will be redelivered");
                seek_to(c, rd_kafka_topic_name(rkm->rkt), rkm->partition, rkm->offset);
                free(key);
                free(payload);
                rd_kafka_message_destroy(rkm);
                return -1;
        }
        out->topic = rd_kafka_topic_name(rkm->rkt);
        out->partition = rkm->partition;
        out->offset = rkm->offset;
        out->key = key;
        out->keylen = key ? rkm->key_len : 0;
        out->payload = payload;
        out->len = rkm->payload ? rkm->len : 0;
        out->rkm = rkm;
        rd_kafka_headers_t *hdrs = NULL;
        if (rd_kafka_message_headers(rkm, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
                const void *v = NULL;
                size_t vlen = 0;
                if (rd_kafka_header_get_last(hdrs, "traceparent", &v, &vlen) ==
                            RD_KAFKA_RESP_ERR_NO_ERROR &&
                    v && vlen < sizeof out->traceparent) {
                        memcpy(out->traceparent, v, vlen);
                        out->traceparent[vlen] = '\0';
                        if (strlen(out->traceparent) != vlen)
                                out->traceparent[0] = '\0';
                }
        }
        return 1;
}

int kq_consumer_store(struct kq_consumer *c, const struct kq_msg *m)
{
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(l, m->topic, m->partition)->offset = m->offset + 1;
        rd_kafka_resp_err_t e = rd_kafka_offsets_store(c->rk, l);
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
                e = l->elems[0].err;
        rd_kafka_topic_partition_list_destroy(l);
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
                log_warn("kafka consumer: store offset %s[%d]@%lld: %s", m->topic,
                         (int)m->partition, (long long)m->offset, rd_kafka_err2str(e));
                return -1;
        }
        return 0;
}

void kq_consumer_rewind(struct kq_consumer *c, const struct kq_msg *m)
{
        seek_to(c, m->topic, m->partition, m->offset);
}

void kq_msg_release(struct kq_msg *m)
{
        if (!m)
                return;
        free((char *)m->key);
        free((char *)m->payload);
        if (m->rkm)
                rd_kafka_message_destroy(m->rkm);
        memset(m, 0, sizeof *m);
}

bool kq_consumer_ready(struct kq_consumer *c)
{
        return c && !atomic_load(&c->base.fatal) && atomic_load(&c->assigned) > 0;
}

bool kq_consumer_fatal(struct kq_consumer *c)
{
        return c && atomic_load(&c->base.fatal);
}

int64_t kq_consumer_lag(struct kq_consumer *c)
{
        rd_kafka_topic_partition_list_t *parts = NULL;
        if (rd_kafka_assignment(c->rk, &parts) != RD_KAFKA_RESP_ERR_NO_ERROR)
                return -1;
        int64_t lag = 0;
        if (parts->cnt == 0 || rd_kafka_position(c->rk, parts) != RD_KAFKA_RESP_ERR_NO_ERROR) {
                lag = parts->cnt == 0 ? 0 : -1;
                rd_kafka_topic_partition_list_destroy(parts);
                return lag;
        }
        /* Partitions not fetched from yet have no position: the group's
         * committed offset is where consumption will start. */
        rd_kafka_topic_partition_list_t *committed = rd_kafka_topic_partition_list_copy(parts);
        bool need_committed = false;
        for (int i = 0; i < parts->cnt; i++)
                need_committed |= parts->elems[i].offset < 0;
        if (need_committed &&
            rd_kafka_committed(c->rk, committed, 2000) != RD_KAFKA_RESP_ERR_NO_ERROR)
                need_committed = false;
        for (int i = 0; i < parts->cnt && lag >= 0; i++) {
                rd_kafka_topic_partition_t *tp = &parts->elems[i];
                int64_t lo = -1, hi = -1;
                if (rd_kafka_get_watermark_offsets(c->rk, tp->topic, tp->partition, &lo, &hi) !=
                            RD_KAFKA_RESP_ERR_NO_ERROR ||
                    hi < 0 || tp->offset < 0) {
                        if (rd_kafka_query_watermark_offsets(c->rk, tp->topic, tp->partition, &lo,
                                                             &hi, 2000) !=
                            RD_KAFKA_RESP_ERR_NO_ERROR) {
                                lag = -1;
                                break;
                        }
                }
                int64_t pos = tp->offset;
                if (pos < 0 && need_committed && committed->elems[i].offset >= 0)
                        pos = committed->elems[i].offset;
                if (pos < 0)
                        pos = lo; /* auto.offset.reset=earliest */
                if (pos >= 0 && hi > pos)
                        lag += hi - pos;
        }
        rd_kafka_topic_partition_list_destroy(committed);
        rd_kafka_topic_partition_list_destroy(parts);
        return lag;
}

void kq_consumer_close(struct kq_consumer *c)
{
        if (!c)
                return;
        commit_stored(c->rk, "on close");
        rd_kafka_resp_err_t e = rd_kafka_consumer_close(c->rk);
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
                log_warn("kafka consumer: close: %s", rd_kafka_err2str(e));
        rd_kafka_destroy(c->rk);
        free(c);
}

/* ==== Trace context ==== */

void kq_traceparent_new(char *out, size_t outsz)
{
        unsigned char id[24];
        do
                util_random(id, sizeof id);
        while (id[0] == 0 && id[1] == 0 && id[16] == 0 && id[17] == 0); /* never all-zero ids */
        char hex[49];
        util_hex(id, sizeof id, hex);
        snprintf(out, outsz, "00-%.32s-%.16s-01", hex, hex + 32);
}
