/* SPDX-License-Identifier: Apache-2.0 */
/* The outside geocoder's pure part: query URL, jsonv2 answers in the shapes
 * Nominatim documents (https://nominatim.org/release-docs/latest/api/Output/),
 * the choice among hits, the LRU cache, the circuit breaker, and the
 * locate/enrich rules over a geocoded place (with the real gazetteer). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "enrich.h"
#include "geocode_cache.h"
#include "geocode_parse.h"
#include "locate.h"
#include "prahari/util.h"
#include "testutil.h"

#define BASE "https://nominatim.example/search"
#define TAIL "&format=jsonv2&countrycodes=in&limit=5&accept-language=en"

/* jsonv2 /search answers, as documented (lat/lon/boundingbox are strings). */
static const char MEHRANGARH[] =
        "[{\"place_id\":210876543,\"licence\":\"Data © OpenStreetMap contributors, ODbL 1.0. "
        "http://osm.org/copyright\",\"osm_type\":\"way\",\"osm_id\":123456789,"
        "\"lat\":\"26.2978\",\"lon\":\"73.0185\",\"category\":\"tourism\",\"type\":\"attraction\","
        "\"place_rank\":30,\"importance\":0.4123,\"addresstype\":\"tourism\","
        "\"name\":\"Mehrangarh Fort\",\"display_name\":\"Mehrangarh Fort, Fort Road, Jodhpur, "
        "Jodhpur Tehsil, Jodhpur District, Rajasthan, 342006, India\","
        "\"boundingbox\":[\"26.2942\",\"26.3013\",\"73.0155\",\"73.0212\"]}]";

/* Two observatories of the same name: Jaipur and New Delhi. */
static const char JANTAR_MANTAR[] =
        "[{\"place_id\":1,\"licence\":\"Data © OpenStreetMap contributors, ODbL 1.0. "
        "http://osm.org/copyright\",\"osm_type\":\"way\",\"osm_id\":11,\"lat\":\"26.9247\","
        "\"lon\":\"75.8244\",\"category\":\"tourism\",\"type\":\"attraction\",\"place_rank\":30,"
        "\"importance\":0.52,\"addresstype\":\"tourism\",\"name\":\"Jantar Mantar\","
        "\"display_name\":\"Jantar Mantar, Gangori Bazaar, Jaipur, Jaipur Tehsil, Jaipur "
        "District, Rajasthan, 302002, India\",\"boundingbox\":[\"26.9235\",\"26.9259\","
        "\"75.8231\",\"75.8257\"]},"
        "{\"place_id\":2,\"licence\":\"Data © OpenStreetMap contributors, ODbL 1.0. "
        "http://osm.org/copyright\",\"osm_type\":\"way\",\"osm_id\":12,\"lat\":\"28.6271\","
        "\"lon\":\"77.2166\",\"category\":\"tourism\",\"type\":\"attraction\",\"place_rank\":30,"
        "\"importance\":0.48,\"addresstype\":\"tourism\",\"name\":\"Jantar Mantar\","
        "\"display_name\":\"Jantar Mantar, Sansad Marg, Connaught Place, Chanakya Puri Tehsil, "
        "New Delhi, Delhi, 110001, India\",\"boundingbox\":[\"28.6262\",\"28.6280\",\"77.2157\","
        "\"77.2175\"]}]";

/* A village (node, no `name` shape variant: empty name) and its boundary. */
static const char KULDHARA[] =
        "[{\"place_id\":3,\"osm_type\":\"relation\",\"osm_id\":13,\"lat\":\"26.8125\","
        "\"lon\":\"70.7975\",\"category\":\"boundary\",\"type\":\"administrative\","
        "\"place_rank\":19,\"importance\":0.31,\"addresstype\":\"village\",\"name\":\"\","
        "\"display_name\":\"Kuldhara, Jaisalmer Tehsil, Jaisalmer District, Rajasthan, India\","
        "\"boundingbox\":[\"26.7700\",\"26.8600\",\"70.7500\",\"70.8500\"]},"
        "{\"place_id\":4,\"osm_type\":\"node\",\"osm_id\":14,\"lat\":26.8131,\"lon\":70.7982,"
        "\"category\":\"place\",\"type\":\"village\",\"place_rank\":19,\"importance\":0.29,"
        "\"addresstype\":\"village\",\"name\":\"Kuldhara\",\"display_name\":\"Kuldhara, "
        "Jaisalmer Tehsil, Jaisalmer District, Rajasthan, India\","
        "\"boundingbox\":[\"26.7931\",\"26.8331\",\"70.7782\",\"70.8182\"]}]";

