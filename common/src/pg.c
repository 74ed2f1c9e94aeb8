/* SPDX-License-Identifier: Apache-2.0 */
/* libpq helpers: connect from PRAHARI_PG_DSN (+ PRAHARI_PG_PASSWORD_FILE)
 * with application_name and statement_timeout, reset broken connections,
 * run parameterised statements, append timeline rows. */
#include "prahari/pg.h"
#include "prahari/cfg.h"
#include "prahari/log.h"
#include "prahari/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_DSN "host=127.0.0.1 port=55432 dbname=prahari user=prahari"

static _Thread_local char g_sqlstate[6];

const char *pg_last_sqlstate(void)
{
        return g_sqlstate;
}

/* Copy libpq's message without its trailing newline. */
static void conn_error(PGconn *conn, char *err, size_t errsz, const char *prefix)
{
        const char *m = conn ? PQerrorMessage(conn) : "out of memory";
        size_t n = strlen(m);
        while (n > 0 && (m[n - 1] == '\n' || m[n - 1] == '\r'))
                n--;
        snprintf(err, errsz, "%s%.*s", prefix, (int)n, m);
}

/* Apply the per-session settings (again after a reset). */
static int session_setup(PGconn *conn, char *err, size_t errsz)
{
        const char *v = getenv("PRAHARI_PG_STATEMENT_TIMEOUT_MS");
        long ms = 5000;
        if (v && *v && cfg_parse_long(v, 0, 86400000L, &ms) != 0) {
                snprintf(err, errsz,
                         "PRAHARI_PG_STATEMENT_TIMEOUT_MS: '%s' is not an integer in [0, 86400000]",
                         v);
                return -1;
        }
        char buf[32];
        snprintf(buf, sizeof buf, "%ld", ms);
        const char *params[1] = {buf};
        PGresult *res = PQexecParams(conn, "SELECT set_config('statement_timeout', $1, false)", 1,
                                     NULL, params, NULL, NULL, 0);
        int ok = PQresultStatus(res) == PGRES_TUPLES_OK;
        if (!ok)
                conn_error(conn, err, errsz, "PostgreSQL: setting statement_timeout: ");
        PQclear(res);
        return ok ? 0 : -1;
}

PGconn *pg_connect_env(const char *application_name, char *err, size_t errsz)
{
        const char *dsn = getenv("PRAHARI_PG_DSN");
        if (!dsn || !*dsn)
                dsn = DEFAULT_DSN;
        char *password = NULL;
        const char *pwfile = getenv("PRAHARI_PG_PASSWORD_FILE");
        if (pwfile && *pwfile) {
                size_t len = 0;
                password = util_read_file(pwfile, &len);
                if (!password) {
                        snprintf(err, errsz, "PRAHARI_PG_PASSWORD_FILE: cannot read '%s': %s",
                                 pwfile, strerror(errno));
                        return NULL;
                }
                while (len > 0 && (password[len - 1] == '\n' || password[len - 1] == '\r'))
                        password[--len] = '\0';
        }
        /* Later keywords override what the DSN (expanded from dbname) says. */
        const char *keys[5], *vals[5];
        int k = 0;
        keys[k] = "connect_timeout", vals[k++] = "10";
        keys[k] = "dbname", vals[k++] = dsn;
        if (application_name && *application_name)
                keys[k] = "application_name", vals[k++] = application_name;
        if (password)
                keys[k] = "password", vals[k++] = password;
        keys[k] = NULL, vals[k] = NULL;
        PGconn *conn = PQconnectdbParams(keys, vals, 1);
        if (password) {
                explicit_bzero(password, strlen(password));
                free(password);
        }
        if (!conn || PQstatus(conn) != CONNECTION_OK) {
                conn_error(conn, err, errsz, "PostgreSQL: ");
                PQfinish(conn);
                return NULL;
        }
        if (session_setup(conn, err, errsz) != 0) {
                PQfinish(conn);
                return NULL;
        }
        return conn;
}

bool pg_ensure(PGconn **conn, const char *application_name)
{
        char err[512];
        if (!*conn) {
                *conn = pg_connect_env(application_name, err, sizeof err);
                if (!*conn)
                        log_warn("%s", err);
                return *conn != NULL;
        }
        if (PQstatus(*conn) == CONNECTION_OK && PQtransactionStatus(*conn) != PQTRANS_UNKNOWN)
                return true;
        log_warn("PostgreSQL connection broken; resetting");
        PQreset(*conn);
        if (PQstatus(*conn) != CONNECTION_OK) {
                conn_error(*conn, err, sizeof err, "PostgreSQL reset: ");
                log_warn("%s", err);
                return false;
        }
        if (session_setup(*conn, err, sizeof err) != 0) {
                log_warn("%s", err);
                return false;
        }
        log_info("PostgreSQL connection restored");
        return true;
}

PGresult *pg_exec(PGconn *conn, const char *sql, int nparams, const char *const *params)
{
        g_sqlstate[0] = '\0';
        PGresult *res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
        ExecStatusType st = PQresultStatus(res);
        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
                return res;
        const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
        if (state)
                util_strlcpy(g_sqlstate, state, sizeof g_sqlstate);
        /* The primary message only: DETAIL may quote row values. */
        const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
        char cerr[256];
        if (!msg) {
                conn_error(conn, cerr, sizeof cerr, "");
                msg = cerr;
        }
        log_error("PostgreSQL: %s (SQLSTATE %s)", msg, state ? state : "none");
        PQclear(res);
        return NULL;
}

static int exec_simple(PGconn *conn, const char *sql)
{
        PGresult *res = pg_exec(conn, sql, 0, NULL);
        if (!res)
                return -1;
        PQclear(res);
        return 0;
}

int pg_begin(PGconn *conn)
{
        return exec_simple(conn, "BEGIN");
}

int pg_commit(PGconn *conn)
{
        return exec_simple(conn, "COMMIT");
}

void pg_rollback(PGconn *conn)
{
        if (PQstatus(conn) == CONNECTION_OK)
                (void)exec_simple(conn, "ROLLBACK");
}

int pg_timeline_add(PGconn *conn, const char *alert_id, const char *stage, const char *event,
                    const char *actor, int revision, const char *detail_json)
{
        char rev[16];
        const char *params[6] = {alert_id, stage, event, actor, NULL,
                                 detail_json ? detail_json : "{}"};
        if (revision > 0) {
                snprintf(rev, sizeof rev, "%d", revision);
                params[4] = rev;
        }
        PGresult *res = pg_exec(conn,
                                "INSERT INTO timeline (alert_id, stage, event, actor, revision, "
                                "detail) VALUES ($1::uuid, $2, $3, $4, $5::integer, $6::jsonb)",
                                6, params);
        if (!res)
                return -1;
        PQclear(res);
        return 0;
}
