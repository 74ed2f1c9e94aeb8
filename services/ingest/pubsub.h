/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file pubsub.h
 * @brief The Google and YouTube ways in (pure): the Pub/Sub push envelope
 *        (both spellings), base64 standard/URL-safe with or without padding,
 *        and the google.safety.v1 / youtube.safety.v1 payloads -> canonical
 *        alert + private parts, or a quarantine record naming the field.
 */
#ifndef PRAHARI_INGEST_PUBSUB_H
#define PRAHARI_INGEST_PUBSUB_H
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "item.h"

enum pubsub_kind { PUBSUB_GOOGLE = 0, PUBSUB_YOUTUBE = 1 };

/**
 * @brief Read one push delivery at the endpoint of @p kind into one item
 * (source/way/platform "google" or "youtube").
 * @returns 0 with one item appended (alert or quarantine: data that is not
 * base64, not JSON, or a payload failing validation); -1 when the body is not
 * JSON or not a push envelope, with @p code / @p detail naming the field.
 * @p message_id (may be NULL) receives messageId for logs.
 */
int pubsub_parse_delivery(enum pubsub_kind kind, const char *body, size_t len,
                          int64_t received_us, struct item_list *out, char *message_id,
                          size_t idsz, char *code, size_t codesz, char *detail,
                          size_t detailsz);

/** @brief google.safety.v1 payload -> @p it. @returns 0 alert, 1 quarantined. */
int pubsub_google_to_item(const json_t *payload, const char *prefix, struct ingest_item *it);

/** @brief youtube.safety.v1 payload -> @p it. @returns 0 alert, 1 quarantined. */
int pubsub_youtube_to_item(const json_t *payload, const char *prefix, struct ingest_item *it);

#endif
