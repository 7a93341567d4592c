/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What `nvidia-ctk cdi generate` puts in a spec, computed from the same plan
 * as the other paths: common edits (driver files, control nodes, hooks) and
 * per-device edits (the GPU's nodes), with the `all` capability set and the
 * default container layout (/usr/lib/x86_64-linux-gnu). The spec file itself
 * (kind, cdiVersion, the `all` device, JSON/YAML) is cdi/spec-*.c's job.
 */
#ifndef NVCR_CDI_GENERATE_H
#define NVCR_CDI_GENERATE_H

#include <stdbool.h>
#include <stddef.h>

#include "cdi/edits.h"
#include "nvcr.h"

enum cdi_name_strategy {
        CDI_NAMES_INDEX = 1u << 0,      /* "0", MIG "0:1" */
        CDI_NAMES_UUID = 1u << 1,       /* "GPU-…", "MIG-…" */
        CDI_NAMES_TYPE_INDEX = 1u << 2, /* "gpu0", "mig0:1" */
};

struct cdi_generate_opts {
        unsigned name_strategies;   /* enum cdi_name_strategy bits; 0 = index|uuid */
        const char *hook_path;      /* nvidia-cdi-hook as the spec names it; NULL = /usr/bin/nvidia-cdi-hook */
        const char *ldconfig_path;  /* --ldconfig-path for update-ldcache; NULL = none given */
};

struct cdi_generated_device {
        char *name;                 /* one entry per name strategy: the same GPU twice with index|uuid */
        struct cdi_edits edits;
};

struct cdi_generated {
        struct cdi_edits common;
        struct cdi_generated_device *devices; /* in GPU index order, MIG devices after their parent */
        size_t ndevices;
};

/*
 * Inventory from ctx's host settings (driver root, proc, dev: --driver-root,
 * --dev-root map to NVCR_SET_ROOT / NVCR_SET_DEV), then the plans. Errors:
 * detection errors of the inventory, -ENOMEM.
 */
int cdi_generate(struct nvcr_ctx *ctx, const struct cdi_generate_opts *o, struct cdi_generated *out,
                 struct nvcr_err *err);
void cdi_generated_clear(struct cdi_generated *g);

#endif
