/* SPDX-License-Identifier: Apache-2.0 */
/* Parsing of the routed message and of inbound bodies; deterministic ids. */
#include "routed.h"
#include <jansson.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "prahari/util.h"

const char *const routed_outcomes[] = {"person_reached", "safe",        "hospital",
                                       "not_found",      "false_alarm", "handed_over"};
const size_t routed_noutcomes = sizeof routed_outcomes / sizeof routed_outcomes[0];

static char *dup_json_str(json_t *o, const char *k)
{
        const char *s = json_string_value(json_object_get(o, k));
        return s ? strdup(s) : NULL;
}

void routed_free(struct routed *r)
{
        if (!r)
                return;
        free(r->alert_id);
        free(r->short_code);
        free(r->severity);
        free(r->platform);
        free(r->category);
        free(r->route);
        free(r->district);
        for (size_t k = 0; k < r->nr + r->nmr; k++) {
                struct routed_recipient *p = k < r->nr ? &r->r[k] : &r->mr[k - r->nr];
                free(p->recipient_id);
                free(p->jurisdiction);
                free(p->role);
                free(p->name);
                free(p->phone);
                free(p->email);
                free(p->lang);
        }
        for (size_t i = 0; i < r->nparents; i++)
                free(r->parents[i]);
        free(r->moved_from);
        memset(r, 0, sizeof *r);
}

bool routed_phone_ok(const char *phone)
{
        if (!phone || phone[0] != '+')
                return false;
        size_t n = 0;
        for (const char *p = phone + 1; *p; p++, n++)
                if (*p < '0' || *p > '9')
                        return false;
        return n >= 8 && n <= 15;
}

bool routed_email_ok(const char *email)
{
        if (!email)
                return false;
        const char *at = strchr(email, '@');
        if (!at || at == email || !at[1] || strchr(at + 1, '@') || !strchr(at + 1, '.'))
                return false;
        for (const char *p = email; *p; p++)
                if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7F || strchr("<>\"(),;:\\[]", *p))
                        return false;
        return strlen(email) <= 254;
}

static bool uuid_ok(const char *s)
{
        if (!s || strlen(s) != 36)
                return false;
        for (int i = 0; i < 36; i++) {
                bool dash = i == 8 || i == 13 || i == 18 || i == 23;
                if (dash ? s[i] != '-' : !strchr("0123456789abcdefABCDEF", s[i]))
                        return false;
        }
        return true;
}

/* One recipients array (routing.recipients, routing.moved_from.recipients)
 * into @p arr; @p what names it in errors. */
static int parse_recipients(json_t *recips, const char *what, struct routed_recipient *arr,
                            size_t *n, char *err, size_t errsz)
{
        if (!json_is_array(recips)) {
                snprintf(err, errsz, "%s: missing", what);
                return -1;
        }
        size_t i;
        json_t *jr;
        json_array_foreach(recips, i, jr)
        {
                if (*n == ROUTED_MAX_RECIPIENTS) {
                        snprintf(err, errsz, "%s: more than %d", what, ROUTED_MAX_RECIPIENTS);
                        return -1;
                }
                struct routed_recipient *p = &arr[(*n)++];
                p->recipient_id = dup_json_str(jr, "recipient_id");
                p->jurisdiction = dup_json_str(jr, "jurisdiction");
                p->role = dup_json_str(jr, "role");
                p->name = dup_json_str(jr, "name");
                p->phone = dup_json_str(jr, "phone");
                p->email = dup_json_str(jr, "email");
                p->lang = dup_json_str(jr, "lang");
                json_t *lv = json_object_get(jr, "level");
                p->level = json_is_integer(lv) ? (int)json_integer_value(lv) : 1;
                if (!p->recipient_id || !*p->recipient_id) {
                        snprintf(err, errsz, "%s[%zu].recipient_id: missing", what, i);
                        return -1;
                }
                if (p->phone && *p->phone && !routed_phone_ok(p->phone)) {
                        snprintf(err, errsz, "%s[%zu].phone: not E.164", what, i);
                        return -1;
                }
                if (p->email && *p->email && !routed_email_ok(p->email)) {
                        snprintf(err, errsz, "%s[%zu].email: not an address", what, i);
                        return -1;
                }
        }
        return 0;
}

