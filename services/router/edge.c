/* SPDX-License-Identifier: Apache-2.0 */
/* prahari-router's edges: configuration, boundary files, the directory from
 * PostgreSQL (reloaded on a timer and on SIGHUP), and the stage function that
 * decides, records the routing and its timeline row in one transaction, and
 * builds the routed message keyed by district. */
#include "edge.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>

#include "prahari/log.h"
#include "prahari/metrics.h"
#include "prahari/pg.h"
#include "prahari/sig.h"
#include "prahari/util.h"

#define APP "prahari-router"
#define ACTOR "prahari-router"
#define SCHEMA_ID "prahari.alert/v1"

#ifndef PRAHARI_DEFAULT_BOUNDARIES_FILE
#define PRAHARI_DEFAULT_BOUNDARIES_FILE "../shared/data/boundaries/rajasthan_districts_41.geojson"
#endif
#ifndef PRAHARI_DEFAULT_STATES_FILE
#define PRAHARI_DEFAULT_STATES_FILE "../shared/data/boundaries/india_states.geojson"
#endif

#define OFF(f) offsetof(struct router_cfg, f)
const struct cfg_item router_cfg_items[] = {
        {"PRAHARI_BOUNDARIES_SOURCE", CFG_STR, OFF(boundaries_source), "file", CFG_REQUIRED, 0, 0,
         "file: PRAHARI_BOUNDARIES_FILE at start; postgis: the district version in effect in "
         "PostgreSQL, switched live when a newer one takes effect"},
        {"PRAHARI_BOUNDARIES_FILE", CFG_STR, OFF(boundaries_file), PRAHARI_DEFAULT_BOUNDARIES_FILE,
         CFG_REQUIRED, 0, 0, "GeoJSON FeatureCollection of the district polygons (loaded at start)"},
        {"PRAHARI_BOUNDARIES_NAME_PROPERTY", CFG_STR, OFF(boundaries_prop), "name", CFG_REQUIRED, 0,
         0, "feature property holding the district name"},
        {"PRAHARI_STATES_FILE", CFG_STR, OFF(states_file), PRAHARI_DEFAULT_STATES_FILE,
         CFG_REQUIRED, 0, 0, "GeoJSON of state outlines: names the state of an out-of-state point"},
        {"PRAHARI_STATES_NAME_PROPERTY", CFG_STR, OFF(states_prop), "ST_NM", CFG_REQUIRED, 0, 0,
         "feature property holding the state name"},
        {"PRAHARI_JURISDICTION_LAYERS", CFG_STR, OFF(jurisdiction_layers), "", 0, 0, 0,
         "extra jurisdiction layers, most specific first, ';'-separated "
         "level:path:name_property:parent_property (or just level: the version in effect in "
         "PostGIS when PRAHARI_BOUNDARIES_SOURCE=postgis)"},
        {"PRAHARI_HOME_STATE", CFG_STR, OFF(home_state), "Rajasthan", CFG_REQUIRED, 0, 0,
         "our state's name in the state layer"},
        {"PRAHARI_ROUTER_MIN_CONFIDENCE", CFG_DOUBLE, OFF(min_confidence), "0.3", 0, 0, 1,
         "below this location confidence the state command centre is told (too_uncertain)"},
        {"PRAHARI_ROUTER_MAX_RADIUS_M", CFG_DOUBLE, OFF(max_radius_m), "50000", 0, 1, 1e7,
         "above this uncertainty radius (m) the state command centre is told (too_uncertain)"},
        {"PRAHARI_ROUTER_OVERLAP_MIN", CFG_DOUBLE, OFF(overlap_min), "0.2", 0, 0.000001, 1,
         "share of the uncertainty circle that makes another district a jurisdiction too"},
        {"PRAHARI_ROUTER_SNAP_M", CFG_DOUBLE, OFF(snap_m), "2000", 0, 0, 100000,
         "a home-state point in no district goes to the nearest district within this (m); 0 = never"},
        {"PRAHARI_DIRECTORY_RELOAD_S", CFG_INT, OFF(directory_reload_s), "30", 0, 1, 86400,
         "seconds between directory reloads from PostgreSQL (also on SIGHUP)"},
        {"PRAHARI_ROUTER_OPS_PORT", CFG_PORT, OFF(ops_port), "9103", 0, 0, 0,
         "/healthz, /readyz, /metrics"},
        {"PRAHARI_TOPIC_ENRICHED", CFG_STR, OFF(topic_enriched), "prahari.alerts.enriched.v1",
         CFG_REQUIRED, 0, 0, "topic consumed (group prahari-router)"},
        {"PRAHARI_TOPIC_ROUTED", CFG_STR, OFF(topic_routed), "prahari.alerts.routed.v1",
         CFG_REQUIRED, 0, 0, "topic produced, keyed by district or STATE_COMMAND_CENTRE"},
        {"PRAHARI_TOPIC_DEADLETTER", CFG_STR, OFF(topic_deadletter), "prahari.alerts.deadletter.v1",
         CFG_REQUIRED, 0, 0, "dead-letter topic"},
};
const size_t router_cfg_nitems = sizeof router_cfg_items / sizeof router_cfg_items[0];

