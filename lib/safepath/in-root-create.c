/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/macro.h"
#include "core/testpoint.h"
#include "safepath/in-root-create.h"
#include "safepath/in-root.h"

int fd_path(int fd, char **ret, struct nvcr_err *err)
{
        char proc[64], buf[PATH_MAX];
        ssize_t n;

        (void)snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        n = readlink(proc, buf, sizeof(buf) - 1);
        if (n < 0)
                return nvcr_err_setsys(err, errno, "readlink %s", proc);
        buf[n] = '\0';
        *ret = strdup(buf);
        return *ret ? 0 : nvcr_err_set(err, ENOMEM, "out of memory");
}

int fd_check_in_root(int fd, const char *rootpath, struct nvcr_err *err)
{
        _cleanup_free_ char *p = NULL;
        size_t n = strlen(rootpath);
        int r = fd_path(fd, &p, err);

        if (r < 0)
                return r;
        if (strcmp(rootpath, "/") == 0)
                return 0;
        if (strncmp(p, rootpath, n) != 0 || (p[n] != '/' && p[n] != '\0'))
                return nvcr_err_set(err, EXDEV, "%s: no longer inside the rootfs %s", p,
                                    rootpath);
        return 0;
}

/*
 * What we create in the rootfs belongs to the container's owner. Best effort:
 * in a user namespace the owner may be unmapped (EINVAL), and a root-owned
 * mount point changes nothing about what is mounted on it.
 */
static void give_to_owner(int dirfd, const char *name, uid_t uid, gid_t gid)
{
        if (fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) < 0)
                return;
}

static int valid_name(const char *name, struct nvcr_err *err)
{
        if (name[0] == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
            strchr(name, '/') != NULL || strlen(name) > NAME_MAX)
                return nvcr_err_set(err, EINVAL, "invalid file name \"%s\"", name);
        return 0;
}

/* Opens the just-created or existing directory `name` under dirfd, never via a symlink. */
static int open_dir_nofollow(int dirfd, const char *name, struct nvcr_err *err)
{
        int fd = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

        if (fd < 0)
                return nvcr_err_setsys(err, errno, "%s", name);
        return fd;
}

int in_root_mkdir_p(int rootfd, const char *path, unsigned mode, uid_t uid, gid_t gid,
                    struct nvcr_err *err)
{
        _cleanup_free_ char *copy = strdup(path), *prefix = NULL;
        _cleanup_close_ int cur = -EBADF;
        size_t plen = 0;
        char *save = NULL;

        if (copy == NULL || (prefix = calloc(1, strlen(path) + 2)) == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        cur = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
        if (cur < 0)
                return nvcr_err_setsys(err, errno, "dup");
        for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                int fd, r = valid_name(c, err);

                if (r < 0)
                        return nvcr_err_wrap(err, "%s", path);
                prefix[plen++] = '/';
                memcpy(prefix + plen, c, strlen(c) + 1);
                plen += strlen(c);
                /* Existing components (symlinks too) resolve inside the root. */
                fd = in_root_open(rootfd, prefix, O_PATH | O_DIRECTORY, NULL);
                if (fd == -ENOENT) {
                        if (mkdirat(cur, c, (mode_t)mode) == 0) {
                                fd = open_dir_nofollow(cur, c, err);
                                if (fd < 0)
                                        return nvcr_err_wrap(err, "%s", path);
                                give_to_owner(cur, c, uid, gid);
                        } else if (errno == EEXIST) {
                                /* Raced, or a dangling symlink: resolve once more. */
                                fd = in_root_open(rootfd, prefix, O_PATH | O_DIRECTORY, err);
                                if (fd < 0)
                                        return nvcr_err_wrap(err, "cannot create directory %s",
                                                             path);
                        } else {
                                return nvcr_err_setsys(err, errno, "cannot create directory %s",
                                                       prefix);
                        }
                } else if (fd < 0) {
                        return nvcr_err_setsys(err, -fd, "%s", prefix);
                }
                (void)close(cur);
                cur = fd;
        }
        return steal_fd(&cur);
}

static atomic_uint tmp_counter;

