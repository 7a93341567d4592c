/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Device cgroup rules for a live container (security.md §2, items 10 and 21):
 * the container's cgroup comes from /proc/<pid>/cgroup and is opened beneath
 * a cgroupfs mount whose fstatfs magic is checked, with no "..", no symlinks,
 * no magic links and no mount crossing.
 *
 * cgroup v1: one "c MAJ:MIN rw" write per rule to devices.allow.
 * cgroup v2: the BPF_CGROUP_DEVICE programs attached to the cgroup decide;
 * every attached program must allow an access, so adding a program cannot
 * widen anything. Each attached program is replaced (BPF_F_REPLACE) by one
 * that first allows our rules, all of them batched, then runs the original
 * program's instructions unchanged. No program attached = no restriction =
 * nothing to do.
 */
#ifndef NVCR_APPLY_CGROUP_H
#define NVCR_APPLY_CGROUP_H

#include <stddef.h>
#include <sys/types.h>

#include "nvcr.h"
#include "plan/plan.h"

enum cgroup_version {
        CGROUP_V1 = 1,
        CGROUP_V2 = 2,
};

/*
 * Finds the cgroup holding pid's devices controller: the v1 "devices"
 * hierarchy when the pid has one and it is mounted, else the unified (v2)
 * hierarchy. Returns an O_PATH|O_DIRECTORY fd of the cgroup directory and
 * its version. `procdir` is the real procfs ("/proc"); the cgroupfs mounts
 * come from procdir/self/mountinfo.
 */
int cgroup_open_for_pid(const char *procdir, pid_t pid, int *ret_fd, enum cgroup_version *ret_ver,
                        struct nvcr_err *err);

int cgroup_v1_allow(int cgfd, const struct plan_devrule *rules, size_t n, struct nvcr_err *err);
int cgroup_v2_allow(int cgfd, const struct plan_devrule *rules, size_t n, struct nvcr_err *err);

/* Both steps for a pid. */
int cgroup_allow_devices(pid_t pid, const struct plan_devrule *rules, size_t n,
                         struct nvcr_err *err);

#endif
