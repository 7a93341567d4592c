/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What nvidia-container-runtime does to a bundle on `create` (features.md
 * §4.1), legacy mode: a container that asks for a GPU gets our prestart
 * hook, once; any other container's config.json is not touched at all.
 */
#ifndef NVCR_APPLY_SHIM_H
#define NVCR_APPLY_SHIM_H

#include "config/config.h"
#include "nvcr.h"

/*
 * Returns 0 when the bundle was left as it was (no GPU asked for, or our hook
 * is already there), 1 when config.json was rewritten (atomically, unknown
 * fields kept), < 0 on error (nothing changed).
 */
int shim_prepare_bundle(const struct nvcr_config *cfg, const char *bundle, const char *hook_path,
                        const char *config_path, struct nvcr_err *err);

#endif
