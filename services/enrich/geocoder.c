/* SPDX-License-Identifier: Apache-2.0 */
/* The outside geocoder's edge: one libcurl easy handle (kept for connection
 * reuse; CURLOPT_NOSIGNAL, a hard CURLOPT_TIMEOUT_MS), the cache and the
 * breaker of geocode_cache.c, the parser of geocode_parse.c, and metrics.
 * Never logs the place text or the URL (which holds it). */
#include "geocoder.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prahari/log.h"
#include "prahari/metrics.h"
#include "prahari/util.h"
#include "textnorm.h"

#define BODY_MAX (256 * 1024) /* five jsonv2 places are ~3 KB */

struct geocoder {
        struct geocoder_cfg cfg; /* strings owned */
        CURL *curl;
        struct curl_slist *headers;
        struct textnorm *tn;
        struct geocache *cache;
        struct breaker br;
        struct metric *m_outcome[GEO_NOUTCOMES];
        struct metric *m_state, *m_seconds;
};

struct body {
        char *p;
        size_t len;
};

const char *geocode_outcome_name(enum geocode_outcome o)
{
        static const char *const names[GEO_NOUTCOMES] = {
                "ok", "empty", "cached", "timeout", "error", "breaker_open", "no_text"};
        return o < GEO_NOUTCOMES ? names[o] : "unknown";
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
        struct body *b = arg;
        size_t n = size * nmemb;
        char *q;
        if (b->len + n > BODY_MAX)
                return 0; /* abort: CURLE_WRITE_ERROR */
        q = realloc(b->p, b->len + n + 1);
        if (!q)
                return 0;
        memcpy(q + b->len, data, n);
        b->p = q;
        b->len += n;
        b->p[b->len] = '\0';
        return n;
}

static char *dup_or_null(const char *s)
{
        return s && *s ? strdup(s) : NULL;
}

void geocoder_free(struct geocoder *g)
{
        if (!g)
                return;
        if (g->curl)
                curl_easy_cleanup(g->curl);
        curl_slist_free_all(g->headers);
        textnorm_free(g->tn);
        geocache_free(g->cache);
        free((char *)g->cfg.url);
        free((char *)g->cfg.user_agent);
        free((char *)g->cfg.email);
        free(g);
        curl_global_cleanup();
}

struct geocoder *geocoder_new(const struct geocoder_cfg *cfg, char *err, size_t errsz)
{
        struct geocoder *g;
        char e[256];

