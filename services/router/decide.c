/* SPDX-License-Identifier: Apache-2.0 */
/* The routing decision (no location / ip only / area / too uncertain / point
 * in polygon with the uncertainty circle / outside the state) and the
 * `routing` JSON with the level-1 recipients of every jurisdiction. */
#include "decide.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "prahari/util.h"

static const char *const reason_names[] = {
        [REASON_POINT_IN_POLYGON] = "point_in_polygon", [REASON_AREA] = "area",
        [REASON_OUT_OF_STATE] = "out_of_state",         [REASON_NO_LOCATION] = "no_location",
        [REASON_IP_ONLY] = "ip_only",                   [REASON_TOO_UNCERTAIN] = "too_uncertain",
        [REASON_NEAREST_DISTRICT] = "nearest_district", [REASON_NO_DISTRICT] = "no_district",
};

const char *decide_reason_str(enum decide_reason r) { return reason_names[r]; }

const char *decide_route_str(enum decide_route r)
{
        return r == ROUTE_DISTRICT ? "district" : "state_command_centre";
}

static void add_j(struct decision *d, const struct layer *dl, int idx, const char *name,
                  double overlap, bool lead)
{
        for (size_t i = 0; i < d->nj; i++)
                if ((idx >= 0 && d->j[i].idx == idx) ||
                    (idx < 0 && d->j[i].idx < 0 && strcmp(d->j[i].name, name) == 0))
                        return;
        if (d->nj == DECIDE_MAX_J)
                return;
        struct decide_jurisdiction *j = &d->j[d->nj++];
        j->idx = idx;
        util_strlcpy(j->name, idx >= 0 ? layer_name(dl, idx) : name, sizeof j->name);
        j->overlap = overlap;
        j->lead = lead;
}

static void to_scc(struct decision *d, enum decide_reason r)
{
        d->route = ROUTE_STATE_COMMAND_CENTRE;
        d->reason = r;
        d->district = -1;
        d->nj = 0;
        add_j(d, NULL, -1, DIR_STATE_COMMAND_CENTRE, -1, true);
}

/* Non-lead district jurisdictions from the circle's overlaps. */
static void add_overlaps(struct decision *d, const struct layer *dl,
                         const struct layer_overlap *ov, int n, double min)
{
        for (int i = 0; i < n; i++)
                if (ov[i].overlap >= min)
                        add_j(d, dl, ov[i].idx, NULL, ov[i].overlap, false);
}

