/* SPDX-License-Identifier: Apache-2.0 */
/* Spec dirs -> loaded specs -> qualified names -> edits (see registry.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cdi/registry.h"
#include "core/err.h"
#include "core/macro.h"
#include "core/strv.h"

const char *const cdi_default_spec_dirs[] = {"/etc/cdi", "/var/run/cdi", NULL};

static int oom(struct nvcr_err *err)
{
        return nvcr_err_set(err, ENOMEM, "out of memory");
}

void cdi_registry_clear(struct cdi_registry *reg)
{
        if (reg == NULL)
                return;
        for (size_t i = 0; i < reg->nspecs; i++) {
                free(reg->specs[i].path);
                cdi_spec_clear(&reg->specs[i].spec);
        }
        free(reg->specs);
        for (size_t i = 0; i < reg->nerrors; i++) {
                free(reg->errors[i].path);
                free(reg->errors[i].msg);
        }
        free(reg->errors);
        memset(reg, 0, sizeof(*reg));
}

static int add_error(struct cdi_registry *reg, const char *path, const char *msg,
                     struct nvcr_err *err)
{
        struct cdi_registry_error *e = realloc(reg->errors, (reg->nerrors + 1) * sizeof(*e));

        if (e == NULL)
                return oom(err);
        reg->errors = e;
        e = &e[reg->nerrors];
        e->path = strdup(path);
        e->msg = strdup(msg);
        if (e->path == NULL || e->msg == NULL) {
                free(e->path);
                free(e->msg);
                return oom(err);
        }
        reg->nerrors++;
        return 0;
}

static bool spec_file_name(const char *name)
{
        enum cdi_format f;

        return name[0] != '.' && cdi_spec_format_from_name(name, &f) == 0;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The spec file names of dir, sorted; a missing dir is an empty list. */
static int list_dir(struct cdi_registry *reg, const char *dir, char ***ret, struct nvcr_err *err)
{
        _cleanup_closedir_ DIR *d = opendir(dir);
        __attribute__((cleanup(strv_freep))) char **names = NULL;
        struct dirent *de;

        *ret = NULL;
        if (d == NULL) {
                char msg[NVCR_ERR_MSG_MAX];

                if (errno == ENOENT || errno == ENOTDIR)
                        return 0;
                (void)snprintf(msg, sizeof(msg), "%s: cannot open CDI spec dir: %s", dir,
                               strerror(errno));
                return add_error(reg, dir, msg, err);
        }
        while ((errno = 0, de = readdir(d)) != NULL) {
                if (!spec_file_name(de->d_name))
                        continue;
                if (de->d_type == DT_DIR)
                        continue;
                if (strv_push(&names, de->d_name) < 0)
                        return oom(err);
        }
        if (names != NULL)
                qsort(names, strv_len((const char *const *)names), sizeof(*names), cmp_str);
        *ret = steal_ptr(&names);
        return 0;
}

/* Every device of every spec, sortable by qualified name then priority. */
struct entry {
        const char *kind;
        const char *name;
        const struct cdi_registry_spec *spec;
};

static int cmp_entry(const void *pa, const void *pb)
{
        const struct entry *a = pa, *b = pb;
        int c = strcmp(a->kind, b->kind);

        if (c == 0)
                c = strcmp(a->name, b->name);
        if (c == 0)
                c = b->spec->priority - a->spec->priority; /* highest first */
        return c;
}

static bool same_device(const struct entry *a, const struct entry *b)
{
        return strcmp(a->kind, b->kind) == 0 && strcmp(a->name, b->name) == 0;
}

/* Sorted, not pairwise: a hostile spec dir may hold 100000 devices. */
static int build_index(const struct cdi_registry *reg, struct entry **ret, size_t *ret_n,
                       struct nvcr_err *err)
{
        size_t n = 0, k = 0;
        struct entry *e;

        for (size_t i = 0; i < reg->nspecs; i++)
                n += reg->specs[i].spec.ndevices;
        e = calloc(n + 1, sizeof(*e));
        if (e == NULL)
                return oom(err);
        for (size_t i = 0; i < reg->nspecs; i++)
                for (size_t j = 0; j < reg->specs[i].spec.ndevices; j++)
                        e[k++] = (struct entry){reg->specs[i].spec.kind,
                                                reg->specs[i].spec.devices[j].name,
                                                &reg->specs[i]};
        qsort(e, n, sizeof(*e), cmp_entry);
        *ret = e;
        *ret_n = n;
        return 0;
}