        if (!cfg->url || strncmp(cfg->url, "http", 4) != 0 ||
            (strncmp(cfg->url, "http://", 7) != 0 && strncmp(cfg->url, "https://", 8) != 0)) {
                snprintf(err, errsz, "PRAHARI_GEOCODER_URL: not an http:// or https:// URL");
                return NULL;
        }
        if (!cfg->user_agent || !*cfg->user_agent) {
                snprintf(err, errsz, "PRAHARI_GEOCODER_USER_AGENT: required when "
                                     "PRAHARI_GEOCODER_URL is set");
                return NULL;
        }
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
                snprintf(err, errsz, "PRAHARI_GEOCODER_URL: libcurl initialisation failed");
                return NULL;
        }
        g = calloc(1, sizeof(*g));
        if (!g) {
                curl_global_cleanup();
                snprintf(err, errsz, "out of memory");
                return NULL;
        }
        g->cfg = *cfg;
        g->cfg.url = strdup(cfg->url);
        g->cfg.user_agent = strdup(cfg->user_agent);
        g->cfg.email = dup_or_null(cfg->email);
        g->curl = curl_easy_init();
        g->headers = curl_slist_append(NULL, "Accept: application/json");
        g->tn = textnorm_new(e, sizeof(e));
        g->cache = geocache_new((size_t)(cfg->cache_size > 0 ? cfg->cache_size : 1),
                                (int64_t)cfg->cache_ttl_s * 1000000);
        if (!g->cfg.url || !g->cfg.user_agent || !g->curl || !g->headers || !g->tn ||
            !g->cache) {
                snprintf(err, errsz, "PRAHARI_GEOCODER_URL: cannot set up the geocoder (%s)",
                         g->tn ? "out of memory" : e);
                geocoder_free(g);
                return NULL;
        }
        breaker_init(&g->br, (int)cfg->breaker_failures, (int64_t)cfg->breaker_open_s * 1000000);
        curl_easy_setopt(g->curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(g->curl, CURLOPT_TIMEOUT_MS, cfg->timeout_ms);
        curl_easy_setopt(g->curl, CURLOPT_CONNECTTIMEOUT_MS, cfg->timeout_ms);
        curl_easy_setopt(g->curl, CURLOPT_USERAGENT, g->cfg.user_agent);
        curl_easy_setopt(g->curl, CURLOPT_HTTPHEADER, g->headers);
        curl_easy_setopt(g->curl, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(g->curl, CURLOPT_ACCEPT_ENCODING, "");
        curl_easy_setopt(g->curl, CURLOPT_WRITEFUNCTION, on_body);
#if LIBCURL_VERSION_NUM >= 0x075500
        curl_easy_setopt(g->curl, CURLOPT_PROTOCOLS_STR, "http,https");
#else
        curl_easy_setopt(g->curl, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
        for (int i = 0; i < GEO_NOUTCOMES; i++) {
                char labels[48];
                snprintf(labels, sizeof(labels), "outcome=\"%s\"",
                         geocode_outcome_name((enum geocode_outcome)i));
                g->m_outcome[i] = metrics_counter(
                        "prahari_enrich_geocoder_requests_total",
                        "outside geocoder lookups by outcome (cached, breaker_open and no_text "
                        "made no request)",
                        labels);
        }
        g->m_state = metrics_gauge("prahari_enrich_geocoder_breaker_state",
                                   "outside geocoder circuit breaker: 0 closed, 1 open, "
                                   "2 half-open",
                                   NULL);
        g->m_seconds = metrics_histogram("prahari_enrich_geocoder_seconds",
                                         "outside geocoder request time", NULL, NULL, 0);
        metric_set(g->m_state, BREAKER_CLOSED);
        log_info("outside geocoder on: timeout %ld ms, cache %ld answers for %ld s, breaker "
                 "opens after %ld failures for %ld s",
                 cfg->timeout_ms, cfg->cache_size, cfg->cache_ttl_s, cfg->breaker_failures,
                 cfg->breaker_open_s);
        return g;
}

enum breaker_state geocoder_breaker_state(const struct geocoder *g)
{
        return g->br.state;
}

static void note_state(struct geocoder *g, enum breaker_state before)
{
        if (g->br.state == before)
                return;
        metric_set(g->m_state, g->br.state);
        if (g->br.state == BREAKER_OPEN)
                log_warn("outside geocoder: circuit breaker open for %ld s", g->cfg.breaker_open_s);
        else
                log_info("outside geocoder: circuit breaker %s", breaker_state_name(g->br.state));
}

/* One HTTP request. GEO_OK/GEO_EMPTY with @p out, else GEO_TIMEOUT/GEO_ERROR. */
static enum geocode_outcome request(struct geocoder *g, const char *url,
                                    struct geocode_answer *out)
{
        struct body b = {NULL, 0};
        long status = 0;
        char e[128];
        CURLcode rc;
        enum geocode_outcome o;
        int64_t t0 = util_mono_us();

        curl_easy_setopt(g->curl, CURLOPT_URL, url);
        curl_easy_setopt(g->curl, CURLOPT_WRITEDATA, &b);
        rc = curl_easy_perform(g->curl);
        metric_observe(g->m_seconds, (double)(util_mono_us() - t0) / 1e6);
        if (rc == CURLE_OK)
                curl_easy_getinfo(g->curl, CURLINFO_RESPONSE_CODE, &status);
        if (rc == CURLE_OPERATION_TIMEDOUT) {
                o = GEO_TIMEOUT;
                log_warn("outside geocoder: no answer within %ld ms", g->cfg.timeout_ms);
        } else if (rc != CURLE_OK) {
                o = GEO_ERROR;
                log_warn("outside geocoder: %s", curl_easy_strerror(rc));
        } else if (status != 200) {
                o = GEO_ERROR;
                log_warn("outside geocoder: HTTP status %ld", status);
        } else if (geocode_parse(b.p ? b.p : "", b.len, out, e, sizeof(e)) != 0) {
                o = GEO_ERROR;
                log_warn("outside geocoder: unusable answer: %s", e);
        } else {
                o = out->n > 0 ? GEO_OK : GEO_EMPTY;
        }
        free(b.p);
        return o;
}

enum geocode_outcome geocoder_lookup(struct geocoder *g, const char *text,
                                     struct geocode_answer *out)
{
        char key[TEXTNORM_MAX], url[2048];
        int64_t now = util_mono_us();
        enum breaker_state before = g->br.state;
        enum geocode_outcome o;

        memset(out, 0, sizeof(*out));
        if (!text || textnorm_fold(g->tn, text, key, sizeof(key)) <= 0 ||
            geocode_query_url(g->cfg.url, text, g->cfg.email, url, sizeof(url)) < 0) {
                o = GEO_NO_TEXT;
        } else if (geocache_get(g->cache, key, now, out)) {
                o = GEO_CACHED;
        } else if (!breaker_allow(&g->br, now)) {
                o = GEO_BREAKER_OPEN;
        } else {
                o = request(g, url, out);
                if (o == GEO_OK || o == GEO_EMPTY) {
                        breaker_success(&g->br);
                        geocache_put(g->cache, key, out, util_mono_us());
                } else {
                        breaker_failure(&g->br, util_mono_us());
                        memset(out, 0, sizeof(*out));
                }
        }
        note_state(g, before);
        metric_inc(g->m_outcome[o], 1);
        return o;
}

bool geocoder_enrich_cb(void *ctx, const char *text, struct geocode_answer *out)
{
        enum geocode_outcome o = geocoder_lookup(ctx, text, out);
        return o == GEO_OK || o == GEO_EMPTY || o == GEO_CACHED;
}
