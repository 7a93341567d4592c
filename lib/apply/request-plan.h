/* SPDX-License-Identifier: Apache-2.0 */
/*
 * From one container's request (its NVIDIA_* environment, computed by
 * request/container-env.c) to its plan: kernel modules when configured,
 * the inventory of the files its capabilities need, the device selection,
 * the requirements, the plan. Shared by the prestart hook (legacy: the plan
 * is applied to the running container) and the runtime shim (jit-cdi: the
 * plan is written into config.json), so both decide the same way.
 */
#ifndef NVCR_APPLY_REQUEST_PLAN_H
#define NVCR_APPLY_REQUEST_PLAN_H

#include <sys/types.h>

#include "config/config.h"
#include "nvcr.h"
#include "request/container-env.h"

/*
 * `rootfs` absolute; `pid` the container's init (0 = none yet: the runtime
 * shim before `runc create`). *phase names the failing phase as the CLI
 * reports it ("detection", "device", "requirement", "input", …).
 */
int request_plan_build(struct nvcr_ctx *ctx, const struct nvcr_config *cfg,
                       const struct container_request *creq, const char *rootfs, pid_t pid,
                       struct nvcr_plan **ret, const char **phase, struct nvcr_err *err);

#endif
