/* SPDX-License-Identifier: Apache-2.0 */
/* chain.c: duty windows (the router's semantics) and the escalation chain of
 * a police jurisdiction, on the shipped directory (deploy/directory/
 * rajasthan.csv: Kota's level-2 SHOs with day and night windows). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "chain.h"
#include "testutil.h"

#define MAXROWS 256

static char ids[MAXROWS][48], jur[MAXROWS][48];
static struct chain_row rows[MAXROWS];

/* recipient_id,jurisdiction,role,name,phone,email,level,lang,duty_days,duty_hours */
static size_t load_directory(const char *path)
{
        FILE *f = fopen(path, "r");
        if (!f)
                return 0;
        char line[512];
        size_t n = 0;
        bool header = true;
        while (fgets(line, sizeof line, f) && n < MAXROWS) {
                if (header) {
                        header = false;
                        continue;
                }
                line[strcspn(line, "\r\n")] = 0;
                char *fld[10] = {0};
                size_t k = 0;
                char *p = line;
                while (k < 10) {
                        fld[k++] = p;
                        char *c = strchr(p, ',');
                        if (!c)
                                break;
                        *c = 0;
                        p = c + 1;
                }
                if (k < 7)
                        continue;
                snprintf(ids[n], sizeof ids[n], "%s", fld[0]);
                snprintf(jur[n], sizeof jur[n], "%s", fld[1]);
                rows[n].jurisdiction = jur[n];
                rows[n].level = (int)strtol(fld[6], NULL, 10);
                CHECK_MSG(duty_parse(k > 8 ? fld[8] : NULL, k > 9 ? fld[9] : NULL, &rows[n].duty),
                          "%s", ids[n]);
                n++;
        }
        fclose(f);
        return n;
}

/* The recipient ids chain_select picks, sorted, comma-joined. */
static void picked(size_t n, const char *j, int level, long long now, char *out, size_t outsz)
{
        size_t idx[16];
        size_t k = chain_select(rows, n, j, level, now, idx, 16);
        out[0] = 0;
        for (size_t i = 0; i < k; i++)
                snprintf(out + strlen(out), outsz - strlen(out), "%s%s", i ? "," : "", ids[idx[i]]);
}

