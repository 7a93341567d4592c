/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ldconfig in the container, sandboxed (DESIGN.md §4, security.md §2.6, §2.8):
 * a child in fresh pid, ipc, net, uts and mount namespaces pivots into the
 * rootfs, mounts empty read-only tmpfs over /proc, /sys and /dev, sets
 * rlimits, drops capabilities, loads a seccomp allow-list and execs ldconfig
 * with an empty environment and fds 0-2 only.
 *
 * A host ldconfig ("@/path") is opened on the host before joining the
 * container and copied into a sealed memfd, which is what gets exec'd: the
 * container can never reach the host binary's inode. A container path runs
 * only when allowed, and then with no host device and no network.
 */
#ifndef NVCR_APPLY_LDCONFIG_H
#define NVCR_APPLY_LDCONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "nvcr.h"

struct ldconfig_exec {
        int memfd;        /* sealed copy of the host binary, -1 for a container ldconfig */
        char *path;       /* the configured path without "@" (for messages and argv[0]) */
        bool from_host;
        /* Set by the caller before ldconfig_run: join the net/ipc/uts namespaces
           of this pidfd's process (the container) instead of making new ones. */
        bool join_ns;
        int ns_pidfd;
};

/*
 * Step 1, in the host mount namespace. `spec` is "@/host/path" or a container
 * path; NULL means the host default: "@/sbin/ldconfig.real" when it exists,
 * else "@/sbin/ldconfig". A host binary must be a regular file owned by root,
 * not writable by group or others (-EPERM otherwise). A container path with
 * allow_container false is -EPERM ("refusing to run the container's ldconfig …").
 * A missing host binary is -ENOENT.
 *
 * Additions: "@/sbin/ldconfig" is taken as "@/sbin/ldconfig.real" when that
 * exists (Ubuntu's /sbin/ldconfig is a shell wrapper, which cannot run from a
 * memfd), as NVIDIA's toolkit normalises it; a host binary that is not ELF is
 * -ENOEXEC; a path that is not absolute is -EINVAL. ret is always
 * initialised, so ldconfig_exec_clear() is safe after a failure.
 */
int ldconfig_prepare(const char *spec, bool allow_container, struct ldconfig_exec *ret,
                     struct nvcr_err *err);
void ldconfig_exec_clear(struct ldconfig_exec *e);

/*
 * Step 2, in the container's mount namespace (the caller has joined it).
 * Runs `ldconfig -f /etc/ld.so.conf -C /etc/ld.so.cache DIR...` inside
 * `rootfs` (a path in the current mount namespace) as uid/gid, waits for it.
 * A container ldconfig that does not exist is success (nothing to update),
 * as in the reference. A non-zero exit is -EIO with
 * "process <path> failed with error code: N"; killed by a signal or past its
 * 10 s CPU limit likewise, naming the signal.
 *
 * Additions: each DIR must be absolute (-EINVAL; "-x" would be an option to
 * ldconfig), at most LDCONFIG_MAX_DIRS of them; the sandbox failing to set
 * up is its own error, nothing ran then; past the 30 s wall-clock limit the
 * process is killed and the result is -ETIMEDOUT.
 */
int ldconfig_run(const struct ldconfig_exec *e, const char *rootfs, const char *const *dirs,
                 size_t ndirs, uid_t uid, gid_t gid, bool no_pivot, struct nvcr_err *err);

#define LDCONFIG_MAX_DIRS 64

/* The seccomp allow-list ldconfig runs under (NULL-terminated syscall names). */
extern const char *const ldconfig_syscalls[];

#endif
