/* SPDX-License-Identifier: Apache-2.0 */
/* Google / YouTube Pub/Sub push (pure): envelope in both spellings, base64
 * data, payload validation and normalisation per ../shared/spec/intake-v1.md. */
#include "pubsub.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonload.h"
#include "prahari/util.h"

static const char *const SURFACES[] = {"search", "maps", "assistant", "other", NULL};
static const char *const G_SEVERITIES[] = {"CRITICAL", "HIGH", "MEDIUM", NULL};
static const char *const G_SIGNALS[] = {"SUICIDE_INTENT", "SELF_HARM", NULL};
static const char *const G_LOC_SOURCES[] = {"DEVICE", "IP", "ACCOUNT_HOME", NULL};
static const char *const Y_KINDS[] = {"youtube#safetyEscalation", NULL};
static const char *const Y_PRIORITIES[] = {"P0", "P1", "P2", NULL};
static const char *const Y_REASONS[] = {"suicide_self_harm", "self_injury", NULL};

static const char *sev_map(const char *s)
{
        if (!s)
                return NULL;
        if (!strcmp(s, "CRITICAL") || !strcmp(s, "P0"))
                return "critical";
        if (!strcmp(s, "HIGH") || !strcmp(s, "P1"))
                return "high";
        if (!strcmp(s, "MEDIUM") || !strcmp(s, "P2"))
                return "medium";
        return NULL;
}

/* Common end: attach the parts, or quarantine on failure. */
static int finish(struct ingest_item *it, struct vld *v, json_t *canonical, json_t *subject,
                  json_t *content)
{
        if (v->failed || !canonical || !subject || !content) {
                json_decref(canonical);
                json_decref(subject);
                json_decref(content);
                item_quarantine(it, v->failed ? v->field : v->prefix,
                                v->failed ? v->what : "could not be processed (out of memory)",
                                it->raw, it->rawlen);
                return 1;
        }
        it->canonical = item_scrub_nul(canonical);
        it->subject = item_scrub_nul(subject);
        it->content = item_scrub_nul(content);
        return 0;
}

static void lower_copy(const char *s, char *out, size_t outsz)
{
        size_t i = 0;
        for (; s && s[i] && i + 1 < outsz; i++)
                out[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] - 'A' + 'a' : s[i]);
        out[i] = '\0';
}

int pubsub_google_to_item(const json_t *p, const char *prefix, struct ingest_item *it)
{
        struct vld v;
        vld_init(&v, prefix);
        if (!json_is_object(p)) {
                vld_fail(&v, "", "must be a JSON object");
                return finish(it, &v, NULL, NULL, NULL);
        }
        if (!it->raw && item_set_raw_from_json(it, p) != 0)
                return finish(it, &v, NULL, NULL, NULL);
        const char *case_id = vld_str(&v, p, "case_id", true);
        if (case_id && strlen(case_id) > 200)
                vld_fail(&v, "case_id", "longer than 200 characters");
        if (case_id && !v.failed)
                snprintf(it->source_alert_id, sizeof(it->source_alert_id), "%s", case_id);
        const char *surface = vld_enum(&v, p, "surface", true, SURFACES);
        const char *severity = vld_enum(&v, p, "severity", true, G_SEVERITIES);
        const char *signal = vld_enum(&v, p, "signal_type", true, G_SIGNALS);
        int64_t event_us = 0;
        vld_rfc3339(&v, p, "event_time", true, &event_us);
        json_t *subj = vld_obj(&v, p, "subject", false);
        const char *acct = NULL, *dname = NULL, *email = NULL, *phone = NULL;
        if (subj) {
                struct vld s;
                vld_sub_init(&s, v.prefix, "subject");
                acct = vld_str(&s, subj, "account_id", false);
                dname = vld_str(&s, subj, "display_name", false);
                email = vld_str(&s, subj, "email", false);
                phone = vld_str(&s, subj, "phone_number", false);
                vld_sub_merge(&v, &s);
        }
        json_t *ev = vld_obj(&v, p, "evidence", false);
        const char *query = NULL, *lang = NULL;
        if (ev) {
                struct vld s;
                vld_sub_init(&s, v.prefix, "evidence");
                query = vld_str(&s, ev, "query", false);
                lang = vld_str(&s, ev, "language_code", false);
                vld_sub_merge(&v, &s);
        }
        json_t *loc = vld_obj(&v, p, "location", false);
        double lat = 0, lng = 0, acc = -1;
        const char *lsrc = NULL;
        if (loc) {
                struct vld s;
                vld_sub_init(&s, v.prefix, "location");
                vld_num(&s, loc, "lat", true, -90, 90, &lat);
                vld_num(&s, loc, "lng", true, -180, 180, &lng);
                if (!vld_num(&s, loc, "accuracy_m", false, 0, 1e8, &acc))
                        acc = -1;
                lsrc = vld_enum(&s, loc, "source", false, G_LOC_SOURCES);
                vld_sub_merge(&v, &s);
        }
        const char *client_ip = vld_str(&v, p, "client_ip", false);
        vld_str(&v, p, "region_code", false);
        if (v.failed)
                return finish(it, &v, NULL, NULL, NULL);

        json_t *c = canon_new(it->source, it->way, case_id, "google", sev_map(severity),
                              strcmp(signal, "SELF_HARM") == 0 ? "self_injury" : "suicide",
                              event_us);
        if (c) {
                canon_set_str(c, "account_id", acct);
                char lg[8];
                if (canon_lang_from_locale(lang, lg))
                        canon_set_str(c, "language", lg);
                if (loc) {
                        char src[16];
                        lower_copy(lsrc ? lsrc : "device", src, sizeof(src));
                        canon_hint_gps(c, lat, lng, acc, 0, src);
                }
                canon_hint_ip(c, client_ip, 0);
                canon_hint_phone(c, phone);
        }
        json_t *subject = json_object(), *content = json_object();
        if (subject && content) {
                canon_set_str(subject, "account_id", acct);
                canon_set_str(subject, "display_name", dname);
                canon_set_str(subject, "email", email);
                canon_set_str(subject, "phone", phone);
                canon_set_str(content, "kind", surface);
                canon_set_str(content, "text", query);
                canon_set_str(content, "language", lang);
        }
        return finish(it, &v, c, subject, content);
}

