/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The inventory: everything discovery knows about the host's driver and GPUs.
 * procfs gives the GPUs, majors and MIG instances (no NVML, no device open);
 * driver-files.c the files; NVML, through its cache, only what procfs lacks.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "core/ctx.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/macro.h"
#include "core/timing.h"
#include "driver/driver-files.h"
#include "driver/nvml.h"
#include "driver/procfs.h"

#define NVIDIA_MAJOR_DEFAULT 195 /* every driver since forever; /proc/devices says so too */
#define NVIDIACTL_MINOR 255
#define MODESET_MINOR 254

static void gpu_clear(struct nvcr_gpu *g)
{
        free(g->model);
        free(g->uuid);
        free(g->bus_id);
        free(g->proc_dir);
        free(g->brand);
        free(g->arch);
        free(g->mig_caps_path);
        free(g->node.path);
        procfs_migs_free(g->migs, g->nmigs);
}

void nvcr_inventory_free(struct nvcr_inventory *inv)
{
        if (inv == NULL)
                return;
        free(inv->driver_version);
        free(inv->cuda_version);
        for (size_t i = 0; i < inv->ngpus; i++)
                gpu_clear(&inv->gpus[i]);
        free(inv->gpus);
        for (size_t i = 0; i < inv->ndevs; i++)
                free(inv->devs[i].path);
        free(inv->devs);
        for (size_t i = 0; i < inv->nfiles; i++) {
                free(inv->files[i].path);
                free(inv->files[i].soname);
        }
        free(inv->files);
        free(inv->nvml_error);
        free(inv->mig_config_path);
        free(inv->mig_monitor_path);
        free(inv);
}

static int open_proc(struct nvcr_ctx *ctx, struct nvcr_err *err)
{
        const char *proc = nvcr_ctx_get(ctx, NVCR_SET_PROC);
        int fd = open(proc, O_PATH | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0)
                return nvcr_err_setsys(err, errno, "open %s", proc);
        return fd;
}

/* Moves procfs' view of one GPU into the public struct. */
static int take_gpu(int procfd, struct procfs_gpu *pg, unsigned index, unsigned nvidia_major,
                    struct nvcr_gpu *g, struct nvcr_err *err)
{
        char caps[128];
        struct stat st;
        int r;

        g->index = index;
        g->minor = pg->has_minor ? pg->minor : index;
        g->model = steal_ptr(&pg->model);
        g->uuid = steal_ptr(&pg->uuid);
        g->bus_id = steal_ptr(&pg->bus_id);
        g->proc_dir = steal_ptr(&pg->proc_dir);
        if (asprintf(&g->node.path, "/dev/nvidia%u", g->minor) < 0) {
                g->node.path = NULL;
                return nvcr_err_set(err, ENOMEM, "out of memory");
        }
        g->node.major = nvidia_major;
        g->node.minor = g->minor;
        (void)snprintf(caps, sizeof(caps), "driver/nvidia/capabilities/gpu%u/mig", g->minor);
        if (fstatat(procfd, caps, &st, 0) == 0 && S_ISDIR(st.st_mode) &&
            asprintf(&g->mig_caps_path, "/proc/%s", caps) < 0) {
                g->mig_caps_path = NULL;
                return nvcr_err_set(err, ENOMEM, "out of memory");
        }
        r = procfs_read_migs(procfd, g->minor, &g->migs, &g->nmigs, err);
        if (r < 0)
                return r;
        g->mig_enabled = g->nmigs > 0;
        return 0;
}

static int load_gpus(struct nvcr_ctx *ctx, int procfd, struct nvcr_inventory *inv,
                     struct nvcr_err *err)
{
        struct procfs_gpu *pgs = NULL;
        size_t n = 0;
        int r;

        r = procfs_read_gpus_once(ctx, procfd, &pgs, &n, err);
        if (r < 0)
                return r;
        inv->gpus = calloc(n ? n : 1, sizeof(*inv->gpus));
        if (inv->gpus == NULL) {
                procfs_gpus_free(pgs, n);
                return nvcr_err_set(err, ENOMEM, "out of memory");
        }
        /* procfs_read_gpus sorts by bus id: that order is NVML's, so it is the index. */
        for (size_t i = 0; i < n; i++) {
                inv->ngpus = i + 1;
                r = take_gpu(procfd, &pgs[i], (unsigned)i,
                             inv->major_nvidia ? inv->major_nvidia : NVIDIA_MAJOR_DEFAULT,
                             &inv->gpus[i], err);
                if (r < 0)
                        break;
        }
        procfs_gpus_free(pgs, n);
        return r;
}