/* Outside India (inside India's box), a state, and a hit without lat. */
static const char NOT_USABLE[] =
        "[{\"place_id\":5,\"lat\":\"28.4202\",\"lon\":\"70.2952\",\"importance\":0.5,"
        "\"addresstype\":\"city\",\"name\":\"Rahim Yar Khan\",\"display_name\":\"Rahim Yar "
        "Khan, Rahim Yar Khan District, Bahawalpur Division, Punjab, Pakistan\","
        "\"boundingbox\":[\"28.3\",\"28.5\",\"70.2\",\"70.4\"]},"
        "{\"place_id\":6,\"lat\":\"26.8105777\",\"lon\":\"73.7684549\",\"importance\":0.78,"
        "\"addresstype\":\"state\",\"name\":\"Rajasthan\",\"display_name\":\"Rajasthan, India\","
        "\"boundingbox\":[\"23.0605\",\"30.1928\",\"69.4825\",\"78.2707\"]},"
        "{\"place_id\":7,\"lon\":\"75.0\",\"importance\":0.2,\"display_name\":\"X, India\"}]";

static void test_url(void)
{
        char out[1024];
        char longtext[700];
        int n;

        n = geocode_query_url(BASE, "  Mehrangarh \t Fort ", NULL, out, sizeof(out));
        CHECK_STR(out, BASE "?q=Mehrangarh%20Fort" TAIL);
        CHECK_INT(n, (int)strlen(out));
        geocode_query_url(BASE "?key=k1", "Kota", "", out, sizeof(out));
        CHECK_STR(out, BASE "?key=k1&q=Kota" TAIL);
        geocode_query_url(BASE, "झुंझुनूं", "ops@prahari.example", out, sizeof(out));
        CHECK_STR(out, BASE "?q=%E0%A4%9D%E0%A5%81%E0%A4%82%E0%A4%9D%E0%A5%81%E0%A4%A8%E0%A5"
                            "%82%E0%A4%82" TAIL "&email=ops%40prahari.example");
        /* no parameter can be smuggled in through the text */
        geocode_query_url(BASE, "Kota&format=xml#x", NULL, out, sizeof(out));
        CHECK_STR(out, BASE "?q=Kota%26format%3Dxml%23x" TAIL);
        CHECK_INT(geocode_query_url(BASE, " \t ", NULL, out, sizeof(out)), -1);
        CHECK_INT(geocode_query_url(BASE, "", NULL, out, sizeof(out)), -1);
        CHECK_INT(geocode_query_url(BASE, "Kota", NULL, out, 40), -1);
        /* 233 x "ा" (3 bytes): cut at 200 bytes on a character boundary -> 66 chars */
        longtext[0] = '\0';
        for (int i = 0; i < 233; i++)
                strcat(longtext, "ा");
        geocode_query_url(BASE, longtext, NULL, out, sizeof(out));
        {
                const char *q = strstr(out, "?q=") + 3, *amp = strchr(q, '&');
                CHECK_INT((int)(amp - q), 66 * 9); /* each char is %E0%A4%BE */
                CHECK(strncmp(amp - 9, "%E0%A4%BE", 9) == 0);
        }
}

