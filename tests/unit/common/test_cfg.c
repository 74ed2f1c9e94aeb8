/* SPDX-License-Identifier: Apache-2.0 */
/* Table tests of cfg.h: strict parsers, defaults, empty = unset, required
 * items, NAME_FILE secrets, and error texts that name the variable and never
 * show a secret. */
#include "prahari/cfg.h"
#include "prahari/log.h"
#include "testutil.h"

#include <stdlib.h>
#include <fcntl.h>
#include <unistd.h>

struct tcfg {
        char *name;
        long workers;
        double ratio;
        bool verbose;
        int port;
        char *token;
        long pin;
};

static const struct cfg_item items[] = {
        {"T_NAME", CFG_STR, offsetof(struct tcfg, name), "prahari", 0, 0, 0, "A name."},
        {"T_WORKERS", CFG_INT, offsetof(struct tcfg, workers), "4", 0, 1, 64, "Workers."},
        {"T_RATIO", CFG_DOUBLE, offsetof(struct tcfg, ratio), "0.5", 0, 0, 1, "A ratio."},
        {"T_VERBOSE", CFG_BOOL, offsetof(struct tcfg, verbose), "no", 0, 0, 0, "Chatty."},
        {"T_PORT", CFG_PORT, offsetof(struct tcfg, port), NULL, CFG_REQUIRED, 0, 0, "Port."},
        {"T_TOKEN", CFG_STR, offsetof(struct tcfg, token), NULL, CFG_SECRET, 0, 0, "Token."},
        {"T_PIN", CFG_INT, offsetof(struct tcfg, pin), NULL, CFG_SECRET, 0, 0, "A secret number."},
};
#define NITEMS (sizeof items / sizeof items[0])

static const char *const all_vars[] = {"T_NAME",  "T_WORKERS", "T_RATIO",     "T_VERBOSE",
                                       "T_PORT",  "T_TOKEN",   "T_TOKEN_FILE", "T_PIN",
                                       "T_PIN_FILE"};

static void clear_env(void)
{
        for (size_t i = 0; i < sizeof all_vars / sizeof all_vars[0]; i++)
                unsetenv(all_vars[i]);
}

static void test_parsers(void)
{
        static const struct {
                const char *s;
                long min, max;
                int rc;
                long v;
        } longs[] = {
                {"0", 0, 10, 0, 0},       {"10", 0, 10, 0, 10},   {"11", 0, 10, -1, 0},
                {"-1", 0, 10, -1, 0},     {"-5", -10, 10, 0, -5}, {"+7", 0, 10, 0, 7},
                {"", 0, 10, -1, 0},       {" 1", 0, 10, -1, 0},   {"1 ", 0, 10, -1, 0},
                {"1x", 0, 10, -1, 0},     {"0x10", 0, 100, -1, 0}, {"abc", 0, 10, -1, 0},
                {"99999999999999999999", 0, 2147483647, -1, 0},
                {"9223372036854775807", 0, 9223372036854775807L, 0, 9223372036854775807L},
        };
        for (size_t i = 0; i < sizeof longs / sizeof longs[0]; i++) {
                long v = -42;
                int rc = cfg_parse_long(longs[i].s, longs[i].min, longs[i].max, &v);
                CHECK_MSG(rc == longs[i].rc, "cfg_parse_long('%s') = %d", longs[i].s, rc);
                if (rc == 0)
                        CHECK_INT(v, longs[i].v);
                else
                        CHECK_INT(v, -42); /* untouched on error */
        }
        CHECK(cfg_parse_long(NULL, 0, 1, &(long){0}) == -1);

        static const struct {
                const char *s;
                int rc;
                double v;
        } dbls[] = {
                {"0.5", 0, 0.5}, {"-2.25", 0, -2.25}, {"1e3", 0, 1000}, {"3", 0, 3},
                {"", -1, 0},     {"nan", -1, 0},      {"inf", -1, 0},   {"1e999", -1, 0},
                {"1.5x", -1, 0}, {" 1", -1, 0},       {"0,5", -1, 0},
        };
        for (size_t i = 0; i < sizeof dbls / sizeof dbls[0]; i++) {
                double v = -42;
                int rc = cfg_parse_double(dbls[i].s, &v);
                CHECK_MSG(rc == dbls[i].rc, "cfg_parse_double('%s') = %d", dbls[i].s, rc);
                if (rc == 0)
                        CHECK_NEAR(v, dbls[i].v, 1e-12);
        }

        static const struct {
                const char *s;
                int rc;
                bool v;
        } bools[] = {
                {"1", 0, true},      {"0", 0, false},   {"true", 0, true}, {"FALSE", 0, false},
                {"Yes", 0, true},    {"no", 0, false},  {"on", 0, true},   {"OFF", 0, false},
                {"", -1, false},     {"2", -1, false},  {"y", -1, false},  {"maybe", -1, false},
                {"true ", -1, false},
        };
        for (size_t i = 0; i < sizeof bools / sizeof bools[0]; i++) {
                bool v = !bools[i].v;
                int rc = cfg_parse_bool(bools[i].s, &v);
                CHECK_MSG(rc == bools[i].rc, "cfg_parse_bool('%s') = %d", bools[i].s, rc);
                if (rc == 0)
                        CHECK(v == bools[i].v);
        }
}

