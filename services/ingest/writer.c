/* SPDX-License-Identifier: Apache-2.0 */
/* Group commit (edge): a queue of requests guarded by one mutex, writer
 * threads that each take everything queued, commit it in one transaction and
 * call each requester back with its outcomes (the HTTP server resumes the
 * suspended connection; intake_submit_items waits on a condition). If a batch fails, each request is retried in a
 * transaction of its own so that one bad item cannot fail the others. */
#include "writer.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meta.h"
#include "outbox.h"
#include "prahari/log.h"
#include "prahari/metrics.h"
#include "prahari/pg.h"
#include "prahari/util.h"
#include "store.h"

struct intake_req {
        const struct ingest_item *items;
        size_t n;
        struct store_pending *pend; /* per item: rendered by the requester (new alerts) */
        struct intake_result *res;
        char **wires; /* per item, set by the writer; freed by it after publishing */
        int rc;
        intake_done_fn done; /* called by the writer after the commit (or failure) */
        void *arg;
        struct intake_req *next;
};

static void req_free(struct intake_req *r);

/* One writer thread and its own PostgreSQL session. */
struct writer {
        struct intake *in;
        pthread_t thr;
        bool started;
        PGconn *conn;
        int prepared_pid; /* backend whose session holds our prepared statements */
};

#define WRITERS_MAX 16

struct intake {
        pthread_mutex_t mu;
        pthread_cond_t work;
        struct intake_req *head, *tail;
        bool stopping;
        bool db_ok;
        int batch_max;
        struct writer w[WRITERS_MAX];
        int nwriters;
        struct outbox *ob;
        struct metric *m_commit, *m_batch;
};

const char *intake_outcome_name(enum intake_outcome o)
{
        switch (o) {
        case INTAKE_ACCEPTED:
                return "accepted";
        case INTAKE_DUPLICATE:
                return "duplicate";
        case INTAKE_REVISION:
                return "revision";
        case INTAKE_QUARANTINED:
                return "quarantined";
        }
        return "unknown";
}

static void free_wires(struct intake_req *r)
{
        for (size_t i = 0; i < r->n; i++) {
                free(r->wires[i]);
                r->wires[i] = NULL;
        }
}

/* Read and drop pipeline results up to the sync; false if the connection broke. */
static bool drain_to_sync(PGconn *conn)
{
        for (int nulls = 0; nulls < 100000;) {
                if (PQstatus(conn) != CONNECTION_OK)
                        return false;
                PGresult *r = PQgetResult(conn);
                if (!r) {
                        nulls++;
                        continue;
                }
                ExecStatusType st = PQresultStatus(r);
                PQclear(r);
                if (st == PGRES_PIPELINE_SYNC)
                        return true;
        }
        return false;
}

/* Store every item of the first @p nreq_max requests of @p reqs in one
 * transaction: BEGIN, the quarantine rows and one set-based INSERT of every
 * new alert go out in one pipeline (one round trip); alerts that exist
 * already (duplicates, revisions) are decided one by one afterwards; then
 * COMMIT. @returns 0 or -1. */
