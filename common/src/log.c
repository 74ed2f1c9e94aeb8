/* SPDX-License-Identifier: Apache-2.0 */
/* JSON log lines: one object per line on stderr, written with one write(2)
 * under a mutex so lines from several threads never interleave. The message
 * text is escaped so that every line is valid JSON whatever it contains. */
#include "prahari/log.h"
#include "prahari/util.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define LOG_MSG_MAX (16 * 1024) /* longer messages are cut and marked */

static char g_svc[64] = "prahari";
static atomic_int g_level = LOG_INFO;
static atomic_int g_fd = STDERR_FILENO;
static pthread_mutex_t g_write_lock = PTHREAD_MUTEX_INITIALIZER;

static const char oom_line[] = "{\"level\":\"error\",\"msg\":\"log: out of memory\"}\n";
static const char *const level_names[] = {"debug", "info", "warn", "error"};

/* A growable byte buffer; on allocation failure it sets oom and stops. */
struct lbuf {
        char *p;
        size_t len, cap;
        int oom;
};

static void lbuf_reserve(struct lbuf *b, size_t extra)
{
        if (b->oom || b->len + extra + 1 <= b->cap)
                return;
        size_t ncap = b->cap ? b->cap : 256;
        while (ncap < b->len + extra + 1)
                ncap *= 2;
        char *np = realloc(b->p, ncap);
        if (!np) {
                b->oom = 1;
                return;
        }
        b->p = np;
        b->cap = ncap;
        b->p[b->len] = '\0';
}

static void lbuf_add(struct lbuf *b, const char *s, size_t n)
{
        lbuf_reserve(b, n);
        if (b->oom)
                return;
        memcpy(b->p + b->len, s, n);
        b->len += n;
        b->p[b->len] = '\0';
}

static void lbuf_adds(struct lbuf *b, const char *s)
{
        lbuf_add(b, s, strlen(s));
}

static void lbuf_add_escaped(struct lbuf *b, const char *s)
{
        static const char hexd[] = "0123456789abcdef";
        const unsigned char *u = (const unsigned char *)s;
        size_t n = strlen(s);
        size_t i = 0;

        while (i < n) {
                unsigned char c = u[i];
                if (c >= 0x80) {
                        uint32_t cp;
                        size_t k = util_utf8_next(u + i, n - i, &cp);
                        if (k == 0) {
                                lbuf_add(b, "\\ufffd", 6);
                                i++;
                        } else {
                                lbuf_add(b, (const char *)u + i, k);
                                i += k;
                        }
                        continue;
                }
                switch (c) {
                case '"': lbuf_add(b, "\\\"", 2); break;
                case '\\': lbuf_add(b, "\\\\", 2); break;
                case '\n': lbuf_add(b, "\\n", 2); break;
                case '\r': lbuf_add(b, "\\r", 2); break;
                case '\t': lbuf_add(b, "\\t", 2); break;
                default:
                        if (c < 0x20 || c == 0x7f) {
                                char e[6] = {'\\', 'u', '0', '0', hexd[c >> 4], hexd[c & 15]};
                                lbuf_add(b, e, 6);
                        } else {
                                lbuf_add(b, (const char *)&u[i], 1);
                        }
                }
                i++;
        }
}

char *log_json_escape(const char *s)
{
        struct lbuf b = {0};
        lbuf_reserve(&b, strlen(s));
        lbuf_add_escaped(&b, s);
        if (b.oom) {
                free(b.p);
                return NULL;
        }
        return b.p;
}

void log_set_level(enum log_level lvl)
{
        if (lvl < LOG_DEBUG || lvl > LOG_ERROR)
                lvl = LOG_INFO;
        atomic_store(&g_level, lvl);
}

void log_set_fd(int fd)
{
        atomic_store(&g_fd, fd < 0 ? STDERR_FILENO : fd);
}

void log_init(const char *service)
{
        if (service && *service) {
                size_t n = strlen(service);
                if (n >= sizeof g_svc)
                        n = sizeof g_svc - 1;
                memcpy(g_svc, service, n);
                g_svc[n] = '\0';
        }
        const char *lv = getenv("PRAHARI_LOG_LEVEL");
        if (!lv || !*lv)
                return;
        for (int i = LOG_DEBUG; i <= LOG_ERROR; i++) {
                if (strcasecmp(lv, level_names[i]) == 0) {
                        log_set_level((enum log_level)i);
                        return;
                }
        }
        if (strcasecmp(lv, "warning") == 0) {
                log_set_level(LOG_WARN);
                return;
        }
        log_msg(LOG_WARN, NULL, NULL,
                "PRAHARI_LOG_LEVEL: unknown level (use debug, info, warn or error); using info");
}

static void write_all(int fd, const char *p, size_t len)
{
        while (len > 0) {
                ssize_t w = write(fd, p, len);
                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        return; /* nowhere left to report it */
                }
                p += w;
                len -= (size_t)w;
        }
}

void log_msg(enum log_level lvl, const char *alert_id, const char *traceparent,
             const char *fmt, ...)
{
        if (lvl < LOG_DEBUG || lvl > LOG_ERROR)
                lvl = LOG_ERROR;
        if ((int)lvl < atomic_load(&g_level))
                return;

        char small[512];
        char *msg = small;
        char *heap = NULL;
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(small, sizeof small, fmt, ap);
        va_end(ap);
        if (n < 0) {
                msg = "(unformattable log message)";
        } else if ((size_t)n >= sizeof small) {
                size_t want = (size_t)n < LOG_MSG_MAX ? (size_t)n + 1 : LOG_MSG_MAX;
                heap = malloc(want);
                if (heap) {
                        va_start(ap, fmt);
                        vsnprintf(heap, want, fmt, ap);
                        va_end(ap);
                        msg = heap;
                        if ((size_t)n >= want && want > 4)
                                memcpy(heap + want - 4, "...", 4);
                }
        }

        char ts[40];
        util_rfc3339(util_now_us(), true, ts, sizeof ts);

        struct lbuf b = {0};
        lbuf_reserve(&b, strlen(msg) + 160);
        lbuf_adds(&b, "{\"ts\":\"");
        lbuf_adds(&b, ts);
        lbuf_adds(&b, "\",\"level\":\"");
        lbuf_adds(&b, level_names[lvl]);
        lbuf_adds(&b, "\",\"svc\":\"");
        lbuf_add_escaped(&b, g_svc);
        if (alert_id && *alert_id) {
                lbuf_adds(&b, "\",\"alert_id\":\"");
                lbuf_add_escaped(&b, alert_id);
        }
        if (traceparent && *traceparent) {
                lbuf_adds(&b, "\",\"traceparent\":\"");
                lbuf_add_escaped(&b, traceparent);
        }
        lbuf_adds(&b, "\",\"msg\":\"");
        lbuf_add_escaped(&b, msg);
        lbuf_adds(&b, "\"}\n");

        int fd = atomic_load(&g_fd);
        pthread_mutex_lock(&g_write_lock);
        if (!b.oom)
                write_all(fd, b.p, b.len);
        else
                write_all(fd, oom_line, sizeof oom_line - 1);
        pthread_mutex_unlock(&g_write_lock);
        free(b.p);
        free(heap);
}
