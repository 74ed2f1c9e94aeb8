/* SPDX-License-Identifier: Apache-2.0 */
/* Duty windows: parsing (days, hours, midnight crossing), the on-duty test
 * at injected IST times, selection that never empties a level, CSV import
 * (bad windows reported with line and reason; CSVs without the columns stay
 * valid), export round trip, and the shipped directory's illustrative SHOs. */
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "directory.h"
#include "geojson.h"
#include "prahari/util.h"

/* Unix time of an IST wall-clock time (days from civil, no libc time zone). */
static long long ist(int y, int m, int d, int hh, int mm)
{
        y -= m <= 2;
        long long era = (y >= 0 ? y : y - 399) / 400;
        long long yoe = y - era * 400;
        long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        long long days = era * 146097 + doe - 719468;
        return days * 86400 + hh * 3600 + mm * 60 - 19800;
}

static void test_parse(void)
{
        static const struct {
                const char *days, *hours;
                bool ok;
                unsigned mask;
                int start, end;
        } t[] = {
                {"", "", true, 0x7f, 0, 0},
                {NULL, NULL, true, 0x7f, 0, 0},
                {"mon-fri", "", true, 0x1f, 0, 0},
                {"sat,sun", "09:00-18:00", true, 0x60, 540, 1080},
                {"fri-mon", "22:00-06:00", true, 0x71, 1320, 360},
                {"mon,wed-thu", "00:00-23:59", true, 0x0d, 0, 1439},
                {"sun", "", true, 0x40, 0, 0},
                {"Mon-Fri", "", false, 0, 0, 0},
                {"monday", "", false, 0, 0, 0},
                {"mon-", "", false, 0, 0, 0},
                {"mon,", "", false, 0, 0, 0},
                {"", "9:00-18:00", false, 0, 0, 0},
                {"", "09:00-24:00", false, 0, 0, 0},
                {"", "09:60-18:00", false, 0, 0, 0},
                {"", "09:00-09:00", false, 0, 0, 0},
                {"", "09:00", false, 0, 0, 0},
                {"", "09:00-18:00x", false, 0, 0, 0},
        };
        for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
                struct dir_duty w;
                char why[160] = "";
                bool ok = directory_duty_parse(t[i].days, t[i].hours, &w, why, sizeof why);
                CHECK_MSG(ok == t[i].ok, "row %zu (%s|%s): %s", i, t[i].days ? t[i].days : "-",
                          t[i].hours ? t[i].hours : "-", why);
                if (ok && t[i].ok) {
                        CHECK_INT(w.days, t[i].mask);
                        CHECK_INT(w.start, t[i].start);
                        CHECK_INT(w.end, t[i].end);
                } else if (!ok) {
                        CHECK_MSG(strstr(why, t[i].hours && *t[i].hours && t[i].days && !*t[i].days
                                                  ? "duty_hours"
                                                  : "duty_"),
                                  "%s", why);
                }
        }
}

static struct dir_entry mk(const char *id, int level, const char *days, const char *hours)
{
        struct dir_entry e = {.recipient_id = (char *)id, .jurisdiction = "Kota", .role = "sho",
                              .name = "n", .phone = "+919000028199", .level = level,
                              .duty_days = (char *)days, .duty_hours = (char *)hours};
        util_strlcpy(e.lang, "en", sizeof e.lang);
        return e;
}

static void add(struct directory *d, struct dir_entry e) { CHECK(directory_add(d, &e) == 0); }