int pubsub_youtube_to_item(const json_t *p, const char *prefix, struct ingest_item *it)
{
        struct vld v;
        vld_init(&v, prefix);
        if (!json_is_object(p)) {
                vld_fail(&v, "", "must be a JSON object");
                return finish(it, &v, NULL, NULL, NULL);
        }
        if (!it->raw && item_set_raw_from_json(it, p) != 0)
                return finish(it, &v, NULL, NULL, NULL);
        vld_enum(&v, p, "kind", true, Y_KINDS);
        const char *id = vld_str(&v, p, "id", true);
        if (id && strlen(id) > 200)
                vld_fail(&v, "id", "longer than 200 characters");
        if (id && !v.failed)
                snprintf(it->source_alert_id, sizeof(it->source_alert_id), "%s", id);
        json_t *sn = vld_obj(&v, p, "snippet", true);
        int64_t at_us = 0;
        const char *prio = NULL, *reason = NULL, *video = NULL, *channel = NULL, *ctitle = NULL,
                   *title = NULL, *desc = NULL;
        bool live = false;
        double offset = -1;
        if (sn) {
                struct vld s;
                vld_sub_init(&s, v.prefix, "snippet");
                vld_rfc3339(&s, sn, "escalatedAt", true, &at_us);
                prio = vld_enum(&s, sn, "priority", true, Y_PRIORITIES);
                reason = vld_enum(&s, sn, "reason", true, Y_REASONS);
                video = vld_str(&s, sn, "videoId", false);
                channel = vld_str(&s, sn, "channelId", false);
                ctitle = vld_str(&s, sn, "channelTitle", false);
                title = vld_str(&s, sn, "title", false);
                desc = vld_str(&s, sn, "description", false);
                vld_bool(&s, sn, "isLive", &live);
                json_t *off = json_object_get(sn, "offsetSeconds");
                if (off && !json_is_null(off)) {
                        if (!json_is_integer(off) || json_integer_value(off) < 0)
                                vld_fail(&s, "offsetSeconds", "must be a non-negative integer");
                        else
                                offset = (double)json_integer_value(off);
                }
                vld_sub_merge(&v, &s);
        }
        json_t *up = vld_obj(&v, p, "uploader", false);
        const char *email = NULL, *phone = NULL;
        if (up) {
                struct vld s;
                vld_sub_init(&s, v.prefix, "uploader");
                email = vld_str(&s, up, "email", false);
                phone = vld_str(&s, up, "phone", false);
                vld_sub_merge(&v, &s);
        }
        json_t *rd = vld_obj(&v, p, "recordingDetails", false);
        double lat = 0, lon = 0;
        bool have_loc = false;
        const char *ldesc = NULL;
        if (rd) {
                struct vld s;
                vld_sub_init(&s, v.prefix, "recordingDetails");
                json_t *l = vld_obj(&s, rd, "location", false);
                if (l) {
                        struct vld ls;
                        vld_sub_init(&ls, s.prefix, "location");
                        bool a = vld_num(&ls, l, "latitude", true, -90, 90, &lat);
                        bool b = vld_num(&ls, l, "longitude", true, -180, 180, &lon);
                        have_loc = a && b;
                        vld_sub_merge(&s, &ls);
                }
                ldesc = vld_str(&s, rd, "locationDescription", false);
                vld_sub_merge(&v, &s);
        }
        json_t *net = vld_obj(&v, p, "network", false);
        const char *ip = NULL;
        if (net) {
                struct vld s;
                vld_sub_init(&s, v.prefix, "network");
                ip = vld_str(&s, net, "ip", false);
                vld_sub_merge(&v, &s);
        }
        if (v.failed)
                return finish(it, &v, NULL, NULL, NULL);

        json_t *c = canon_new(it->source, it->way, id, "youtube", sev_map(prio),
                              strcmp(reason, "self_injury") == 0 ? "self_injury" : "suicide",
                              at_us);
        if (c) {
                canon_set_str(c, "account_id", channel);
                if (have_loc)
                        canon_hint_gps(c, lat, lon, -1, 0, "recording");
                canon_hint_place(c, ldesc, "recording");
                canon_hint_ip(c, ip, 0);
                canon_hint_phone(c, phone);
        }
        json_t *subject = json_object(), *content = json_object();
        if (subject && content) {
                canon_set_str(subject, "account_id", channel);
                canon_set_str(subject, "display_name", ctitle);
                canon_set_str(subject, "email", email);
                canon_set_str(subject, "phone", phone);
                canon_set_str(content, "kind", live ? "live_video" : "video");
                canon_set_str(content, "title", title);
                canon_set_str(content, "text", desc);
                if (video) {
                        char url[400];
                        if (offset >= 0)
                                snprintf(url, sizeof(url), "https://www.youtube.com/watch?v=%s&t=%.0fs",
                                         video, offset);
                        else
                                snprintf(url, sizeof(url), "https://www.youtube.com/watch?v=%s", video);
                        canon_set_str(content, "url", url);
                }
        }
        return finish(it, &v, c, subject, content);
}