int routed_parse(const char *json, size_t len, struct routed *out, char *err, size_t errsz)
{
        memset(out, 0, sizeof *out);
        json_error_t jerr;
        json_t *root = json_loadb(json, len, 0, &jerr);
        int rc = -1;
        if (!json_is_object(root)) {
                snprintf(err, errsz, "not a JSON object (line %d)", jerr.line);
                goto out;
        }
        const char *schema = json_string_value(json_object_get(root, "schema"));
        if (!schema || strcmp(schema, "prahari.alert/v1") != 0) {
                snprintf(err, errsz, "schema: expected prahari.alert/v1");
                goto out;
        }
        out->alert_id = dup_json_str(root, "alert_id");
        out->short_code = dup_json_str(root, "short_code");
        out->severity = dup_json_str(root, "severity");
        out->platform = dup_json_str(root, "platform");
        out->category = dup_json_str(root, "category");
        json_t *rev = json_object_get(root, "revision");
        out->revision = json_is_integer(rev) ? (int)json_integer_value(rev) : 1;
        if (!uuid_ok(out->alert_id)) {
                snprintf(err, errsz, "alert_id: missing or not a UUID");
                goto out;
        }
        if (!out->short_code || strlen(out->short_code) != 6) {
                snprintf(err, errsz, "short_code: missing or not 6 characters");
                goto out;
        }
        if (!out->severity || (strcmp(out->severity, "critical") != 0 &&
                               strcmp(out->severity, "high") != 0 &&
                               strcmp(out->severity, "medium") != 0)) {
                snprintf(err, errsz, "severity: expected critical, high or medium");
                goto out;
        }
        if (!out->platform || !*out->platform) {
                snprintf(err, errsz, "platform: missing");
                goto out;
        }
        json_t *routing = json_object_get(root, "routing");
        if (!json_is_object(routing)) {
                snprintf(err, errsz, "routing: missing");
                goto out;
        }
        out->route = dup_json_str(routing, "route");
        if (!out->route || (strcmp(out->route, "district") != 0 &&
                            strcmp(out->route, "state_command_centre") != 0)) {
                snprintf(err, errsz, "routing.route: expected district or state_command_centre");
                goto out;
        }
        out->district = dup_json_str(routing, "district");
        if (strcmp(out->route, "district") == 0 && (!out->district || !*out->district)) {
                snprintf(err, errsz, "routing.district: missing for route district");
                goto out;
        }
        if (parse_recipients(json_object_get(routing, "recipients"), "routing.recipients", out->r,
                             &out->nr, err, errsz) != 0)
                goto out;
        json_t *parents = json_object_get(routing, "parents");
        if (parents && !json_is_array(parents)) {
                snprintf(err, errsz, "routing.parents: not an array");
                goto out;
        }
        size_t i;
        json_t *jp;
        json_array_foreach(parents, i, jp)
        {
                if (!json_is_string(jp) || !*json_string_value(jp) ||
                    out->nparents == ROUTED_MAX_PARENTS) {
                        snprintf(err, errsz, "routing.parents[%zu]: not a name or more than %d",
                                 i, ROUTED_MAX_PARENTS);
                        goto out;
                }
                out->parents[out->nparents] = strdup(json_string_value(jp));
                if (!out->parents[out->nparents++]) {
                        snprintf(err, errsz, "out of memory");
                        goto out;
                }
        }
        json_t *mf = json_object_get(routing, "moved_from");
        if (mf && !json_is_null(mf)) {
                out->moved_from = dup_json_str(mf, "jurisdiction");
                if (!out->moved_from || !*out->moved_from) {
                        snprintf(err, errsz, "routing.moved_from.jurisdiction: missing");
                        goto out;
                }
                if (parse_recipients(json_object_get(mf, "recipients"),
                                     "routing.moved_from.recipients", out->mr, &out->nmr, err,
                                     errsz) != 0)
                        goto out;
        }
        rc = 0;
out:
        json_decref(root);
        if (rc != 0)
                routed_free(out);
        return rc;
}

void routed_ids(const char *alert_id, const char *recipient_id, const char *channel, int level,
                char notification_id[37], char client_ref[26])
{
        routed_ids_rev(alert_id, recipient_id, channel, level, 0, notification_id, client_ref);
}

void routed_ids_rev(const char *alert_id, const char *recipient_id, const char *channel, int level,
                    int revision, char notification_id[37], char client_ref[26])
{
        char key[512];
        int n = revision == 0 ? snprintf(key, sizeof key, "%s|%s|%s|%d", alert_id, recipient_id,
                                         channel, level)
                              : snprintf(key, sizeof key, "%s|%s|%s|%d|r%d", alert_id,
                                         recipient_id, channel, level, revision);
        if (n < 0 || (size_t)n >= sizeof key)
                n = (int)strlen(key);
        unsigned char h[SHA256_DIGEST_LENGTH];
        SHA256((const unsigned char *)key, n > 0 ? (size_t)n : 0, h);
        unsigned char u[16];
        memcpy(u, h, 16);
        u[6] = (unsigned char)((u[6] & 0x0F) | 0x80); /* version 8 (custom) */
        u[8] = (unsigned char)((u[8] & 0x3F) | 0x80); /* RFC 4122 variant */
        char hex[33];
        util_hex(u, 16, hex);
        snprintf(notification_id, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
                 hex + 16, hex + 20);
        char rh[65];
        util_hex(h + 16, 12, rh);
        snprintf(client_ref, 26, "p%.24s", rh);
}

