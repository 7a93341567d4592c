/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libnvcr: the library behind nvidia-container-cli and the other binaries of
 * the project. Every binary is a thin main over these calls.
 *
 * Conventions:
 *  - A call that can fail returns int: >= 0 on success, a negative errno on
 *    failure, and fills the caller-owned struct nvcr_err (may be NULL) with a
 *    message naming what failed, on which path, and why.
 *  - The library never prints and never exits; it reports through the log
 *    callback set with nvcr_ctx_set_log() and through struct nvcr_err.
 *  - Objects come in new/free pairs (nvcr_ctx_new, nvcr_ctx_free); free accepts NULL.
 */
#ifndef NVCR_H
#define NVCR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NVCR_PUBLIC __attribute__((visibility("default")))

/* ---------------------------------------------------------------- errors */

#define NVCR_ERR_MSG_MAX 1024

struct nvcr_err {
        int code; /* positive errno, 0 = no error */
        char msg[NVCR_ERR_MSG_MAX];
};

NVCR_PUBLIC void nvcr_err_clear(struct nvcr_err *err);

/* ---------------------------------------------------------------- context */

enum nvcr_log_level {
        NVCR_LOG_DEBUG = 0,
        NVCR_LOG_INFO,
        NVCR_LOG_WARNING,
        NVCR_LOG_ERROR,
};

typedef void (*nvcr_log_fn)(void *userdata, enum nvcr_log_level level, const char *file, int line,
                            const char *msg);

/*
 * Host input paths and other settings. Each has the real default, so the
 * binaries work unmodified on a real host; tests point them at a simulated
 * GPU host.
 */
enum nvcr_setting {
        NVCR_SET_ROOT = 0,        /* driver root, default "/" */
        NVCR_SET_LDCACHE,         /* ld.so.cache inside the driver root, "/etc/ld.so.cache" */
        NVCR_SET_PROC,            /* host procfs, "/proc" */
        NVCR_SET_SYS,             /* host sysfs, "/sys" */
        NVCR_SET_DEV,             /* host /dev, default "<root>/dev" */
        NVCR_SET_CACHE_DIR,       /* NVML answer cache, "/run/nvidia-container-toolkit"; "" = off */
        NVCR_SET_LIB_SEARCH_PATH, /* appends one more library directory (inside root) */
        NVCR_SET_NVML_USER,       /* "UID[:GID]" the NVML helper runs as, default 65534 */
        NVCR_SET_MODPROBE,        /* modprobe binary, "/sbin/modprobe" */
        NVCR_SET__MAX,
};

struct nvcr_ctx;

NVCR_PUBLIC int nvcr_ctx_new(struct nvcr_ctx **ret, struct nvcr_err *err);
NVCR_PUBLIC void nvcr_ctx_free(struct nvcr_ctx *ctx);
NVCR_PUBLIC int nvcr_ctx_set(struct nvcr_ctx *ctx, enum nvcr_setting key, const char *value,
                             struct nvcr_err *err);
/* The effective value of a setting (defaults applied); never NULL. */
NVCR_PUBLIC const char *nvcr_ctx_get(const struct nvcr_ctx *ctx, enum nvcr_setting key);
NVCR_PUBLIC void nvcr_ctx_set_log(struct nvcr_ctx *ctx, nvcr_log_fn fn, void *userdata);

NVCR_PUBLIC const char *nvcr_version(void);

/* ------------------------------------------------------------- capabilities */

enum nvcr_cap {
        NVCR_CAP_COMPUTE = 1u << 0,
        NVCR_CAP_UTILITY = 1u << 1,
        NVCR_CAP_VIDEO = 1u << 2,
        NVCR_CAP_GRAPHICS = 1u << 3,
        NVCR_CAP_DISPLAY = 1u << 4,
        NVCR_CAP_NGX = 1u << 5,
        NVCR_CAP_COMPAT32 = 1u << 6,
        NVCR_CAP_ALL = (1u << 7) - 1,
};

/*
 * Parses a comma list of capability names ("compute,utility", "all").
 * Empty tokens are skipped; an unknown name is -EINVAL naming it.
 */
NVCR_PUBLIC int nvcr_caps_parse(const char *list, unsigned *ret, struct nvcr_err *err);

/* ---------------------------------------------------------------- inventory */

struct nvcr_devnode {
        char *path; /* host path as seen from the driver root, e.g. "/dev/nvidia0" */
        unsigned major;
        unsigned minor;
};

struct nvcr_mig {
        unsigned gi;          /* GPU instance id */
        unsigned ci;          /* compute instance id */
        char *uuid;           /* "MIG-…" from NVML, NULL when NVML was not asked */
        char *gi_caps_path;   /* /proc/driver/nvidia/capabilities/gpuN/mig/giX */
        char *ci_caps_path;   /* …/giX/ciY */
        unsigned gi_cap_minor; /* minor of /dev/nvidia-caps/nvidia-capM for the gi access file */
        unsigned ci_cap_minor;
        bool has_gi_cap_minor;
        bool has_ci_cap_minor;
};

