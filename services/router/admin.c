/* SPDX-License-Identifier: Apache-2.0 */
/* prahari-admin: the router's admin CLI. `directory import FILE` validates
 * every row (all problems reported with line and reason; nothing changes if
 * any row is bad), then replaces the directory table's content in one
 * transaction with one directory_audit row per added, changed or removed
 * recipient (actor, before, after). `directory export` writes the CSV.
 * `boundaries import FILE` validates a GeoJSON layer (invalid rings reported
 * with feature and position, or repaired with --repair; sibling overlaps and
 * gaps reported) and stores it in PostGIS as a version with its date. */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <time.h>

#include "directory.h"
#include "geojson.h"
#include "jlayers.h"
#include "siblings.h"
#include "prahari/log.h"
#include "prahari/pg.h"
#include "prahari/util.h"

#ifndef PRAHARI_DEFAULT_BOUNDARIES_FILE
#define PRAHARI_DEFAULT_BOUNDARIES_FILE "../shared/data/boundaries/rajasthan_districts_41.geojson"
#endif

static int usage(void)
{
        fprintf(stderr,
                "usage: prahari-admin directory import [--partial] FILE\n"
                "       prahari-admin directory export\n"
                "       prahari-admin boundaries import [--layer district|state|LEVEL] "
                "[--name-property P]\n"
                "                 [--parent-property P] [--effective YYYY-MM-DD] [--repair] FILE\n"
                "environment: PRAHARI_PG_DSN, PRAHARI_PG_PASSWORD_FILE, PRAHARI_BOUNDARIES_FILE,\n"
                "  PRAHARI_BOUNDARIES_NAME_PROPERTY (name), PRAHARI_JURISDICTION_LAYERS (their\n"
                "  names are valid directory jurisdictions), PRAHARI_ADMIN_ACTOR (default: the OS "
                "user)\n"
                "LEVEL (police_district, police_station, ...): a layer more specific than the\n"
                "  districts; --parent-property (required) names each feature's parent\n"
                "--partial: accept a directory that does not cover every district\n");
        return 2;
}

static const char *env_or(const char *name, const char *def)
{
        const char *v = getenv(name);
        return v && *v ? v : def;
}

static const char *actor_name(void)
{
        const char *a = getenv("PRAHARI_ADMIN_ACTOR");
        if (a && *a)
                return a;
        struct passwd *pw = getpwuid(getuid());
        return pw && pw->pw_name ? pw->pw_name : "unknown";
}

static PGresult *exec_or_fail(PGconn *pg, const char *sql, int n, const char *const *p)
{
        PGresult *res = pg_exec(pg, sql, n, p);
        if (!res)
                fprintf(stderr, "prahari-admin: PostgreSQL: %s", PQerrorMessage(pg));
        return res;
}

static int run_sql(PGconn *pg, const char *sql, int n, const char *const *p, long *affected)
{
        PGresult *res = exec_or_fail(pg, sql, n, p);
        if (!res)
                return -1;
        if (affected) {
                const char *t = PQcmdTuples(res);
                *affected = t && *t ? strtol(t, NULL, 10) : 0;
        }
        PQclear(res);
        return 0;
}

