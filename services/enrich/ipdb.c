/* SPDX-License-Identifier: Apache-2.0 */
/* DB-IP Lite city lookups with libmaxminddb (local files, no network). */
#include "ipdb.h"

#include <arpa/inet.h>
#include <math.h>
#include <maxminddb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct ipdb {
        MMDB_s v4, v6;
        bool has_v4, has_v6;
};

static bool open_one(const char *path, MMDB_s *m, const char *what, char *warn, size_t warnsz)
{
        int rc;
        size_t used = strlen(warn);
        if (!path || !*path) {
                snprintf(warn + used, warnsz - used, "%sno %s database configured",
                         used ? "; " : "", what);
                return false;
        }
        rc = MMDB_open(path, MMDB_MODE_MMAP, m);
        if (rc != MMDB_SUCCESS) {
                snprintf(warn + used, warnsz - used, "%s%s database %s: %s", used ? "; " : "", what,
                         path, MMDB_strerror(rc));
                return false;
        }
        return true;
}

struct ipdb *ipdb_open(const char *v4_path, const char *v6_path, int *nopen, char *warn,
                       size_t warnsz)
{
        struct ipdb *db = calloc(1, sizeof(*db));
        if (warnsz)
                warn[0] = '\0';
        *nopen = 0;
        if (!db)
                return NULL;
        db->has_v4 = open_one(v4_path, &db->v4, "IPv4", warn, warnsz);
        db->has_v6 = open_one(v6_path, &db->v6, "IPv6", warn, warnsz);
        *nopen = (int)db->has_v4 + (int)db->has_v6;
        return db;
}

void ipdb_close(struct ipdb *db)
{
        if (!db)
                return;
        if (db->has_v4)
                MMDB_close(&db->v4);
        if (db->has_v6)
                MMDB_close(&db->v6);
        free(db);
}

static void get_string(MMDB_entry_s *e, const char *key, char *out, size_t outsz)
{
        MMDB_entry_data_s d;
        out[0] = '\0';
        if (MMDB_get_value(e, &d, key, NULL) == MMDB_SUCCESS && d.has_data &&
            d.type == MMDB_DATA_TYPE_UTF8_STRING) {
                size_t n = d.data_size < outsz - 1 ? d.data_size : outsz - 1;
                memcpy(out, d.utf8_string, n);
                out[n] = '\0';
        }
}

static double get_number(MMDB_entry_s *e, const char *key)
{
        MMDB_entry_data_s d;
        if (MMDB_get_value(e, &d, key, NULL) != MMDB_SUCCESS || !d.has_data)
                return NAN;
        if (d.type == MMDB_DATA_TYPE_FLOAT)
                return d.float_value;
        if (d.type == MMDB_DATA_TYPE_DOUBLE)
                return d.double_value;
        return NAN;
}

void ipdb_lookup(void *ctx, const char *ip, struct ip_geo *out)
{
        struct ipdb *db = ctx;
        unsigned char buf[16];
        MMDB_s *m = NULL;
        MMDB_lookup_result_s res;
        int gai = 0, mmerr = 0;

        memset(out, 0, sizeof(*out));
        out->lat = out->lon = NAN;
        if (!db || !ip)
                return;
        if (inet_pton(AF_INET, ip, buf) == 1)
                m = db->has_v4 ? &db->v4 : NULL;
        else if (inet_pton(AF_INET6, ip, buf) == 1)
                m = db->has_v6 ? &db->v6 : NULL;
        if (!m)
                return;
        res = MMDB_lookup_string(m, ip, &gai, &mmerr);
        if (gai != 0 || mmerr != MMDB_SUCCESS || !res.found_entry)
                return;
        get_string(&res.entry, "country_code", out->country_code, sizeof(out->country_code));
        get_string(&res.entry, "state1", out->state, sizeof(out->state));
        get_string(&res.entry, "city", out->city, sizeof(out->city));
        out->lat = get_number(&res.entry, "latitude");
        out->lon = get_number(&res.entry, "longitude");
        out->found = out->country_code[0] || out->state[0];
}

void ipdb_describe(const struct ipdb *db, char *out, size_t outsz)
{
        size_t used = 0;
        const MMDB_s *ms[2] = {db && db->has_v4 ? &db->v4 : NULL, db && db->has_v6 ? &db->v6 : NULL};
        if (outsz)
                out[0] = '\0';
        for (int i = 0; i < 2; i++) {
                char day[16];
                time_t t;
                struct tm tm;
                if (!ms[i])
                        continue;
                t = (time_t)ms[i]->metadata.build_epoch;
                gmtime_r(&t, &tm);
                strftime(day, sizeof(day), "%Y-%m-%d", &tm);
                used += (size_t)snprintf(out + used, used < outsz ? outsz - used : 0, "%s%s %s",
                                         used ? ", " : "", ms[i]->metadata.database_type, day);
                if (used >= outsz)
                        break;
        }
}
