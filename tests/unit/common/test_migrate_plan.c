/* SPDX-License-Identifier: Apache-2.0 */
/* The pure part of prahari-migrate: listing a migrations directory in
 * file-name order with checksums, and the applied/pending/changed plan. */
#include "migrate_plan.h"
#include "testutil.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char g_dir[] = "/tmp/prahari-migrate-plan-XXXXXX";

static void put(const char *name, const char *body)
{
        char path[256];
        snprintf(path, sizeof path, "%s/%s", g_dir, name);
        FILE *f = fopen(path, "w");
        CHECK(f != NULL);
        if (f) {
                fputs(body, f);
                fclose(f);
        }
}

int main(void)
{
        char err[256] = "";
        struct mig_file *files = NULL;
        size_t n = 0;
        CHECK(mkdtemp(g_dir) != NULL);

        CHECK_INT(migrate_list(g_dir, &files, &n, err, sizeof err), -1);
        CHECK(strstr(err, "no *.sql files in") != NULL);

        put("0100_b.sql", "abc");
        put("0001_a.sql", "");
        put("0010_c.sql", "CREATE TABLE t (id int);\n");
        put("notes.txt", "not a migration");
        put(".0000_hidden.sql", "SELECT 1;");
        char sub[300];
        snprintf(sub, sizeof sub, "%s/0200_dir.sql", g_dir);
        CHECK(mkdir(sub, 0700) == 0);

        CHECK_INT(migrate_list(g_dir, &files, &n, err, sizeof err), 0);
        CHECK_INT(n, 3);
        if (n == 3) {
                CHECK_STR(files[0].version, "0001_a");
                CHECK_STR(files[1].version, "0010_c");
                CHECK_STR(files[2].version, "0100_b");
                CHECK_STR(files[0].sha256,
                          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
                CHECK_STR(files[2].sha256,
                          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
                char want[300];
                snprintf(want, sizeof want, "%s/0100_b.sql", g_dir);
                CHECK_STR(files[2].path, want);

                const struct mig_applied applied[] = {
                        {"0001_a", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
                        {"0010_c", "0000000000000000000000000000000000000000000000000000000000000000"},
                        {"0050_gone", "ffff"}, /* recorded, file since removed: ignored */
                };
                enum mig_state st[3];
                CHECK_INT(migrate_plan(files, n, applied, 3, st), 1);
                CHECK_INT(st[0], MIG_APPLIED);
                CHECK_INT(st[1], MIG_CHANGED);
                CHECK_INT(st[2], MIG_PENDING);
                CHECK_INT(migrate_plan(files, n, NULL, 0, st), 0);
                CHECK(st[0] == MIG_PENDING && st[1] == MIG_PENDING && st[2] == MIG_PENDING);
        }
        migrate_files_free(files, n);

        CHECK_INT(migrate_list("/nonexistent/prahari-sql", &files, &n, err, sizeof err), -1);
        CHECK(strstr(err, "/nonexistent/prahari-sql") != NULL);

        char cmd[400];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
        CHECK(system(cmd) == 0);
        return test_summary("common_migrate_plan");
}
