/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdi/from-plan.h"
#include "core/err.h"
#include "core/macro.h"
#include "plan/container-layout.h"

/* Explicit, so nothing of the image (LD_PRELOAD, LD_LIBRARY_PATH) reaches a hook. */
const char *const cdi_hook_env[] = {
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "NVIDIA_CTK_DEBUG=false",
        NULL,
};

static int add_hook(struct cdi_edits *out, const char *path, char **args, struct nvcr_err *err)
{
        struct cdi_hook h = {
                .hook_name = (char *)"createContainer",
                .path = (char *)path,
                .args = args,
                .env = (char **)cdi_hook_env,
        };

        return cdi_edits_add_hook(out, &h, err);
}

/* argv = {"nvidia-cdi-hook", name, NULL}, grown by push(). */
static int hook_argv(char ***argv, const char *name)
{
        *argv = NULL;
        if (strv_push(argv, "nvidia-cdi-hook") < 0 || strv_push(argv, name) < 0)
                return -ENOMEM;
        return 0;
}

static int add_mounts(const struct nvcr_plan *p, struct cdi_edits *out, struct nvcr_err *err)
{
        static const char *const file_opts[] = {"ro", "nosuid", "nodev", "rbind", "rprivate", NULL};
        static const char *const ipc_opts[] = {"nosuid", "nodev", "noexec", "rbind", "rprivate", NULL};
        int r;

        for (size_t i = 0; i < p->nmounts; i++) {
                const struct plan_mount *m = &p->mounts[i];
                struct cdi_mount cm = {
                        .host_path = m->source,
                        .container_path = m->target,
                        .type = (char *)"bind",
                };

                switch (m->type) {
                case PLAN_MOUNT_DRIVER_FILE:
                        cm.options = (char **)file_opts;
                        break;
                case PLAN_MOUNT_IPC:
                        cm.options = (char **)ipc_opts;
                        break;
                case PLAN_MOUNT_DEVICE:
                        /* deviceNodes below: the runtime makes and allows them. */
                case PLAN_MOUNT_PROC:
                        /* The per-GPU procfs dirs live in the legacy mask; runc
                           refuses mounts inside /proc, the spec path shows the
                           host's /proc/driver/nvidia with params masked by a hook. */
                case PLAN_MOUNT_IMAGE_FILE:
                        /* Compat libs: enable-cuda-compat decides at start. */
                default:
                        continue;
                }
                if ((r = cdi_edits_add_mount(out, &cm, err)) < 0)
                        return r;
        }
        return 0;
}

static int add_nodes(const struct nvcr_plan *p, struct cdi_edits *out, struct nvcr_err *err)
{
        int r;

        for (size_t i = 0; i < p->nmounts; i++) {
                const struct plan_mount *m = &p->mounts[i];
                struct cdi_device_node n = {
                        .path = m->target,
                        .host_path = strcmp(m->source, m->target) != 0 ? m->source : NULL,
                        .type = 'c',
                        .major = m->major,
                        .minor = m->minor,
                        .file_mode = 0666,
                        .permissions = (char *)"rw",
                        .uid = -1,
                        .gid = -1,
                };

                if (m->type != PLAN_MOUNT_DEVICE)
                        continue;
                if ((r = cdi_edits_add_node(out, &n, err)) < 0)
                        return r;
        }
        return 0;
}

static int add_symlink_hook(const struct nvcr_plan *p, const char *hook, struct cdi_edits *out,
                            struct nvcr_err *err)
{
        _cleanup_(strv_freep) char **argv = NULL;

        if (p->nsymlinks == 0)
                return 0;
        if (hook_argv(&argv, "create-symlinks") < 0)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < p->nsymlinks; i++) {
                _cleanup_free_ char *link = NULL;

                if (asprintf(&link, "%s::%s", p->symlinks[i].target, p->symlinks[i].path) < 0 ||
                    strv_push(&argv, "--link") < 0 || strv_push(&argv, link) < 0)
                        return nvcr_err_set(err, ENOMEM, "out of memory");
        }
        return add_hook(out, hook, argv, err);
}

static int add_compat_hook(const struct nvcr_plan *p, const char *hook, struct cdi_edits *out,
                           struct nvcr_err *err)
{
        _cleanup_(strv_freep) char **argv = NULL;
        _cleanup_free_ char *v = NULL;

        /* The compat libs belong to the image: looked at when it starts. */
        if (!(p->caps & NVCR_CAP_COMPUTE) || p->ldconfig == NULL ||
            p->compat_mode == NVCR_COMPAT_DISABLED)
                return 0;
        if (hook_argv(&argv, "enable-cuda-compat") < 0 ||
            asprintf(&v, "--host-driver-version=%s", p->driver_version) < 0 ||
            strv_push(&argv, v) < 0)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        return add_hook(out, hook, argv, err);
}

static const char *base_name(const char *path)
{
        const char *s = strrchr(path, '/');

        return s ? s + 1 : path;
}

