/* SPDX-License-Identifier: Apache-2.0 */
/* The Meta way in (pure): X-Hub-Signature-256 over the raw bytes, the
 * safety_report envelope, and REPORT validation/normalisation per
 * ../shared/spec/intake-v1.md. */
#include "meta.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonload.h"
#include "prahari/util.h"

static const char *const PLATFORMS[] = {"facebook", "instagram", "threads", NULL};
static const char *const RISKS[] = {"imminent", "high", "elevated", NULL};
static const char *const CATEGORIES[] = {"suicide", "self_injury", NULL};
static const char *const CONTENT_TYPES[] = {"post",  "comment",    "story",
                                            "reel",  "live_video", "message", NULL};
static const char *const MEDIA_TYPES[] = {"photo", "video", NULL};

bool meta_verify_signature(const char *app_secret, const void *body, size_t len,
                           const char *header)
{
        if (!app_secret || !*app_secret || !header)
                return false;
        return util_hmac_sha256_verify_header(app_secret, strlen(app_secret), body, len, header);
}

const char *meta_severity(const char *risk_level)
{
        if (!risk_level)
                return NULL;
        if (strcmp(risk_level, "imminent") == 0)
                return "critical";
        if (strcmp(risk_level, "high") == 0)
                return "high";
        if (strcmp(risk_level, "elevated") == 0)
                return "medium";
        return NULL;
}

/* account.id: a non-empty string or an integer of any size, digits kept. */
static bool account_id(struct vld *v, const json_t *account, char *out, size_t outsz)
{
        json_t *j = json_object_get(account, "id");
        if (!j || json_is_null(j)) {
                vld_fail(v, "account.id", "required");
                return false;
        }
        if (json_is_integer(j)) {
                snprintf(out, outsz, "%lld", (long long)json_integer_value(j));
                return true;
        }
        if (json_is_string(j)) {
                const char *s = json_string_value(j);
                if (s[0] == '\x1b') {
                        vld_fail(v, "account.id", "integer beyond 64 bits");
                        return false;
                }
                if (strlen(s) != json_string_length(j)) {
                        vld_fail(v, "account.id", "must not contain NUL");
                        return false;
                }
                if (!*s) {
                        vld_fail(v, "account.id", "must not be empty");
                        return false;
                }
                if (strlen(s) >= outsz) {
                        vld_fail(v, "account.id", "too long");
                        return false;
                }
                snprintf(out, outsz, "%s", s);
                return true;
        }
        vld_fail(v, "account.id", "must be a string or an integer");
        return false;
}

static void set_copy(json_t *dst, const char *dkey, const json_t *src, const char *skey)
{
        json_t *j = json_object_get(src, skey);
        if (json_is_string(j) && json_string_length(j) > 0)
                json_object_set(dst, dkey, j); /* new ref */
}

