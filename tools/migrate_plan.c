/* SPDX-License-Identifier: Apache-2.0 */
/* The pure part of prahari-migrate: which migration files exist, in which
 * order, with which checksum, and which of them still have to be applied.
 * No database access here; prahari-migrate (migrate.c) does the I/O. */
#include "migrate_plan.h"
#include "prahari/util.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int by_version(const void *a, const void *b)
{
        const struct mig_file *x = a, *y = b;
        return strcmp(x->version, y->version);
}

void migrate_files_free(struct mig_file *files, size_t n)
{
        if (!files)
                return;
        for (size_t i = 0; i < n; i++) {
                free(files[i].version);
                free(files[i].path);
        }
        free(files);
}

int migrate_list(const char *dir, struct mig_file **out, size_t *n, char *err, size_t errsz)
{
        int rc = -1;
        struct mig_file *files = NULL;
        size_t cnt = 0, cap = 0;
        DIR *d = opendir(dir);
        *out = NULL;
        *n = 0;
        if (!d) {
                snprintf(err, errsz, "migrations directory '%s': %s", dir, strerror(errno));
                return -1;
        }
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
                size_t len = strlen(de->d_name);
                if (len <= 4 || strcmp(de->d_name + len - 4, ".sql") != 0 || de->d_name[0] == '.')
                        continue;
                size_t plen = strlen(dir) + 1 + len + 1;
                char *path = malloc(plen);
                if (!path)
                        goto oom;
                snprintf(path, plen, "%s/%s", dir, de->d_name);
                struct stat st;
                if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
                        free(path);
                        continue;
                }
                if (cnt == cap) {
                        size_t ncap = cap ? cap * 2 : 16;
                        struct mig_file *nf = realloc(files, ncap * sizeof *nf);
                        if (!nf) {
                                free(path);
                                goto oom;
                        }
                        files = nf;
                        cap = ncap;
                }
                struct mig_file *f = &files[cnt];
                memset(f, 0, sizeof *f);
                f->path = path;
                f->version = strndup(de->d_name, len - 4);
                cnt++;
                if (!f->version)
                        goto oom;
                size_t flen = 0;
                char *body = util_read_file(path, &flen);
                if (!body) {
                        snprintf(err, errsz, "cannot read '%s': %s", path, strerror(errno));
                        goto out;
                }
                util_sha256_hex(body, flen, f->sha256);
                free(body);
        }
        if (cnt == 0) {
                snprintf(err, errsz, "no *.sql files in '%s'", dir);
                goto out;
        }
        qsort(files, cnt, sizeof *files, by_version);
        *out = files;
        *n = cnt;
        files = NULL;
        rc = 0;
        goto out;
oom:
        snprintf(err, errsz, "out of memory listing '%s'", dir);
out:
        closedir(d);
        migrate_files_free(files, cnt);
        return rc;
}

size_t migrate_plan(const struct mig_file *files, size_t nfiles,
                    const struct mig_applied *applied, size_t napplied, enum mig_state *states)
{
        size_t changed = 0;
        for (size_t i = 0; i < nfiles; i++) {
                states[i] = MIG_PENDING;
                for (size_t j = 0; j < napplied; j++) {
                        if (strcmp(files[i].version, applied[j].version) != 0)
                                continue;
                        if (applied[j].sha256 && strcmp(files[i].sha256, applied[j].sha256) == 0) {
                                states[i] = MIG_APPLIED;
                        } else {
                                states[i] = MIG_CHANGED;
                                changed++;
                        }
                        break;
                }
        }
        return changed;
}
