/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the plan needs to know about the container rootfs, read through the
 * safe-path layer (the rootfs is hostile): its library directories
 * (features.md §2.2), its owner, and the CUDA forward-compatibility libraries
 * it ships.
 */
#ifndef NVCR_PLAN_CONTAINER_LAYOUT_H
#define NVCR_PLAN_CONTAINER_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>

#include "nvcr.h"

/* Debian-style multiarch dirs when /etc/debian_version exists (or rootfd < 0:
   no rootfs), else lib64/lib32/lib. */
int layout_libdirs(int rootfd, char **libdir, char **lib32dir, struct nvcr_err *err);

/*
 * The compat libraries in /usr/local/cuda/compat (regular files named
 * lib*.so.<version>, never symlinks) whose major version is above the host
 * driver's. Only names are returned (no path from the image is ever
 * followed); *ret NULL when there are none.
 */
int layout_compat_libs(int rootfd, unsigned host_major, char ***ret, size_t *ret_n,
                       struct nvcr_err *err);
void layout_strv_free(char **v, size_t n);

#define COMPAT_DIR "/usr/local/cuda/compat"

#endif