static int import(const char *file, bool partial)
{
        const char *bfile = env_or("PRAHARI_BOUNDARIES_FILE", PRAHARI_DEFAULT_BOUNDARIES_FILE);
        const char *bprop = env_or("PRAHARI_BOUNDARIES_NAME_PROPERTY", "name");
        GEOSContextHandle_t geos = geojson_geos_new();
        char err[1024];
        int rc = 1;
        struct gj_layer *gl = geojson_load_file(geos, bfile, bprop, err, sizeof err);
        struct directory *d = NULL;
        struct dir_error *errs = NULL;
        size_t nerr = 0, len = 0;
        char *buf = NULL;
        PGconn *pg = NULL;
        const char **names = NULL, **extra = NULL;
        char **pgnames = NULL;
        size_t nextra = 0, npgnames = 0;
        struct jlayers jl = {0};
        if (!gl) {
                fprintf(stderr, "prahari-admin: PRAHARI_BOUNDARIES_FILE: %s\n", err);
                goto out;
        }
        names = calloc(gl->n, sizeof *names);
        for (size_t i = 0; names && i < gl->n; i++)
                names[i] = gl->f[i].name;
        buf = util_read_file(file, &len);
        if (!buf || !names) {
                fprintf(stderr, "prahari-admin: %s: cannot read\n", file);
                goto out;
        }
        /* the extra layers' feature names are valid jurisdictions too: file
         * entries from their files, bare levels from PostGIS (version in effect) */
        const char *spec = env_or("PRAHARI_JURISDICTION_LAYERS", "");
        for (const char *p = spec; *p;) {
                p += strspn(p, "; ");
                size_t k = strcspn(p, ";");
                while (k && p[k - 1] == ' ')
                        k--;
                if (!k)
                        break;
                char one[800];
                struct jlayer_spec sp[1];
                util_strlcpy(one, p, k + 1 < sizeof one ? k + 1 : sizeof one);
                p += k;
                if (strchr(one, ':')) {
                        if (jlayers_parse_spec(one, sp, 1, err, sizeof err) != 1 ||
                            jlayers_add_file(&jl, geos, &sp[0], err, sizeof err)) {
                                fprintf(stderr, "prahari-admin: PRAHARI_JURISDICTION_LAYERS: %s\n",
                                        err);
                                goto out;
                        }
                        continue;
                }
                if (!pg && !(pg = pg_connect_env("prahari-admin", err, sizeof err))) {
                        fprintf(stderr, "prahari-admin: %s\n", err);
                        goto out;
                }
                const char *pl[1] = {one};
                PGresult *res = exec_or_fail(
                        pg,
                        "SELECT name FROM boundaries WHERE version = (SELECT version FROM "
                        "boundary_versions WHERE layer = $1 AND effective_from <= current_date "
                        "ORDER BY effective_from DESC, imported_at DESC LIMIT 1)",
                        1, pl);
                if (!res)
                        goto out;
                for (int i = 0; i < PQntuples(res); i++) {
                        char **nv = realloc(pgnames, (npgnames + 1) * sizeof *nv);
                        char *dup = nv ? strdup(PQgetvalue(res, i, 0)) : NULL;
                        if (nv)
                                pgnames = nv;
                        if (!dup)
                                break;
                        pgnames[npgnames++] = dup;
                }
                if (PQntuples(res) == 0)
                        fprintf(stderr, "prahari-admin: warning: no %s layer in effect in "
                                        "PostgreSQL\n",
                                one);
                PQclear(res);
        }
        {
                size_t nfile = 0;
                const char **fnames = jlayers_names(&jl, &nfile);
                extra = calloc(nfile + npgnames + 1, sizeof *extra);
                for (size_t i = 0; extra && i < nfile; i++)
                        extra[nextra++] = fnames[i];
                for (size_t i = 0; extra && i < npgnames; i++)
                        extra[nextra++] = pgnames[i];
                free(fnames);
        }
        d = directory_parse_csv_ex(buf, len, names, gl->n, extra, nextra, !partial, &errs,
                                   &nerr);
        if (!d) {
                for (size_t i = 0; i < nerr; i++)
                        fprintf(stderr, "%s:%d: %s\n", file, errs[i].line, errs[i].reason);
                fprintf(stderr, "prahari-admin: %zu problem(s); nothing changed\n", nerr);
                goto out;
        }
        if (!pg)
                pg = pg_connect_env("prahari-admin", err, sizeof err);
        if (!pg) {
                fprintf(stderr, "prahari-admin: %s\n", err);
                goto out;
        }
        if (pg_begin(pg))
                goto fail;
        /* one import at a time; routers keep reading the old rows meanwhile */
        if (run_sql(pg, "LOCK TABLE directory IN SHARE ROW EXCLUSIVE MODE", 0, NULL, NULL) ||
            run_sql(pg,
                    "CREATE TEMP TABLE new_dir (LIKE directory INCLUDING DEFAULTS) "
                    "ON COMMIT DROP",
                    0, NULL, NULL))
                goto fail;
        for (size_t i = 0; i < d->n; i++) {
                const struct dir_entry *e = &d->e[i];
                char lvl[16];
                snprintf(lvl, sizeof lvl, "%d", e->level);
                const char *p[10] = {e->recipient_id, e->jurisdiction, e->role, e->name,
                                     e->phone,        e->email,        lvl,     e->lang,
                                     e->duty_days,    e->duty_hours};
                if (run_sql(pg,
                            "INSERT INTO new_dir (recipient_id, jurisdiction, role, name, phone, "
                            "email, level, lang, duty_days, duty_hours) VALUES ($1, $2, $3, $4, "
                            "$5, $6, $7::integer, $8, $9, $10)",
                            10, p, NULL))
                        goto fail;
        }
        const char *pa[1] = {actor_name()};
        long audited = 0, removed = 0, upserted = 0;
        /* audit first: before = the current row, after = the imported one */
        if (run_sql(pg,
                    "INSERT INTO directory_audit (actor, recipient_id, before, after) "
                    "SELECT $1, COALESCE(o.recipient_id, n.recipient_id), "
                    "to_jsonb(o) - 'updated_at', to_jsonb(n) - 'updated_at' "
                    "FROM directory o FULL JOIN new_dir n ON o.recipient_id = n.recipient_id "
                    "WHERE (to_jsonb(o) - 'updated_at') IS DISTINCT FROM "
                    "(to_jsonb(n) - 'updated_at')",
                    1, pa, &audited) ||
            run_sql(pg,
                    "DELETE FROM directory o WHERE NOT EXISTS "
                    "(SELECT 1 FROM new_dir n WHERE n.recipient_id = o.recipient_id)",
                    0, NULL, &removed) ||
            run_sql(pg,
                    "INSERT INTO directory (recipient_id, jurisdiction, role, name, phone, email, "
                    "level, lang, duty_days, duty_hours, active) SELECT recipient_id, "
                    "jurisdiction, role, name, phone, email, level, lang, duty_days, duty_hours, "
                    "true FROM new_dir "
                    "ON CONFLICT (recipient_id) DO UPDATE SET jurisdiction = EXCLUDED.jurisdiction, "
                    "role = EXCLUDED.role, name = EXCLUDED.name, phone = EXCLUDED.phone, "
                    "email = EXCLUDED.email, level = EXCLUDED.level, lang = EXCLUDED.lang, "
                    "duty_days = EXCLUDED.duty_days, duty_hours = EXCLUDED.duty_hours, "
                    "active = true, updated_at = now() "
                    "WHERE (directory.jurisdiction, directory.role, directory.name, directory.phone, "
                    "directory.email, directory.level, directory.lang, directory.duty_days, "
                    "directory.duty_hours, directory.active) "
                    "IS DISTINCT FROM (EXCLUDED.jurisdiction, EXCLUDED.role, EXCLUDED.name, "
                    "EXCLUDED.phone, EXCLUDED.email, EXCLUDED.level, EXCLUDED.lang, "
                    "EXCLUDED.duty_days, EXCLUDED.duty_hours, true)",
                    0, NULL, &upserted))
                goto fail;
        if (pg_commit(pg))
                goto fail;
        printf("imported %zu recipients from %s: %ld added or changed, %ld removed, %ld audit "
               "rows (actor %s)\n",
               d->n, file, upserted, removed, audited, pa[0]);
        rc = 0;
        goto out;
fail:
        pg_rollback(pg);
        fprintf(stderr, "prahari-admin: import failed; nothing changed\n");
out:
        if (pg)
                PQfinish(pg);
        free(buf);
        free(errs);
        free(names);
        free(extra);
        for (size_t i = 0; i < npgnames; i++)
                free(pgnames[i]);
        free(pgnames);
        jlayers_clear(&jl);
        directory_free(d);
        geojson_layer_free(geos, gl);
        geojson_geos_free(geos);
        return rc;
}