static int commit_batch(struct writer *w, struct intake_req *reqs, size_t nreq_max)
{
        PGconn *conn = w->conn;
        size_t n = 0, k = 0;
        for (struct intake_req *r = reqs; r && k < nreq_max; r = r->next, k++)
                n += r->n;
        struct store_pending *qpend = calloc(n ? n : 1, sizeof(*qpend)); /* quarantine rows */
        struct store_pending **rows = calloc(n ? n : 1, sizeof(*rows));
        size_t nrows = 0;
        bool *slow = calloc(n ? n : 1, sizeof(bool));
        int rc = -1;
        bool in_pipeline = false, synced = false, began = false;
        PGresult *many = NULL;
        if (!qpend || !slow || !rows || PQenterPipelineMode(conn) != 1)
                goto out;
        in_pipeline = true;
        if (!PQsendQueryParams(conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0))
                goto out;
        began = true;
        /* Quarantine rows one statement each (rare); every new alert in one
         * set-based statement. */
        size_t i = 0;
        k = 0;
        for (struct intake_req *r = reqs; r && k < nreq_max; r = r->next, k++) {
                for (size_t j = 0; j < r->n; j++, i++) {
                        const struct ingest_item *it = &r->items[j];
                        if (it->quarantined) {
                                if (store_send(conn, it, &qpend[i]) != 0)
                                        goto out;
                        } else {
                                rows[nrows++] = &r->pend[j];
                        }
                }
        }
        if (nrows && store_many_send(conn, rows, nrows) != 0)
                goto out;
        if (PQpipelineSync(conn) != 1)
                goto out;
        synced = true;
        PGresult *b = PQgetResult(conn);
        bool begin_ok = PQresultStatus(b) == PGRES_COMMAND_OK;
        PQclear(b);
        if (b)
                PQclear(PQgetResult(conn));
        if (!begin_ok)
                goto out;
        i = 0;
        k = 0;
        for (struct intake_req *r = reqs; r && k < nreq_max; r = r->next, k++) {
                for (size_t j = 0; j < r->n; j++, i++) {
                        if (!r->items[j].quarantined)
                                continue;
                        if (store_recv(conn, &r->items[j], &qpend[i], &r->res[j], &r->wires[j]) < 0)
                                goto out;
                }
        }
        if (nrows) {
                many = store_many_recv(conn);
                if (!many)
                        goto out;
        }
        /* Rows come back in insertion order: walk both lists together (a
         * linear search covers any other order). Not returned: exists already. */
        int nret = many ? PQntuples(many) : 0, pos = 0;
        i = 0;
        k = 0;
        for (struct intake_req *r = reqs; r && k < nreq_max; r = r->next, k++) {
                for (size_t j = 0; j < r->n; j++, i++) {
                        if (r->items[j].quarantined)
                                continue;
                        bool found = false;
                        const struct store_pending *p = &r->pend[j];
                        if (pos < nret && strcmp(PQgetvalue(many, pos, 0), p->alert_id) == 0) {
                                found = true;
                                pos++;
                        } else {
                                for (int x = 0; x < nret && !found; x++)
                                        found = strcmp(PQgetvalue(many, x, 0), p->alert_id) == 0;
                        }
                        if (found)
                                store_many_accepted(&r->items[j], &r->pend[j], &r->res[j],
                                                    &r->wires[j]);
                        else
                                slow[i] = true;
                }
        }
        if (!drain_to_sync(conn))
                goto out;
        synced = false;
        PQexitPipelineMode(conn);
        in_pipeline = false;
        /* The slow path: alerts that exist already. */
        i = 0;
        k = 0;
        for (struct intake_req *r = reqs; r && k < nreq_max; r = r->next, k++)
                for (size_t j = 0; j < r->n; j++, i++)
                        if (slow[i] && store_item(conn, &r->items[j], &r->res[j], &r->wires[j]) != 0)
                                goto out;
        if (pg_commit(conn) != 0)
                goto out;
        began = false;
        rc = 0;
out:
        if (in_pipeline) {
                if (synced || PQpipelineSync(conn) == 1)
                        drain_to_sync(conn);
                PQexitPipelineMode(conn);
        }
        if (rc != 0 && began && PQstatus(conn) == CONNECTION_OK)
                pg_rollback(conn);
        for (size_t x = 0; qpend && x < n; x++)
                store_pending_clear(&qpend[x]);
        PQclear(many);
        free(rows);
        free(qpend);
        free(slow);
        return rc;
}

static void process(struct writer *w, struct intake_req *batch, size_t nreq, size_t nitems)
{
        struct intake *in = w->in;
        int64_t t0 = util_mono_us();
        int rc = -1;
        bool usable = pg_ensure(&w->conn, "prahari-ingest");
        if (usable && PQbackendPID(w->conn) != w->prepared_pid) {
                usable = store_prepare(w->conn) == 0;
                w->prepared_pid = usable ? PQbackendPID(w->conn) : 0;
        }
        if (usable)
                rc = commit_batch(w, batch, nreq);
        if (rc != 0 && nreq > 1 && w->conn && PQstatus(w->conn) == CONNECTION_OK) {
                /* One request may hold the item that failed: retry one by one. */
                for (struct intake_req *r = batch; r; r = r->next) {
                        for (size_t i = 0; i < r->n; i++) {
                                free(r->wires[i]);
                                r->wires[i] = NULL;
                        }
                        r->rc = commit_batch(w, r, 1);
                        if (r->rc != 0) {
                                log_error("a request of %zu item(s) could not be stored", r->n);
                                free_wires(r);
                        } else {
                                rc = 0; /* at least one went through: the database is up */
                        }
                }
        } else {
                for (struct intake_req *r = batch; r; r = r->next) {
                        r->rc = rc;
                        if (rc != 0)
                                free_wires(r);
                }
        }
        metric_observe(in->m_commit, (double)(util_mono_us() - t0) / 1e6);
        metric_observe(in->m_batch, (double)nitems);
        pthread_mutex_lock(&in->mu);
        in->db_ok = rc == 0;
        pthread_mutex_unlock(&in->mu);
}

