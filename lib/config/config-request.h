/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What config.toml says about a container's request, in one place for the
 * hook, the runtime shim and the CLI.
 */
#ifndef NVCR_CONFIG_CONFIG_REQUEST_H
#define NVCR_CONFIG_CONFIG_REQUEST_H

#include "config/config.h"
#include "nvcr.h"
#include "request/container-env.h"

/* The knobs of the NVIDIA_* environment rules (features.md §4.3). */
void config_env_knobs(const struct nvcr_config *cfg, struct container_env_knobs *knobs);

/*
 * modes.legacy.cuda-compat-mode as the library's mode: "hook" and
 * "ldconfig" both give the compat dir to ldconfig; "mount" mounts image files
 * only with features.allow-cuda-compat-libs-from-container (CVE-2025-23359).
 */
enum nvcr_compat_mode config_compat_mode(const struct nvcr_config *cfg);

#endif
