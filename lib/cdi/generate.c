/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `cdi generate` from the plan: one plan with no GPU gives the nodes every
 * device shares (nvidiactl, UVM, modeset), one plan with every GPU gives the
 * driver files and hooks of the `all` capability set, and one plan per GPU
 * and MIG device gives that device's own nodes. So a CDI spec holds what the
 * legacy and jit-cdi paths would inject for the same request.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdi/from-plan.h"
#include "cdi/generate.h"
#include "core/err.h"
#include "core/macro.h"

void cdi_generated_clear(struct cdi_generated *g)
{
        if (g == NULL)
                return;
        cdi_edits_clear(&g->common);
        for (size_t i = 0; i < g->ndevices; i++) {
                free(g->devices[i].name);
                cdi_edits_clear(&g->devices[i].edits);
        }
        free(g->devices);
        memset(g, 0, sizeof(*g));
}

struct gen {
        struct nvcr_ctx *ctx;
        const struct nvcr_inventory *inv;
        const struct cdi_generate_opts *o;
        struct cdi_edits shared; /* the device nodes of the no-GPU plan */
        struct nvcr_err *err;
};

static int plan_for(struct gen *g, const char *devices, struct nvcr_plan **ret)
{
        struct nvcr_selection *sel = NULL;
        struct nvcr_request req = {
                .devices = devices,
                .caps = NVCR_CAP_ALL,
                .ldconfig = NULL,
                .compat_mode = NVCR_COMPAT_LDCONFIG,
                .flags = NVCR_REQ_NO_ROOTFS | NVCR_REQ_NO_CGROUPS,
        };
        const char *phase = NULL;
        int r;

        r = nvcr_select_devices(g->inv, devices, &sel, g->err);
        if (r >= 0)
                r = nvcr_plan_build(g->ctx, g->inv, sel, &req, ret, &phase, g->err);
        nvcr_selection_free(sel);
        return r;
}

static bool shared_node(const struct gen *g, const char *path)
{
        for (size_t i = 0; i < g->shared.nnodes; i++)
                if (strcmp(g->shared.nodes[i].path, path) == 0)
                        return true;
        return false;
}

static bool is_shared(const struct cdi_device_node *n, void *g)
{
        return shared_node(g, n->path);
}

static bool not_shared(const struct cdi_device_node *n, void *g)
{
        return !shared_node(g, n->path);
}

static int edits_of(struct gen *g, const char *devices, const struct cdi_from_plan_opts *fo,
                    struct cdi_edits *out)
{
        struct nvcr_plan *plan = NULL;
        int r = plan_for(g, devices, &plan);

        if (r >= 0)
                r = cdi_edits_from_plan(plan, fo, out, g->err);
        nvcr_plan_free(plan);
        return r;
}

static int add_device(struct cdi_generated *out, const char *name, struct cdi_edits *e,
                      struct nvcr_err *err)
{
        struct cdi_generated_device *d = realloc(out->devices, (out->ndevices + 1) * sizeof(*d));