static struct layer *load_layer(GEOSContextHandle_t geos, const char *var, const char *path,
                                const char *prop, char *err, size_t errsz)
{
        char e[1024];
        struct gj_layer *gl = geojson_load_file(geos, path, prop, e, sizeof e);
        struct layer *l = gl ? layer_new(geos, gl, e, sizeof e) : NULL;
        if (!l)
                snprintf(err, errsz, "%s: %s", var, e);
        return l;
}

/* The version of @p layer in effect: 1 with its id, 0 if none, -1 on error. */
static int active_version_of(PGconn *pg, const char *layer, char *out, size_t outsz)
{
        const char *p[1] = {layer};
        PGresult *res = pg_exec(pg,
                                "SELECT version FROM boundary_versions WHERE layer = $1 "
                                "AND effective_from <= current_date "
                                "ORDER BY effective_from DESC, imported_at DESC LIMIT 1",
                                1, p);
        if (!res)
                return -1;
        int found = PQntuples(res) == 1;
        if (found)
                util_strlcpy(out, PQgetvalue(res, 0, 0), outsz);
        PQclear(res);
        return found;
}

/* The district version in effect: 1 with its id, 0 if none, -1 on error. */
static int active_version(PGconn *pg, char *out, size_t outsz)
{
        return active_version_of(pg, "district", out, outsz);
}

/* Build the layer of @p version from PostGIS with context @p ctx; with
 * @p js and @p level, append it to @p js with its parents instead. */
static struct layer *load_layer_pg(PGconn *pg, GEOSContextHandle_t ctx, const char *version,
                                   struct jlayers *js, const char *level, char *err,
                                   size_t errsz)
{
        const char *p[1] = {version};
        PGresult *res = pg_exec(pg,
                                "SELECT name, encode(ST_AsBinary(geom), 'hex'), parent "
                                "FROM boundaries WHERE version = $1 ORDER BY name",
                                1, p);
        if (!res) {
                snprintf(err, errsz, "boundaries %s: query failed", version);
                return NULL;
        }
        size_t n = (size_t)PQntuples(res);
        const char **names = calloc(n ? n : 1, sizeof *names);
        const char **hex = calloc(n ? n : 1, sizeof *hex);
        struct layer *l = NULL;
        if (names && hex) {
                for (size_t i = 0; i < n; i++) {
                        names[i] = PQgetvalue(res, (int)i, 0);
                        hex[i] = PQgetvalue(res, (int)i, 1);
                }
                char e[320];
                struct gj_layer *gl = geojson_layer_from_wkb_hex(ctx, names, hex, n, version, e,
                                                                 sizeof e);
                l = gl ? layer_new(ctx, gl, e, sizeof e) : NULL;
                if (!l)
                        snprintf(err, errsz, "boundaries %s: %s", version, e);
                if (l && js) { /* js owns l from here on, or l is freed */
                        const char **par = calloc(n ? n : 1, sizeof *par);
                        for (size_t i = 0; par && i < n; i++)
                                par[i] = PQgetisnull(res, (int)i, 2) ? NULL
                                                                    : PQgetvalue(res, (int)i, 2);
                        int rc = par ? jlayers_add_layer(js, level, l, names, par, n, e, sizeof e)
                                     : -1;
                        if (!par)
                                layer_destroy(l);
                        if (rc) {
                                snprintf(err, errsz, "boundaries %s: %s", version,
                                         par ? e : "out of memory");
                                l = NULL;
                        }
                        free(par);
                }
        }
        free(names);
        free(hex);
        PQclear(res);
        return l;
}

