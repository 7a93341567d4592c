/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
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
} t;

static void flush_at_exit(void)
{
        timing_flush();
}

void timing_mark(const char *label)
{
        if (t.state == 0) {
                t.file = getenv("NVCR_TIMING");
                t.state = t.file && t.file[0] == '/' ? 1 : -1;
                if (t.state == 1)
                        (void)atexit(flush_at_exit);
        }
        if (t.state < 0 || t.n >= MAX_MARKS)
                return;
        t.label[t.n] = label;
        (void)clock_gettime(CLOCK_MONOTONIC, &t.at[t.n++]);
}

void timing_flush(void)
{
        char buf[4096];
        size_t len = 0;
        int fd;

        if (t.state <= 0 || t.n == 0)
                return;
        for (size_t i = 0; i < t.n && len < sizeof(buf) - 128; i++) {
                long long us = (long long)(t.at[i].tv_sec - t.at[0].tv_sec) * 1000000 +
                               (t.at[i].tv_nsec - t.at[0].tv_nsec) / 1000;
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
