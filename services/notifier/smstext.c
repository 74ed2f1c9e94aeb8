/* SPDX-License-Identifier: Apache-2.0 */
/* DLT template table, value cutting and filling, and the byte-for-byte check
 * of a filled text against its registered template. */
#include "smstext.h"
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "prahari/util.h"
#include "strbuf.h"

#define VAR_TOKEN "{#var#}"
#define URL_TOKEN "{PUBLIC_URL}"

static char *dupstr(const char *s)
{
        return s ? strdup(s) : NULL;
}

static void tpl_free(struct dlt_template *t)
{
        free(t->kind);
        free(t->lang);
        free(t->template_id);
        free(t->entity_id);
        free(t->sender);
        free(t->text);
        for (size_t i = 0; i < t->nvars; i++)
                free(t->vars[i]);
        memset(t, 0, sizeof *t);
}

void smstext_free(struct dlt_set *set)
{
        if (!set)
                return;
        for (size_t i = 0; i < set->n; i++)
                tpl_free(&set->t[i]);
        free(set->t);
        set->t = NULL;
        set->n = 0;
}

/* Replace every {PUBLIC_URL} in @p text by @p url. */
static char *resolve_url(const char *text, const char *url, size_t urllen)
{
        struct strbuf b = {0};
        const char *p = text, *q;
        while ((q = strstr(p, URL_TOKEN)) != NULL) {
                sb_addn(&b, p, (size_t)(q - p));
                sb_addn(&b, url, urllen);
                p = q + strlen(URL_TOKEN);
        }
        sb_add(&b, p);
        return sb_take(&b);
}

static size_t count_vars(const char *text)
{
        size_t n = 0;
        for (const char *p = text; (p = strstr(p, VAR_TOKEN)) != NULL; p += strlen(VAR_TOKEN))
                n++;
        return n;
}

static const char *jstr(json_t *o, const char *k)
{
        return json_string_value(json_object_get(o, k));
}