struct nvcr_gpu {
        unsigned index;     /* position in PCI bus id order (NVML order) */
        unsigned minor;     /* N of /dev/nvidiaN */
        char *model;        /* procfs "Model" */
        char *uuid;         /* "GPU-…" */
        char *bus_id;       /* "00000000:01:00.0" (32-bit domain, NVML form) */
        char *proc_dir;     /* name of its directory under /proc/driver/nvidia/gpus */
        char *brand;        /* NVML, NULL when unknown */
        char *arch;         /* compute capability "9.0", NULL when unknown */
        char *mig_caps_path; /* /proc/driver/nvidia/capabilities/gpuN/mig, NULL if absent */
        bool mig_enabled;
        struct nvcr_devnode node;
        size_t nmigs;
        struct nvcr_mig *migs;
};

enum nvcr_file_kind {
        NVCR_FILE_LIB = 0,
        NVCR_FILE_LIB32,
        NVCR_FILE_BIN,
        NVCR_FILE_IPC,
        NVCR_FILE_FIRMWARE,
};

struct nvcr_driver_file {
        char *path;   /* path inside the driver root (the host view without the root prefix) */
        char *soname; /* libraries: DT_SONAME read from the file, else NULL */
        unsigned caps; /* the capabilities that want this file */
        enum nvcr_file_kind kind;
};

/* What nvcr_inventory_load() is asked to find. */
enum nvcr_inventory_flags {
        NVCR_INV_FILES = 1u << 0, /* driver libraries, binaries, ipcs, firmware */
        NVCR_INV_NVML = 1u << 1,  /* CUDA version, brand, arch, MIG UUIDs (cached) */
        NVCR_INV_NO_CACHE = 1u << 2, /* ask NVML even when the cache is valid */
};

/* Why a piece of the inventory is missing (bits of nvcr_inventory.missing). */
enum nvcr_missing {
        NVCR_MISSING_NVML = 1u << 0, /* NVML could not be loaded or failed */
};

struct nvcr_inventory {
        char *driver_version; /* "580.159.04", from /proc/driver/nvidia/version */
        char *cuda_version;   /* "13.0", NULL when unknown */
        size_t ngpus;
        struct nvcr_gpu *gpus; /* sorted by index */
        size_t ndevs;
        struct nvcr_devnode *devs; /* nvidiactl, nvidia-uvm, nvidia-uvm-tools, nvidia-modeset: those present */
        size_t nfiles;
        struct nvcr_driver_file *files; /* in discovery order: per kind, per capability table */
        unsigned missing;
        char *nvml_error; /* why NVML answers are missing */
        bool nvml_from_cache;
        /* character-device majors from /proc/devices; 0 = absent */
        unsigned major_nvidia;
        unsigned major_uvm;
        unsigned major_caps;
        unsigned major_imex;
        char *mig_config_path;  /* /proc/driver/nvidia/capabilities/mig/config, NULL if absent */
        char *mig_monitor_path; /* …/mig/monitor */
        unsigned mig_config_minor, mig_monitor_minor;
        bool has_mig_config_minor, has_mig_monitor_minor;
};

NVCR_PUBLIC int nvcr_inventory_load(struct nvcr_ctx *ctx, unsigned flags,
                                    struct nvcr_inventory **ret, struct nvcr_err *err);
NVCR_PUBLIC void nvcr_inventory_free(struct nvcr_inventory *inv);

/* -------------------------------------------------------- device selection */

struct nvcr_selection {
        size_t ngpus;
        const struct nvcr_gpu **gpus; /* in index order, no duplicates */
        size_t nmigs;
        const struct nvcr_mig **migs;
        const struct nvcr_gpu **mig_parents; /* parent of migs[i] */
        bool all;
};

/*
 * Selects devices by the reference grammar: a comma list of "all", "none",
 * indices, "GPU-<uuid>" (or a unique prefix), PCI bus ids, "MIG-<uuid>" and
 * "<gpu>:<mig>". Selecting a MIG device adds its parent GPU. An unknown id is
 * -ENOENT with the message "<ID>: unknown device".
 */
NVCR_PUBLIC int nvcr_select_devices(const struct nvcr_inventory *inv, const char *list,
                                    struct nvcr_selection **ret, struct nvcr_err *err);
NVCR_PUBLIC void nvcr_selection_free(struct nvcr_selection *sel);
/* True when the list names a MIG device by UUID (so NVML answers are needed). */
NVCR_PUBLIC bool nvcr_devices_need_nvml(const char *list);

/* ------------------------------------------------------------ kernel modules */

/*
 * modprobe nvidia, nvidia_uvm, nvidia_modeset and create the missing host
 * nodes /dev/nvidiactl, /dev/nvidiaN, /dev/nvidia-uvm(-tools) with the majors
 * of /proc/devices. Every failure is logged as a warning, never fatal, as in
 * the reference tools. Does nothing inside a user namespace.
 */
NVCR_PUBLIC void nvcr_load_kmods(struct nvcr_ctx *ctx);

#ifdef __cplusplus
}
#endif

#endif
