/* SPDX-License-Identifier: Apache-2.0 */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apply/early-start.h"
#include "apply/oci-spec-hook.h"
#include "apply/post-create.h"
#include "apply/prestart.h"
#include "apply/request-plan.h"
#include "apply/shim-cdi.h"
#include "apply/shim.h"
#include "cdi/apply-spec.h"
#include "cdi/from-plan.h"
#include "config/config-request.h"
#include "core/err.h"
#include "core/macro.h"
#include "core/timing.h"
#include "oci/spec.h"
#include "request/container-env.h"
#include "request/may-ask.h"

const char *shim_hook(struct shim_paths *p)
{
        if (!p->hook_looked) {
                p->hook_looked = true;
                p->hook = p->locate(p->hook_name, "nvidia-container-runtime-hook");
        }
        return p->hook;
}

const char *shim_cdi_hook(struct shim_paths *p)
{
        if (!p->cdi_hook_looked) {
                p->cdi_hook_looked = true;
                p->cdi_hook = p->locate("nvidia-cdi-hook", "nvidia-cdi-hook");
        }
        return p->cdi_hook;
}

void shim_paths_clear(struct shim_paths *p)
{
        free(p->hook);
        free(p->cdi_hook);
        p->hook = p->cdi_hook = NULL;
        p->hook_looked = p->cdi_hook_looked = false;
}

static void ctx_freep(struct nvcr_ctx **c)
{
        nvcr_ctx_free(*c);
}

/* A CDI device name: "vendor.com/class=name". */
static bool is_cdi_name(const char *s, size_t len)
{
        const char *eq = memchr(s, '=', len), *slash = memchr(s, '/', len);

        return eq != NULL && slash != NULL && slash < eq && eq + 1 < s + len;
}

/* Every comma-separated device is a CDI name (auto mode then means cdi). */
static bool all_cdi_names(const char *devices)
{
        const char *s = devices;

        if (devices == NULL || devices[0] == '\0')
                return false;
        while (*s) {
                const char *e = strchrnul(s, ',');

                if (!is_cdi_name(s, (size_t)(e - s)))
                        return false;
                s = *e ? e + 1 : e;
        }
        return true;
}

static enum nvcr_config_mode pick_mode(const struct nvcr_config *cfg,
                                       const struct container_request *creq,
                                       struct shim_paths *paths)
{
        if (cfg->runtime.mode != NVCR_MODE_AUTO)
                return cfg->runtime.mode;
        if (all_cdi_names(creq->devices))
                return NVCR_MODE_CDI;
        /* DESIGN §4b: auto is jit-cdi for the runtime, when its hook is installed. */
        return shim_cdi_hook(paths) != NULL ? NVCR_MODE_JIT_CDI : NVCR_MODE_LEGACY;
}

/* A linux.namespaces entry of this type (no path: one of the container's own). */
static bool has_namespace(struct json_object *root, const char *type)
{
        struct json_object *linux_, *ns, *t;

        if (!json_object_object_get_ex(root, "linux", &linux_) ||
            !json_object_object_get_ex(linux_, "namespaces", &ns) ||
            !json_object_is_type(ns, json_type_array))
                return false;
        for (size_t i = 0; i < json_object_array_length(ns); i++) {
                struct json_object *e = json_object_array_get_idx(ns, i);

                if (json_object_object_get_ex(e, "type", &t) &&
                    json_object_is_type(t, json_type_string) &&
                    strcmp(json_object_get_string(t), type) == 0)
                        return true;
        }
        return false;
}

/* Whether the runtime may do the hook chain's work itself around create (post-create.h). */
static bool post_create_fits(struct oci_spec *spec)
{
        struct json_object *root = spec_get_root_object(spec), *r, *ro;

        if (json_object_object_get_ex(root, "root", &r) &&
            json_object_object_get_ex(r, "readonly", &ro) && json_object_get_boolean(ro))
                return false;
        return has_namespace(root, "mount") && !has_namespace(root, "user");
}