        if (d == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        out->devices = d;
        d = &d[out->ndevices];
        memset(d, 0, sizeof(*d));
        if ((d->name = strdup(name)) == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        if (cdi_edits_merge(&d->edits, e, err) < 0) {
                free(d->name);
                cdi_edits_clear(&d->edits);
                return -ENOMEM;
        }
        out->ndevices++;
        return 0;
}

/* One device's nodes under each of its names. */
static int device(struct gen *g, struct cdi_generated *out, const char *select,
                  const char *index_name, const char *uuid, const char *type_name)
{
        /* Only the nodes: files and hooks are the common edits. */
        struct cdi_from_plan_opts fo = {
                .hook_path = g->o->hook_path, .no_hooks = true, .no_mounts = true};
        struct cdi_edits e = {0};
        unsigned s = g->o->name_strategies ? g->o->name_strategies
                                           : (CDI_NAMES_INDEX | CDI_NAMES_UUID);
        int r = edits_of(g, select, &fo, &e);

        if (r >= 0)
                cdi_edits_filter_nodes(&e, not_shared, g);
        if (r >= 0 && (s & CDI_NAMES_INDEX))
                r = add_device(out, index_name, &e, g->err);
        if (r >= 0 && (s & CDI_NAMES_UUID) && uuid != NULL)
                r = add_device(out, uuid, &e, g->err);
        if (r >= 0 && (s & CDI_NAMES_TYPE_INDEX))
                r = add_device(out, type_name, &e, g->err);
        cdi_edits_clear(&e);
        return r;
}

static int generate(struct gen *g, struct cdi_generated *out)
{
        struct cdi_from_plan_opts shared_o = {.hook_path = g->o->hook_path, .no_hooks = true};
        struct cdi_from_plan_opts all_o = {.hook_path = g->o->hook_path,
                                           .ldconfig_path = g->o->ldconfig_path};
        int r;

        /* The nodes any GPU container gets (control, UVM, modeset). */
        if ((r = edits_of(g, "none", &shared_o, &g->shared)) < 0)
                return r;
        /* Files and hooks of every capability, with the shared nodes only. */
        if ((r = edits_of(g, g->inv->ngpus > 0 ? "all" : "none", &all_o, &out->common)) < 0)
                return r;
        cdi_edits_filter_nodes(&out->common, is_shared, g);
        /* The reference's spec leaves the legacy hook nothing to do. */
        if ((r = cdi_edits_add_env(&out->common, "NVIDIA_VISIBLE_DEVICES=void", g->err)) < 0)
                return r;
        for (size_t i = 0; i < g->inv->ngpus; i++) {
                const struct nvcr_gpu *gpu = &g->inv->gpus[i];
                char sel[32], type_name[40];

                (void)snprintf(sel, sizeof(sel), "%u", gpu->index);
                (void)snprintf(type_name, sizeof(type_name), "gpu%u", gpu->index);
                if ((r = device(g, out, sel, sel, gpu->uuid, type_name)) < 0)
                        return r;
                for (size_t j = 0; j < gpu->nmigs; j++) {
                        char msel[48], mtype[56];

                        (void)snprintf(msel, sizeof(msel), "%u:%zu", gpu->index, j);
                        (void)snprintf(mtype, sizeof(mtype), "mig%u:%zu", gpu->index, j);
                        if ((r = device(g, out, msel, msel, gpu->migs[j].uuid, mtype)) < 0)
                                return r;
                }
        }
        return 0;
}

int cdi_generate(struct nvcr_ctx *ctx, const struct cdi_generate_opts *o, struct cdi_generated *out,
                 struct nvcr_err *err)
{
        static const struct cdi_generate_opts defaults = {0};
        struct nvcr_inventory *inv = NULL;
        struct gen g = {0};
        bool mig_uuids = false;
        int r;

        if (o == NULL)
                o = &defaults;
        memset(out, 0, sizeof(*out));
        /* MIG UUIDs only come from NVML; GPU UUIDs are in procfs. */
        r = nvcr_inventory_load(ctx, NVCR_INV_FILES, &inv, err);
        if (r >= 0) {
                for (size_t i = 0; i < inv->ngpus; i++)
                        mig_uuids |= inv->gpus[i].nmigs > 0;
                if (mig_uuids && (o->name_strategies == 0 || (o->name_strategies & CDI_NAMES_UUID))) {
                        nvcr_inventory_free(inv);
                        inv = NULL;
                        r = nvcr_inventory_load(ctx, NVCR_INV_FILES | NVCR_INV_NVML, &inv, err);
                }
        }
        if (r >= 0) {
                g = (struct gen){.ctx = ctx, .inv = inv, .o = o, .err = err};
                r = generate(&g, out);
        }
        cdi_edits_clear(&g.shared);
        nvcr_inventory_free(inv);
        if (r < 0)
                cdi_generated_clear(out);
        return r;
}