int meta_report_to_item(const json_t *report, const char *prefix, struct ingest_item *it)
{
        struct vld v;
        vld_init(&v, prefix);
        json_t *canonical = NULL, *subject = NULL, *content = NULL;

        if (!json_is_object(report)) {
                char *raw = json_dumps(report, JSON_ENCODE_ANY | JSON_COMPACT);
                item_quarantine(it, prefix, "must be an object", raw, raw ? strlen(raw) : 0);
                free(raw);
                return 1;
        }
        if (item_set_raw_from_json(it, report) != 0)
                goto bad;

        const char *report_id = vld_str(&v, report, "report_id", true);
        if (report_id && strlen(report_id) > 200)
                vld_fail(&v, "report_id", "longer than 200 characters");
        if (report_id && !v.failed)
                snprintf(it->source_alert_id, sizeof(it->source_alert_id), "%s", report_id);
        const char *platform = vld_enum(&v, report, "platform", true, PLATFORMS);
        const char *risk = vld_enum(&v, report, "risk_level", true, RISKS);
        const char *category = vld_enum(&v, report, "category", true, CATEGORIES);
        int64_t detected_us = 0;
        vld_unix_time(&v, report, "detected_time", true, &detected_us);

        json_t *account = vld_obj(&v, report, "account", true);
        char acct[128] = "";
        const char *name = NULL, *username = NULL, *profile_url = NULL, *phone = NULL,
                   *email = NULL;
        if (account) {
                account_id(&v, account, acct, sizeof(acct));
                struct vld sub;
                vld_sub_init(&sub, v.prefix, "account");
                name = vld_str(&sub, account, "name", false);
                username = vld_str(&sub, account, "username", false);
                profile_url = vld_str(&sub, account, "profile_url", false);
                phone = vld_str(&sub, account, "phone", false);
                email = vld_str(&sub, account, "email", false);
                vld_sub_merge(&v, &sub);
        }

        json_t *cont = vld_obj(&v, report, "content", true);
        const char *ctype = NULL;
        json_t *media = NULL;
        int64_t created_us = 0;
        if (cont) {
                struct vld sub;
                vld_sub_init(&sub, v.prefix, "content");
                ctype = vld_enum(&sub, cont, "type", true, CONTENT_TYPES);
                json_t *text = json_object_get(cont, "text");
                if (text && !json_is_null(text) && !json_is_string(text))
                        vld_fail(&sub, "text", "must be a string");
                vld_str(&sub, cont, "permalink", false);
                vld_unix_time(&sub, cont, "created_time", false, &created_us);
                media = vld_arr(&sub, cont, "media", false);
                size_t i;
                json_t *m;
                json_array_foreach(media, i, m)
                {
                        char key[48];
                        snprintf(key, sizeof(key), "media[%zu]", i);
                        if (!json_is_object(m)) {
                                vld_fail(&sub, key, "must be an object");
                                break;
                        }
                        struct vld ms;
                        char p[200];
                        snprintf(p, sizeof(p), "%s.%s", sub.prefix, key);
                        vld_init(&ms, p);
                        vld_enum(&ms, m, "type", true, MEDIA_TYPES);
                        vld_str(&ms, m, "url", true);
                        vld_sub_merge(&sub, &ms);
                }
                vld_sub_merge(&v, &sub);
        }

        /* signals: all optional, but a present one must have the right shape. */
        json_t *signals = vld_obj(&v, report, "signals", false);
        double lat = 0, lon = 0, acc = -1;
        int64_t captured_us = 0;
        bool have_gps = false;
        const char *profile_location = NULL, *postal = NULL, *locale = NULL;
        json_t *ips = NULL;
        if (signals) {
                struct vld sub;
                vld_sub_init(&sub, v.prefix, "signals");
                json_t *dl = vld_obj(&sub, signals, "device_location", false);
                if (dl) {
                        struct vld ds;
                        vld_sub_init(&ds, sub.prefix, "device_location");
                        bool a = vld_num(&ds, dl, "latitude", true, -90, 90, &lat);
                        bool b = vld_num(&ds, dl, "longitude", true, -180, 180, &lon);
                        if (!vld_num(&ds, dl, "accuracy_meters", false, 0, 1e8, &acc))
                                acc = -1;
                        vld_unix_time(&ds, dl, "captured_time", false, &captured_us);
                        have_gps = a && b && !ds.failed;
                        vld_sub_merge(&sub, &ds);
                }
                ips = vld_arr(&sub, signals, "ip_addresses", false);
                size_t i;
                json_t *ipo;
                json_array_foreach(ips, i, ipo)
                {
                        char key[48];
                        snprintf(key, sizeof(key), "ip_addresses[%zu]", i);
                        if (!json_is_object(ipo)) {
                                vld_fail(&sub, key, "must be an object");
                                break;
                        }
                        struct vld is;
                        vld_sub_init(&is, sub.prefix, key);
                        int64_t seen;
                        vld_str(&is, ipo, "ip", true);
                        vld_unix_time(&is, ipo, "seen_time", false, &seen);
                        vld_sub_merge(&sub, &is);
                }
                profile_location = vld_str(&sub, signals, "profile_location", false);
                postal = vld_str(&sub, signals, "postal_code", false);
                locale = vld_str(&sub, signals, "locale", false);
                vld_sub_merge(&v, &sub);
        }
        vld_str(&v, report, "reviewer_note", false);

        if (v.failed) {
                item_quarantine(it, v.field, v.what, it->raw, it->rawlen);
                return 1;
        }

        canonical = canon_new("meta", it->way, report_id, platform, meta_severity(risk),
                              category, detected_us);
        if (!canonical)
                goto bad;
        canon_set_str(canonical, "account_id", acct);
        char lang[8];
        if (canon_lang_from_locale(locale, lang))
                canon_set_str(canonical, "language", lang);
        if (have_gps)
                canon_hint_gps(canonical, lat, lon, acc, captured_us, "device");
        canon_hint_place(canonical, profile_location, "profile");
        canon_hint_pin(canonical, postal);
        size_t i;
        json_t *ipo;
        json_array_foreach(ips, i, ipo)
        {
                json_t *st = json_object_get(ipo, "seen_time");
                int64_t seen = 0;
                if (json_is_integer(st)) {
                        json_int_t t = json_integer_value(st);
                        seen = (int64_t)(t >= 100000000000LL ? t / 1000 : t) * 1000000;
                }
                canon_hint_ip(canonical, json_string_value(json_object_get(ipo, "ip")), seen);
        }
        canon_hint_phone(canonical, phone);

        subject = json_object();
        content = json_object();
        if (!subject || !content)
                goto bad;
        canon_set_str(subject, "account_id", acct);
        canon_set_str(subject, "display_name", name);
        canon_set_str(subject, "username", username);
        canon_set_str(subject, "profile_url", profile_url);
        canon_set_str(subject, "phone", phone);
        canon_set_str(subject, "email", email);
        canon_set_str(content, "kind", ctype);
        set_copy(content, "text", cont, "text");
        set_copy(content, "url", cont, "permalink");
        if (media && json_array_size(media))
                json_object_set(content, "media", media); /* new ref */
        if (created_us) {
                char ts[40];
                canon_time(created_us, ts, sizeof(ts));
                canon_set_str(content, "created_at", ts);
        }
        if (json_object_get(canonical, "language"))
                json_object_set(content, "language", json_object_get(canonical, "language"));
        set_copy(content, "reviewer_note", report, "reviewer_note");
        json_t *scrubbed = json_deep_copy(content);
        json_decref(content);
        content = item_scrub_nul(scrubbed);
        if (!content)
                goto bad;
        item_scrub_nul(canonical);

        it->canonical = canonical;
        it->subject = subject;
        it->content = content;
        return 0;
bad:
        json_decref(canonical);
        json_decref(subject);
        json_decref(content);
        item_quarantine(it, prefix, "could not be processed (out of memory)", it->raw,
                        it->rawlen);
        return 1;
}