static void test_defaults_and_values(void)
{
        char err[256];
        struct tcfg c = {0};
        clear_env();
        setenv("T_PORT", "9101", 1);
        setenv("T_NAME", "", 1); /* empty = unset: the default applies */
        CHECK_INT(cfg_load(items, NITEMS, &c, err, sizeof err), 0);
        CHECK_STR(c.name, "prahari");
        CHECK_INT(c.workers, 4);
        CHECK_NEAR(c.ratio, 0.5, 0);
        CHECK(c.verbose == false);
        CHECK_INT(c.port, 9101);
        CHECK(c.token == NULL);
        CHECK_INT(c.pin, 0);
        cfg_free(items, NITEMS, &c);
        CHECK(c.name == NULL);

        setenv("T_NAME", "ingest", 1);
        setenv("T_WORKERS", "64", 1);
        setenv("T_RATIO", "1", 1);
        setenv("T_VERBOSE", "on", 1);
        setenv("T_TOKEN", "tok-123", 1);
        CHECK_INT(cfg_load(items, NITEMS, &c, err, sizeof err), 0);
        CHECK_STR(c.name, "ingest");
        CHECK_INT(c.workers, 64);
        CHECK_NEAR(c.ratio, 1.0, 0);
        CHECK(c.verbose == true);
        CHECK_STR(c.token, "tok-123");
        cfg_free(items, NITEMS, &c);
}

/* Each row: variable settings, then the text the error must contain. */
static void test_errors(void)
{
        static const struct {
                const char *var, *val;
                const char *want; /* substring of the error */
        } rows[] = {
                {"T_WORKERS", "0", "T_WORKERS: '0' is not an integer in [1, 64]"},
                {"T_WORKERS", "65", "T_WORKERS: '65' is not an integer in [1, 64]"},
                {"T_WORKERS", "4x", "T_WORKERS: '4x' is not an integer"},
                {"T_RATIO", "1.5", "T_RATIO: '1.5' is not a number in [0, 1]"},
                {"T_RATIO", "half", "T_RATIO: 'half'"},
                {"T_VERBOSE", "maybe", "T_VERBOSE: 'maybe' is not a boolean"},
                {"T_PORT", "0", "T_PORT: '0' is not a port (1..65535)"},
                {"T_PORT", "65536", "T_PORT: '65536' is not a port"},
                {"T_PORT", "http", "T_PORT: 'http' is not a port"},
                {"T_PORT", "", "T_PORT: required but not set"}, /* empty = unset */
                {"T_PIN", "12ab-s3cret", "T_PIN: '(secret)' is not an integer"},
        };
        for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
                char err[256] = "";
                struct tcfg c = {0};
                clear_env();
                setenv("T_PORT", "8080", 1);
                setenv("T_NAME", "x", 1); /* a string loaded before the error: freed */
                setenv(rows[i].var, rows[i].val, 1);
                int rc = cfg_load(items, NITEMS, &c, err, sizeof err);
                CHECK_MSG(rc == -1, "%s=%s accepted", rows[i].var, rows[i].val);
                CHECK_MSG(strstr(err, rows[i].want) != NULL, "error '%s' lacks '%s'", err,
                          rows[i].want);
                CHECK_MSG(strstr(err, "s3cret") == NULL, "secret leaked: %s", err);
                CHECK(c.name == NULL);
        }
}

static void test_secret_files(void)
{
        char path[] = "/tmp/prahari-cfg-test-XXXXXX";
        int fd = mkstemp(path);
        CHECK(fd >= 0);
        CHECK(write(fd, "s3cret-token\r\n", 14) == 14);
        close(fd);

        char err[256];
        struct tcfg c = {0};
        clear_env();
        setenv("T_PORT", "8080", 1);
        setenv("T_TOKEN_FILE", path, 1);
        CHECK_INT(cfg_load(items, NITEMS, &c, err, sizeof err), 0);
        CHECK_STR(c.token, "s3cret-token");
        cfg_free(items, NITEMS, &c);

        setenv("T_TOKEN", "other", 1);
        CHECK_INT(cfg_load(items, NITEMS, &c, err, sizeof err), -1);
        CHECK(strstr(err, "T_TOKEN: set either T_TOKEN or T_TOKEN_FILE") != NULL);
        unsetenv("T_TOKEN");

        setenv("T_TOKEN_FILE", "/nonexistent/prahari-token", 1);
        CHECK_INT(cfg_load(items, NITEMS, &c, err, sizeof err), -1);
        CHECK_MSG(strstr(err, "T_TOKEN_FILE: cannot read file '/nonexistent/prahari-token'") != NULL,
                  "%s", err);

        /* An empty secret file is an error, not an empty secret. */
        fd = open(path, O_WRONLY | O_TRUNC);
        CHECK(fd >= 0);
        CHECK(write(fd, "\n", 1) == 1);
        close(fd);
        setenv("T_TOKEN_FILE", path, 1);
        CHECK_INT(cfg_load(items, NITEMS, &c, err, sizeof err), -1);
        CHECK(strstr(err, "T_TOKEN_FILE: file") != NULL && strstr(err, "is empty") != NULL);

        /* A secret number from a file */
        unsetenv("T_TOKEN_FILE");
        fd = open(path, O_WRONLY | O_TRUNC);
        CHECK(write(fd, "4711\n", 5) == 5);
        close(fd);
        setenv("T_PIN_FILE", path, 1);
        CHECK_INT(cfg_load(items, NITEMS, &c, err, sizeof err), 0);
        CHECK_INT(c.pin, 4711);
        cfg_free(items, NITEMS, &c);
        unlink(path);
        clear_env();
}

