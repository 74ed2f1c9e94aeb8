/* SPDX-License-Identifier: Apache-2.0 */
/* prahari-migrate: apply deploy/sql/NNNN_*.sql in file-name order, each in its
 * own transaction, recorded in schema_migrations with its SHA-256, under a
 * session advisory lock so that several replicas may run it at once. A file
 * that was applied and has since changed stops everything (exit 1). */
#include "migrate_plan.h"
#include "prahari/log.h"
#include "prahari/pg.h"
#include "prahari/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef PRAHARI_MIGRATIONS_DEFAULT
#define PRAHARI_MIGRATIONS_DEFAULT "deploy/sql"
#endif

/* The pg_advisory_lock key every prahari-migrate takes (an arbitrary constant). */
#define MIGRATE_LOCK_KEY "7017857853658161"

static void usage(FILE *f)
{
        fprintf(f,
                "usage: prahari-migrate [--dir DIR] [--status]\n"
                "  Applies DIR/*.sql in file-name order, each once, in its own transaction.\n"
                "  DIR: --dir, else PRAHARI_MIGRATIONS_DIR, else %s\n"
                "  --status  list each file as applied, pending or CHANGED; apply nothing\n"
                "  Connection: PRAHARI_PG_DSN, PRAHARI_PG_PASSWORD_FILE.\n"
                "  Exit: 0 done, 1 failure (connection, SQL error, changed file), 2 usage.\n",
                PRAHARI_MIGRATIONS_DEFAULT);
}

static int exec_ok(PGconn *conn, const char *sql, int n, const char *const *params)
{
        PGresult *res = pg_exec(conn, sql, n, params);
        if (!res)
                return -1;
        PQclear(res);
        return 0;
}

/* Run one migration file and record it, in one transaction. */
static int apply_one(PGconn *conn, const struct mig_file *f)
{
        size_t len = 0;
        char *sql = util_read_file(f->path, &len);
        if (!sql) {
                log_error("migrate: cannot read %s", f->path);
                return -1;
        }
        char sha[65];
        util_sha256_hex(sql, len, sha);
        if (strcmp(sha, f->sha256) != 0) {
                log_error("migrate: %s changed while running", f->path);
                free(sql);
                return -1;
        }
        if (pg_begin(conn) != 0) {
                free(sql);
                return -1;
        }
        int64_t t0 = util_mono_us();
        /* The file is trusted code from the repository, possibly several
         * statements: the simple query protocol runs them all. */
        PGresult *res = PQexec(conn, sql);
        free(sql);
        ExecStatusType st = PQresultStatus(res);
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
                const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
                const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
                const char *pos = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
                log_error("migrate: %s failed: %s (SQLSTATE %s%s%s)", f->version,
                          msg ? msg : PQerrorMessage(conn), state ? state : "none",
                          pos ? ", at character " : "", pos ? pos : "");
                PQclear(res);
                pg_rollback(conn);
                return -1;
        }
        PQclear(res);
        const char *params[2] = {f->version, f->sha256};
        if (exec_ok(conn,
                    "INSERT INTO schema_migrations (version, applied_at, sha256) "
                    "VALUES ($1, now(), $2)",
                    2, params) != 0 ||
            pg_commit(conn) != 0) {
                pg_rollback(conn);
                return -1;
        }
        log_info("migrate: applied %s (sha256 %.12s, %.1f ms)", f->version, f->sha256,
                 (double)(util_mono_us() - t0) / 1000.0);
        return 0;
}

