/* SPDX-License-Identifier: Apache-2.0 */
/* A process-wide Prometheus registry behind one mutex: counters, gauges and
 * histograms identified by name + label text, rendered in the text
 * exposition format 0.0.4 with HELP/TYPE once per metric name. */
#include "prahari/metrics.h"
#include "prahari/log.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum metric_type { M_COUNTER, M_GAUGE, M_HISTOGRAM };

struct metric {
        struct metric *next;
        enum metric_type type;
        char *name;
        char *help;
        char *labels; /* "" when none */
        double value; /* counter, gauge; histogram sum */
        /* histogram only */
        size_t nbuckets;
        double *bounds;
        unsigned long long *counts; /* per bucket, not cumulative */
        unsigned long long count;
};

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static struct metric *g_head, *g_tail;
/* Returned when a name is reused with another type: updates go nowhere. */
static struct metric g_discard = {.name = "", .labels = ""};

static const double default_buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                         0.1,    0.25,  0.5,    1,     2.5,  5,     10};

static void metric_free(struct metric *m)
{
        free(m->name);
        free(m->help);
        free(m->labels);
        free(m->bounds);
        free(m->counts);
        free(m);
}

static struct metric *find_or_create(enum metric_type type, const char *name, const char *help,
                                     const char *labels, const double *buckets, size_t nb)
{
        if (!labels)
                labels = "";
        pthread_mutex_lock(&g_lock);
        struct metric *m;
        for (m = g_head; m; m = m->next) {
                if (strcmp(m->name, name) != 0)
                        continue;
                if (m->type != type) {
                        pthread_mutex_unlock(&g_lock);
                        log_error("metrics: %s is already registered with another type", name);
                        return &g_discard;
                }
                if (strcmp(m->labels, labels) == 0) {
                        pthread_mutex_unlock(&g_lock);
                        return m;
                }
        }
        m = calloc(1, sizeof *m);
        if (!m)
                goto oom;
        m->type = type;
        m->name = strdup(name);
        m->help = strdup(help ? help : "");
        m->labels = strdup(labels);
        if (!m->name || !m->help || !m->labels)
                goto oom;
        if (type == M_HISTOGRAM) {
                if (!buckets || nb == 0) {
                        buckets = default_buckets;
                        nb = sizeof default_buckets / sizeof default_buckets[0];
                }
                m->nbuckets = nb;
                m->bounds = malloc(nb * sizeof *m->bounds);
                m->counts = calloc(nb + 1, sizeof *m->counts); /* last: +Inf */
                if (!m->bounds || !m->counts)
                        goto oom;
                memcpy(m->bounds, buckets, nb * sizeof *m->bounds);
        }
        if (g_tail)
                g_tail->next = m;
        else
                g_head = m;
        g_tail = m;
        pthread_mutex_unlock(&g_lock);
        return m;
oom:
        pthread_mutex_unlock(&g_lock);
        if (m)
                metric_free(m);
        log_error("metrics: out of memory registering %s", name);
        return &g_discard;
}

struct metric *metrics_counter(const char *name, const char *help, const char *labels)
{
        return find_or_create(M_COUNTER, name, help, labels, NULL, 0);
}

struct metric *metrics_gauge(const char *name, const char *help, const char *labels)
{
        return find_or_create(M_GAUGE, name, help, labels, NULL, 0);
}

struct metric *metrics_histogram(const char *name, const char *help, const char *labels,
                                 const double *buckets, size_t nbuckets)
{
        return find_or_create(M_HISTOGRAM, name, help, labels, buckets, nbuckets);
}

void metric_inc(struct metric *m, double v)
{
        if (!m || m == &g_discard)
                return;
        pthread_mutex_lock(&g_lock);
        if (m->type == M_COUNTER ? v >= 0 : m->type == M_GAUGE)
                m->value += v;
        pthread_mutex_unlock(&g_lock);
}

void metric_set(struct metric *m, double v)
{
        if (!m || m == &g_discard)
                return;
        pthread_mutex_lock(&g_lock);
        if (m->type == M_GAUGE || (m->type == M_COUNTER && v >= m->value))
                m->value = v;
        pthread_mutex_unlock(&g_lock);
}

void metric_observe(struct metric *m, double v)
{
        if (!m || m == &g_discard || isnan(v))
                return;
        pthread_mutex_lock(&g_lock);
        if (m->type == M_HISTOGRAM) {
                size_t i = 0;
                while (i < m->nbuckets && v > m->bounds[i])
                        i++;
                m->counts[i]++;
                m->count++;
                m->value += v;
        }
        pthread_mutex_unlock(&g_lock);
}

