/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file mail_parse.h
 * @brief Pure parser of the e-mail way in: the bytes of one RFC 5322 message
 *        (as fetched from IMAP) become a Meta-shaped REPORT object (see
 *        ../shared/spec/intake-v1.md, sections REPORT and E-mail), or are
 *        classified as not a report, or as a report that cannot be read
 *        (with the field at fault). MIME with GNU GMime 3; no I/O.
 */
#ifndef PRAHARI_INGEST_MAIL_PARSE_H
#define PRAHARI_INGEST_MAIL_PARSE_H
#include <stddef.h>
#include <jansson.h>

enum mail_kind {
        MAIL_REPORT = 0,     /* a complete report: @c report is the REPORT object */
        MAIL_NOT_REPORT = 1, /* auto-reply, bounce, newsletter, anything without a report */
        MAIL_INVALID = 2,    /* looks like a report but a required field is missing or
                              * wrong, or the message cannot be read: quarantine it */
};

/** What one message is. Strings are owned by the result. */
struct mail_result {
        enum mail_kind kind;
        json_t *report;      /* MAIL_REPORT: the REPORT object; MAIL_INVALID: what could be
                              * read so far (may be NULL); else NULL. Owned. */
        char reason[256];    /* why not a report / why invalid ("detected_time: ...");
                              * never holds post text or names */
        char field[64];      /* MAIL_INVALID: the REPORT field at fault ("report_id"), or "" */
        char warnings[256];  /* optional fields dropped as unreadable, "; "-separated */
        char *sender;        /* From addr-spec, lower-case; NULL if none could be read */
        char *message_id;    /* Message-ID without <>, or NULL */
        char *subject;       /* decoded Subject (RFC 2047) as UTF-8, or NULL */
        char *auth_results;  /* the topmost Authentication-Results header (the one the
                              * receiving server added), or NULL */
};

/**
 * @brief Initialise GMime once per process (thread-safe; mail_parse calls it
 * itself, exported for programs that want to do it at start).
 */
void mail_parse_init(void);

/**
 * @brief Parse one message.
 *
 * The text comes from the first text/plain part that is not an attachment
 * (searched depth first through multipart/mixed, /alternative, /related);
 * when it holds no report, or there is none, from the first text/html part
 * with tags removed. Transfer encodings are undone; the text is taken as
 * UTF-8 when its bytes are valid UTF-8 whatever the declared charset (a
 * common partner mistake), otherwise converted from the declared charset
 * (windows-1252 when none or unknown).
 *
 * Classification: auto-replies and bounces (Auto-Submitted: auto-replied,
 * X-Autoreply, X-Autorespond, Precedence: auto_reply, multipart/report)
 * are not reports whatever they quote. Bulk mail (Precedence: bulk|list|junk,
 * List-Unsubscribe, List-Id) is not a report unless its text holds a
 * `Report ID` line (a report must never be lost to a list header). Text with
 * no `Report ID` line is not a report, unless it holds two or more other
 * report keys (then it is an invalid report: a human should see it).
 *
 * @param raw  the message bytes (borrowed; need not be NUL-terminated).
 * @param len  their length.
 * @param out  zeroed or cleared by the caller; filled in every case (release
 *             with mail_result_clear).
 * @returns 0 (the kind says what it is); -1 only on out-of-memory.
 */
int mail_parse(const char *raw, size_t len, struct mail_result *out);

/** @brief Free what @p r owns and zero it. Safe on a zeroed result. */
void mail_result_clear(struct mail_result *r);

/** @brief "report", "not_report" or "invalid". */
const char *mail_kind_name(enum mail_kind k);

/**
 * @brief Build the REPORT from the plain text of a report (the `Key: Value`
 * lines). Exported for tests and the fuzzer; mail_parse uses it.
 *
 * Fills @p out->kind, report, reason, field and warnings (not the header
 * fields). @p text is UTF-8 with LF line ends.
 * @returns 0; -1 on out-of-memory.
 */
int mail_parse_text(const char *text, struct mail_result *out);

#endif
