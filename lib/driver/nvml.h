/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NVML, only for what procfs lacks (CUDA version, compute capability, brand,
 * MIG UUIDs). It is dlopen'ed in a forked helper that chroots into the driver
 * root and drops to an unprivileged user, so a driver library bug never runs
 * with our privileges; its answers travel back as JSON over a pipe and are
 * cached (nvml-cache.c), because opening a GPU can take seconds when
 * persistence mode is off.
 */
#ifndef NVCR_DRIVER_NVML_H
#define NVCR_DRIVER_NVML_H

#include "core/ctx.h"

/*
 * Runs the helper. `lib` is the library path inside the driver root (NULL =
 * let the loader find "libnvidia-ml.so.1"). On success *ret is the JSON text:
 *   {"driver":"580.159.04","cuda":"13.0","gpus":[{"uuid":"GPU-…","minor":0,
 *    "name":"…","brand":"Nvidia","arch":"9.0","mig_mode":0,
 *    "migs":[{"gi":1,"ci":0,"uuid":"MIG-…"}]}]}
 */
int nvml_query(struct nvcr_ctx *ctx, const char *lib, char **ret, struct nvcr_err *err);

/* Fills inv (cuda_version, per-GPU brand/arch/mig uuids, matched by UUID) from the JSON. */
int nvml_apply(struct nvcr_inventory *inv, const char *json, struct nvcr_err *err);

/* The brand name of an nvmlBrandType_t, as the reference prints it. */
const char *nvml_brand_name(int brand);

/*
 * The cache key: everything whose change must invalidate the answers (driver
 * root, driver version, boot id, the GPU set with UUIDs and bus ids, MIG
 * instances). Built from procfs only.
 */
int nvml_cache_key(struct nvcr_ctx *ctx, const struct nvcr_inventory *inv, char **ret,
                   struct nvcr_err *err);
/* -ENOENT on a miss (absent, stale, unsafe owner/mode, unreadable). */
int nvml_cache_load(struct nvcr_ctx *ctx, const char *key, char **ret_json);
/* Best effort: an unwritable cache directory is logged and ignored. */
void nvml_cache_store(struct nvcr_ctx *ctx, const char *key, const char *json);

#endif
