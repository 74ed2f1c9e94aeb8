/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file mail_poll.h
 * @brief The IMAP poller of the e-mail way in (edge; libcurl IMAP/IMAPS,
 *        optional STARTTLS): reads the messages of one mailbox, checks the
 *        sender, parses them with mail_parse and hands reports to a callback
 *        that makes them durable; only then is a message marked \Seen and
 *        moved to the done folder. Nothing is ever deleted: non-reports and
 *        messages from senders not allowed are moved (left unread) to folders
 *        of their own and counted.
 *
 * Per message, in this order:
 *   1. `UID FETCH n (RFC822.SIZE)`, then `UID FETCH n BODY.PEEK[]` (PEEK: the
 *      fetch itself sets no flag). If the literal cannot be taken from the
 *      answer exactly (a line longer than libcurl's line buffer, or a body
 *      line that mimics a tagged response), the message is fetched once more
 *      with libcurl's own `;UID=n` fetch (which reads literals by length but
 *      sets \Seen, so \Seen is cleared again if the message is not done).
 *   2. sender (From) not on the allow-list, From not authenticated by our
 *      mail server (when PRAHARI_EMAIL_AUTHSERV_ID is set), or message over
 *      the size limit: moved to the reject folder, counted, logged without
 *      content. Without PRAHARI_EMAIL_AUTHSERV_ID a forged From passes: the
 *      allow-list is then only as strong as the mail server's own checks.
 *   3. not a report: moved to the non-report folder, counted.
 *   4. report or invalid report: callback; on 0 `UID STORE n +FLAGS (\Seen)`
 *      and moved to the done folder (`UID MOVE`, or COPY + \Deleted +
 *      `UID EXPUNGE` without the MOVE extension); on failure left as it was
 *      for the next poll (after three such failures in a row the rest of
 *      the batch waits too: the database is probably down).
 */
#ifndef PRAHARI_INGEST_MAIL_POLL_H
#define PRAHARI_INGEST_MAIL_POLL_H
#include <stdbool.h>
#include <stddef.h>

#include "mail_parse.h"
#include "prahari/cfg.h"

/** Settings; strings owned by the struct (mail_poller_cfg_free). */
struct mail_poller_cfg {
        char *url;              /* PRAHARI_IMAP_URL: imap://host:port or imaps://host:port */
        char *user;             /* PRAHARI_IMAP_USER */
        char *password;         /* PRAHARI_IMAP_PASSWORD(_FILE) */
        char *mailbox;          /* PRAHARI_IMAP_MAILBOX, default INBOX */
        long poll_ms;           /* PRAHARI_IMAP_POLL_MS, default 5000 */
        bool starttls;          /* PRAHARI_IMAP_STARTTLS: require STARTTLS on imap:// */
        char *ca_file;          /* PRAHARI_IMAP_CA_FILE: CA bundle for the server cert */
        char *done_folder;      /* PRAHARI_IMAP_DONE_FOLDER, default Prahari-Processed */
        char *nonreport_folder; /* PRAHARI_IMAP_NONREPORT_FOLDER, default Prahari-Not-Reports */
        char *reject_folder;    /* PRAHARI_IMAP_REJECT_FOLDER, default Prahari-Rejected */
        char *allowed_senders;  /* PRAHARI_EMAIL_ALLOWED_SENDERS, comma-separated */
        char *search;           /* PRAHARI_IMAP_SEARCH: UNSEEN (default) or ALL */
        long max_message_bytes; /* PRAHARI_IMAP_MAX_MESSAGE_BYTES, default 10 MiB */
        long timeout_ms;        /* PRAHARI_IMAP_TIMEOUT_MS, default 30000 per command */
        long batch;             /* PRAHARI_IMAP_BATCH: messages per poll, default 100 */
        bool use_move;          /* PRAHARI_IMAP_USE_MOVE: use UID MOVE when offered, default 1 */
        char *authserv_id;      /* PRAHARI_EMAIL_AUTHSERV_ID: when set, the topmost
                                 * Authentication-Results must be this server's and say
                                 * dmarc=pass (or dkim=pass) for the From domain */
};

/** The settings table (for cfg_log / cfg_print_help by the ingest main). */
extern const struct cfg_item mail_poller_cfg_items[];
extern const size_t mail_poller_cfg_nitems;

/**
 * @brief Load the settings from the environment and check them (folder
 * names, the search criterion, a sender list when a URL is set).
 * @returns 1 when PRAHARI_IMAP_URL is unset (e-mail intake off, nothing
 * allocated), 0 when loaded, -1 with a message naming the variable in @p err.
 */
int mail_poller_cfg_load(struct mail_poller_cfg *cfg, char *err, size_t errsz);

/** @brief Free the strings of @p cfg. */
void mail_poller_cfg_free(struct mail_poller_cfg *cfg);

/**
 * @brief Called for each report (kind MAIL_REPORT) and each unreadable report
 * (MAIL_INVALID) from an allowed sender, on the poller's thread.
 * @p r and @p raw (the whole message) are borrowed for the call.
 * @returns 0 only once the alert or quarantine record is durable
 * (committed); anything else leaves the message for the next poll.
 */
typedef int (*mail_report_cb)(void *ctx, const struct mail_result *r, const char *raw,
                              size_t rawlen);

/** What one poll did. */
struct mail_poll_stats {
        unsigned found;       /* UIDs the search returned (up to the batch) */
        unsigned reports;     /* callback succeeded on a report */
        unsigned invalid;     /* callback succeeded on an invalid report */
        unsigned not_reports; /* moved to the non-report folder */
        unsigned rejected;    /* moved to the reject folder */
        unsigned deferred;    /* callback failed: left for the next poll */
        unsigned errors;      /* IMAP errors */
};

struct mail_poller;

/**
 * @brief A poller without a thread (connects lazily). @p cfg is copied.
 * @returns the poller or NULL with @p err set.
 */
struct mail_poller *mail_poller_new(const struct mail_poller_cfg *cfg, mail_report_cb cb,
                                    void *ctx, char *err, size_t errsz);

/**
 * @brief Run one poll now on the caller's thread (tests, or the thread loop).
 * @param st filled with what happened (may be NULL).
 * @returns 0 when the mailbox was searched and every message handled or
 * deliberately left; -1 on an IMAP error (the connection is dropped and made
 * again on the next poll).
 */
int mail_poller_poll_once(struct mail_poller *p, struct mail_poll_stats *st);

/**
 * @brief mail_poller_new and a thread polling every cfg->poll_ms.
 * @returns the poller (stop it with mail_poller_stop) or NULL with @p err set.
 */
struct mail_poller *mail_poller_start(const struct mail_poller_cfg *cfg, mail_report_cb cb,
                                      void *ctx, char *err, size_t errsz);

/**
 * @brief Stop the thread (if started; the message in hand is finished
 * first), close the connection and free @p p. NULL does nothing.
 */
void mail_poller_stop(struct mail_poller *p);

#endif
