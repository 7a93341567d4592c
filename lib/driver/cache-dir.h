/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The cache directory (NVCR_SET_CACHE_DIR, /run/nvidia-container-toolkit):
 * what the NVML answers and the driver's file list are kept in. Only a
 * directory and files that are ours and nobody else can write are trusted:
 * anything odd is a miss, never an error.
 */
#ifndef NVCR_DRIVER_CACHE_DIR_H
#define NVCR_DRIVER_CACHE_DIR_H

#include <stdbool.h>

#include "core/ctx.h"

/* The directory (created 0700 when `create`); -errno when absent, off ("") or untrusted. */
int cache_dir_open(struct nvcr_ctx *ctx, bool create);

/* A regular file in it that is ours and not group/other writable, opened for reading; -errno. */
int cache_file_open(int dirfd, const char *name);

#endif
