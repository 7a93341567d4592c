/* SPDX-License-Identifier: Apache-2.0 */
/*
 * inventory × request → plan. The only place that decides what a GPU
 * container gets (features.md §2): device nodes and their cgroup rules,
 * driver files per capability, procfs masks, symlinks, ldconfig directories.
 * Nothing here changes the host or the container.
 */
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/ctx.h"
#include "core/err.h"
#include "core/macro.h"
#include "plan/container-layout.h"
#include "plan/masks.h"
#include "plan/plan.h"

#define IMEX_CHANNEL_MAX (1u << 20)

struct builder {
        struct nvcr_ctx *ctx;
        const struct nvcr_inventory *inv;
        const struct nvcr_selection *sel;
        const struct nvcr_request *req;
        struct nvcr_plan *p;
        const char **phase;
        struct nvcr_err *err;
};

static const char *base_name(const char *path)
{
        const char *s = strrchr(path, '/');

        return s ? s + 1 : path;
}

/* A path of the driver root as the host sees it. */
static char *host_path(const struct builder *b, const char *path)
{
        const char *root = nvcr_ctx_get(b->ctx, NVCR_SET_ROOT);
        char *r;

        if (asprintf(&r, "%s%s", strcmp(root, "/") == 0 ? "" : root, path) < 0)
                return NULL;
        return r;
}

/* "/proc/driver/nvidia/…" of the host view → the configured procfs. */
static char *host_proc_path(const struct builder *b, const char *path)
{
        const char *proc = nvcr_ctx_get(b->ctx, NVCR_SET_PROC);
        char *r;

        if (strncmp(path, "/proc/", 6) == 0)
                path += 5;
        if (asprintf(&r, "%s%s", proc, path) < 0)
                return NULL;
        return r;
}

static int oom(const struct builder *b)
{
        return nvcr_err_set(b->err, ENOMEM, "out of memory");
}

/* A device node: its cgroup rule, and its bind mount unless --no-devbind. */
static int add_device(const struct builder *b, const char *container_path, unsigned major,
                      unsigned minor)
{
        const char *devdir = nvcr_ctx_get(b->ctx, NVCR_SET_DEV);
        _cleanup_free_ char *src = NULL;
        int r;

        if (!(b->req->flags & NVCR_REQ_NO_CGROUPS)) {
                r = plan_add_rule(b->p, major, minor, b->err);
                if (r < 0)
                        return r;
        }
        if (b->req->flags & NVCR_REQ_NO_DEVBIND)
                return 0;
        /* container_path is "/dev/…"; the host node lives under the dev setting. */
        if (asprintf(&src, "%s%s", devdir, container_path + strlen("/dev")) < 0)
                return oom(b);
        return plan_add_mount(b->p, PLAN_MOUNT_DEVICE, src, container_path, false, major, minor,
                              b->err);
}

static int add_cap_node(const struct builder *b, bool has, unsigned minor)
{
        char path[64];

        if (!has)
                return 0;
        if (b->inv->major_caps == 0) {
                *b->phase = "detection";
                return nvcr_err_set(b->err, ENODEV,
                                    "nvidia-caps device major not found in /proc/devices");
        }
        (void)snprintf(path, sizeof(path), "/dev/nvidia-caps/nvidia-cap%u", minor);
        return add_device(b, path, b->inv->major_caps, minor);
}

static int add_proc(const struct builder *b, const char *host_view, bool is_dir)
{
        _cleanup_free_ char *src = host_proc_path(b, host_view);

        if (src == NULL)
                return oom(b);
        return plan_add_mount(b->p, PLAN_MOUNT_PROC, src, host_view, is_dir, 0, 0, b->err);
}