static int decide_core(const struct decide_cfg *cfg, const struct layer *dl,
                       const struct layer *sl, const json_t *loc, struct decision *out,
                       char *err, size_t errsz)
{
        memset(out, 0, sizeof *out);
        out->district = -1;
        const char *method = json_string_value(json_object_get(loc, "method"));
        const char *lstate = json_string_value(json_object_get(loc, "state"));
        if (lstate)
                util_strlcpy(out->state, lstate, sizeof out->state);
        if (!method || strcmp(method, "none") == 0) {
                to_scc(out, REASON_NO_LOCATION);
                return 0;
        }
        if (strcmp(method, "ip") == 0) {
                /* An IP's state is a weak hint (mobile IPs resolve to hub cities): it
                 * stays in location.state, never routing.state, which names the
                 * state of a located out-of-state person. */
                out->state[0] = '\0';
                to_scc(out, REASON_IP_ONLY);
                return 0;
        }
        const json_t *jc = json_object_get(loc, "confidence");
        const json_t *jr = json_object_get(loc, "radius_m");
        double conf = json_is_number(jc) ? json_number_value(jc) : 1.0;
        double radius = json_is_number(jr) ? json_number_value(jr) : 0.0;
        if (!(radius >= 0) || !isfinite(radius))
                radius = INFINITY; /* nonsense radius: as uncertain as it gets */

        /* a whole district named by the estimate */
        const json_t *area = json_object_get(loc, "area");
        const char *akind = json_string_value(json_object_get(area, "kind"));
        const char *aname = json_string_value(json_object_get(area, "name"));
        int aidx = akind && aname && strcmp(akind, "district") == 0 ? layer_find(dl, aname) : -1;
        if (aidx >= 0) {
                if (conf < cfg->min_confidence) {
                        to_scc(out, REASON_TOO_UNCERTAIN);
                        return 0;
                }
                out->route = ROUTE_DISTRICT;
                out->reason = REASON_AREA;
                out->district = aidx;
                util_strlcpy(out->state, cfg->home_state, sizeof out->state);
                add_j(out, dl, aidx, NULL, 1.0, true);
                return 0;
        }

        const json_t *jlat = json_object_get(loc, "lat"), *jlon = json_object_get(loc, "lon");
        double lat = json_number_value(jlat), lon = json_number_value(jlon);
        if (!json_is_number(jlat) || !json_is_number(jlon) || !(lat >= -90 && lat <= 90) ||
            !(lon >= -180 && lon <= 180)) {
                to_scc(out, REASON_NO_LOCATION);
                return 0;
        }
        int sidx = sl ? layer_lookup(sl, lon, lat) : -1;
        if (sidx >= 0)
                util_strlcpy(out->state, layer_name(sl, sidx), sizeof out->state);
        if (conf < cfg->min_confidence || radius > cfg->max_radius_m) {
                to_scc(out, REASON_TOO_UNCERTAIN);
                return 0;
        }
        int d = layer_lookup(dl, lon, lat);
        struct layer_overlap ov[DECIDE_MAX_J];
        int nov = 0;
        if (radius > 0) {
                nov = layer_overlaps(dl, lon, lat, radius, ov, DECIDE_MAX_J);
                if (nov < 0) { /* decide on the point alone rather than not at all */
                        snprintf(err, errsz, "uncertainty circle: GEOS failed");
                        out->circle_failed = true;
                        nov = 0;
                }
        }
        if (d >= 0) {
                /* lead: the largest overlap among the qualifying districts and
                 * the one holding the point; ov is sorted by overlap, then by
                 * index (the tie rule) */
                double dov = radius > 0 ? 0 : 1.0;
                for (int i = 0; i < nov; i++)
                        if (ov[i].idx == d)
                                dov = ov[i].overlap;
                int lead = d;
                double lov = dov;
                for (int i = 0; i < nov; i++)
                        if (ov[i].overlap >= cfg->overlap_min &&
                            (ov[i].overlap > lov || (ov[i].overlap == lov && ov[i].idx < lead))) {
                                lead = ov[i].idx;
                                lov = ov[i].overlap;
                        }
                out->route = ROUTE_DISTRICT;
                out->reason = REASON_POINT_IN_POLYGON;
                out->district = lead;
                util_strlcpy(out->state, cfg->home_state, sizeof out->state);
                add_j(out, dl, lead, NULL, lov, true);
                if (d != lead)
                        add_j(out, dl, d, NULL, dov, false);
                add_overlaps(out, dl, ov, nov, cfg->overlap_min);
                return 0;
        }
        /* in no district */
        bool home = sidx >= 0 && strcmp(out->state, cfg->home_state) == 0;
        if (home) {
                double dist = 0;
                int near = cfg->snap_m > 0 ? layer_nearest(dl, lon, lat, cfg->snap_m, &dist) : -1;
                if (near >= 0) {
                        out->route = ROUTE_DISTRICT;
                        out->reason = REASON_NEAREST_DISTRICT;
                        out->district = near;
                        out->snap_m = dist;
                        double nov_near = 0;
                        for (int i = 0; i < nov; i++)
                                if (ov[i].idx == near)
                                        nov_near = ov[i].overlap;
                        add_j(out, dl, near, NULL, radius > 0 ? nov_near : 0, true);
                        add_overlaps(out, dl, ov, nov, cfg->overlap_min);
                        return 0;
                }
                to_scc(out, REASON_NO_DISTRICT);
                add_overlaps(out, dl, ov, nov, cfg->overlap_min);
                return 0;
        }
        to_scc(out, REASON_OUT_OF_STATE);
        if (sidx < 0)
                out->state[0] = '\0'; /* outside every state of the layer (abroad) */
        add_overlaps(out, dl, ov, nov, cfg->overlap_min);
        if (out->state[0]) {
                char is[96];
                snprintf(is, sizeof is, "%s%s", DIR_INTERSTATE_PREFIX, out->state);
                add_j(out, dl, -1, is, -1, false);
        }
        return 0;
}

int decide_route(const struct decide_cfg *cfg, const struct layer *dl, const struct layer *sl,
                 const json_t *loc, struct decision *out, char *err, size_t errsz)
{
        int rc = decide_core(cfg, dl, sl, loc, out, err, errsz);
        if (out->route != ROUTE_DISTRICT) {
                jlayers_chain(NULL, NULL, DIR_STATE_COMMAND_CENTRE, &out->lead);
                return rc;
        }
        const char *dname = layer_name(dl, out->district);
        jlayers_chain(NULL, dl, dname, &out->lead);
        /* the most specific layer holding the point, when its chain reaches
         * the lead district (a lead moved by the circle keeps its district) */
        if (cfg->layers && (out->reason == REASON_POINT_IN_POLYGON ||
                            out->reason == REASON_NEAREST_DISTRICT)) {
                double lat = json_number_value(json_object_get(loc, "lat"));
                double lon = json_number_value(json_object_get(loc, "lon"));
                struct jmatch m;
                if (jlayers_match(cfg->layers, dname, lon, lat, &m)) {
                        out->lead = m;
                        util_strlcpy(out->j[0].name, m.name, sizeof out->j[0].name);
                }
        }
        return rc;
}

const char *decide_key(const struct decision *d, const struct layer *dl)
{
        if (d->route != ROUTE_DISTRICT)
                return DIR_STATE_COMMAND_CENTRE;
        return d->lead.name[0] ? d->lead.name : layer_name(dl, d->district);
}