static int add_dev(struct nvcr_inventory *inv, int devfd, const char *name, struct nvcr_err *err)
{
        struct nvcr_devnode *n;
        struct stat st;

        if (fstatat(devfd, name, &st, 0) < 0 || !S_ISCHR(st.st_mode))
                return 0; /* absent driver nodes are skipped, as in the reference */
        n = realloc(inv->devs, (inv->ndevs + 1) * sizeof(*n));
        if (n == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        inv->devs = n;
        n[inv->ndevs].major = major(st.st_rdev);
        n[inv->ndevs].minor = minor(st.st_rdev);
        if (asprintf(&n[inv->ndevs].path, "/dev/%s", name) < 0)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        inv->ndevs++;
        return 0;
}

static int load_devs(struct nvcr_ctx *ctx, struct nvcr_inventory *inv, struct nvcr_err *err)
{
        static const char *const names[] = {"nvidiactl", "nvidia-uvm", "nvidia-uvm-tools",
                                            "nvidia-modeset"};
        const char *dev = nvcr_ctx_get(ctx, NVCR_SET_DEV);
        _cleanup_close_ int devfd = open(dev, O_PATH | O_DIRECTORY | O_CLOEXEC);
        int r = 0;

        if (devfd < 0) {
                log_warn(ctx, "cannot open device directory %s: %s", dev, strerror(errno));
                return 0;
        }
        for (size_t i = 0; r == 0 && i < ARRAY_SIZE(names); i++)
                r = add_dev(inv, devfd, names[i], err);
        return r;
}

static int read_cap_minor(int procfd, const char *rel, unsigned *minor, bool *has)
{
        _cleanup_free_ char *text = NULL;

        *has = false;
        if (read_file_at(procfd, rel, 4096, &text, NULL, NULL) < 0)
                return -ENOENT;
        if (procfs_parse_cap_minor(text, minor, NULL) == 0)
                *has = true;
        return 0;
}

static int load_mig_caps(int procfd, struct nvcr_inventory *inv, struct nvcr_err *err)
{
        if (read_cap_minor(procfd, "driver/nvidia/capabilities/mig/config",
                           &inv->mig_config_minor, &inv->has_mig_config_minor) == 0) {
                inv->mig_config_path = strdup("/proc/driver/nvidia/capabilities/mig/config");
                if (inv->mig_config_path == NULL)
                        return nvcr_err_set(err, ENOMEM, "out of memory");
        }
        if (read_cap_minor(procfd, "driver/nvidia/capabilities/mig/monitor",
                           &inv->mig_monitor_minor, &inv->has_mig_monitor_minor) == 0) {
                inv->mig_monitor_path = strdup("/proc/driver/nvidia/capabilities/mig/monitor");
                if (inv->mig_monitor_path == NULL)
                        return nvcr_err_set(err, ENOMEM, "out of memory");
        }
        return 0;
}

static int load_procfs(struct nvcr_ctx *ctx, struct nvcr_inventory *inv, struct nvcr_err *err)
{
        _cleanup_close_ int procfd = open_proc(ctx, err);
        struct procfs_majors majors = {0};
        int r;

        if (procfd < 0)
                return procfd;
        r = procfs_read_version(procfd, &inv->driver_version, err);
        if (r == -ENOENT)
                return nvcr_err_set(err, ENOENT,
                                    "%s/driver/nvidia/version: No such file or directory "
                                    "(is the NVIDIA kernel module loaded?)",
                                    nvcr_ctx_get(ctx, NVCR_SET_PROC));
        if (r < 0)
                return r;
        timing_mark("inv: version");
        r = procfs_read_majors_once(ctx, procfd, &majors, err);
        if (r < 0)
                return r;
        timing_mark("inv: majors");
        inv->major_nvidia = majors.nvidia;
        inv->major_uvm = majors.uvm;
        inv->major_caps = majors.caps;
        inv->major_imex = majors.imex;
        r = load_gpus(ctx, procfd, inv, err);
        if (r < 0)
                return r;
        timing_mark("inv: gpus");
        return load_mig_caps(procfd, inv, err);
}

/* Path of libnvidia-ml inside the driver root, or NULL to let the loader find it. */
static char *nvml_library(struct driver_search *s, struct nvcr_inventory *inv)
{
        for (size_t i = 0; i < inv->nfiles; i++) {
                const char *p = inv->files[i].path, *b = strrchr(p, '/');

                if (inv->files[i].kind == NVCR_FILE_LIB && b &&
                    strncmp(b + 1, "libnvidia-ml.so.", 16) == 0)
                        return strdup(p);
        }
        if (s != NULL) {
                char *path = NULL;

                if (driver_find_library(s, "libnvidia-ml.so", LDCACHE_NATIVE, &path, NULL) == 0)
                        return path;
        }
        return NULL;
}

/*
 * On a cache miss only: find libnvidia-ml through the driver root's cache. A
 * broken ld.so.cache is not fatal here (the loader may still find NVML).
 */
static char *nvml_lookup(struct nvcr_ctx *ctx, struct driver_search *s, struct nvcr_inventory *inv)
{
        struct driver_search own = {.rootfd = -EBADF};
        struct nvcr_err e = {0};
        char *lib;

        if (s != NULL)
                return nvml_library(s, inv);
        if (driver_search_open(ctx, inv->driver_version, &own, &e) < 0) {
                log_warn(ctx, "looking up libnvidia-ml: %s", e.msg);
                return NULL;
        }
        lib = nvml_library(&own, inv);
        driver_search_close(&own);
        return lib;
}

static int nvml_missing(struct nvcr_inventory *inv, const char *why)
{
        inv->missing |= NVCR_MISSING_NVML;
        free(inv->nvml_error);
        inv->nvml_error = strdup(why);
        return 0;
}

static int load_nvml(struct nvcr_ctx *ctx, struct driver_search *s, unsigned flags,
                     struct nvcr_inventory *inv, struct nvcr_err *err)
{
        _cleanup_free_ char *key = NULL, *answers = NULL, *lib = NULL;
        struct nvcr_err qerr = {0};
        int r;

        r = nvml_cache_key(ctx, inv, &key, err);
        if (r < 0)
                return r;
        if (!(flags & NVCR_INV_NO_CACHE) && nvml_cache_load(ctx, key, &answers) == 0) {
                log_debug(ctx, "NVML answers from the cache");
                inv->nvml_from_cache = true;
                return nvml_apply(inv, answers, err);
        }
        lib = nvml_lookup(ctx, s, inv);
        if (nvml_query(ctx, lib, &answers, &qerr) < 0) {
                log_warn(ctx, "NVML unavailable, CUDA version, brand and architecture unknown: %s",
                         qerr.msg);
                return nvml_missing(inv, qerr.msg);
        }
        r = nvml_apply(inv, answers, err);
        if (r < 0)
                return r;
        nvml_cache_store(ctx, key, answers);
        return 0;
}

int nvcr_inventory_load(struct nvcr_ctx *ctx, unsigned flags, struct nvcr_inventory **ret,
                        struct nvcr_err *err)
{
        return nvcr_inventory_load_caps(ctx, flags, NVCR_CAP_ALL, ret, err);
}

int nvcr_inventory_load_caps(struct nvcr_ctx *ctx, unsigned flags, unsigned caps,
                             struct nvcr_inventory **ret, struct nvcr_err *err)
{
        struct nvcr_inventory *inv = calloc(1, sizeof(*inv));
        struct driver_search s = {.rootfd = -EBADF};
        bool searching = false;
        int r;

        if (inv == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        r = load_procfs(ctx, inv, err);
        timing_mark("inv: procfs");
        if (r == 0)
                r = load_devs(ctx, inv, err);
        timing_mark("inv: devs");
        if (r == 0 && (flags & NVCR_INV_FILES)) {
                r = driver_search_open(ctx, inv->driver_version, &s, err);
                searching = r == 0;
                s.caps = caps;
                s.no_cache = (flags & NVCR_INV_NO_CACHE) != 0;
        }
        timing_mark("inv: search opened");
        if (r == 0 && (flags & NVCR_INV_FILES))
                r = driver_files_find(&s, inv, err);
        if (r == 0 && (flags & NVCR_INV_NVML))
                r = load_nvml(ctx, searching ? &s : NULL, flags, inv, err);
        if (searching)
                driver_search_close(&s);
        if (r < 0) {
                nvcr_inventory_free(inv);
                return r;
        }
        *ret = inv;
        return 0;
}