/* The plan's one hook chain, for the runtime to run around create (argv without the program). */
static int take_chain(const struct nvcr_plan *plan, const struct cdi_from_plan_opts *fo,
                      struct post_create *post, struct nvcr_err *err)
{
        struct cdi_from_plan_opts o = *fo;
        struct cdi_edits chain = {0};
        int r;

        o.no_device_nodes = o.no_mounts = true;
        r = cdi_edits_from_plan(plan, &o, &chain, err);
        if (r >= 0 && chain.nhooks == 1 && chain.hooks[0].args != NULL &&
            chain.hooks[0].args[0] != NULL) {
                post->argv = strv_copy((const char *const *)chain.hooks[0].args + 1);
                if (post->argv == NULL)
                        r = nvcr_err_set(err, ENOMEM, "out of memory");
        }
        cdi_edits_clear(&chain);
        return r;
}

/* jit-cdi: the container's plan, as edits runc carries out. */
static int jit_cdi(const struct nvcr_config *cfg, struct oci_spec *spec,
                   const struct container_request *creq, struct shim_paths *paths,
                   struct post_create *post, const char **phase, struct nvcr_err *err)
{
        __attribute__((cleanup(ctx_freep))) struct nvcr_ctx *ctx = NULL;
        struct cdi_from_plan_opts fo = {.hook_path = shim_cdi_hook(paths), .one_hook = true};
        struct cdi_edits edits = {0};
        struct nvcr_plan *plan = NULL;
        int r;

        if (fo.hook_path == NULL) {
                *phase = ""; /* an installation problem, not the container's input */
                return nvcr_err_set(err, ENOENT, "nvidia-cdi-hook not found (jit-cdi mode)");
        }
        *phase = "initialization";
        timing_mark("hook found");
        if ((r = nvcr_ctx_new(&ctx, err)) < 0 || (r = prestart_configure_ctx(ctx, cfg, err)) < 0)
                return r;
        r = request_plan_build(ctx, cfg, creq, spec->rootfs, 0, &plan, phase, err);
        timing_mark("plan built");
        if (r >= 0) {
                *phase = "";
                if (post != NULL && post_create_fits(spec))
                        r = take_chain(plan, &fo, post, err);
                /* No hook in config.json: the runtime does the chain's work around create. */
                if (r >= 0 && post != NULL && post->argv != NULL) {
                        if (post_create_mounts_fit(post, spec->mounts, spec->nmounts)) {
                                fo.no_hooks = true;
                                post->rootfs = strdup(spec->rootfs);
                                if (post->rootfs == NULL)
                                        r = nvcr_err_set(err, ENOMEM, "out of memory");
                        } else {
                                post_create_clear(post);
                        }
                }
        }
        if (r >= 0)
                r = cdi_edits_from_plan(plan, &fo, &edits, err);
        /* The files runc mounts: the chain reads the libraries among them from the host. */
        for (size_t i = 0; r >= 0 && post != NULL && post->argv != NULL && i < edits.nmounts; i++)
                if (post_create_add_file(post, edits.mounts[i].container_path,
                                         edits.mounts[i].host_path) < 0)
                        r = nvcr_err_set(err, ENOMEM, "out of memory");
        /* As a CDI spec's common edits: a legacy hook elsewhere finds nothing to do. */
        if (r >= 0)
                r = cdi_edits_add_env(&edits, "NVIDIA_VISIBLE_DEVICES=void", err);
        if (r >= 0 && spec_remove_gpu_hooks(spec, err) >= 0)
                r = cdi_apply_to_spec(spec, &edits, err);
        cdi_edits_clear(&edits);
        nvcr_plan_free(plan);
        return r < 0 ? r : 1;
}

static int prepare(const struct nvcr_config *cfg, struct oci_spec *spec,
                   struct shim_paths *paths, struct post_create *post, const char **phase,
                   struct nvcr_err *err)
{
        struct container_env_knobs knobs;
        struct container_request creq = {0};
        enum nvcr_config_mode mode;
        int r;