int routed_parse_dlr(const char *json, size_t len, struct dlr *out, char *err, size_t errsz)
{
        memset(out, 0, sizeof *out);
        json_t *root = json_loadb(json, len, 0, NULL);
        int rc = -1;
        if (!json_is_object(root)) {
                snprintf(err, errsz, "body: not a JSON object");
                goto out;
        }
        const char *mid = json_string_value(json_object_get(root, "message_id"));
        const char *ref = json_string_value(json_object_get(root, "client_ref"));
        const char *st = json_string_value(json_object_get(root, "status"));
        const char *at = json_string_value(json_object_get(root, "at"));
        if (!mid && !ref) {
                snprintf(err, errsz, "message_id: message_id or client_ref required");
                goto out;
        }
        if (!st || (strcmp(st, "DELIVRD") != 0 && strcmp(st, "UNDELIV") != 0 &&
                    strcmp(st, "EXPIRED") != 0 && strcmp(st, "REJECTD") != 0)) {
                snprintf(err, errsz, "status: expected DELIVRD, UNDELIV, EXPIRED or REJECTD");
                goto out;
        }
        if ((mid && strlen(mid) >= sizeof out->message_id) ||
            (ref && strlen(ref) >= sizeof out->client_ref)) {
                snprintf(err, errsz, "message_id: too long");
                goto out;
        }
        util_strlcpy(out->message_id, mid ? mid : "", sizeof out->message_id);
        util_strlcpy(out->client_ref, ref ? ref : "", sizeof out->client_ref);
        util_strlcpy(out->status, st, sizeof out->status);
        util_strlcpy(out->at, at ? at : "", sizeof out->at);
        rc = 0;
out:
        json_decref(root);
        return rc;
}

bool routed_dlr_delivered(const char *status)
{
        return status && strcmp(status, "DELIVRD") == 0;
}

int routed_parse_inbound(const char *json, size_t len, char from[32], char code[7])
{
        json_t *root = json_loadb(json, len, 0, NULL);
        int rc = -1;
        if (!json_is_object(root))
                goto out;
        const char *f = json_string_value(json_object_get(root, "from"));
        const char *t = json_string_value(json_object_get(root, "text"));
        if (!f || !t || strlen(f) >= 32)
                goto out;
        util_strlcpy(from, f, 32);
        rc = 0;
        while (*t == ' ' || *t == '\t' || *t == '\n' || *t == '\r')
                t++;
        if (strncasecmp(t, "ACK", 3) != 0 || (t[3] != ' ' && t[3] != '\t'))
                goto out;
        t += 3;
        while (*t == ' ' || *t == '\t')
                t++;
        size_t n = 0;
        char c[7];
        while (*t && *t != ' ' && *t != '\t' && *t != '\r' && *t != '\n') {
                if (n == 6)
                        goto out;
                char ch = *t++;
                if (ch >= 'a' && ch <= 'z')
                        ch = (char)(ch - 'a' + 'A');
                if (!((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')))
                        goto out;
                c[n++] = ch;
        }
        if (n != 6)
                goto out;
        c[6] = '\0';
        memcpy(code, c, 7);
        rc = 1;
out:
        json_decref(root);
        return rc;
}

static int hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

int routed_form_get(const char *body, size_t len, const char *key, char *out, size_t outsz)
{
        size_t kl = strlen(key), i = 0;
        while (i < len) {
                size_t end = i;
                while (end < len && body[end] != '&')
                        end++;
                const char *eq = memchr(body + i, '=', end - i);
                size_t namelen = eq ? (size_t)(eq - (body + i)) : end - i;
                if (namelen == kl && memcmp(body + i, key, kl) == 0) {
                        size_t o = 0;
                        for (size_t j = eq ? (size_t)(eq - body) + 1 : end; j < end; j++) {
                                char c = body[j];
                                if (c == '+') {
                                        c = ' ';
                                } else if (c == '%') {
                                        int hi = j + 1 < end ? hexval(body[j + 1]) : -1;
                                        int lo = j + 2 < end ? hexval(body[j + 2]) : -1;
                                        if (hi < 0 || lo < 0)
                                                return -1;
                                        c = (char)(hi * 16 + lo);
                                        j += 2;
                                }
                                if (o + 1 >= outsz)
                                        return -1;
                                out[o++] = c;
                        }
                        out[o] = '\0';
                        return 0;
                }
                i = end + 1;
        }
        return -1;
}

bool routed_outcome_ok(const char *outcome)
{
        for (size_t i = 0; outcome && i < routed_noutcomes; i++)
                if (strcmp(outcome, routed_outcomes[i]) == 0)
                        return true;
        return false;
}
