/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jit-cdi without a hook process: what the createContainer hook chain would
 * do in the rootfs (links, loader cache, CUDA compat, the params mask), done
 * by nvidia-container-runtime itself once `<runtime> create` has returned.
 *
 * Why: runc starting one createContainer hook costs ~3 ms at every start
 * (its own fork and exec, our binary's start, the OCI state and config.json
 * read again), more than everything else the GPU adds. After `create` the
 * container exists with runc's mounts in place, its init process waits for
 * `start`, and nothing of the image has run: the same work on the same
 * tree, from the runtime, which already knows the chain.
 *
 * Only when it is the same: `create` (not `run`, which starts the process
 * at once) with --pid-file (how we find the container), a writable rootfs
 * (runc remounts a read-only root before create returns), a mount namespace
 * of its own and no user namespace (a hook runs as the container's root;
 * files we write as the host's root would be owned by another uid there).
 * Otherwise the shim writes the hook chain into config.json as before.
 */
#ifndef NVCR_APPLY_POST_CREATE_H
#define NVCR_APPLY_POST_CREATE_H

#include <sys/types.h>

#include "nvcr.h"

struct post_create {
        /* The nvidia-cdi-hook chain: first hook's name, its flags, "--then", …;
           NULL: nothing to do after create. */
        char **argv;
};

void post_create_clear(struct post_create *pc);

/* The pid runc wrote to --pid-file (a relative path is the caller's cwd's). */
int post_create_read_pid(const char *pid_file, pid_t *ret, struct nvcr_err *err);

/*
 * Runs pc->argv on the created container whose init is `pid`: its root is
 * taken as /proc/PID/root (walks from there see the container's mounts; the
 * safe-path layer keeps them inside it), its mount namespace from
 * /proc/PID/ns/mnt. Refused when that namespace is ours. The chain's own
 * messages go to stderr; -errno and err on failure.
 */
int post_create_run(const struct post_create *pc, pid_t pid, struct nvcr_err *err);

#endif
