/* SPDX-License-Identifier: Apache-2.0 */
/* Finds libc's bind() behind the dev broker's interposer (interpose.c). Kept
 * apart because RTLD_NEXT needs _GNU_SOURCE, which interpose.c must not have. */
#include "interpose.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>

typedef int (*realbind_fn)(int, const struct sockaddr *, socklen_t);

static realbind_fn g_real;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void realbind_lookup(void)
{
        void *sym = dlsym(RTLD_NEXT, "bind");

        /* POSIX guarantees a dlsym result converts to a function pointer. */
        memcpy(&g_real, &sym, sizeof(g_real));
}

int realbind_call(int fd, const void *addr, unsigned int len)
{
        pthread_once(&g_once, realbind_lookup);
        if (!g_real) {
                errno = ENOSYS;
                return -1;
        }
        return g_real(fd, (const struct sockaddr *)addr, (socklen_t)len);
}
