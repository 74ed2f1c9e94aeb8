/* SPDX-License-Identifier: Apache-2.0 */
/* GPS sanity and uncertainty: range, 0,0, swapped pairs, accuracy, staleness. */
#include "gps.h"
#include "locwarn.h"
#include "testutil.h"

#include <math.h>

#define MIN_US (60LL * 1000000LL)
#define REF_US 1764752700000000LL /* 2025-12-03T09:05:00Z */

struct gcase {
        const char *what;
        double lat, lon, acc;
        int64_t age_us; /* report - fix; <0 means the fix has no time */
        bool usable, swapped;
        unsigned warnings;
        double radius_m, confidence;
        double out_lat, out_lon;
};

int main(void)
{
        static const struct gcase cases[] = {
                {"Kota, fresh", 25.142, 75.845, 35, 5 * MIN_US, true, false, 0, 70 + 600, 0.95,
                 25.142, 75.845},
                {"Bhopal (outside Rajasthan, still a fix)", 23.2599, 77.4126, 15, 0, true, false, 0,
                 30, 0.95, 23.2599, 77.4126},
                {"London: outside India, used as given", 51.5, -0.12, 10, -1, true, false, 0, 20,
                 0.95, 51.5, -0.12},
                {"swapped Kota", 75.845, 25.142, 35, 0, false, true, LW_GPS_SWAPPED, 70, 0.5,
                 25.142, 75.845},
                {"swapped, lat out of range", 95.0, 25.0, 10, 0, false, true, LW_GPS_SWAPPED, 20,
                 0.5, 25.0, 95.0},
                {"zero", 0.0, 0.0, 10, 0, false, false, LW_GPS_ZERO, 0, 0, 0, 0},
                {"out of range", 120.0, 200.0, 10, 0, false, false, LW_GPS_OUT_OF_RANGE, 0, 0, 0, 0},
                {"NaN", NAN, 75.0, 10, 0, false, false, LW_GPS_OUT_OF_RANGE, 0, 0, 0, 0},
                {"no accuracy", 26.9124, 75.7873, NAN, 0, true, false, LW_GPS_NO_ACCURACY, 1000, 0.8,
                 26.9124, 75.7873},
                {"tiny accuracy floors at 20 m", 26.9124, 75.7873, 3, 0, true, false, 0, 20, 0.95,
                 26.9124, 75.7873},
                {"2 h old: stale, +14.4 km", 24.5854, 73.7125, 40, 120 * MIN_US, true, false,
                 LW_GPS_STALE, 80 + 14400, 0.76, 24.5854, 73.7125},
                {"3 days old: drift capped at 30 km", 24.5854, 73.7125, 40, 3 * 1440 * MIN_US, true,
                 false, LW_GPS_STALE, 80 + 30000, 0.76, 24.5854, 73.7125},
                {"59 min: not stale yet", 24.5854, 73.7125, 40, 59 * MIN_US, true, false, 0,
                 80 + 7080, 0.95, 24.5854, 73.7125},
                {"fix after the report (clock skew): age 0", 24.5854, 73.7125, 40, -10 * MIN_US - 1,
                 true, false, 0, 80, 0.95, 24.5854, 73.7125},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                const struct gcase *c = &cases[i];
                struct gps_fix fix = {c->lat, c->lon, c->acc, 0};
                struct gps_eval ev;
                if (c->age_us >= 0)
                        fix.observed_us = REF_US - c->age_us;
                else if (c->age_us < -1)
                        fix.observed_us = REF_US - c->age_us; /* in the future */
                gps_evaluate(&fix, REF_US, &ev);
                CHECK_MSG(ev.usable == c->usable, "%s: usable %d", c->what, ev.usable);
                CHECK_MSG(ev.swapped == c->swapped, "%s: swapped %d", c->what, ev.swapped);
                CHECK_MSG(ev.warnings == c->warnings, "%s: warnings %#x", c->what, ev.warnings);
                if (c->usable || c->swapped) {
                        CHECK_MSG(fabs(ev.radius_m - c->radius_m) < 0.5, "%s: radius %g", c->what,
                                  ev.radius_m);
                        CHECK_MSG(fabs(ev.confidence - c->confidence) < 1e-9, "%s: confidence %g",
                                  c->what, ev.confidence);
                        CHECK_NEAR(ev.lat, c->out_lat, 1e-9);
                        CHECK_NEAR(ev.lon, c->out_lon, 1e-9);
                }
        }
        CHECK(gps_in_india_box(25.142, 75.845));
        CHECK(!gps_in_india_box(75.845, 25.142));
        CHECK(!gps_in_india_box(51.5, -0.12));
        /* no report time: no staleness */
        {
                struct gps_fix fix = {25.1, 75.8, 10, 1000000};
                struct gps_eval ev;
                gps_evaluate(&fix, 0, &ev);
                CHECK_NEAR(ev.radius_m, 20, 1e-9);
                CHECK_INT(ev.warnings, 0);
        }
        return test_summary("enrich_gps");
}
