/* SPDX-License-Identifier: Apache-2.0 */
/* directory: phone and e-mail rules, the shipped rajasthan.csv (complete for
 * the 41 districts of the real boundary file), every bad row reported with
 * its line, nothing accepted when any row is bad, CSV round trip. */
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "directory.h"
#include "geojson.h"
#include "prahari/util.h"

static const char *names[64];
static size_t nnames;

static void test_phone(void)
{
        static const struct {
                const char *s;
                bool ok;
        } cases[] = {
                {"+919000012345", true},  {"+916123456789", true},   {"+14155550123", true},
                {"+4930123456", true},    {"+12345678", true},       {"+123456789012345", true},
                {"+1234567", false},      {"+1234567890123456", false}, {"919000012345", false},
                {"+019000012345", false}, {"+91 9000012345", false}, {"+91900001234", false},
                {"+9190000123456", false}, {"+915000012345", false}, {"+910000012345", false},
                {"", false},              {"+", false},              {"+44a0123456", false},
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                char why[160] = "";
                bool ok = directory_phone_valid(cases[i].s, why, sizeof why);
                CHECK_MSG(ok == cases[i].ok, "phone \"%s\": %d (%s)", cases[i].s, ok, why);
                if (!ok)
                        CHECK(strstr(why, "phone") != NULL);
        }
}

static void test_email(void)
{
        /* 65-character local part; a 60 + 1 + 5*51 + 2 = 318-character address */
        char long_local[96], long_total[400];
        snprintf(long_local, sizeof long_local, "%065d@police.example", 0);
        int off = snprintf(long_total, sizeof long_total, "%060d@", 0);
        for (int i = 0; i < 5; i++)
                off += snprintf(long_total + off, sizeof long_total - (size_t)off, "%050d.", 0);
        snprintf(long_total + off, sizeof long_total - (size_t)off, "in");
        static const struct {
                const char *s;
                bool ok;
        } cases[] = {
                {"sp.kota@police.example", true},
                {"a@b.co", true},
                {"first.o'neil+tag@mail.example.org", true},
                {"x_y-z@sub-domain.example", true},
                {"nodomain@localhost", false},
                {"@police.example", false},
                {"sp@", false},
                {"sp@@police.example", false},
                {"s p@police.example", false},
                {".sp@police.example", false},
                {"sp.@police.example", false},
                {"s..p@police.example", false},
                {"sp@-police.example", false},
                {"sp@police-.example", false},
                {"sp@police..example", false},
                {"sp@police.example.", false},
                {"sp@pol_ice.example", false},
                {"two@at@police.example", false},
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                char why[160] = "";
                bool ok = directory_email_valid(cases[i].s, why, sizeof why);
                CHECK_MSG(ok == cases[i].ok, "email \"%s\": %d (%s)", cases[i].s, ok, why);
        }
        char why[160];
        CHECK(!directory_email_valid(long_local, why, sizeof why) && strstr(why, "local part"));
        CHECK(strlen(long_total) > 254);
        CHECK(!directory_email_valid(long_total, why, sizeof why) && strstr(why, "254"));
}

