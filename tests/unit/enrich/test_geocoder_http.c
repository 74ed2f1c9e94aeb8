/* SPDX-License-Identifier: Apache-2.0 */
/* The outside geocoder over real HTTP (label integration): starts
 * nominatim_peer.py on a free loopback port and checks a hit used as a
 * candidate with the geocoder's confidence, exactly the documented query
 * (no name, no post text), the cache (no second request: the peer counts),
 * a timeout (no geocoder result, the alert goes on, quickly), the breaker
 * (open after N failures, no requests while open, half-open trial failing
 * and succeeding), the metrics, and no place text in the log.
 * Usage: test_enrich_geocoder_http <nominatim_peer.py> */
#include <curl/curl.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "enrich.h"
#include "geocoder.h"
#include "prahari/log.h"
#include "prahari/metrics.h"
#include "prahari/util.h"
#include "testutil.h"

#define UA "prahari-enrich-test/1 (ops@prahari.example)"
#define EMAIL "ops@prahari.example"

static char base[128];
static pid_t peer_pid = -1;
static int peer_stdin = -1;

static int start_peer(const char *script)
{
        int in[2], out[2];
        char line[32];
        FILE *f;

        if (pipe(in) || pipe(out))
                return -1;
        peer_pid = fork();
        if (peer_pid < 0)
                return -1;
        if (peer_pid == 0) {
                dup2(in[0], 0);
                dup2(out[1], 1);
                close(in[1]);
                close(out[0]);
                execlp("python3", "python3", script, (char *)NULL);
                _exit(127);
        }
        close(in[0]);
        close(out[1]);
        peer_stdin = in[1];
        f = fdopen(out[0], "r");
        if (!f || !fgets(line, sizeof(line), f))
                return -1;
        fclose(f);
        {
                char *end;
                long port = strtol(line, &end, 10);
                if (port < 1 || port > 65535 || (*end != '\n' && *end != '\0'))
                        return -1;
                snprintf(base, sizeof(base), "http://127.0.0.1:%ld", port);
        }
        return 0;
}

static void stop_peer(void)
{
        if (peer_stdin >= 0)
                close(peer_stdin); /* the peer exits on EOF */
        if (peer_pid > 0) {
                int st;
                for (int i = 0; i < 50 && waitpid(peer_pid, &st, WNOHANG) == 0; i++)
                        usleep(100 * 1000);
                if (waitpid(peer_pid, &st, WNOHANG) == 0) {
                        kill(peer_pid, SIGTERM);
                        waitpid(peer_pid, &st, 0);
                }
        }
}

struct buf {
        char *p;
        size_t n;
};

static size_t on_data(char *d, size_t s, size_t m, void *arg)
{
        struct buf *b = arg;
        char *q = realloc(b->p, b->n + s * m + 1);
        if (!q)
                return 0;
        memcpy(q + b->n, d, s * m);
        b->p = q;
        b->n += s * m;
        b->p[b->n] = '\0';
        return s * m;
}

/* GET base+path from the peer's control side; the JSON answer or NULL. */
static json_t *peer_get(const char *path)
{
        CURL *c = curl_easy_init();
        struct buf b = {NULL, 0};
        char url[256];
        json_t *j = NULL;
        snprintf(url, sizeof(url), "%s%s", base, path);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
        if (curl_easy_perform(c) == CURLE_OK && b.p)
                j = json_loads(b.p, 0, NULL);
        curl_easy_cleanup(c);
        free(b.p);
        return j;
}

static void peer_mode(const char *mode)
{
        char path[64];
        snprintf(path, sizeof(path), "/_control?mode=%s", mode);
        json_decref(peer_get(path));
}

static long peer_requests(void)
{
        json_t *s = peer_get("/_stats");
        long n = s ? (long)json_integer_value(json_object_get(s, "requests")) : -1;
        json_decref(s);
        return n;
}

static bool has_geocoder_cand(const struct location *l)
{
        for (int i = 0; i < l->ncands; i++)
                if (l->cands[i].kind && strcmp(l->cands[i].kind, "geocoder") == 0)
                        return true;
        return false;
}

/* The query carried exactly the documented parameters and the User-Agent. */
static void check_query(const char *q)
{
        json_t *s = peer_get("/_stats"), *p = json_object_get(s, "params");
        const char *k;
        json_t *v;
        CHECK_STR(json_string_value(json_object_get(s, "user_agent")), UA);
        CHECK_INT((int)json_object_size(p), 6);
        json_object_foreach(p, k, v) {
                const char *val = json_string_value(json_array_get(v, 0));
                CHECK_INT((int)json_array_size(v), 1);
                if (strcmp(k, "q") == 0)
                        CHECK_STR(val, q);
                else if (strcmp(k, "format") == 0)
                        CHECK_STR(val, "jsonv2");
                else if (strcmp(k, "countrycodes") == 0)
                        CHECK_STR(val, "in");
                else if (strcmp(k, "limit") == 0)
                        CHECK_STR(val, "5");
                else if (strcmp(k, "accept-language") == 0)
                        CHECK_STR(val, "en");
                else if (strcmp(k, "email") == 0)
                        CHECK_STR(val, EMAIL);
                else
                        CHECK_MSG(0, "unexpected parameter %s", k);
        }
        json_decref(s);
}