/* Append the level-1 entries of @p jur to @p arr, each recipient once;
 * returns how many the directory has. */
static size_t add_recipients(json_t *arr, const struct directory *dir, const char *jur,
                             long long now)
{
        size_t idx[64];
        size_t k = directory_select_on_duty(dir, jur, 1, now, idx, 64);
        for (size_t i = 0; i < k && i < 64; i++) {
                const struct dir_entry *e = &dir->e[idx[i]];
                bool seen = false;
                size_t q;
                json_t *r;
                json_array_foreach(arr, q, r)
                {
                        if (strcmp(json_string_value(json_object_get(r, "recipient_id")),
                                   e->recipient_id) == 0)
                                seen = true;
                }
                if (!seen)
                        json_array_append_new(arr, directory_entry_json(e)); /* steals ref */
        }
        return k;
}

/* The lead's recipients: its own, else the first parent (before the state
 * command centre) that has level-1 entries; returns the name used or NULL. */
static const char *lead_recipients(json_t *rs, const struct directory *dir,
                                   const struct jmatch *m, long long now)
{
        if (add_recipients(rs, dir, m->name, now))
                return m->name;
        for (size_t i = 0; i + 1 < m->nparents; i++)
                if (add_recipients(rs, dir, m->parents[i], now))
                        return m->parents[i];
        return NULL;
}

json_t *decide_routing_json(const struct decision *d, const struct layer *dl,
                            const struct directory *dir)
{
        return decide_routing_json_at(d, dl, dir, 0);
}

json_t *decide_moved_from(const struct decide_cfg *cfg, const struct layer *dl,
                          const struct directory *dir, const char *jurisdiction, long long now)
{
        struct jmatch m;
        json_t *rs = json_array();
        if (!jlayers_chain(cfg ? cfg->layers : NULL, dl, jurisdiction, &m))
                util_strlcpy(m.name, jurisdiction, sizeof m.name);
        if (!lead_recipients(rs, dir, &m, now))
                add_recipients(rs, dir, DIR_STATE_COMMAND_CENTRE, now);
        return json_pack("{s:s,s:o}", "jurisdiction", jurisdiction, "recipients", rs);
}

json_t *decide_routing_json_at(const struct decision *d, const struct layer *dl,
                               const struct directory *dir, long long now)
{
        json_t *o = json_object(), *js = json_array(), *rs = json_array(), *gap = json_array();
        if (!o || !js || !rs || !gap) {
                json_decref(o);
                json_decref(js);
                json_decref(rs);
                json_decref(gap);
                return NULL;
        }
        json_object_set_new(o, "route", json_string(decide_route_str(d->route)));
        json_object_set_new(o, "district", d->district >= 0 ? json_string(decide_key(d, dl))
                                                            : json_null());
        json_object_set_new(o, "level", json_string(d->lead.level[0] ? d->lead.level : "state"));
        json_t *ps = json_array();
        for (size_t i = 0; i < d->lead.nparents; i++)
                json_array_append_new(ps, json_string(d->lead.parents[i]));
        json_object_set_new(o, "parents", ps);
        json_object_set_new(o, "state", d->state[0] ? json_string(d->state) : json_null());
        json_object_set_new(o, "reason", json_string(decide_reason_str(d->reason)));
        json_object_set_new(o, "boundary_version", json_string(layer_version(dl)));
        if (d->reason == REASON_NEAREST_DISTRICT)
                json_object_set_new(o, "snap_m", json_real(round(d->snap_m)));
        for (size_t i = 0; i < d->nj; i++) {
                const struct decide_jurisdiction *j = &d->j[i];
                json_t *jo = json_object();
                json_object_set_new(jo, "name", json_string(j->name));
                json_object_set_new(jo, "lead", json_boolean(j->lead));
                json_object_set_new(jo, "overlap", j->overlap >= 0
                                                           ? json_real(round(j->overlap * 1e4) / 1e4)
                                                           : json_null());
                json_array_append_new(js, jo); /* steals ref */
                size_t k;
                if (i == 0 && d->route == ROUTE_DISTRICT && d->lead.nparents > 1) {
                        const char *from = lead_recipients(rs, dir, &d->lead, now);
                        k = from != NULL;
                        if (from && strcmp(from, j->name) != 0)
                                json_object_set_new(jo, "recipients_from", json_string(from));
                } else {
                        k = add_recipients(rs, dir, j->name, now);
                }
                if (k == 0 && j->idx >= 0) {
                        json_array_append_new(gap, json_string(j->name));
                        add_recipients(rs, dir, DIR_STATE_COMMAND_CENTRE, now);
                }
        }
        json_object_set_new(o, "jurisdictions", js); /* steals ref */
        json_object_set_new(o, "recipients", rs);
        if (d->circle_failed)
                json_object_set_new(o, "warnings", json_pack("[s]", "circle_failed"));
        if (json_array_size(gap))
                json_object_set_new(o, "directory_gap", gap);
        else
                json_decref(gap);
        return o;
}
