/* SPDX-License-Identifier: Apache-2.0 */
/* The bind() interposer that pins librdkafka's mock cluster to a fixed port.
 *
 * librdkafka 2.0.2 has no API to choose the mock cluster's port: each mock
 * broker binds a listener to 127.0.0.1 with port 0 and lets the kernel pick.
 * A development broker that moves on every restart is no use (every service
 * and test is configured with KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:19092), so the
 * prahari-devbroker executable defines its own bind(). The executable is
 * linked with its dynamic symbols exported (CMake ENABLE_EXPORTS, -rdynamic),
 * so the dynamic linker resolves librdkafka.so's undefined "bind" to this
 * function, which comes before libc's in the lookup order. Between
 * interpose_begin() and interpose_end() (main() brackets
 * rd_kafka_mock_cluster_new() with them), a bind to 127.0.0.1:0 is rewritten
 * to base_port + n - 1 for the n-th broker, SO_REUSEADDR is set so a restart
 * is not refused while old connections sit in TIME_WAIT, and libc's bind is
 * called through dlsym(RTLD_NEXT) (realbind.c). Every other bind, and every
 * bind outside that window, goes straight through. main() then checks that
 * rd_kafka_mock_cluster_bootstraps() reports the chosen port, so a librdkafka
 * that binds differently fails loudly at start instead of listening elsewhere.
 *
 * This file is compiled without _GNU_SOURCE: with it, glibc declares bind()'s
 * address argument as a transparent union and a plain definition would not
 * match the prototype. */
#undef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L
#include "interpose.h"
#include "bindport.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

static atomic_int g_active;
static atomic_int g_index;
static atomic_int g_errno;
static atomic_int g_base;

void interpose_begin(int base_port)
{
        atomic_store(&g_base, base_port);
        atomic_store(&g_index, 0);
        atomic_store(&g_errno, 0);
        atomic_store(&g_active, 1);
}

void interpose_end(void)
{
        atomic_store(&g_active, 0);
}

int interpose_last_errno(void)
{
        return atomic_load(&g_errno);
}

int interpose_count(void)
{
        return atomic_load(&g_index);
}

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
        struct sockaddr_in sin;
        int port, on = 1, rc;

        if (!atomic_load(&g_active))
                return realbind_call(fd, addr, len);
        port = bindport_choose(addr, len, atomic_load(&g_base), atomic_load(&g_index));
        if (port == 0)
                return realbind_call(fd, addr, len);
        atomic_fetch_add(&g_index, 1);
        memcpy(&sin, addr, sizeof(sin));
        sin.sin_port = htons((uint16_t)port);
        (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
        rc = realbind_call(fd, &sin, sizeof(sin));
        if (rc != 0)
                atomic_store(&g_errno, errno);
        return rc;
}
