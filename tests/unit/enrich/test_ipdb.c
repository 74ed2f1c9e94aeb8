/* SPDX-License-Identifier: Apache-2.0 */
/* The IP reader over small MMDB files built here by make_test_mmdb.pl
 * (Debian's libmaxmind-db-writer-perl, DB-IP's flat schema), and the locate
 * rule for an IP-only alert on top of it. Always runs. */
#include "ipdb.h"
#include "testutil.h"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
        char dir[] = "/tmp/prahari-ipdb-XXXXXX", v4[128], v6[128], warn[512];
        struct ipdb *db;
        struct ip_geo geo;
        int nopen, rc;
        pid_t pid;

        if (argc < 2) {
                fprintf(stderr, "usage: %s make_test_mmdb.pl\n", argv[0]);
                return 2;
        }
        if (!mkdtemp(dir)) {
                perror("mkdtemp");
                return 1;
        }
        snprintf(v4, sizeof(v4), "%s/v4.mmdb", dir);
        snprintf(v6, sizeof(v6), "%s/v6.mmdb", dir);
        pid = fork();
        if (pid == 0) {
                execlp("perl", "perl", argv[1], v4, v6, (char *)NULL);
                _exit(127);
        }
        waitpid(pid, &rc, 0);
        CHECK_MSG(WIFEXITED(rc) && WEXITSTATUS(rc) == 0, "perl %s failed", argv[1]);

        db = ipdb_open(v4, v6, &nopen, warn, sizeof(warn));
        CHECK_INT(nopen, 2);
        CHECK_STR(warn, "");

        static const struct {
                const char *ip;
                bool found;
                const char *cc, *state, *city;
                double lat, lon;
        } cases[] = {
                {"49.36.128.10", true, "IN", "Rajasthan", "Jaipur", 26.9196, 75.7878},
                {"49.36.143.255", true, "IN", "Rajasthan", "Jaipur", 26.9196, 75.7878},
                {"49.36.144.0", false, "", "", "", NAN, NAN}, /* just past the /20 */
                {"223.188.20.7", true, "IN", "Delhi", "New Delhi", 28.6139, 77.209},
                {"8.8.8.8", true, "US", "California", "Mountain View", 37.386, -122.0838},
                {"2409:40d4:1a:3b2c::1", true, "IN", "Maharashtra", "Mumbai", 19.0728, 72.8826},
                {"2001:db8::1", false, "", "", "", NAN, NAN},
                {"not an ip", false, "", "", "", NAN, NAN},
                {"", false, "", "", "", NAN, NAN},
                {"999.1.1.1", false, "", "", "", NAN, NAN},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                ipdb_lookup(db, cases[i].ip, &geo);
                CHECK_MSG(geo.found == cases[i].found, "%s found=%d", cases[i].ip, geo.found);
                CHECK_STR(geo.country_code, cases[i].cc);
                CHECK_STR(geo.state, cases[i].state);
                CHECK_STR(geo.city, cases[i].city);
                if (cases[i].found) {
                        CHECK_NEAR(geo.lat, cases[i].lat, 1e-3);
                        CHECK_NEAR(geo.lon, cases[i].lon, 1e-3);
                } else {
                        CHECK(isnan(geo.lat));
                }
        }
        {
                char desc[128];
                ipdb_describe(db, desc, sizeof(desc));
                CHECK_MSG(strstr(desc, "dbip-city-test") != NULL, "describe: %s", desc);
        }
        /* an IP-only alert: the state, never a point or a district */
        {
                struct loc_hint h = {.kind = HINT_IP, .text = "49.36.128.10"};
                struct location l;
                ipdb_lookup(db, h.text, &h.ip);
                locate(NULL, NULL, &h, 1, 0, &l);
                CHECK_INT(l.method, LOC_IP);
                CHECK_STR(l.state, "Rajasthan");
                CHECK(!l.has_point);
                CHECK_INT(l.area_district, -1);
                CHECK(l.warnings & LW_IP_STATE_ONLY);
                CHECK_NEAR(l.confidence, 0.3, 1e-9);
        }
        ipdb_close(db);

        /* a missing file: a warning that names it, lookups unknown */
        db = ipdb_open("/nonexistent/v4.mmdb", "", &nopen, warn, sizeof(warn));
        CHECK_INT(nopen, 0);
        CHECK(strstr(warn, "/nonexistent/v4.mmdb") != NULL);
        CHECK(strstr(warn, "no IPv6 database") != NULL);
        ipdb_lookup(db, "49.36.128.10", &geo);
        CHECK(!geo.found);
        ipdb_close(db);
        ipdb_close(NULL);

        unlink(v4);
        unlink(v6);
        rmdir(dir);
        return test_summary("enrich_ipdb");
}