static void test_parse(void)
{
        struct geocode_answer a;
        char err[128];
        const struct geocode_hit *h;

        CHECK_INT(geocode_parse(MEHRANGARH, strlen(MEHRANGARH), &a, err, sizeof(err)), 0);
        CHECK_INT(a.n, 1);
        h = &a.hits[0];
        CHECK_NEAR(h->lat, 26.2978, 1e-9);
        CHECK_NEAR(h->lon, 73.0185, 1e-9);
        CHECK_NEAR(h->importance, 0.4123, 1e-9);
        CHECK_STR(h->name, "Mehrangarh Fort");
        CHECK_STR(h->addresstype, "tourism");
        CHECK_STR(h->state, "Rajasthan");
        CHECK(h->in_india);
        CHECK(!h->area_level);
        CHECK(h->has_bbox);
        CHECK_NEAR(h->bbox[3], 73.0212, 1e-9);
        /* farthest corner 500 m away: the minimum radius applies */
        CHECK_NEAR(h->radius_m, GEOCODE_MIN_RADIUS_M, 1e-9);

        CHECK_INT(geocode_parse(KULDHARA, strlen(KULDHARA), &a, err, sizeof(err)), 0);
        CHECK_INT(a.n, 2);
        CHECK_STR(a.hits[0].name, "Kuldhara"); /* empty name: display_name's first part */
        CHECK_NEAR(a.hits[1].lat, 26.8131, 1e-9); /* numbers instead of strings */
        CHECK_STR(a.hits[1].state, "Rajasthan");
        /* boundary 26.77..26.86 x 70.75..70.85 around 26.8125,70.7975: far corner (26.86,70.85) */
        CHECK_NEAR(a.hits[0].radius_m, 7418.3, 1.0);

        CHECK_INT(geocode_parse(JANTAR_MANTAR, strlen(JANTAR_MANTAR), &a, err, sizeof(err)), 0);
        CHECK_INT(a.n, 2);
        CHECK_STR(a.hits[1].state, "Delhi");

        CHECK_INT(geocode_parse(NOT_USABLE, strlen(NOT_USABLE), &a, err, sizeof(err)), 0);
        CHECK_INT(a.n, 2); /* the hit without lat is skipped */
        CHECK(!a.hits[0].in_india);
        CHECK_STR(a.hits[0].state, ""); /* Pakistan's Punjab is not India's */
        CHECK(a.hits[1].in_india);
        CHECK(a.hits[1].area_level);

        CHECK_INT(geocode_parse("[]", 2, &a, err, sizeof(err)), 0);
        CHECK_INT(a.n, 0);
        {
                const char e1[] = "{\"error\":{\"code\":400,\"message\":\"Nothing to search for.\"}}";
                CHECK_INT(geocode_parse(e1, strlen(e1), &a, err, sizeof(err)), -1);
                CHECK(strstr(err, "error") != NULL);
        }
        CHECK_INT(geocode_parse("<html>502 Bad Gateway</html>", 28, &a, err, sizeof(err)), -1);
        CHECK_INT(geocode_parse("[{\"lat\":\"95\",\"lon\":\"75\"}]", 25, &a, err, sizeof(err)), 0);
        CHECK_INT(a.n, 0); /* latitude out of range */
        {
                /* six places: only five kept; a long Devanagari name cut on a boundary */
                char body[8192] = "[";
                char nm[400] = "";
                for (int i = 0; i < 40; i++)
                        strcat(nm, "क");
                for (int i = 0; i < 6; i++) {
                        char one[1024];
                        snprintf(one, sizeof(one),
                                 "%s{\"lat\":\"26.%d\",\"lon\":\"75.0\",\"name\":\"%s\","
                                 "\"display_name\":\"%s, Rajasthan, India\"}",
                                 i ? "," : "", i, nm, nm);
                        strcat(body, one);
                }
                strcat(body, "]");
                CHECK_INT(geocode_parse(body, strlen(body), &a, err, sizeof(err)), 0);
                CHECK_INT(a.n, GEOCODE_MAX_HITS);
                CHECK_INT((int)strlen(a.hits[0].name), 93); /* 31 x 3 bytes <= 95 */
                CHECK(util_utf8_valid(a.hits[0].name, strlen(a.hits[0].name)));
                CHECK_NEAR(a.hits[0].importance, 0, 0);
        }
}

