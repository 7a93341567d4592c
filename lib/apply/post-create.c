/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apply/post-create.h"
#include "cdihook/cdihook.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/macro.h"
#include "core/path-clean.h"
#include "core/strv.h"
#include "core/timing.h"
#include "plan/container-layout.h"

void post_create_clear(struct post_create *pc)
{
        strv_free(pc->argv);
        pc->argv = NULL;
        free(pc->rootfs);
        pc->rootfs = NULL;
        for (size_t i = 0; i < pc->nfiles; i++) {
                free((char *)pc->files[i].path);
                free((char *)pc->files[i].source);
        }
        free(pc->files);
        pc->files = NULL;
        pc->nfiles = 0;
        if (pc->mask_tree >= 0)
                (void)close(pc->mask_tree);
        pc->mask_tree = -1;
}

int post_create_add_file(struct post_create *pc, const char *path, const char *source)
{
        struct cdi_hook_file *n = reallocarray(pc->files, pc->nfiles + 1, sizeof(*n));
        char *p = NULL, *s;

        if (n == NULL)
                return -ENOMEM;
        pc->files = n;
        if (path_clean("/", path, PATH_DOTDOT_POP, &p, NULL) < 0)
                return -ENOMEM;
        s = strdup(source);
        if (s == NULL) {
                free(p);
                return -ENOMEM;
        }
        n[pc->nfiles++] = (struct cdi_hook_file){.path = p, .source = s};
        return 0;
}

