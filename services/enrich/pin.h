/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file pin.h
 * @brief PIN code -> district with its evidence, from the India Post places
 *        of the gazetteer. A place's own coordinate is trusted only when
 *        GeoNames placed it by its geonameid (accuracy 4) and few other rows
 *        share it; otherwise the PIN's majority India Post district is mapped
 *        through the aliases to today's district, and flagged when a district
 *        created since 2023 was carved from it (then the coarse coordinates
 *        decide between parent and child, still flagged).
 */
#ifndef PRAHARI_ENRICH_PIN_H
#define PRAHARI_ENRICH_PIN_H
#include <stdbool.h>
#include <stdint.h>

#include "gazetteer.h"

#define PIN_MAX_CANDS 8

struct pin_result {
        bool known;          /* the PIN has rows in the directory */
        int district;        /* the estimate; -1 if none */
        bool by_coords;      /* from places with their own good coordinates */
        bool new_district_ambiguous; /* a 2023 district may hold it instead */
        bool area;           /* the estimate is the whole district (rep point + radius) */
        double lat, lon, radius_m;
        double share;        /* fraction of the evidence for the estimate (0,1] */
        int cand[PIN_MAX_CANDS];       /* districts considered, best first */
        double cand_share[PIN_MAX_CANDS];
        int ncand;
        unsigned rows, good_rows;
};

/**
 * @brief Parse a PIN: six digits, ASCII or Devanagari (०-९), spaces allowed
 * ("324 005"), first digit 1-9. @returns 0 and the PIN in @p out, or -1.
 */
int pin_parse(const char *s, uint32_t *out);

/** @brief Resolve @p pin (see the file comment). Always fills @p out. */
void pin_resolve(const struct gazetteer *g, uint32_t pin, struct pin_result *out);

#endif
