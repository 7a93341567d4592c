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

/*
 * What tells a file or directory from its replacement, as the caches keep
 * it: "dev:ino:size:mtime:ctime" (ns).
 */
#define CACHE_ID_MAX 128
struct stat;
void cache_identity(const struct stat *st, char id[CACHE_ID_MAX]);

/*
 * Whether `s` may be a field of a cache line: present, with no tab or
 * newline (the separators of the cache files' lines).
 */
bool cache_field_ok(const char *s);

/* The whole of cache file `name` (at most `max` bytes); -errno on any miss. */
int cache_read_text(struct nvcr_ctx *ctx, const char *name, size_t max, char **ret);

/*
 * Replaces cache file `name` (0600, the directory made if absent). No fsync:
 * the cache lives in /run, and a lost file is only a miss. Best effort:
 * failures are logged (debug) naming `what`.
 */
void cache_write_text(struct nvcr_ctx *ctx, const char *name, const char *text, size_t len,
                      const char *what);

#endif
