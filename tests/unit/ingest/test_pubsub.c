/* SPDX-License-Identifier: Apache-2.0 */
/* Google / YouTube Pub/Sub push: the fixture deliveries, both envelope
 * spellings, every base64 form, and bad payloads with their outcome. */
#include <stdlib.h>
#include <string.h>

#include "../../testutil.h"
#include "fixtures.h"
#include "pubsub.h"

static const char *cstr(const json_t *o, const char *k)
{
        return json_string_value(json_object_get(o, k));
}

static const json_t *hint(const json_t *c, const char *kind)
{
        size_t i;
        json_t *h;
        json_array_foreach(json_object_get(c, "location_hints"), i, h)
        {
                if (strcmp(json_string_value(json_object_get(h, "kind")), kind) == 0)
                        return h;
        }
        return NULL;
}

static int parse(enum pubsub_kind k, const char *body, size_t len, struct item_list *l,
                 char *code, char *detail)
{
        char mid[64];
        return pubsub_parse_delivery(k, body, len, 1, l, mid, sizeof(mid), code, 32, detail, 256);
}

static void test_fixtures(void)
{
        size_t len;
        char code[32], detail[256];
        struct item_list l = {0};
        char *body = fx_read("bodies/google-01-udaipur.json", &len);
        char mid[64];
        CHECK_INT(pubsub_parse_delivery(PUBSUB_GOOGLE, body, len, 1, &l, mid, sizeof(mid), code,
                                        sizeof(code), detail, sizeof(detail)),
                  0);
        CHECK_STR(mid, "9876543210001");
        CHECK_INT(l.n, 1);
        struct ingest_item *it = &l.v[0];
        CHECK(!it->quarantined);
        CHECK_STR(it->source, "google");
        CHECK_STR(it->way, "google");
        CHECK_STR(it->source_alert_id, "GSAFE-7Q2K-0001");
        CHECK_STR(cstr(it->canonical, "reported_at"), "2026-12-03T09:14:10.250Z");
        CHECK_STR(cstr(it->canonical, "severity"), "critical");
        CHECK_STR(cstr(it->canonical, "category"), "suicide");
        CHECK_STR(cstr(it->canonical, "platform"), "google");
        CHECK_STR(cstr(it->canonical, "language"), "en");
        const json_t *g = hint(it->canonical, "gps");
        CHECK(g && strcmp(cstr(g, "source"), "device") == 0);
        CHECK_NEAR(json_number_value(json_object_get(g, "lat")), 24.5854, 1e-9);
        CHECK_NEAR(json_number_value(json_object_get(g, "lon")), 73.7125, 1e-9);
        CHECK_NEAR(json_number_value(json_object_get(g, "accuracy_m")), 60, 1e-9);
        CHECK_STR(cstr(hint(it->canonical, "ip"), "ip"), "106.196.10.20");
        CHECK_STR(cstr(hint(it->canonical, "phone"), "number"), "09000012399");
        CHECK_STR(cstr(it->subject, "email"), "pooja.m.test@gmail.com");
        CHECK_STR(cstr(it->content, "text"), "painless way to die");
        char *wire = json_dumps(it->canonical, 0);
        CHECK(strstr(wire, "painless") == NULL && strstr(wire, "Pooja") == NULL);
        free(wire);
        char h1[65];
        memcpy(h1, it->content_hash, 65);
        item_list_free(&l);
        free(body);

        /* google-02 carries the same payload: the same content hash */
        body = fx_read("bodies/google-02-expired-token.json", &len);
        CHECK_INT(parse(PUBSUB_GOOGLE, body, len, &l, code, detail), 0);
        CHECK_STR(l.v[0].content_hash, h1);
        item_list_free(&l);
        free(body);

        body = fx_read("bodies/youtube-01-jodhpur-live.json", &len);
        CHECK_INT(parse(PUBSUB_YOUTUBE, body, len, &l, code, detail), 0);
        it = &l.v[0];
        CHECK(!it->quarantined);
        CHECK_STR(it->source_alert_id, "YTSE-20261203-0007");
        CHECK_STR(cstr(it->canonical, "severity"), "critical");
        CHECK_STR(cstr(it->canonical, "reported_at"), "2026-12-03T09:20:00Z");
        g = hint(it->canonical, "gps");
        CHECK(g && strcmp(cstr(g, "source"), "recording") == 0);
        CHECK_NEAR(json_number_value(json_object_get(g, "lat")), 26.2389, 1e-9);
        CHECK_STR(cstr(hint(it->canonical, "ip"), "ip"), "117.99.4.5");
        CHECK_STR(cstr(it->content, "kind"), "live_video");
        CHECK_STR(cstr(it->content, "url"), "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=754s");
        item_list_free(&l);
        free(body);

        /* the same fixture at the Google endpoint: wrong schema -> quarantined */
        body = fx_read("bodies/youtube-01-jodhpur-live.json", &len);
        CHECK_INT(parse(PUBSUB_GOOGLE, body, len, &l, code, detail), 0);
        CHECK(l.v[0].quarantined);
        CHECK_STR(l.v[0].reason, "message.attributes.schema: must be google.safety.v1 at this endpoint");
        item_list_free(&l);
        free(body);

        body = fx_read("bodies/youtube-02-beawar-place.json", &len);
        CHECK_INT(parse(PUBSUB_YOUTUBE, body, len, &l, code, detail), 0);
        it = &l.v[0];
        CHECK_STR(it->source_alert_id, "YTSE-20261203-0008");
        CHECK_STR(cstr(it->canonical, "severity"), "high");
        CHECK(hint(it->canonical, "gps") == NULL);
        CHECK_STR(cstr(hint(it->canonical, "place"), "text"), "Beawar, Rajasthan");
        item_list_free(&l);
        free(body);
}

