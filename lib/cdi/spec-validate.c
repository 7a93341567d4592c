/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a spec must satisfy before anything of it reaches a container: the
 * CDI library's rules (pkg/parser, specs-go/validate, container-edits.go)
 * plus ours: the runtime applies these paths as root, so every path is
 * absolute and free of "..", whatever the CDI library would let through.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdi/spec.h"
#include "core/err.h"

static bool is_letter(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(char c)
{
        return is_letter(c) || (c >= '0' && c <= '9');
}

/* vendor and class: letter first, letter or digit last, '_' '-' '.' inside. */
static int check_qualifier_part(const char *s, size_t n, const char *what, const char *whole,
                                struct nvcr_err *err)
{
        if (n == 0)
                return nvcr_err_set(err, EINVAL, "invalid %s in \"%s\": empty name", what, whole);
        if (!is_letter(s[0]))
                return nvcr_err_set(err, EINVAL, "invalid %s \"%.*s\": should start with a letter",
                                    what, (int)n, s);
        for (size_t i = 1; i + 1 < n; i++)
                if (!is_alnum(s[i]) && s[i] != '_' && s[i] != '-' && s[i] != '.')
                        return nvcr_err_set(err, EINVAL,
                                            "invalid character '%c' in %s \"%.*s\"", s[i], what,
                                            (int)n, s);
        if (!is_alnum(s[n - 1]))
                return nvcr_err_set(err, EINVAL,
                                    "invalid %s \"%.*s\": should end with a letter or digit", what,
                                    (int)n, s);
        return 0;
}

int cdi_validate_kind(const char *kind, struct nvcr_err *err)
{
        const char *slash = strchr(kind, '/');
        int r;

        if (slash == NULL || slash == kind || slash[1] == '\0')
                return nvcr_err_set(err, EINVAL, "invalid kind \"%s\": not vendor/class", kind);
        r = check_qualifier_part(kind, (size_t)(slash - kind), "vendor", kind, err);
        if (r < 0)
                return r;
        return check_qualifier_part(slash + 1, strlen(slash + 1), "class", kind, err);
}

int cdi_validate_device_name(const char *name, struct nvcr_err *err)
{
        size_t n = strlen(name);

        if (n == 0)
                return nvcr_err_set(err, EINVAL, "invalid (empty) device name");
        if (!is_alnum(name[0]))
                return nvcr_err_set(err, EINVAL,
                                    "invalid device name \"%s\": should start with a letter or "
                                    "digit",
                                    name);
        for (size_t i = 1; i + 1 < n; i++) {
                char c = name[i];

                if (!is_alnum(c) && c != '_' && c != '-' && c != '.' && c != ':')
                        return nvcr_err_set(err, EINVAL,
                                            "invalid character '%c' in device name \"%s\"", c,
                                            name);
        }
        if (!is_alnum(name[n - 1]))
                return nvcr_err_set(err, EINVAL,
                                    "invalid device name \"%s\": should end with a letter or digit",
                                    name);
        return 0;
}

static bool has_dotdot(const char *p)
{
        for (const char *s = p; *s != '\0';) {
                const char *e = strchrnul(s, '/');

                if (e - s == 2 && s[0] == '.' && s[1] == '.')
                        return true;
                s = *e == '/' ? e + 1 : e;
        }
        return false;
}

/* Where a value sits, for messages: "spec.yaml: device \"0\": mount /x: …". */
struct scope {
        const char *file;
        const char *device; /* NULL: the spec's common edits */
};

static int fail(const struct scope *sc, struct nvcr_err *err, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int fail(const struct scope *sc, struct nvcr_err *err, const char *fmt, ...)
{
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        (void)vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (sc->device != NULL)
                return nvcr_err_set(err, EINVAL, "%s: device \"%s\": %s", sc->file, sc->device,
                                    msg);
        return nvcr_err_set(err, EINVAL, "%s: containerEdits: %s", sc->file, msg);
}

static int check_path(const struct scope *sc, const char *what, const char *p, bool need_abs,
                      struct nvcr_err *err)
{
        if (p == NULL || p[0] == '\0')
                return fail(sc, err, "%s is empty", what);
        if (need_abs && p[0] != '/')
                return fail(sc, err, "%s \"%s\" is not an absolute path", what, p);
        if (has_dotdot(p))
                return fail(sc, err, "%s \"%s\" has a \"..\" component (refused)", what, p);
        return 0;
}

static int check_env(const struct scope *sc, const char *what, char *const *env,
                     struct nvcr_err *err)
{
        for (size_t i = 0; env != NULL && env[i] != NULL; i++) {
                const char *eq = strchr(env[i], '=');

                if (eq == NULL || eq == env[i])
                        return fail(sc, err, "invalid %s variable \"%s\"", what, env[i]);
        }
        return 0;
}

static const char *const hook_names[] = {"prestart",         "createRuntime", "createContainer",
                                         "startContainer",   "poststart",     "poststop",
                                         NULL};

static int check_edits(const struct scope *sc, const struct cdi_edits *e, struct nvcr_err *err)
{
        int r = check_env(sc, "environment", e->env, err);

        if (r < 0)
                return r;
        for (size_t i = 0; i < e->nnodes; i++) {
                const struct cdi_device_node *n = &e->nodes[i];

                if ((r = check_path(sc, "device node path", n->path, true, err)) < 0)
                        return r;
                if (n->host_path != NULL &&
                    (r = check_path(sc, "device node hostPath", n->host_path, true, err)) < 0)
                        return r;
                if (n->type != 0 && strchr("bcup", n->type) == NULL)
                        return fail(sc, err, "device node %s: invalid type \"%c\"", n->path,
                                    n->type);
                if (n->permissions != NULL &&
                    strspn(n->permissions, "rwm") != strlen(n->permissions))
                        return fail(sc, err, "device node %s: invalid permissions \"%s\"",
                                    n->path, n->permissions);
        }
        for (size_t i = 0; i < e->nmounts; i++) {
                const struct cdi_mount *m = &e->mounts[i];
                /* A bind mount's source is a host path; other types name a source ("tmpfs"). */
                bool bind = m->type == NULL || strcmp(m->type, "bind") == 0 ||
                            strcmp(m->type, "rbind") == 0;

                if ((r = check_path(sc, "mount containerPath", m->container_path, true, err)) <
                            0 ||
                    (r = check_path(sc, "mount hostPath", m->host_path, bind, err)) < 0)
                        return r;
        }
        for (size_t i = 0; i < e->nhooks; i++) {
                const struct cdi_hook *h = &e->hooks[i];
                bool known = false;

                for (size_t k = 0; hook_names[k] != NULL && !known; k++)
                        known = strcmp(hook_names[k], h->hook_name) == 0;
                if (!known)
                        return fail(sc, err, "invalid hook name \"%s\"", h->hook_name);
                if ((r = check_path(sc, "hook path", h->path, true, err)) < 0 ||
                    (r = check_env(sc, "hook environment", h->env, err)) < 0)
                        return r;
        }
        return 0;
}

static int check_annotations(const char *file, const char *device, const struct cdi_annotation *a,
                             size_t n, struct nvcr_err *err)
{
        for (size_t i = 0; i < n; i++) {
                const char *k = a[i].key;

                /* Kubernetes annotation keys: [prefix/]name, [A-Za-z0-9._-/], name ≤ 63. */
                if (k[0] == '\0' || strlen(k) > 253 + 1 + 63 ||
                    strspn(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/") !=
                            strlen(k))
                        return nvcr_err_set(err, EINVAL, "%s: %s%s%sinvalid annotation key \"%s\"",
                                            file, device ? "device \"" : "", device ? device : "",
                                            device ? "\": " : "", k);
        }
        return 0;
}

static int cmp_name(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted, not pairwise: a hostile spec may hold 100000 devices. */
static int check_unique(const struct cdi_spec *spec, const char *what, struct nvcr_err *err)
{
        const char **names = calloc(spec->ndevices, sizeof(*names));

        if (names == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < spec->ndevices; i++)
                names[i] = spec->devices[i].name;
        qsort(names, spec->ndevices, sizeof(*names), cmp_name);
        for (size_t i = 1; i < spec->ndevices; i++) {
                if (strcmp(names[i - 1], names[i]) == 0) {
                        int r = nvcr_err_set(err, EINVAL,
                                             "%s: invalid spec, multiple device \"%s\"", what,
                                             names[i]);

                        free(names);
                        return r;
                }
        }
        free(names);
        return 0;
}

int cdi_spec_validate(const struct cdi_spec *spec, const char *what, struct nvcr_err *err)
{
        struct scope sc = {.file = what};
        int r;

        if (spec->cdi_version == NULL || spec->cdi_version[0] == '\0')
                return nvcr_err_set(err, EINVAL, "%s: no cdiVersion", what);
        if (!cdi_spec_version_known(spec->cdi_version))
                return nvcr_err_set(err, EINVAL, "%s: unsupported cdiVersion \"%s\"", what,
                                    spec->cdi_version);
        if (spec->kind == NULL || spec->kind[0] == '\0')
                return nvcr_err_set(err, EINVAL, "%s: no kind", what);
        if ((r = cdi_validate_kind(spec->kind, err)) < 0)
                return nvcr_err_wrap(err, "%s", what);
        if ((r = check_annotations(what, NULL, spec->annotations, spec->nannotations, err)) < 0 ||
            (r = check_edits(&sc, &spec->edits, err)) < 0)
                return r;
        if (spec->ndevices == 0)
                return nvcr_err_set(err, EINVAL, "%s: invalid spec, no devices", what);
        for (size_t i = 0; i < spec->ndevices; i++) {
                const struct cdi_spec_device *d = &spec->devices[i];

                if (d->name == NULL)
                        return nvcr_err_set(err, EINVAL, "%s: devices[%zu] has no name", what, i);
                if ((r = cdi_validate_device_name(d->name, err)) < 0)
                        return nvcr_err_wrap(err, "%s", what);
                sc.device = d->name;
                if ((r = check_annotations(what, d->name, d->annotations, d->nannotations, err)) <
                            0 ||
                    (r = check_edits(&sc, &d->edits, err)) < 0)
                        return r;
                if (cdi_edits_empty(&d->edits) && d->ngids == 0)
                        return nvcr_err_set(err, EINVAL,
                                            "%s: device \"%s\": invalid device, empty device edits",
                                            what, d->name);
        }
        return check_unique(spec, what, err);
}
