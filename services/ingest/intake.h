/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file intake.h
 * @brief The durable way in shared by every adapter of prahari-ingest: hand
 *        items to the group-commit writer and get their outcome back once
 *        they are committed to PostgreSQL.
 *
 * The HTTP handlers and the e-mail poller (services/ingest/mail/) call these
 * functions from their own threads. Each call blocks until the writer thread
 * has committed the transaction holding the item (group commit: the items of
 * many concurrent callers share one transaction), or until the database is
 * found unusable, in which case nothing of the call is acknowledged and the
 * caller must retry later (HTTP answers 503; the mail poller leaves the
 * message unprocessed).
 */
#ifndef PRAHARI_INGEST_INTAKE_H
#define PRAHARI_INGEST_INTAKE_H
#include <stddef.h>
#include <jansson.h>

struct intake; /* the writer: owned by main.c, shared by every way in */

/** What became of one item. */
enum intake_outcome {
        INTAKE_ACCEPTED = 0,    /* a new alert (revision 1) was stored */
        INTAKE_DUPLICATE = 1,   /* same partner + id + same content: nothing new */
        INTAKE_REVISION = 2,    /* same partner + id, different content: new revision */
        INTAKE_QUARANTINED = 3, /* authenticated but unreadable: kept for a human */
};

/** The outcome of one item, filled once the item is durable. */
struct intake_result {
        enum intake_outcome outcome;
        char alert_id[37];          /* uuid; "" when quarantined */
        char source_alert_id[201];  /* the partner's id; "" if unknown */
        char short_code[7];         /* "" when quarantined */
        int revision;               /* current revision; 0 when quarantined */
        long long quarantine_id;    /* > 0 when quarantined */
        char reason[256];           /* quarantine reason naming the field, else "" */
};

/**
 * @brief Store one Meta-shaped REPORT object (the `value` of an
 * `imminent_harm_report` change, see ../shared/spec/intake-v1.md) durably.
 *
 * The report is validated and normalised exactly like one delivered to
 * POST /v1/intake/meta (source "meta"); a report that fails validation is
 * quarantined with the reason and @p raw. Deduplication is on
 * ("meta", report_id): the same content again is a duplicate, different
 * content a new revision. Returns only after the commit.
 *
 * @param in      the shared writer (borrowed).
 * @param way     the way in recorded on the alert and timeline, e.g. "email".
 * @param report  the REPORT object (borrowed; not modified, may be NULL: then
 *                the item is quarantined as unreadable with @p raw).
 * @param raw     the bytes as received (e.g. the whole .eml), stored with the
 *                alert or quarantine row; may be NULL if @p rawlen is 0.
 * @param rawlen  length of @p raw.
 * @param res     filled on success.
 * @returns 0 when the item is durable (any outcome); -1 when it could not be
 *          made durable (database down, shutting down): retry later.
 */
int intake_submit_meta_report(struct intake *in, const char *way, const json_t *report,
                              const char *raw, size_t rawlen, struct intake_result *res);

/**
 * @brief Quarantine bytes that could not be read as a report at all (e.g. an
 * e-mail from an allowed sender without a recognisable report).
 *
 * @param source  the partner, e.g. "meta".
 * @param way     e.g. "email".
 * @param reason  a sentence naming what was wrong (no post text, no names).
 * @param field   the field at fault, or NULL.
 * @returns 0 once the quarantine row is committed (@p res->quarantine_id set);
 *          -1 when it could not be made durable: retry later.
 */
int intake_submit_quarantine(struct intake *in, const char *source, const char *way,
                             const char *reason, const char *field, const char *raw,
                             size_t rawlen, struct intake_result *res);

/** @brief The outcome as the word used on the timeline ("accepted", ...). */
const char *intake_outcome_name(enum intake_outcome o);

#endif
