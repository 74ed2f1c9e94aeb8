/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file meta.h
 * @brief The Meta way in (pure): signature check over the raw bytes, the
 *        webhook envelope, and one REPORT -> canonical alert + private parts,
 *        or a quarantine record naming the field (../shared/spec/intake-v1.md).
 */
#ifndef PRAHARI_INGEST_META_H
#define PRAHARI_INGEST_META_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "item.h"

/**
 * @brief Check X-Hub-Signature-256 ("sha256=<hex>") against HMAC-SHA256 of the
 * raw body with the app secret, in constant time. NULL header or secret: false.
 */
bool meta_verify_signature(const char *app_secret, const void *body, size_t len,
                           const char *header);

/**
 * @brief Read one delivery: every `imminent_harm_report` change becomes an
 * item (an alert or a quarantine record); other changes are ignored.
 * @param way "meta" for the webhook.
 * @returns 0 with items appended to @p out; -1 when the body is not JSON or
 * not the envelope: @p code ("invalid_json" | "invalid_envelope") and
 * @p detail (a sentence naming the field) are set and nothing is appended.
 */
int meta_parse_delivery(const char *body, size_t len, const char *way, int64_t received_us,
                        struct item_list *out, char *code, size_t codesz, char *detail,
                        size_t detailsz);

/**
 * @brief One REPORT object -> @p it (already added with source "meta").
 * @p prefix names the report in errors ("entry[0].changes[0].value"). On a
 * validation failure @p it becomes a quarantine record holding the report's
 * canonical serialisation. @returns 0 (alert) or 1 (quarantined).
 */
int meta_report_to_item(const json_t *report, const char *prefix, struct ingest_item *it);

/** @brief Canonical severity of a Meta risk level; NULL if unknown. */
const char *meta_severity(const char *risk_level);

#endif
