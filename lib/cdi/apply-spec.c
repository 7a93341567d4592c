/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "cdi/apply-spec.h"
#include "core/err.h"
#include "core/macro.h"

static int oom(struct nvcr_err *err)
{
        return nvcr_err_set(err, ENOMEM, "out of memory");
}

/* parent[key], created as a new object/array when absent; NULL when of another type. */
static json_object *child(json_object *parent, const char *key, json_type type, bool *oom_out)
{
        json_object *v = NULL;

        if (json_object_object_get_ex(parent, key, &v) && v != NULL)
                return json_object_is_type(v, type) ? v : NULL;
        v = type == json_type_array ? json_object_new_array() : json_object_new_object();
        if (v == NULL || json_object_object_add(parent, key, v) < 0) {
                json_object_put(v);
                *oom_out = true;
                return NULL;
        }
        return v;
}

static json_object *path_get(json_object *root, const char *a, const char *b, json_type type,
                             const char *what, struct nvcr_err *err)
{
        bool nomem = false;
        json_object *o = child(root, a, b ? json_type_object : type, &nomem);

        if (o != NULL && b != NULL)
                o = child(o, b, type, &nomem);
        if (o == NULL) {
                if (nomem)
                        (void)oom(err);
                else
                        (void)nvcr_err_set(err, EINVAL, "config.json: %s is not an %s", what,
                                           type == json_type_array ? "array" : "object");
        }
        return o;
}

static int arr_add(json_object *arr, json_object *v)
{
        if (v == NULL || json_object_array_add(arr, v) < 0) {
                json_object_put(v);
                return -1;
        }
        return 0;
}

static json_object *strv_json(char *const *v)
{
        json_object *a = json_object_new_array();

        for (size_t i = 0; a != NULL && v != NULL && v[i] != NULL; i++)
                if (arr_add(a, json_object_new_string(v[i])) < 0) {
                        json_object_put(a);
                        return NULL;
                }
        return a;
}

static int set_env(json_object *envs, const char *kv, struct nvcr_err *err)
{
        const char *eq = strchr(kv, '=');
        size_t klen = eq ? (size_t)(eq - kv) : strlen(kv);
        size_t n = json_object_array_length(envs);

        for (size_t i = 0; i < n; i++) {
                const char *s = json_object_get_string(json_object_array_get_idx(envs, i));

                if (s != NULL && strncmp(s, kv, klen) == 0 && s[klen] == '=') {
                        if (json_object_array_put_idx(envs, i, json_object_new_string(kv)) < 0)
                                return oom(err);
                        return 0;
                }
        }
        return arr_add(envs, json_object_new_string(kv)) < 0 ? oom(err) : 0;
}

/* Fills what the edit left unset from the host node. */
static int resolve_node(const struct cdi_device_node *n, char *type, int64_t *major,
                        int64_t *minor, uint32_t *mode, struct nvcr_err *err)
{
        const char *host = n->host_path ? n->host_path : n->path;
        struct stat st;

        *type = n->type;
        *major = n->major;
        *minor = n->minor;
        *mode = n->file_mode;
        if (*type != 0 && *major >= 0 && *minor >= 0 && *mode != 0)
                return 0;
        if (stat(host, &st) < 0)
                return nvcr_err_setsys(err, errno, "device node %s", host);
        if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
                return nvcr_err_set(err, EINVAL, "device node %s is not a device", host);
        if (*type == 0)
                *type = S_ISCHR(st.st_mode) ? 'c' : 'b';
        if (*major < 0 || *minor < 0) {
                *major = major(st.st_rdev);
                *minor = minor(st.st_rdev);
        }
        if (*mode == 0)
                *mode = st.st_mode & 07777;
        return 0;
}

static int add_node(json_object *devices, json_object *rules, const struct cdi_device_node *n,
                    struct nvcr_err *err)
{
        char type, t[2];
        int64_t major, minor;
        uint32_t mode;
        json_object *d, *rule;
        size_t len;
        int r;

        if ((r = resolve_node(n, &type, &major, &minor, &mode, err)) < 0)
                return r;
        t[0] = type;
        t[1] = '\0';
        /* The same path twice (two CDI devices sharing a node): the last one wins. */
        len = json_object_array_length(devices);
        for (size_t i = len; i-- > 0;) {
                json_object *p = NULL;
                const char *s;

                if (json_object_object_get_ex(json_object_array_get_idx(devices, i), "path", &p) &&
                    (s = json_object_get_string(p)) != NULL && strcmp(s, n->path) == 0)
                        json_object_array_del_idx(devices, i, 1);
        }
        d = json_object_new_object();
        if (d == NULL)
                return oom(err);
        json_object_object_add(d, "path", json_object_new_string(n->path));
        json_object_object_add(d, "type", json_object_new_string(t));
        json_object_object_add(d, "major", json_object_new_int64(major));
        json_object_object_add(d, "minor", json_object_new_int64(minor));
        json_object_object_add(d, "fileMode", json_object_new_int64(mode));
        if (n->uid >= 0)
                json_object_object_add(d, "uid", json_object_new_int64(n->uid));
        if (n->gid >= 0)
                json_object_object_add(d, "gid", json_object_new_int64(n->gid));
        if (arr_add(devices, d) < 0)
                return oom(err);
        rule = json_object_new_object();
        if (rule == NULL)
                return oom(err);
        json_object_object_add(rule, "allow", json_object_new_boolean(1));
        json_object_object_add(rule, "type", json_object_new_string(t));
        json_object_object_add(rule, "major", json_object_new_int64(major));
        json_object_object_add(rule, "minor", json_object_new_int64(minor));
        json_object_object_add(rule, "access",
                               json_object_new_string(n->permissions ? n->permissions : "rwm"));
        return arr_add(rules, rule) < 0 ? oom(err) : 0;
}

