/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply/shim-cdi.h"
#include "cdi/apply-spec.h"
#include "cdi/registry.h"
#include "core/err.h"
#include "core/macro.h"
#include "core/strv.h"

static bool has_prefix(const struct nvcr_config *cfg, const char *key)
{
        for (char **p = cfg->runtime.cdi.annotation_prefixes; p && *p; p++)
                if ((*p)[0] != '\0' && strncmp(key, *p, strlen(*p)) == 0)
                        return true;
        return false;
}

bool shim_cdi_annotated(const struct nvcr_config *cfg, const struct oci_spec *spec)
{
        for (size_t i = 0; i < spec->nannotations; i++)
                if (has_prefix(cfg, spec->annotations[i].key) && spec->annotations[i].value[0])
                        return true;
        return false;
}

/* Appends each comma-separated entry of list; bare ids get default-kind. */
static int add_names(char ***names, const char *list, const char *default_kind)
{
        const char *s = list;

        while (*s) {
                const char *e = strchrnul(s, ',');
                _cleanup_free_ char *tok = strndup(s, (size_t)(e - s)), *q = NULL;
                char *t = tok;
                size_t n;

                if (tok == NULL)
                        return -ENOMEM;
                while (*t == ' ' || *t == '\t')
                        t++;
                n = strlen(t);
                while (n > 0 && (t[n - 1] == ' ' || t[n - 1] == '\t'))
                        t[--n] = '\0';
                if (n > 0) {
                        if (strchr(t, '=') == NULL) {
                                if (asprintf(&q, "%s=%s", default_kind, t) < 0)
                                        return -ENOMEM;
                                t = q;
                        }
                        if (strv_push(names, t) < 0)
                                return -ENOMEM;
                }
                s = *e ? e + 1 : e;
        }
        return 0;
}

int shim_cdi(const struct nvcr_config *cfg, struct oci_spec *spec, const char *devices,
             struct nvcr_err *err)
{
        _cleanup_(strv_freep) char **names = NULL;
        struct cdi_edits edits = {0};
        const char *kind = cfg->runtime.cdi.default_kind;
        int r = 0;

        if (devices != NULL && strcmp(devices, "none") != 0)
                r = add_names(&names, devices, kind && kind[0] ? kind : "nvidia.com/gpu");
        for (size_t i = 0; r >= 0 && i < spec->nannotations; i++)
                if (has_prefix(cfg, spec->annotations[i].key))
                        r = add_names(&names, spec->annotations[i].value, kind);
        if (r < 0)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        if (names == NULL)
                return 0;
        r = cdi_registry_resolve((const char *const *)cfg->runtime.cdi.spec_dirs,
                                 (const char *const *)names, strv_len((const char *const *)names),
                                 &edits, err);
        if (r >= 0 && spec_remove_gpu_hooks(spec, err) >= 0)
                r = cdi_apply_to_spec(spec, &edits, err);
        cdi_edits_clear(&edits);
        return r < 0 ? r : 1;
}
