/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The safe-path layer: resolve a path inside a directory tree (a driver root
 * now, the hostile container rootfs later) so that nothing - absolute
 * symlinks, "..", /proc magic links, components swapped by a racer - can lead
 * outside it. Resolution is done by the kernel with
 * openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS); on kernels without
 * openat2 a component walk with O_NOFOLLOW does the same in user space.
 * Callers get an fd, never a string built from the root path.
 */
#ifndef NVCR_SAFEPATH_IN_ROOT_H
#define NVCR_SAFEPATH_IN_ROOT_H

#include "nvcr.h"

/*
 * Opens `path` (absolute or relative; always taken as relative to the root)
 * inside the tree of `rootfd` with `flags` (O_CLOEXEC is added). Symlinks are
 * followed but confined to the root; the last component too unless flags
 * has O_NOFOLLOW. O_CREAT is refused here (creation has its own calls later).
 */
int in_root_open(int rootfd, const char *path, int flags, struct nvcr_err *err);

/*
 * Resolves `path` inside the root and returns the resolved path relative to
 * the root, starting with "/" (e.g. "/usr/lib/x86_64-linux-gnu/libcuda.so.580.1").
 * `root` is the canonical path of rootfd's directory, used to strip the prefix.
 */
int in_root_resolve(int rootfd, const char *root, const char *path, char **ret,
                    struct nvcr_err *err);

/* For tests: force the user-space walk even where openat2 exists. */
void in_root_force_fallback(int on);

#endif
