/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file interpose.h
 * @brief Control of prahari-devbroker's bind() interposer (see interpose.c),
 *        which gives librdkafka's mock brokers a fixed loopback port.
 */
#ifndef PRAHARI_DEVBROKER_INTERPOSE_H
#define PRAHARI_DEVBROKER_INTERPOSE_H

/**
 * @brief From now on, the n-th bind() to 127.0.0.1:0 (n = 1, 2, ...) binds
 *        to @p base_port + n - 1 instead, with SO_REUSEADDR.
 */
void interpose_begin(int base_port);

/** @brief Stop rewriting; every later bind() goes straight to libc. */
void interpose_end(void);

/** @brief Why a rewritten bind failed.
 * @returns errno of the last failed rewritten bind, or 0 if none failed. */
int interpose_last_errno(void);

/** @brief How many binds were moved.
 * @returns how many bind() calls were rewritten since interpose_begin(). */
int interpose_count(void);

/**
 * @brief Call the next bind() after the executable's own (libc's), looked up
 *        once with dlsym(RTLD_NEXT). Defined in realbind.c.
 * @returns what that bind() returns; -1 with errno ENOSYS if not found.
 */
int realbind_call(int fd, const void *addr, unsigned int len);

#endif
