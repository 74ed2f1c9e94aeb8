/* SPDX-License-Identifier: Apache-2.0 */
/* Outbox thread (edge): produce committed revisions keyed by alert id with a
 * new traceparent, record acknowledgements in PostgreSQL, and reconcile:
 * republish what some downstream stage (enrich, router, notifier) has not
 * recorded. */
#include "outbox.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "prahari/log.h"
#include "prahari/metrics.h"
#include "prahari/pg.h"
#include "prahari/util.h"

struct ob_msg {
        char alert_id[37];
        int revision;
        char *wire;
        bool republish;
        struct ob_msg *next;
};

struct ob_ack {
        char alert_id[37];
        int revision;
        bool ok;
        struct outbox *ob;
};

struct outbox {
        struct kq_producer *p;
        struct outbox_cfg cfg;
        pthread_mutex_t mu;
        pthread_cond_t cv;
        struct ob_msg *head, *tail;
        bool stopping;
        bool db_ok;
        pthread_t thr;
        PGconn *conn;
        /* acknowledged, to be recorded (outbox thread only) */
        struct ob_ack **acks;
        size_t nacks, capacks;
        size_t inflight;
        /* A produce failed since the last success: when the broker is back, the
         * reconciler's doubled waits are cut short (outbox thread only). */
        bool broker_failing, broker_back;
        struct metric *m_republished, *m_quarantine, *m_published, *m_failed;
};

static void delivery_cb(void *opaque, bool ok, const char *errstr)
{
        struct ob_ack *a = opaque;
        struct outbox *ob = a->ob;
        ob->inflight--;
        if (!ok) {
                log_alert(LOG_WARN, a->alert_id, NULL,
                          "not acknowledged by the broker (%s); the reconciler will republish",
                          errstr ? errstr : "?");
                metric_inc(ob->m_failed, 1);
                ob->broker_failing = true;
                free(a);
                return;
        }
        if (ob->broker_failing) {
                ob->broker_failing = false;
                ob->broker_back = true;
        }
        if (ob->nacks == ob->capacks) {
                size_t nc = ob->capacks ? ob->capacks * 2 : 64;
                struct ob_ack **n = realloc(ob->acks, nc * sizeof(*n));
                if (!n) {
                        free(a);
                        return;
                }
                ob->acks = n;
                ob->capacks = nc;
        }
        ob->acks[ob->nacks++] = a;
}

static void produce_one(struct outbox *ob, struct ob_msg *m)
{
        char tp[64], err[256];
        kq_traceparent_new(tp, sizeof(tp));
        struct ob_ack *a = calloc(1, sizeof(*a));
        if (!a)
                return;
        snprintf(a->alert_id, sizeof(a->alert_id), "%s", m->alert_id);
        a->revision = m->revision;
        a->ob = ob;
        if (kq_produce_async(ob->p, ob->cfg.topic, m->alert_id, strlen(m->alert_id), m->wire,
                             strlen(m->wire), tp, delivery_cb, a, err, sizeof(err)) != 0) {
                log_alert(LOG_WARN, m->alert_id, tp, "%s; the reconciler will republish", err);
                ob->broker_failing = true;
                free(a);
                return;
        }
        ob->inflight++;
        log_alert(LOG_DEBUG, m->alert_id, tp, "produced revision %d%s", m->revision,
                  m->republish ? " (republished)" : "");
}

/* Record acknowledged revisions: published_revision and timeline rows, one
 * statement each for the whole set. */
