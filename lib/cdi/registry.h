/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The CDI spec dirs and fully qualified device names, as the CDI library's
 * cache resolves them (what podman, containerd and NVIDIA's runtime in cdi
 * mode do):
 *  - every *.json, *.yaml, *.yml file directly in each dir (no recursion,
 *    name order) is a spec; a missing dir is no error;
 *  - a dir later in the list has the higher priority: where two specs name
 *    the same device, the later dir wins; two specs in dirs of the same
 *    priority naming one device make that device unresolvable (conflict);
 *  - a spec that cannot be read or is invalid is skipped and kept in
 *    `errors`, so a broken file never hides the good ones;
 *  - "vendor/class=name" resolves to the spec's common edits (once per spec,
 *    when its first device is named) followed by the device's edits.
 */
#ifndef NVCR_CDI_REGISTRY_H
#define NVCR_CDI_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

#include "cdi/edits.h"
#include "cdi/spec.h"
#include "nvcr.h"

/* /etc/cdi, then /var/run/cdi (higher priority); NULL-terminated. */
extern const char *const cdi_default_spec_dirs[];

struct cdi_registry_spec {
        char *path;
        int priority; /* index of its dir */
        struct cdi_spec spec;
};

struct cdi_registry_error {
        char *path;
        char *msg; /* the full message, naming the file */
};

struct cdi_registry {
        struct cdi_registry_spec *specs;
        size_t nspecs;
        struct cdi_registry_error *errors; /* specs skipped, device conflicts */
        size_t nerrors;
};

/*
 * Loads every spec of `spec_dirs` (NULL-terminated; NULL = the defaults).
 * Only allocation failures fail (-ENOMEM); bad specs and unreadable dirs
 * land in reg->errors. Clear reg with cdi_registry_clear either way.
 */
int cdi_registry_load(struct cdi_registry *reg, const char *const *spec_dirs,
                      struct nvcr_err *err);
void cdi_registry_clear(struct cdi_registry *reg);

/*
 * The device a qualified name means, after priorities and conflicts; NULL
 * when none (or the name is not qualified). *spec_out (may be NULL) gets its spec.
 */
const struct cdi_spec_device *cdi_registry_find(const struct cdi_registry *reg,
                                                const char *qualified,
                                                const struct cdi_registry_spec **spec_out);

/*
 * Appends to *out (which may hold edits already) the edits of `names`
 * (duplicates count once). When a name does not resolve, nothing is
 * appended and the result is -ENOENT with the CDI library's message
 * "unresolvable CDI devices A, B" (every unresolvable name), followed, when
 * specs were skipped, by the first skip reason.
 */
int cdi_registry_resolve_in(const struct cdi_registry *reg, const char *const *names,
                            size_t nnames, struct cdi_edits *out, struct nvcr_err *err);

/*
 * Load + resolve in one call: what the runtime shim needs for the cdi mode.
 * spec_dirs NULL = the defaults. Same errors as cdi_registry_resolve_in.
 */
int cdi_registry_resolve(const char *const *spec_dirs, const char *const *names, size_t nnames,
                         struct cdi_edits *out, struct nvcr_err *err);

/*
 * Every resolvable qualified name ("nvidia.com/gpu=0"), in spec-dir priority
 * then file then device order, each once. *ret is a NULL-terminated strv.
 */
int cdi_registry_list(const struct cdi_registry *reg, char ***ret, size_t *ret_n,
                      struct nvcr_err *err);

/*
 * "vendor/class=name" with a valid vendor, class and device name (the CDI
 * library's IsQualifiedName). Splits it when kind/name are non-NULL
 * (heap copies). -EINVAL naming what is wrong otherwise.
 */
bool cdi_is_qualified_name(const char *s);
int cdi_parse_qualified_name(const char *s, char **kind, char **name, struct nvcr_err *err);

#endif