static void test_select(void)
{
        struct geocode_answer a;
        struct geocode_pick p;
        char err[128];

        geocode_parse(MEHRANGARH, strlen(MEHRANGARH), &a, err, sizeof(err));
        geocode_select(&a, &p);
        CHECK_INT(p.lead, 0);
        CHECK(!p.ambiguous);
        CHECK_INT(p.nusable, 1);

        /* Jaipur and Delhi, 0.52 vs 0.48 (>= 0.8 x): ambiguous, no lead */
        geocode_parse(JANTAR_MANTAR, strlen(JANTAR_MANTAR), &a, err, sizeof(err));
        geocode_select(&a, &p);
        CHECK(p.ambiguous);
        CHECK_INT(p.lead, -1);
        CHECK_INT(p.top, 0);
        CHECK_NEAR(geocode_hit_score(&a, &p, 1, NULL), 0.49 * 0.48 / 0.52, 1e-9);
        /* the same with the Delhi one much less important: Jaipur leads */
        a.hits[1].importance = 0.2;
        geocode_select(&a, &p);
        CHECK(!p.ambiguous);
        CHECK_INT(p.lead, 0);

        /* a village and its own boundary: circles overlap, not ambiguous */
        geocode_parse(KULDHARA, strlen(KULDHARA), &a, err, sizeof(err));
        geocode_select(&a, &p);
        CHECK(!p.ambiguous);
        CHECK_INT(p.lead, 0);
        CHECK_INT(p.nusable, 2);

        geocode_parse(NOT_USABLE, strlen(NOT_USABLE), &a, err, sizeof(err));
        geocode_select(&a, &p);
        CHECK_INT(p.nusable, 0);
        CHECK_INT(p.lead, -1);
        CHECK(!p.usable[0] && !p.usable[1]);

        CHECK_NEAR(geocode_confidence("profile"), 0.42, 1e-12);
        CHECK_NEAR(geocode_confidence("recording"), 0.49, 1e-12);
        CHECK_NEAR(geocode_confidence(NULL), 0.49, 1e-12);
}

static struct geocode_answer answer_of(const char *json)
{
        struct geocode_answer a;
        char err[128];
        geocode_parse(json, strlen(json), &a, err, sizeof(err));
        return a;
}

static void test_cache(void)
{
        struct geocache *c = geocache_new(2, 10 * 1000000LL);
        struct geocode_answer m = answer_of(MEHRANGARH), k = answer_of(KULDHARA), none, out;

        memset(&none, 0, sizeof(none));
        CHECK(!geocache_get(c, "mehrangarh fort", 0, &out));
        geocache_put(c, "mehrangarh fort", &m, 0);
        geocache_put(c, "kuldhara", &k, 1);
        CHECK_INT((int)geocache_size(c), 2);
        CHECK(geocache_get(c, "mehrangarh fort", 2, &out)); /* now the most recent */
        CHECK_INT(out.n, 1);
        CHECK_NEAR(out.hits[0].lat, 26.2978, 1e-9);
        geocache_put(c, "xyzzy", &none, 3); /* negative answers are cached too */
        CHECK_INT((int)geocache_size(c), 2);
        CHECK(!geocache_get(c, "kuldhara", 4, &out)); /* the least recent was evicted */
        CHECK(geocache_get(c, "xyzzy", 4, &out));
        CHECK_INT(out.n, 0);
        CHECK(geocache_get(c, "mehrangarh fort", 9999999, &out));
        CHECK(!geocache_get(c, "mehrangarh fort", 10000000, &out)); /* TTL over */
        CHECK_INT((int)geocache_size(c), 1);
        geocache_put(c, "xyzzy", &k, 5); /* same key replaced, not duplicated */
        CHECK(geocache_get(c, "xyzzy", 6, &out));
        CHECK_INT(out.n, 2);
        CHECK_INT((int)geocache_size(c), 1);
        geocache_free(c);
}

static void test_breaker(void)
{
        struct breaker b;
        const int64_t S = 1000000;

        breaker_init(&b, 3, 10 * S);
        CHECK(breaker_allow(&b, 0));
        breaker_failure(&b, 1);
        breaker_failure(&b, 2);
        breaker_success(&b); /* consecutive failures only */
        breaker_failure(&b, 3);
        breaker_failure(&b, 4);
        CHECK_INT(b.state, BREAKER_CLOSED);
        CHECK(breaker_allow(&b, 5));
        breaker_failure(&b, 5 * S);
        CHECK_INT(b.state, BREAKER_OPEN);
        CHECK(!breaker_allow(&b, 5 * S + 1));
        CHECK(!breaker_allow(&b, 15 * S - 1));
        CHECK(breaker_allow(&b, 15 * S)); /* half-open: one trial */
        CHECK_INT(b.state, BREAKER_HALF_OPEN);
        CHECK(!breaker_allow(&b, 15 * S + 1));
        breaker_failure(&b, 16 * S); /* the trial failed: open again from now */
        CHECK_INT(b.state, BREAKER_OPEN);
        CHECK(!breaker_allow(&b, 25 * S));
        CHECK(breaker_allow(&b, 26 * S));
        breaker_success(&b);
        CHECK_INT(b.state, BREAKER_CLOSED);
        CHECK(breaker_allow(&b, 26 * S + 1));
        CHECK_STR(breaker_state_name(BREAKER_HALF_OPEN), "half_open");
}