/* --library NAME for every driver file and link the plan puts in the library dirs. */
static int add_library_names(const struct nvcr_plan *p, char ***argv)
{
        for (size_t i = 0; i < p->nmounts; i++)
                if (p->mounts[i].type == PLAN_MOUNT_DRIVER_FILE &&
                    strstr(base_name(p->mounts[i].target), ".so") != NULL &&
                    (strv_push(argv, "--library") < 0 ||
                     strv_push(argv, base_name(p->mounts[i].target)) < 0))
                        return -ENOMEM;
        for (size_t i = 0; i < p->nsymlinks; i++)
                if (strstr(base_name(p->symlinks[i].path), ".so") != NULL &&
                    (strv_push(argv, "--library") < 0 ||
                     strv_push(argv, base_name(p->symlinks[i].path)) < 0))
                        return -ENOMEM;
        return 0;
}

static int add_ldcache_hook(const struct nvcr_plan *p, const struct cdi_from_plan_opts *o,
                            const char *hook, struct cdi_edits *out, struct nvcr_err *err)
{
        _cleanup_(strv_freep) char **argv = NULL;
        size_t folders = 0;

        if (p->ldconfig == NULL)
                return 0;
        if (hook_argv(&argv, "update-ldcache") < 0)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        if (o->ldconfig_path != NULL &&
            (strv_push(&argv, "--ldconfig-path") < 0 || strv_push(&argv, o->ldconfig_path) < 0))
                return nvcr_err_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < p->nldconfig_dirs; i++) {
                if (strcmp(p->ldconfig_dirs[i], COMPAT_DIR) == 0)
                        continue; /* enable-cuda-compat's business */
                if (strv_push(&argv, "--folder") < 0 || strv_push(&argv, p->ldconfig_dirs[i]) < 0)
                        return nvcr_err_set(err, ENOMEM, "out of memory");
                folders++;
        }
        /* Our own hook only: name what we add, so the image's libraries are not rescanned. */
        if (o->one_hook && folders > 0 && add_library_names(p, &argv) < 0)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        return folders > 0 ? add_hook(out, hook, argv, err) : 0;
}

static int add_mask_hooks(const struct nvcr_plan *p, const char *hook, struct cdi_edits *out,
                          struct nvcr_err *err)
{
        _cleanup_(strv_freep) char **dnm = NULL, **prof = NULL;
        bool procfs = false, app_profile = false;
        int r;

        for (size_t i = 0; i < p->nmasks; i++) {
                if (strcmp(p->masks[i].target, "/proc/driver/nvidia") == 0)
                        procfs = true;
                else
                        app_profile = true;
        }
        if (procfs) {
                if (hook_argv(&dnm, "disable-device-node-modification") < 0)
                        return nvcr_err_set(err, ENOMEM, "out of memory");
                if ((r = add_hook(out, hook, dnm, err)) < 0)
                        return r;
        }
        if (app_profile) {
                if (hook_argv(&prof, "update-application-profile") < 0)
                        return nvcr_err_set(err, ENOMEM, "out of memory");
                if ((r = add_hook(out, hook, prof, err)) < 0)
                        return r;
        }
        return 0;
}

static int add_hooks(const struct nvcr_plan *plan, const struct cdi_from_plan_opts *o,
                     const char *hook, struct cdi_edits *out, struct nvcr_err *err)
{
        int r;

        /* Order matters: links before the cache, compat config before the cache. */
        if ((r = add_symlink_hook(plan, hook, out, err)) < 0 ||
            (r = add_compat_hook(plan, hook, out, err)) < 0 ||
            (r = add_ldcache_hook(plan, o, hook, out, err)) < 0 ||
            (r = add_mask_hooks(plan, hook, out, err)) < 0)
                return r;
        return 0;
}

/* The hooks of `sep` as one: "nvidia-cdi-hook A … --then B …". */
static int chain(const struct cdi_edits *sep, struct cdi_edits *out, struct nvcr_err *err)
{
        _cleanup_(strv_freep) char **argv = NULL;

        if (sep->nhooks == 0)
                return 0;
        if (strv_push(&argv, "nvidia-cdi-hook") < 0)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < sep->nhooks; i++) {
                if (i > 0 && strv_push(&argv, "--then") < 0)
                        return nvcr_err_set(err, ENOMEM, "out of memory");
                for (size_t j = 1; sep->hooks[i].args && sep->hooks[i].args[j]; j++)
                        if (strv_push(&argv, sep->hooks[i].args[j]) < 0)
                                return nvcr_err_set(err, ENOMEM, "out of memory");
        }
        return add_hook(out, sep->hooks[0].path, argv, err);
}

int cdi_edits_from_plan(const struct nvcr_plan *plan, const struct cdi_from_plan_opts *o,
                        struct cdi_edits *out, struct nvcr_err *err)
{
        static const struct cdi_from_plan_opts defaults = {0};
        const char *hook;
        int r;

        if (o == NULL)
                o = &defaults;
        hook = o->hook_path != NULL ? o->hook_path : CDI_HOOK_DEFAULT_PATH;
        if (!o->no_device_nodes && (r = add_nodes(plan, out, err)) < 0)
                return r;
        if (!o->no_mounts && (r = add_mounts(plan, out, err)) < 0)
                return r;
        if (o->no_hooks)
                return 0;
        if (o->one_hook) {
                struct cdi_edits sep = {0};

                r = add_hooks(plan, o, hook, &sep, err);
                if (r >= 0)
                        r = chain(&sep, out, err);
                cdi_edits_clear(&sep);
                return r;
        }
        return add_hooks(plan, o, hook, out, err);
}