static void log_layer(const char *what, const struct layer *l, double ms)
{
        size_t ne, nc, nm;
        layer_stats(l, &ne, &nc, &nm);
        log_info("%s %s: %zu districts, %zu edges, grid %zu cells (%zu mixed), index %zu KiB, "
                 "built in %.0f ms",
                 what, layer_version(l), layer_count(l), ne, nc, nm,
                 layer_index_bytes(l) / 1024, ms);
}

/* PRAHARI_JURISDICTION_LAYERS: each entry from its file, or (a bare level
 * name, postgis source only) the version of that layer in effect. */
static int router_jlayers_load(struct router *r, bool from_pg, char *err, size_t errsz)
{
        const char *p = r->cfg->jurisdiction_layers ? r->cfg->jurisdiction_layers : "";
        char e[1024] = "", one[800];
        while (*p) {
                p += strspn(p, "; ");
                size_t k = strcspn(p, ";");
                while (k && p[k - 1] == ' ')
                        k--;
                if (!k)
                        break;
                if (k >= sizeof one) {
                        snprintf(err, errsz, "PRAHARI_JURISDICTION_LAYERS: entry too long");
                        return -1;
                }
                memcpy(one, p, k);
                one[k] = '\0';
                p += k;
                if (!strchr(one, ':')) { /* a bare level: from PostGIS */
                        char v[160];
                        int f = from_pg ? active_version_of(r->dir_pg, one, v, sizeof v) : 0;
                        if (!from_pg || f != 1) {
                                snprintf(err, errsz,
                                         "PRAHARI_JURISDICTION_LAYERS: \"%s\": %s", one,
                                         !from_pg ? "a bare level needs "
                                                    "PRAHARI_BOUNDARIES_SOURCE=postgis (else "
                                                    "level:path:name_property:parent_property)"
                                                  : "no version of that layer in effect in "
                                                    "PostgreSQL");
                                return -1;
                        }
                        if (!load_layer_pg(r->dir_pg, r->geos, v, &r->jl, one, e, sizeof e)) {
                                snprintf(err, errsz, "PRAHARI_JURISDICTION_LAYERS: %s", e);
                                return -1;
                        }
                        continue;
                }
                struct jlayer_spec sp[1];
                if (jlayers_parse_spec(one, sp, 1, e, sizeof e) != 1 ||
                    jlayers_add_file(&r->jl, r->geos, &sp[0], e, sizeof e)) {
                        snprintf(err, errsz, "PRAHARI_JURISDICTION_LAYERS: %s", e);
                        return -1;
                }
        }
        if (r->jl.n && jlayers_check(&r->jl, r->districts, e, sizeof e)) {
                snprintf(err, errsz, "PRAHARI_JURISDICTION_LAYERS: %s", e);
                return -1;
        }
        for (size_t i = 0; i < r->jl.n; i++)
                log_info("jurisdiction layer %zu: %s %s, %zu features", i + 1, r->jl.v[i].level,
                         layer_version(r->jl.v[i].l), layer_count(r->jl.v[i].l));
        return 0;
}