int meta_parse_delivery(const char *body, size_t len, const char *way, int64_t received_us,
                        struct item_list *out, char *code, size_t codesz, char *detail,
                        size_t detailsz)
{
        json_t *root = jsonload_object(body, len, detail, detailsz);
        if (!root) {
                snprintf(code, codesz, "invalid_json");
                return -1;
        }
        int rc = -1;
        snprintf(code, codesz, "invalid_envelope");
        const char *object = json_string_value(json_object_get(root, "object"));
        json_t *entries = json_object_get(root, "entry");
        if (!object || strcmp(object, "safety_report") != 0) {
                snprintf(detail, detailsz, "object: must be \"safety_report\"");
                goto out;
        }
        if (!json_is_array(entries)) {
                snprintf(detail, detailsz, "entry: required, must be an array");
                goto out;
        }
        /* Check the whole envelope before appending anything. */
        size_t i, k;
        json_t *e, *ch;
        json_array_foreach(entries, i, e)
        {
                json_t *changes = json_object_get(e, "changes");
                if (!json_is_object(e)) {
                        snprintf(detail, detailsz, "entry[%zu]: must be an object", i);
                        goto out;
                }
                if (!json_is_array(changes)) {
                        snprintf(detail, detailsz, "entry[%zu].changes: required, must be an array",
                                 i);
                        goto out;
                }
                json_array_foreach(changes, k, ch)
                {
                        if (!json_is_object(ch) || !json_is_string(json_object_get(ch, "field"))) {
                                snprintf(detail, detailsz,
                                         "entry[%zu].changes[%zu].field: required, must be a string",
                                         i, k);
                                goto out;
                        }
                }
        }
        json_array_foreach(entries, i, e)
        {
                json_array_foreach(json_object_get(e, "changes"), k, ch)
                {
                        const char *field = json_string_value(json_object_get(ch, "field"));
                        if (strcmp(field, "imminent_harm_report") != 0)
                                continue;
                        struct ingest_item *it = item_list_add(out, "meta", way);
                        if (!it)
                                goto out;
                        it->received_us = received_us;
                        char prefix[96];
                        snprintf(prefix, sizeof(prefix), "entry[%zu].changes[%zu].value", i, k);
                        json_t *value = json_object_get(ch, "value");
                        if (!value) {
                                item_quarantine(it, prefix, "required", "null", 4);
                                continue;
                        }
                        meta_report_to_item(value, prefix, it);
                }
        }
        rc = 0;
out:
        json_decref(root);
        return rc;
}
