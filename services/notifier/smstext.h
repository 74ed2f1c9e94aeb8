/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file smstext.h
 * @brief SMS texts as filled DLT templates (delivery-v1 "DLT templates").
 *
 * The template table (templates/dlt.json, PRAHARI_DLT_TEMPLATES_FILE) holds,
 * per message kind (alert, moved, escalation) and language (en, hi), the
 * registered text with {#var#} placeholders, the template id, and the names
 * of the values that fill the placeholders in order. The deployment's base
 * URL is fixed text of the registered template: "{PUBLIC_URL}" in the file is
 * replaced by PRAHARI_PUBLIC_URL when the table is loaded, so the only
 * variable part of the link is the token (at most 30 characters, see
 * token.h). Each value is cut to 30 characters at a word boundary, never
 * inside a UTF-8 sequence. No value may carry the post text or a name: the
 * caller passes short code, severity, place, platform and token only.
 */
#ifndef PRAHARI_NOTIFIER_SMSTEXT_H
#define PRAHARI_NOTIFIER_SMSTEXT_H
#include <stddef.h>
#include <stdbool.h>

#define SMSTEXT_VAR_MAX 30 /* characters per {#var#} (DLT rule) */
#define SMSTEXT_MAX_VARS 8

/** One registered template, resolved for this deployment. */
struct dlt_template {
        char *kind;        /* alert | moved | escalation */
        char *lang;        /* en | hi */
        char *template_id; /* DLT template id */
        char *entity_id;   /* DLT principal entity id */
        char *sender;      /* 6-letter sender id */
        char *text;        /* registered text with {#var#}, {PUBLIC_URL} resolved */
        char *vars[SMSTEXT_MAX_VARS]; /* value names, in placeholder order */
        size_t nvars;
};

/** The loaded table. */
struct dlt_set {
        struct dlt_template *t;
        size_t n;
};

/** One named value for filling. */
struct smstext_var {
        const char *name;
        const char *value;
};

/* ==== Table ==== */

/**
 * @brief Parse the template table from JSON text and resolve {PUBLIC_URL}
 * (a trailing '/' of @p public_url is dropped).
 * @returns 0 with @p out filled (free with smstext_free); -1 with a message
 * in @p err naming the template at fault.
 */
int smstext_load(const char *json_text, const char *public_url, struct dlt_set *out,
                 char *err, size_t errsz);

/** @brief Free a table from smstext_load; safe on a zeroed struct. */
void smstext_free(struct dlt_set *set);

/**
 * @brief The template for @p kind in @p lang, falling back to "en".
 * @returns a borrowed pointer into @p set, or NULL.
 */
const struct dlt_template *smstext_find(const struct dlt_set *set, const char *kind,
                                        const char *lang);

/* ==== Filling ==== */

/**
 * @brief Cut @p value to at most @p max characters: whole value if it fits,
 * else at the last space before the limit (trailing spaces dropped), else
 * hard at the last whole character. Control characters become spaces.
 * @returns a malloc'd string (caller frees), or NULL if @p value is not
 * valid UTF-8.
 */
char *smstext_cut(const char *value, size_t max);

/**
 * @brief Fill @p t with @p vars (looked up by name; a missing name fills "").
 * @returns the malloc'd text (caller frees), or NULL on invalid UTF-8.
 */
char *smstext_fill(const struct dlt_template *t, const struct smstext_var *vars, size_t nvars);

/**
 * @brief True when @p text equals @p t's registered text byte for byte apart
 * from the placeholders, each of which holds at most SMSTEXT_VAR_MAX
 * characters and no line break.
 */
bool smstext_matches(const struct dlt_template *t, const char *text);

/* ==== Values ==== */

/**
 * @brief The severity word for an SMS in @p lang ("CRITICAL" / "गंभीर" ...);
 * @p severity itself if unknown.
 */
const char *smstext_severity(const char *severity, const char *lang);

/**
 * @brief The place value: "<district> district" ("<district_hi> जिला" in Hindi
 * when @p district_hi is given), or the state command centre when
 * @p district is NULL or empty. Written into @p buf.
 */
void smstext_place(const char *district, const char *district_hi, const char *lang, char *buf,
                   size_t bufsz);

/** @brief The platform as shown ("instagram" -> "Instagram"), into @p buf. */
void smstext_platform(const char *platform, char *buf, size_t bufsz);

#endif
