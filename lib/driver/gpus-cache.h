/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The GPUs procfs lists, kept between container starts.
 *
 * Each GPU's /proc/driver/nvidia/gpus/<bus>/information is produced by the
 * driver when read: ~0.3 ms per GPU on an H100 host, at every start, for
 * answers (minor, bus id, model, UUID) that only change when the driver is
 * reloaded or a GPU goes away. They are kept in the cache directory
 * ("procfs-gpus", root's alone) with what they are valid for: the boot id,
 * the names under gpus/ and the identity (cache_identity) of each GPU's
 * directory and information file. A driver reload makes new procfs
 * entries, so new identities; a GPU that goes away takes its directory
 * with it. Anything that differs is a miss and procfs is read again.
 */
#ifndef NVCR_DRIVER_GPUS_CACHE_H
#define NVCR_DRIVER_GPUS_CACHE_H

#include <stddef.h>

#include "core/ctx.h"
#include "driver/procfs.h"

/*
 * The file's first lines: format, procfs path, boot id. Taken once for both
 * the load and the store; NULL when the boot id cannot be read (no cache).
 */
char *gpus_cache_header(struct nvcr_ctx *ctx, int procfd);

/* 0 and the GPUs (sorted by bus id, caller frees) on a hit; -ENOENT on a miss. */
int gpus_cache_load(struct nvcr_ctx *ctx, int procfd, const char *head, struct procfs_gpu **ret,
                    size_t *ret_n);

/* Best effort: remembers what procfs_read_gpus returned. */
void gpus_cache_store(struct nvcr_ctx *ctx, int procfd, const char *head,
                      const struct procfs_gpu *v, size_t n);

#endif