static void test_clock(void)
{
        struct directory *d = directory_new();
        add(d, mk("DAY", 1, "mon-fri", "09:00-18:00"));
        add(d, mk("NIGHT", 1, "fri-sat", "22:00-06:00"));
        add(d, mk("ALWAYS", 2, "", ""));
        add(d, mk("WEEKEND", 2, "sat-sun", ""));
        /* 2026-12-07 is a Monday, 12-11 Friday, 12-12 Saturday, 12-13 Sunday */
        static const struct {
                int d, hh, mm;
                bool day, night, weekend;
        } t[] = {
                {7, 9, 0, true, false, false},    /* start is inside */
                {7, 17, 59, true, false, false},
                {7, 18, 0, false, false, false},  /* end is outside */
                {7, 8, 59, false, false, false},
                {11, 23, 0, false, true, false},  /* Friday night */
                {12, 3, 0, false, true, true},    /* Saturday 03:00: Friday's shift */
                {12, 6, 0, false, false, true},
                {12, 22, 30, false, true, true},  /* Saturday night */
                {13, 5, 59, false, true, true},   /* Sunday morning: Saturday's shift */
                {13, 23, 0, false, false, true},  /* Sunday night: no shift starts */
                {14, 2, 0, false, false, false},  /* Monday 02:00: Sunday started none */
                {12, 10, 0, false, false, true},  /* Saturday day: not mon-fri */
        };
        for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
                long long now = ist(2026, 12, t[i].d, t[i].hh, t[i].mm);
                CHECK_MSG(directory_on_duty(&d->e[0], now) == t[i].day, "DAY row %zu", i);
                CHECK_MSG(directory_on_duty(&d->e[1], now) == t[i].night, "NIGHT row %zu", i);
                CHECK_MSG(directory_on_duty(&d->e[2], now), "ALWAYS row %zu", i);
                CHECK_MSG(directory_on_duty(&d->e[3], now) == t[i].weekend, "WEEKEND row %zu", i);
                /* level 1: the ones on duty, or both when neither is */
                size_t idx[4];
                size_t k = directory_select_on_duty(d, "Kota", 1, now, idx, 4);
                size_t want = t[i].day + t[i].night;
                CHECK_INT(k, want ? want : 2);
                if (want == 1)
                        CHECK_STR(d->e[idx[0]].recipient_id, t[i].day ? "DAY" : "NIGHT");
                /* level 2: ALWAYS is always there; WEEKEND only at weekends */
                k = directory_select_on_duty(d, "Kota", 2, now, idx, 4);
                CHECK_INT(k, 1 + t[i].weekend);
        }
        /* now == 0: windows ignored */
        size_t idx[4];
        CHECK_INT(directory_select_on_duty(d, "Kota", 1, 0, idx, 4), 2);
        /* an invalid window loaded from the database: always on duty */
        add(d, mk("BAD", 3, "someday", "x"));
        CHECK(directory_on_duty(&d->e[4], ist(2026, 12, 7, 3, 0)));
        directory_free(d);
}

static const char *const dn[] = {"Kota", "Jaipur"};

static void test_csv(void)
{
        struct dir_error *errs = NULL;
        size_t nerr = 0;
        /* an old CSV without the columns: valid, always on duty */
        const char *old = "recipient_id,jurisdiction,role,name,phone,email,level,lang\n"
                          "K1,Kota,sp,SP Kota,+919000028101,,1,en\n";
        struct directory *d = directory_parse_csv(old, strlen(old), dn, 2, false, &errs, &nerr);
        CHECK(d && d->n == 1 && d->e[0].duty_days == NULL && d->e[0].duty.days == 0x7f);
        free(errs);
        /* the columns in any order, some empty */
        char *out = d ? directory_to_csv(d) : NULL;
        CHECK(out && strncmp(out, "recipient_id,jurisdiction,role,name,phone,email,level,lang,"
                                  "duty_days,duty_hours\n",
                             80) == 0);
        free(out);
        directory_free(d);
        const char *good = "duty_hours,recipient_id,jurisdiction,role,name,phone,email,level,lang,"
                           "duty_days\n"
                           "22:00-06:00,K1,Kota,sho,SHO,+919000028101,,1,en,mon-fri\n"
                           ",K2,Kota,sp,SP,+919000028102,,1,en,\n";
        d = directory_parse_csv(good, strlen(good), dn, 2, false, &errs, &nerr);
        CHECK(d && d->n == 2);
        free(errs);
        if (d && d->n == 2) {
                CHECK_STR(d->e[0].duty_days, "mon-fri");
                CHECK_STR(d->e[0].duty_hours, "22:00-06:00");
                CHECK_INT(d->e[0].duty.start, 1320);
                /* export and parse again: the same windows */
                char *csv = directory_to_csv(d);
                struct directory *d2 = directory_parse_csv(csv, strlen(csv), dn, 2, false, &errs,
                                                           &nerr);
                free(errs);
                CHECK(d2 && d2->n == 2 && strcmp(d2->e[0].duty_hours, "22:00-06:00") == 0 &&
                      d2->e[1].duty_hours == NULL);
                directory_free(d2);
                free(csv);
        }
        directory_free(d);
        /* bad windows: every one reported with its line, nothing accepted */
        const char *bad = "recipient_id,jurisdiction,role,name,phone,email,level,lang,duty_days,"
                          "duty_hours\n"
                          "K1,Kota,sho,SHO,+919000028101,,1,en,mon-fry,\n"
                          "K2,Kota,sp,SP,+919000028102,,1,en,,9-18\n"
                          "K3,Kota,sp,SP,+919000028103,,1,en,mon-fri,09:00-18:00\n"
                          "K4,Kota,sp,SP,+919000028104,,1,en,,18:00-18:00\n";
        d = directory_parse_csv(bad, strlen(bad), dn, 2, false, &errs, &nerr);
        CHECK(d == NULL);
        CHECK_INT(nerr, 3);
        if (nerr == 3) {
                CHECK_INT(errs[0].line, 2);
                CHECK_MSG(strstr(errs[0].reason, "duty_days \"mon-fry\""), "%s", errs[0].reason);
                CHECK_INT(errs[1].line, 3);
                CHECK_MSG(strstr(errs[1].reason, "duty_hours \"9-18\""), "%s", errs[1].reason);
                CHECK_INT(errs[2].line, 5);
                CHECK_MSG(strstr(errs[2].reason, "empty window"), "%s", errs[2].reason);
        }
        free(errs);
}