int router_layers_load(struct router *r, char *err, size_t errsz)
{
        const struct router_cfg *c = r->cfg;
        bool from_pg = strcmp(c->boundaries_source, "postgis") == 0;
        if (!from_pg && strcmp(c->boundaries_source, "file") != 0) {
                snprintf(err, errsz, "PRAHARI_BOUNDARIES_SOURCE: \"%s\" is not file or postgis",
                         c->boundaries_source);
                return -1;
        }
        int64_t t0 = util_mono_us();
        r->districts_ctx = geojson_geos_new();
        if (!r->districts_ctx) {
                snprintf(err, errsz, "GEOS: cannot create a context");
                return -1;
        }
        if (from_pg) {
                char e[1024];
                if (!pg_ensure(&r->dir_pg, APP)) {
                        snprintf(err, errsz,
                                 "PRAHARI_BOUNDARIES_SOURCE=postgis: PostgreSQL unavailable");
                        return -1;
                }
                int found = active_version(r->dir_pg, r->seen_version, sizeof r->seen_version);
                if (found != 1) {
                        snprintf(err, errsz,
                                 "PRAHARI_BOUNDARIES_SOURCE=postgis: %s",
                                 found == 0 ? "no district boundary version in effect (import one "
                                              "with prahari-admin boundaries import)"
                                            : "boundary_versions query failed");
                        return -1;
                }
                r->districts = load_layer_pg(r->dir_pg, r->districts_ctx, r->seen_version, NULL,
                                             NULL, e, sizeof e);
                if (!r->districts) {
                        snprintf(err, errsz, "PRAHARI_BOUNDARIES_SOURCE=postgis: %s", e);
                        return -1;
                }
        } else {
                r->districts = load_layer(r->districts_ctx, "PRAHARI_BOUNDARIES_FILE",
                                          c->boundaries_file, c->boundaries_prop, err, errsz);
                if (!r->districts)
                        return -1;
        }
        log_layer(from_pg ? "boundaries (postgis)" : "boundaries", r->districts,
                  (double)(util_mono_us() - t0) / 1000.0);
        char sv[160];
        int sfound = from_pg ? active_version_of(r->dir_pg, "state", sv, sizeof sv) : 0;
        if (sfound < 0) {
                snprintf(err, errsz, "PRAHARI_BOUNDARIES_SOURCE=postgis: boundary_versions query "
                                     "failed (state layer)");
                return -1;
        }
        if (sfound == 1) {
                char e[1024];
                r->states = load_layer_pg(r->dir_pg, r->geos, sv, NULL, NULL, e, sizeof e);
                if (!r->states) {
                        snprintf(err, errsz, "PRAHARI_BOUNDARIES_SOURCE=postgis: %s", e);
                        return -1;
                }
        } else {
                if (from_pg)
                        log_warn("no state boundary version in PostgreSQL: state layer from %s",
                                 c->states_file);
                r->states = load_layer(r->geos, "PRAHARI_STATES_FILE", c->states_file,
                                       c->states_prop, err, errsz);
                if (!r->states)
                        return -1;
        }
        if (layer_find(r->states, c->home_state) < 0) {
                snprintf(err, errsz, "PRAHARI_HOME_STATE: \"%s\" is not a feature of %s",
                         c->home_state, layer_version(r->states));
                return -1;
        }
        log_info("states %s%s: %zu", layer_version(r->states), sfound == 1 ? " (postgis)" : "",
                 layer_count(r->states));
        if (router_jlayers_load(r, from_pg, err, errsz))
                return -1;
        r->dcfg = (struct decide_cfg){c->min_confidence, c->max_radius_m, c->overlap_min,
                                      c->snap_m, c->home_state, r->jl.n ? &r->jl : NULL};
        atomic_store(&r->layers_ok, true);
        return 0;
}

/* Reloader: a newer district version in effect? Build it for the main thread. */
static void check_boundaries(struct router *r)
{
        char v[160];
        if (active_version(r->dir_pg, v, sizeof v) != 1 || strcmp(v, r->seen_version) == 0)
                return;
        int64_t t0 = util_mono_us();
        char e[1024];
        GEOSContextHandle_t ctx = geojson_geos_new();
        struct layer *l = ctx ? load_layer_pg(r->dir_pg, ctx, v, NULL, NULL, e, sizeof e) : NULL;
        if (!l) {
                log_error("new boundary version %s not loaded: %s; staying on %s", v,
                          ctx ? e : "no GEOS context", r->seen_version);
                geojson_geos_free(ctx);
                return;
        }
        log_layer("boundaries (postgis, new version)", l, (double)(util_mono_us() - t0) / 1000.0);
        pthread_mutex_lock(&r->layer_mu);
        struct layer *old = r->pending;
        GEOSContextHandle_t oldctx = r->pending_ctx;
        r->pending = l;
        r->pending_ctx = ctx;
        pthread_mutex_unlock(&r->layer_mu);
        layer_destroy(old); /* built but never used */
        geojson_geos_free(oldctx);
        util_strlcpy(r->seen_version, v, sizeof r->seen_version);
}

/* Main thread, between messages: switch to a pending district version. */
static void switch_boundaries(struct router *r)
{
        pthread_mutex_lock(&r->layer_mu);
        struct layer *l = r->pending;
        GEOSContextHandle_t ctx = r->pending_ctx;
        r->pending = NULL;
        r->pending_ctx = NULL;
        pthread_mutex_unlock(&r->layer_mu);
        if (!l)
                return;
        log_info("boundaries switched: %s -> %s", layer_version(r->districts), layer_version(l));
        layer_destroy(r->districts);
        geojson_geos_free(r->districts_ctx);
        r->districts = l;
        r->districts_ctx = ctx;
}

