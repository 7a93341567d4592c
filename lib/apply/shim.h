/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What nvidia-container-runtime does to a bundle on `create` (features.md
 * §4.1, §4.4). A container that asks for no GPU is never touched. For one
 * that does, the mode decides:
 *   legacy   our prestart hook is added once; it mounts into the running
 *            container (apply/live.c)
 *   jit-cdi  the plan is written into config.json as container edits: runc
 *            makes the mounts, device nodes and cgroup rules itself, and
 *            one createContainer hook of nvidia-cdi-hook does the rest (or
 *            the runtime itself, after create: post-create.h)
 *   cdi      the CDI devices named by the container are resolved from the
 *            spec dirs and their edits written into config.json
 *   auto     cdi when every requested device is a CDI name, else jit-cdi
 *            (legacy when no nvidia-cdi-hook is installed)
 */
#ifndef NVCR_APPLY_SHIM_H
#define NVCR_APPLY_SHIM_H

#include "apply/post-create.h"
#include "config/config.h"
#include "nvcr.h"

struct shim_paths {
        const char *hook;     /* nvidia-container-runtime-hook; NULL = not found */
        const char *cdi_hook; /* nvidia-cdi-hook; NULL = not found */
        const char *config;   /* config.toml the legacy hook is told (-config); NULL = default */
};

/*
 * Returns 0 when the bundle was left as it was (no GPU asked for, or our hook
 * is already there), 1 when config.json was rewritten (atomically, unknown
 * fields kept), < 0 on error (nothing changed). *phase names the failing
 * phase for the message ("requirement", "device", …; "" for spec errors).
 * `post`: NULL when the caller cannot run anything after create; else, in
 * jit-cdi mode where post-create.h allows it, the hook chain is left out
 * of config.json and put into post->argv for the caller to run
 * (post_create_run) once `<runtime> create` has succeeded.
 */
int shim_prepare_bundle(const struct nvcr_config *cfg, const char *bundle,
                        const struct shim_paths *paths, struct post_create *post,
                        const char **phase, struct nvcr_err *err);

#endif
