/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/fileio.h"

#include "core/macro.h"
#include "driver/cache-dir.h"

int cache_dir_open(struct nvcr_ctx *ctx, bool create)
{
        const char *dir = nvcr_ctx_get(ctx, NVCR_SET_CACHE_DIR);
        struct stat st;
        int fd;

        if (dir[0] == '\0')
                return -ENOENT;
        if (create && mkdir(dir, 0700) < 0 && errno != EEXIST)
                return neg_errno();
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return neg_errno();
        /* Only a directory nobody else can write into is trusted. */
        if (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 022)) {
                (void)close(fd);
                return -EPERM;
        }
        return fd;
}

int cache_file_open(int dirfd, const char *name)
{
        struct stat st;
        int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

        if (fd < 0)
                return neg_errno();
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
            (st.st_mode & 022)) {
                (void)close(fd);
                return -EPERM;
        }
        return fd;
}

void cache_identity(const struct stat *st, char id[CACHE_ID_MAX])
{
        (void)snprintf(id, CACHE_ID_MAX, "%llx:%llx:%llx:%lld.%09ld:%lld.%09ld",
                       (unsigned long long)st->st_dev, (unsigned long long)st->st_ino,
                       (unsigned long long)st->st_size, (long long)st->st_mtim.tv_sec,
                       st->st_mtim.tv_nsec, (long long)st->st_ctim.tv_sec, st->st_ctim.tv_nsec);
}

bool cache_field_ok(const char *s)
{
        return s != NULL && strpbrk(s, "\t\n") == NULL;
}

int cache_read_text(struct nvcr_ctx *ctx, const char *name, size_t max, char **ret)
{
        _cleanup_close_ int dfd = cache_dir_open(ctx, false), fd = -EBADF;

        if (dfd < 0)
                return dfd;
        fd = cache_file_open(dfd, name);
        if (fd < 0)
                return fd;
        return read_fd_all(fd, max, ret, NULL, NULL);
}

void cache_write_text(struct nvcr_ctx *ctx, const char *name, const char *text, size_t len,
                      const char *what)
{
        _cleanup_close_ int dfd = cache_dir_open(ctx, true);
        struct nvcr_err err = {0};

        if (dfd < 0) {
                log_debug(ctx, "%s not cached: cache directory %s unusable: %s", what,
                          nvcr_ctx_get(ctx, NVCR_SET_CACHE_DIR), strerror(-dfd));
                return;
        }
        if (write_file_replace_at(dfd, name, text, len, 0600, &err) < 0)
                log_debug(ctx, "%s not cached: %s", what, err.msg);
}