/* ---- with the real gazetteer ----------------------------------------------- */

static int has_cand_kind(const struct location *l, const char *kind)
{
        int n = 0;
        for (int i = 0; i < l->ncands; i++)
                if (l->cands[i].kind && strcmp(l->cands[i].kind, kind) == 0)
                        n++;
        return n;
}

static void test_locate(const struct gazetteer *g, struct textnorm *tn)
{
        struct geocode_answer m = answer_of(MEHRANGARH), j = answer_of(JANTAR_MANTAR),
                              bad = answer_of(NOT_USABLE);
        struct loc_hint h[2];
        struct location l;

        memset(h, 0, sizeof(h));
        h[0].kind = HINT_PLACE;
        h[0].text = "Mehrangarh Fort";
        h[0].source = "recording";
        /* no geocoder answer: unmatched, nothing placed */
        locate(g, tn, h, 1, 0, &l);
        CHECK_INT(l.method, LOC_NONE);
        CHECK(l.warnings & LW_PLACE_UNMATCHED);

        h[0].geo = &m;
        locate(g, tn, h, 1, 0, &l);
        CHECK_INT(l.method, LOC_PLACE);
        CHECK(l.has_point);
        CHECK_NEAR(l.lat, 26.2978, 1e-9);
        CHECK_NEAR(l.lon, 73.0185, 1e-9);
        CHECK_NEAR(l.radius_m, 1000, 1e-9);
        CHECK_NEAR(l.confidence, 0.49, 1e-9);
        CHECK_STR(l.state, "Rajasthan");
        CHECK_INT(l.area_district, -1);
        CHECK(!(l.warnings & LW_PLACE_UNMATCHED));
        CHECK_INT(has_cand_kind(&l, "geocoder"), 1);
        CHECK_STR(l.cands[0].name, "Mehrangarh Fort");
        CHECK_STR(l.cands[0].source, "recording");
        /* below what the gazetteer gives a known place ("Jodhpur": 0.7 x score) */
        h[0].source = "profile";
        locate(g, tn, h, 1, 0, &l);
        CHECK_NEAR(l.confidence, 0.42, 1e-9);

        /* a GPS fix 300 m away agrees: GPS leads, confidence raised */
        h[1].kind = HINT_GPS;
        h[1].gps.valid = true;
        h[1].gps.lat = 26.2955;
        h[1].gps.lon = 73.0190;
        h[1].gps.accuracy_m = 30;
        locate(g, tn, h, 2, 0, &l);
        CHECK_INT(l.method, LOC_GPS);
        CHECK_NEAR(l.confidence, 1 - (1 - 0.95) * (1 - 0.42), 1e-9);
        CHECK(!(l.warnings & LW_SIGNALS_DISAGREE));
        /* ... and one in Kota disagrees */
        h[1].gps.lat = 25.1420;
        h[1].gps.lon = 75.8450;
        locate(g, tn, h, 2, 0, &l);
        CHECK_INT(l.method, LOC_GPS);
        CHECK(l.warnings & LW_SIGNALS_DISAGREE);
        CHECK_NEAR(l.confidence, 0.95 * 0.85, 1e-9);

        /* two far-apart observatories: candidates only, place_ambiguous */
        h[0].text = "Jantar Mantar";
        h[0].geo = &j;
        locate(g, tn, h, 1, 0, &l);
        CHECK_INT(l.method, LOC_PLACE);
        CHECK(!l.has_point);
        CHECK(l.warnings & LW_PLACE_AMBIGUOUS);
        CHECK_NEAR(l.confidence, 0.3, 1e-9);
        CHECK_INT(has_cand_kind(&l, "geocoder"), 2);
        CHECK_STR(l.state, ""); /* Rajasthan and Delhi */

        /* only hits outside India / a whole state: still unmatched */
        h[0].geo = &bad;
        locate(g, tn, h, 1, 0, &l);
        CHECK_INT(l.method, LOC_NONE);
        CHECK(l.warnings & LW_PLACE_UNMATCHED);
        CHECK_INT(l.ncands, 0);
}

struct fake_geo {
        int calls;
        char asked[256];
        struct geocode_answer a;
        bool answer;
};

static bool fake_geocode(void *ctx, const char *text, struct geocode_answer *out)
{
        struct fake_geo *f = ctx;
        f->calls++;
        util_strlcpy(f->asked, text, sizeof(f->asked));
        *out = f->a;
        return f->answer;
}

