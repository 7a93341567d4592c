/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CRI-O: a drop-in under /etc/crio/crio.conf.d, which CRI-O reads after
 * crio.conf by itself (no import to add).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/macro.h"
#include "engine/engine.h"

int engine_crio_dropin(const struct engine_runtime *rt, char **ret, struct nvcr_err *err)
{
        _cleanup_free_ char *key = NULL, *path = NULL, *name = NULL;
        bool bare = rt->name[0] != '\0' && strspn(rt->name, "abcdefghijklmnopqrstuvwxyz"
                                                            "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                            "0123456789_-") == strlen(rt->name);
        int r;

        key = bare ? strdup(rt->name) : engine_toml_quote(rt->name);
        path = engine_toml_quote(rt->path);
        name = engine_toml_quote(rt->name);
        if (key == NULL || path == NULL || name == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        /* The layout of the reference's output (go-toml, indented tables). */
        if (rt->set_as_default)
                r = asprintf(ret,
                             "\n[crio]\n\n  [crio.runtime]\n    default_runtime = %s\n"
                             "\n    [crio.runtime.runtimes]\n"
                             "\n      [crio.runtime.runtimes.%s]\n"
                             "        runtime_path = %s\n        runtime_type = \"oci\"\n",
                             name, key, path);
        else
                r = asprintf(ret,
                             "\n[crio]\n\n  [crio.runtime]\n"
                             "\n    [crio.runtime.runtimes]\n"
                             "\n      [crio.runtime.runtimes.%s]\n"
                             "        runtime_path = %s\n        runtime_type = \"oci\"\n",
                             key, path);
        if (r < 0) {
                *ret = NULL;
                return nvcr_err_set(err, ENOMEM, "out of memory");
        }
        return 0;
}
