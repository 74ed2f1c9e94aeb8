/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file sig.h
 * @brief SIGTERM/SIGINT set a stop flag (a second one exits at once with 1),
 *        SIGHUP sets a reload flag, SIGPIPE is ignored.
 */
#ifndef PRAHARI_SIG_H
#define PRAHARI_SIG_H
#include <stdbool.h>

/** @brief Install the handlers (SIGTERM, SIGINT, SIGHUP; SIGPIPE ignored). */
void sig_install(void);
/** @brief True once SIGTERM/SIGINT arrived or sig_request_stop() was called. */
bool sig_stop_requested(void);
/** @brief True once per SIGHUP received (clears the flag). */
bool sig_reload_take(void);
/** @brief Ask the main loop to stop (e.g. on a fatal error in a thread). */
void sig_request_stop(void);

/** @brief Clear the stop and reload flags (tests that run a loop twice). */
void sig_reset(void);

#endif
