/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/fileio.h"
#include "core/macro.h"

int read_fd_all(int fd, size_t max, char **ret, size_t *ret_len, struct nvcr_err *err)
{
        _cleanup_free_ char *buf = NULL;
        size_t cap = 4096, len = 0;

        buf = malloc(cap + 1);
        if (buf == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        for (;;) {
                ssize_t n;

                if (len == cap) {
                        char *nbuf;

                        if (cap >= max)
                                return nvcr_err_set(err, EFBIG, "file larger than %zu bytes",
                                                    max);
                        cap = cap * 2 > max ? max : cap * 2;
                        nbuf = realloc(buf, cap + 1);
                        if (nbuf == NULL)
                                return nvcr_err_set(err, ENOMEM, "out of memory");
                        buf = nbuf;
                }
                n = read(fd, buf + len, cap - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return nvcr_err_setsys(err, errno, "read failed");
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        buf[len] = '\0';
        if (ret_len != NULL)
                *ret_len = len;
        *ret = steal_ptr(&buf);
        return 0;
}

int read_file_at(int dirfd, const char *path, size_t max, char **ret, size_t *ret_len,
                 struct nvcr_err *err)
{
        _cleanup_close_ int fd = -EBADF;
        int r;

        fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return nvcr_err_setsys(err, errno, "open %s failed", path);
        r = read_fd_all(fd, max, ret, ret_len, err);
        if (r < 0)
                return nvcr_err_wrap(err, "%s", path);
        return 0;
}

int write_file_temp_at(int dirfd, const char *name, const void *buf, size_t len, unsigned mode,
                       bool sync, char *tmp, size_t tmpsz, struct nvcr_err *err)
{
        _cleanup_close_ int fd = -EBADF;
        const char *p = buf;
        size_t off = 0;
        int r;

        r = snprintf(tmp, tmpsz, ".%s.tmp.%d", name, (int)getpid());
        if (r < 0 || (size_t)r >= tmpsz)
                return nvcr_err_set(err, ENAMETOOLONG, "%s: name too long", name);
        fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                    (mode_t)mode);
        if (fd < 0)
                return nvcr_err_setsys(err, errno, "create %s failed", tmp);
        while (off < len) {
                ssize_t n = write(fd, p + off, len - off);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = nvcr_err_setsys(err, errno, "write %s failed", tmp);
                        goto fail;
                }
                off += (size_t)n;
        }
        if (fchmod(fd, (mode_t)mode) < 0 || (sync && fsync(fd) < 0)) {
                r = nvcr_err_setsys(err, errno, "sync %s failed", tmp);
                goto fail;
        }
        return 0;
fail:
        /* Leave nothing behind: the temporary file is ours alone (O_EXCL). */
        (void)unlinkat(dirfd, tmp, 0);
        return r;
}

static int write_replace(int dirfd, const char *name, const void *buf, size_t len,
                         unsigned mode, bool sync, struct nvcr_err *err)
{
        char tmp[256];
        int r = write_file_temp_at(dirfd, name, buf, len, mode, sync, tmp, sizeof(tmp), err);

        if (r < 0)
                return r;
        if (renameat(dirfd, tmp, dirfd, name) < 0) {
                r = nvcr_err_setsys(err, errno, "rename %s to %s failed", tmp, name);
                (void)unlinkat(dirfd, tmp, 0);
                return r;
        }
        return 0;
}

int write_file_atomic_at(int dirfd, const char *name, const void *buf, size_t len, unsigned mode,
                         struct nvcr_err *err)
{
        return write_replace(dirfd, name, buf, len, mode, true, err);
}

int write_file_replace_at(int dirfd, const char *name, const void *buf, size_t len,
                          unsigned mode, struct nvcr_err *err)
{
        return write_replace(dirfd, name, buf, len, mode, false, err);
}