int router_directory_reload(struct router *r)
{
        if (!pg_ensure(&r->dir_pg, APP)) {
                atomic_store(&r->pg_ok, false);
                return -1;
        }
        atomic_store(&r->pg_ok, true);
        PGresult *res = pg_exec(r->dir_pg,
                                "SELECT recipient_id, jurisdiction, role, name, phone, email, "
                                "level, lang, duty_days, duty_hours FROM directory WHERE active "
                                "ORDER BY jurisdiction, level, recipient_id",
                                0, NULL);
        if (!res) {
                atomic_store(&r->pg_ok, PQstatus(r->dir_pg) == CONNECTION_OK);
                return -1;
        }
        struct directory *d = directory_new();
        int rc = d ? 0 : -1;
        for (int i = 0; rc == 0 && i < PQntuples(res); i++) {
                long lvl = 0;
                struct dir_entry e = {
                        .recipient_id = PQgetvalue(res, i, 0),
                        .jurisdiction = PQgetvalue(res, i, 1),
                        .role = PQgetvalue(res, i, 2),
                        .name = PQgetvalue(res, i, 3),
                        .phone = PQgetisnull(res, i, 4) ? NULL : PQgetvalue(res, i, 4),
                        .email = PQgetisnull(res, i, 5) ? NULL : PQgetvalue(res, i, 5),
                        .duty_days = PQgetisnull(res, i, 8) ? NULL : PQgetvalue(res, i, 8),
                        .duty_hours = PQgetisnull(res, i, 9) ? NULL : PQgetvalue(res, i, 9),
                };
                (void)cfg_parse_long(PQgetvalue(res, i, 6), 1, 1000, &lvl);
                e.level = (int)lvl;
                util_strlcpy(e.lang, PQgetvalue(res, i, 7), sizeof e.lang);
                rc = directory_add(d, &e);
        }
        PQclear(res);
        if (rc) {
                directory_free(d);
                log_error("directory: out of memory while loading");
                return -1;
        }
        pthread_mutex_lock(&r->dir_mu);
        struct directory *old = r->dir;
        r->dir = d;
        pthread_mutex_unlock(&r->dir_mu);
        atomic_store(&r->dir_ok, d->n > 0);
        if (!old || old->n != d->n)
                log_info("directory loaded: %zu recipients", d->n);
        else
                log_debug("directory reloaded: %zu recipients", d->n);
        directory_free(old);
        return 0;
}

static void *reloader_main(void *arg)
{
        struct router *r = arg;
        int64_t last = util_mono_us();
        while (!atomic_load(&r->stop_reloader)) {
                struct timespec ts = {0, 200 * 1000000L};
                nanosleep(&ts, NULL);
                bool hup = sig_reload_take();
                if (!hup && util_mono_us() - last < r->cfg->directory_reload_s * 1000000LL)
                        continue;
                if (hup)
                        log_info("SIGHUP: reloading the directory");
                if (router_directory_reload(r)) {
                        pthread_mutex_lock(&r->dir_mu);
                        size_t n = r->dir ? r->dir->n : 0;
                        pthread_mutex_unlock(&r->dir_mu);
                        log_warn("directory reload failed; keeping %zu recipients", n);
                } else if (strcmp(r->cfg->boundaries_source, "postgis") == 0) {
                        check_boundaries(r);
                }
                last = util_mono_us();
        }
        return NULL;
}

int router_reloader_start(struct router *r)
{
        atomic_store(&r->stop_reloader, false);
        if (pthread_create(&r->reloader, NULL, reloader_main, r) != 0)
                return -1;
        r->reloader_running = true;
        return 0;
}

void router_reloader_stop(struct router *r)
{
        if (!r->reloader_running)
                return;
        atomic_store(&r->stop_reloader, true);
        pthread_join(r->reloader, NULL);
        r->reloader_running = false;
}

