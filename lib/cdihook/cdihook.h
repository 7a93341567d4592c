/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The CDI createContainer hooks (nvidia-cdi-hook, and `nvidia-ctk hook`):
 * create-symlinks, update-ldcache, enable-cuda-compat,
 * disable-device-node-modification, update-application-profile, chmod, noop.
 * They read the OCI state on stdin and work on the container rootfs only
 * through the safe-path layer.
 */
#ifndef NVCR_CDIHOOK_H
#define NVCR_CDIHOOK_H

#include <stdbool.h>

/*
 * argv[0] is the program's or group's name, argv[1] the hook name.
 * `prog` names the program in messages ("nvidia-cdi-hook",
 * "nvidia-ctk hook"). Returns the exit status.
 */
int cdi_hook_main(int argc, char **argv, const char *prog, bool debug);

/* A file mount runc makes at create: its container path (absolute, clean) and host file. */
struct cdi_hook_file {
        const char *path;
        const char *source;
};

/*
 * The same hooks (a "--then" chain; argv[0] is the first hook's name) run
 * by the runtime itself, before `create` and while runc creates the
 * container (apply/post-create.h), with no OCI state to read:
 *   rootfd     the bundle's rootfs (O_PATH directory), borrowed;
 *   files      the driver files runc mounts into it (read from the host
 *              where the container will see them: the loader cache).
 * Like a hook before pivot_root, it runs where /proc is the host's.
 * disable-device-node-modification only prepares its mount: *mask_tree is
 * the detached mount to attach after create (cdi_hook_attach_mask), or -1
 * when there is nothing to mask; *params_fstype the filesystem type of the
 * host's file. Returns the exit status; messages go to stderr, prefixed
 * with `prog`.
 */
int cdi_hook_run_before_create(int argc, char **argv, const char *prog, int rootfd,
                               const struct cdi_hook_file *files, size_t nfiles, int *mask_tree,
                               long *params_fstype);

/*
 * After create: attaches mask_tree over /proc/driver/nvidia/params of the
 * created container, whose root is `rootfd` (O_PATH of /proc/PID/root) and
 * mount namespace `mntns_fd`. Only the kernel's own file is covered (on
 * procfs or the host file's filesystem); none there: nothing to do.
 * Returns the exit status; messages on stderr.
 */
int cdi_hook_attach_mask(const char *prog, int mask_tree, long params_fstype, int rootfd,
                         int mntns_fd);

#endif