static int export(void)
{
        char err[512];
        PGconn *pg = pg_connect_env("prahari-admin", err, sizeof err);
        if (!pg) {
                fprintf(stderr, "prahari-admin: %s\n", err);
                return 1;
        }
        PGresult *res = exec_or_fail(pg,
                                     "SELECT recipient_id, jurisdiction, role, name, phone, email, "
                                     "level, lang, duty_days, duty_hours FROM directory WHERE "
                                     "active ORDER BY jurisdiction, level, recipient_id",
                                     0, NULL);
        struct directory *d = directory_new();
        int rc = res && d ? 0 : 1;
        for (int i = 0; rc == 0 && i < PQntuples(res); i++) {
                struct dir_entry e = {
                        .recipient_id = PQgetvalue(res, i, 0),
                        .jurisdiction = PQgetvalue(res, i, 1),
                        .role = PQgetvalue(res, i, 2),
                        .name = PQgetvalue(res, i, 3),
                        .phone = PQgetisnull(res, i, 4) ? NULL : PQgetvalue(res, i, 4),
                        .email = PQgetisnull(res, i, 5) ? NULL : PQgetvalue(res, i, 5),
                        .level = (int)strtol(PQgetvalue(res, i, 6), NULL, 10),
                        .duty_days = PQgetisnull(res, i, 8) ? NULL : PQgetvalue(res, i, 8),
                        .duty_hours = PQgetisnull(res, i, 9) ? NULL : PQgetvalue(res, i, 9),
                };
                util_strlcpy(e.lang, PQgetvalue(res, i, 7), sizeof e.lang);
                rc = directory_add(d, &e) ? 1 : 0;
        }
        char *csv = rc == 0 ? directory_to_csv(d) : NULL;
        if (csv)
                fputs(csv, stdout);
        else
                rc = 1;
        free(csv);
        directory_free(d);
        PQclear(res);
        PQfinish(pg);
        return rc;
}