static int add_control_devices(const struct builder *b)
{
        unsigned caps = b->req->caps;

        for (size_t i = 0; i < b->inv->ndevs; i++) {
                const struct nvcr_devnode *d = &b->inv->devs[i];
                const char *n = base_name(d->path);
                /* UVM goes with the compute libraries, which video brings too. */
                bool want = strcmp(n, "nvidiactl") == 0 ||
                            (strncmp(n, "nvidia-uvm", 10) == 0 &&
                             (caps & (NVCR_CAP_COMPUTE | NVCR_CAP_VIDEO))) ||
                            (strcmp(n, "nvidia-modeset") == 0 && (caps & NVCR_CAP_DISPLAY));
                int r;

                if (!want)
                        continue;
                r = add_device(b, d->path, d->major, d->minor);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int add_gpus(const struct builder *b)
{
        for (size_t i = 0; i < b->sel->ngpus; i++) {
                const struct nvcr_gpu *g = b->sel->gpus[i];
                _cleanup_free_ char *procdir = NULL;
                int r = add_device(b, g->node.path, g->node.major, g->node.minor);

                if (r < 0)
                        return r;
                if (asprintf(&procdir, "%s/gpus/%s", PROC_DRIVER_DIR, g->proc_dir) < 0)
                        return oom(b);
                r = add_proc(b, procdir, true);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < b->sel->nmigs; i++) {
                const struct nvcr_mig *m = b->sel->migs[i];
                _cleanup_free_ char *gi = NULL, *ci = NULL;
                int r;

                if (asprintf(&gi, "%s/access", m->gi_caps_path) < 0 ||
                    asprintf(&ci, "%s/access", m->ci_caps_path) < 0)
                        return oom(b);
                if ((r = add_proc(b, gi, false)) < 0 || (r = add_proc(b, ci, false)) < 0 ||
                    (r = add_cap_node(b, m->has_gi_cap_minor, m->gi_cap_minor)) < 0 ||
                    (r = add_cap_node(b, m->has_ci_cap_minor, m->ci_cap_minor)) < 0)
                        return r;
        }
        return 0;
}

/* --mig-config / --mig-monitor: only "all", and not with specific MIG devices. */
static int add_mig_access(const struct builder *b, const char *value, const char *file,
                          bool has_minor, unsigned minor, const char *phase)
{
        int r;

        if (value == NULL)
                return 0;
        if (strcasecmp(value, "all") != 0) {
                *b->phase = phase;
                return nvcr_err_set(b->err, EINVAL, "only 'all' devices are currently supported");
        }
        if (b->sel->nmigs > 0 && !b->sel->all) {
                *b->phase = phase;
                return nvcr_err_set(b->err, EINVAL,
                                    "cannot be used with specific MIG devices selected");
        }
        if (file == NULL) {
                *b->phase = phase;
                return nvcr_err_set(b->err, ENOENT, "MIG capability file not found in %s",
                                    nvcr_ctx_get(b->ctx, NVCR_SET_PROC));
        }
        if ((r = add_proc(b, file, false)) < 0 || (r = add_cap_node(b, has_minor, minor)) < 0)
                return r;
        /* Every selected GPU's MIG management files and their nodes. */
        for (size_t i = 0; i < b->sel->ngpus; i++) {
                const struct nvcr_gpu *g = b->sel->gpus[i];

                if (g->mig_caps_path == NULL)
                        continue;
                if ((r = add_proc(b, g->mig_caps_path, true)) < 0)
                        return r;
                for (size_t j = 0; j < g->nmigs; j++)
                        if ((r = add_cap_node(b, g->migs[j].has_gi_cap_minor,
                                              g->migs[j].gi_cap_minor)) < 0 ||
                            (r = add_cap_node(b, g->migs[j].has_ci_cap_minor,
                                              g->migs[j].ci_cap_minor)) < 0)
                                return r;
        }
        return 0;
}

static int add_imex(const struct builder *b)
{
        _cleanup_free_ char *copy = NULL;
        char *save = NULL;

        if (b->req->imex_channels == NULL)
                return 0;
        copy = strdup(b->req->imex_channels);
        if (copy == NULL)
                return oom(b);
        save = copy; /* strsep, not strtok: an empty id is an error, not skipped */
        for (char *t = strsep(&save, ","); t; t = strsep(&save, ",")) {
                char *end, path[80];
                unsigned long v;
                int r;

                errno = 0;
                v = strtoul(t, &end, 10);
                if (t[0] < '0' || t[0] > '9' || *end != '\0' || errno != 0 ||
                    v >= IMEX_CHANNEL_MAX) {
                        *b->phase = "input";
                        return nvcr_err_set(b->err, EINVAL, "unsupported IMEX channel value: %s",
                                            t);
                }
                if (b->inv->major_imex == 0) {
                        *b->phase = "detection";
                        return nvcr_err_set(b->err, ENODEV,
                                            "IMEX channels requested but the driver has no "
                                            "nvidia-caps-imex-channels device");
                }
                (void)snprintf(path, sizeof(path), "/dev/nvidia-caps-imex-channels/channel%lu", v);
                r = add_device(b, path, b->inv->major_imex, (unsigned)v);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The links the loader and applications look for besides the sonames. */
static int add_extra_symlinks(const struct builder *b, const char *dir, const char *name,
                              const char *soname)
{
        char path[4096], target[512];

        if (strncmp(name, "libcuda.so.", 11) == 0 && soname != NULL) {
                (void)snprintf(path, sizeof(path), "%s/libcuda.so", dir);
                return plan_add_symlink(b->p, path, soname, b->err);
        }
        if (strncmp(name, "libnvidia-opticalflow.so.", 25) == 0 && soname != NULL) {
                (void)snprintf(path, sizeof(path), "%s/libnvidia-opticalflow.so", dir);
                return plan_add_symlink(b->p, path, soname, b->err);
        }
        if (strncmp(name, "libGLX_nvidia.so.", 17) == 0) {
                (void)snprintf(path, sizeof(path), "%s/libGLX_indirect.so.0", dir);
                (void)snprintf(target, sizeof(target), "%s", name);
                return plan_add_symlink(b->p, path, target, b->err);
        }
        return 0;
}

static int add_library(const struct builder *b, const struct nvcr_driver_file *f, const char *dir)
{
        _cleanup_free_ char *src = host_path(b, f->path), *dst = NULL, *link = NULL;
        const char *name = base_name(f->path);
        int r;

        if (src == NULL || asprintf(&dst, "%s/%s", dir, name) < 0)
                return oom(b);
        r = plan_add_mount(b->p, PLAN_MOUNT_DRIVER_FILE, src, dst, false, 0, 0, b->err);
        if (r < 0)
                return r;
        /*
         * The soname link, so the loader finds the library in the default
         * directory even before (or without) an ld.so.cache entry.
         */
        if (f->soname != NULL && strcmp(f->soname, name) != 0 && strchr(f->soname, '/') == NULL) {
                if (asprintf(&link, "%s/%s", dir, f->soname) < 0)
                        return oom(b);
                r = plan_add_symlink(b->p, link, name, b->err);
                if (r < 0)
                        return r;
        }
        return add_extra_symlinks(b, dir, name, f->soname);
}

static bool ipc_wanted(const struct builder *b, const char *path)
{
        if ((b->req->flags & NVCR_REQ_NO_PERSISTENCED) && strstr(path, "/nvidia-persistenced/"))
                return false;
        if ((b->req->flags & NVCR_REQ_NO_FABRICMANAGER) && strstr(path, "/nvidia-fabricmanager/"))
                return false;
        return true;
}

static int add_files(const struct builder *b, bool *any_lib32)
{
        unsigned caps = b->req->caps & ~(unsigned)NVCR_CAP_COMPAT32;
        /* The MPS pipe directory goes with the compute libraries (video has them). */
        unsigned ipc_caps = caps | ((caps & NVCR_CAP_VIDEO) ? NVCR_CAP_COMPUTE : 0u);
        struct nvcr_plan *p = b->p;

        for (size_t i = 0; i < b->inv->nfiles; i++) {
                const struct nvcr_driver_file *f = &b->inv->files[i];
                _cleanup_free_ char *src = NULL, *dst = NULL;
                struct stat st;
                int r = 0;

                switch (f->kind) {
                case NVCR_FILE_LIB:
                        if (f->caps & caps)
                                r = add_library(b, f, p->libdir);
                        break;
                case NVCR_FILE_LIB32:
                        if ((b->req->caps & NVCR_CAP_COMPAT32) && (f->caps & caps)) {
                                r = add_library(b, f, p->lib32dir);
                                *any_lib32 = true;
                        }
                        break;
                case NVCR_FILE_BIN:
                        if (!(f->caps & caps))
                                break;
                        src = host_path(b, f->path);
                        if (src == NULL || asprintf(&dst, "/usr/bin/%s", base_name(f->path)) < 0)
                                return oom(b);
                        r = plan_add_mount(p, PLAN_MOUNT_DRIVER_FILE, src, dst, false, 0, 0,
                                           b->err);
                        break;
                case NVCR_FILE_IPC:
                        if (!(f->caps & ipc_caps) || !ipc_wanted(b, f->path))
                                break;
                        src = host_path(b, f->path);
                        if (src == NULL)
                                return oom(b);
                        r = plan_add_mount(p, PLAN_MOUNT_IPC, src, f->path,
                                           stat(src, &st) == 0 && S_ISDIR(st.st_mode), 0, 0,
                                           b->err);
                        break;
                case NVCR_FILE_FIRMWARE:
                        if (b->req->flags & NVCR_REQ_NO_GSP_FIRMWARE)
                                break;
                        src = host_path(b, f->path);
                        /* Where the kernel looks for it, whatever the host's layout. */
                        if (src == NULL || asprintf(&dst, "/lib/firmware/nvidia/%s/%s",
                                                    b->inv->driver_version,
                                                    base_name(f->path)) < 0)
                                return oom(b);
                        r = plan_add_mount(p, PLAN_MOUNT_DRIVER_FILE, src, dst, false, 0, 0,
                                           b->err);
                        break;
                default:
                        break;
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

static int add_compat(const struct builder *b, int rootfd)
{
        unsigned host_major = (unsigned)strtoul(b->inv->driver_version, NULL, 10);
        char **libs = NULL;
        size_t n = 0;
        int r = 0;

        if (!(b->req->caps & NVCR_CAP_COMPUTE) || b->req->compat_mode == NVCR_COMPAT_DISABLED ||
            rootfd < 0)
                return 0;
        r = layout_compat_libs(rootfd, host_major, &libs, &n, b->err);
        if (r < 0 || n == 0)
                return r;
        if (b->req->compat_mode == NVCR_COMPAT_LDCONFIG) {
                /* First, so the newer libcuda.so.1 wins in the cache. */
                r = plan_add_ldconfig_dir(b->p, COMPAT_DIR, b->err);
        } else {
                for (size_t i = 0; i < n && r >= 0; i++) {
                        _cleanup_free_ char *src = NULL, *dst = NULL;

                        if (asprintf(&src, "%s/%s", COMPAT_DIR, libs[i]) < 0 ||
                            asprintf(&dst, "%s/%s", b->p->libdir, libs[i]) < 0)
                                r = oom(b);
                        else
                                r = plan_add_mount(b->p, PLAN_MOUNT_IMAGE_FILE, src, dst, false, 0,
                                                   0, b->err);
                }
        }
        layout_strv_free(libs, n);
        return r;
}

/* The ldconfig to run: the request's, or the host's (DESIGN.md §4b). */
static int choose_ldconfig(const struct builder *b)
{
        const char *l = b->req->ldconfig;

        if (b->req->flags & NVCR_REQ_NO_LDCONFIG)
                return 0;
        if (l == NULL)
                l = access("/sbin/ldconfig.real", X_OK) == 0 ? "@/sbin/ldconfig.real"
                                                              : "@/sbin/ldconfig";
        if (l[0] != '@' && !(b->req->flags & NVCR_REQ_ALLOW_CONTAINER_LDCONFIG)) {
                *b->phase = "input";
                return nvcr_err_set(b->err, EPERM,
                                    "refusing to run the container's ldconfig %s: use @%s for "
                                    "the host's, or allow a container ldconfig",
                                    l, l);
        }
        if ((l[0] == '@' ? l[1] : l[0]) != '/') {
                *b->phase = "input";
                return nvcr_err_set(b->err, EINVAL, "ldconfig path must be absolute: %s", l);
        }
        b->p->ldconfig = strdup(l);
        return b->p->ldconfig ? 0 : oom(b);
}

static int owner_of(const struct nvcr_request *req, int rootfd, struct nvcr_plan *p,
                    struct nvcr_err *err)
{
        char path[64];
        struct stat st;

        /* Files we create belong to the container's owner (its init's uid in a user ns). */
        if (rootfd < 0) {
                st.st_uid = 0;
                st.st_gid = 0;
        } else if (req->pid > 0) {
                (void)snprintf(path, sizeof(path), "/proc/%d", (int)req->pid);
                if (stat(path, &st) < 0)
                        return nvcr_err_setsys(err, errno, "container process %d",
                                               (int)req->pid);
        } else if (fstat(rootfd, &st) < 0) {
                return nvcr_err_setsys(err, errno, "%s", req->rootfs);
        }
        p->uid = st.st_uid;
        p->gid = st.st_gid;
        return 0;
}

static int build(struct builder *b, int rootfd)
{
        struct nvcr_plan *p = b->p;
        bool any_lib32 = false;
        int r;

        *b->phase = "container";
        if ((r = owner_of(b->req, rootfd, p, b->err)) < 0 ||
            (r = layout_libdirs(rootfd, &p->libdir, &p->lib32dir, b->err)) < 0)
                return r;
        *b->phase = "mount";
        if ((r = masks_add_procfs(p, nvcr_ctx_get(b->ctx, NVCR_SET_PROC),
                                  !(b->req->flags & (NVCR_REQ_FOR_SPEC | NVCR_REQ_NO_ROOTFS)),
                                  b->err)) < 0)
                return r;
        if ((b->req->caps & (NVCR_CAP_GRAPHICS | NVCR_CAP_DISPLAY)) && b->sel->ngpus > 0 &&
            (r = masks_add_app_profile(p, b->sel, b->err)) < 0)
                return r;
        if ((r = add_control_devices(b)) < 0 || (r = add_gpus(b)) < 0 ||
            (r = add_mig_access(b, b->req->mig_config, b->inv->mig_config_path,
                                b->inv->has_mig_config_minor, b->inv->mig_config_minor,
                                "mig-config")) < 0 ||
            (r = add_mig_access(b, b->req->mig_monitor, b->inv->mig_monitor_path,
                                b->inv->has_mig_monitor_minor, b->inv->mig_monitor_minor,
                                "mig-monitor")) < 0 ||
            (r = add_imex(b)) < 0)
                return r;
        *b->phase = "mount";
        if ((r = add_compat(b, rootfd)) < 0 || (r = add_files(b, &any_lib32)) < 0)
                return r;
        if (!any_lib32) {
                free(p->lib32dir);
                p->lib32dir = NULL;
        }
        *b->phase = "ldcache";
        if ((r = choose_ldconfig(b)) < 0)
                return r;
        if (p->ldconfig != NULL &&
            ((r = plan_add_ldconfig_dir(p, p->libdir, b->err)) < 0 ||
             (p->lib32dir && (r = plan_add_ldconfig_dir(p, p->lib32dir, b->err)) < 0)))
                return r;
        return 0;
}

int nvcr_plan_build(struct nvcr_ctx *ctx, const struct nvcr_inventory *inv,
                    const struct nvcr_selection *sel, const struct nvcr_request *req,
                    struct nvcr_plan **ret, const char **phase, struct nvcr_err *err)
{
        static const struct nvcr_selection none = {0};
        struct nvcr_plan *p = NULL;
        _cleanup_close_ int rootfd = -EBADF;
        const char *ignored;
        struct stat st, slash;
        struct builder b;
        int r;

        if (phase == NULL)
                phase = &ignored;
        *phase = "input";
        *ret = NULL;
        if (req->flags & NVCR_REQ_NO_ROOTFS)
                goto no_rootfs;
        if (req->rootfs == NULL || req->rootfs[0] != '/' || strcmp(req->rootfs, "/") == 0 ||
            strlen(req->rootfs) >= 4096)
                return nvcr_err_set(err, EINVAL, "invalid rootfs directory: %s",
                                    req->rootfs ? req->rootfs : "(none)");
        *phase = "container";
        rootfd = open(req->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return nvcr_err_setsys(err, errno, "%s: cannot open the rootfs", req->rootfs);
        /* "//", "/tmp/..": any spelling of the host's own root is refused. */
        if (fstat(rootfd, &st) < 0 || stat("/", &slash) < 0)
                return nvcr_err_setsys(err, errno, "%s", req->rootfs);
        if (st.st_dev == slash.st_dev && st.st_ino == slash.st_ino) {
                *phase = "input";
                return nvcr_err_set(err, EINVAL, "invalid rootfs directory: %s", req->rootfs);
        }
no_rootfs:
        p = calloc(1, sizeof(*p));
        if (p == NULL || (p->rootfs = strdup(req->rootfs ? req->rootfs : "")) == NULL ||
            (p->driver_version = strdup(inv->driver_version)) == NULL) {
                nvcr_plan_free(p);
                return nvcr_err_set(err, ENOMEM, "out of memory");
        }
        p->pid = req->pid;
        p->caps = req->caps;
        p->flags = req->flags;
        p->compat_mode = req->compat_mode;
        b = (struct builder){ctx, inv, sel ? sel : &none, req, p, phase, err};
        r = build(&b, rootfd);
        if (r < 0) {
                nvcr_plan_free(p);
                return r;
        }
        *ret = p;
        return 0;
}