int main(int argc, char **argv)
{
        const char *dir = NULL;
        int status_only = 0;
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
                        dir = argv[++i];
                } else if (strncmp(argv[i], "--dir=", 6) == 0) {
                        dir = argv[i] + 6;
                } else if (strcmp(argv[i], "--status") == 0) {
                        status_only = 1;
                } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
                        usage(stdout);
                        return 0;
                } else {
                        usage(stderr);
                        return 2;
                }
        }
        if (!dir) {
                dir = getenv("PRAHARI_MIGRATIONS_DIR");
                if (!dir || !*dir)
                        dir = PRAHARI_MIGRATIONS_DEFAULT;
        }
        log_init("migrate");

        int rc = 1;
        char err[512];
        struct mig_file *files = NULL;
        size_t nfiles = 0;
        PGconn *conn = NULL;
        PGresult *applied_res = NULL;
        struct mig_applied *applied = NULL;
        enum mig_state *states = NULL;
        int locked = 0;

        if (migrate_list(dir, &files, &nfiles, err, sizeof err) != 0) {
                log_error("migrate: %s", err);
                goto out;
        }
        conn = pg_connect_env("prahari-migrate", err, sizeof err);
        if (!conn) {
                log_error("migrate: %s", err);
                goto out;
        }
        /* Migrations and waiting for the lock may take longer than the
         * services' statement timeout. */
        if (exec_ok(conn, "SELECT set_config('statement_timeout', '0', false)", 0, NULL) != 0)
                goto out;
        const char *lock_params[1] = {MIGRATE_LOCK_KEY};
        int64_t t_lock = util_mono_us();
        if (exec_ok(conn, "SELECT pg_advisory_lock($1::bigint)", 1, lock_params) != 0)
                goto out;
        locked = 1;
        if (util_mono_us() - t_lock > 100000)
                log_info("migrate: waited %.1f s for another migrator",
                         (double)(util_mono_us() - t_lock) / 1e6);
        if (exec_ok(conn,
                    "CREATE TABLE IF NOT EXISTS schema_migrations ("
                    "version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now(), "
                    "sha256 text NOT NULL)",
                    0, NULL) != 0)
                goto out;
        applied_res = pg_exec(conn, "SELECT version, sha256 FROM schema_migrations", 0, NULL);
        if (!applied_res)
                goto out;
        size_t napplied = (size_t)PQntuples(applied_res);
        applied = calloc(napplied ? napplied : 1, sizeof *applied);
        states = calloc(nfiles, sizeof *states);
        if (!applied || !states) {
                log_error("migrate: out of memory");
                goto out;
        }
        for (size_t i = 0; i < napplied; i++) {
                applied[i].version = PQgetvalue(applied_res, (int)i, 0);
                applied[i].sha256 = PQgetvalue(applied_res, (int)i, 1);
        }
        size_t changed = migrate_plan(files, nfiles, applied, napplied, states);
        size_t pending = 0, done = 0;
        for (size_t i = 0; i < nfiles; i++) {
                if (states[i] == MIG_CHANGED)
                        log_error("migrate: %s was applied with another checksum; refusing "
                                  "(never edit an applied migration: add a new file)",
                                  files[i].version);
                pending += states[i] == MIG_PENDING;
                if (status_only)
                        printf("%-40s %s\n", files[i].version,
                               states[i] == MIG_APPLIED   ? "applied"
                               : states[i] == MIG_PENDING ? "pending"
                                                          : "CHANGED");
        }
        if (changed > 0)
                goto out;
        if (status_only) {
                rc = 0;
                goto out;
        }
        for (size_t i = 0; i < nfiles; i++) {
                if (states[i] != MIG_PENDING)
                        continue;
                if (apply_one(conn, &files[i]) != 0)
                        goto out;
                done++;
        }
        printf("prahari-migrate: %zu applied, %zu already applied (%s)\n", done,
               nfiles - pending, dir);
        rc = 0;
out:
        if (locked && PQstatus(conn) == CONNECTION_OK)
                (void)exec_ok(conn, "SELECT pg_advisory_unlock($1::bigint)", 1, lock_params);
        PQclear(applied_res);
        free(applied);
        free(states);
        PQfinish(conn);
        migrate_files_free(files, nfiles);
        return rc;
}
