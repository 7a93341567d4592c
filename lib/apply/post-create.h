/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jit-cdi without a hook process: what the createContainer hook chain would
 * do in the rootfs (links, CUDA compat, loader cache, the params mask), done
 * by nvidia-container-runtime itself around `<runtime> create`.
 *
 * Why: runc starting one createContainer hook costs ~3 ms at every start
 * (its own fork and exec, our binary's start, the OCI state and config.json
 * read again), and the chain's own work (files made in the rootfs, the
 * loader cache written) ~2 ms more. Here it costs neither: while runc
 * creates the container (tens of milliseconds), the runtime does the
 * chain's work in the bundle's rootfs, which is the tree runc is mounting
 * into; once `create` has returned, only the params mask is left to attach
 * (the container's /proc is runc's mount).
 *
 * The rootfs seen before create differs from the container's view only by
 * the mounts of config.json. runc's own file mounts of the driver are
 * known (the loader cache reads those files from the host); any other
 * mount at or above a path the chain touches (/etc/ld.so.*, the library
 * folder, a link) means the work would land under it: then the hook chain
 * goes into config.json as before. So it does for `run` (the process starts
 * at once), no --pid-file (we could not find the container), a read-only
 * rootfs (runc remounts it before create returns, and hooks run before
 * that), no mount namespace of its own, and a user namespace (a hook runs as
 * the container's root; files we write as the host's root would be owned by
 * another uid there).
 */
#ifndef NVCR_APPLY_POST_CREATE_H
#define NVCR_APPLY_POST_CREATE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cdihook/cdihook.h"
#include "nvcr.h"
#include "oci/spec.h"

struct post_create {
        /* The nvidia-cdi-hook chain: first hook's name, its flags, "--then", …;
           NULL: nothing for the runtime to do. */
        char **argv;
        char *rootfs;                /* the bundle's rootfs (root.path, absolute) */
        struct cdi_hook_file *files; /* runc's file mounts (owned strings) */
        size_t nfiles;
        /* Set by post_create_before: the params mask to attach after create. */
        int mask_tree;
        long params_fstype;
};

#define POST_CREATE_INIT {.mask_tree = -1}

void post_create_clear(struct post_create *pc);

/* Notes a file mount runc makes (container path cleaned here). -ENOMEM. */
int post_create_add_file(struct post_create *pc, const char *path, const char *source);

/*
 * Whether none of the container's own mounts (config.json before our
 * edits) lies at or above a path the chain touches, or inside a folder
 * whose libraries it lists: the bundle's rootfs is then what the chain
 * would see after create.
 */
bool post_create_mounts_fit(const struct post_create *pc, const struct oci_mount *mounts,
                            size_t nmounts);

/*
 * Runs the chain on the bundle's rootfs (call it while `create` runs): the
 * chain's messages go to stderr; -errno and err on failure.
 */
int post_create_before(struct post_create *pc, struct nvcr_err *err);

/* The pid runc wrote to --pid-file (a relative path is the caller's cwd's). */
int post_create_read_pid(const char *pid_file, pid_t *ret, struct nvcr_err *err);

/*
 * After create: attaches the params mask in the container whose init is
 * `pid` (root and mount namespace taken from /proc/PID; refused when that
 * namespace is ours). -errno and err on failure.
 */
int post_create_after(struct post_create *pc, pid_t pid, struct nvcr_err *err);

#endif
