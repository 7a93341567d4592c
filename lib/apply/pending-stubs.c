/* SPDX-License-Identifier: Apache-2.0 */
/* TEMPORARY: weak stand-ins while ldconfig.c and cgroup*.c are being written. Removed when they land. */
#include "apply/cgroup.h"
#include "apply/ldconfig.h"
#include "core/err.h"

__attribute__((weak)) int ldconfig_prepare(const char *spec, bool allow_container,
                                           struct ldconfig_exec *ret, struct nvcr_err *err)
{
        (void)spec;
        (void)allow_container;
        ret->memfd = -1;
        return nvcr_err_set(err, ENOENT, "ldconfig: not built yet");
}

__attribute__((weak)) void ldconfig_exec_clear(struct ldconfig_exec *e)
{
        (void)e;
}

__attribute__((weak)) int ldconfig_run(const struct ldconfig_exec *e, const char *rootfs,
                                       const char *const *dirs, size_t ndirs, uid_t uid,
                                       gid_t gid, bool no_pivot, struct nvcr_err *err)
{
        (void)e, (void)rootfs, (void)dirs, (void)ndirs, (void)uid, (void)gid, (void)no_pivot;
        return nvcr_err_set(err, ENOENT, "ldconfig: not built yet");
}

__attribute__((weak)) int cgroup_allow_devices(pid_t pid, const struct plan_devrule *rules,
                                               size_t n, struct nvcr_err *err)
{
        (void)pid, (void)rules, (void)n;
        return nvcr_err_set(err, ENOSYS, "cgroups: not built yet");
}