/* Same-priority conflicts, reported once per device as the CDI cache does. */
static int report_conflicts(struct cdi_registry *reg, struct nvcr_err *err)
{
        _cleanup_free_ struct entry *e = NULL;
        size_t n;
        int r = build_index(reg, &e, &n, err);

        for (size_t i = 1; r >= 0 && i < n; i++) {
                char msg[NVCR_ERR_MSG_MAX];

                if (!same_device(&e[i - 1], &e[i]) ||
                    e[i - 1].spec->priority != e[i].spec->priority ||
                    (i >= 2 && same_device(&e[i - 2], &e[i]) &&
                     e[i - 2].spec->priority == e[i].spec->priority))
                        continue;
                (void)snprintf(msg, sizeof(msg), "conflicting device \"%s=%s\" (specs \"%s\", \"%s\")",
                               e[i].kind, e[i].name, e[i - 1].spec->path, e[i].spec->path);
                r = add_error(reg, e[i].spec->path, msg, err);
        }
        return r;
}

int cdi_registry_load(struct cdi_registry *reg, const char *const *spec_dirs,
                      struct nvcr_err *err)
{
        memset(reg, 0, sizeof(*reg));
        if (spec_dirs == NULL)
                spec_dirs = cdi_default_spec_dirs;
        for (int prio = 0; spec_dirs[prio] != NULL; prio++) {
                __attribute__((cleanup(strv_freep))) char **names = NULL;
                int r = list_dir(reg, spec_dirs[prio], &names, err);

                if (r < 0)
                        return r;
                for (size_t i = 0; names != NULL && names[i] != NULL; i++) {
                        struct nvcr_err e = {0};
                        struct cdi_spec spec;
                        struct cdi_registry_spec *s;
                        _cleanup_free_ char *path = NULL;
                        struct stat st;

                        if (asprintf(&path, "%s/%s", spec_dirs[prio], names[i]) < 0) {
                                path = NULL;
                                return oom(err);
                        }
                        /* DT_UNKNOWN file systems, and symlinks to dirs: skip non-files. */
                        if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
                                continue;
                        r = cdi_spec_read_file(path, &spec, &e);
                        if (r == -ENOMEM)
                                return oom(err);
                        if (r < 0) {
                                if ((r = add_error(reg, path, e.msg, err)) < 0)
                                        return r;
                                continue;
                        }
                        s = realloc(reg->specs, (reg->nspecs + 1) * sizeof(*s));
                        if (s == NULL) {
                                cdi_spec_clear(&spec);
                                return oom(err);
                        }
                        reg->specs = s;
                        reg->specs[reg->nspecs++] = (struct cdi_registry_spec){
                                .path = steal_ptr(&path),
                                .priority = prio,
                                .spec = spec,
                        };
                }
        }
        return report_conflicts(reg, err);
}

bool cdi_is_qualified_name(const char *s)
{
        return cdi_parse_qualified_name(s, NULL, NULL, NULL) == 0;
}

int cdi_parse_qualified_name(const char *s, char **kind, char **name, struct nvcr_err *err)
{
        const char *eq = strchr(s, '=');
        _cleanup_free_ char *k = NULL;
        int r;

        if (eq == NULL || eq == s || eq[1] == '\0')
                return nvcr_err_set(err, EINVAL,
                                    "\"%s\" is not a qualified CDI device name (vendor/class=name)",
                                    s);
        k = strndup(s, (size_t)(eq - s));
        if (k == NULL)
                return oom(err);
        if ((r = cdi_validate_kind(k, err)) < 0 || (r = cdi_validate_device_name(eq + 1, err)) < 0)
                return nvcr_err_wrap(err, "\"%s\" is not a qualified CDI device name", s);
        if (name != NULL) {
                *name = strdup(eq + 1);
                if (*name == NULL)
                        return oom(err);
        }
        if (kind != NULL)
                *kind = steal_ptr(&k);
        return 0;
}

/* The device kind=name of spec s, NULL when it has none. */
static const struct cdi_spec_device *spec_device(const struct cdi_registry_spec *s,
                                                 const char *kind, size_t kind_len,
                                                 const char *name)
{
        if (strlen(s->spec.kind) != kind_len || strncmp(s->spec.kind, kind, kind_len) != 0)
                return NULL;
        for (size_t i = 0; i < s->spec.ndevices; i++)
                if (strcmp(s->spec.devices[i].name, name) == 0)
                        return &s->spec.devices[i];
        return NULL;
}

const struct cdi_spec_device *cdi_registry_find(const struct cdi_registry *reg,
                                                const char *qualified,
                                                const struct cdi_registry_spec **spec_out)
{
        const struct cdi_spec_device *best = NULL;
        const struct cdi_registry_spec *best_spec = NULL;
        const char *eq = strchr(qualified, '=');
        bool conflict = false;

        if (spec_out != NULL)
                *spec_out = NULL;
        if (eq == NULL)
                return NULL;
        for (size_t i = 0; i < reg->nspecs; i++) {
                const struct cdi_registry_spec *s = &reg->specs[i];
                const struct cdi_spec_device *d =
                        spec_device(s, qualified, (size_t)(eq - qualified), eq + 1);

                if (d == NULL)
                        continue;
                if (best_spec == NULL || s->priority > best_spec->priority) {
                        best = d;
                        best_spec = s;
                        conflict = false;
                } else if (s->priority == best_spec->priority) {
                        conflict = true;
                }
        }
        if (conflict)
                return NULL;
        if (spec_out != NULL)
                *spec_out = best_spec;
        return best;
}

