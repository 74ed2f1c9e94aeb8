/* SPDX-License-Identifier: Apache-2.0 */
/* pg.h against a real PostgreSQL (started by tools/with_pg.sh, schema applied
 * by prahari-migrate): connection settings from the environment, parameters,
 * SQLSTATEs, transactions, timeline rows, statement_timeout, and pg_ensure
 * recovering a connection the server killed. Label: integration. */
#include "prahari/log.h"
#include "prahari/pg.h"
#include "testutil.h"

#include <stdlib.h>
#include <unistd.h>

static char *scalar(PGconn *conn, const char *sql, int n, const char *const *params)
{
        PGresult *res = pg_exec(conn, sql, n, params);
        char *v = NULL;
        if (res && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
                v = strdup(PQgetvalue(res, 0, 0));
        PQclear(res);
        return v;
}

static void check_scalar(PGconn *conn, const char *sql, int n, const char *const *params,
                         const char *want)
{
        char *v = scalar(conn, sql, n, params);
        CHECK_MSG(v && strcmp(v, want) == 0, "%s -> %s, want %s", sql, v ? v : "(null)", want);
        free(v);
}

static void test_env_errors(void)
{
        char err[512] = "";
        setenv("PRAHARI_PG_PASSWORD_FILE", "/nonexistent/pg-password", 1);
        CHECK(pg_connect_env("test", err, sizeof err) == NULL);
        CHECK_MSG(strstr(err, "PRAHARI_PG_PASSWORD_FILE") != NULL, "%s", err);
        unsetenv("PRAHARI_PG_PASSWORD_FILE");

        setenv("PRAHARI_PG_STATEMENT_TIMEOUT_MS", "5s", 1);
        CHECK(pg_connect_env("test", err, sizeof err) == NULL);
        CHECK_MSG(strstr(err, "PRAHARI_PG_STATEMENT_TIMEOUT_MS: '5s'") != NULL, "%s", err);
        unsetenv("PRAHARI_PG_STATEMENT_TIMEOUT_MS");

        const char *dsn = getenv("PRAHARI_PG_DSN");
        char *saved = dsn ? strdup(dsn) : NULL;
        setenv("PRAHARI_PG_DSN", "host=127.0.0.1 port=1 dbname=x user=y connect_timeout=2", 1);
        CHECK(pg_connect_env("test", err, sizeof err) == NULL);
        CHECK_MSG(strncmp(err, "PostgreSQL: ", 12) == 0, "%s", err);
        if (saved) {
                setenv("PRAHARI_PG_DSN", saved, 1);
                free(saved);
        }
}

static void test_queries(PGconn *conn)
{
        check_scalar(conn, "SHOW statement_timeout", 0, NULL, "5s");
        check_scalar(conn, "SELECT current_setting('application_name')", 0, NULL, "common-pg-test");
        const char *p1[1] = {"41"};
        check_scalar(conn, "SELECT $1::int + 1", 1, p1, "42");
        const char *quote[1] = {"O'Brien\"; DROP TABLE timeline; --"};
        check_scalar(conn, "SELECT length($1)", 1, quote, "33");

        CHECK(pg_exec(conn, "SELECT 1/0", 0, NULL) == NULL);
        CHECK_STR(pg_last_sqlstate(), "22012");
        CHECK(pg_exec(conn, "SELEC 1", 0, NULL) == NULL);
        CHECK_STR(pg_last_sqlstate(), "42601");
        PGresult *ok = pg_exec(conn, "SELECT 1", 0, NULL);
        CHECK(ok != NULL);
        CHECK_STR(pg_last_sqlstate(), "");
        PQclear(ok);

        PGresult *r = pg_exec(conn, "CREATE TEMP TABLE t_pg (k text PRIMARY KEY)", 0, NULL);
        CHECK(r != NULL);
        PQclear(r);
        const char *k[1] = {"a"};
        r = pg_exec(conn, "INSERT INTO t_pg VALUES ($1)", 1, k);
        CHECK(r != NULL);
        PQclear(r);
        CHECK(pg_exec(conn, "INSERT INTO t_pg VALUES ($1)", 1, k) == NULL);
        CHECK_STR(pg_last_sqlstate(), "23505");

        /* transactions */
        const char *kb[1] = {"b"}, *kc[1] = {"c"};
        CHECK_INT(pg_begin(conn), 0);
        PQclear(pg_exec(conn, "INSERT INTO t_pg VALUES ($1)", 1, kb));
        pg_rollback(conn);
        CHECK_INT(pg_begin(conn), 0);
        PQclear(pg_exec(conn, "INSERT INTO t_pg VALUES ($1)", 1, kc));
        CHECK_INT(pg_commit(conn), 0);
        check_scalar(conn, "SELECT string_agg(k, ',' ORDER BY k) FROM t_pg", 0, NULL, "a,c");
}

static void test_timeline(PGconn *conn)
{
        const char *id = "0b6f5c1e-8d7a-4c3b-9f2e-1a2b3c4d5e6f";
        CHECK_INT(pg_timeline_add(conn, id, "enrich", "located", "prahari-enrich", 2,
                                  "{\"method\":\"gps\",\"radius_m\":35}"),
                  0);
        CHECK_INT(pg_timeline_add(conn, id, "router", "routed", "prahari-router", 0, NULL), 0);
        const char *p[1] = {id};
        check_scalar(conn,
                     "SELECT string_agg(stage || '/' || event || '/' || actor || '/' || "
                     "coalesce(revision::text, 'null') || '/' || detail::text, ' | ' ORDER BY id) "
                     "FROM timeline WHERE alert_id = $1::uuid",
                     1, p,
                     "enrich/located/prahari-enrich/2/{\"method\": \"gps\", \"radius_m\": 35} | "
                     "router/routed/prahari-router/null/{}");
        CHECK_INT(pg_timeline_add(conn, "not-a-uuid", "enrich", "located", "x", 1, NULL), -1);
        CHECK_STR(pg_last_sqlstate(), "22P02");
        CHECK_INT(pg_timeline_add(conn, id, "enrich", "located", "x", 1, "{bad json"), -1);
        CHECK_STR(pg_last_sqlstate(), "22P02");
        /* append-only: the trigger refuses updates */
        CHECK(pg_exec(conn, "UPDATE timeline SET actor = 'x'", 0, NULL) == NULL);
        CHECK_STR(pg_last_sqlstate(), "P0001");
}

static void test_statement_timeout(void)
{
        char err[512] = "";
        setenv("PRAHARI_PG_STATEMENT_TIMEOUT_MS", "200", 1);
        PGconn *c = pg_connect_env("common-pg-test", err, sizeof err);
        unsetenv("PRAHARI_PG_STATEMENT_TIMEOUT_MS");
        CHECK_MSG(c != NULL, "%s", err);
        if (!c)
                return;
        check_scalar(c, "SHOW statement_timeout", 0, NULL, "200ms");
        CHECK(pg_exec(c, "SELECT pg_sleep(2)", 0, NULL) == NULL);
        CHECK_STR(pg_last_sqlstate(), "57014");
        PQfinish(c);
}

static void test_ensure(PGconn *conn)
{
        char err[512] = "";
        PGconn *admin = pg_connect_env("common-pg-admin", err, sizeof err);
        CHECK(admin != NULL);
        if (!admin)
                return;
        char pid[16];
        snprintf(pid, sizeof pid, "%d", PQbackendPID(conn));
        const char *p[1] = {pid};
        check_scalar(admin, "SELECT pg_terminate_backend($1::int)", 1, p, "t");
        usleep(200000);
        CHECK(pg_exec(conn, "SELECT 1", 0, NULL) == NULL); /* the server closed it */
        CHECK(PQstatus(conn) == CONNECTION_BAD);
        CHECK(pg_ensure(&conn, "common-pg-test"));
        CHECK(PQstatus(conn) == CONNECTION_OK);
        check_scalar(conn, "SELECT 7 * 6", 0, NULL, "42");
        check_scalar(conn, "SHOW statement_timeout", 0, NULL, "5s"); /* re-applied */
        CHECK(pg_ensure(&conn, "common-pg-test"));                     /* healthy: no-op */

        PGconn *none = NULL;
        CHECK(pg_ensure(&none, "common-pg-test")); /* NULL: connects */
        CHECK(none != NULL);
        PQfinish(none);
        PQfinish(admin);
}

int main(void)
{
        log_init("common-pg-test");
        unsetenv("PRAHARI_PG_STATEMENT_TIMEOUT_MS");
        test_env_errors();
        char err[512] = "";
        PGconn *conn = pg_connect_env("common-pg-test", err, sizeof err);
        CHECK_MSG(conn != NULL, "%s", err);
        if (conn) {
                test_queries(conn);
                test_timeline(conn);
                test_statement_timeout();
                test_ensure(conn); /* may replace the PGconn inside: pass a copy */
                PQfinish(conn);
        }
        return test_summary("common_pg");
}