int main(void)
{
        /* Window parsing (the router's examples). */
        struct duty d;
        CHECK(duty_parse("mon-fri", "09:00-18:00", &d));
        CHECK_INT(d.days, 0x1f);
        CHECK_INT(d.start, 540);
        CHECK_INT(d.end, 1080);
        CHECK(duty_parse("fri-mon", NULL, &d));
        CHECK_INT(d.days, 0x71);
        CHECK(duty_parse("sat,sun", "", &d));
        CHECK_INT(d.days, 0x60);
        CHECK(duty_parse(NULL, "22:00-06:00", &d));
        CHECK_INT(d.start, 1320);
        CHECK_INT(d.end, 360);
        CHECK(!duty_parse("monday", NULL, &d));
        CHECK_INT(d.days, 0x7f); /* invalid: always on duty */
        CHECK(!duty_parse("mon,", NULL, &d));
        CHECK(!duty_parse(NULL, "9:00-18:00", &d));
        CHECK(!duty_parse(NULL, "24:00-06:00", &d));
        CHECK(!duty_parse(NULL, "08:00-08:00", &d));

        /* Instants (IST): Mon 2026-11-30 10:00, 22:00, 07:59, 08:00, 20:00;
         * Sat 2026-12-05 03:00 (Friday's night); Sun 2026-12-06 10:00. */
        const long long mon10 = 1796013000, mon22 = 1796056200, mon0759 = 1796005740,
                        mon0800 = 1796005800, mon2000 = 1796049000, sat03 = 1796419800,
                        sun10 = 1796531400;
        struct duty day, night, wk;
        CHECK(duty_parse("mon-sat", "08:00-20:00", &day));
        CHECK(duty_parse(NULL, "20:00-08:00", &night));
        CHECK(duty_parse("mon-fri", "22:00-06:00", &wk));
        CHECK(duty_on(&day, mon10));
        CHECK(!duty_on(&day, mon22));
        CHECK(!duty_on(&day, mon0759));
        CHECK(duty_on(&day, mon0800)); /* start inside */
        CHECK(!duty_on(&day, mon2000)); /* end outside */
        CHECK(!duty_on(&day, sun10));
        CHECK(duty_on(&night, mon2000));
        CHECK(duty_on(&night, mon0759));
        CHECK(!duty_on(&night, mon0800));
        CHECK(duty_on(&wk, sat03));   /* Friday's night shift */
        CHECK(!duty_on(&wk, sat03 + 86400)); /* Sunday 03:00: Saturday has none */
        CHECK(duty_on(&wk, mon22));

        /* The shipped directory. */
        size_t n = load_directory(PRAHARI_SOURCE_DIR "/deploy/directory/rajasthan.csv");
        CHECK(n > 150);
        char got[256];
        /* Level 2 of Kota: the ASP always, and only the SHO on duty. */
        picked(n, "Kota", 2, mon10, got, sizeof got);
        CHECK_STR(got, "KOTA-ASP,KOTA-SHO-DAY");
        picked(n, "Kota", 2, mon22, got, sizeof got);
        CHECK_STR(got, "KOTA-ASP,KOTA-SHO-NIGHT");
        picked(n, "Kota", 2, sun10, got, sizeof got);
        CHECK_STR(got, "KOTA-ASP"); /* Sunday day: neither SHO; the ASP is on */
        picked(n, "Kota", 1, mon22, got, sizeof got);
        CHECK_STR(got, "KOTA-SP,KOTA-CR");
        /* Nobody on duty at a level: all of them (never an empty level). */
        struct chain_row two[2] = {{"X", 2, day}, {"X", 2, day}};
        size_t idx[4];
        CHECK_INT(chain_select(two, 2, "X", 2, sun10, idx, 4), 2);
        CHECK_INT(chain_select(two, 2, "X", 2, mon10, idx, 4), 2);
        CHECK_INT(chain_select(two, 2, "X", 3, mon10, idx, 4), 0);

        /* A police jurisdiction of Kota with its own level 1 only: level 1
         * is its own, then Kota's levels 2 and 3, then the chain ends. */
        static char kc[] = "Kota City";
        struct duty always;
        CHECK(duty_parse(NULL, NULL, &always));
        rows[n] = (struct chain_row){kc, 1, always};
        snprintf(ids[n], sizeof ids[n], "KOTACITY-SHO");
        size_t n2 = n + 1;
        const char *chain[] = {"Kota City", "Kota", CHAIN_SCC};
        CHECK_INT(chain_pick(chain, 3, rows, n2, 1), 0);
        CHECK_INT(chain_pick(chain, 3, rows, n2, 2), 1);
        CHECK_INT(chain_pick(chain, 3, rows, n2, 3), 1);
        CHECK_INT(chain_pick(chain, 3, rows, n2, 4), -1); /* SCC's level 1 is not level 4 */
        /* Without its own rows (recipients_from = Kota): Kota's chain. */
        CHECK_INT(chain_pick(chain, 3, rows, n, 1), 1);
        /* A revenue district: its own levels, then the end. */
        const char *jaipur[] = {"Jaipur", CHAIN_SCC};
        CHECK_INT(chain_pick(jaipur, 2, rows, n, 2), 0);
        CHECK_INT(chain_pick(jaipur, 2, rows, n, 9), -1);
        const char *scc[] = {CHAIN_SCC};
        CHECK_INT(chain_pick(scc, 1, rows, n, 1), -1);
        CHECK_INT(chain_min_level(rows, n, CHAIN_SCC), 1);
        CHECK_INT(chain_min_level(rows, n, "Nowhere"), 0);
        picked(n, CHAIN_SCC, 1, mon10, got, sizeof got);
        CHECK_STR(got, "SCC-DUTY");
        return test_summary("notifier_chain");
}
