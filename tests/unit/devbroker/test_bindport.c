/* SPDX-License-Identifier: Apache-2.0 */
/* Table tests of the dev broker's pure helper: which bind() calls get the
 * fixed port, and which port. */
#include "bindport.h"
#include "../../testutil.h"

#include <arpa/inet.h>

static struct sockaddr_in mk(const char *ip, int port)
{
        struct sockaddr_in sin;

        memset(&sin, 0, sizeof(sin));
        sin.sin_family = AF_INET;
        sin.sin_port = htons((uint16_t)port);
        inet_pton(AF_INET, ip, &sin.sin_addr);
        return sin;
}

static void test_choose(void)
{
        static const struct {
                const char *ip;
                int port, base, index, want;
        } rows[] = {
                {"127.0.0.1", 0, 19092, 0, 19092},   /* the mock's first broker */
                {"127.0.0.1", 0, 19092, 2, 19094},   /* third broker */
                {"127.0.0.1", 0, 65535, 0, 65535},   /* last valid port */
                {"127.0.0.1", 0, 65535, 1, 0},       /* would overflow */
                {"127.0.0.1", 8080, 19092, 0, 0},    /* explicit port: untouched */
                {"0.0.0.0", 0, 19092, 0, 0},         /* any address: untouched */
                {"127.0.0.2", 0, 19092, 0, 0},       /* other loopback: untouched */
                {"10.1.2.3", 0, 19092, 0, 0},
                {"127.0.0.1", 0, 0, 0, 0},           /* bad base */
                {"127.0.0.1", 0, 19092, -1, 0},      /* bad index */
        };
        size_t i;

        for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                struct sockaddr_in sin = mk(rows[i].ip, rows[i].port);
                int got = bindport_choose((const struct sockaddr *)&sin, sizeof(sin),
                                          rows[i].base, rows[i].index);
                CHECK_MSG(got == rows[i].want, "row %zu: %s:%d base %d idx %d -> %d, want %d", i,
                          rows[i].ip, rows[i].port, rows[i].base, rows[i].index, got,
                          rows[i].want);
        }
}

static void test_choose_not_ipv4(void)
{
        struct sockaddr_in6 sin6;
        struct sockaddr_in sin = mk("127.0.0.1", 0);

        memset(&sin6, 0, sizeof(sin6));
        sin6.sin6_family = AF_INET6;
        sin6.sin6_addr = in6addr_loopback;
        CHECK_INT(bindport_choose((const struct sockaddr *)&sin6, sizeof(sin6), 19092, 0), 0);
        CHECK_INT(bindport_choose(NULL, 0, 19092, 0), 0);
        /* a truncated length must not be read past */
        CHECK_INT(bindport_choose((const struct sockaddr *)&sin, 4, 19092, 0), 0);
}

int main(void)
{
        test_choose();
        test_choose_not_ipv4();
        return test_summary("devbroker_bindport");
}
