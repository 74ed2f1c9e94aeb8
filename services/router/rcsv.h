/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file rcsv.h
 * @brief RFC 4180 CSV reading: quoted fields with "" escapes, CRLF or LF,
 *        records that span lines inside quotes. Pure.
 */
#ifndef PRAHARI_ROUTER_RCSV_H
#define PRAHARI_ROUTER_RCSV_H
#include <stddef.h>

#define RCSV_MAX_FIELDS 32

/** One record; the field strings point into the reader's own buffer. */
struct rcsv_record {
        char *field[RCSV_MAX_FIELDS];
        size_t n;
        int line; /* 1-based line where the record starts */
};

struct rcsv_reader {
        const char *p, *end;
        int line;
        char *buf;
        size_t cap;
};

/** @brief Start reading @p len bytes at @p data (borrowed until done). */
void rcsv_init(struct rcsv_reader *r, const char *data, size_t len);

/**
 * @brief Read the next record into @p rec (valid until the next call).
 * @returns 1 with a record, 0 at the end, -1 on a malformed record (an
 * unterminated quote, text after a closing quote, more than RCSV_MAX_FIELDS
 * fields) with the reason in @p err; reading may go on after -1.
 */
int rcsv_next(struct rcsv_reader *r, struct rcsv_record *rec, char *err, size_t errsz);

/** @brief Free the reader's buffer. */
void rcsv_free(struct rcsv_reader *r);

/**
 * @brief Append @p s to @p out as one CSV field, quoted when it holds a
 * comma, quote, CR or LF; *@p out grows as needed and always keeps one
 * spare byte after the terminating NUL (room for a separator).
 * @returns 0, or -1 when out of memory (*@p out unchanged).
 */
int rcsv_field_append(char **out, size_t *len, size_t *cap, const char *s);

#endif
