/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file partner.h
 * @brief The canonical way in, POST /v1/intake/alerts (pure): per-partner
 *        HMAC keys, and {"alerts":[ALERT...]} validated against
 *        common/schema/alert-v1.schema.json $defs/partner_alert (hand-written,
 *        errors naming the field).
 */
#ifndef PRAHARI_INGEST_PARTNER_H
#define PRAHARI_INGEST_PARTNER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "item.h"

struct partner_keys; /* partner name -> key */

/**
 * @brief Parse the keys file text: a JSON object {"partner":"key", ...}.
 * @returns a new table, or NULL with @p err naming the problem.
 */
struct partner_keys *partner_keys_parse(const char *text, size_t len, char *err, size_t errsz);

/** @brief Number of partners configured. */
size_t partner_keys_count(const struct partner_keys *k);

/** @brief Free; NULL is a no-op. */
void partner_keys_free(struct partner_keys *k);

/**
 * @brief Authenticate a delivery: @p partner must be configured and
 * @p signature ("sha256=<hex>") must be the HMAC of @p body with that
 * partner's key (constant time). A key never authenticates another partner.
 */
bool partner_verify(const struct partner_keys *k, const char *partner, const void *body,
                    size_t len, const char *signature);

/**
 * @brief Read {"alerts":[...]} sent by the authenticated @p partner: each
 * alert becomes an item (way "alerts", source = partner) or a quarantine
 * record (validation failure, or `source` not equal to @p partner).
 * @returns 0 with items appended; -1 (400) with @p code / @p detail.
 */
int partner_parse_delivery(const char *partner, const char *body, size_t len,
                           int64_t received_us, struct item_list *out, char *code,
                           size_t codesz, char *detail, size_t detailsz);

/** @brief One ALERT object -> @p it. @returns 0 alert, 1 quarantined. */
int partner_alert_to_item(const char *partner, const json_t *alert, const char *prefix,
                          struct ingest_item *it);

#endif
