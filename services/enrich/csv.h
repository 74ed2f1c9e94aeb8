/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file csv.h
 * @brief A small RFC 4180 CSV reader over a buffer held in memory (quoted
 *        fields, doubled quotes, CRLF or LF). Fields are split in place.
 */
#ifndef PRAHARI_ENRICH_CSV_H
#define PRAHARI_ENRICH_CSV_H
#include <stddef.h>

#define CSV_MAX_FIELDS 32

struct csv {
        char *p, *end; /* borrowed buffer; modified in place */
        size_t line;   /* 1-based line of the last record read */
};

/** @brief Start reading @p buf (@p len bytes, NUL-terminated, writable). */
void csv_init(struct csv *c, char *buf, size_t len);

/**
 * @brief Read the next record into @p fields (NUL-terminated strings that
 * point into the buffer). @returns the number of fields, 0 at the end, or
 * -1 on a malformed record (unterminated quote) or more than @p max fields.
 */
int csv_next(struct csv *c, char **fields, int max);

/** @brief Index of @p name in a header record, or -1. */
int csv_col(char *const *header, int n, const char *name);

#endif