static void test_shipped(void)
{
        size_t len;
        char *csv = util_read_file(PRAHARI_REPO_DIR "/deploy/directory/rajasthan.csv", &len);
        CHECK(csv != NULL);
        if (!csv)
                return;
        struct dir_error *errs;
        size_t nerr;
        struct directory *d = directory_parse_csv(csv, len, names, nnames, true, &errs, &nerr);
        CHECK_INT(nerr, 0);
        for (size_t i = 0; i < nerr; i++)
                fprintf(stderr, "line %d: %s\n", errs[i].line, errs[i].reason);
        free(errs);
        CHECK(d != NULL);
        if (!d) {
                free(csv);
                return;
        }
        CHECK_INT(d->n, 41 * 4 + 4 + 2); /* + Kota's two illustrative level-2 SHOs */
        size_t idx[16];
        int hi = 0;
        for (size_t i = 0; i < nnames; i++) {
                size_t k = directory_select(d, names[i], 1, idx, 16);
                CHECK_MSG(k == 2, "%s: %zu level-1", names[i], k);
                for (size_t q = 0; q < k && q < 16; q++) {
                        const struct dir_entry *e = &d->e[idx[q]];
                        CHECK(e->phone && e->email && strncmp(e->phone, "+919", 4) == 0);
                        CHECK(strstr(e->email, "@police.example") != NULL);
                        CHECK(strcmp(e->role, "sp") == 0 || strcmp(e->role, "control_room") == 0);
                        hi += strcmp(e->lang, "hi") == 0 && strcmp(e->role, "sp") == 0;
                }
                CHECK_INT(directory_select(d, names[i], 2, idx, 16),
                          strcmp(names[i], "Kota") == 0 ? 3 : 1);
                CHECK_INT(directory_select(d, names[i], 3, idx, 16), 1);
        }
        CHECK(hi >= 3 && hi < 41);
        CHECK_INT(directory_select(d, "STATE_COMMAND_CENTRE", 1, idx, 16), 1);
        CHECK_INT(directory_select(d, "INTERSTATE:Madhya Pradesh", 0, idx, 16), 1);
        CHECK(d->e[idx[0]].phone == NULL && d->e[idx[0]].email != NULL);
        CHECK_INT(directory_select(d, "INTERSTATE:Gujarat", 0, idx, 16), 1);
        /* phones are unique per district contact */
        int dup = 0;
        for (size_t i = 0; i < d->n; i++)
                for (size_t j = i + 1; j < d->n; j++)
                        dup += d->e[i].phone && d->e[j].phone && strcmp(d->e[i].phone, d->e[j].phone) == 0 &&
                               strcmp(d->e[i].role, "range_ig") != 0;
        CHECK_INT(dup, 0);
        /* JSON of Kota's SP */
        CHECK_INT(directory_select(d, "Kota", 1, idx, 16), 2);
        json_t *o = directory_entry_json(&d->e[idx[0]]);
        CHECK_STR(json_string_value(json_object_get(o, "recipient_id")), "KOTA-SP");
        CHECK_STR(json_string_value(json_object_get(o, "role")), "sp");
        CHECK_INT(json_integer_value(json_object_get(o, "level")), 1);
        CHECK_STR(json_string_value(json_object_get(o, "email")), "sp.kota@police.example");
        json_decref(o);
        /* round trip: export, parse again, export again: the same bytes */
        char *out = directory_to_csv(d);
        struct directory *d2 = directory_parse_csv(out, strlen(out), names, nnames, true, &errs, &nerr);
        free(errs);
        CHECK(d2 != NULL && d2->n == d->n);
        char *out2 = d2 ? directory_to_csv(d2) : NULL;
        CHECK(out2 && strcmp(out, out2) == 0);
        /* the shipped file is already in export form */
        CHECK(out && strcmp(out, csv) == 0);
        free(out);
        free(out2);
        directory_free(d2);
        directory_free(d);
        free(csv);
}