static void record_acks(struct outbox *ob)
{
        if (ob->nacks == 0)
                return;
        size_t cap = ob->nacks * 40 + 8;
        char *ids = malloc(cap), *revs = malloc(ob->nacks * 12 + 8);
        if (!ids || !revs)
                goto out;
        size_t io = 0, ro = 0;
        ids[io++] = '{';
        revs[ro++] = '{';
        for (size_t i = 0; i < ob->nacks; i++) {
                io += (size_t)snprintf(ids + io, cap - io, "%s%s", i ? "," : "",
                                       ob->acks[i]->alert_id);
                ro += (size_t)snprintf(revs + ro, ob->nacks * 12 + 8 - ro, "%s%d", i ? "," : "",
                                       ob->acks[i]->revision);
        }
        ids[io++] = '}';
        ids[io] = '\0';
        revs[ro++] = '}';
        revs[ro] = '\0';
        if (!pg_ensure(&ob->conn, "prahari-ingest-outbox")) {
                ob->db_ok = false;
                goto out; /* the reconciler republishes later; nothing is lost */
        }
        const char *params[2] = {ids, revs};
        PGresult *r = pg_exec(
                ob->conn,
                "WITH v AS (SELECT * FROM unnest($1::uuid[], $2::int[]) AS v(id, rev)),"
                " up AS (UPDATE alerts a SET published_revision = GREATEST(a.published_revision, v.rev)"
                "        FROM v WHERE a.alert_id = v.id RETURNING a.alert_id)"
                " INSERT INTO timeline (alert_id, stage, event, actor, revision)"
                " SELECT v.id, 'ingest', 'published', 'ingest/outbox', v.rev FROM v",
                2, params);
        ob->db_ok = r != NULL;
        PQclear(r);
        metric_inc(ob->m_published, (double)ob->nacks);
out:
        for (size_t i = 0; i < ob->nacks; i++)
                free(ob->acks[i]);
        ob->nacks = 0;
        free(ids);
        free(revs);
}

/* The broker is back after failures: alerts whose republish waits doubled
 * during the outage are due now, not minutes later. */
static void reset_waits(struct outbox *ob)
{
        if (!pg_ensure(&ob->conn, "prahari-ingest-outbox"))
                return; /* tried again at the next round */
        PGresult *r = pg_exec(ob->conn,
                              "UPDATE alerts SET republish_at = now()"
                              " WHERE publish_attempts > 0 AND republish_at > now()"
                              " AND status = 'open' AND seen_downstream_revision < revision",
                              0, NULL);
        if (r) {
                log_info("broker reachable again: %s stalled alert(s) due for republishing now",
                         PQcmdTuples(r));
                ob->broker_back = false;
        }
        PQclear(r);
}