static void *writer_main(void *arg)
{
        struct writer *w = arg;
        struct intake *in = w->in;
        for (;;) {
                pthread_mutex_lock(&in->mu);
                while (!in->head && !in->stopping)
                        pthread_cond_wait(&in->work, &in->mu);
                if (!in->head && in->stopping) {
                        pthread_mutex_unlock(&in->mu);
                        break;
                }
                /* Take everything queued, up to batch_max items (at least one request). */
                struct intake_req *batch = in->head, *last = in->head;
                size_t nitems = last->n, nreq = 1;
                while (last->next && nitems + last->next->n <= (size_t)in->batch_max) {
                        last = last->next;
                        nitems += last->n;
                        nreq++;
                }
                in->head = last->next;
                if (!in->head)
                        in->tail = NULL;
                last->next = NULL;
                pthread_mutex_unlock(&in->mu);

                process(w, batch, nreq, nitems);

                /* Hand new alerts/revisions to the outbox before waking the
                 * callers, so that the message is queued for the broker before
                 * the partner sees 202. */
                for (struct intake_req *r = batch; r; r = r->next) {
                        for (size_t i = 0; r->rc == 0 && i < r->n; i++) {
                                if (r->wires[i] && in->ob)
                                        outbox_publish(in->ob, r->res[i].alert_id,
                                                       r->res[i].revision, r->wires[i]);
                        }
                        free_wires(r);
                }
                for (struct intake_req *r = batch, *next; r; r = next) {
                        next = r->next;
                        int rc = r->rc;
                        intake_done_fn done = r->done;
                        void *cb_arg = r->arg;
                        req_free(r);
                        done(cb_arg, rc); /* may free items and res: after req_free */
                }
        }
        return NULL;
}

struct intake *intake_new(int batch_max, int writers, struct outbox *ob, char *err,
                          size_t errsz)
{
        struct intake *in = calloc(1, sizeof(*in));
        if (!in) {
                snprintf(err, errsz, "out of memory");
                return NULL;
        }
        pthread_mutex_init(&in->mu, NULL);
        pthread_cond_init(&in->work, NULL);
        in->batch_max = batch_max > 0 ? batch_max : 1;
        in->ob = ob;
        in->db_ok = true;
        in->m_commit = metrics_histogram("prahari_ingest_commit_seconds",
                                         "Time to store and commit one batch", NULL, NULL, 0);
        static const double sizes[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};
        in->m_batch = metrics_histogram("prahari_ingest_batch_size", "Items per committed batch",
                                        NULL, sizes, sizeof(sizes) / sizeof(sizes[0]));
        in->nwriters = writers < 1 ? 1 : writers > WRITERS_MAX ? WRITERS_MAX : writers;
        for (int i = 0; i < in->nwriters; i++) {
                in->w[i].in = in;
                if (pthread_create(&in->w[i].thr, NULL, writer_main, &in->w[i]) != 0) {
                        snprintf(err, errsz, "cannot start writer thread %d", i);
                        intake_destroy(in);
                        return NULL;
                }
                in->w[i].started = true;
        }
        return in;
}

/* One allocation: the request, its wires and its rendered items. */
static void req_free(struct intake_req *r)
{
        for (size_t i = 0; i < r->n; i++) {
                free(r->wires[i]);
                store_pending_clear(&r->pend[i]);
        }
        free(r);
}

