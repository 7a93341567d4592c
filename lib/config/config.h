/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /etc/nvidia-container-runtime/config.toml (features.md §4.5), with the
 * reference's defaults for every key that is absent. Unknown keys are
 * ignored, as the reference's decoder does; a known key of the wrong type,
 * an enum value outside its set or an ldconfig that is not host-relative
 * ('@') without features.allow-ldconfig-from-container is an error naming
 * the file and the line.
 *
 * Every string is a heap copy ("" where the reference's default is empty);
 * every string list is NULL-terminated (empty = { NULL }).
 */
#ifndef NVCR_CONFIG_CONFIG_H
#define NVCR_CONFIG_CONFIG_H

#include <stdbool.h>

#include "nvcr.h"

#define NVCR_CONFIG_DEFAULT_PATH "/etc/nvidia-container-runtime/config.toml"

enum nvcr_config_mode {
        NVCR_MODE_AUTO = 0,
        NVCR_MODE_LEGACY,
        NVCR_MODE_CDI,
        NVCR_MODE_JIT_CDI,
        NVCR_MODE_CSV,
};

enum nvcr_cuda_compat_mode {
        NVCR_CUDA_COMPAT_LDCONFIG = 0,
        NVCR_CUDA_COMPAT_DISABLED,
        NVCR_CUDA_COMPAT_HOOK,
        NVCR_CUDA_COMPAT_MOUNT,
};

/* [nvidia-container-cli] */
struct nvcr_config_cli {
        char *debug;           /* "" = none */
        char **environment;    /* [] */
        char *ldcache;         /* "" = the CLI's default, /etc/ld.so.cache */
        char *ldconfig;        /* "@/sbin/ldconfig"; '@' = host path; ".real": the caller's */
        bool load_kmods;       /* true */
        bool no_cgroups;       /* false */
        bool no_pivot;         /* false */
        char *path;            /* "" = look nvidia-container-cli up in PATH */
        char *root;            /* "" = / */
        char *user;            /* "" */
};

/* [nvidia-container-runtime] and its modes.* tables */
struct nvcr_config_runtime {
        char *debug;           /* "/dev/null" */
        char *log_level;       /* "info"; lower-cased, one of the logrus levels */
        enum nvcr_config_mode mode;             /* auto */
        char **runtimes;       /* ["runc", "crun"] */
        struct {
                char **annotation_prefixes;     /* ["cdi.k8s.io/"] */
                char *default_kind;             /* "nvidia.com/gpu" */
                char **spec_dirs;               /* ["/etc/cdi", "/var/run/cdi"] */
        } cdi;
        struct {
                /* "/etc/nvidia-container-runtime/host-files-for-container.d" */
                char *mount_spec_path;
                char *compat_container_root; /* "" */
        } csv;
        struct {
                char **nvcdi_feature_flags;     /* [] */
                char **nvcdi_disable_hooks;     /* [] */
        } jit_cdi;
        struct {
                enum nvcr_cuda_compat_mode cuda_compat_mode; /* ldconfig */
        } legacy;
};

/* [features]: every flag false when absent */
struct nvcr_config_features {
        bool allow_cuda_compat_libs_from_container;
        bool allow_ldconfig_from_container;
        bool allow_unknown_oci_spec_fields;
        bool disable_cuda_compat_lib_hook;
        bool disable_imex_channel_creation;
        bool ignore_imex_channel_requests;
        bool no_additional_gids_for_device_nodes;
};

struct nvcr_config {
        bool accept_nvidia_visible_devices_as_volume_mounts;        /* false */
        bool accept_nvidia_visible_devices_envvar_when_unprivileged; /* true */
        bool disable_require;                                       /* false */
        /* "compat32,compute,display,graphics,ngx,utility,video" */
        char *supported_driver_capabilities;
        char *swarm_resource;  /* "" */
        struct nvcr_config_cli cli;
        struct nvcr_config_runtime runtime;
        struct {
                char *path;                     /* "nvidia-container-runtime-hook" */
                bool skip_mode_detection;       /* false */
        } hook;                 /* [nvidia-container-runtime-hook] */
        struct {
                char *path;                     /* "nvidia-ctk" */
        } ctk;                  /* [nvidia-ctk] */
        struct nvcr_config_features features;
};

/* "/etc/nvidia-container-runtime/config.toml". The library reads no
 * environment: $NVIDIA_CTK_CONFIG_FILE_PATH and --config are the caller's. */
const char *config_default_path(void);

/* *ret = every default. -ENOMEM. */
int config_defaults(struct nvcr_config *ret, struct nvcr_err *err);

/*
 * Defaults, overridden by the file at `path` (NULL = config_default_path()).
 * A missing file is no error. The file is opened with O_NOFOLLOW (a symlink
 * is -EPERM) and must be a regular file; when the caller runs as root (euid
 * 0) it must also be owned by root and not writable by group or others, else
 * -EPERM. Parse, type and value errors are -EINVAL with "<path>:<line>: ...".
 * On failure *ret is left zeroed (config_free is still safe on it).
 */
int config_load(const char *path, struct nvcr_config *ret, struct nvcr_err *err);

/* Same, from a buffer (`name` used in messages); no file checks. */
int config_parse(const char *name, const char *buf, size_t len, struct nvcr_config *ret,
                 struct nvcr_err *err);

/* Frees what *cfg holds and zeroes it; a zeroed config is fine. */
void config_free(struct nvcr_config *cfg);

const char *config_mode_name(enum nvcr_config_mode mode);
const char *config_cuda_compat_mode_name(enum nvcr_cuda_compat_mode mode);

#endif