/* One reconciler round: select, mark, record, then produce. */
static void reconcile(struct outbox *ob)
{
        if (!pg_ensure(&ob->conn, "prahari-ingest-outbox")) {
                ob->db_ok = false;
                return;
        }
        char after[24], limit[24], cap[24];
        snprintf(after, sizeof(after), "%d", ob->cfg.reconcile_after_ms);
        snprintf(limit, sizeof(limit), "%d", ob->cfg.reconcile_batch);
        snprintf(cap, sizeof(cap), "%d", ob->cfg.reconcile_max_ms);
        const char *params[3] = {after, limit, cap};
        /* prahari_reconcile_candidates (migration 0102, SECURITY DEFINER:
         * ingest may not read routings or notifications) takes alerts every
         * stage has recorded out of the index of the due, and returns the due
         * ones some stage has not (enrich: no locations row, router: no
         * routings row, notifier: no level-1 notification), locked. */
        PGresult *r = pg_exec(
                ob->conn,
                "WITH due AS (SELECT * FROM prahari_reconcile_candidates($2::int)),"
                " up AS (UPDATE alerts a SET last_published_at = now(),"
                "        publish_attempts = a.publish_attempts + 1,"
                "        gap_warned_revision = CASE WHEN due.warn THEN a.revision"
                "                                   ELSE a.gap_warned_revision END,"
                "        republish_at = now() + LEAST($1::float8 * power(2, LEAST(a.publish_attempts + 1, 20)),"
                "                                     $3::float8) * interval '1 millisecond'"
                "        FROM due WHERE a.alert_id = due.alert_id"
                "        RETURNING a.alert_id, a.revision, a.canonical::text AS wire, due.missing,"
                "                  due.directory_gap, due.warn, a.republish_at - now() AS wait),"
                " tl AS (INSERT INTO timeline (alert_id, stage, event, actor, revision, detail)"
                "        SELECT alert_id, 'ingest', 'republished', 'ingest/reconciler', revision,"
                "               jsonb_build_object('missing', missing) FROM up)"
                " SELECT alert_id::text, revision, wire, missing, directory_gap, warn,"
                "        (extract(epoch FROM wait) * 1000)::bigint FROM up",
                3, params);
        ob->db_ok = r != NULL;
        if (!r)
                return;
        int n = PQntuples(r);
        for (int i = 0; i < n; i++) {
                struct ob_msg m = {.revision = (int)strtol(PQgetvalue(r, i, 1), NULL, 10),
                                   .wire = PQgetvalue(r, i, 2),
                                   .republish = true};
                snprintf(m.alert_id, sizeof(m.alert_id), "%s", PQgetvalue(r, i, 0));
                if (strcmp(PQgetvalue(r, i, 5), "t") == 0)
                        log_alert(LOG_WARN, m.alert_id, NULL,
                                  "revision %d routed but nobody at level 1 notified%s; "
                                  "republishing with a doubling wait (next in %s ms, at most %d ms)",
                                  m.revision,
                                  strcmp(PQgetvalue(r, i, 4), "t") == 0
                                          ? " (the routing names a directory gap)"
                                          : "",
                                  PQgetvalue(r, i, 6), ob->cfg.reconcile_max_ms);
                log_alert(LOG_DEBUG, m.alert_id, NULL, "reconciler: revision %d not yet %s",
                          m.revision, PQgetvalue(r, i, 3));
                produce_one(ob, &m);
        }
        if (n > 0) {
                log_info("reconciler: republished %d alert(s) not yet notified downstream", n);
                metric_inc(ob->m_republished, n);
        }
        PQclear(r);
        r = pg_exec(ob->conn, "SELECT count(*) FROM quarantine WHERE resolved_at IS NULL", 0, NULL);
        if (r) {
                metric_set(ob->m_quarantine, strtod(PQgetvalue(r, 0, 0), NULL));
                PQclear(r);
        }
}

static void *outbox_main(void *arg)
{
        struct outbox *ob = arg;
        int64_t next_reconcile = util_mono_us() + (int64_t)ob->cfg.reconcile_interval_ms * 1000;
        int64_t last_record = 0;
        for (;;) {
                pthread_mutex_lock(&ob->mu);
                if (!ob->head && !ob->stopping && ob->inflight == 0) {
                        struct timespec ts;
                        clock_gettime(CLOCK_REALTIME, &ts);
                        ts.tv_nsec += 50 * 1000000L;
                        ts.tv_sec += ts.tv_nsec / 1000000000L;
                        ts.tv_nsec %= 1000000000L;
                        pthread_cond_timedwait(&ob->cv, &ob->mu, &ts);
                }
                struct ob_msg *list = ob->head;
                ob->head = ob->tail = NULL;
                bool stopping = ob->stopping;
                pthread_mutex_unlock(&ob->mu);

                for (struct ob_msg *m = list, *next; m; m = next) {
                        next = m->next;
                        produce_one(ob, m);
                        free(m->wire);
                        free(m);
                }
                kq_producer_poll(ob->p, ob->inflight ? 5 : 0);
                /* Record acknowledgements in sets (fewer, larger statements). */
                if (ob->nacks >= 256 || stopping ||
                    (ob->nacks && util_mono_us() - last_record > 50000)) {
                        record_acks(ob);
                        last_record = util_mono_us();
                }
                if (stopping)
                        break;
                if (util_mono_us() >= next_reconcile) {
                        /* With nothing new to publish, only a probe tells that the
                         * broker is back (a metadata request, at most 1 s). */
                        if (ob->broker_failing && kq_producer_ready(ob->p)) {
                                ob->broker_failing = false;
                                ob->broker_back = true;
                        }
                        if (ob->broker_back)
                                reset_waits(ob);
                        reconcile(ob);
                        next_reconcile =
                                util_mono_us() + (int64_t)ob->cfg.reconcile_interval_ms * 1000;
                }
        }
        return NULL;
}