/* ==== Rendering ==== */

struct rbuf {
        char *p;
        size_t len, cap;
        int oom;
};

static void rb_printf(struct rbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void rb_printf(struct rbuf *b, const char *fmt, ...)
{
        if (b->oom)
                return;
        for (;;) {
                va_list ap;
                va_start(ap, fmt);
                int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
                va_end(ap);
                if (n < 0) {
                        b->oom = 1;
                        return;
                }
                if ((size_t)n < b->cap - b->len) {
                        b->len += (size_t)n;
                        return;
                }
                size_t ncap = b->cap * 2 + (size_t)n;
                char *np = realloc(b->p, ncap);
                if (!np) {
                        b->oom = 1;
                        return;
                }
                b->p = np;
                b->cap = ncap;
        }
}

/* A sample value: integers without a fraction, others with full precision. */
static void fmt_value(double v, char *buf, size_t bufsz)
{
        if (isinf(v))
                snprintf(buf, bufsz, "%s", v > 0 ? "+Inf" : "-Inf");
        else if (isnan(v))
                snprintf(buf, bufsz, "NaN");
        else if (v == floor(v) && fabs(v) < 9007199254740992.0)
                snprintf(buf, bufsz, "%.0f", v);
        else
                snprintf(buf, bufsz, "%.17g", v);
}

/* HELP text escapes backslash and newline. */
static void rb_help(struct rbuf *b, const char *help)
{
        for (const char *p = help; *p; p++) {
                if (*p == '\\')
                        rb_printf(b, "\\\\");
                else if (*p == '\n')
                        rb_printf(b, "\\n");
                else
                        rb_printf(b, "%c", *p);
        }
}

static void render_one(struct rbuf *b, const struct metric *m)
{
        char v[64];
        const char *lb = m->labels[0] ? "{" : "";
        const char *le = m->labels[0] ? "}" : "";
        if (m->type != M_HISTOGRAM) {
                fmt_value(m->value, v, sizeof v);
                rb_printf(b, "%s%s%s%s %s\n", m->name, lb, m->labels, le, v);
                return;
        }
        unsigned long long cum = 0;
        const char *sep = m->labels[0] ? "," : "";
        for (size_t i = 0; i <= m->nbuckets; i++) {
                cum += m->counts[i];
                char bound[64];
                if (i == m->nbuckets)
                        snprintf(bound, sizeof bound, "+Inf");
                else
                        snprintf(bound, sizeof bound, "%g", m->bounds[i]);
                rb_printf(b, "%s_bucket{%s%sle=\"%s\"} %llu\n", m->name, m->labels, sep, bound,
                          cum);
        }
        fmt_value(m->value, v, sizeof v);
        rb_printf(b, "%s_sum%s%s%s %s\n", m->name, lb, m->labels, le, v);
        rb_printf(b, "%s_count%s%s%s %llu\n", m->name, lb, m->labels, le, m->count);
}

char *metrics_render(void)
{
        static const char *const tnames[] = {"counter", "gauge", "histogram"};
        struct rbuf b = {.cap = 4096};
        b.p = malloc(b.cap);
        if (!b.p)
                return NULL;
        b.p[0] = '\0';
        pthread_mutex_lock(&g_lock);
        for (struct metric *m = g_head; m; m = m->next) {
                /* The first metric of each name renders the whole family. */
                int seen = 0;
                for (struct metric *q = g_head; q != m; q = q->next)
                        if (strcmp(q->name, m->name) == 0) {
                                seen = 1;
                                break;
                        }
                if (seen)
                        continue;
                rb_printf(&b, "# HELP %s ", m->name);
                rb_help(&b, m->help);
                rb_printf(&b, "\n# TYPE %s %s\n", m->name, tnames[m->type]);
                for (struct metric *q = m; q; q = q->next)
                        if (strcmp(q->name, m->name) == 0)
                                render_one(&b, q);
        }
        pthread_mutex_unlock(&g_lock);
        if (b.oom) {
                free(b.p);
                return NULL;
        }
        return b.p;
}

void metrics_reset(void)
{
        pthread_mutex_lock(&g_lock);
        struct metric *m = g_head;
        while (m) {
                struct metric *next = m->next;
                metric_free(m);
                m = next;
        }
        g_head = g_tail = NULL;
        pthread_mutex_unlock(&g_lock);
}