static const struct cfg_item required_secret[] = {
        {"T_TOKEN", CFG_STR, 0, NULL, CFG_SECRET | CFG_REQUIRED, 0, 0, "Token."},
};

static void test_required_secret(void)
{
        char err[256];
        char *tok = NULL;
        clear_env();
        CHECK_INT(cfg_load(required_secret, 1, &tok, err, sizeof err), -1);
        CHECK_STR(err, "T_TOKEN: required (set T_TOKEN or T_TOKEN_FILE)");
        setenv("T_TOKEN", "abc", 1);
        CHECK_INT(cfg_load(required_secret, 1, &tok, err, sizeof err), 0);
        CHECK_STR(tok, "abc");
        cfg_free(required_secret, 1, &tok);
        CHECK(tok == NULL);
        clear_env();
}

static char *capture_file(int fd)
{
        off_t end = lseek(fd, 0, SEEK_END);
        char *buf = calloc(1, (size_t)end + 1);
        if (buf && pread(fd, buf, (size_t)end, 0) != end)
                buf[0] = '\0';
        return buf;
}

/* cfg_log shows values but never a secret; cfg_print_help renders rows. */
static void test_log_and_help(void)
{
        char err[256];
        struct tcfg c = {0};
        clear_env();
        setenv("T_PORT", "9102", 1);
        setenv("T_NAME", "enrich", 1);
        setenv("T_TOKEN", "tok-s3cret", 1);
        setenv("T_PIN", "4711", 1);
        CHECK_INT(cfg_load(items, NITEMS, &c, err, sizeof err), 0);

        char lpath[] = "/tmp/prahari-cfg-log-XXXXXX";
        int lfd = mkstemp(lpath);
        log_set_fd(lfd);
        cfg_log(items, NITEMS, &c);
        log_set_fd(-1);
        char *logged = capture_file(lfd);
        CHECK(logged && strstr(logged, "\"msg\":\"config T_NAME=enrich\"") != NULL);
        CHECK(logged && strstr(logged, "\"msg\":\"config T_PORT=9102\"") != NULL);
        CHECK(logged && strstr(logged, "\"msg\":\"config T_RATIO=0.5\"") != NULL);
        CHECK(logged && strstr(logged, "\"msg\":\"config T_TOKEN=(set)\"") != NULL);
        CHECK(logged && strstr(logged, "\"msg\":\"config T_PIN=(set)\"") != NULL);
        CHECK(logged && strstr(logged, "s3cret") == NULL && strstr(logged, "4711") == NULL);
        free(logged);
        close(lfd);
        unlink(lpath);
        cfg_free(items, NITEMS, &c);

        char hpath[] = "/tmp/prahari-cfg-help-XXXXXX";
        int hfd = mkstemp(hpath);
        fflush(stdout);
        int saved = dup(STDOUT_FILENO);
        dup2(hfd, STDOUT_FILENO);
        cfg_print_help(items, NITEMS);
        fflush(stdout);
        dup2(saved, STDOUT_FILENO);
        close(saved);
        char *help = capture_file(hfd);
        CHECK(help && strncmp(help, "| variable | type | default | meaning |\n|---|---|---|---|\n",
                              57) == 0);
        CHECK(help && strstr(help, "| `T_WORKERS` | integer in [1, 64] | 4 | Workers. |\n"));
        CHECK(help && strstr(help, "| `T_PORT` | port, required |  | Port. |\n"));
        CHECK(help && strstr(help, "| `T_TOKEN` (or `_FILE`) | string |  | Token. |\n"));
        CHECK(help && strstr(help, "| `T_VERBOSE` | boolean | no | Chatty. |\n"));
        free(help);
        close(hfd);
        unlink(hpath);
        clear_env();
}

int main(void)
{
        test_parsers();
        test_defaults_and_values();
        test_errors();
        test_secret_files();
        test_required_secret();
        test_log_and_help();
        return test_summary("common_cfg");
}
