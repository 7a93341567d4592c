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

#include "apply/early-start.h"
#include "apply/post-create.h"
#include "config/config.h"
#include "nvcr.h"

/*
 * The helper programs, looked up only when a container needs one: a walk
 * of PATH costs ~0.1 ms at a start, and most containers need at most one
 * of them (none when they ask for no GPU).
 */
struct shim_paths {
        /* Finds a helper by its configured name, else its own name; NULL = not found. */
        char *(*locate)(const char *configured, const char *name);
        const char *hook_name; /* configured nvidia-container-runtime-hook */
        const char *config;    /* config.toml the legacy hook is told (-config); NULL = default */
        char *hook, *cdi_hook; /* found on first use (owned) */
        bool hook_looked, cdi_hook_looked;
};

/* nvidia-container-runtime-hook / nvidia-cdi-hook; NULL = not installed. */
const char *shim_hook(struct shim_paths *p);
const char *shim_cdi_hook(struct shim_paths *p);
void shim_paths_clear(struct shim_paths *p);

/*
 * Returns 0 when the bundle was left as it was (no GPU asked for, or our hook
 * is already there), 1 when config.json was rewritten (atomically, unknown
 * fields kept), < 0 on error (nothing changed). *phase names the failing
 * phase for the message ("requirement", "device", …; "" for spec errors).
 * `post`: NULL when the caller cannot run anything after create; else, in
 * jit-cdi mode where post-create.h allows it, the hook chain is left out
 * of config.json and put into *post for the caller to run around
 * `<runtime> create` (post_create_before, post_create_after). `post` starts
 * as POST_CREATE_INIT.
 * `early`: NULL, or (its argv set) the runtime's create to start before
 * config.json is parsed, when its bytes may ask for a GPU
 * (apply/early-start.h). When
 * early->pid > 0 on return, it runs and has its config.json; on an error,
 * it was never started or has been killed and reaped, and config.json is
 * the original again.
 */
int shim_prepare_bundle(const struct nvcr_config *cfg, const char *bundle,
                        struct shim_paths *paths, struct post_create *post,
                        struct early_start *early, const char **phase, struct nvcr_err *err);

#endif
