/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file outbox.h
 * @brief Publishing to the normalized topic and the reconciler (edge): one
 *        thread produces what the writer committed, records broker
 *        acknowledgements (alerts.published_revision, timeline `published`),
 *        and every interval republishes open alerts whose current revision
 *        some stage downstream has not recorded (no locations row, no
 *        routings row, or no level-1 notifications row: SQL function
 *        prahari_reconcile_candidates, migration 0102) once their last
 *        publish is older than a threshold (doubling per attempt, capped; a
 *        routed but unnotified revision, e.g. a directory gap, is logged once
 *        at warn). Nothing depends on the broker keeping data.
 */
#ifndef PRAHARI_INGEST_OUTBOX_H
#define PRAHARI_INGEST_OUTBOX_H
#include <stdbool.h>
#include <stddef.h>

#include "prahari/kafka.h"

struct outbox;

struct outbox_cfg {
        const char *topic;          /* PRAHARI_TOPIC_NORMALIZED */
        int reconcile_interval_ms;  /* PRAHARI_RECONCILE_INTERVAL_MS */
        int reconcile_after_ms;     /* PRAHARI_RECONCILE_AFTER_MS */
        int reconcile_batch;        /* alerts per reconciler round */
        int reconcile_max_ms;       /* PRAHARI_RECONCILE_MAX_MS: the wait doubles per
                                     * republish of one revision up to this */
};

/**
 * @brief Start the outbox thread (own PostgreSQL connection) producing with
 * @p p (borrowed; must outlive the outbox). @returns NULL with @p err.
 */
struct outbox *outbox_new(struct kq_producer *p, const struct outbox_cfg *cfg, char *err,
                          size_t errsz);

/**
 * @brief Queue one committed revision for the broker (copies @p wire; never
 * blocks on the broker). Thread-safe.
 */
void outbox_publish(struct outbox *ob, const char *alert_id, int revision, const char *wire);

/** @brief True while the outbox's database connection works (for /readyz). */
bool outbox_db_ok(struct outbox *ob);

/**
 * @brief Stop: produce what is queued, wait up to @p flush_ms for the
 * broker's acknowledgements, record them, join, free. NULL is a no-op.
 */
void outbox_destroy(struct outbox *ob, int flush_ms);

#endif