#define GPAYLOAD "{\"case_id\":\"C-1\",\"surface\":\"maps\",\"severity\":\"MEDIUM\"," \
                 "\"signal_type\":\"SELF_HARM\",\"event_time\":\"2026-12-03T14:44:10+05:30\"}"

/* An envelope around @p data, in one of the two spellings. */
static void envelope(char *out, size_t outsz, const char *data, bool snake)
{
        snprintf(out, outsz,
                 "{\"message\":{\"data\":\"%s\",\"attributes\":{\"schema\":\"google.safety.v1\"},"
                 "\"%s\":\"42\",\"%s\":\"2026-12-03T09:15:02Z\"},\"subscription\":\"projects/p/subscriptions/s\"}",
                 data, snake ? "message_id" : "messageId", snake ? "publish_time" : "publishTime");
}

static void test_base64_forms(void)
{
        const char *payload = GPAYLOAD;
        unsigned char *raw = (unsigned char *)strdup(payload);
        char *url = util_b64url_encode(raw, strlen(payload)); /* url-safe, no padding */
        size_t ul = strlen(url);
        char std_pad[1024], url_pad[1024], std_nopad[1024];
        /* standard alphabet with padding */
        snprintf(url_pad, sizeof(url_pad), "%s%s", url, ul % 4 == 2 ? "==" : ul % 4 == 3 ? "=" : "");
        snprintf(std_pad, sizeof(std_pad), "%s", url_pad);
        for (char *p = std_pad; *p; p++)
                *p = *p == '-' ? '+' : *p == '_' ? '/' : *p;
        snprintf(std_nopad, sizeof(std_nopad), "%s", std_pad);
        char *eq = strchr(std_nopad, '=');
        if (eq)
                *eq = '\0';
        const char *forms[] = {url, url_pad, std_pad, std_nopad};
        for (size_t i = 0; i < 4; i++) {
                for (int snake = 0; snake < 2; snake++) {
                        char body[2048], code[32], detail[256];
                        envelope(body, sizeof(body), forms[i], snake);
                        struct item_list l = {0};
                        char mid[16];
                        int rc = pubsub_parse_delivery(PUBSUB_GOOGLE, body, strlen(body), 1, &l, mid,
                                                       sizeof(mid), code, sizeof(code), detail,
                                                       sizeof(detail));
                        CHECK_INT(rc, 0);
                        CHECK_STR(mid, "42");
                        CHECK_MSG(l.n == 1 && !l.v[0].quarantined, "form %zu snake %d: %s", i, snake,
                                  l.n ? l.v[0].reason : "");
                        if (l.n == 1 && !l.v[0].quarantined) {
                                CHECK_STR(cstr(l.v[0].canonical, "severity"), "medium");
                                CHECK_STR(cstr(l.v[0].canonical, "category"), "self_injury");
                                CHECK_STR(cstr(l.v[0].canonical, "reported_at"),
                                          "2026-12-03T09:14:10Z");
                        }
                        item_list_free(&l);
                }
        }
        free(url);
        free(raw);
}

