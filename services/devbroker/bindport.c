/* SPDX-License-Identifier: Apache-2.0 */
/* Pure helper of prahari-devbroker: which bind() calls to move to the fixed
 * port, and to which port. */
#include "bindport.h"

#include <arpa/inet.h>
#include <string.h>

int bindport_choose(const struct sockaddr *sa, socklen_t len, int base_port, int index)
{
        struct sockaddr_in sin;
        long port;

        if (!sa || len < (socklen_t)sizeof(sin) || sa->sa_family != AF_INET)
                return 0;
        memcpy(&sin, sa, sizeof(sin)); /* the caller's pointer may be unaligned */
        if (sin.sin_addr.s_addr != htonl(INADDR_LOOPBACK) || sin.sin_port != 0)
                return 0;
        if (base_port < 1 || base_port > 65535 || index < 0)
                return 0;
        port = (long)base_port + index;
        if (port > 65535)
                return 0;
        return (int)port;
}