int intake_submit_async(struct intake *in, const struct ingest_item *items, size_t n,
                        struct intake_result *res, intake_done_fn done, void *arg)
{
        if (n == 0) {
                done(arg, 0);
                return 0;
        }
        struct intake_req *r = calloc(1, sizeof(*r) + n * (sizeof(char *) + sizeof(struct store_pending)));
        if (!r)
                return -1;
        r->pend = (struct store_pending *)(r + 1);
        r->wires = (char **)(r->pend + n);
        r->items = items;
        r->n = n;
        r->res = res;
        r->rc = -1;
        r->done = done;
        r->arg = arg;
        /* The JSON work of every new alert here, in the requester's thread and
         * outside the lock: the writer only concatenates. */
        for (size_t i = 0; i < n; i++) {
                if (!items[i].quarantined && store_pending_render(&items[i], &r->pend[i]) != 0) {
                        req_free(r);
                        return -1;
                }
        }
        pthread_mutex_lock(&in->mu);
        if (in->stopping) {
                pthread_mutex_unlock(&in->mu);
                req_free(r);
                return -1;
        }
        if (in->tail)
                in->tail->next = r;
        else
                in->head = r;
        in->tail = r;
        pthread_cond_signal(&in->work);
        pthread_mutex_unlock(&in->mu);
        return 0;
}

struct waiter {
        pthread_mutex_t mu;
        pthread_cond_t cv;
        bool done;
        int rc;
};

static void wake(void *arg, int rc)
{
        struct waiter *w = arg;
        pthread_mutex_lock(&w->mu);
        w->rc = rc;
        w->done = true;
        pthread_cond_signal(&w->cv);
        pthread_mutex_unlock(&w->mu);
}

int intake_submit_items(struct intake *in, const struct ingest_item *items, size_t n,
                        struct intake_result *res)
{
        if (n == 0)
                return 0;
        struct waiter w = {.rc = -1};
        pthread_mutex_init(&w.mu, NULL);
        pthread_cond_init(&w.cv, NULL);
        int rc = intake_submit_async(in, items, n, res, wake, &w);
        if (rc == 0) {
                pthread_mutex_lock(&w.mu);
                while (!w.done)
                        pthread_cond_wait(&w.cv, &w.mu);
                pthread_mutex_unlock(&w.mu);
                rc = w.rc;
        }
        pthread_cond_destroy(&w.cv);
        pthread_mutex_destroy(&w.mu);
        return rc;
}

bool intake_db_ok(struct intake *in)
{
        pthread_mutex_lock(&in->mu);
        bool ok = in->db_ok;
        pthread_mutex_unlock(&in->mu);
        return ok;
}

void intake_destroy(struct intake *in)
{
        if (!in)
                return;
        pthread_mutex_lock(&in->mu);
        in->stopping = true;
        pthread_cond_broadcast(&in->work);
        pthread_mutex_unlock(&in->mu);
        for (int i = 0; i < in->nwriters; i++) {
                if (in->w[i].started)
                        pthread_join(in->w[i].thr, NULL);
                if (in->w[i].conn)
                        PQfinish(in->w[i].conn);
        }
        pthread_cond_destroy(&in->work);
        pthread_mutex_destroy(&in->mu);
        free(in);
}

/* ==== intake.h: the e-mail poller's entry points ==== */

int intake_submit_meta_report(struct intake *in, const char *way, const json_t *report,
                              const char *raw, size_t rawlen, struct intake_result *res)
{
        struct item_list l = {0};
        struct ingest_item *it = item_list_add(&l, "meta", way);
        if (!it)
                return -1;
        it->received_us = util_now_us();
        if (report) {
                meta_report_to_item(report, "report", it);
        } else {
                item_quarantine(it, NULL, "not a readable report", raw, rawlen);
        }
        /* Keep the bytes as received (e.g. the whole .eml) rather than the
         * re-serialised report; the hash stays the report's. */
        if (raw && rawlen) {
                char *copy = malloc(rawlen + 1);
                if (copy) {
                        memcpy(copy, raw, rawlen);
                        copy[rawlen] = '\0';
                        free(it->raw);
                        it->raw = copy;
                        it->rawlen = rawlen;
                }
        }
        int rc = intake_submit_items(in, l.v, 1, res);
        item_list_free(&l);
        return rc;
}

int intake_submit_quarantine(struct intake *in, const char *source, const char *way,
                             const char *reason, const char *field, const char *raw,
                             size_t rawlen, struct intake_result *res)
{
        struct item_list l = {0};
        struct ingest_item *it = item_list_add(&l, source, way);
        if (!it)
                return -1;
        it->received_us = util_now_us();
        item_quarantine(it, field, reason, raw ? raw : "", raw ? rawlen : 0);
        int rc = intake_submit_items(in, l.v, 1, res);
        item_list_free(&l);
        return rc;
}