static const char ALERT_FMT[] =
        "{\"schema\":\"prahari.alert/v1\",\"alert_id\":\"6f1c2a8e-2222-4a2b-9c3d-00000000000%d\","
        "\"revision\":1,\"subject\":{\"name\":\"Test Person\"},\"post\":{\"text\":\"private "
        "words\"},\"location_hints\":[{\"kind\":\"place\",\"text\":\"%s\",\"source\":"
        "\"recording\"}%s]}";

static int enrich_one(const struct enrich_env *env, int n, const char *place, const char *more,
                      struct enrich_result *r)
{
        char msg[1024], err[256];
        snprintf(msg, sizeof(msg), ALERT_FMT, n, place, more);
        return enrich_message(env, msg, strlen(msg), r, err, sizeof(err));
}

int main(int argc, char **argv)
{
        const char *dir = getenv("PRAHARI_GAZETTEER_DIR");
        char err[512], url[256], logpath[] = "/tmp/prahari-geocoder-log-XXXXXX";
        struct textnorm *tn = NULL;
        struct gazetteer *g = NULL;
        struct geocoder *geo = NULL;
        struct geocode_answer a;
        struct enrich_result r;
        struct enrich_env env;
        int logfd;
        long n0;

        if (argc < 2 || !dir) {
                fprintf(stderr, "usage: %s nominatim_peer.py (PRAHARI_GAZETTEER_DIR set)\n",
                        argv[0]);
                return 2;
        }
        logfd = mkstemp(logpath);
        log_set_fd(logfd);
        curl_global_init(CURL_GLOBAL_DEFAULT);
        if (start_peer(argv[1]) != 0) {
                CHECK_MSG(0, "cannot start %s", argv[1]);
                goto out;
        }
        tn = textnorm_new(err, sizeof(err));
        g = tn ? gazetteer_load(tn, dir, err, sizeof(err)) : NULL;
        CHECK_MSG(g != NULL, "gazetteer: %s", err);
        snprintf(url, sizeof(url), "%s/search", base);
        {
                const struct geocoder_cfg gc = {.url = url,
                                                .user_agent = UA,
                                                .email = EMAIL,
                                                .timeout_ms = 300,
                                                .cache_size = 16,
                                                .cache_ttl_s = 60,
                                                .breaker_failures = 3,
                                                .breaker_open_s = 1};
                geo = geocoder_new(&gc, err, sizeof(err));
        }
        CHECK_MSG(geo != NULL, "geocoder: %s", err);
        if (!g || !geo)
                goto out;
        env = (struct enrich_env){g, tn, NULL, NULL, util_now_us(), geocoder_enrich_cb, geo};

        /* 1. a hit: a candidate, and the estimate with the geocoder's confidence */
        CHECK_INT(peer_requests(), 0);
        CHECK_INT(enrich_one(&env, 1, "Mehrangarh Fort", "", &r), 0);
        CHECK_INT(peer_requests(), 1);
        check_query("Mehrangarh Fort");
        CHECK_INT(r.loc.method, LOC_PLACE);
        CHECK(has_geocoder_cand(&r.loc));
        CHECK_NEAR(r.loc.lat, 26.2978, 1e-9);
        CHECK_NEAR(r.loc.lon, 73.0185, 1e-9);
        CHECK_NEAR(r.loc.confidence, 0.49, 1e-9);
        CHECK_NEAR(r.loc.radius_m, 1000, 1e-9);
        CHECK_STR(r.loc.state, "Rajasthan");
        enrich_result_free(&r);

        /* 2. the cache: the same text (any case and spacing) makes no request */
        CHECK_INT(enrich_one(&env, 2, "  mehrangarh   FORT ", "", &r), 0);
        CHECK_INT(peer_requests(), 1);
        CHECK(has_geocoder_cand(&r.loc));
        CHECK_NEAR(r.loc.confidence, 0.49, 1e-9);
        enrich_result_free(&r);
        /* a negative answer is cached too */
        CHECK_INT(geocoder_lookup(geo, "Qqzx Nowhere", &a), GEO_EMPTY);
        CHECK_INT(geocoder_lookup(geo, "qqzx nowhere", &a), GEO_CACHED);
        CHECK_INT(a.n, 0);
        CHECK_INT(peer_requests(), 2);

        /* 3. a slow geocoder: no geocoder result, the alert goes on at once */
        peer_mode("slow");
        {
                int64_t t0 = util_mono_us(), ms;
                CHECK_INT(enrich_one(&env, 3, "Kuldhara",
                                     ",{\"kind\":\"pin\",\"code\":\"324005\"}", &r),
                          0);
                ms = (util_mono_us() - t0) / 1000;
                CHECK_MSG(ms >= 250 && ms < 1000, "waited %lld ms", (long long)ms);
        }
        CHECK_INT(peer_requests(), 3);
        CHECK(!has_geocoder_cand(&r.loc));
        CHECK(r.loc.warnings & LW_PLACE_UNMATCHED);
        CHECK_INT(r.loc.method, LOC_PIN); /* 324005 -> Kota */
        enrich_result_free(&r);
        CHECK_INT(geocoder_breaker_state(geo), BREAKER_CLOSED); /* 1 of 3 */

        /* 4. failures: the breaker opens after 3 consecutive ones */
        peer_mode("fail");
        CHECK_INT(geocoder_lookup(geo, "Kuldhara", &a), GEO_ERROR);
        CHECK_INT(geocoder_breaker_state(geo), BREAKER_CLOSED);
        CHECK_INT(geocoder_lookup(geo, "Kuldhara", &a), GEO_ERROR);
        CHECK_INT(geocoder_breaker_state(geo), BREAKER_OPEN);
        n0 = peer_requests();
        CHECK_INT(n0, 5);
        CHECK_INT(geocoder_lookup(geo, "Kuldhara", &a), GEO_BREAKER_OPEN);
        CHECK_INT(enrich_one(&env, 4, "Kuldhara", "", &r), 0);
        CHECK_INT(r.loc.method, LOC_NONE);
        CHECK(r.loc.warnings & LW_PLACE_UNMATCHED);
        enrich_result_free(&r);
        CHECK_INT(peer_requests(), n0); /* nothing sent while open */
        /* cached answers are still served while open */
        CHECK_INT(geocoder_lookup(geo, "Mehrangarh Fort", &a), GEO_CACHED);

        /* 5. half-open: a failing trial opens it again, a good one closes it */
        usleep(1100 * 1000);
        CHECK_INT(geocoder_lookup(geo, "Kuldhara", &a), GEO_ERROR);
        CHECK_INT(geocoder_breaker_state(geo), BREAKER_OPEN);
        CHECK_INT(peer_requests(), n0 + 1);
        CHECK_INT(geocoder_lookup(geo, "Kuldhara", &a), GEO_BREAKER_OPEN);
        CHECK_INT(peer_requests(), n0 + 1);
        peer_mode("ok");
        usleep(1100 * 1000);
        CHECK_INT(geocoder_lookup(geo, "Kuldhara", &a), GEO_OK);
        CHECK_INT(geocoder_breaker_state(geo), BREAKER_CLOSED);
        CHECK_INT(peer_requests(), n0 + 2);
        CHECK_INT(a.n, 1);
        CHECK_NEAR(a.hits[0].radius_m, 7418.3, 1.0);
        CHECK_INT(enrich_one(&env, 5, "Kuldhara", "", &r), 0); /* cached now */
        CHECK_INT(peer_requests(), n0 + 2);
        CHECK_INT(r.loc.method, LOC_PLACE);
        CHECK_NEAR(r.loc.lat, 26.8125, 1e-9);
        enrich_result_free(&r);

        /* 6. metrics */
        {
                char *m = metrics_render();
                CHECK(m && strstr(m, "prahari_enrich_geocoder_requests_total{outcome=\"ok\"} 2"));
                CHECK(m && strstr(m, "prahari_enrich_geocoder_requests_total{outcome=\"empty\"} 1"));
                CHECK(m &&
                      strstr(m, "prahari_enrich_geocoder_requests_total{outcome=\"timeout\"} 1"));
                CHECK(m && strstr(m, "prahari_enrich_geocoder_requests_total{outcome=\"error\"} 3"));
                CHECK(m && strstr(m,
                                  "prahari_enrich_geocoder_requests_total{outcome=\"cached\"} 4"));
                CHECK(m && strstr(m, "prahari_enrich_geocoder_requests_total{outcome=\"breaker_"
                                     "open\"} 3"));
                CHECK(m && strstr(m, "prahari_enrich_geocoder_breaker_state 0"));
                free(m);
        }
out:
        geocoder_free(geo);
        gazetteer_free(g);
        textnorm_free(tn);
        stop_peer();
        curl_global_cleanup();
        /* 7. the log never carries the place text */
        log_set_fd(-1);
        {
                char *logtext = util_read_file(logpath, NULL);
                CHECK(logtext != NULL);
                CHECK(logtext && strstr(logtext, "breaker open") != NULL);
                CHECK(logtext && !strstr(logtext, "Mehrangarh") && !strstr(logtext, "Kuldhara") &&
                      !strstr(logtext, "ehrangarh") && !strstr(logtext, "uldhara"));
                free(logtext);
        }
        close(logfd);
        unlink(logpath);
        return test_summary("enrich_geocoder_http");
}
