/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/err.h"
#include "core/macro.h"
#include "safepath/in-root.h"

#define MAX_SYMLINKS 40
#define MAX_DEPTH 256

static int force_fallback;

void in_root_force_fallback(int on)
{
        force_fallback = on;
}

static int sys_openat2(int dirfd, const char *path, struct open_how *how)
{
        return (int)syscall(SYS_openat2, dirfd, path, how, sizeof(*how));
}

/*
 * User-space walk for kernels without openat2 (< 5.6). Every component is
 * opened with O_PATH|O_NOFOLLOW relative to the previous one; symlink targets
 * are spliced into the remaining path and absolute ones restart at the root;
 * ".." never climbs above the root (a stack of the directory fds walked).
 * Magic links are only ever read as text, never followed by the kernel.
 */
struct walk {
        int stack[MAX_DEPTH];
        int depth; /* stack[0] is a dup of the root */
        int nlinks;
};

static void walk_clear(struct walk *w)
{
        for (int i = 0; i <= w->depth; i++)
                if (w->stack[i] >= 0)
                        (void)close(w->stack[i]);
        w->depth = -1;
}

static int walk_push(struct walk *w, int fd, struct nvcr_err *err)
{
        if (w->depth + 1 >= MAX_DEPTH) {
                (void)close(fd);
                return nvcr_err_set(err, ENAMETOOLONG, "path too deep");
        }
        w->stack[++w->depth] = fd;
        return 0;
}

static int walk_splice(char **rest, const char *target, const char *after, struct nvcr_err *err)
{
        char *n;

        if (asprintf(&n, "%s%s%s", target, after[0] ? "/" : "", after) < 0)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        free(*rest);
        *rest = n;
        return 0;
}

static int walk_symlink(struct walk *w, int fd, char **rest, const char *after,
                        struct nvcr_err *err)
{
        char target[PATH_MAX];
        ssize_t n;

        if (++w->nlinks > MAX_SYMLINKS)
                return nvcr_err_set(err, ELOOP, "too many levels of symbolic links");
        n = readlinkat(fd, "", target, sizeof(target) - 1);
        if (n < 0)
                return nvcr_err_setsys(err, errno, "readlink failed");
        target[n] = '\0';
        if (target[0] == '/') {
                /* Absolute targets restart at the root of the tree. */
                while (w->depth > 0)
                        (void)close(w->stack[w->depth--]);
        }
        return walk_splice(rest, target, after, err);
}

static int walk_step(struct walk *w, char **rest, bool follow_last, int flags,
                     struct nvcr_err *err)
{
        _cleanup_free_ char *comp = NULL;
        _cleanup_close_ int fd = -EBADF;
        char *p = *rest, *slash;
        const char *after;
        bool last;
        struct stat st;