/* The shipped directory: Kota's level 2 has the Additional SP always and the
 * Kotwali SHOs by shift; no level-1 recipient has a window, so who gets an
 * alert at level 1 never depends on the clock. */
static void test_shipped(void)
{
        size_t len;
        char err[1024];
        char *csv = util_read_file(PRAHARI_REPO_DIR "/deploy/directory/rajasthan.csv", &len);
        GEOSContextHandle_t ctx = geojson_geos_new();
        struct gj_layer *gl = geojson_load_file(
                ctx, PRAHARI_DATA_DIR "/boundaries/rajasthan_districts_41.geojson", "name", err,
                sizeof err);
        CHECK(csv && gl);
        struct directory *d = NULL;
        const char *names[64];
        size_t nn = 0;
        if (csv && gl) {
                for (size_t i = 0; i < gl->n && nn < 64; i++)
                        names[nn++] = gl->f[i].name;
                struct dir_error *errs = NULL;
                size_t nerr = 0;
                d = directory_parse_csv(csv, len, names, nn, true, &errs, &nerr);
                CHECK_MSG(d != NULL, "%s", nerr ? errs[0].reason : "");
                free(errs);
        }
        if (d) {
                size_t windows = 0;
                for (size_t i = 0; i < d->n; i++)
                        if (d->e[i].duty_days || d->e[i].duty_hours) {
                                windows++;
                                CHECK(d->e[i].level > 1);
                        }
                CHECK_INT(windows, 2);
                static const struct {
                        int day, hh, mm;
                        const char *second; /* Kota level 2 besides KOTA-ASP, or NULL */
                } t[] = {
                        {7, 10, 0, "KOTA-SHO-DAY"},    /* Monday morning */
                        {7, 23, 0, "KOTA-SHO-NIGHT"},  /* Monday night */
                        {8, 7, 59, "KOTA-SHO-NIGHT"},  /* Tuesday before 08:00 */
                        {12, 19, 59, "KOTA-SHO-DAY"},  /* Saturday evening */
                        {13, 10, 0, NULL},             /* Sunday day: no day shift */
                };
                for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
                        long long now = ist(2026, 12, t[i].day, t[i].hh, t[i].mm);
                        size_t idx[8], ref[8];
                        size_t k = directory_select_on_duty(d, "Kota", 2, now, idx, 8);
                        CHECK_INT(k, t[i].second ? 2 : 1);
                        CHECK_STR(d->e[idx[0]].recipient_id, "KOTA-ASP");
                        if (t[i].second && k == 2)
                                CHECK_STR(d->e[idx[1]].recipient_id, t[i].second);
                        /* level 1 of every district: as without windows */
                        for (size_t q = 0; q < nn; q++) {
                                size_t a = directory_select_on_duty(d, names[q], 1, now, idx, 8);
                                size_t b = directory_select(d, names[q], 1, ref, 8);
                                CHECK(a == b && a == 2 && memcmp(idx, ref, a * sizeof *idx) == 0);
                        }
                }
        }
        directory_free(d);
        geojson_layer_free(ctx, gl);
        geojson_geos_free(ctx);
        free(csv);
}

int main(void)
{
        test_parse();
        test_clock();
        test_csv();
        test_shipped();
        return test_summary("router_duty");
}
