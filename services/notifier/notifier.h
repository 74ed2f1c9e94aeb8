/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file notifier.h
 * @brief The notifier's shared state and its workers: configuration, the
 *        loaded tables, and one struct worker per thread (own PostgreSQL
 *        connection and own curl handles).
 */
#ifndef PRAHARI_NOTIFIER_NOTIFIER_H
#define PRAHARI_NOTIFIER_NOTIFIER_H
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>
#include "prahari/kafka.h"
#include "prahari/stage.h"
#include "smstext.h"
#include "sms.h"
#include "smtp.h"
#include "token.h"

#define NOTIFIER_ACTOR "prahari-notifier"

/** Settings, filled by cfg_load from the table in main.c. */
struct ncfg {
        int port, ops_port;
        char *public_url;
        char *link_keys_file;
        long link_ttl_s;
        char *templates_file;
        char *districts_csv;
        char *sms_providers_file;
        char *sms_url, *sms_token, *sms_sender, *sms_profile, *sms_username;
        long sms_timeout_ms, sms_max_parts;
        char *smtp_url;
        bool smtp_starttls;
        char *smtp_ca_file, *smtp_user, *smtp_password;
        char *mail_from, *mail_from_name;
        long smtp_timeout_ms;
        bool mail_include_post_text, mail_html;
        long esc_critical_s, esc_high_s, esc_medium_s;
        long max_attempts, retry_base_ms, retry_cap_ms, send_lease_s, sms_retry_max_s;
        double clock_offset_s;
        long retry_poll_ms, escalation_poll_ms, sender_threads;
        char *topic_routed, *topic_deadletter, *group;
        char *dlr_token;
};

/** English -> Hindi district names (from the gazetteer CSV). */
struct hindi_names {
        char (*en)[64];
        char (*hi)[128];
        size_t n;
};

/** Everything the threads share (read-only after start, apart from the
 * providers' breaker state which has its own lock). */
struct notifier {
        struct ncfg cfg;
        struct dlt_set templates;
        struct token_keys keys;
        struct sms_providers providers;
        struct smtp_cfg smtp;
        struct hindi_names hindi;
        char clock_param[32]; /* clock offset as SQL parameter text */
};

/** One thread's resources. */
struct worker {
        struct notifier *n;
        const char *name; /* application_name suffix, e.g. "notifier-retry" */
        PGconn *conn;
        struct sms_client *sms;
        struct smtp_client *smtp;
};

/* ==== dispatch.c ==== */

/** @brief Open the worker's connection and clients. @returns 0 or -1. */
int worker_init(struct worker *w, struct notifier *n, const char *name);
void worker_close(struct worker *w);

/**
 * @brief Claim due notifications (state pending/sending, next_attempt_at
 * reached; only @p ids when given, SMS before e-mail) with FOR UPDATE SKIP
 * LOCKED, send each and record the outcome. @p t0_us (monotonic, 0 = none)
 * is when the routed message was taken, for prahari_notify_seconds.
 * @returns how many were handled, or -1 on a database error.
 */
int dispatch_due(struct worker *w, const char *const *ids, size_t nids, int limit, int64_t t0_us);

/** @brief The Hindi name of district @p en, or NULL. */
const char *hindi_name(const struct hindi_names *h, const char *en);

/** @brief Load the gazetteer CSV (district,district_hi,...). Missing file: empty table. */
void hindi_load(struct hindi_names *h, const char *path);
void hindi_free(struct hindi_names *h);

/** @brief The escalation window of @p severity in seconds. */
long notifier_window_s(const struct notifier *n, const char *severity);

/* ==== main.c ==== */

/** @brief Wake the sender threads: new rows are due. */
void notifier_wake(void);

/* ==== consume.c ==== */

/** @brief The stage function for PRAHARI_TOPIC_ROUTED (ctx: struct worker). */
enum stage_result consume_routed(void *ctx, const struct kq_msg *in, struct stage_output *out,
                                 char *reason, size_t reasonsz);

/* ==== escalate.c ==== */

/**
 * @brief One pass over the due escalation timers. @returns how many timers
 * were handled, -1 on a database error.
 */
int escalate_pass(struct worker *w);

/** @brief Count open, notified, unacknowledged alerts (gauge). -1 on error. */
long escalate_unacknowledged(struct worker *w);

/* ==== web.c ==== */

struct web;
/** @brief Start the public HTTP server on cfg.port. NULL with @p err. */
struct web *web_start(struct notifier *n, char *err, size_t errsz);
void web_stop(struct web *w);

/**
 * @brief Record an acknowledgement (inside its own transaction): the
 * acknowledgements row, alerts.status, the timeline row, the escalation
 * timers done and pending notifications cancelled.
 * @returns 1 acknowledged now, 0 already acknowledged, -1 on error.
 */
int ack_record(PGconn *conn, const struct notifier *n, const char *alert_id,
               const char *recipient_id, const char *via);

#endif
