/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file ops.h
 * @brief The operations HTTP server of every service (libmicrohttpd):
 *        GET /healthz (200 while the process runs), GET /readyz (200 when
 *        ready_cb says so, else 503), GET /metrics (Prometheus text).
 */
#ifndef PRAHARI_OPS_H
#define PRAHARI_OPS_H
#include <stdbool.h>
#include <stddef.h>

struct ops_server;

typedef bool (*ops_ready_cb)(void *ctx);

/** @brief Start on 0.0.0.0:@p port (PRAHARI_OPS_BIND overrides the address). */
struct ops_server *ops_start(int port, ops_ready_cb ready, void *ctx, char *err, size_t errsz);
void ops_stop(struct ops_server *s);

/** @brief The port actually bound (useful after ops_start(0, ...) in tests). */
int ops_port(const struct ops_server *s);

#endif
