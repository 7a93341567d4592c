/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading and writing engine configuration files. An engine's config is
 * read by a daemon at any time: a reader must see the old file or the new
 * one, never half of one, so every write goes to a temporary file in the
 * same directory that is renamed over the target once it is on disk.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/fileio.h"
#include "core/macro.h"
#include "engine/engine.h"

int engine_read_config(const char *path, char **ret, size_t *ret_len, char **ret_target,
                       struct nvcr_err *err)
{
        _cleanup_free_ char *target = NULL, *buf = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        size_t len = 0;
        int r;

        *ret = NULL;
        if (ret_len != NULL)
                *ret_len = 0;
        if (lstat(path, &st) < 0) {
                if (errno != ENOENT)
                        return nvcr_err_setsys(err, errno, "%s: cannot stat", path);
                target = strdup(path);
        } else if (S_ISLNK(st.st_mode)) {
                /* Follow it as the reference does, but write where it points so
                   that the link survives; a dangling link is refused: creating
                   its target somewhere is not what anyone asked for. */
                target = realpath(path, NULL);
                if (target == NULL)
                        return nvcr_err_setsys(err, errno,
                                               "%s: is a symlink that cannot be resolved", path);
        } else {
                target = strdup(path);
        }
        if (target == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");

        fd = open(target, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                if (errno != ENOENT)
                        return nvcr_err_setsys(err, errno, "%s: cannot open", target);
        } else {
                if (fstat(fd, &st) < 0)
                        return nvcr_err_setsys(err, errno, "%s: cannot stat", target);
                if (!S_ISREG(st.st_mode))
                        return nvcr_err_set(err, EINVAL, "%s: not a regular file", target);
                r = read_fd_all(fd, ENGINE_MAX_CONFIG, &buf, &len, err);
                if (r < 0)
                        return nvcr_err_wrap(err, "%s", target);
        }
        *ret = steal_ptr(&buf);
        if (ret_len != NULL)
                *ret_len = len;
        if (ret_target != NULL)
                *ret_target = steal_ptr(&target);
        return 0;
}

/* mkdir -p dir (0755). */
static int mkdir_parents(const char *dir, struct nvcr_err *err)
{
        _cleanup_free_ char *p = strdup(dir);
        struct stat st;

        if (p == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        for (char *s = p + 1;; s++) {
                bool end = *s == '\0';

                if (*s != '/' && !end)
                        continue;
                *s = '\0';
                if (mkdir(p, 0755) < 0 && errno != EEXIST)
                        return nvcr_err_setsys(err, errno, "cannot create directory %s", p);
                if (end)
                        break;
                *s = '/';
        }
        if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode))
                return nvcr_err_set(err, ENOTDIR, "%s: not a directory", p);
        return 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
        while (len > 0) {
                ssize_t n = write(fd, buf, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return neg_errno();
                buf += n;
                len -= (size_t)n;
        }
        return 0;
}

int engine_write_config(const char *path, const char *buf, size_t len, struct nvcr_err *err)
{
        _cleanup_free_ char *dir = NULL, *tmp = NULL;
        _cleanup_close_ int fd = -EBADF, dfd = -EBADF;
        mode_t mode = 0644;
        uid_t uid = (uid_t)-1;
        gid_t gid = (gid_t)-1;
        const char *slash;
        struct stat st;
        int r;

        slash = strrchr(path, '/');
        if (slash == NULL)
                dir = strdup(".");
        else if (slash == path)
                dir = strdup("/");
        else
                dir = strndup(path, (size_t)(slash - path));
        if (dir == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        if (slash != NULL && slash[1] == '\0')
                return nvcr_err_set(err, EINVAL, "%s: not a file name", path);
        r = mkdir_parents(dir, err);
        if (r < 0)
                return r;
        if (stat(path, &st) == 0) {
                if (!S_ISREG(st.st_mode))
                        return nvcr_err_set(err, EINVAL, "%s: not a regular file", path);
                mode = st.st_mode & 07777;
                uid = st.st_uid;
                gid = st.st_gid;
        }
        if (asprintf(&tmp, "%s/.%s.nvidia-ctk.XXXXXX", dir, slash != NULL ? slash + 1 : path) < 0) {
                tmp = NULL;
                return nvcr_err_set(err, ENOMEM, "out of memory");
        }
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return nvcr_err_setsys(err, errno, "%s: cannot create a temporary file in %s",
                                       path, dir);
        r = write_all(fd, buf, len);
        if (r < 0) {
                r = nvcr_err_setsys(err, -r, "%s: cannot write %s", path, tmp);
                goto fail;
        }
        /* The replaced file's owner and mode: the daemon's packaging may
           rely on them (a group-readable daemon.json, say). */
        if ((uid != (uid_t)-1 && fchown(fd, uid, gid) < 0 && errno != EPERM) ||
            fchmod(fd, mode) < 0) {
                r = nvcr_err_setsys(err, errno, "%s: cannot set the mode of %s", path, tmp);
                goto fail;
        }
        if (fsync(fd) < 0) {
                r = nvcr_err_setsys(err, errno, "%s: cannot sync %s", path, tmp);
                goto fail;
        }
        if (rename(tmp, path) < 0) {
                r = nvcr_err_setsys(err, errno, "%s: cannot rename %s over it", path, tmp);
                goto fail;
        }
        /* The rename itself must survive a crash too. */
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0)
                (void)fsync(dfd);
        return 0;
fail:
        (void)unlink(tmp);
        return r;
}
