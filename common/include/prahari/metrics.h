/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file metrics.h
 * @brief A process-wide Prometheus registry: counters, gauges, histograms.
 *
 * Names carry the prefix prahari_ (the caller writes it). A metric is
 * identified by name + label text; the same pair returns the same handle, so
 * handles can be looked up once and kept. All operations are thread-safe.
 */
#ifndef PRAHARI_METRICS_H
#define PRAHARI_METRICS_H
#include <stddef.h>

struct metric;

/**
 * @brief Find or create. @p labels is the inside of the braces, e.g.
 * "stage=\"enrich\",result=\"ok\"", or NULL for none.
 */
struct metric *metrics_counter(const char *name, const char *help, const char *labels);
struct metric *metrics_gauge(const char *name, const char *help, const char *labels);
/** @p buckets upper bounds ascending; NULL uses latency buckets 0.0005 s .. 10 s. */
struct metric *metrics_histogram(const char *name, const char *help, const char *labels,
                                 const double *buckets, size_t nbuckets);

void metric_inc(struct metric *m, double v);
void metric_set(struct metric *m, double v);
void metric_observe(struct metric *m, double v);

/** @brief Render every metric in the text exposition format; malloc'd. */
char *metrics_render(void);

/**
 * @brief Forget every metric (tests only: handles obtained before become
 * invalid).
 */
void metrics_reset(void);

#endif
