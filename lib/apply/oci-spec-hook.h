/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The runtime shim's legacy-mode edit of config.json (features.md §4.1):
 * one prestart hook running nvidia-container-runtime-hook, added once.
 */
#ifndef NVCR_APPLY_OCI_SPEC_HOOK_H
#define NVCR_APPLY_OCI_SPEC_HOOK_H

#include "nvcr.h"
#include "oci/spec.h"

/* True when a prestart hook of ours (nvidia-container-runtime-hook or the
   reference's nvidia-container-toolkit, by basename) is already there. */
bool spec_has_gpu_hook(const struct oci_spec *spec);

/*
 * Appends {path: hook_path, args: [nvidia-container-runtime-hook, (-config,
 * config_path,) prestart], env: [PATH=…]} to hooks.prestart of the document.
 * The explicit env matters: without one, runc < 1.3 and crun hand a hook the
 * container's or their own environment (CVE-2025-23266).
 * Returns 1 when added, 0 when a GPU hook was already there.
 */
int spec_add_gpu_hook(struct oci_spec *spec, const char *hook_path, const char *config_path,
                      struct nvcr_err *err);

#endif
