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
        NVCR_INV_NO_CACHE = 1u << 2, /* search and ask NVML even when the caches are valid */
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
/*
 * The same, searching only the driver files of `caps` (enum nvcr_cap; the
 * utility libraries are always searched, and 32-bit ones only with
 * NVCR_CAP_COMPAT32): what a container start needs, without the cost of
 * probing for everything.
 */
NVCR_PUBLIC int nvcr_inventory_load_caps(struct nvcr_ctx *ctx, unsigned flags, unsigned caps,
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

/* ------------------------------------------------------------ requirements */

/*
 * Evaluates --require expressions (features.md §1.4): in one expression,
 * whitespace-separated clauses are ORed and comma-separated terms ANDed;
 * several expressions are ANDed. A term is "<name><op><value>" with names
 * cuda, driver, arch, brand (case-insensitive) and ops = != < <= > >=.
 * Evaluated once per selected GPU (a MIG device by its parent GPU); with no
 * GPU selected, once with arch/brand taken as satisfied. Unknown cuda/driver
 * versions count as satisfied.
 *   -EINVAL  "invalid expression" (syntax), nothing evaluated
 *   -EPERM   "unsatisfied condition: <first clause of the failing expression>"
 *            (+ ", please update your driver to a newer version, or use an
 *            earlier cuda container" when that clause starts with "cuda>=")
 */
NVCR_PUBLIC int nvcr_require_check(const struct nvcr_inventory *inv,
                                   const struct nvcr_selection *sel, const char *const *exprs,
                                   size_t nexprs, struct nvcr_err *err);

/* True when the expressions need what only NVML knows (cuda, arch, brand). */
NVCR_PUBLIC bool nvcr_requires_need_nvml(const char *const *exprs, size_t nexprs);

/* --------------------------------------------------------------- configure */

/* What to do with /usr/local/cuda/compat in the image (CUDA forward compatibility). */
enum nvcr_compat_mode {
        NVCR_COMPAT_LDCONFIG = 0, /* add the compat dir to the ldconfig run (default: no image file is mounted) */
        NVCR_COMPAT_MOUNT,        /* bind the newer compat libs next to the driver libs */
        NVCR_COMPAT_DISABLED,     /* ignore them */
};

enum nvcr_request_flags {
        NVCR_REQ_NO_CGROUPS = 1u << 0,        /* leave the device cgroup alone */
        NVCR_REQ_NO_DEVBIND = 1u << 1,        /* no device node bind mounts (cgroup rules still added) */
        NVCR_REQ_NO_PERSISTENCED = 1u << 2,   /* no nvidia-persistenced socket */
        NVCR_REQ_NO_FABRICMANAGER = 1u << 3,  /* no fabric manager socket */
        NVCR_REQ_NO_GSP_FIRMWARE = 1u << 4,   /* no GSP firmware files */
        NVCR_REQ_NO_PIVOT = 1u << 5,          /* ldconfig sandbox: MS_MOVE + chroot instead of pivot_root */
        NVCR_REQ_ALLOW_CONTAINER_LDCONFIG = 1u << 6, /* a non-"@" ldconfig (the image's) may run, sandboxed */
        NVCR_REQ_NO_LDCONFIG = 1u << 7,       /* do not run ldconfig at all */
        /* A plan for a CDI spec, written before any container exists: rootfs
           and pid are not used, the library directories are the Debian
           multiarch ones (the CUDA images' layout), no compat libraries are
           looked for (a hook does that at start), files are root's. */
        NVCR_REQ_NO_ROOTFS = 1u << 8,
        /* A plan the runtime writes into config.json (jit-cdi): carried out by
           runc and the hooks, so what only the live applier needs (the
           contents of the procfs mask) is not read. */
        NVCR_REQ_FOR_SPEC = 1u << 9,
};

/* A configure request: what the caller asked for, before looking at the host. */
struct nvcr_request {
        const char *rootfs;   /* absolute path of the container rootfs, not "/" */
        pid_t pid;            /* container init pid; 0 = standalone (current namespaces) */
        const char *devices;  /* selection grammar; NULL or "" = no GPU */
        unsigned caps;        /* enum nvcr_cap bits */
        const char *ldconfig; /* "@/host/path", a container path, or NULL = host default */
        const char *mig_config;   /* "all" or NULL */
        const char *mig_monitor;  /* "all" or NULL */
        const char *imex_channels; /* comma list of channel ids < 2^20, or NULL */
        enum nvcr_compat_mode compat_mode;
        unsigned flags;       /* enum nvcr_request_flags */
};

/*
 * The plan: every mount, device node, symlink, cgroup rule, mask and ldconfig
 * directory a container gets for a request (DESIGN.md §2). It is computed in
 * one place and carried out by the appliers.
 */
struct nvcr_plan;

/*
 * Builds the plan for `req` on the inventory and selection. Reads the rootfs
 * (through the safe-path layer) only to learn its library directories and
 * compat libraries; changes nothing. Errors name the phase in *phase
 * ("input", "mig-config", "mig-monitor", "container", "detection", "mount",
 * "ldcache").
 */
NVCR_PUBLIC int nvcr_plan_build(struct nvcr_ctx *ctx, const struct nvcr_inventory *inv,
                                const struct nvcr_selection *sel, const struct nvcr_request *req,
                                struct nvcr_plan **ret, const char **phase, struct nvcr_err *err);
NVCR_PUBLIC void nvcr_plan_free(struct nvcr_plan *plan);
/* The plan as a JSON document (caller frees). */
NVCR_PUBLIC int nvcr_plan_to_json(const struct nvcr_plan *plan, char **ret, struct nvcr_err *err);

/*
 * Carries the plan out on a live container: joins its mount namespace
 * (by pidfd) unless standalone, mounts, masks, symlinks, runs ldconfig, adds
 * the device cgroup rules. Any failure undoes every mount already made.
 * *phase names the failing phase ("mount", "ldcache", "cgroup", "container").
 */
NVCR_PUBLIC int nvcr_plan_apply(struct nvcr_ctx *ctx, const struct nvcr_plan *plan,
                                const char **phase, struct nvcr_err *err);

/* ------------------------------------------------------------ kernel modules */

/*
 * modprobe nvidia, nvidia_uvm, nvidia_modeset and create the missing host
 * nodes /dev/nvidiactl, /dev/nvidiaN, /dev/nvidia-uvm(-tools) with the majors
 * of /proc/devices. Every failure is logged as a warning, never fatal, as in
 * the reference tools. Does nothing inside a user namespace.
 */
NVCR_PUBLIC void nvcr_load_kmods(struct nvcr_ctx *ctx);

/*
 * The same for one container's capabilities (NVCR_CAP_*): nvidia always,
 * nvidia_uvm only for compute or video (the UVM nodes come with those) and
 * nvidia_modeset only for display. A module already loaded costs a stat; a
 * missing one a fork and exec of modprobe, so a container that cannot use
 * a module does not pay for it at every start.
 */
NVCR_PUBLIC void nvcr_load_kmods_for(struct nvcr_ctx *ctx, unsigned caps);

#ifdef __cplusplus
}
#endif

#endif
