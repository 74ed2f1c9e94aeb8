/* SPDX-License-Identifier: Apache-2.0 */
/* The canonical way in (pure): per-partner keys, signature check, and
 * validation of partner_alert per common/schema/alert-v1.schema.json. */
#include "partner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonload.h"
#include "prahari/util.h"

static const char *const SEVERITIES[] = {"critical", "high", "medium", NULL};
static const char *const CATEGORIES[] = {"suicide", "self_injury", NULL};
static const char *const GPS_SOURCES[] = {"device", "recording", "ip", "account_home",
                                          "partner", NULL};

struct partner_keys {
        json_t *map; /* name -> key string */
};

struct partner_keys *partner_keys_parse(const char *text, size_t len, char *err, size_t errsz)
{
        json_error_t je;
        json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
        if (!json_is_object(j)) {
                snprintf(err, errsz, "partner keys: must be a JSON object {\"partner\":\"key\"}%s%s",
                         j ? "" : ": ", j ? "" : je.text);
                json_decref(j);
                return NULL;
        }
        const char *name;
        json_t *val;
        json_object_foreach(j, name, val)
        {
                if (!json_is_string(val) || json_string_length(val) < 16) {
                        snprintf(err, errsz,
                                 "partner keys: the key of \"%s\" must be a string of at least 16 characters",
                                 name);
                        json_decref(j);
                        return NULL;
                }
        }
        struct partner_keys *k = malloc(sizeof(*k));
        if (!k) {
                json_decref(j);
                snprintf(err, errsz, "out of memory");
                return NULL;
        }
        k->map = j;
        return k;
}

size_t partner_keys_count(const struct partner_keys *k)
{
        return k ? json_object_size(k->map) : 0;
}

void partner_keys_free(struct partner_keys *k)
{
        if (!k)
                return;
        json_decref(k->map);
        free(k);
}

bool partner_verify(const struct partner_keys *k, const char *partner, const void *body,
                    size_t len, const char *signature)
{
        if (!k || !partner || !signature)
                return false;
        json_t *key = json_object_get(k->map, partner);
        if (!json_is_string(key))
                return false;
        return util_hmac_sha256_verify_header(json_string_value(key), json_string_length(key),
                                              body, len, signature);
}

/* Validate one location hint (oneOf by kind) and append it to @p c. */
static void hint(struct vld *v, const json_t *h, json_t *c)
{
        if (!json_is_object(h)) {
                vld_fail(v, "", "must be an object");
                return;
        }
        static const char *const KINDS[] = {"gps", "pin", "place", "ip", "phone", NULL};
        const char *kind = vld_enum(v, h, "kind", true, KINDS);
        if (!kind)
                return;
        if (!strcmp(kind, "gps")) {
                double lat = 0, lon = 0, acc = -1;
                int64_t obs = 0;
                vld_num(v, h, "lat", true, -90, 90, &lat);
                vld_num(v, h, "lon", true, -180, 180, &lon);
                if (!vld_num(v, h, "accuracy_m", false, 0, 1e8, &acc))
                        acc = -1;
                vld_rfc3339(v, h, "observed_at", false, &obs);
                const char *src = vld_enum(v, h, "source", false, GPS_SOURCES);
                if (!v->failed)
                        canon_hint_gps(c, lat, lon, acc, obs, src ? src : "partner");
        } else if (!strcmp(kind, "pin")) {
                const char *code = vld_str(v, h, "code", true);
                if (code) {
                        bool ok = strlen(code) == 6 && code[0] >= '1' && code[0] <= '9';
                        for (size_t i = 1; ok && i < 6; i++)
                                ok = code[i] >= '0' && code[i] <= '9';
                        if (!ok)
                                vld_fail(v, "code", "must be a 6-digit PIN not starting with 0");
                        else
                                canon_hint_pin(c, code);
                }
        } else if (!strcmp(kind, "place")) {
                const char *text = vld_str(v, h, "text", true);
                const char *src = vld_str(v, h, "source", false);
                size_t chars = 0;
                for (const char *t = text; t && *t; t++)
                        chars += ((unsigned char)*t & 0xC0) != 0x80;
                if (chars > 500)
                        vld_fail(v, "text", "longer than 500 characters");
                if (text && !v->failed)
                        canon_hint_place(c, text, src ? src : "partner");
        } else if (!strcmp(kind, "ip")) {
                const char *ip = vld_str(v, h, "ip", true);
                int64_t obs = 0;
                vld_rfc3339(v, h, "observed_at", false, &obs);
                if (ip && !v->failed)
                        canon_hint_ip(c, ip, obs);
        } else {
                const char *n = vld_str(v, h, "number", true);
                if (n && !v->failed)
                        canon_hint_phone(c, n);
        }
}