        while (*p == '/')
                p++;
        slash = strchr(p, '/');
        comp = slash ? strndup(p, (size_t)(slash - p)) : strdup(p);
        if (comp == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        after = slash ? slash + 1 : "";
        while (*after == '/')
                after++;
        last = *after == '\0';
        if (comp[0] == '\0' || strcmp(comp, ".") == 0)
                return walk_splice(rest, "", after, err);
        if (strcmp(comp, "..") == 0) {
                if (w->depth > 0)
                        (void)close(w->stack[w->depth--]);
                return walk_splice(rest, "", after, err);
        }
        fd = openat(w->stack[w->depth], comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return nvcr_err_setsys(err, errno, "%s", comp);
        if (fstat(fd, &st) < 0)
                return nvcr_err_setsys(err, errno, "stat %s", comp);
        /* "comp/" (a slash follows, even a trailing one) must be a directory. */
        if (S_ISLNK(st.st_mode) && (!last || follow_last || slash != NULL))
                return walk_symlink(w, fd, rest, last && slash != NULL ? "/" : after, err);
        if (slash != NULL && !S_ISDIR(st.st_mode))
                return nvcr_err_set(err, ENOTDIR, "%s: Not a directory", comp);
        (void)flags;
        if (walk_push(w, steal_fd(&fd), err) < 0)
                return -ENAMETOOLONG;
        return walk_splice(rest, "", after, err);
}

static int open_fallback(int rootfd, const char *path, int flags, struct nvcr_err *err)
{
        struct walk w = {.depth = 0, .nlinks = 0};
        _cleanup_free_ char *rest = strdup(path);
        bool follow_last = !(flags & O_NOFOLLOW);
        char proc[64];
        int r, fd;

        if (rest == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        if (path[0] == '\0') /* as openat2: "" is no file, not the root */
                return nvcr_err_set(err, ENOENT, "empty path");
        w.stack[0] = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
        if (w.stack[0] < 0)
                return nvcr_err_setsys(err, errno, "dup");
        while (rest[0] != '\0') {
                r = walk_step(&w, &rest, follow_last, flags, err);
                if (r < 0) {
                        walk_clear(&w);
                        return r;
                }
        }
        if (flags & O_PATH) {
                struct stat st;

                /* The kernel checks O_DIRECTORY on the reopen below, not on a dup. */
                if ((flags & O_DIRECTORY) &&
                    (fstat(w.stack[w.depth], &st) < 0 || !S_ISDIR(st.st_mode))) {
                        errno = ENOTDIR;
                        fd = -1;
                } else {
                        fd = fcntl(w.stack[w.depth], F_DUPFD_CLOEXEC, 3);
                }
        } else {
                /* Reopen the verified O_PATH fd with the wanted access mode. */
                (void)snprintf(proc, sizeof(proc), "/proc/self/fd/%d", w.stack[w.depth]);
                fd = open(proc, (flags & ~O_NOFOLLOW) | O_CLOEXEC);
        }
        r = fd < 0 ? nvcr_err_setsys(err, errno, "reopen") : fd;
        walk_clear(&w);
        return r;
}

int in_root_open(int rootfd, const char *path, int flags, struct nvcr_err *err)
{
        struct open_how how = {
                .flags = (unsigned long long)(flags | O_CLOEXEC),
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        int fd;

        if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
                return nvcr_err_set(err, EINVAL, "%s: in_root_open does not create files", path);
        if (!force_fallback) {
                /* EAGAIN: a rename raced a ".." walk; the kernel asks for a retry. */
                for (int tries = 0; tries < 32; tries++) {
                        fd = sys_openat2(rootfd, path, &how);
                        if (fd >= 0 || errno != EAGAIN)
                                break;
                }
                if (fd >= 0)
                        return fd;
                if (errno != ENOSYS && errno != EPERM)
                        return nvcr_err_setsys(err, errno, "%s", path);
                /* ENOSYS: no openat2 (< 5.6); EPERM: a seccomp filter refused it. */
        }
        fd = open_fallback(rootfd, path, flags, err);
        if (fd < 0)
                (void)nvcr_err_wrap(err, "%s", path); /* keeps fd's errno when err is NULL */
        return fd;
}

int in_root_resolve(int rootfd, const char *root, const char *path, char **ret,
                    struct nvcr_err *err)
{
        _cleanup_close_ int fd = -EBADF;
        char proc[64], buf[PATH_MAX];
        size_t rlen = strlen(root);
        ssize_t n;
        char *out;

        fd = in_root_open(rootfd, path, O_PATH, err);
        if (fd < 0)
                return fd;
        (void)snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        n = readlink(proc, buf, sizeof(buf) - 1);
        if (n < 0)
                return nvcr_err_setsys(err, errno, "%s: readlink %s", path, proc);
        buf[n] = '\0';
        while (rlen > 1 && root[rlen - 1] == '/')
                rlen--;
        if (strcmp(root, "/") == 0) {
                out = strdup(buf);
        } else {
                /* The kernel confined the walk; a prefix mismatch means a racing rename. */
                if (strncmp(buf, root, rlen) != 0 || (buf[rlen] != '/' && buf[rlen] != '\0'))
                        return nvcr_err_set(err, EXDEV, "%s: resolved outside of %s", path,
                                            root);
                out = strdup(buf[rlen] ? buf + rlen : "/");
        }
        if (out == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        *ret = out;
        return 0;
}