static char *b64(const char *s)
{
        return util_b64url_encode((const unsigned char *)s, strlen(s));
}

static void test_bad_payloads(void)
{
        static const struct {
                const char *payload; /* NULL: data is given raw below */
                const char *raw_data;
                const char *reason;
        } rows[] = {
            {NULL, "!!!notbase64", "message.data: not base64"},
            {"this is not json", NULL, "message.data: not valid JSON at byte"},
            {"[1]", NULL, "message.data: must be a JSON object"},
            {"{\"surface\":\"maps\",\"severity\":\"HIGH\",\"signal_type\":\"SELF_HARM\","
             "\"event_time\":\"2026-12-03T09:00:00Z\"}",
             NULL, "message.data.case_id: required"},
            {"{\"case_id\":\"C\",\"surface\":\"web\",\"severity\":\"HIGH\",\"signal_type\":\"SELF_HARM\","
             "\"event_time\":\"2026-12-03T09:00:00Z\"}",
             NULL, "message.data.surface: must be one of search|maps|assistant|other"},
            {"{\"case_id\":\"C\",\"surface\":\"maps\",\"severity\":\"LOW\",\"signal_type\":\"SELF_HARM\","
             "\"event_time\":\"2026-12-03T09:00:00Z\"}",
             NULL, "message.data.severity: must be one of CRITICAL|HIGH|MEDIUM"},
            {"{\"case_id\":\"C\",\"surface\":\"maps\",\"severity\":\"HIGH\",\"signal_type\":\"SELF_HARM\","
             "\"event_time\":\"yesterday\"}",
             NULL, "message.data.event_time: must be an RFC 3339 time"},
            {"{\"case_id\":\"C\",\"surface\":\"maps\",\"severity\":\"HIGH\",\"signal_type\":\"SELF_HARM\","
             "\"event_time\":1764752700}",
             NULL, "message.data.event_time: must be a string"},
            {"{\"case_id\":\"C\",\"surface\":\"maps\",\"severity\":\"HIGH\",\"signal_type\":\"SELF_HARM\","
             "\"event_time\":\"2026-12-03T09:00:00Z\",\"location\":{\"lat\":24.5}}",
             NULL, "message.data.location.lng: required"},
            {"{\"case_id\":\"C\",\"surface\":\"maps\",\"severity\":\"HIGH\",\"signal_type\":\"SELF_HARM\","
             "\"event_time\":\"2026-12-03T09:00:00Z\",\"location\":{\"lat\":24.5,\"lng\":73,\"source\":\"GPS\"}}",
             NULL, "message.data.location.source: must be one of DEVICE|IP|ACCOUNT_HOME"},
            {"{\"case_id\":\"C\",\"surface\":\"maps\",\"severity\":\"HIGH\",\"signal_type\":\"SELF_HARM\","
             "\"event_time\":\"2026-12-03T09:00:00Z\",\"n\":1e999}",
             NULL, NULL}, /* an overflowing number in an ignored field: accepted */
            {"{\"case_id\":\"C\",\"surface\":\"maps\",\"severity\":\"HIGH\",\"signal_type\":\"SELF_HARM\","
             "\"event_time\":\"2026-12-03T09:00:00Z\",\"location\":{\"lat\":1e999,\"lng\":73}}",
             NULL, "message.data.location.lat: number too large to read"},
        };
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                char *data = rows[i].payload ? b64(rows[i].payload) : strdup(rows[i].raw_data);
                char body[2048], code[32], detail[256];
                envelope(body, sizeof(body), data, false);
                struct item_list l = {0};
                int rc = parse(PUBSUB_GOOGLE, body, strlen(body), &l, code, detail);
                CHECK_INT(rc, 0);
                CHECK_INT(l.n, 1);
                if (rows[i].reason) {
                        CHECK_MSG(l.n == 1 && l.v[0].quarantined, "row %zu", i);
                        CHECK_MSG(l.n == 1 && strncmp(l.v[0].reason, rows[i].reason,
                                                      strlen(rows[i].reason)) == 0,
                                  "row %zu: %s", i, l.n ? l.v[0].reason : "");
                        CHECK(l.n == 1 && l.v[0].rawlen > 0);
                } else {
                        CHECK_MSG(l.n == 1 && !l.v[0].quarantined, "row %zu: %s", i,
                                  l.n ? l.v[0].reason : "");
                }
                item_list_free(&l);
                free(data);
        }
        /* YouTube validation */
        static const struct {
                const char *payload;
                const char *reason;
        } yrows[] = {
            {"{\"kind\":\"youtube#video\",\"id\":\"Y\",\"snippet\":{\"escalatedAt\":\"2026-12-03T09:20:00Z\","
             "\"priority\":\"P0\",\"reason\":\"self_injury\"}}",
             "message.data.kind: must be one of youtube#safetyEscalation"},
            {"{\"kind\":\"youtube#safetyEscalation\",\"id\":\"Y\"}", "message.data.snippet: required"},
            {"{\"kind\":\"youtube#safetyEscalation\",\"id\":\"Y\",\"snippet\":{\"escalatedAt\":\"2026-12-03T09:20:00Z\","
             "\"priority\":\"P3\",\"reason\":\"self_injury\"}}",
             "message.data.snippet.priority: must be one of P0|P1|P2"},
            {"{\"kind\":\"youtube#safetyEscalation\",\"id\":\"Y\",\"snippet\":{\"escalatedAt\":\"2026-12-03T09:20:00Z\","
             "\"priority\":\"P2\",\"reason\":\"self_injury\",\"isLive\":\"yes\"}}",
             "message.data.snippet.isLive: must be true or false"},
            {"{\"kind\":\"youtube#safetyEscalation\",\"id\":\"Y\",\"snippet\":{\"escalatedAt\":\"2026-12-03T09:20:00Z\","
             "\"priority\":\"P2\",\"reason\":\"self_injury\"},\"recordingDetails\":{\"location\":{\"latitude\":26}}}",
             "message.data.recordingDetails.location.longitude: required"},
            {"{\"kind\":\"youtube#safetyEscalation\",\"id\":\"Y\",\"snippet\":{\"escalatedAt\":\"2026-12-03T09:20:00Z\","
             "\"priority\":\"P2\",\"reason\":\"self_injury\"}}",
             NULL},
        };
        for (size_t i = 0; i < sizeof(yrows) / sizeof(yrows[0]); i++) {
                char *data = b64(yrows[i].payload);
                char body[2048], code[32], detail[256];
                snprintf(body, sizeof(body), "{\"message\":{\"data\":\"%s\",\"message_id\":\"7\"}}", data);
                struct item_list l = {0};
                CHECK_INT(parse(PUBSUB_YOUTUBE, body, strlen(body), &l, code, detail), 0);
                CHECK_INT(l.n, 1);
                if (yrows[i].reason) {
                        CHECK_MSG(l.n && l.v[0].quarantined, "yrow %zu", i);
                        CHECK_STR(l.n ? l.v[0].reason : "", yrows[i].reason);
                } else {
                        CHECK_MSG(l.n && !l.v[0].quarantined, "yrow %zu: %s", i, l.v[0].reason);
                        CHECK_STR(cstr(l.v[0].canonical, "severity"), "medium");
                        CHECK_STR(cstr(l.v[0].canonical, "category"), "self_injury");
                }
                item_list_free(&l);
                free(data);
        }
}

static void test_envelope_errors(void)
{
        static const struct {
                const char *body;
                const char *code, *detail;
        } rows[] = {
            {"", "invalid_json", "body: not valid JSON"},
            {"{\"subscription\":\"x\"}", "invalid_envelope", "message: required"},
            {"{\"message\":{\"attributes\":{}}}", "invalid_envelope", "message.data: required"},
            {"{\"message\":{\"data\":5}}", "invalid_envelope", "message.data: required"},
            {"{\"message\":{\"data\":\"e30\",\"attributes\":[1]}}", "invalid_envelope",
             "message.attributes: must be an object"},
        };
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                struct item_list l = {0};
                char code[32] = "", detail[256] = "";
                CHECK_INT(parse(PUBSUB_GOOGLE, rows[i].body, strlen(rows[i].body), &l, code, detail),
                          -1);
                CHECK_STR(code, rows[i].code);
                CHECK_MSG(strstr(detail, rows[i].detail) != NULL, "row %zu: %s", i, detail);
                CHECK_INT(l.n, 0);
                item_list_free(&l);
        }
}

int main(void)
{
        test_fixtures();
        test_base64_forms();
        test_bad_payloads();
        test_envelope_errors();
        return test_summary("ingest_pubsub");
}