int partner_alert_to_item(const char *partner, const json_t *a, const char *prefix,
                          struct ingest_item *it)
{
        struct vld v;
        vld_init(&v, prefix);
        json_t *c = NULL, *subject = NULL, *content = NULL;
        if (!json_is_object(a)) {
                char *raw = json_dumps(a, JSON_ENCODE_ANY | JSON_COMPACT);
                item_quarantine(it, prefix, "must be an object", raw, raw ? strlen(raw) : 0);
                free(raw);
                return 1;
        }
        if (item_set_raw_from_json(it, a) != 0)
                goto bad;
        const char *source = vld_str(&v, a, "source", true);
        if (source && strlen(source) > 64)
                vld_fail(&v, "source", "longer than 64 characters");
        const char *id = vld_str(&v, a, "source_alert_id", true);
        if (id && strlen(id) > 200)
                vld_fail(&v, "source_alert_id", "longer than 200 characters");
        if (id && !v.failed)
                snprintf(it->source_alert_id, sizeof(it->source_alert_id), "%s", id);
        if (source && !v.failed && strcmp(source, partner) != 0)
                vld_fail(&v, "source", "must equal the authenticated partner (X-Prahari-Partner)");
        const char *sev = vld_enum(&v, a, "severity", true, SEVERITIES);
        const char *cat = vld_enum(&v, a, "category", true, CATEGORIES);
        int64_t rep = 0;
        vld_rfc3339(&v, a, "reported_at", true, &rep);
        const char *platform = vld_str(&v, a, "platform", false);

        json_t *subj = vld_obj(&v, a, "subject", false);
        const char *acct = NULL, *phone = NULL;
        subject = json_object();
        content = json_object();
        if (!subject || !content)
                goto bad;
        if (subj) {
                struct vld s;
                vld_sub_init(&s, v.prefix, "subject");
                static const char *const SK[] = {"account_id", "display_name", "profile_url",
                                                 "phone", "email", NULL};
                for (size_t i = 0; SK[i]; i++)
                        canon_set_str(subject, SK[i], vld_str(&s, subj, SK[i], false));
                acct = json_string_value(json_object_get(subject, "account_id"));
                phone = json_string_value(json_object_get(subject, "phone"));
                vld_sub_merge(&v, &s);
        }
        json_t *cont = vld_obj(&v, a, "content", false);
        const char *lang = NULL;
        if (cont) {
                struct vld s;
                vld_sub_init(&s, v.prefix, "content");
                static const char *const CK[] = {"kind", "language", "url", NULL};
                for (size_t i = 0; CK[i]; i++)
                        canon_set_str(content, CK[i], vld_str(&s, cont, CK[i], false));
                json_t *text = json_object_get(cont, "text");
                if (text && !json_is_null(text) && !json_is_string(text))
                        vld_fail(&s, "text", "must be a string");
                else if (json_is_string(text) && json_string_length(text))
                        json_object_set(content, "text", text); /* new ref */
                lang = json_string_value(json_object_get(content, "language"));
                vld_sub_merge(&v, &s);
        }
        json_t *hints = vld_arr(&v, a, "location_hints", false);
        if (!v.failed) {
                c = canon_new(partner, "alerts", id, platform && *platform ? platform : partner,
                              sev, cat, rep);
                if (!c)
                        goto bad;
        }
        size_t i;
        json_t *h;
        json_array_foreach(hints, i, h)
        {
                if (v.failed)
                        break;
                char key[48];
                snprintf(key, sizeof(key), "location_hints[%zu]", i);
                struct vld hs;
                vld_sub_init(&hs, v.prefix, key);
                hint(&hs, h, c);
                vld_sub_merge(&v, &hs);
        }
        if (v.failed) {
                json_decref(c);
                json_decref(subject);
                json_decref(content);
                item_quarantine(it, v.field, v.what, it->raw, it->rawlen);
                return 1;
        }
        canon_set_str(c, "account_id", acct);
        char lg[8];
        if (canon_lang_from_locale(lang, lg))
                canon_set_str(c, "language", lg);
        canon_hint_phone(c, phone);
        it->canonical = item_scrub_nul(c);
        it->subject = item_scrub_nul(subject);
        it->content = item_scrub_nul(content);
        return 0;
bad:
        json_decref(c);
        json_decref(subject);
        json_decref(content);
        item_quarantine(it, prefix, "could not be processed (out of memory)", it->raw,
                        it->rawlen);
        return 1;
}

int partner_parse_delivery(const char *partner, const char *body, size_t len,
                           int64_t received_us, struct item_list *out, char *code,
                           size_t codesz, char *detail, size_t detailsz)
{
        json_t *root = jsonload_object(body, len, detail, detailsz);
        if (!root) {
                snprintf(code, codesz, "invalid_json");
                return -1;
        }
        json_t *alerts = json_object_get(root, "alerts");
        if (!json_is_array(alerts)) {
                snprintf(code, codesz, "invalid_envelope");
                snprintf(detail, detailsz, "alerts: required, must be an array");
                json_decref(root);
                return -1;
        }
        size_t i;
        json_t *a;
        json_array_foreach(alerts, i, a)
        {
                struct ingest_item *it = item_list_add(out, partner, "alerts");
                if (!it)
                        break;
                it->received_us = received_us;
                char prefix[48];
                snprintf(prefix, sizeof(prefix), "alerts[%zu]", i);
                partner_alert_to_item(partner, a, prefix, it);
        }
        json_decref(root);
        return 0;
}
