/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NVML-free discovery from the NVIDIA kernel module's procfs files:
 *   <proc>/driver/nvidia/version              driver version
 *   <proc>/driver/nvidia/gpus/<bus>/information  model, UUID, bus location, minor
 *   <proc>/devices                            character-device majors
 * Every function takes an fd of the procfs directory (the "proc" setting), so
 * tests point it at a simulated tree. Parsers take text and are fuzzed.
 */
#ifndef NVCR_DRIVER_PROCFS_H
#define NVCR_DRIVER_PROCFS_H

#include <stdbool.h>
#include <stddef.h>

#include "nvcr.h"

struct procfs_gpu {
        char *proc_dir; /* directory name under driver/nvidia/gpus, e.g. "0000:00:06.0" */
        char *bus_id;   /* normalised to a 32-bit domain: "00000000:00:06.0" (lower case hex) */
        char *model;    /* "Model:" value, NULL if the line is missing */
        char *uuid;     /* "GPU UUID:" value, NULL if missing */
        unsigned minor; /* "Device Minor:" */
        bool has_minor;
};

struct procfs_majors {
        unsigned nvidia;  /* "nvidia-frontend" or "nvidia" (195 on every real host) */
        unsigned uvm;     /* "nvidia-uvm" */
        unsigned caps;    /* "nvidia-caps" */
        unsigned imex;    /* "nvidia-caps-imex-channels" */
        unsigned nvswitch; /* "nvidia-nvswitch" */
        unsigned nvlink;   /* "nvidia-nvlink" */
};

/* "NVRM version: NVIDIA UNIX … Kernel Module  580.159.04  Release …" -> "580.159.04". */
int procfs_parse_version(const char *text, char **ret, struct nvcr_err *err);
int procfs_read_version(int procfd, char **ret, struct nvcr_err *err);

/*
 * Parses one information file. Requires "Bus Location" (-EINVAL when missing
 * or malformed); other fields optional, a malformed "Device Minor" is -EINVAL.
 * proc_dir is left NULL (procfs_read_gpus fills it). First occurrence of a key wins.
 */
int procfs_parse_information(const char *text, struct procfs_gpu *ret, struct nvcr_err *err);
/*
 * Reads every GPU under driver/nvidia/gpus, sorted by bus_id ascending. No
 * such directory is -ENOENT; a GPU directory without a parsable information
 * file, two directories with one bus id, or more than 1024 GPUs are errors.
 * No GPUs: *ret NULL, *ret_n 0.
 */
int procfs_read_gpus(int procfd, struct procfs_gpu **ret, size_t *ret_n, struct nvcr_err *err);
void procfs_gpu_clear(struct procfs_gpu *g);

/*
 * procfs_read_gpus, read once per context (later calls get a copy of the
 * first answer; the caller owns it, procfs_gpus_free), and between contexts
 * from the cache directory while procfs still shows the same GPUs
 * (gpus-cache.h).
 */
struct nvcr_ctx;
/* procfs_read_majors, read once per context. */
int procfs_read_majors_once(struct nvcr_ctx *ctx, int procfd, struct procfs_majors *ret,
                            struct nvcr_err *err);
int procfs_read_gpus_once(struct nvcr_ctx *ctx, int procfd, struct procfs_gpu **ret,
                          size_t *ret_n, struct nvcr_err *err);
void procfs_gpus_free(struct procfs_gpu *gpus, size_t n);

/* Normalises "0000:01:00.0" / "00000000:01:00.0" / "1:0.0" forms. -EINVAL if malformed. */
int procfs_normalize_bus_id(const char *in, char **ret, struct nvcr_err *err);

/*
 * Parses the "Character devices:" section of /proc/devices (block devices
 * never match; names match exactly). A device that is absent gets major 0;
 * text without a "Character devices:" line at all is -EINVAL.
 */
int procfs_parse_devices(const char *text, struct procfs_majors *ret, struct nvcr_err *err);
int procfs_read_majors(int procfd, struct procfs_majors *ret, struct nvcr_err *err);

/*
 * MIG instances of the GPU with this minor from
 * driver/nvidia/capabilities/gpu<minor>/mig/gi<X>[/ci<Y>]/access: each access
 * file holds "DeviceFileMinor: N" (the minor of /dev/nvidia-caps/nvidia-capN).
 * One nvcr_mig per (gi, ci) pair, sorted by gi then ci; uuid left NULL.
 * Paths returned are as seen from the host: "/proc/driver/nvidia/capabilities/…".
 * No capabilities directory for the GPU = 0 instances, not an error (*ret
 * NULL, *ret_n 0). Entries other than gi<N>/ci<N> directories (N canonical
 * decimal) are ignored; an unreadable access file leaves has_*_cap_minor false.
 */
int procfs_read_migs(int procfd, unsigned gpu_minor, struct nvcr_mig **ret, size_t *ret_n,
                     struct nvcr_err *err);
void procfs_migs_free(struct nvcr_mig *migs, size_t n);
/*
 * Parses an access file's "DeviceFileMinor:" value. -EINVAL when the line is
 * missing or its value is not a decimal number.
 */
int procfs_parse_cap_minor(const char *text, unsigned *ret, struct nvcr_err *err);

#endif
