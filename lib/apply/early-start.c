/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "apply/early-start.h"
#include "core/err.h"
#include "core/macro.h"
#include "core/timing.h"

extern char **environ;

bool early_start_suits(const char *path)
{
        const char *off = getenv("NVCR_EARLY_START");
        const char *base = strrchr(path, '/');

        if (off != NULL && strcmp(off, "0") == 0)
                return false;
        base = base != NULL ? base + 1 : path;
        return strcmp(base, "runc") == 0 || strcmp(base, "docker-runc") == 0;
}

int early_start_begin(struct early_start *e)
{
        struct nvcr_err ignored = {0};
        pid_t pid;

        if (e->argv == NULL || e->pid > 0 || e->bundlefd < 0)
                return 0;
        /* No FIFO or exchange on this filesystem: config.json is written first, as usual. */
        if (spec_fifo_swap_in(&e->fifo, e->bundlefd, &ignored) < 0)
                return 0;
        /* glibc's posix_spawn is a vfork-style clone: no copy of our address space. */
        if (posix_spawn(&pid, e->argv[0], NULL, NULL, e->argv, environ) != 0) {
                (void)spec_fifo_restore(&e->fifo, &ignored);
                return 0;
        }
        /* Every wait on the FIFO also watches the runtime's exit, which needs its pidfd. */
        e->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        e->pid = pid;
        if (e->pidfd < 0) {
                early_start_abort(e, &ignored);
                return 0;
        }
        timing_mark("runtime started early");
        return 1;
}

void early_start_abort(struct early_start *e, struct nvcr_err *err)
{
        struct nvcr_err rerr = {0};

        if (e->pid > 0) {
                /* It waits for the end of config.json, which it never got: it did nothing yet. */
                (void)kill(e->pid, SIGKILL);
                while (waitpid(e->pid, NULL, 0) < 0 && errno == EINTR)
                        ;
                e->pid = 0;
        }
        if (spec_fifo_restore(&e->fifo, &rerr) < 0 && err != NULL) {
                size_t n = strlen(err->msg);

                (void)snprintf(err->msg + n, sizeof(err->msg) - n, "%s%s", n ? "; " : "",
                               rerr.msg);
                if (err->code == 0)
                        err->code = rerr.code;
        }
        early_start_clear(e);
}

void early_start_settle(struct early_start *e)
{
        int wait_ms = 1;

        /*
         * runc's decoder stops at the end of the document and never waits
         * for the end of the file, and usually runc opens the regular file
         * anyway (it is in place long before runc looks): then the pipe is
         * never read and is let go when runc exits. A reader that does wait
         * for the end gets it once the pipe is empty; the checks back off
         * (1, 2, 4 … 64 ms) so that a create costs a few wakeups, not one
         * per millisecond of runc's work.
         */
        while (e->pid > 0 && !spec_fifo_drained(&e->fifo)) {
                struct pollfd p = {.fd = e->pidfd, .events = POLLIN};

                if (e->pidfd < 0 || poll(&p, 1, wait_ms) != 0) {
                        spec_fifo_close(&e->fifo);
                        break;
                }
                if (wait_ms < 64)
                        wait_ms *= 2;
        }
}

void early_start_clear(struct early_start *e)
{
        spec_fifo_close(&e->fifo);
        if (e->pidfd >= 0)
                (void)close(e->pidfd);
        e->pidfd = -1;
}
