/* SPDX-License-Identifier: Apache-2.0 */
/* PIN code resolution over the GeoNames/India Post rows: good own
 * coordinates first, else the old district mapped to today's, with the
 * 2023 new-district ambiguity made explicit. */
#include "pin.h"
#include "geo.h"

#include <math.h>
#include <string.h>

int pin_parse(const char *s, uint32_t *out)
{
        uint32_t v = 0;
        int nd = 0;
        const unsigned char *p = (const unsigned char *)s;

        while (*p) {
                int d = -1;
                if (*p >= '0' && *p <= '9') {
                        d = *p - '0';
                        p++;
                } else if (p[0] == 0xE0 && p[1] == 0xA5 && p[2] >= 0xA6 && p[2] <= 0xAF) {
                        d = p[2] - 0xA6; /* U+0966..U+096F */
                        p += 3;
                } else if (*p == ' ' || *p == '-') {
                        p++;
                        continue;
                } else {
                        return -1;
                }
                if (++nd > 6)
                        return -1;
                v = v * 10 + (uint32_t)d;
        }
        if (nd != 6 || v < 100000)
                return -1;
        *out = v;
        return 0;
}

static void cand_add(struct pin_result *r, int d, double share)
{
        if (d < 0)
                return;
        for (int i = 0; i < r->ncand; i++)
                if (r->cand[i] == d)
                        return;
        if (r->ncand < PIN_MAX_CANDS) {
                r->cand[r->ncand] = d;
                r->cand_share[r->ncand++] = share;
        }
}

/* Votes per district; returns the winner (-1 if no votes). */
static int vote_max(const unsigned *votes, size_t n)
{
        int best = -1;
        for (size_t i = 0; i < n; i++)
                if (votes[i] && (best < 0 || votes[i] > votes[best]))
                        best = (int)i;
        return best;
}

static void sort_cands(struct pin_result *r)
{
        for (int i = 1; i < r->ncand; i++)
                for (int j = i; j > 0 && r->cand_share[j] > r->cand_share[j - 1]; j--) {
                        int td = r->cand[j];
                        double ts = r->cand_share[j];
                        r->cand[j] = r->cand[j - 1];
                        r->cand_share[j] = r->cand_share[j - 1];
                        r->cand[j - 1] = td;
                        r->cand_share[j - 1] = ts;
                }
}

void pin_resolve(const struct gazetteer *g, uint32_t pin, struct pin_result *out)
{
        const struct gaz_postal *rows;
        size_t n = gazetteer_pin_rows(g, pin, &rows), nd = gazetteer_ndistricts(g);
        unsigned good[GAZ_MAX_DISTRICTS] = {0}, old[GAZ_MAX_DISTRICTS] = {0},
                 pip[GAZ_MAX_DISTRICTS] = {0};
        int d;

        memset(out, 0, sizeof(*out));
        out->district = -1;
        out->lat = out->lon = NAN;
        if (n == 0)
                return;
        out->known = true;
        out->rows = (unsigned)n;
        for (size_t i = 0; i < n; i++) {
                const struct gaz_postal *p = &rows[i];
                if (p->accuracy == 4 && p->same_coord_count <= 3 && p->district_41 >= 0) {
                        good[p->district_41]++;
                        out->good_rows++;
                }
                if (p->src_current >= 0)
                        old[p->src_current]++;
                if (p->district_41 >= 0)
                        pip[p->district_41]++;
        }
        if (out->good_rows > 0) {
                double slat = 0, slon = 0, maxd = 0;
                unsigned k = 0;
                d = vote_max(good, nd);
                for (size_t i = 0; i < nd; i++)
                        if (good[i])
                                cand_add(out, (int)i, (double)good[i] / out->good_rows);
                for (size_t i = 0; i < n; i++) {
                        const struct gaz_postal *p = &rows[i];
                        if (p->accuracy == 4 && p->same_coord_count <= 3 && p->district_41 == d) {
                                slat += p->lat;
                                slon += p->lon;
                                k++;
                        }
                }
                out->lat = slat / k;
                out->lon = slon / k;
                for (size_t i = 0; i < n; i++) {
                        const struct gaz_postal *p = &rows[i];
                        if (p->accuracy == 4 && p->same_coord_count <= 3 && p->district_41 == d) {
                                double m = geo_distance_m(out->lat, out->lon, p->lat, p->lon);
                                if (m > maxd)
                                        maxd = m;
                        }
                }
                out->district = d;
                out->by_coords = true;
                out->share = (double)good[d] / out->good_rows;
                out->radius_m = maxd + 3000.0;
                if (out->radius_m < 5000.0)
                        out->radius_m = 5000.0;
                /* good places split between a parent and its new child */
                for (int i = 0; i < out->ncand; i++)
                        if (out->cand[i] != d && out->cand_share[i] >= 0.2)
                                out->new_district_ambiguous = true;
        } else {
                const struct gaz_district *dd;
                int by_pip;
                d = vote_max(old, nd);
                by_pip = vote_max(pip, nd);
                if (d < 0)
                        d = by_pip;
                if (d < 0)
                        return;
                dd = gazetteer_district(g, d);
                cand_add(out, d, (double)old[d] / n);
                if (dd->nchildren > 0) {
                        /* the coarse coordinates may already lie in a new district */
                        for (int i = 0; i < dd->nchildren; i++) {
                                int ch = dd->children[i];
                                cand_add(out, ch, (double)pip[ch] / n);
                                if (ch == by_pip)
                                        d = ch;
                        }
                        out->new_district_ambiguous = true;
                }
                dd = gazetteer_district(g, d);
                out->district = d;
                out->area = true;
                out->lat = dd->rep_lat;
                out->lon = dd->rep_lon;
                out->radius_m = dd->radius_m;
                out->share = (double)(old[d] > pip[d] ? old[d] : pip[d]) / n;
        }
        sort_cands(out);
}