static int add_mount(json_object *mounts, const struct cdi_mount *m, struct nvcr_err *err)
{
        json_object *o = json_object_new_object(), *opts;

        if (o == NULL)
                return oom(err);
        json_object_object_add(o, "destination", json_object_new_string(m->container_path));
        json_object_object_add(o, "type", json_object_new_string(m->type ? m->type : "bind"));
        json_object_object_add(o, "source", json_object_new_string(m->host_path));
        if (m->options != NULL) {
                if ((opts = strv_json(m->options)) == NULL) {
                        json_object_put(o);
                        return oom(err);
                }
                json_object_object_add(o, "options", opts);
        }
        return arr_add(mounts, o) < 0 ? oom(err) : 0;
}

static int add_hook(json_object *hooks, const struct cdi_hook *h, struct nvcr_err *err)
{
        json_object *list, *o, *v;
        bool nomem = false;

        list = child(hooks, h->hook_name, json_type_array, &nomem);
        if (list == NULL)
                return nomem ? oom(err)
                             : nvcr_err_set(err, EINVAL, "config.json: hooks.%s is not an array",
                                            h->hook_name);
        if ((o = json_object_new_object()) == NULL)
                return oom(err);
        json_object_object_add(o, "path", json_object_new_string(h->path));
        if (h->args != NULL) {
                if ((v = strv_json(h->args)) == NULL)
                        goto nomem;
                json_object_object_add(o, "args", v);
        }
        if (h->env != NULL) {
                if ((v = strv_json(h->env)) == NULL)
                        goto nomem;
                json_object_object_add(o, "env", v);
        }
        if (h->timeout > 0)
                json_object_object_add(o, "timeout", json_object_new_int(h->timeout));
        return arr_add(list, o) < 0 ? oom(err) : 0;
nomem:
        json_object_put(o);
        return oom(err);
}

int cdi_apply_to_spec(struct oci_spec *spec, const struct cdi_edits *e, struct nvcr_err *err)
{
        json_object *root = spec->root, *o;
        int r;

        if (e->nenv > 0) {
                if ((o = path_get(root, "process", "env", json_type_array, "process.env", err)) == NULL)
                        return -err->code;
                for (size_t i = 0; i < e->nenv; i++)
                        if ((r = set_env(o, e->env[i], err)) < 0)
                                return r;
        }
        if (e->nnodes > 0) {
                json_object *devices, *rules, *linux_o = NULL, *res = NULL;
                bool nomem = false;

                devices = path_get(root, "linux", "devices", json_type_array, "linux.devices", err);
                if (devices == NULL)
                        return -err->code;
                linux_o = child(root, "linux", json_type_object, &nomem);
                res = linux_o ? child(linux_o, "resources", json_type_object, &nomem) : NULL;
                rules = res ? child(res, "devices", json_type_array, &nomem) : NULL;
                if (rules == NULL)
                        return nomem ? oom(err)
                                     : nvcr_err_set(err, EINVAL,
                                                    "config.json: linux.resources.devices is not an array");
                for (size_t i = 0; i < e->nnodes; i++)
                        if ((r = add_node(devices, rules, &e->nodes[i], err)) < 0)
                                return r;
        }
        if (e->nmounts > 0) {
                if ((o = path_get(root, "mounts", NULL, json_type_array, "mounts", err)) == NULL)
                        return -err->code;
                for (size_t i = 0; i < e->nmounts; i++)
                        if ((r = add_mount(o, &e->mounts[i], err)) < 0)
                                return r;
        }
        if (e->nhooks > 0) {
                if ((o = path_get(root, "hooks", NULL, json_type_object, "hooks", err)) == NULL)
                        return -err->code;
                for (size_t i = 0; i < e->nhooks; i++)
                        if ((r = add_hook(o, &e->hooks[i], err)) < 0)
                                return r;
        }
        return 0;
}

static bool is_gpu_hook(json_object *hook)
{
        json_object *p = NULL;
        const char *path, *b;

        if (!json_object_object_get_ex(hook, "path", &p) || (path = json_object_get_string(p)) == NULL)
                return false;
        b = strrchr(path, '/');
        b = b ? b + 1 : path;
        return strcmp(b, "nvidia-container-runtime-hook") == 0 ||
               strcmp(b, "nvidia-container-toolkit") == 0;
}

int spec_remove_gpu_hooks(struct oci_spec *spec, struct nvcr_err *err)
{
        json_object *hooks = NULL, *prestart = NULL;
        int removed = 0;

        (void)err;
        if (!json_object_object_get_ex(spec->root, "hooks", &hooks) ||
            !json_object_object_get_ex(hooks, "prestart", &prestart) ||
            !json_object_is_type(prestart, json_type_array))
                return 0;
        for (size_t i = json_object_array_length(prestart); i-- > 0;)
                if (is_gpu_hook(json_object_array_get_idx(prestart, i))) {
                        json_object_array_del_idx(prestart, i, 1);
                        removed++;
                }
        return removed;
}