int smstext_load(const char *json_text, const char *public_url, struct dlt_set *out,
                 char *err, size_t errsz)
{
        int rc = -1;
        json_error_t jerr;
        json_t *root = json_loads(json_text, 0, &jerr);
        memset(out, 0, sizeof *out);
        if (!root) {
                snprintf(err, errsz, "templates: invalid JSON at line %d: %s", jerr.line, jerr.text);
                return -1;
        }
        size_t urllen = public_url ? strlen(public_url) : 0;
        while (urllen > 0 && public_url[urllen - 1] == '/')
                urllen--;
        const char *entity = jstr(root, "entity_id");
        const char *sender = jstr(root, "sender");
        json_t *arr = json_object_get(root, "templates");
        if (!json_is_array(arr) || json_array_size(arr) == 0) {
                snprintf(err, errsz, "templates: \"templates\" must be a non-empty array");
                goto out;
        }
        out->t = calloc(json_array_size(arr), sizeof *out->t);
        if (!out->t) {
                snprintf(err, errsz, "templates: out of memory");
                goto out;
        }
        size_t i;
        json_t *jt;
        json_array_foreach(arr, i, jt)
        {
                struct dlt_template *t = &out->t[out->n++];
                const char *kind = jstr(jt, "kind"), *lang = jstr(jt, "lang");
                const char *tid = jstr(jt, "template_id"), *text = jstr(jt, "text");
                const char *ent = jstr(jt, "entity_id") ? jstr(jt, "entity_id") : entity;
                const char *snd = jstr(jt, "sender") ? jstr(jt, "sender") : sender;
                json_t *vars = json_object_get(jt, "vars");
                if (!kind || !lang || !tid || !text || !ent || !snd || !json_is_array(vars)) {
                        snprintf(err, errsz,
                                 "templates[%zu]: kind, lang, template_id, text, vars, "
                                 "entity_id and sender are required",
                                 i);
                        goto out;
                }
                if (!util_utf8_valid(text, strlen(text))) {
                        snprintf(err, errsz, "templates[%zu]: text is not valid UTF-8", i);
                        goto out;
                }
                if (strstr(text, URL_TOKEN) && urllen == 0) {
                        snprintf(err, errsz, "templates[%zu]: needs PRAHARI_PUBLIC_URL", i);
                        goto out;
                }
                t->kind = dupstr(kind);
                t->lang = dupstr(lang);
                t->template_id = dupstr(tid);
                t->entity_id = dupstr(ent);
                t->sender = dupstr(snd);
                t->text = resolve_url(text, public_url ? public_url : "", urllen);
                if (!t->kind || !t->lang || !t->template_id || !t->entity_id || !t->sender ||
                    !t->text) {
                        snprintf(err, errsz, "templates: out of memory");
                        goto out;
                }
                size_t nv = count_vars(t->text);
                if (nv != json_array_size(vars) || nv > SMSTEXT_MAX_VARS) {
                        snprintf(err, errsz,
                                 "templates[%zu] (%s/%s): %zu {#var#} in text but %zu names "
                                 "in vars (at most %d)",
                                 i, kind, lang, nv, json_array_size(vars), SMSTEXT_MAX_VARS);
                        goto out;
                }
                for (size_t k = 0; k < nv; k++) {
                        const char *vn = json_string_value(json_array_get(vars, k));
                        if (!vn) {
                                snprintf(err, errsz, "templates[%zu]: vars[%zu] not a string", i, k);
                                goto out;
                        }
                        t->vars[k] = dupstr(vn);
                        t->nvars = k + 1;
                        if (!t->vars[k]) {
                                snprintf(err, errsz, "templates: out of memory");
                                goto out;
                        }
                }
                /* A filled text must never run two values together: a
                 * placeholder directly after another cannot be checked. */
                if (strstr(t->text, VAR_TOKEN VAR_TOKEN)) {
                        snprintf(err, errsz, "templates[%zu]: adjacent {#var#}", i);
                        goto out;
                }
        }
        rc = 0;
out:
        json_decref(root);
        if (rc != 0)
                smstext_free(out);
        return rc;
}

const struct dlt_template *smstext_find(const struct dlt_set *set, const char *kind,
                                        const char *lang)
{
        const struct dlt_template *fallback = NULL;
        for (size_t i = 0; i < set->n; i++) {
                const struct dlt_template *t = &set->t[i];
                if (strcmp(t->kind, kind) != 0)
                        continue;
                if (lang && strcmp(t->lang, lang) == 0)
                        return t;
                if (strcmp(t->lang, "en") == 0)
                        fallback = t;
        }
        return fallback;
}

char *smstext_cut(const char *value, size_t max)
{
        const unsigned char *s = (const unsigned char *)(value ? value : "");
        size_t len = strlen((const char *)s);
        struct strbuf b = {0};
        size_t chars = 0, i = 0;
        size_t last_space_len = 0; /* bytes kept before the last space */
        bool cut = false;
        while (i < len) {
                uint32_t cp;
                size_t n = util_utf8_next(s + i, len - i, &cp);
                if (n == 0) {
                        sb_free(&b);
                        return NULL;
                }
                if (chars == max) {
                        cut = true;
                        break;
                }
                if (cp < 0x20 || cp == 0x7F) {
                        sb_addn(&b, " ", 1);
                        cp = ' ';
                } else {
                        sb_addn(&b, (const char *)s + i, n);
                }
                if (cp == ' ')
                        last_space_len = b.len - 1;
                chars++;
                i += n;
        }
        if (cut) {
                /* The next character starts a new word when it is a space:
                 * then the cut already falls on a word boundary. */
                bool boundary = s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r';
                if (!boundary && last_space_len > 0)
                        b.len = last_space_len;
                while (b.len > 0 && b.p[b.len - 1] == ' ')
                        b.len--;
                if (b.p)
                        b.p[b.len] = '\0';
        }
        return sb_take(&b);
}

