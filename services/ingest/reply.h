/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file reply.h
 * @brief Response bodies of the HTTP ways in (pure), per the spec's table.
 */
#ifndef PRAHARI_INGEST_REPLY_H
#define PRAHARI_INGEST_REPLY_H
#include <stddef.h>

#include "intake.h"
#include "item.h"

/**
 * @brief The 202 body {"accepted":[...],"duplicates":[...],"quarantined":[...]}
 * for @p n items and their outcomes: ids are the partner's ids; a quarantined
 * item without a known id is listed as "quarantine-<quarantine_id>".
 * New revisions are listed under accepted. @returns malloc'd JSON.
 */
char *reply_accepted(const struct ingest_item *items, const struct intake_result *res, size_t n);

/** @brief {"error":code,"detail":detail} (detail omitted when NULL); malloc'd. */
char *reply_error(const char *code, const char *detail);

/**
 * @brief The error body of a refused delivery that was authenticated and kept
 * in quarantine: {"error":code,"detail":detail,"quarantined":["quarantine-<id>"]}
 * (malloc'd; NULL on allocation failure).
 */
char *reply_error_quarantined(const char *code, const char *detail, long long quarantine_id);

#endif
