/* SPDX-License-Identifier: Apache-2.0 */
/*
 * <bundle>/config.json (OCI runtime spec). The document is untrusted in its
 * content (the image and the engine's user shape it) but lives in the
 * runtime's bundle directory: it is opened without following a symlink,
 * refused unless a regular file, and size-capped before json-c sees it.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "core/err.h"
#include "core/fileio.h"
#include "core/macro.h"
#include "oci/spec.h"

#define WHAT "config.json"

static void hooks_free(struct oci_hook *h, size_t n)
{
        if (h == NULL)
                return;
        for (size_t i = 0; i < n; i++) {
                free(h[i].path);
                for (size_t j = 0; j < h[i].nargs; j++)
                        free(h[i].args[j]);
                free(h[i].args);
        }
        free(h);
}

void spec_free(struct oci_spec *spec)
{
        if (spec == NULL)
                return;
        if (spec->root != NULL)
                (void)json_object_put(spec->root);
        free(spec->oci_version);
        free(spec->rootfs);
        for (size_t i = 0; i < spec->nenv; i++)
                free(spec->env[i]);
        free(spec->env);
        for (size_t i = 0; i < spec->nmounts; i++) {
                free(spec->mounts[i].destination);
                free(spec->mounts[i].source);
                free(spec->mounts[i].type);
        }
        free(spec->mounts);
        oci_kv_free(spec->annotations, spec->nannotations);
        hooks_free(spec->prestart, spec->nprestart);
        hooks_free(spec->create_runtime, spec->ncreate_runtime);
        free(spec);
}

static void spec_freep(struct oci_spec **spec)
{
        spec_free(*spec);
}

struct json_object *spec_get_root_object(struct oci_spec *spec)
{
        return spec->root;
}

/* A JSON string without an embedded NUL, else NULL. */
static const char *clean_string(struct json_object *v)
{
        const char *s;

        if (!json_object_is_type(v, json_type_string))
                return NULL;
        s = json_object_get_string(v);
        if (strlen(s) != (size_t)json_object_get_string_len(v))
                return NULL;
        return s;
}

/* Optional array member: NULL when absent or null, -EINVAL when not an array. */
static int get_array(struct json_object *obj, const char *key, const char *name,
                     struct json_object **ret, struct nvcr_err *err)
{
        struct json_object *v = NULL;

        *ret = NULL;
        if (!json_object_object_get_ex(obj, key, &v) || v == NULL)
                return 0;
        if (!json_object_is_type(v, json_type_array))
                return nvcr_err_set(err, EINVAL, WHAT ": %s is not an array", name);
        *ret = v;
        return 0;
}

/* process.env: keep "NAME=VALUE" strings with a non-empty NAME, skip the rest. */
static int parse_env(struct oci_spec *spec, struct json_object *process, struct nvcr_err *err)
{
        struct json_object *env;
        size_t n;
        int r;

        r = get_array(process, "env", "process.env", &env, err);
        if (r < 0 || env == NULL)
                return r;
        n = json_object_array_length(env);
        if (n == 0)
                return 0;
        spec->env = calloc(n, sizeof(*spec->env));
        if (spec->env == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
                const char *s = clean_string(json_object_array_get_idx(env, i));

                if (s == NULL || s[0] == '=' || strchr(s, '=') == NULL)
                        continue;
                spec->env[spec->nenv] = strdup(s);
                if (spec->env[spec->nenv] == NULL)
                        return nvcr_err_set(err, ENOMEM, "out of memory");
                spec->nenv++;
        }
        return 0;
}

static bool list_has_sys_admin(struct json_object *list)
{
        size_t n = json_object_array_length(list);

        for (size_t i = 0; i < n; i++) {
                const char *s = clean_string(json_object_array_get_idx(list, i));

                if (s != NULL && strcmp(s, "CAP_SYS_ADMIN") == 0)
                        return true;
        }
        return false;
}

/*
 * Privileged = CAP_SYS_ADMIN in the bounding set. OCI 1.0 has an object of
 * sets; the rc1–rc4 drafts had process.capabilities as one list.
 */
static int parse_privileged(struct oci_spec *spec, struct json_object *process,
                            struct nvcr_err *err)
{
        struct json_object *caps = NULL, *bounding;
        int r;

