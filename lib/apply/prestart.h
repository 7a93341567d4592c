/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The OCI prestart hook's job (features.md §4.2): the OCI state from the
 * runtime, the bundle's config.json, the container's NVIDIA_* request
 * (features.md §4.3), then the same plan and live applier as `configure`,
 * in-process (no nvidia-container-cli exec).
 */
#ifndef NVCR_APPLY_PRESTART_H
#define NVCR_APPLY_PRESTART_H

#include "config/config.h"
#include "nvcr.h"

/*
 * Reads the state from `state_fd` and configures the container. A container
 * that asks for no GPU (NVIDIA_VISIBLE_DEVICES void, empty or unset) is left
 * alone: 0. Errors fill *phase as the CLI's phases ("input", "container",
 * "detection", "device", "requirement", "mount", "ldcache").
 */
int prestart_run(struct nvcr_ctx *ctx, const struct nvcr_config *cfg, int state_fd,
                 const char **phase, struct nvcr_err *err);

/* Applies the [nvidia-container-cli] settings (root, ldcache, user) to the context. */
int prestart_configure_ctx(struct nvcr_ctx *ctx, const struct nvcr_config *cfg,
                           struct nvcr_err *err);

#endif