/* messageId / message_id (and the time) in either spelling. */
static const char *either(const json_t *o, const char *a, const char *b)
{
        const char *s = json_string_value(json_object_get(o, a));
        return s ? s : json_string_value(json_object_get(o, b));
}

int pubsub_parse_delivery(enum pubsub_kind kind, const char *body, size_t len,
                          int64_t received_us, struct item_list *out, char *message_id,
                          size_t idsz, char *code, size_t codesz, char *detail, size_t detailsz)
{
        const char *name = kind == PUBSUB_GOOGLE ? "google" : "youtube";
        const char *schema = kind == PUBSUB_GOOGLE ? "google.safety.v1" : "youtube.safety.v1";
        if (message_id && idsz)
                message_id[0] = '\0';
        json_t *root = jsonload_object(body, len, detail, detailsz);
        if (!root) {
                snprintf(code, codesz, "invalid_json");
                return -1;
        }
        int rc = -1;
        snprintf(code, codesz, "invalid_envelope");
        json_t *msg = json_object_get(root, "message");
        if (!json_is_object(msg)) {
                snprintf(detail, detailsz, "message: required, must be an object");
                goto out;
        }
        json_t *data = json_object_get(msg, "data");
        if (!json_is_string(data)) {
                snprintf(detail, detailsz, "message.data: required, must be a base64 string");
                goto out;
        }
        json_t *attrs = json_object_get(msg, "attributes");
        if (attrs && !json_is_null(attrs) && !json_is_object(attrs)) {
                snprintf(detail, detailsz, "message.attributes: must be an object");
                goto out;
        }
        const char *mid = either(msg, "messageId", "message_id");
        if (mid && message_id)
                snprintf(message_id, idsz, "%s", mid);

        struct ingest_item *it = item_list_add(out, name, name);
        if (!it)
                goto out;
        it->received_us = received_us;
        rc = 0;
        const char *attr_schema = json_string_value(json_object_get(attrs, "schema"));
        if (attr_schema && strcmp(attr_schema, schema) != 0) {
                char what[64];
                snprintf(what, sizeof(what), "must be %s at this endpoint", schema);
                item_quarantine(it, "message.attributes.schema", what, body, len);
                goto out;
        }
        size_t dlen = 0;
        unsigned char *dec = util_b64_decode(json_string_value(data), json_string_length(data),
                                             &dlen);
        if (!dec) {
                item_quarantine(it, "message.data", "not base64", body, len);
                goto out;
        }
        it->raw = (char *)dec; /* owned by the item from here */
        it->rawlen = dlen;
        util_sha256_hex(dec, dlen, it->content_hash);
        char pdetail[200];
        json_t *payload = jsonload_object((const char *)dec, dlen, pdetail, sizeof(pdetail));
        if (!payload) {
                /* "body: ..." -> "message.data: ..." */
                const char *why = strncmp(pdetail, "body: ", 6) == 0 ? pdetail + 6 : pdetail;
                item_quarantine(it, "message.data", why, it->raw, it->rawlen);
                goto out;
        }
        /* The hash is over the payload re-serialised canonically (stable across
         * re-encodings and redeliveries); raw keeps the decoded bytes. */
        char *canon = json_dumps(payload, JSON_SORT_KEYS | JSON_COMPACT);
        if (canon) {
                util_sha256_hex(canon, strlen(canon), it->content_hash);
                free(canon);
        }
        if (kind == PUBSUB_GOOGLE)
                pubsub_google_to_item(payload, "message.data", it);
        else
                pubsub_youtube_to_item(payload, "message.data", it);
        json_decref(payload);
out:
        json_decref(root);
        return rc;
}