        if (!json_object_object_get_ex(process, "capabilities", &caps) || caps == NULL)
                return 0;
        if (json_object_is_type(caps, json_type_array)) {
                spec->privileged = list_has_sys_admin(caps);
                return 0;
        }
        if (!json_object_is_type(caps, json_type_object))
                return nvcr_err_set(err, EINVAL,
                                    WHAT ": process.capabilities is neither an object nor a list");
        r = get_array(caps, "bounding", "process.capabilities.bounding", &bounding, err);
        if (r < 0)
                return r;
        spec->privileged = bounding != NULL && list_has_sys_admin(bounding);
        return 0;
}

static int dup_member(struct json_object *obj, const char *key, const char *name, bool required,
                      char **ret, struct nvcr_err *err)
{
        int r = oci_json_dup_string(obj, key, WHAT, ret, err);

        if (r < 0)
                return nvcr_err_wrap(err, "%s", name);
        if (required && (*ret == NULL || (*ret)[0] == '\0'))
                return nvcr_err_set(err, EINVAL, WHAT ": %s: no %s", name, key);
        return 0;
}

static int parse_mounts(struct oci_spec *spec, struct nvcr_err *err)
{
        struct json_object *mounts;
        size_t n;
        int r;

        r = get_array(spec->root, "mounts", "mounts", &mounts, err);
        if (r < 0 || mounts == NULL)
                return r;
        n = json_object_array_length(mounts);
        if (n == 0)
                return 0;
        spec->mounts = calloc(n, sizeof(*spec->mounts));
        if (spec->mounts == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
                struct json_object *m = json_object_array_get_idx(mounts, i);
                struct oci_mount *om = &spec->mounts[i];
                char name[48];

                (void)snprintf(name, sizeof(name), "mounts[%zu]", i);
                if (!json_object_is_type(m, json_type_object))
                        return nvcr_err_set(err, EINVAL, WHAT ": %s is not an object", name);
                spec->nmounts++;
                r = dup_member(m, "destination", name, true, &om->destination, err);
                if (r < 0)
                        return r;
                r = dup_member(m, "source", name, false, &om->source, err);
                if (r < 0)
                        return r;
                r = dup_member(m, "type", name, false, &om->type, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_hook_list(struct json_object *hooks, const char *key, struct oci_hook **ret,
                           size_t *ret_n, struct nvcr_err *err)
{
        struct json_object *list;
        struct oci_hook *h;
        char name[64];
        size_t n;
        int r;

        (void)snprintf(name, sizeof(name), "hooks.%s", key);
        r = get_array(hooks, key, name, &list, err);
        if (r < 0 || list == NULL)
                return r;
        n = json_object_array_length(list);
        if (n == 0)
                return 0;
        h = calloc(n, sizeof(*h));
        if (h == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        *ret = h;
        for (size_t i = 0; i < n; i++) {
                struct json_object *o = json_object_array_get_idx(list, i), *args;
                size_t na;

                (void)snprintf(name, sizeof(name), "hooks.%s[%zu]", key, i);
                if (!json_object_is_type(o, json_type_object))
                        return nvcr_err_set(err, EINVAL, WHAT ": %s is not an object", name);
                (*ret_n)++;
                r = dup_member(o, "path", name, true, &h[i].path, err);
                if (r < 0)
                        return r;
                r = get_array(o, "args", name, &args, err);
                if (r < 0)
                        return r;
                na = args != NULL ? json_object_array_length(args) : 0;
                h[i].args = calloc(na + 1, sizeof(*h[i].args));
                if (h[i].args == NULL)
                        return nvcr_err_set(err, ENOMEM, "out of memory");
                for (size_t j = 0; j < na; j++) {
                        const char *s = clean_string(json_object_array_get_idx(args, j));

                        if (s == NULL)
                                return nvcr_err_set(err, EINVAL,
                                                    WHAT ": %s.args[%zu] is not a string", name,
                                                    j);
                        h[i].args[j] = strdup(s);
                        if (h[i].args[j] == NULL)
                                return nvcr_err_set(err, ENOMEM, "out of memory");
                        h[i].nargs++;
                }
        }
        return 0;
}

static int parse_hooks(struct oci_spec *spec, struct nvcr_err *err)
{
        struct json_object *hooks = NULL;
        int r;

        if (!json_object_object_get_ex(spec->root, "hooks", &hooks) || hooks == NULL)
                return 0;
        if (!json_object_is_type(hooks, json_type_object))
                return nvcr_err_set(err, EINVAL, WHAT ": hooks is not an object");
        r = parse_hook_list(hooks, "prestart", &spec->prestart, &spec->nprestart, err);
        if (r < 0)
                return r;
        return parse_hook_list(hooks, "createRuntime", &spec->create_runtime,
                               &spec->ncreate_runtime, err);
}

static int get_object(struct json_object *obj, const char *key, struct json_object **ret,
                      struct nvcr_err *err)
{
        if (!json_object_object_get_ex(obj, key, ret) || *ret == NULL)
                return nvcr_err_set(err, EINVAL, WHAT ": no %s", key);
        if (!json_object_is_type(*ret, json_type_object))
                return nvcr_err_set(err, EINVAL, WHAT ": %s is not an object", key);
        return 0;
}

int spec_parse_buffer(const char *buf, size_t len, const char *bundle, struct oci_spec **ret,
                      struct nvcr_err *err)
{
        __attribute__((cleanup(spec_freep))) struct oci_spec *spec = NULL;
        _cleanup_free_ char *root_path = NULL;
        struct json_object *process, *root;
        int r;

        if (len > OCI_SPEC_MAX)
                return nvcr_err_set(err, EFBIG, WHAT ": larger than %u bytes", OCI_SPEC_MAX);
        spec = calloc(1, sizeof(*spec));
        if (spec == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        r = oci_json_parse(buf, len, WHAT, &spec->root, err);
        if (r < 0)
                return r;

        r = oci_json_dup_string(spec->root, "ociVersion", WHAT, &spec->oci_version, err);
        if (r < 0)
                return r;
        if (spec->oci_version == NULL)
                return nvcr_err_set(err, EINVAL, WHAT ": no ociVersion");
        r = get_object(spec->root, "process", &process, err);
        if (r < 0)
                return r;
        r = get_object(spec->root, "root", &root, err);
        if (r < 0)
                return r;
        r = dup_member(root, "path", "root", true, &root_path, err);
        if (r < 0)
                return r;
        r = oci_path_join_clean(bundle, root_path, WHAT ": root.path", &spec->rootfs, err);
        if (r < 0)
                return r;
        if (strcmp(spec->rootfs, "/") == 0)
                return nvcr_err_set(err, EINVAL, WHAT ": root.path '%s' resolves to /",
                                    root_path);

        r = parse_env(spec, process, err);
        if (r < 0)
                return r;
        r = parse_privileged(spec, process, err);
        if (r < 0)
                return r;
        r = parse_mounts(spec, err);
        if (r < 0)
                return r;
        r = oci_json_string_map(spec->root, "annotations", WHAT, &spec->annotations,
                                &spec->nannotations, err);
        if (r < 0)
                return r;
        r = parse_hooks(spec, err);
        if (r < 0)
                return r;
        *ret = steal_ptr(&spec);
        return 0;
}

int spec_load(int bundlefd, const char *bundle, struct oci_spec **ret, struct nvcr_err *err)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        int r = spec_read(bundlefd, bundle, &buf, &len, err);

        return r < 0 ? r : spec_parse_buffer(buf, len, bundle, ret, err);
}

int spec_serialize(const struct oci_spec *spec, char **ret, size_t *ret_len,
                   struct nvcr_err *err)
{
        const char *s;
        size_t len = 0;
        char *copy;

        s = json_object_to_json_string_length(spec->root,
                                              JSON_C_TO_STRING_PLAIN |
                                                      JSON_C_TO_STRING_NOSLASHESCAPE,
                                              &len);
        if (s == NULL)
                return nvcr_err_set(err, ENOMEM, WHAT ": cannot serialise");
        copy = malloc(len + 1);
        if (copy == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        memcpy(copy, s, len);
        copy[len] = '\0';
        *ret = copy;
        if (ret_len != NULL)
                *ret_len = len;
        return 0;
}

int spec_write_atomic(int bundlefd, const struct oci_spec *spec, struct nvcr_err *err)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        int r;

        r = spec_serialize(spec, &buf, &len, err);
        if (r < 0)
                return r;
        /* No fsync: a bundle does not outlive a crash of the machine (fileio.h). */
        r = write_file_replace_at(bundlefd, "config.json", buf, len, 0644, err);
        if (r < 0)
                return nvcr_err_wrap(err, "write config.json");
        return 0;
}
