/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file writer.h
 * @brief The group-commit writer (edge): handler threads queue their items,
 *        one writer thread commits everything queued (up to a batch limit) in
 *        one PostgreSQL transaction and wakes each caller with its outcomes.
 *        Implements intake.h.
 */
#ifndef PRAHARI_INGEST_WRITER_H
#define PRAHARI_INGEST_WRITER_H
#include <stdbool.h>
#include <stddef.h>

#include "intake.h"
#include "item.h"

struct outbox;

/**
 * @brief Start @p writers writer threads (1..16), each with its own
 * PostgreSQL connection, taking batches from one queue. @p batch_max bounds
 * the items of one transaction. New alerts and revisions are handed to @p ob
 * (borrowed, may be NULL) after each commit.
 * @returns NULL with @p err on failure (a thread could not start).
 */
struct intake *intake_new(int batch_max, int writers, struct outbox *ob, char *err,
                          size_t errsz);

/**
 * @brief Make @p n items durable (blocks until committed). @p res[i] is the
 * outcome of @p items[i] (items borrowed for the duration of the call).
 * @returns 0 when all are durable; -1 when none is (database down, stopping).
 */
int intake_submit_items(struct intake *in, const struct ingest_item *items, size_t n,
                        struct intake_result *res);

/** Called once per submitted request, from a writer thread, with 0 (all durable) or -1. */
typedef void (*intake_done_fn)(void *arg, int rc);

/**
 * @brief Queue @p n items for the group commit without waiting: the JSON work
 * is done here (in the caller's thread), then @p done(@p arg, rc) is called
 * from a writer thread once the transaction committed (@p res filled) or
 * failed (-1). @p items and @p res stay borrowed until then; @p done must not
 * block. @returns 0 when queued; -1 when not (stopping, out of memory), and
 * then @p done is not called.
 */
int intake_submit_async(struct intake *in, const struct ingest_item *items, size_t n,
                        struct intake_result *res, intake_done_fn done, void *arg);

/** @brief True when the last transaction (or connection attempt) succeeded. */
bool intake_db_ok(struct intake *in);

/**
 * @brief Stop accepting, commit what is queued, join the thread, free.
 * NULL is a no-op.
 */
void intake_destroy(struct intake *in);

#endif
