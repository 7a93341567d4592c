/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

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
