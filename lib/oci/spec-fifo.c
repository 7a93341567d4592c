/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/err.h"
#include "core/fileio.h"
#include "core/macro.h"
#include "oci/spec-fifo.h"

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

void spec_fifo_close(struct spec_fifo *f)
{
        if (f->fd >= 0)
                (void)close(f->fd);
        f->fd = -1;
}

/*
 * renameat2(RENAME_EXCHANGE) by its syscall: musl (which the runtime's front
 * is built with) has no wrapper for it.
 */
static int exchange(int dirfd, const char *a, const char *b)
{
        return (int)syscall(SYS_renameat2, dirfd, a, dirfd, b, RENAME_EXCHANGE);
}

int spec_fifo_swap_in(struct spec_fifo *f, int bundlefd, struct nvcr_err *err)
{
        int r;

        f->dirfd = bundlefd;
        (void)snprintf(f->saved, sizeof(f->saved), ".config.json.fifo.%d", (int)getpid());
        if (mkfifoat(bundlefd, f->saved, 0600) < 0) {
                r = nvcr_err_setsys(err, errno, "mkfifo %s failed", f->saved);
                f->saved[0] = '\0';
                return r;
        }
        /* Read-write: holds the pipe, and the runtime's open never waits for a writer. */
        f->fd = openat(bundlefd, f->saved, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
        if (f->fd < 0) {
                r = nvcr_err_setsys(err, errno, "open %s failed", f->saved);
                goto fail;
        }
        if (exchange(bundlefd, f->saved, "config.json") < 0) {
                r = nvcr_err_setsys(err, errno, "exchange config.json with %s failed", f->saved);
                goto fail;
        }
        return 0;
fail:
        spec_fifo_close(f);
        (void)unlinkat(bundlefd, f->saved, 0);
        f->saved[0] = '\0';
        return r;
}

/*
 * Puts all of buf into the pipe: what does not fit waits for the runtime
 * to read (POLLOUT), or for its exit. -errno on a real error; never EPIPE
 * (we are a reader of the pipe ourselves).
 */
static int fill_pipe(int fd, const char *buf, size_t len, int pidfd)
{
        size_t off = 0;

        /* All of it at once if the pipe can be made that large (64 KiB by default). */
        if (len > 65536 && len <= INT_MAX)
                (void)fcntl(fd, F_SETPIPE_SZ, (int)len);
        while (off < len) {
                ssize_t n = write(fd, buf + off, len - off);
                struct pollfd p[2] = {{.fd = fd, .events = POLLOUT},
                                      {.fd = pidfd, .events = POLLIN}};

                if (n > 0) {
                        off += (size_t)n;
                        continue;
                }
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno != EAGAIN)
                        return -errno;
                if (poll(p, 2, -1) < 0 && errno != EINTR)
                        return -errno;
                /* Gone before reading it all: it failed on its own and said why. */
                if (p[1].revents != 0)
                        return 0;
        }
        return 0;
}

int spec_fifo_feed(struct spec_fifo *f, const char *buf, size_t len, int pidfd,
                   struct nvcr_err *err)
{
        char tmp[256];
        int r;

        r = fill_pipe(f->fd, buf, len, pidfd);
        if (r < 0)
                return nvcr_err_setsys(err, -r, "write to the config.json FIFO failed");
        r = write_file_temp_at(f->dirfd, "config.json", buf, len, 0644, false, tmp, sizeof(tmp),
                               err);
        if (r < 0)
                return nvcr_err_wrap(err, "write config.json");
        if (renameat(f->dirfd, tmp, f->dirfd, "config.json") < 0) {
                r = nvcr_err_setsys(err, errno, "rename %s to config.json failed", tmp);
                (void)unlinkat(f->dirfd, tmp, 0);
                return r;
        }
        (void)unlinkat(f->dirfd, f->saved, 0);
        f->saved[0] = '\0';
        return 0;
}

int spec_fifo_feed_unchanged(struct spec_fifo *f, const char *buf, size_t len, int pidfd,
                             struct nvcr_err *err)
{
        int r = fill_pipe(f->fd, buf, len, pidfd);

        if (r < 0)
                return nvcr_err_setsys(err, -r, "write to the config.json FIFO failed");
        /* The original file itself goes back (the same inode): byte for byte. */
        if (renameat(f->dirfd, f->saved, f->dirfd, "config.json") < 0)
                return nvcr_err_setsys(err, errno, "rename %s to config.json failed", f->saved);
        f->saved[0] = '\0';
        return 0;
}

bool spec_fifo_drained(struct spec_fifo *f)
{
        int left = 0;

        if (f->fd < 0)
                return true;
        if (ioctl(f->fd, FIONREAD, &left) < 0 || left > 0)
                return false;
        spec_fifo_close(f);
        return true;
}

int spec_fifo_restore(struct spec_fifo *f, struct nvcr_err *err)
{
        int r = 0;

        /* The original replaces the FIFO (same inode as before: byte for byte). */
        if (f->saved[0] != '\0' && renameat(f->dirfd, f->saved, f->dirfd, "config.json") < 0)
                r = nvcr_err_setsys(err, errno, "cannot put config.json back from %s", f->saved);
        f->saved[0] = '\0';
        spec_fifo_close(f);
        return r;
}
