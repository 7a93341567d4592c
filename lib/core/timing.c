/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "core/timing.h"

#define MAX_MARKS 64

static struct {
        int state; /* 0 not looked at, 1 on, -1 off */
        const char *file;
        size_t n;
        const char *label[MAX_MARKS];
        struct timespec at[MAX_MARKS];
        struct timespec t0; /* what the marks count from: the first, or the front's (below) */
        bool t0_set;
} t;

#define T0_ENV "NVCR_TIMING_T0"

static void flush_at_exit(void)
{
        timing_flush();
}

void timing_mark(const char *label)
{
        if (t.state == 0) {
                t.file = getenv("NVCR_TIMING");
                t.state = t.file && t.file[0] == '/' ? 1 : -1;
                if (t.state == 1) {
                        /* After the front's exec: one timeline for both (timing_hand_over). */
                        const char *t0 = getenv(T0_ENV);
                        long long sec, nsec;

                        if (t0 != NULL && sscanf(t0, "%lld.%lld", &sec, &nsec) == 2) {
                                t.t0.tv_sec = (time_t)sec;
                                t.t0.tv_nsec = (long)nsec;
                                t.t0_set = true;
                        }
                        (void)unsetenv(T0_ENV);
                        (void)atexit(flush_at_exit);
                }
        }
        if (t.state < 0 || t.n >= MAX_MARKS)
                return;
        t.label[t.n] = label;
        (void)clock_gettime(CLOCK_MONOTONIC, &t.at[t.n]);
        if (!t.t0_set) {
                t.t0 = t.at[t.n];
                t.t0_set = true;
        }
        t.n++;
}

void timing_flush(void)
{
        char buf[4096];
        size_t len = 0;
        int fd;

        if (t.state <= 0 || t.n == 0)
                return;
        for (size_t i = 0; i < t.n && len < sizeof(buf) - 128; i++) {
                long long us = (long long)(t.at[i].tv_sec - t.t0.tv_sec) * 1000000 +
                               (t.at[i].tv_nsec - t.t0.tv_nsec) / 1000;
                int w = snprintf(buf + len, sizeof(buf) - len, "%d %s %lld\n", (int)getpid(),
                                 t.label[i], us);

                if (w > 0)
                        len += (size_t)w;
        }
        t.n = 0;
        /* One append per flush: concurrent processes' lines do not interleave. */
        fd = open(t.file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd >= 0) {
                (void)!write(fd, buf, len);
                (void)close(fd);
        }
}

void timing_hand_over(void)
{
        char v[64];

        if (t.state <= 0 || !t.t0_set)
                return;
        timing_flush();
        (void)snprintf(v, sizeof(v), "%lld.%09ld", (long long)t.t0.tv_sec, t.t0.tv_nsec);
        (void)setenv(T0_ENV, v, 1);
}
