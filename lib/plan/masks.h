/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The tmpfs masks of the plan (features.md §7, security.md §2.5):
 *  - /proc/driver/nvidia: a read-only tmpfs holding copies of the driver's
 *    params (ModifyDeviceFiles forced to 0, so nothing in the container makes
 *    or chmods device nodes), version and registry; the selected GPUs'
 *    directories are bind-mounted into it by the plan's mounts.
 *  - the graphics application profile limiting EGL/Vulkan to the selected GPUs.
 */
#ifndef NVCR_PLAN_MASKS_H
#define NVCR_PLAN_MASKS_H

#include "nvcr.h"
#include "plan/plan.h"

#define PROC_DRIVER_DIR "/proc/driver/nvidia"
#define APP_PROFILE_DIR "/etc/nvidia/nvidia-application-profiles-rc.d"

/* `procdir` is the host procfs setting. */
int masks_add_procfs(struct nvcr_plan *p, const char *procdir, bool with_files,
                     struct nvcr_err *err);
int masks_add_app_profile(struct nvcr_plan *p, const struct nvcr_selection *sel,
                          struct nvcr_err *err);

/* "ModifyDeviceFiles: 1" -> "ModifyDeviceFiles: 0"; everything else kept. Caller frees. */
char *masks_rewrite_params(const char *text);

#endif
