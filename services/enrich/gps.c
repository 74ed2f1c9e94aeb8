/* SPDX-License-Identifier: Apache-2.0 */
/* GPS fix sanity (range, 0,0, swapped pairs) and uncertainty (accuracy,
 * staleness); see gps.h for the rules. */
#include "gps.h"
#include "locwarn.h"

#include <math.h>
#include <string.h>

bool gps_in_india_box(double lat, double lon)
{
        return lat >= 6.0 && lat <= 37.5 && lon >= 68.0 && lon <= 98.0;
}

static bool in_range(double lat, double lon)
{
        return isfinite(lat) && isfinite(lon) && fabs(lat) <= 90.0 && fabs(lon) <= 180.0;
}

void gps_evaluate(const struct gps_fix *fix, int64_t ref_us, struct gps_eval *out)
{
        double lat = fix->lat, lon = fix->lon, acc = fix->accuracy_m;

        memset(out, 0, sizeof(*out));
        out->lat = lat;
        out->lon = lon;
        if (!isfinite(lat) || !isfinite(lon)) {
                out->warnings |= LW_GPS_OUT_OF_RANGE;
                return;
        }
        if (lat == 0.0 && lon == 0.0) {
                out->warnings |= LW_GPS_ZERO;
                return;
        }
        if ((!in_range(lat, lon) || !gps_in_india_box(lat, lon)) && gps_in_india_box(lon, lat)) {
                out->warnings |= LW_GPS_SWAPPED;
                out->swapped = true;
                out->lat = lon;
                out->lon = lat;
        } else if (!in_range(lat, lon)) {
                out->warnings |= LW_GPS_OUT_OF_RANGE;
                return;
        } else {
                out->usable = true;
        }
        if (!isfinite(acc) || acc <= 0) {
                acc = GPS_DEFAULT_ACCURACY_M;
                out->confidence = GPS_NO_ACCURACY_CONFIDENCE;
                out->warnings |= LW_GPS_NO_ACCURACY;
        } else {
                out->confidence = GPS_CONFIDENCE;
        }
        out->radius_m = 2.0 * acc;
        if (out->radius_m < 20.0)
                out->radius_m = 20.0;
        if (ref_us > 0 && fix->observed_us > 0 && ref_us > fix->observed_us) {
                double drift;
                out->age_s = (double)(ref_us - fix->observed_us) / 1e6;
                drift = out->age_s * GPS_DRIFT_MPS;
                out->radius_m += drift < GPS_DRIFT_CAP_M ? drift : GPS_DRIFT_CAP_M;
                if (out->age_s > GPS_STALE_S) {
                        out->warnings |= LW_GPS_STALE;
                        out->confidence *= 0.8;
                }
        }
        if (out->swapped)
                out->confidence = GPS_SWAPPED_CONFIDENCE;
}
