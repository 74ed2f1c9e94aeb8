/* SPDX-License-Identifier: Apache-2.0 */
/* PIN tests over the real postal directory: parsing, the fixture PIN, the
 * 2023 new-district cases, and 200 random Rajasthan PINs (seeded PRNG)
 * checked against the districts their places lie in. */
#include "pin.h"
#include "testutil.h"

#include <stdlib.h>

static struct textnorm *tn;
static struct gazetteer *g;

static const char *dname(int d)
{
        const struct gaz_district *x = gazetteer_district(g, d);
        return x ? x->name : "(none)";
}

static void test_parse(void)
{
        static const struct {
                const char *in;
                int rc;
                uint32_t pin;
        } cases[] = {
                {"324005", 0, 324005}, {"324 005", 0, 324005}, {"३२४००५", 0, 324005},
                {"32400", -1, 0},      {"3240055", -1, 0},     {"32400a", -1, 0},
                {"", -1, 0},           {"024005", -1, 0},      {"302-001", 0, 302001},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                uint32_t p = 0;
                int rc = pin_parse(cases[i].in, &p);
                CHECK_MSG(rc == cases[i].rc, "pin_parse(%s) = %d", cases[i].in, rc);
                if (rc == 0)
                        CHECK_INT(p, cases[i].pin);
        }
}

static void test_known(void)
{
        struct pin_result r;
        pin_resolve(g, 324005, &r);
        CHECK(r.known);
        CHECK_STR(dname(r.district), "Kota");
        CHECK(!r.new_district_ambiguous);
        CHECK(r.share > 0.9);
        pin_resolve(g, 999999, &r);
        CHECK(!r.known);
        CHECK_INT(r.district, -1);
        /* Jaipur city PIN */
        pin_resolve(g, 302001, &r);
        CHECK_STR(dname(r.district), "Jaipur");
}

/* Every PIN whose rows are all coarse and whose old district gave land to a
 * 2023 district is flagged; the flag never appears for a district without
 * children when good coordinates agree. */
static void test_new_districts(void)
{
        size_t npins, flagged = 0, to_new = 0;
        const uint32_t *pins = gazetteer_pins(g, &npins);
        for (size_t i = 0; i < npins; i++) {
                struct pin_result r;
                pin_resolve(g, pins[i], &r);
                CHECK(r.known && r.district >= 0);
                if (r.new_district_ambiguous)
                        flagged++;
                if (gazetteer_district(g, r.district)->new_since_2023)
                        to_new++;
                if (!r.by_coords) {
                        const struct gaz_district *d = gazetteer_district(g, r.district);
                        CHECK(r.area);
                        /* flagged iff the district (or its parent) has 2023 children */
                        bool has_children = d->nchildren > 0 || d->new_since_2023;
                        CHECK_MSG(r.new_district_ambiguous == has_children,
                                  "PIN %u -> %s flag %d", pins[i], d->name,
                                  r.new_district_ambiguous);
                }
        }
        printf("PINs: %zu, resolved to a 2023 district: %zu, flagged new-district ambiguous: %zu\n",
               npins, to_new, flagged);
        CHECK(to_new > 0);
        CHECK(flagged > 0);
}

/* xorshift64*: a fixed seed makes the sample reproducible */
static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rng(void)
{
        rng_state ^= rng_state >> 12;
        rng_state ^= rng_state << 25;
        rng_state ^= rng_state >> 27;
        return rng_state * 2685821657736338717ULL;
}

static void test_random_200(void)
{
        size_t npins, in_places = 0, majority = 0;
        const uint32_t *pins = gazetteer_pins(g, &npins);
        for (int k = 0; k < 200; k++) {
                uint32_t pin = pins[rng() % npins];
                const struct gaz_postal *rows;
                size_t n = gazetteer_pin_rows(g, pin, &rows);
                unsigned cnt[GAZ_MAX_DISTRICTS] = {0};
                int maj = -1;
                bool found = false;
                struct pin_result r;
                pin_resolve(g, pin, &r);
                for (size_t i = 0; i < n; i++) {
                        if (rows[i].district_41 < 0)
                                continue;
                        cnt[rows[i].district_41]++;
                        if (maj < 0 || cnt[rows[i].district_41] > cnt[maj])
                                maj = rows[i].district_41;
                        if (rows[i].district_41 == r.district)
                                found = true;
                }
                /* the answer is a district some of its places lie in (polygon of the
                 * place's coordinate), or, when flagged, one of its candidates is */
                if (!found && r.new_district_ambiguous) {
                        for (int c = 0; c < r.ncand; c++)
                                for (size_t i = 0; i < n; i++)
                                        if (rows[i].district_41 == r.cand[c])
                                                found = true;
                }
                CHECK_MSG(found, "PIN %u -> %s, not among its places' districts (majority %s)",
                          pin, dname(r.district), dname(maj));
                if (found)
                        in_places++;
                if (r.district == maj)
                        majority++;
        }
        printf("random 200 PINs: %zu resolved within their places' districts, %zu equal to the "
               "majority polygon of their places\n",
               in_places, majority);
        CHECK(majority >= 180);
}

int main(void)
{
        char err[512];
        const char *dir = getenv("PRAHARI_GAZETTEER_DIR");
        tn = textnorm_new(err, sizeof(err));
        g = tn ? gazetteer_load(tn, dir && *dir ? dir : PRAHARI_DEFAULT_GAZETTEER_DIR, err,
                                sizeof(err))
               : NULL;
        if (!g) {
                fprintf(stderr, "%s\n", err);
                return 1;
        }
        test_parse();
        test_known();
        test_new_districts();
        test_random_200();
        gazetteer_free(g);
        textnorm_free(tn);
        return test_summary("enrich_pin");
}