static bool date_valid(const char *s)
{
        struct tm tm = {0};
        const char *end = strptime(s, "%Y-%m-%d", &tm);
        return end && *end == '\0' && strlen(s) == 10;
}

/* A layer level: [a-z][a-z0-9_]{0,31} (as the migration's check). */
static bool level_valid(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n > 32 || s[0] < 'a' || s[0] > 'z')
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
                        return false;
        return true;
}

/* Feature name -> parent property, from the GeoJSON file (NULL if absent). */
static const char *parent_of(const json_t *root, const char *prop, const char *pprop,
                             const char *name)
{
        size_t i;
        json_t *f;
        json_array_foreach(json_object_get(root, "features"), i, f)
        {
                json_t *p = json_object_get(f, "properties");
                const char *n = json_string_value(json_object_get(p, prop));
                if (n && strcmp(n, name) == 0)
                        return json_string_value(json_object_get(p, pprop));
        }
        return NULL;
}

static int boundaries_import(int argc, char **argv)
{
        const char *layer = "district", *prop = NULL, *pprop = NULL, *file = NULL;
        char effective[16];
        unsigned flags = 0;
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(effective, sizeof effective, "%Y-%m-%d", &tm);
        for (int i = 0; i < argc; i++) {
                if (strcmp(argv[i], "--layer") == 0 && i + 1 < argc)
                        layer = argv[++i];
                else if (strcmp(argv[i], "--name-property") == 0 && i + 1 < argc)
                        prop = argv[++i];
                else if (strcmp(argv[i], "--parent-property") == 0 && i + 1 < argc)
                        pprop = argv[++i];
                else if (strcmp(argv[i], "--effective") == 0 && i + 1 < argc)
                        util_strlcpy(effective, argv[++i], sizeof effective);
                else if (strcmp(argv[i], "--repair") == 0)
                        flags |= GEOJSON_REPAIR;
                else if (argv[i][0] != '-' && !file)
                        file = argv[i];
                else
                        return usage();
        }
        bool extra = strcmp(layer, "district") != 0 && strcmp(layer, "state") != 0;
        if (!file || !date_valid(effective) || !level_valid(layer) || (extra && !pprop))
                return usage();
        if (!prop)
                prop = strcmp(layer, "state") == 0 ? "ST_NM" : "name";
        GEOSContextHandle_t geos = geojson_geos_new();
        char err[4096];
        int rc = 1;
        struct sib_report rep = {0};
        json_t *report = NULL, *froot = NULL;
        char *rtext = NULL, *bytes = NULL;
        PGconn *pg = NULL;
        GEOSWKBWriter *w = NULL;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        struct gj_layer *gl = geojson_load_file_ex(geos, file, prop, flags, err, sizeof err);
        if (!gl) {
                fprintf(stderr, "prahari-admin: %s\nnothing imported\n", err);
                goto out;
        }
        for (size_t i = 0; i < gl->n; i++)
                if (gl->f[i].repair)
                        printf("repaired features[%zu] (%s): %s\n", i, gl->f[i].name,
                               gl->f[i].repair);
        if (pprop) {
                json_error_t je;
                froot = json_load_file(file, 0, &je);
                for (size_t i = 0; i < gl->n; i++)
                        if (!parent_of(froot, prop, pprop, gl->f[i].name)) {
                                fprintf(stderr,
                                        "prahari-admin: features[%zu] (%s): no parent property "
                                        "\"%s\"\nnothing imported\n",
                                        i, gl->f[i].name, pprop);
                                goto out;
                        }
        }
        if (siblings_check(geos, gl, &rep, err, sizeof err)) {
                fprintf(stderr, "prahari-admin: %s\n", err);
                goto out;
        }
        for (size_t i = 0; i < rep.nov; i++)
                printf("overlap: %s and %s share %.3f km2 around %.5f %.5f\n",
                       gl->f[rep.ov[i].a].name, gl->f[rep.ov[i].b].name, rep.ov[i].km2,
                       rep.ov[i].lat, rep.ov[i].lon);
        for (size_t i = 0; i < rep.ngap; i++)
                printf("gap: %.3f km2 around %.5f %.5f bounded by %s%s\n", rep.gap[i].km2,
                       rep.gap[i].lat, rep.gap[i].lon, gl->f[rep.gap[i].bounded_by[0]].name,
                       rep.gap[i].nbounded > 1 ? " and others" : "");
        report = siblings_report_json(gl, &rep);
        json_t *rep_list = json_array();
        for (size_t i = 0; i < gl->n; i++)
                if (gl->f[i].repair)
                        json_array_append_new(rep_list, json_pack("{s:s,s:s}", "feature",
                                                                  gl->f[i].name, "was",
                                                                  gl->f[i].repair));
        json_object_set_new(report, "repaired", rep_list); /* steals ref */
        rtext = json_dumps(report, JSON_COMPACT);
        size_t len = 0;
        bytes = util_read_file(file, &len);
        if (!bytes || !rtext)
                goto out;
        char sha[65], nfeat[16];
        util_sha256_hex(bytes, len, sha);
        snprintf(nfeat, sizeof nfeat, "%zu", gl->n);
        const char *base = strrchr(file, '/');
        base = base ? base + 1 : file;
        pg = pg_connect_env("prahari-admin", err, sizeof err);
        if (!pg) {
                fprintf(stderr, "prahari-admin: %s\n", err);
                goto out;
        }
        if (pg_begin(pg))
                goto fail;
        const char *pv[1] = {gl->version};
        PGresult *res = exec_or_fail(pg, "SELECT layer, effective_from FROM boundary_versions "
                                         "WHERE version = $1",
                                     1, pv);
        if (!res)
                goto fail;
        if (PQntuples(res) == 1) {
                printf("%s is already imported (layer %s, effective %s): nothing to do\n",
                       gl->version, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
                PQclear(res);
                pg_rollback(pg);
                rc = 0;
                goto out;
        }
        PQclear(res);
        const char *pver[9] = {gl->version, layer, base, sha, prop, nfeat, effective,
                               actor_name(), rtext};
        if (run_sql(pg,
                    "INSERT INTO boundary_versions (version, layer, file_name, sha256, "
                    "name_property, features, effective_from, imported_by, report) VALUES "
                    "($1, $2, $3, $4, $5, $6::integer, $7::date, $8, $9::jsonb)",
                    9, pver, NULL))
                goto fail;
        w = GEOSWKBWriter_create_r(geos);
        for (size_t i = 0; w && i < gl->n; i++) {
                size_t hl = 0;
                unsigned char *hex = GEOSWKBWriter_writeHEX_r(geos, w, gl->f[i].geom, &hl);
                if (!hex)
                        goto fail;
                char *hs = malloc(hl + 1);
                if (!hs) {
                        GEOSFree_r(geos, hex);
                        goto fail;
                }
                memcpy(hs, hex, hl);
                hs[hl] = '\0';
                GEOSFree_r(geos, hex);
                const char *pf[4] = {gl->version, gl->f[i].name, hs,
                                     pprop ? parent_of(froot, prop, pprop, gl->f[i].name) : NULL};
                int bad = run_sql(pg,
                                  "INSERT INTO boundaries (version, name, geom, parent) VALUES ($1, "
                                  "$2, ST_Multi(ST_SetSRID(ST_GeomFromWKB(decode($3, 'hex')), "
                                  "4326)), $4)",
                                  4, pf, NULL);
                free(hs);
                if (bad)
                        goto fail;
        }
        if (!w || pg_commit(pg))
                goto fail;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        printf("imported %s: layer %s, %zu features, %zu vertices, effective %s, %zu overlaps, "
               "%zu gaps, %zu repaired, in %.0f ms\n",
               gl->version, layer, gl->n, gl->nvertices, effective, rep.nov, rep.ngap,
               gl->nrepaired,
               (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
        rc = 0;
        goto out;
fail:
        pg_rollback(pg);
        fprintf(stderr, "prahari-admin: boundary import failed; nothing changed\n");
out:
        if (w)
                GEOSWKBWriter_destroy_r(geos, w);
        if (pg)
                PQfinish(pg);
        free(bytes);
        free(rtext);
        json_decref(report);
        json_decref(froot);
        siblings_report_free(&rep);
        geojson_layer_free(geos, gl);
        geojson_geos_free(geos);
        return rc;
}

int main(int argc, char **argv)
{
        log_init("admin");
        if (argc >= 3 && strcmp(argv[1], "directory") == 0 && strcmp(argv[2], "export") == 0 &&
            argc == 3)
                return export();
        if (argc >= 4 && strcmp(argv[1], "directory") == 0 && strcmp(argv[2], "import") == 0) {
                bool partial = argc == 5 && strcmp(argv[3], "--partial") == 0;
                if (argc == 4 || partial)
                        return import(argv[argc - 1], partial);
        }
        if (argc >= 4 && strcmp(argv[1], "boundaries") == 0 && strcmp(argv[2], "import") == 0)
                return boundaries_import(argc - 3, argv + 3);
        return usage();
}
