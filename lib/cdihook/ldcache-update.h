/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Updating a container's loader configuration in-process (no ldconfig run):
 * the library folders are scanned as ldconfig scans a directory (same file
 * selection, same soname links, same cache keys), and /etc/ld.so.cache is
 * rewritten with their entries ahead of the existing ones. Used by
 * update-ldcache and enable-cuda-compat. Internal to lib/cdihook.
 */
#ifndef NVCR_CDIHOOK_LDCACHE_UPDATE_H
#define NVCR_CDIHOOK_LDCACHE_UPDATE_H

#include "cdihook/hook.h"
#include "nvcr.h"

/* Our drop-in files in the container's /etc/ld.so.conf.d. "00-" sorts them
   before the image's; the compat one before the driver's (as the reference:
   00-compat-*, 00-nvcr-*). */
#define LDCONF_DIR "/etc/ld.so.conf.d"
#define LDCONF_COMPAT "00-compat-nvcr.conf"
#define LDCONF_CDI_PREFIX "00-nvcr-cdi"

/*
 * Checks a --folder value and returns it absolute and lexically clean. A
 * folder goes into an ld.so.conf file, one per line: characters that file
 * format would read differently (white space, '#', '=', control characters)
 * are refused.
 */
int ldconf_check_folder(const char *folder, char **ret, struct nvcr_err *err);

/* Writes LDCONF_DIR/name listing the folders; makes /etc/ld.so.conf include LDCONF_DIR when
   the image has none. */
int ldconf_write(struct hook_ctx *h, const char *name, char *const *folders,
                 struct nvcr_err *err);

/* The folders listed in our LDCONF_DIR/name (none when it is absent). Caller strv_free()s. */
int ldconf_read(struct hook_ctx *h, const char *name, char ***ret, struct nvcr_err *err);

/*
 * Rewrites the container's /etc/ld.so.cache: the libraries of `folders` (in
 * order; the loader takes the first entry of a name) followed by the
 * entries of the existing cache. An existing cache that cannot be parsed,
 * or one too large to merge, is replaced (with a warning): the loader was
 * not using it either.
 * `full` folders are scanned whole (the CUDA compat folder); `folders` too,
 * unless `only` names the files to look at in them (our jit-cdi chain: the
 * driver files it mounted and the links it made). Scanning a CUDA image's
 * library directory, hundreds of libraries, costs milliseconds at every
 * start; the image's own libraries are in its cache already.
 */
int ldcache_update_container(struct hook_ctx *h, char *const *full, char *const *folders,
                             char *const *only, struct nvcr_err *err);

/* Writes dirfd/name: a temporary file renamed over it (no fsync: see the .c). */
int hook_write_atomic(int dirfd, const char *name, const void *buf, size_t len, unsigned mode,
                      struct nvcr_err *err);

#endif
