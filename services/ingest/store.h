/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file store.h
 * @brief PostgreSQL effects of one item inside the writer's open transaction
 *        (edge module, libpq): new alert, duplicate, new revision or
 *        quarantine, each with its timeline rows.
 */
#ifndef PRAHARI_INGEST_STORE_H
#define PRAHARI_INGEST_STORE_H
#include <libpq-fe.h>
#include <stdbool.h>

#include "intake.h"
#include "item.h"

/**
 * @brief How long after a publish an alert not seen downstream is due for
 * republishing (PRAHARI_RECONCILE_AFTER_MS); call once at start.
 */
void store_set_republish_after(int ms);

/**
 * @brief Prepare the statements store_item uses on @p conn (once per session;
 * again after a reconnect). @returns 0 or -1.
 */
int store_prepare(PGconn *conn);

/**
 * @brief Store @p it in the transaction open on @p conn and fill @p res.
 * For a new alert or revision, *@p wire receives the canonical message as
 * published (malloc'd, caller frees); otherwise NULL.
 * Short-code collisions are retried with the next salt without aborting the
 * transaction (INSERT ... ON CONFLICT DO NOTHING).
 * @returns 0; -1 on a database error (the transaction must be rolled back).
 */
int store_item(PGconn *conn, const struct ingest_item *it, struct intake_result *res,
               char **wire);

/* ==== Pipelined fast path ==== */

/** One item sent in pipeline mode, waiting for its result. */
struct store_pending {
        char alert_id[37];
        char code[7];
        char *wire; /* owned until handed over by store_recv */
        bool quarantine;
        char *row;     /* store_pending_render: this alert as one JSON row of the batch insert */
        size_t rowlen;
};

/**
 * @brief Send the first attempt for @p it (new alert, or quarantine row) on
 * @p conn in pipeline mode, without waiting. @returns 0 or -1.
 */
int store_send(PGconn *conn, const struct ingest_item *it, struct store_pending *p);

/**
 * @brief Read the result of store_send (in order). @returns 1 when the item is
 * done (@p res filled; *@p wire set for a new alert), 0 when the alert exists
 * already (call store_item after the pipeline), -1 on error (the transaction
 * must be rolled back).
 */
int store_recv(PGconn *conn, const struct ingest_item *it, struct store_pending *p,
               struct intake_result *res, char **wire);

/**
 * @brief Set-based variant, first half: choose the alert id and short code of
 * @p it (not quarantined) and render its canonical message and its row of the
 * batch insert into @p p. Pure CPU work: call it in the requester's thread,
 * before the group commit. @returns 0 or -1.
 */
int store_pending_render(const struct ingest_item *it, struct store_pending *p);

/**
 * @brief Send the batch insert of the @p n rendered items @p rows (in this
 * order) in pipeline mode. @returns 0 or -1.
 */
int store_many_send(PGconn *conn, struct store_pending *const *rows, size_t n);

/**
 * @brief Read the batch insert's result: the alert ids inserted (caller
 * PQclear's it), or NULL on error. Rows not listed exist already.
 */
PGresult *store_many_recv(PGconn *conn);

/** @brief Fill @p res for an item the batch insert stored (*@p wire: a copy of the wire). */
void store_many_accepted(const struct ingest_item *it, struct store_pending *p,
                         struct intake_result *res, char **wire);

/** @brief Free what a pending item still owns. */
void store_pending_clear(struct store_pending *p);

#endif
