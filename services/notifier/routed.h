/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file routed.h
 * @brief What the notifier reads and answers, as values: the routed alert
 *        message (architecture.md), the deterministic notification ids, and
 *        the small inbound bodies (delivery reports, SMS replies, the link
 *        page's form).
 */
#ifndef PRAHARI_NOTIFIER_ROUTED_H
#define PRAHARI_NOTIFIER_ROUTED_H
#include <stddef.h>
#include <stdbool.h>

#define ROUTED_MAX_RECIPIENTS 32
#define ROUTED_MAX_PARENTS 8

/** One recipient of the routed message (strings owned by the routed struct). */
struct routed_recipient {
        char *recipient_id, *jurisdiction, *role, *name, *phone, *email, *lang;
        int level;
};

/** The fields of a routed message the notifier uses. */
struct routed {
        char *alert_id, *short_code, *severity, *platform, *category;
        char *route;    /* district | state_command_centre */
        char *district; /* NULL for the state command centre */
        int revision;
        struct routed_recipient r[ROUTED_MAX_RECIPIENTS];
        size_t nr;
        /* routing.parents: the lead's chain up to STATE_COMMAND_CENTRE */
        char *parents[ROUTED_MAX_PARENTS];
        size_t nparents;
        /* routing.moved_from (a later revision moved the lead): the old
         * lead and its level-1 recipients; NULL / 0 when absent */
        char *moved_from;
        struct routed_recipient mr[ROUTED_MAX_RECIPIENTS];
        size_t nmr;
};

/**
 * @brief Parse and check a routed message.
 * @returns 0, or -1 with @p err naming the field at fault (no values of
 * personal fields in the message).
 */
int routed_parse(const char *json, size_t len, struct routed *out, char *err, size_t errsz);

/** @brief Free what routed_parse allocated; safe on a zeroed struct. */
void routed_free(struct routed *r);

/**
 * @brief The deterministic ids of the notification (alert, recipient,
 * channel, level): a UUID (version 8, from SHA-256 of the four values) into
 * @p notification_id (37 bytes) and the client_ref "p" + 24 hex characters
 * into @p client_ref (26 bytes). A redelivered message maps to the same row.
 */
void routed_ids(const char *alert_id, const char *recipient_id, const char *channel, int level,
                char notification_id[37], char client_ref[26]);

/**
 * @brief routed_ids of a notification that belongs to one revision (the
 * "moved away" notice, unique per alert, revision, recipient and channel):
 * @p revision 0 gives exactly routed_ids (alerts and escalations), any other
 * value hashes "alert|recipient|channel|level|r<revision>", so the ids stay
 * deterministic and never collide with the revision-0 rows.
 */
void routed_ids_rev(const char *alert_id, const char *recipient_id, const char *channel, int level,
                    int revision, char notification_id[37], char client_ref[26]);

/**
 * @brief True when @p phone is E.164 ("+" and 8..15 digits).
 */
bool routed_phone_ok(const char *phone);

/** @brief True for a plausible single address "local@domain" without specials. */
bool routed_email_ok(const char *email);

/* ==== Inbound ==== */

/** A delivery report (delivery-v1). */
struct dlr {
        char message_id[128];
        char client_ref[128];
        char status[16]; /* DELIVRD | UNDELIV | EXPIRED | REJECTD */
        char at[64];
};

/** @returns 0, or -1 with @p err (field named). */
int routed_parse_dlr(const char *json, size_t len, struct dlr *out, char *err, size_t errsz);

/** @brief True when the status means delivered. */
bool routed_dlr_delivered(const char *status);

/**
 * @brief Parse an SMS reply {"from":"+91...","text":"ACK 7KQ2XM"}: "ACK"
 * in any case, then the short code (case-insensitive, upper-cased out).
 * @returns 1 with @p from / @p code filled when it is an acknowledgement,
 * 0 when the JSON is valid but the text is something else, -1 if invalid.
 */
int routed_parse_inbound(const char *json, size_t len, char from[32], char code[7]);

/**
 * @brief The value of @p key in an application/x-www-form-urlencoded body
 * (+ and %XX decoded) into @p out. @returns 0 if found, -1 if not or if it
 * does not fit.
 */
int routed_form_get(const char *body, size_t len, const char *key, char *out, size_t outsz);

/** The outcomes an alert can be closed with (delivery-v1 "Acknowledgement"). */
extern const char *const routed_outcomes[];
extern const size_t routed_noutcomes;

/** @brief True if @p outcome is one of routed_outcomes. */
bool routed_outcome_ok(const char *outcome);

#endif
