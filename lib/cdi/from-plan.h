/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A plan as container edits: what runc (jit-cdi) or a CDI-aware engine
 * (CDI specs) carries out itself. Driver files and IPC become bind mounts
 * (ro,nosuid,nodev / nosuid,nodev,noexec, rbind, rprivate), device nodes
 * become deviceNodes (created and allowed in the device cgroup by the
 * runtime, so they survive it re-applying cgroups), and what must happen
 * inside the rootfs becomes createContainer hooks of nvidia-cdi-hook, each
 * with an explicit environment (runc 1.1.5 hands the container's own
 * environment, LD_PRELOAD included, to a hook that has none):
 *   create-symlinks, enable-cuda-compat, update-ldcache,
 *   disable-device-node-modification, update-application-profile.
 */
#ifndef NVCR_CDI_FROM_PLAN_H
#define NVCR_CDI_FROM_PLAN_H

#include "cdi/edits.h"
#include "plan/plan.h"

#define CDI_HOOK_DEFAULT_PATH "/usr/bin/nvidia-cdi-hook"

struct cdi_from_plan_opts {
        const char *hook_path;      /* NULL = CDI_HOOK_DEFAULT_PATH */
        const char *ldconfig_path;  /* passed as --ldconfig-path; NULL = none */
        bool no_device_nodes;       /* leave the plan's device nodes out (CDI common edits split) */
        bool no_hooks;              /* leave every hook out (CDI per-device edits) */
        bool no_mounts;             /* leave the driver files out (CDI per-device edits) */
        /* One createContainer hook running the hooks as a chain ("A … --then
           B …", our nvidia-cdi-hook only): one process instead of four at
           each start. CDI specs keep the reference's one hook per job. */
        bool one_hook;
};

/* Appends the plan's edits to *out. -ENOMEM. */
int cdi_edits_from_plan(const struct nvcr_plan *plan, const struct cdi_from_plan_opts *o,
                        struct cdi_edits *out, struct nvcr_err *err);

/* The environment every hook we add carries. */
extern const char *const cdi_hook_env[];

#endif
