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
/** @brief Find or create a gauge (see metrics_counter). */
struct metric *metrics_gauge(const char *name, const char *help, const char *labels);
/**
 * @brief Find or create a histogram. @p buckets upper bounds ascending; NULL
 * uses latency buckets 0.0005 s .. 10 s. A name already used with another
 * type returns a handle whose updates are dropped (and logs an error).
 */
struct metric *metrics_histogram(const char *name, const char *help, const char *labels,
                                 const double *buckets, size_t nbuckets);

/** @brief Add @p v (counters ignore negative values; gauges accept them). */
void metric_inc(struct metric *m, double v);
/** @brief Set a gauge (or raise a counter) to @p v. */
void metric_set(struct metric *m, double v);
/** @brief Record one observation in a histogram. */
void metric_observe(struct metric *m, double v);

/** @brief Render every metric in the text exposition format; malloc'd. */
char *metrics_render(void);

/**
 * @brief Forget every metric (tests only: handles obtained before become
 * invalid).
 */
void metrics_reset(void);

#endif
