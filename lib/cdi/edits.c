/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cdi/edits.h"
#include "core/err.h"
#include "core/macro.h"

static void node_clear(struct cdi_device_node *n)
{
        free(n->path);
        free(n->host_path);
        free(n->permissions);
}

static void mount_clear(struct cdi_mount *m)
{
        free(m->host_path);
        free(m->container_path);
        free(m->type);
        strv_free(m->options);
}

static void hook_clear(struct cdi_hook *h)
{
        free(h->hook_name);
        free(h->path);
        strv_free(h->args);
        strv_free(h->env);
}

void cdi_edits_clear(struct cdi_edits *e)
{
        if (e == NULL)
                return;
        strv_free(e->env);
        for (size_t i = 0; i < e->nnodes; i++)
                node_clear(&e->nodes[i]);
        free(e->nodes);
        for (size_t i = 0; i < e->nmounts; i++)
                mount_clear(&e->mounts[i]);
        free(e->mounts);
        for (size_t i = 0; i < e->nhooks; i++)
                hook_clear(&e->hooks[i]);
        free(e->hooks);
        memset(e, 0, sizeof(*e));
}

bool cdi_edits_empty(const struct cdi_edits *e)
{
        return e->nenv == 0 && e->nnodes == 0 && e->nmounts == 0 && e->nhooks == 0;
}

static int oom(struct nvcr_err *err)
{
        return nvcr_err_set(err, ENOMEM, "out of memory");
}

/* strdup that keeps NULL as NULL; false on allocation failure. */
static bool dup_opt(char **dst, const char *src)
{
        *dst = NULL;
        if (src == NULL)
                return true;
        *dst = strdup(src);
        return *dst != NULL;
}

static bool dup_strv(char ***dst, char *const *src)
{
        *dst = NULL;
        if (src == NULL)
                return true;
        *dst = strv_copy((const char *const *)src);
        return *dst != NULL;
}

/* Grows an array of n elements of `size` bytes by one zeroed element. */
static void *grow(void *arr, size_t n, size_t size)
{
        char *p = realloc(arr, (n + 1) * size);

        if (p != NULL)
                memset(p + n * size, 0, size);
        return p;
}

int cdi_edits_add_env(struct cdi_edits *e, const char *kv, struct nvcr_err *err)
{
        if (strv_push(&e->env, kv) < 0)
                return oom(err);
        e->nenv++;
        return 0;
}

int cdi_edits_add_node(struct cdi_edits *e, const struct cdi_device_node *n, struct nvcr_err *err)
{
        struct cdi_device_node *arr = grow(e->nodes, e->nnodes, sizeof(*arr));
        struct cdi_device_node *d;

        if (arr == NULL)
                return oom(err);
        e->nodes = arr;
        d = &arr[e->nnodes];
        *d = *n;
        d->path = d->host_path = d->permissions = NULL;
        if (!dup_opt(&d->path, n->path) || !dup_opt(&d->host_path, n->host_path) ||
            !dup_opt(&d->permissions, n->permissions)) {
                node_clear(d);
                return oom(err);
        }
        e->nnodes++;
        return 0;
}

int cdi_edits_add_mount(struct cdi_edits *e, const struct cdi_mount *m, struct nvcr_err *err)
{
        struct cdi_mount *arr = grow(e->mounts, e->nmounts, sizeof(*arr));
        struct cdi_mount *d;

        if (arr == NULL)
                return oom(err);
        e->mounts = arr;
        d = &arr[e->nmounts];
        if (!dup_opt(&d->host_path, m->host_path) ||
            !dup_opt(&d->container_path, m->container_path) || !dup_opt(&d->type, m->type) ||
            !dup_strv(&d->options, m->options)) {
                mount_clear(d);
                memset(d, 0, sizeof(*d));
                return oom(err);
        }
        e->nmounts++;
        return 0;
}

int cdi_edits_add_hook(struct cdi_edits *e, const struct cdi_hook *h, struct nvcr_err *err)
{
        struct cdi_hook *arr = grow(e->hooks, e->nhooks, sizeof(*arr));
        struct cdi_hook *d;

        if (arr == NULL)
                return oom(err);
        e->hooks = arr;
        d = &arr[e->nhooks];
        d->timeout = h->timeout;
        if (!dup_opt(&d->hook_name, h->hook_name) || !dup_opt(&d->path, h->path) ||
            !dup_strv(&d->args, h->args) || !dup_strv(&d->env, h->env)) {
                hook_clear(d);
                memset(d, 0, sizeof(*d));
                return oom(err);
        }
        e->nhooks++;
        return 0;
}

void cdi_edits_filter_nodes(struct cdi_edits *e,
                            bool (*keep)(const struct cdi_device_node *n, void *arg), void *arg)
{
        size_t k = 0;

        for (size_t i = 0; i < e->nnodes; i++) {
                if (keep(&e->nodes[i], arg))
                        e->nodes[k++] = e->nodes[i];
                else
                        node_clear(&e->nodes[i]);
        }
        e->nnodes = k;
}

int cdi_edits_merge(struct cdi_edits *dst, const struct cdi_edits *src, struct nvcr_err *err)
{
        int r;

        for (size_t i = 0; i < src->nenv; i++)
                if ((r = cdi_edits_add_env(dst, src->env[i], err)) < 0)
                        return r;
        for (size_t i = 0; i < src->nnodes; i++)
                if ((r = cdi_edits_add_node(dst, &src->nodes[i], err)) < 0)
                        return r;
        for (size_t i = 0; i < src->nmounts; i++)
                if ((r = cdi_edits_add_mount(dst, &src->mounts[i], err)) < 0)
                        return r;
        for (size_t i = 0; i < src->nhooks; i++)
                if ((r = cdi_edits_add_hook(dst, &src->hooks[i], err)) < 0)
                        return r;
        return 0;
}
