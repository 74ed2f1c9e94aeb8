/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file migrate_plan.h
 * @brief The pure part of prahari-migrate: list the migration files of a
 *        directory in file-name order with their SHA-256, and decide which
 *        are applied, pending or changed given what schema_migrations holds.
 */
#ifndef PRAHARI_MIGRATE_PLAN_H
#define PRAHARI_MIGRATE_PLAN_H
#include <stddef.h>

struct mig_file {
        char *version; /* file name without ".sql", e.g. "0001_init" */
        char *path;    /* directory + "/" + file name */
        char sha256[65];
};

enum mig_state { MIG_PENDING = 0, MIG_APPLIED, MIG_CHANGED };

/** One row of schema_migrations. */
struct mig_applied {
        const char *version;
        const char *sha256;
};

/**
 * @brief List every "*.sql" regular file of @p dir in byte order of the name
 * (so 0001_ < 0100_ < 0200_), hashing each file's bytes.
 * @returns 0 with a malloc'd array in *@p out (free with migrate_files_free);
 * -1 with a message in @p err (unreadable directory or file, no files).
 */
int migrate_list(const char *dir, struct mig_file **out, size_t *n, char *err, size_t errsz);

/** @brief Free what migrate_list returned. */
void migrate_files_free(struct mig_file *files, size_t n);

/**
 * @brief Decide the state of each file: applied (same checksum), changed
 * (applied with another checksum) or pending. @p states has @p nfiles entries.
 * @returns the number of changed files (0 means it is safe to proceed).
 */
size_t migrate_plan(const struct mig_file *files, size_t nfiles,
                    const struct mig_applied *applied, size_t napplied, enum mig_state *states);

#endif
