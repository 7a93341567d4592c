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

/*
 * The same hooks (a "--then" chain; argv[0] is the first hook's name) run
 * by the runtime itself on a container it has created (waiting for
 * `start`), with no OCI state to read. The caller stays in its own mount
 * namespace and gives: `rootfd`, the container's root (O_PATH of
 * /proc/PID/root: walks from it see the container's mounts); `mntns_fd`,
 * its mount namespace (the params mask is attached from a child that
 * enters it); `params_fd`, the host's /proc/driver/nvidia/params or -1
 * when the host has no driver. All borrowed. Returns the exit status;
 * messages go to stderr, prefixed with `prog`.
 */
int cdi_hook_run_in_root(int argc, char **argv, const char *prog, int rootfd, int mntns_fd,
                         int params_fd);

#endif