/* Timeline detail: what was decided and who was told; no personal data. */
static char *timeline_detail(const json_t *routing)
{
        json_t *o = json_object(), *js = json_array(), *rs = json_array();
        static const char *const keep[] = {"route",          "district",     "level",
                                           "parents",        "state",        "reason",
                                           "boundary_version", "lead_changed", "directory_gap"};
        for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++) {
                json_t *v = json_object_get(routing, keep[i]);
                if (v)
                        json_object_set(o, keep[i], v);
        }
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(routing, "jurisdictions"), i, v)
                json_array_append(js, json_object_get(v, "name"));
        json_array_foreach(json_object_get(routing, "recipients"), i, v)
                json_array_append(rs, json_object_get(v, "recipient_id"));
        json_object_set_new(o, "jurisdictions", js); /* steals ref */
        json_object_set_new(o, "recipients", rs);    /* steals ref */
        json_t *mf = json_object_get(json_object_get(routing, "moved_from"), "jurisdiction");
        if (mf)
                json_object_set(o, "moved_from", mf);
        char *s = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        return s;
}

enum rec_result { REC_OK = 0, REC_RETRY, REC_PERMANENT };

/*
 * In one transaction: note the previous revision's routing (lead changed?),
 * insert this revision's routing (a redelivery finds the row and uses the
 * stored decision, so the output never disagrees with the record), and append
 * the timeline row. *routing may be replaced by the stored one.
 */
static enum rec_result record(struct router *r, const char *alert_id, int revision,
                              json_t **routing, char *reason, size_t reasonsz)
{
        char rev[16];
        snprintf(rev, sizeof rev, "%d", revision);
        PGresult *res = NULL;
        char *detail = NULL, *tl = NULL;
        enum rec_result rc = REC_RETRY;
        if (pg_begin(r->pg))
                goto fail;
        const char *p2[2] = {alert_id, rev};
        res = pg_exec(r->pg,
                      "SELECT revision, route, district FROM routings WHERE alert_id = $1::uuid "
                      "AND revision < $2::integer ORDER BY revision DESC LIMIT 1",
                      2, p2);
        if (!res)
                goto fail;
        if (PQntuples(res) == 1) {
                const char *proute = PQgetvalue(res, 0, 1);
                const char *pdist = PQgetisnull(res, 0, 2) ? NULL : PQgetvalue(res, 0, 2);
                const char *route = json_string_value(json_object_get(*routing, "route"));
                const char *dist = json_string_value(json_object_get(*routing, "district"));
                bool changed = strcmp(proute, route ? route : "") != 0 ||
                               (pdist == NULL) != (dist == NULL) ||
                               (pdist && dist && strcmp(pdist, dist) != 0);
                long prev = 0;
                (void)cfg_parse_long(PQgetvalue(res, 0, 0), 1, 1L << 30, &prev);
                json_object_set_new(*routing, "previous",
                                    json_pack("{s:I,s:s,s:s?}", "revision", (json_int_t)prev,
                                              "route", proute, "district", pdist));
                json_object_set_new(*routing, "lead_changed", json_boolean(changed));
                if (changed) { /* the old lead is told it moved (the notifier's part) */
                        const char *old = strcmp(proute, "district") == 0 && pdist
                                                  ? pdist
                                                  : DIR_STATE_COMMAND_CENTRE;
                        pthread_mutex_lock(&r->dir_mu);
                        json_t *mf = r->dir ? decide_moved_from(&r->dcfg, r->districts, r->dir,
                                                                old, (long long)time(NULL))
                                            : NULL;
                        pthread_mutex_unlock(&r->dir_mu);
                        if (mf)
                                json_object_set_new(*routing, "moved_from", mf);
                }
        }
        PQclear(res);
        res = NULL;
        detail = json_dumps(*routing, JSON_COMPACT);
        if (!detail)
                goto fail;
        const char *route = json_string_value(json_object_get(*routing, "route"));
        const char *p8[8] = {alert_id,
                             rev,
                             route,
                             json_string_value(json_object_get(*routing, "district")),
                             json_string_value(json_object_get(*routing, "state")),
                             json_string_value(json_object_get(*routing, "reason")),
                             json_string_value(json_object_get(*routing, "boundary_version")),
                             detail};
        res = pg_exec(r->pg,
                      "INSERT INTO routings (alert_id, revision, route, district, state, reason, "
                      "boundary_version, detail) VALUES ($1::uuid, $2::integer, $3, $4, $5, $6, "
                      "$7, $8::jsonb) ON CONFLICT (alert_id, revision) DO NOTHING RETURNING 1",
                      8, p8);
        if (!res) {
                const char *st = pg_last_sqlstate();
                if (st && (strcmp(st, "23503") == 0 || strcmp(st, "22P02") == 0)) {
                        snprintf(reason, reasonsz, "routings: %s",
                                 strcmp(st, "23503") == 0 ? "alert not in the alerts table"
                                                          : "alert_id is not a UUID");
                        rc = REC_PERMANENT;
                }
                goto fail;
        }
        bool inserted = PQntuples(res) == 1;
        PQclear(res);
        res = NULL;
        if (inserted) {
                tl = timeline_detail(*routing);
                if (!tl || pg_timeline_add(r->pg, alert_id, "router", "routed", ACTOR, revision, tl))
                        goto fail;
        } else {
                res = pg_exec(r->pg,
                              "SELECT detail::text FROM routings WHERE alert_id = $1::uuid AND "
                              "revision = $2::integer",
                              2, p2);
                if (!res || PQntuples(res) != 1)
                        goto fail;
                json_t *stored = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
                if (!stored)
                        goto fail;
                json_decref(*routing);
                *routing = stored;
                log_alert(LOG_INFO, alert_id, NULL,
                          "revision %d was routed before: producing the recorded decision",
                          revision);
        }
        if (pg_commit(r->pg))
                goto fail;
        PQclear(res);
        free(detail);
        free(tl);
        return REC_OK;
fail:
        PQclear(res);
        pg_rollback(r->pg);
        free(detail);
        free(tl);
        if (rc == REC_RETRY)
                snprintf(reason, reasonsz, "PostgreSQL: could not record the routing");
        return rc;
}