/* `dir` is `path` or one of its ancestors. */
static bool at_or_above(const char *dir, const char *path)
{
        size_t n = strlen(dir);

        if (strcmp(dir, "/") == 0)
                return true;
        return strncmp(dir, path, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* The paths the chain writes or reads in the rootfs ("--link T::L", "--folder D"). */
static int chain_paths(char *const *argv, char ***ret)
{
        static const char *const fixed[] = {"/etc/ld.so.cache", "/etc/ld.so.conf",
                                            "/etc/ld.so.conf.d", COMPAT_DIR};
        _cleanup_(strv_freep) char **v = NULL;

        for (size_t i = 0; i < ARRAY_SIZE(fixed); i++)
                if (strv_push(&v, fixed[i]) < 0)
                        return -ENOMEM;
        for (char *const *a = argv; a && *a; a++) {
                const char *val = NULL, *sep;
                bool link = false;

                if (strcmp(*a, "--link") == 0 || strcmp(*a, "--folder") == 0) {
                        link = (*a)[2] == 'l';
                        val = a[1];
                } else if (strncmp(*a, "--link=", 7) == 0) {
                        link = true;
                        val = *a + 7;
                } else if (strncmp(*a, "--folder=", 9) == 0) {
                        val = *a + 9;
                }
                if (val == NULL)
                        continue;
                if (link && (sep = strstr(val, "::")) != NULL)
                        val = sep + 2;
                {
                        _cleanup_free_ char *clean = NULL;

                        if (path_clean("/", val, PATH_DOTDOT_POP, &clean, NULL) < 0 ||
                            strv_push(&v, clean) < 0)
                                return -ENOMEM;
                }
        }
        *ret = steal_ptr(&v);
        return 0;
}

bool post_create_mounts_fit(const struct post_create *pc, const struct oci_mount *mounts,
                            size_t nmounts)
{
        _cleanup_(strv_freep) char **paths = NULL;

        if (chain_paths(pc->argv, &paths) < 0)
                return false;
        for (size_t i = 0; i < nmounts; i++) {
                _cleanup_free_ char *dst = NULL;

                if (path_clean("/", mounts[i].destination, PATH_DOTDOT_POP, &dst, NULL) < 0)
                        return false;
                for (char **p = paths; p && *p; p++)
                        /* At or above what we touch, or inside a folder we read. */
                        if (at_or_above(dst, *p) || at_or_above(*p, dst))
                                return false;
        }
        return true;
}

int post_create_before(struct post_create *pc, struct nvcr_err *err)
{
        _cleanup_close_ int rootfd = -EBADF;
        _cleanup_(strv_freep) char **argv = NULL;
        int status;

        if (pc->argv == NULL)
                return 0;
        /* root.path comes from the engine's config.json: a host path we may open. */
        rootfd = open(pc->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return nvcr_err_setsys(err, errno, "container rootfs %s", pc->rootfs);
        /* run_chain cuts its argv at each "--then": a copy, pc stays whole. */
        argv = strv_copy((const char *const *)pc->argv);
        if (argv == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        status = cdi_hook_run_before_create((int)strv_len((const char *const *)argv), argv,
                                            "nvidia-container-runtime", rootfd, pc->files,
                                            pc->nfiles, &pc->mask_tree, &pc->params_fstype);
        if (status != 0)
                return nvcr_err_set(err, EIO, "the GPU setup of the container's rootfs failed "
                                              "(see the message above)");
        return 0;
}

int post_create_read_pid(const char *pid_file, pid_t *ret, struct nvcr_err *err)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_close_ int fd = open(pid_file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        char *end = NULL;
        long v;
        int r;

        if (fd < 0)
                return nvcr_err_setsys(err, errno, "cannot open the pid file %s", pid_file);
        r = read_fd_all(fd, 64, &text, NULL, err);
        if (r < 0)
                return nvcr_err_wrap(err, "pid file %s", pid_file);
        errno = 0;
        v = strtol(text, &end, 10);
        if (errno != 0 || end == text || (*end != '\0' && *end != '\n') || v <= 1 || v > INT_MAX)
                return nvcr_err_set(err, EINVAL, "pid file %s: not a pid: \"%.20s\"", pid_file,
                                    text);
        *ret = (pid_t)v;
        return 0;
}

static int same_file(int a, int b, bool *same, struct nvcr_err *err)
{
        struct stat sa, sb;

        if (fstat(a, &sa) < 0 || fstat(b, &sb) < 0)
                return nvcr_err_setsys(err, errno, "cannot stat a mount namespace");
        *same = sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
        return 0;
}

int post_create_after(struct post_create *pc, pid_t pid, struct nvcr_err *err)
{
        _cleanup_close_ int procfd = -EBADF, rootfd = -EBADF, mntfd = -EBADF, ourmnt = -EBADF;
        char dir[32];
        bool same = true; /* set by same_file; the -O3 build cannot see it */
        int r;

        if (pc->mask_tree < 0)
                return 0;
        /* Everything through one fd of the process: root and namespace are of the same one. */
        (void)snprintf(dir, sizeof(dir), "/proc/%d", (int)pid);
        procfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (procfd < 0)
                return nvcr_err_setsys(err, errno, "the container's init process %d", (int)pid);
        rootfd = openat(procfd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return nvcr_err_setsys(err, errno, "the root of the container's process %d",
                                       (int)pid);
        mntfd = openat(procfd, "ns/mnt", O_RDONLY | O_CLOEXEC);
        ourmnt = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
        if (mntfd < 0 || ourmnt < 0)
                return nvcr_err_setsys(err, errno, "the mount namespace of process %d",
                                       (int)pid);
        r = same_file(mntfd, ourmnt, &same, err);
        if (r < 0)
                return r;
        /* Its root would be ours: the mask only ever goes into a container's tree. */
        if (same)
                return nvcr_err_set(err, EINVAL,
                                    "process %d shares our mount namespace: not a container's",
                                    (int)pid);
        if (cdi_hook_attach_mask("nvidia-container-runtime", pc->mask_tree, pc->params_fstype,
                                 rootfd, mntfd) != 0)
                return nvcr_err_set(err, EIO, "the GPU setup of the created container failed "
                                              "(see the message above)");
        timing_mark("mask attached");
        return 0;
}
