/* SPDX-License-Identifier: Apache-2.0 */
/* Signal handling: SIGTERM/SIGINT ask the main loop to stop (a second one
 * exits at once with status 1), SIGHUP sets a reload flag, SIGPIPE is ignored.
 * The handlers only touch lock-free atomics, which is async-signal-safe. */
#include "prahari/sig.h"

#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

static atomic_int g_stop;
static atomic_int g_signals; /* SIGTERM/SIGINT received so far */
static atomic_int g_reload;

static void on_stop_signal(int signo)
{
        (void)signo;
        if (atomic_fetch_add(&g_signals, 1) >= 1)
                _exit(1);
        atomic_store(&g_stop, 1);
}

static void on_hup(int signo)
{
        (void)signo;
        atomic_store(&g_reload, 1);
}

void sig_install(void)
{
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sigemptyset(&sa.sa_mask);
        sa.sa_handler = on_stop_signal;
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        sa.sa_handler = on_hup;
        sa.sa_flags = SA_RESTART;
        sigaction(SIGHUP, &sa, NULL);
        sa.sa_handler = SIG_IGN;
        sigaction(SIGPIPE, &sa, NULL);
}

bool sig_stop_requested(void)
{
        return atomic_load(&g_stop) != 0;
}

bool sig_reload_take(void)
{
        return atomic_exchange(&g_reload, 0) != 0;
}

void sig_request_stop(void)
{
        atomic_store(&g_stop, 1);
}

void sig_reset(void)
{
        atomic_store(&g_stop, 0);
        atomic_store(&g_signals, 0);
        atomic_store(&g_reload, 0);
}
