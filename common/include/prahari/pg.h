/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file pg.h
 * @brief libpq helpers: connect from the environment, reconnect, timeline.
 *
 * PRAHARI_PG_DSN (default "host=127.0.0.1 port=55432 dbname=prahari
 * user=prahari") and PRAHARI_PG_PASSWORD_FILE (optional). Every session gets
 * statement_timeout (PRAHARI_PG_STATEMENT_TIMEOUT_MS, default 5000) and
 * application_name = the service. All SQL goes through parameters.
 */
#ifndef PRAHARI_PG_H
#define PRAHARI_PG_H
#include <libpq-fe.h>
#include <stdbool.h>

/** @brief Connect using the environment. NULL with @p err (no password in it). */
PGconn *pg_connect_env(const char *application_name, char *err, size_t errsz);

/**
 * @brief Make sure *@p conn is usable: reset it if the connection broke.
 * @returns true if usable.
 */
bool pg_ensure(PGconn **conn, const char *application_name);

/**
 * @brief Run a parameterised statement; NULL params allowed.
 * @returns the PGresult when its status is COMMAND_OK or TUPLES_OK (caller
 * PQclear's it), else NULL after logging the error (and PQclear).
 */
PGresult *pg_exec(PGconn *conn, const char *sql, int nparams, const char *const *params);

/** @brief BEGIN / COMMIT / ROLLBACK; @returns 0 on success. */
int pg_begin(PGconn *conn);
int pg_commit(PGconn *conn);
void pg_rollback(PGconn *conn);

/**
 * @brief Append one timeline row. @p revision <= 0 means NULL;
 * @p detail_json may be NULL ("{}").
 * @returns 0 on success.
 */
int pg_timeline_add(PGconn *conn, const char *alert_id, const char *stage, const char *event,
                    const char *actor, int revision, const char *detail_json);

/**
 * @brief SQLSTATE of the last statement that failed in pg_exec on this thread
 * ("23505" for a unique violation), or "" when it failed without one.
 * Borrowed; valid until the next pg_exec on this thread.
 */
const char *pg_last_sqlstate(void);

#endif
