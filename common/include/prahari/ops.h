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

/**
 * @brief Start on 0.0.0.0:@p port (PRAHARI_OPS_BIND overrides the address;
 * port 0 picks a free one, see ops_port). @p ready runs on the server's
 * thread. @returns the server, or NULL with @p err.
 */
struct ops_server *ops_start(int port, ops_ready_cb ready, void *ctx, char *err, size_t errsz);
/** @brief Stop the server and free it; NULL is a no-op. */
void ops_stop(struct ops_server *s);

/** @brief The port actually bound (useful after ops_start(0, ...) in tests). */
int ops_port(const struct ops_server *s);

#endif