static void test_bad_rows(void)
{
        const char *csv =
                "recipient_id,jurisdiction,role,name,phone,email,level,lang\n"            /* 1 */
                "KOTA-SP,Kota,sp,SP Kota,+919000028101,sp.kota@police.example,1,en\n"   /* 2 ok */
                "X1,Kota City,sp,SP,+919000028101,sp@police.example,1,en\n"             /* 3 jur */
                "X2,Kota,constable,C,+919000028101,,1,en\n"                             /* 4 role */
                "X3,Kota,sp,SP,+91900002810,,1,en\n"                                    /* 5 phone */
                "X4,Kota,sp,SP,,sp@police,1,en\n"                                       /* 6 email */
                "X5,Kota,sp,SP,,,1,en\n"                                                /* 7 none */
                "X6,Kota,sp,SP,+919000028101,,0,en\n"                                   /* 8 level */
                "X7,Kota,sp,SP,+919000028101,,1,fr\n"                                   /* 9 lang */
                "KOTA-SP,Kota,sp,SP,+919000028101,,1,en\n"                              /* 10 dup */
                "X8,Kota,sp\n"                                                          /* 11 fields */
                "\"X9\",\"Kota\",sp,\"SP, \"\"Kota\"\"\",+919000028101,,2,hi\n"         /* 12 ok */
                "X10,INTERSTATE:Gujarat,sp,G,,g@police.example,1,en\n"                  /* 13 role */
                "X11,\"Kota,sp,S,+919000028101,,1,en\n";                                /* 14 quote */
        struct dir_error *errs;
        size_t nerr;
        struct directory *d = directory_parse_csv(csv, strlen(csv), names, nnames, false, &errs, &nerr);
        CHECK(d == NULL);
        static const struct {
                int line;
                const char *want;
        } exp[] = {
                {3, "jurisdiction \"Kota City\" is not a district"},
                {4, "role \"constable\""},
                {5, "phone \"+91900002810\": an Indian number"},
                {6, "e-mail \"sp@police\": domain without a dot"},
                {7, "neither phone nor e-mail"},
                {8, "level \"0\""},
                {9, "lang \"fr\""},
                {10, "recipient_id \"KOTA-SP\" already on line 2"},
                {11, "3 fields, the header has 8"},
                {13, "role interstate goes with"},
                {14, "unterminated quoted field"},
        };
        CHECK_INT(nerr, sizeof exp / sizeof exp[0]);
        for (size_t i = 0; i < nerr && i < sizeof exp / sizeof exp[0]; i++)
                CHECK_MSG(errs[i].line == exp[i].line && strstr(errs[i].reason, exp[i].want),
                          "error %zu: line %d %s", i, errs[i].line, errs[i].reason);
        free(errs);
        /* the good rows alone are accepted, with the quoted name intact */
        const char *good = "level,lang,recipient_id,jurisdiction,role,name,phone,email\r\n"
                           "1,en,KOTA-SP,Kota,sp,SP Kota,+919000028101,sp.kota@police.example\r\n"
                           "\r\n"
                           "2,hi,X9,Kota,sp,\"SP, \"\"Kota\"\"\",+919000028101,\r\n";
        d = directory_parse_csv(good, strlen(good), names, nnames, false, &errs, &nerr);
        CHECK_INT(nerr, 0);
        for (size_t i = 0; i < nerr; i++)
                fprintf(stderr, "line %d: %s\n", errs[i].line, errs[i].reason);
        free(errs);
        CHECK(d && d->n == 2);
        if (d && d->n == 2) {
                CHECK_STR(d->e[1].name, "SP, \"Kota\"");
                CHECK(d->e[1].email == NULL);
                CHECK_INT(d->e[1].level, 2);
                CHECK_INT(d->e[1].line, 4);
                char *out = directory_to_csv(d);
                CHECK(out && strstr(out, "X9,Kota,sp,\"SP, \"\"Kota\"\"\",+919000028101,,2,hi,,\n"));
                free(out);
        }
        /* complete: Kota alone is not a complete directory */
        directory_free(d);
        d = directory_parse_csv(good, strlen(good), names, nnames, true, &errs, &nerr);
        CHECK(d == NULL && nerr == 41); /* 40 districts + STATE_COMMAND_CENTRE */
        int ajmer = 0, kota = 0, scc = 0;
        for (size_t i = 0; i < nerr; i++) {
                CHECK(errs[i].line == 0);
                ajmer += strcmp(errs[i].reason, "Ajmer: no level-1 recipient with a phone") == 0;
                kota += strncmp(errs[i].reason, "Kota:", 5) == 0;
                scc += strncmp(errs[i].reason, "STATE_COMMAND_CENTRE:", 21) == 0;
        }
        CHECK(ajmer == 1 && kota == 0 && scc == 1);
        free(errs);
        /* header problems */
        static const struct {
                const char *csv, *want;
        } hdr[] = {
                {"", "empty file"},
                {"recipient_id,jurisdiction,role,name,phone,email,level\n", "column \"lang\" missing"},
                {"recipient_id,jurisdiction,role,name,phone,email,level,lang,zone\n", "unknown column \"zone\""},
                {"recipient_id,recipient_id,jurisdiction,role,name,phone,email,level,lang\n", "twice"},
        };
        for (size_t i = 0; i < sizeof hdr / sizeof hdr[0]; i++) {
                d = directory_parse_csv(hdr[i].csv, strlen(hdr[i].csv), names, nnames, false, &errs, &nerr);
                CHECK_MSG(d == NULL && nerr >= 1 && errs[0].line == 1 && strstr(errs[0].reason, hdr[i].want),
                          "header case %zu: %s", i, nerr ? errs[0].reason : "-");
                free(errs);
                directory_free(d);
        }
}

int main(void)
{
        GEOSContextHandle_t ctx = geojson_geos_new();
        char err[512];
        struct gj_layer *gl = geojson_load_file(
                ctx, PRAHARI_DATA_DIR "/boundaries/rajasthan_districts_41.geojson", "name", err, sizeof err);
        CHECK_MSG(gl != NULL, "%s", err);
        if (gl) {
                for (size_t i = 0; i < gl->n && i < 64; i++)
                        names[nnames++] = gl->f[i].name;
                test_phone();
                test_email();
                test_shipped();
                test_bad_rows();
        }
        geojson_layer_free(ctx, gl);
        geojson_geos_free(ctx);
        return test_summary("router_directory");
}
