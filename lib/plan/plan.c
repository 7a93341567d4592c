/* SPDX-License-Identifier: Apache-2.0 */
/* The plan's storage: growing its lists and freeing it. */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/macro.h"
#include "plan/plan.h"

/* Grows *arr (of *n elements of `size` bytes) by one zeroed element. */
static void *grow(void *arr_p, size_t *n, size_t size, struct nvcr_err *err)
{
        void **arr = arr_p;
        char *p = reallocarray(*arr, *n + 1, size);

        if (p == NULL) {
                (void)nvcr_err_set(err, ENOMEM, "out of memory");
                return NULL;
        }
        *arr = p;
        memset(p + *n * size, 0, size);
        return p + (*n)++ * size;
}

static int dup_into(char **dst, const char *src, struct nvcr_err *err)
{
        if (src == NULL)
                return 0;
        *dst = strdup(src);
        return *dst ? 0 : nvcr_err_set(err, ENOMEM, "out of memory");
}

int plan_add_mount(struct nvcr_plan *p, enum plan_mount_type type, const char *source,
                   const char *target, bool is_dir, unsigned major, unsigned minor,
                   struct nvcr_err *err)
{
        _cleanup_free_ char *s = NULL, *t = NULL;
        struct plan_mount *m;

        /* The same target twice would stack mounts; the first one wins. */
        for (size_t i = 0; i < p->nmounts; i++)
                if (strcmp(p->mounts[i].target, target) == 0)
                        return 0;
        if (dup_into(&s, source, err) < 0 || dup_into(&t, target, err) < 0)
                return -ENOMEM;
        m = grow(&p->mounts, &p->nmounts, sizeof(*m), err);
        if (m == NULL)
                return -ENOMEM;
        *m = (struct plan_mount){type, steal_ptr(&s), steal_ptr(&t), is_dir, major, minor};
        return 0;
}

int plan_add_symlink(struct nvcr_plan *p, const char *path, const char *target,
                     struct nvcr_err *err)
{
        _cleanup_free_ char *a = NULL, *b = NULL;
        struct plan_symlink *l;

        for (size_t i = 0; i < p->nsymlinks; i++)
                if (strcmp(p->symlinks[i].path, path) == 0)
                        return 0;
        if (dup_into(&a, path, err) < 0 || dup_into(&b, target, err) < 0)
                return -ENOMEM;
        l = grow(&p->symlinks, &p->nsymlinks, sizeof(*l), err);
        if (l == NULL)
                return -ENOMEM;
        l->path = steal_ptr(&a);
        l->target = steal_ptr(&b);
        return 0;
}

int plan_add_rule(struct nvcr_plan *p, unsigned major, unsigned minor, struct nvcr_err *err)
{
        struct plan_devrule *r;

        for (size_t i = 0; i < p->nrules; i++)
                if (p->rules[i].major == major && p->rules[i].minor == minor)
                        return 0;
        r = grow(&p->rules, &p->nrules, sizeof(*r), err);
        if (r == NULL)
                return -ENOMEM;
        r->major = major;
        r->minor = minor;
        return 0;
}

int plan_add_ldconfig_dir(struct nvcr_plan *p, const char *dir, struct nvcr_err *err)
{
        _cleanup_free_ char *d = NULL;
        char **slot;

        for (size_t i = 0; i < p->nldconfig_dirs; i++)
                if (strcmp(p->ldconfig_dirs[i], dir) == 0)
                        return 0;
        if (dup_into(&d, dir, err) < 0)
                return -ENOMEM;
        slot = grow(&p->ldconfig_dirs, &p->nldconfig_dirs, sizeof(*slot), err);
        if (slot == NULL)
                return -ENOMEM;
        *slot = steal_ptr(&d);
        return 0;
}

struct plan_tmpfs *plan_add_mask(struct nvcr_plan *p, const char *target, unsigned mode,
                                 const char *same_fs_as, struct nvcr_err *err)
{
        _cleanup_free_ char *t = NULL, *s = NULL;
        struct plan_tmpfs *m;

        if (dup_into(&t, target, err) < 0 || dup_into(&s, same_fs_as, err) < 0)
                return NULL;
        m = grow(&p->masks, &p->nmasks, sizeof(*m), err);
        if (m == NULL)
                return NULL;
        m->target = steal_ptr(&t);
        m->same_fs_as = steal_ptr(&s);
        m->mode = mode;
        return m;
}

int plan_mask_add_file(struct plan_tmpfs *m, const char *name, const char *content, size_t len,
                       unsigned mode, struct nvcr_err *err)
{
        _cleanup_free_ char *n = NULL, *c = NULL;
        struct plan_file *f;

        if (dup_into(&n, name, err) < 0)
                return -ENOMEM;
        c = malloc(len + 1);
        if (c == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        memcpy(c, content, len);
        c[len] = '\0';
        f = grow(&m->files, &m->nfiles, sizeof(*f), err);
        if (f == NULL)
                return -ENOMEM;
        *f = (struct plan_file){steal_ptr(&n), steal_ptr(&c), len, mode};
        return 0;
}

void nvcr_plan_free(struct nvcr_plan *p)
{
        if (p == NULL)
                return;
        for (size_t i = 0; i < p->nmasks; i++) {
                for (size_t j = 0; j < p->masks[i].nfiles; j++) {
                        free(p->masks[i].files[j].name);
                        free(p->masks[i].files[j].content);
                }
                free(p->masks[i].files);
                free(p->masks[i].target);
                free(p->masks[i].same_fs_as);
        }
        for (size_t i = 0; i < p->nmounts; i++) {
                free(p->mounts[i].source);
                free(p->mounts[i].target);
        }
        for (size_t i = 0; i < p->nsymlinks; i++) {
                free(p->symlinks[i].path);
                free(p->symlinks[i].target);
        }
        for (size_t i = 0; i < p->nldconfig_dirs; i++)
                free(p->ldconfig_dirs[i]);
        free(p->masks);
        free(p->mounts);
        free(p->symlinks);
        free(p->rules);
        free(p->ldconfig_dirs);
        free(p->ldconfig);
        free(p->rootfs);
        free(p->libdir);
        free(p->lib32dir);
        free(p->driver_version);
        free(p);
}
