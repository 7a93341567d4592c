/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/fileio.h"
#include "core/macro.h"
#include "oci/spec-fifo.h"

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static void close_fds(struct spec_fifo *f)
{
        if (f->fd >= 0)
                (void)close(f->fd);
        if (f->watch >= 0)
                (void)close(f->watch);
        f->fd = f->watch = -1;
}

int spec_fifo_swap_in(struct spec_fifo *f, int bundlefd, struct nvcr_err *err)
{
        char watched[64];
        int r;

        f->dirfd = bundlefd;
        (void)snprintf(f->saved, sizeof(f->saved), ".config.json.fifo.%d", (int)getpid());
        if (mkfifoat(bundlefd, f->saved, 0600) < 0) {
                r = nvcr_err_setsys(err, errno, "mkfifo %s failed", f->saved);
                f->saved[0] = '\0';
                return r;
        }
        /* Read-write: holds the pipe open, and the runtime's open never waits. */
        f->fd = openat(bundlefd, f->saved, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
        if (f->fd < 0) {
                r = nvcr_err_setsys(err, errno, "open %s failed", f->saved);
                goto fail;
        }
        /* Added after our own open, so the first event is the runtime's. */
        f->watch = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        (void)snprintf(watched, sizeof(watched), "/proc/self/fd/%d", f->fd);
        if (f->watch < 0 || inotify_add_watch(f->watch, watched, IN_OPEN) < 0) {
                r = nvcr_err_setsys(err, errno, "inotify on %s failed", f->saved);
                goto fail;
        }
        if (renameat2(bundlefd, f->saved, bundlefd, "config.json", RENAME_EXCHANGE) < 0) {
                r = nvcr_err_setsys(err, errno, "exchange config.json with %s failed", f->saved);
                goto fail;
        }
        return 0;
fail:
        close_fds(f);
        (void)unlinkat(bundlefd, f->saved, 0);
        f->saved[0] = '\0';
        return r;
}

/* Whether the watch reported an open (the runtime's: nobody else opens it). */
static bool drain_opens(int watch)
{
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        bool opened = false;
        ssize_t n;

        while ((n = read(watch, buf, sizeof(buf))) > 0)
                for (char *p = buf; p < buf + n;) {
                        const struct inotify_event *ev = (const struct inotify_event *)p;

                        opened |= (ev->mask & IN_OPEN) != 0;
                        p += sizeof(*ev) + ev->len;
                }
        return opened;
}

/*
 * Writes what fits of buf[*off..len) without blocking; -errno on a real
 * error (never EPIPE: we are a reader of the pipe ourselves).
 */
static int write_some(int fd, const char *buf, size_t len, size_t *off)
{
        while (*off < len) {
                ssize_t n = write(fd, buf + *off, len - *off);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return errno == EAGAIN ? 0 : -errno;
                *off += (size_t)n;
        }
        return 0;
}

int spec_fifo_feed(struct spec_fifo *f, const char *buf, size_t len, int pidfd,
                   struct nvcr_err *err)
{
        char tmp[256];
        size_t off = 0;
        bool opened = false, exited = false;
        int r;

        /* The regular file first: the runtime is usually still starting. */
        r = write_file_temp_at(f->dirfd, "config.json", buf, len, 0644, false, tmp, sizeof(tmp),
                               err);
        if (r < 0)
                return nvcr_err_wrap(err, "write config.json");
        /* All of it in the pipe at once if it can be (64 KiB by default). */
        if (len > 65536 && len <= INT_MAX)
                (void)fcntl(f->fd, F_SETPIPE_SZ, (int)len);
        for (;;) {
                struct pollfd p[3] = {
                        {.fd = f->watch, .events = POLLIN},
                        {.fd = pidfd, .events = POLLIN},
                        {.fd = f->fd, .events = POLLOUT},
                };

                r = write_some(f->fd, buf, len, &off);
                if (r < 0) {
                        r = nvcr_err_setsys(err, -r, "write to the config.json FIFO failed");
                        goto fail;
                }
                if ((off == len && opened) || exited)
                        break;
                /* The pipe's POLLOUT only while bytes are left (it is always writable after). */
                if (poll(p, off < len ? 3 : 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        r = nvcr_err_setsys(err, errno, "waiting for the runtime to read config.json");
                        goto fail;
                }
                if (p[0].revents & POLLIN)
                        opened |= drain_opens(f->watch);
                /* Gone without reading it all: it failed on its own and said why. */
                if (p[1].revents & (POLLIN | POLLHUP | POLLERR))
                        exited = true;
        }
        /* Before the end of the file: whoever reads config.json after the runtime finds this. */
        if (renameat(f->dirfd, tmp, f->dirfd, "config.json") < 0) {
                r = nvcr_err_setsys(err, errno, "rename %s to config.json failed", tmp);
                goto fail;
        }
        close_fds(f); /* the end of the file for the runtime */
        (void)unlinkat(f->dirfd, f->saved, 0);
        f->saved[0] = '\0';
        return 0;
fail:
        (void)unlinkat(f->dirfd, tmp, 0);
        return r;
}

int spec_fifo_restore(struct spec_fifo *f, struct nvcr_err *err)
{
        int r = 0;

        /* The original replaces the FIFO (same inode as before: byte for byte). */
        if (f->saved[0] != '\0' && renameat(f->dirfd, f->saved, f->dirfd, "config.json") < 0)
                r = nvcr_err_setsys(err, errno, "cannot put config.json back from %s", f->saved);
        f->saved[0] = '\0';
        close_fds(f);
        return r;
}
