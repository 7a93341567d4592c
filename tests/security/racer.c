/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test helper for tests/security/race.bats: swaps two paths with
 * renameat2(RENAME_EXCHANGE) as fast as it can (CVE-2021-30465 style), so a
 * directory a configure is working in keeps turning into a symlink that points
 * out of the rootfs and back.
 *
 *   racer A B [SECONDS]
 *
 * Runs until killed (SIGTERM/SIGINT) or for SECONDS (default 300). On exit it
 * leaves A and B the way they were at the start (an even number of swaps) and
 * prints "swaps: N" on stdout. Exit 1 when the very first swap fails (wrong
 * paths), 0 otherwise.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
        (void)sig;
        stop = 1;
}

static int exchange(const char *a, const char *b)
{
        return (int)syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
}

int main(int argc, char **argv)
{
        struct sigaction sa;
        unsigned long long swaps = 0, failures = 0, iter = 0;
        time_t end;

        if (argc < 3 || argc > 4) {
                fprintf(stderr, "usage: %s A B [SECONDS]\n", argv[0]);
                return 2;
        }
        end = time(NULL) + (argc == 4 ? atol(argv[3]) : 300);
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        (void)sigaction(SIGTERM, &sa, NULL);
        (void)sigaction(SIGINT, &sa, NULL);
        if (exchange(argv[1], argv[2]) < 0) {
                fprintf(stderr, "racer: renameat2(%s, %s): %s\n", argv[1], argv[2],
                        strerror(errno));
                return 1;
        }
        swaps = 1;
        /* Tell the caller the race is on (it waits for this line). */
        printf("racing\n");
        fflush(stdout);
        while (!stop) {
                if (exchange(argv[1], argv[2]) == 0)
                        swaps++;
                else
                        failures++;
                if ((++iter & 0xfff) == 0 && time(NULL) >= end)
                        break;
        }
        /* Leave both names as they were. */
        while (swaps % 2 != 0) {
                if (exchange(argv[1], argv[2]) == 0)
                        swaps++;
                else if (++failures > 1000000)
                        break;
        }
        printf("swaps: %llu failed: %llu\n", swaps, failures);
        return 0;
}
