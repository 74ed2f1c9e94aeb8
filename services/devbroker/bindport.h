/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file bindport.h
 * @brief Pure decision for the dev broker's bind() interposer: is this bind the
 *        mock cluster asking the kernel for "any port on 127.0.0.1", and which
 *        fixed port should it get instead. No I/O; unit-tested.
 */
#ifndef PRAHARI_DEVBROKER_BINDPORT_H
#define PRAHARI_DEVBROKER_BINDPORT_H
#include <sys/socket.h>
#include <netinet/in.h>

/**
 * @brief Decide the port for the @p index-th (0-based) mock broker listener.
 *
 * Only an IPv4 bind to 127.0.0.1 with port 0 (what librdkafka 2.0.2's mock
 * broker does) is rewritten; anything else is left alone.
 *
 * @param sa        the address passed to bind() (borrowed, may be NULL)
 * @param len       its length
 * @param base_port the first broker's port (1..65535)
 * @param index     0 for broker 1, 1 for broker 2, ...
 * @returns the port (host order) to bind instead, or 0 to leave the call as is
 *          (also 0 when base_port + index would exceed 65535).
 */
int bindport_choose(const struct sockaddr *sa, socklen_t len, int base_port, int index);

#endif