        config_env_knobs(cfg, &knobs);
        *phase = "input";
        r = container_request_compute((const char *const *)spec->env, spec->nenv, spec->mounts,
                                      spec->nmounts, spec->privileged, &knobs, &creq, err);
        if (r >= 0 && !creq.gpu_container) {
                container_request_free(&creq);
                /* CDI devices by annotation only (Kubernetes device plugins). */
                if (cfg->runtime.mode != NVCR_MODE_LEGACY && shim_cdi_annotated(cfg, spec)) {
                        *phase = "";
                        return shim_cdi(cfg, spec, NULL, err);
                }
                return 0; /* void, empty or unset: config.json stays byte for byte */
        }
        if (r >= 0)
                mode = pick_mode(cfg, &creq, paths);
        else if (cfg->runtime.mode == NVCR_MODE_LEGACY ||
                 (cfg->runtime.mode == NVCR_MODE_AUTO && shim_cdi_hook(paths) == NULL))
                mode = NVCR_MODE_LEGACY;
        else
                return r; /* the spec modes report it now: the container does not start */
        switch (mode) {
        case NVCR_MODE_JIT_CDI:
                r = jit_cdi(cfg, spec, &creq, paths, post, phase, err);
                break;
        case NVCR_MODE_CDI:
                *phase = "";
                r = shim_cdi(cfg, spec, creq.devices, err);
                break;
        case NVCR_MODE_CSV:
                r = nvcr_err_set(err, ENOTSUP, "csv mode is for Tegra systems, not supported");
                break;
        case NVCR_MODE_AUTO:
        case NVCR_MODE_LEGACY:
        default:
                /*
                 * A request that does not parse (unsupported capabilities,
                 * MIG devices unprivileged) still gets the hook: it reports
                 * the error when the container starts, as the reference.
                 */
                nvcr_err_clear(err);
                *phase = "";
                if (shim_hook(paths) == NULL)
                        r = nvcr_err_set(err, ENOENT, "nvidia-container-runtime-hook not found");
                else
                        r = spec_add_gpu_hook(spec, shim_hook(paths), paths->config, err);
                break;
        }
        container_request_free(&creq);
        return r;
}

int shim_prepare_bundle(const struct nvcr_config *cfg, const char *bundle,
                        struct shim_paths *paths, struct post_create *post,
                        struct early_start *early, const char **phase, struct nvcr_err *err)
{
        /* Started by the front (early_start_take_over): config.json is its FIFO already. */
        bool started = early != NULL && early->pid > 0;
        _cleanup_close_ int bfd = started ? early->bundlefd : spec_open_bundle(bundle, err);
        _cleanup_free_ char *buf = NULL;
        struct oci_spec *spec = NULL;
        const char *ignored;
        size_t len = 0;
        int r;

        if (phase == NULL)
                phase = &ignored;
        *phase = "";
        if (bfd < 0)
                return bfd;
        if (started)
                r = spec_read_named(bfd, early->fifo.saved, bundle, &buf, &len, err);
        else
                r = spec_read(bfd, bundle, &buf, &len, err);
        /* Everything after this (~0.7 ms) while runc starts (apply/early-start.h). */
        if (r >= 0 && !started && early != NULL && request_may_ask_for_gpu(buf, len, cfg)) {
                early->bundlefd = bfd;
                started = early_start_begin(early) > 0;
        }
        if (r >= 0)
                r = spec_parse_buffer(buf, len, bundle, &spec, err);
        timing_mark("config.json read");
        if (r >= 0)
                r = prepare(cfg, spec, paths, post, phase, err);
        if (r == 1) {
                *phase = "";
                timing_mark("edits made");
                if (started)
                        r = early_start_feed(early, spec, err) < 0 ? -err->code : 1;
                else
                        r = spec_write_atomic(bfd, spec, err) < 0 ? -err->code : 1;
                timing_mark("config.json written");
        } else if (r == 0 && started) {
                r = early_start_feed_unchanged(early, buf, len, err);
        } else if (r < 0 && started) {
                early_start_abort(early, err);
        }
        if (early != NULL)
                early->bundlefd = -1; /* closed below */
        spec_free(spec);
        if (r < 0 && post != NULL)
                post_create_clear(post);
        return r;
}
