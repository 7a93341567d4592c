/* SPDX-License-Identifier: Apache-2.0 */
#include <json-c/json.h>
#include <string.h>

#include "apply/oci-spec-hook.h"
#include "core/err.h"

static const char *base_name(const char *p)
{
        const char *s = strrchr(p, '/');

        return s ? s + 1 : p;
}

bool spec_has_gpu_hook(const struct oci_spec *spec)
{
        for (size_t i = 0; i < spec->nprestart; i++) {
                const char *b = base_name(spec->prestart[i].path);

                if (strcmp(b, "nvidia-container-runtime-hook") == 0 ||
                    strcmp(b, "nvidia-container-toolkit") == 0)
                        return true;
        }
        return false;
}

static int add_string(json_object *arr, const char *s)
{
        json_object *v = json_object_new_string(s);

        if (v == NULL || json_object_array_add(arr, v) < 0) {
                json_object_put(v);
                return -1;
        }
        return 0;
}

int spec_add_gpu_hook(struct oci_spec *spec, const char *hook_path, const char *config_path,
                      struct nvcr_err *err)
{
        json_object *hooks = NULL, *prestart = NULL, *hook, *args, *env;

        if (spec_has_gpu_hook(spec))
                return 0;
        if (!json_object_object_get_ex(spec->root, "hooks", &hooks) || hooks == NULL) {
                hooks = json_object_new_object();
                if (hooks == NULL || json_object_object_add(spec->root, "hooks", hooks) < 0)
                        return nvcr_err_set(err, ENOMEM, "out of memory");
        }
        if (!json_object_is_type(hooks, json_type_object))
                return nvcr_err_set(err, EINVAL, "config.json: hooks is not an object");
        if (!json_object_object_get_ex(hooks, "prestart", &prestart) || prestart == NULL) {
                prestart = json_object_new_array();
                if (prestart == NULL || json_object_object_add(hooks, "prestart", prestart) < 0)
                        return nvcr_err_set(err, ENOMEM, "out of memory");
        }
        if (!json_object_is_type(prestart, json_type_array))
                return nvcr_err_set(err, EINVAL, "config.json: hooks.prestart is not an array");
        hook = json_object_new_object();
        args = json_object_new_array();
        env = json_object_new_array();
        if (hook == NULL || args == NULL || env == NULL || add_string(args, "nvidia-container-runtime-hook") < 0 ||
            (config_path && (add_string(args, "-config") < 0 || add_string(args, config_path) < 0)) ||
            add_string(args, "prestart") < 0 ||
            add_string(env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin") < 0) {
                json_object_put(hook);
                json_object_put(args);
                json_object_put(env);
                return nvcr_err_set(err, ENOMEM, "out of memory");
        }
        json_object_object_add(hook, "path", json_object_new_string(hook_path));
        json_object_object_add(hook, "args", args);
        json_object_object_add(hook, "env", env);
        if (json_object_array_add(prestart, hook) < 0) {
                json_object_put(hook);
                return nvcr_err_set(err, ENOMEM, "out of memory");
        }
        return 1;
}
