/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file locwarn.h
 * @brief The warnings a location can carry (a bit set) and their names as
 *        written into the enriched message's location.warnings.
 */
#ifndef PRAHARI_ENRICH_LOCWARN_H
#define PRAHARI_ENRICH_LOCWARN_H

enum loc_warning {
        LW_GPS_SWAPPED = 1u << 0,      /* lat/lon only make sense swapped */
        LW_GPS_OUT_OF_RANGE = 1u << 1, /* not a coordinate (|lat|>90, NaN, not a number) */
        LW_GPS_ZERO = 1u << 2,         /* 0,0: a default, not a fix */
        LW_GPS_STALE = 1u << 3,        /* fix taken more than an hour before the report */
        LW_PLACE_AMBIGUOUS = 1u << 4,  /* the name fits places in several districts/states */
        LW_PLACE_UNMATCHED = 1u << 5,  /* a place text matched nothing */
        LW_PIN_UNKNOWN = 1u << 6,      /* not a PIN of the directory (or malformed) */
        LW_PIN_NEW_DISTRICT_AMBIGUOUS = 1u << 7, /* a 2023 district may hold the PIN */
        LW_SIGNALS_DISAGREE = 1u << 8, /* two usable signals point at different places */
        LW_IP_STATE_ONLY = 1u << 9,    /* only an IP: a state, never a district */
        LW_GPS_NO_ACCURACY = 1u << 10, /* the fix came without an accuracy */
        LW_IP_UNRESOLVED = 1u << 11,   /* an IP the database does not place (or no database) */
};

#define LW_COUNT 12

/** @brief Name of bit @p i (0-based), as in the message. */
static inline const char *locwarn_name(unsigned i)
{
        static const char *const names[LW_COUNT] = {
                "gps_swapped",  "gps_out_of_range", "gps_zero",
                "gps_stale",    "place_ambiguous",  "place_unmatched",
                "pin_unknown",  "pin_new_district_ambiguous",
                "signals_disagree", "ip_state_only", "gps_no_accuracy",
                "ip_unresolved"};
        return i < LW_COUNT ? names[i] : "unknown";
}

#endif