struct outbox *outbox_new(struct kq_producer *p, const struct outbox_cfg *cfg, char *err,
                          size_t errsz)
{
        struct outbox *ob = calloc(1, sizeof(*ob));
        if (!ob) {
                snprintf(err, errsz, "out of memory");
                return NULL;
        }
        ob->p = p;
        ob->cfg = *cfg;
        if (ob->cfg.reconcile_batch <= 0)
                ob->cfg.reconcile_batch = 500;
        if (ob->cfg.reconcile_max_ms < ob->cfg.reconcile_after_ms)
                ob->cfg.reconcile_max_ms = ob->cfg.reconcile_after_ms;
        ob->db_ok = true;
        pthread_mutex_init(&ob->mu, NULL);
        pthread_cond_init(&ob->cv, NULL);
        ob->m_republished = metrics_counter("prahari_reconciler_republished_total",
                                            "Alerts republished by the reconciler", NULL);
        ob->m_quarantine = metrics_gauge("prahari_quarantine_size",
                                         "Quarantined items not yet resolved", NULL);
        ob->m_published = metrics_counter("prahari_ingest_published_total",
                                          "Revisions acknowledged by the broker", NULL);
        ob->m_failed = metrics_counter("prahari_ingest_publish_failed_total",
                                       "Produce attempts the broker did not acknowledge", NULL);
        if (pthread_create(&ob->thr, NULL, outbox_main, ob) != 0) {
                snprintf(err, errsz, "cannot start the outbox thread");
                pthread_cond_destroy(&ob->cv);
                pthread_mutex_destroy(&ob->mu);
                free(ob);
                return NULL;
        }
        return ob;
}

void outbox_publish(struct outbox *ob, const char *alert_id, int revision, const char *wire)
{
        struct ob_msg *m = calloc(1, sizeof(*m));
        if (!m)
                return;
        m->wire = strdup(wire);
        if (!m->wire) {
                free(m);
                return;
        }
        snprintf(m->alert_id, sizeof(m->alert_id), "%s", alert_id);
        m->revision = revision;
        pthread_mutex_lock(&ob->mu);
        if (ob->tail)
                ob->tail->next = m;
        else
                ob->head = m;
        ob->tail = m;
        pthread_cond_signal(&ob->cv);
        pthread_mutex_unlock(&ob->mu);
}

bool outbox_db_ok(struct outbox *ob)
{
        return ob && ob->db_ok;
}

void outbox_destroy(struct outbox *ob, int flush_ms)
{
        if (!ob)
                return;
        pthread_mutex_lock(&ob->mu);
        ob->stopping = true;
        pthread_cond_signal(&ob->cv);
        pthread_mutex_unlock(&ob->mu);
        pthread_join(ob->thr, NULL);
        /* Wait (bounded) for acknowledgements of what is in flight, record them. */
        int64_t until = util_mono_us() + (int64_t)flush_ms * 1000;
        while (ob->inflight > 0 && util_mono_us() < until)
                kq_producer_poll(ob->p, 50);
        record_acks(ob);
        if (ob->inflight) {
                /* Their delivery callbacks may still run from the producer's
                 * final flush: keep this memory alive (process exit frees it). */
                log_warn("outbox: %zu message(s) unacknowledged at exit; the reconciler of the next run republishes them",
                         ob->inflight);
                if (ob->conn)
                        PQfinish(ob->conn);
                ob->conn = NULL;
                return;
        }
        free(ob->acks);
        if (ob->conn)
                PQfinish(ob->conn);
        pthread_cond_destroy(&ob->cv);
        pthread_mutex_destroy(&ob->mu);
        free(ob);
}
