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
#include "core/strv.h"

#define PARAMS "/proc/driver/nvidia/params"

void post_create_clear(struct post_create *pc)
{
        strv_free(pc->argv);
        pc->argv = NULL;
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

int post_create_run(const struct post_create *pc, pid_t pid, struct nvcr_err *err)
{
        _cleanup_close_ int procfd = -EBADF, rootfd = -EBADF, mntfd = -EBADF, ourmnt = -EBADF,
                            params = -EBADF;
        _cleanup_(strv_freep) char **argv = NULL;
        char dir[32];
        bool same;
        int r, status;

        if (pc->argv == NULL)
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
        /* Its root would be ours: the work is only ever done inside a container's tree. */
        if (same)
                return nvcr_err_set(err, EINVAL,
                                    "process %d shares our mount namespace: not a container's",
                                    (int)pid);
        /* The host's params, read here: the container's /proc is its own mount. */
        params = open(PARAMS, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (params < 0 && errno != ENOENT)
                return nvcr_err_setsys(err, errno, "%s", PARAMS);
        argv = strv_copy((const char *const *)pc->argv);
        if (argv == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        status = cdi_hook_run_in_root((int)strv_len((const char *const *)argv), argv, "nvidia-container-runtime",
                                      rootfd, mntfd, params);
        if (status != 0)
                return nvcr_err_set(err, EIO, "the GPU setup of the created container failed "
                                              "(see the message above)");
        return 0;
}
