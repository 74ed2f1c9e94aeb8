/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file mail_intake.h
 * @brief The e-mail way in wired to the ingest writer: what prahari-ingest's
 *        main.c calls. Reports become Meta reports (source "meta", way
 *        "email", deduplicated with the webhook on the report id); unreadable
 *        reports become quarantine records with the raw message.
 */
#ifndef PRAHARI_INGEST_MAIL_INTAKE_H
#define PRAHARI_INGEST_MAIL_INTAKE_H
#include <stddef.h>

#include "intake.h"
#include "mail_poll.h"

/**
 * @brief Load the e-mail settings (PRAHARI_IMAP_*, PRAHARI_EMAIL_ALLOWED_SENDERS,
 * see mail_poller_cfg_items), log them, and when PRAHARI_IMAP_URL is set start
 * the poller thread, which stores every report through @p in.
 *
 * @param in   the shared writer (borrowed; must outlive the poller).
 * @param out  the running poller (stop it with mail_intake_stop before the
 *             writer goes), or NULL when e-mail intake is off.
 * @returns 0 started, 1 off (PRAHARI_IMAP_URL unset), -1 with a message
 *          naming the variable in @p err (exit 2, like any config error).
 */
int mail_intake_start(struct intake *in, struct mail_poller **out, char *err, size_t errsz);

/** @brief Stop the poller (finishes the message in hand). NULL does nothing. */
void mail_intake_stop(struct mail_poller *p);

/**
 * @brief The poller callback (exported for tests): MAIL_REPORT goes to
 * intake_submit_meta_report(way "email"), MAIL_INVALID to
 * intake_submit_quarantine(source "meta", way "email", with the reason and
 * field). @p ctx is the struct intake.
 * @returns 0 once durable, -1 otherwise (the message stays for the next poll).
 */
int mail_intake_store_cb(void *ctx, const struct mail_result *r, const char *raw, size_t rawlen);

#endif