int cdi_registry_resolve_in(const struct cdi_registry *reg, const char *const *names,
                            size_t nnames, struct cdi_edits *out, struct nvcr_err *err)
{
        _cleanup_free_ const struct cdi_spec_device **devs = NULL;
        _cleanup_free_ const struct cdi_registry_spec **specs = NULL;
        _cleanup_free_ char *missing = NULL;
        size_t missing_len = 0;
        struct cdi_edits tmp = {0};
        int r = 0;

        devs = calloc(nnames + 1, sizeof(*devs));
        specs = calloc(nnames + 1, sizeof(*specs));
        if (devs == NULL || specs == NULL)
                return oom(err);
        for (size_t i = 0; i < nnames; i++) {
                devs[i] = cdi_registry_find(reg, names[i], &specs[i]);
                if (devs[i] != NULL)
                        continue;
                {
                        size_t n = strlen(names[i]);
                        char *m = realloc(missing, missing_len + n + 3);

                        if (m == NULL)
                                return oom(err);
                        missing = m;
                        if (missing_len > 0) {
                                memcpy(missing + missing_len, ", ", 2);
                                missing_len += 2;
                        }
                        memcpy(missing + missing_len, names[i], n + 1);
                        missing_len += n;
                }
        }
        if (missing != NULL) {
                if (reg->nerrors > 0)
                        return nvcr_err_set(err, ENOENT,
                                            "unresolvable CDI devices %s (%zu CDI spec problem%s, "
                                            "first: %s)",
                                            missing, reg->nerrors, reg->nerrors == 1 ? "" : "s",
                                            reg->errors[0].msg);
                return nvcr_err_set(err, ENOENT, "unresolvable CDI devices %s", missing);
        }
        /* Common edits of a spec once, before its first device; a name given twice once. */
        for (size_t i = 0; i < nnames && r >= 0; i++) {
                bool seen_dev = false, seen_spec = false;

                for (size_t j = 0; j < i; j++) {
                        seen_dev = seen_dev || devs[j] == devs[i];
                        seen_spec = seen_spec || specs[j] == specs[i];
                }
                if (seen_dev)
                        continue;
                if (!seen_spec)
                        r = cdi_edits_merge(&tmp, &specs[i]->spec.edits, err);
                if (r >= 0)
                        r = cdi_edits_merge(&tmp, &devs[i]->edits, err);
        }
        if (r >= 0)
                r = cdi_edits_merge(out, &tmp, err);
        cdi_edits_clear(&tmp);
        return r < 0 ? r : 0;
}

int cdi_registry_resolve(const char *const *spec_dirs, const char *const *names, size_t nnames,
                         struct cdi_edits *out, struct nvcr_err *err)
{
        struct cdi_registry reg;
        int r = cdi_registry_load(&reg, spec_dirs, err);

        if (r >= 0)
                r = cdi_registry_resolve_in(&reg, names, nnames, out, err);
        cdi_registry_clear(&reg);
        return r;
}

int cdi_registry_list(const struct cdi_registry *reg, char ***ret, size_t *ret_n,
                      struct nvcr_err *err)
{
        __attribute__((cleanup(strv_freep))) char **names = NULL;
        _cleanup_free_ struct entry *e = NULL;
        size_t n = 0, ne = 0;
        int r;

        *ret = NULL;
        if ((r = build_index(reg, &e, &ne, err)) < 0)
                return r;
        names = calloc(ne + 1, sizeof(*names));
        if (names == NULL)
                return oom(err);
        /* Sorted by name as the CDI cache lists them; the winner of each name only. */
        for (size_t i = 0; i < ne; i++) {
                if (i > 0 && same_device(&e[i - 1], &e[i]))
                        continue;
                if (i + 1 < ne && same_device(&e[i], &e[i + 1]) &&
                    e[i].spec->priority == e[i + 1].spec->priority)
                        continue; /* conflict: unresolvable */
                if (asprintf(&names[n], "%s=%s", e[i].kind, e[i].name) < 0) {
                        names[n] = NULL;
                        return oom(err);
                }
                n++;
        }
        qsort(names, n, sizeof(*names), cmp_str);
        *ret = steal_ptr(&names);
        if (ret_n != NULL)
                *ret_n = n;
        return 0;
}
