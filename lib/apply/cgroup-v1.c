/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cgroup v1: the devices controller parses one rule per write(2) to
 * devices.allow, so each "c MAJ:MIN rw" gets its own write. Read and write
 * only, as the reference writes them: the container gets no mknod from us.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "apply/cgroup-parse.h"
#include "apply/cgroup.h"
#include "core/err.h"
#include "core/macro.h"

int cgroup_v1_allow(int cgfd, const struct plan_devrule *rules, size_t n, struct nvcr_err *err)
{
        _cleanup_close_ int fd = -EBADF;
        char path[PATH_MAX];

        if (n == 0)
                return 0;
        cgroup_fd_path(cgfd, path, sizeof(path));
        /* cgfd was opened beneath a checked cgroupfs mount; the file must not be a link. */
        fd = openat(cgfd, "devices.allow", O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return nvcr_err_setsys(err, errno, "opening %s/devices.allow", path);
        for (size_t i = 0; i < n; i++) {
                char rule[64];
                ssize_t w;
                int len;

                len = snprintf(rule, sizeof(rule), "c %u:%u rw", rules[i].major, rules[i].minor);
                if (len < 0 || (size_t)len >= sizeof(rule))
                        return nvcr_err_set(err, EINVAL, "device rule %u:%u too long",
                                            rules[i].major, rules[i].minor);
                do
                        w = write(fd, rule, (size_t)len);
                while (w < 0 && errno == EINTR);
                if (w < 0)
                        return nvcr_err_setsys(err, errno, "writing \"%s\" to %s/devices.allow",
                                               rule, path);
                if (w != len)
                        return nvcr_err_set(err, EIO, "short write of \"%s\" to %s/devices.allow",
                                            rule, path);
        }
        return 0;
}
