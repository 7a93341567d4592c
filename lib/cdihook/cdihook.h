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

#endif
