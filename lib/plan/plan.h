/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The plan (DESIGN.md §2): what a GPU container gets, computed in one place
 * from the inventory and the request, then carried out by an applier. Every
 * container path here is absolute and taken inside the container rootfs;
 * every host path is absolute in the host's mount namespace.
 */
#ifndef NVCR_PLAN_PLAN_H
#define NVCR_PLAN_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "nvcr.h"

enum plan_mount_type {
        PLAN_MOUNT_DRIVER_FILE = 0, /* library, binary, firmware: ro, nosuid, nodev */
        PLAN_MOUNT_DEVICE,          /* char device node: ro, nosuid, noexec (never nodev); rdev checked */
        PLAN_MOUNT_IPC,             /* socket or pipe directory: nosuid, nodev, noexec */
        PLAN_MOUNT_PROC,            /* driver procfs file or dir inside the mask: ro, nosuid, nodev, noexec */
        PLAN_MOUNT_IMAGE_FILE,      /* an image file (compat lib, cuda-compat-mode=mount): source is a
                                       path inside the rootfs, ro, nosuid, nodev */
};

struct plan_mount {
        enum plan_mount_type type;
        char *source;  /* host path (IMAGE_FILE: path inside the rootfs) */
        char *target;  /* container path */
        bool is_dir;   /* source is a directory (MPS pipe dir, a GPU's procfs dir) */
        unsigned major, minor; /* DEVICE: the expected st_rdev of the source */
};

/* A symlink the container gets next to the driver libraries: path -> target. */
struct plan_symlink {
        char *path;
        char *target;
};

/* A device cgroup rule: "c major:minor rw" (the reference never grants mknod). */
struct plan_devrule {
        unsigned major;
        unsigned minor;
};

struct plan_file {
        char *name;    /* relative to the tmpfs, may hold "/" (parents are created) */
        char *content;
        size_t len;
        unsigned mode;
};

/* A tmpfs laid over a container directory and filled with files, then made read-only. */
struct plan_tmpfs {
        char *target;     /* e.g. "/proc/driver/nvidia" */
        unsigned mode;    /* of the tmpfs root, 0555 */
        /* The target must be on the same kind of filesystem as this host
           directory (the driver's procfs: PROC_SUPER_MAGIC on a real host). NULL = no check. */
        char *same_fs_as;
        size_t nfiles;
        struct plan_file *files;
};

struct nvcr_plan {
        char *rootfs;
        pid_t pid;        /* 0 = standalone */
        uid_t uid;        /* container owner: files we create get it */
        gid_t gid;
        char *libdir;     /* container library directory */
        char *lib32dir;   /* NULL when no 32-bit library is planned */
        unsigned caps;
        unsigned flags;   /* enum nvcr_request_flags */
        enum nvcr_compat_mode compat_mode;
        char *driver_version;

        size_t nmasks;
        struct plan_tmpfs *masks;   /* applied first; mounts below them come after */
        size_t nmounts;
        struct plan_mount *mounts;  /* in order */
        size_t nsymlinks;
        struct plan_symlink *symlinks;
        size_t nrules;
        struct plan_devrule *rules; /* empty with NVCR_REQ_NO_CGROUPS */

        char *ldconfig;             /* "@/host/path" or container path; NULL = don't run */
        size_t nldconfig_dirs;
        char **ldconfig_dirs;       /* container dirs, in order (compat dir first) */
};

/* Growing the plan (used by the builder and by tests). -ENOMEM on failure. */
int plan_add_mount(struct nvcr_plan *p, enum plan_mount_type type, const char *source,
                   const char *target, bool is_dir, unsigned major, unsigned minor,
                   struct nvcr_err *err);
int plan_add_symlink(struct nvcr_plan *p, const char *path, const char *target,
                     struct nvcr_err *err);
int plan_add_rule(struct nvcr_plan *p, unsigned major, unsigned minor, struct nvcr_err *err);
int plan_add_ldconfig_dir(struct nvcr_plan *p, const char *dir, struct nvcr_err *err);
struct plan_tmpfs *plan_add_mask(struct nvcr_plan *p, const char *target, unsigned mode,
                                 const char *same_fs_as, struct nvcr_err *err);
int plan_mask_add_file(struct plan_tmpfs *m, const char *name, const char *content, size_t len,
                       unsigned mode, struct nvcr_err *err);

#endif