static void test_enrich(const struct gazetteer *g, struct textnorm *tn)
{
        struct fake_geo f = {0};
        struct enrich_env env = {g, tn, NULL, NULL, 1796371200000000LL, fake_geocode, &f};
        struct enrich_result r;
        char err[256];
        const char *msg =
                "{\"schema\":\"prahari.alert/v1\",\"alert_id\":\"6f1c2a8e-1111-4a2b-9c3d-"
                "000000000001\",\"revision\":1,\"subject\":{\"name\":\"Test Person\"},"
                "\"post\":{\"text\":\"private words\"},\"location_hints\":["
                "{\"kind\":\"place\",\"text\":\"Kota\",\"source\":\"profile\"},"
                "{\"kind\":\"place\",\"text\":\"Mehrangarh Fort\",\"source\":\"recording\"},"
                "{\"kind\":\"place\",\"text\":\"Kuldhara\",\"source\":\"recording\"}]}";

        f.a = answer_of(MEHRANGARH);
        f.answer = true;
        CHECK_INT(enrich_message(&env, msg, strlen(msg), &r, err, sizeof(err)), 0);
        /* asked once (one lookup per alert), about the first unknown place text only */
        CHECK_INT(f.calls, 1);
        CHECK_STR(f.asked, "Mehrangarh Fort");
        CHECK_INT(has_cand_kind(&r.loc, "geocoder"), 1);
        /* Kota (profile, 0.6) leads; the geocoded fort in Jodhpur disagrees */
        CHECK_INT(r.loc.method, LOC_PLACE);
        CHECK(r.loc.warnings & LW_SIGNALS_DISAGREE);
        CHECK(r.loc.warnings & LW_PLACE_UNMATCHED); /* Kuldhara: not asked */
        CHECK(strstr(r.location_json, "\"kind\":\"geocoder\"") != NULL);
        enrich_result_free(&r);

        /* the geocoder has no answer (timeout): the alert goes on, unmatched */
        f.calls = 0;
        f.answer = false;
        memset(&f.a, 0, sizeof(f.a));
        CHECK_INT(enrich_message(&env, msg, strlen(msg), &r, err, sizeof(err)), 0);
        CHECK_INT(f.calls, 1);
        CHECK_INT(has_cand_kind(&r.loc, "geocoder"), 0);
        CHECK(r.loc.warnings & LW_PLACE_UNMATCHED);
        CHECK_INT(r.loc.method, LOC_PLACE); /* Kota still places the person */
        enrich_result_free(&r);

        /* a state-only text and an ambiguous known name are not sent */
        {
                const char *m2 =
                        "{\"schema\":\"prahari.alert/v1\",\"alert_id\":\"6f1c2a8e-1111-4a2b-"
                        "9c3d-000000000002\",\"location_hints\":[{\"kind\":\"place\",\"text\":"
                        "\"Qqzx, Rajasthan\"},{\"kind\":\"place\",\"text\":\"Shahpura\"}]}";
                f.calls = 0;
                CHECK_INT(enrich_message(&env, m2, strlen(m2), &r, err, sizeof(err)), 0);
                CHECK_INT(f.calls, 0);
                CHECK(r.loc.warnings & LW_PLACE_AMBIGUOUS);
                enrich_result_free(&r);
        }

        /* geocoder off: never called */
        env.geocode = NULL;
        f.calls = 0;
        CHECK_INT(enrich_message(&env, msg, strlen(msg), &r, err, sizeof(err)), 0);
        CHECK_INT(f.calls, 0);
        enrich_result_free(&r);
}

int main(void)
{
        const char *dir = getenv("PRAHARI_GAZETTEER_DIR");
        char err[512];
        struct textnorm *tn;
        struct gazetteer *g;

        test_url();
        test_parse();
        test_select();
        test_cache();
        test_breaker();
        tn = textnorm_new(err, sizeof(err));
        g = tn && dir ? gazetteer_load(tn, dir, err, sizeof(err)) : NULL;
        CHECK_MSG(g != NULL, "gazetteer: %s", dir ? err : "PRAHARI_GAZETTEER_DIR unset");
        if (g) {
                test_locate(g, tn);
                test_enrich(g, tn);
        }
        gazetteer_free(g);
        textnorm_free(tn);
        return test_summary("enrich_geocode");
}
