/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a container asks for, from its config.json: process.env, mounts and
 * privilege, with the semantics of the reference toolkit
 * (features.md §4.3, DESIGN.md §4b). Only the given env array is read,
 * never the caller's own environment.
 */
#ifndef NVCR_REQUEST_CONTAINER_ENV_H
#define NVCR_REQUEST_CONTAINER_ENV_H

#include <stdbool.h>
#include <stddef.h>

#include "nvcr.h"
#include "oci/spec.h"

#define CONTAINER_SUPPORTED_CAPS_DEFAULT "compat32,compute,display,graphics,ngx,utility,video"
#define CONTAINER_DEVICES_MOUNT_ROOT "/var/run/nvidia-container-devices"

/* The config.toml settings that shape a request. */
struct container_env_knobs {
        bool accept_envvar_unprivileged; /* default true */
        bool accept_volume_mounts;       /* default false */
        const char *swarm_resource;      /* comma list of env names, NULL = none */
        const char *supported_caps;      /* NULL = CONTAINER_SUPPORTED_CAPS_DEFAULT */
        bool disable_require;            /* nvidia-container-cli.disable-require */
        bool ignore_imex_requests;       /* features.ignore-imex-channel-requests */
};

/* The defaults above. */
void container_env_knobs_init(struct container_env_knobs *knobs);

struct container_request {
        bool gpu_container; /* false: leave the container alone (everything below empty) */
        char *devices;      /* device grammar list; NULL when none is requested
                               ("none": driver only, gpu_container still true) */
        unsigned caps;      /* enum nvcr_cap bits, within the supported set */
        char **requires;    /* --require expressions, in env order, then the legacy cuda>= */
        size_t nrequires;
        char *mig_config;   /* NVIDIA_MIG_CONFIG_DEVICES (privileged only), NULL if unset/empty */
        char *mig_monitor;  /* NVIDIA_MIG_MONITOR_DEVICES (privileged only) */
        char *imex_channels; /* comma list of decimal channel ids < 2^20, NULL = none */
        bool from_mounts;   /* the devices came from volume mounts, not the environment */
};

/*
 * Computes the request. `env` holds "NAME=VALUE" strings (others are
 * skipped); when a name repeats, the LAST entry wins, as in the environment
 * an engine builds for the process. `knobs` NULL = defaults.
 *
 * A container that is not a GPU container never fails: *ret is zeroed and
 * 0 returned. Otherwise, -EINVAL / -EPERM with these messages:
 *   "unsupported capabilities found in '<value>' (allowed '<supported>')"
 *   "invalid supported-driver-capabilities '<value>'"
 *   "cannot set MIG_CONFIG_DEVICES in non privileged container" (-EPERM)
 *   "cannot set MIG_MONITOR_DEVICES in non privileged container" (-EPERM)
 *   "invalid IMEX channel '<id>' in <source>"
 *   "invalid CUDA_VERSION '<value>': failed to get version"
 * On failure *ret is left zeroed. Free with container_request_free().
 */
int container_request_compute(const char *const *env, size_t nenv,
                              const struct oci_mount *mounts, size_t nmounts, bool privileged,
                              const struct container_env_knobs *knobs,
                              struct container_request *ret, struct nvcr_err *err);

/* Frees the members and zeroes the struct; NULL is accepted. */
void container_request_free(struct container_request *req);

/*
 * Fills a request skeleton: devices, caps, mig_config, mig_monitor and
 * imex_channels point into `creq` (which must outlive `req`); everything else
 * is zero for the caller to fill (rootfs, pid, flags, …).
 */
void container_request_to_nvcr(const struct container_request *creq, struct nvcr_request *req);

#endif