static struct metric *routed_metric(const char *route, const char *severity)
{
        /* 2 routes x 3 severities (+ anything else as "other"), looked up once. */
        static const char *const sev[] = {"critical", "high", "medium", "other"};
        static struct metric *m[2][4];
        int ri = strcmp(route, "district") == 0 ? 0 : 1;
        int si = 3;
        for (int i = 0; i < 3; i++)
                if (severity && strcmp(severity, sev[i]) == 0)
                        si = i;
        if (!m[ri][si]) {
                char labels[96];
                snprintf(labels, sizeof labels, "route=\"%s\",severity=\"%s\"",
                         ri == 0 ? "district" : "state_command_centre", sev[si]);
                m[ri][si] = metrics_counter("prahari_router_routed_total",
                                            "Alerts routed, by route and severity", labels);
        }
        return m[ri][si];
}

static bool uuid_like(const char *s)
{
        if (!s || strlen(s) != 36)
                return false;
        for (int i = 0; i < 36; i++) {
                char c = s[i];
                bool dash = i == 8 || i == 13 || i == 18 || i == 23;
                if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
                                        (c >= 'A' && c <= 'F')))
                        return false;
        }
        return true;
}

enum stage_result router_route_cb(void *ctx, const struct kq_msg *in, struct stage_output *out,
                                  char *reason, size_t reasonsz)
{
        struct router *r = ctx;
        static struct metric *seconds;
        if (!seconds)
                seconds = metrics_histogram("prahari_router_seconds",
                                            "Time to route one message (decide + record)", NULL,
                                            NULL, 0);
        int64_t t0 = util_mono_us();
        enum stage_result sr = STAGE_DEADLETTER;
        json_t *routing = NULL;
        json_error_t je;
        json_t *msg = json_loadb(in->payload, in->len, 0, &je);
        if (!json_is_object(msg)) {
                snprintf(reason, reasonsz, "not a JSON object: %s", msg ? "" : je.text);
                goto out;
        }
        const char *alert_id = json_string_value(json_object_get(msg, "alert_id"));
        const char *schema = json_string_value(json_object_get(msg, "schema"));
        json_t *jrev = json_object_get(msg, "revision");
        int revision = json_is_integer(jrev) ? (int)json_integer_value(jrev) : 1;
        if (!uuid_like(alert_id)) {
                snprintf(reason, reasonsz, "alert_id: missing or not a UUID");
                goto out;
        }
        if (schema && strcmp(schema, SCHEMA_ID) != 0) {
                snprintf(reason, reasonsz, "schema: %s is not %s", schema, SCHEMA_ID);
                goto out;
        }
        if (revision < 1) {
                snprintf(reason, reasonsz, "revision: must be 1 or more");
                goto out;
        }
        switch_boundaries(r);
        struct decision d;
        char derr[128] = "";
        decide_route(&r->dcfg, r->districts, r->states, json_object_get(msg, "location"), &d,
                     derr, sizeof derr);
        if (d.circle_failed)
                log_alert(LOG_WARN, alert_id, in->traceparent, "%s: decided on the point", derr);
        pthread_mutex_lock(&r->dir_mu);
        bool have_dir = r->dir && r->dir->n > 0;
        routing = have_dir ? decide_routing_json_at(&d, r->districts, r->dir,
                                                    (long long)time(NULL))
                           : NULL;
        pthread_mutex_unlock(&r->dir_mu);
        if (!have_dir) {
                snprintf(reason, reasonsz, "the directory is empty or not loaded");
                sr = STAGE_RETRY;
                goto out;
        }
        if (!routing) {
                snprintf(reason, reasonsz, "out of memory");
                sr = STAGE_RETRY;
                goto out;
        }
        if (json_array_size(json_object_get(routing, "recipients")) == 0) {
                snprintf(reason, reasonsz, "no level-1 recipient for %s in the directory",
                         decide_key(&d, r->districts));
                sr = STAGE_RETRY;
                goto out;
        }
        if (!pg_ensure(&r->pg, APP)) {
                atomic_store(&r->pg_ok, false);
                snprintf(reason, reasonsz, "PostgreSQL unavailable");
                sr = STAGE_RETRY;
                goto out;
        }
        atomic_store(&r->pg_ok, true);
        enum rec_result rr = record(r, alert_id, revision, &routing, reason, reasonsz);
        if (rr != REC_OK) {
                sr = rr == REC_PERMANENT ? STAGE_DEADLETTER : STAGE_RETRY;
                goto out;
        }
        const char *route = json_string_value(json_object_get(routing, "route"));
        const char *dist = json_string_value(json_object_get(routing, "district"));
        const char *key = route && strcmp(route, "district") == 0 && dist
                                  ? dist
                                  : DIR_STATE_COMMAND_CENTRE;
        out->key = strdup(key);
        json_object_set(msg, "routing", routing);
        out->payload = json_dumps(msg, JSON_COMPACT);
        if (!out->key || !out->payload) {
                free(out->key);
                free(out->payload);
                out->key = out->payload = NULL;
                snprintf(reason, reasonsz, "out of memory");
                sr = STAGE_RETRY;
                goto out;
        }
        out->len = strlen(out->payload);
        metric_inc(routed_metric(route ? route : "state_command_centre",
                                 json_string_value(json_object_get(msg, "severity"))),
                   1);
        log_alert(LOG_INFO, alert_id, in->traceparent,
                  "routed revision %d: %s %s (%s, %zu jurisdictions, %zu recipients)", revision,
                  route ? route : "?", key,
                  json_string_value(json_object_get(routing, "reason")),
                  json_array_size(json_object_get(routing, "jurisdictions")),
                  json_array_size(json_object_get(routing, "recipients")));
        sr = STAGE_OK;
out:
        metric_observe(seconds, (double)(util_mono_us() - t0) / 1e6);
        json_decref(routing);
        json_decref(msg);
        return sr;
}

bool router_ready_cb(void *ctx)
{
        struct router *r = ctx;
        return atomic_load(&r->layers_ok) && atomic_load(&r->dir_ok) && atomic_load(&r->pg_ok) &&
               r->kc && kq_consumer_ready(r->kc) && r->kp && kq_producer_ready(r->kp);
}

void router_teardown(struct router *r)
{
        directory_free(r->dir);
        r->dir = NULL;
        jlayers_clear(&r->jl);
        layer_destroy(r->states);
        layer_destroy(r->districts);
        geojson_geos_free(r->districts_ctx);
        layer_destroy(r->pending);
        geojson_geos_free(r->pending_ctx);
        r->states = r->districts = r->pending = NULL;
        r->districts_ctx = r->pending_ctx = NULL;
        if (r->pg)
                PQfinish(r->pg);
        if (r->dir_pg)
                PQfinish(r->dir_pg);
        r->pg = r->dir_pg = NULL;
}
