/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file log.h
 * @brief JSON log lines on stderr, one per event, with the service name and
 *        the alert id. Never pass post text or a person's name to these calls.
 *
 * Line shape: {"ts":"2026-12-03T09:05:10.123Z","level":"info","svc":"ingest",
 *              "alert_id":"...","traceparent":"...","msg":"..."}
 * (alert_id / traceparent only when given). The level threshold comes from
 * PRAHARI_LOG_LEVEL (debug|info|warn|error, default info).
 */
#ifndef PRAHARI_LOG_H
#define PRAHARI_LOG_H

enum log_level { LOG_DEBUG = 0, LOG_INFO = 1, LOG_WARN = 2, LOG_ERROR = 3 };

/** @brief Set the service name and read PRAHARI_LOG_LEVEL. Call once at start. */
void log_init(const char *service);

/** @brief Set the threshold explicitly (tests). */
void log_set_level(enum log_level lvl);

/**
 * @brief Write one JSON line. @p alert_id and @p traceparent may be NULL.
 * The formatted message is JSON-escaped. Thread-safe (one write(2) per line).
 */
void log_msg(enum log_level lvl, const char *alert_id, const char *traceparent,
             const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* ==== Additions (tests, reuse) ==== */

/**
 * @brief JSON-escape @p s (without the surrounding quotes): quote, backslash
 * and control characters are escaped, invalid UTF-8 bytes become U+FFFD, so
 * the result is always valid JSON string content.
 * @returns a malloc'd string (caller frees), or NULL when out of memory.
 */
char *log_json_escape(const char *s);

/** @brief Write lines to @p fd instead of stderr (tests); -1 restores stderr. */
void log_set_fd(int fd);

#define log_debug(...) log_msg(LOG_DEBUG, NULL, NULL, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, NULL, NULL, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, NULL, NULL, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, NULL, NULL, __VA_ARGS__)
/* With an alert id: */
#define log_alert(lvl, id, tp, ...) log_msg((lvl), (id), (tp), __VA_ARGS__)

#endif