static const char *lookup(const struct smstext_var *vars, size_t nvars, const char *name)
{
        for (size_t i = 0; i < nvars; i++)
                if (strcmp(vars[i].name, name) == 0)
                        return vars[i].value;
        return "";
}

char *smstext_fill(const struct dlt_template *t, const struct smstext_var *vars, size_t nvars)
{
        struct strbuf b = {0};
        const char *p = t->text, *q;
        size_t k = 0;
        while ((q = strstr(p, VAR_TOKEN)) != NULL) {
                sb_addn(&b, p, (size_t)(q - p));
                char *v = smstext_cut(k < t->nvars ? lookup(vars, nvars, t->vars[k]) : "",
                                      SMSTEXT_VAR_MAX);
                if (!v) {
                        sb_free(&b);
                        return NULL;
                }
                sb_add(&b, v);
                free(v);
                k++;
                p = q + strlen(VAR_TOKEN);
        }
        sb_add(&b, p);
        return sb_take(&b);
}

/* Match @p text against the template tail @p tpl; placeholders take 0..30
 * characters without line breaks. Backtracks over the placeholder length. */
static bool match_from(const char *tpl, const unsigned char *text, size_t len)
{
        const char *q = strstr(tpl, VAR_TOKEN);
        size_t fixed = q ? (size_t)(q - tpl) : strlen(tpl);
        if (len < fixed || memcmp(tpl, text, fixed) != 0)
                return false;
        text += fixed;
        len -= fixed;
        if (!q)
                return len == 0;
        const char *rest = q + strlen(VAR_TOKEN);
        size_t i = 0, chars = 0;
        for (;;) {
                if (match_from(rest, text + i, len - i))
                        return true;
                if (i == len || chars == SMSTEXT_VAR_MAX)
                        return false;
                uint32_t cp;
                size_t n = util_utf8_next(text + i, len - i, &cp);
                if (n == 0 || cp == '\n' || cp == '\r')
                        return false;
                i += n;
                chars++;
        }
}

bool smstext_matches(const struct dlt_template *t, const char *text)
{
        if (!t || !text || !util_utf8_valid(text, strlen(text)))
                return false;
        return match_from(t->text, (const unsigned char *)text, strlen(text));
}

const char *smstext_severity(const char *severity, const char *lang)
{
        static const struct {
                const char *key, *en, *hi;
        } tab[] = {
                {"critical", "CRITICAL", "गंभीर"},
                {"high", "HIGH", "उच्च"},
                {"medium", "MEDIUM", "मध्यम"},
        };
        bool hi = lang && strcmp(lang, "hi") == 0;
        for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
                if (severity && strcmp(severity, tab[i].key) == 0)
                        return hi ? tab[i].hi : tab[i].en;
        return severity ? severity : "";
}

void smstext_place(const char *district, const char *district_hi, const char *lang, char *buf,
                   size_t bufsz)
{
        bool hi = lang && strcmp(lang, "hi") == 0;
        if (!district || !*district || strcmp(district, "STATE_COMMAND_CENTRE") == 0)
                snprintf(buf, bufsz, "%s", hi ? "राज्य कमांड सेंटर" : "State Command Centre");
        else if (hi && district_hi && *district_hi)
                snprintf(buf, bufsz, "%s जिला", district_hi);
        else
                snprintf(buf, bufsz, "%s district", district);
}

void smstext_platform(const char *platform, char *buf, size_t bufsz)
{
        static const struct {
                const char *key, *shown;
        } tab[] = {
                {"facebook", "Facebook"}, {"instagram", "Instagram"}, {"threads", "Threads"},
                {"google", "Google"},     {"youtube", "YouTube"},     {"sharechat", "ShareChat"},
        };
        for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
                if (platform && strcmp(platform, tab[i].key) == 0) {
                        snprintf(buf, bufsz, "%s", tab[i].shown);
                        return;
                }
        snprintf(buf, bufsz, "%s", platform ? platform : "");
}