static void tmp_name(char *buf, size_t size)
{
        (void)snprintf(buf, size, ".nvcr-tmp-%d-%u", (int)getpid(),
                       atomic_fetch_add(&tmp_counter, 1));
}

/* Replaces a symlink at name by an empty regular file, without following it. */
static int replace_symlink_by_file(int dirfd, const char *name, uid_t uid, gid_t gid,
                                   struct nvcr_err *err)
{
        char tmp[64];
        int fd;

        tmp_name(tmp, sizeof(tmp));
        fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0)
                return nvcr_err_setsys(err, errno, "cannot create %s", tmp);
        give_to_owner(fd, "", uid, gid);
        (void)close(fd);
        if (renameat(dirfd, tmp, dirfd, name) < 0) {
                int e = errno;

                (void)unlinkat(dirfd, tmp, 0);
                return nvcr_err_setsys(err, e, "cannot replace symlink %s", name);
        }
        return 0;
}

int in_root_mount_target(int dirfd, const char *name, bool want_dir, uid_t uid, gid_t gid,
                         struct nvcr_err *err)
{
        int r = valid_name(name, err);

        if (r < 0)
                return r;
        for (int tries = 0; tries < 4; tries++) {
                _cleanup_close_ int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                struct stat st;

                if (fd >= 0) {
                        if (fstat(fd, &st) < 0)
                                return nvcr_err_setsys(err, errno, "stat %s", name);
                        if (S_ISLNK(st.st_mode)) {
                                if (want_dir)
                                        return nvcr_err_set(err, EEXIST,
                                                            "%s: is a symlink, not a directory",
                                                            name);
                                r = replace_symlink_by_file(dirfd, name, uid, gid, err);
                                if (r < 0)
                                        return r;
                                continue;
                        }
                        if (S_ISDIR(st.st_mode) != want_dir)
                                return nvcr_err_set(err, EEXIST, "%s: exists and is %s", name,
                                                    want_dir ? "not a directory"
                                                             : "a directory");
                        return steal_fd(&fd);
                }
                if (errno != ENOENT)
                        return nvcr_err_setsys(err, errno, "%s", name);
                if (want_dir) {
                        r = mkdirat(dirfd, name, 0755);
                } else {
                        r = openat(dirfd, name,
                                   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
                        if (r >= 0)
                                (void)close(r);
                }
                if (r < 0 && errno != EEXIST)
                        return nvcr_err_setsys(err, errno, "cannot create %s", name);
                if (r >= 0)
                        give_to_owner(dirfd, name, uid, gid);
        }
        return nvcr_err_set(err, EAGAIN, "%s: keeps changing", name);
}

int in_root_symlink(int dirfd, const char *name, const char *target, uid_t uid, gid_t gid,
                    struct nvcr_err *err)
{
        char tmp[64], cur[PATH_MAX];
        struct stat st;
        ssize_t n;
        int r = valid_name(name, err);

        if (r < 0)
                return r;
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
                if (S_ISDIR(st.st_mode))
                        return nvcr_err_set(err, EISDIR, "cannot create symlink %s: is a directory",
                                            name);
                /*
                 * A regular file is the image's own library: left alone. A
                 * FIFO, socket or device at a library's name is no library
                 * (and a FIFO would block ldconfig): replaced, never opened.
                 */
                if (S_ISREG(st.st_mode))
                        return 1;
                n = S_ISLNK(st.st_mode) ? readlinkat(dirfd, name, cur, sizeof(cur) - 1) : -1;
                if (n >= 0 && (size_t)n == strlen(target) && memcmp(cur, target, (size_t)n) == 0)
                        return 0;
        } else if (errno != ENOENT) {
                return nvcr_err_setsys(err, errno, "stat %s", name);
        }
        test_pause("symlink");
        tmp_name(tmp, sizeof(tmp));
        if (symlinkat(target, dirfd, tmp) < 0)
                return nvcr_err_setsys(err, errno, "cannot create symlink %s", name);
        give_to_owner(dirfd, tmp, uid, gid);
        if (renameat(dirfd, tmp, dirfd, name) < 0) {
                int e = errno;

                (void)unlinkat(dirfd, tmp, 0);
                return nvcr_err_setsys(err, e, "cannot create symlink %s", name);
        }
        return 0;
}
