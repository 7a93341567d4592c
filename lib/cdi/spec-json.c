/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The json-c tree of a spec <-> struct cdi_spec. Both formats arrive here as
 * the same tree (spec-yaml.c converts YAML). As the CDI library decodes
 * (sigs.k8s.io/yaml UnmarshalStrict): an unknown field is an error, null is
 * the same as absent, and a string field also takes a number or boolean
 * written without quotes (YAML `name: 0`), as its text.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cdi/spec-internal.h"
#include "core/err.h"
#include "core/json-strict.h"
#include "core/macro.h"

int cdi_json_text_parse(const char *buf, size_t len, const char *what, struct json_object **ret,
                        struct nvcr_err *err)
{
        return json_parse_strict(buf, len, CDI_SPEC_MAX_DEPTH, what, ret, err);
}

/* ------------------------------------------------------------ decoding */

/* Where in the document a value is, for messages ("devices[2].containerEdits"). */
struct where {
        const char *file;
        char at[256];
};

static int bad(const struct where *w, const char *key, const char *why, struct nvcr_err *err)
{
        return nvcr_err_set(err, EINVAL, "%s: %s%s%s %s", w->file, w->at, w->at[0] ? "." : "",
                            key, why);
}

static void sub(struct where *dst, const struct where *w, const char *key, long idx)
{
        dst->file = w->file;
        if (idx >= 0)
                (void)snprintf(dst->at, sizeof(dst->at), "%s%s%s[%ld]", w->at, w->at[0] ? "." : "",
                               key, idx);
        else
                (void)snprintf(dst->at, sizeof(dst->at), "%s%s%s", w->at, w->at[0] ? "." : "",
                               key);
}

static int check_fields(struct json_object *o, const struct where *w, const char *const *known,
                        struct nvcr_err *err)
{
        json_object_object_foreach(o, k, v)
        {
                bool ok = false;

                (void)v;
                for (size_t i = 0; known[i] != NULL && !ok; i++)
                        ok = strcmp(known[i], k) == 0;
                if (!ok)
                        return bad(w, k, "is not a CDI spec field", err);
        }
        return 0;
}

/* The member `key` of o, NULL when absent or null. */
static struct json_object *member(struct json_object *o, const char *key)
{
        struct json_object *v = NULL;

        if (!json_object_object_get_ex(o, key, &v))
                return NULL;
        return v;
}

static int get_string(struct json_object *v, const struct where *w, const char *key, char **ret,
                      struct nvcr_err *err)
{
        const char *s;
        char *copy;

        *ret = NULL;
        if (v == NULL)
                return 0;
        if (!json_object_is_type(v, json_type_string) && !json_object_is_type(v, json_type_int) &&
            !json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_boolean))
                return bad(w, key, "is not a string", err);
        s = json_object_get_string(v);
        if (json_object_is_type(v, json_type_string) &&
            strlen(s) != (size_t)json_object_get_string_len(v))
                return bad(w, key, "contains a NUL byte", err);
        copy = strdup(s);
        if (copy == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        *ret = copy;
        return 0;
}

static int get_int(struct json_object *v, const struct where *w, const char *key, int64_t min,
                   int64_t max, int64_t *ret, struct nvcr_err *err)
{
        int64_t n;

        if (!json_object_is_type(v, json_type_int))
                return bad(w, key, "is not an integer", err);
        errno = 0;
        n = json_object_get_int64(v);
        /* json-c clamps out-of-range numbers to INT64_MIN/MAX: refuse those
           two values, which no field needs. */
        if (n < min || n > max || errno == ERANGE || n == INT64_MAX || n == INT64_MIN)
                return bad(w, key, "is out of range", err);
        *ret = n;
        return 0;
}

static int get_strv(struct json_object *v, const struct where *w, const char *key, char ***ret,
                    size_t *ret_n, struct nvcr_err *err)
{
        size_t n;
        char **out;
        int r;

        *ret = NULL;
        if (ret_n != NULL)
                *ret_n = 0;
        if (v == NULL)
                return 0;
        if (!json_object_is_type(v, json_type_array))
                return bad(w, key, "is not a list of strings", err);
        n = json_object_array_length(v);
        if (n == 0)
                return 0;
        out = calloc(n + 1, sizeof(*out));
        if (out == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
                struct json_object *e = json_object_array_get_idx(v, i);
                char k[64];

                (void)snprintf(k, sizeof(k), "%s[%zu]", key, i);
                /* Numbers in a list of strings are text too (YAML `args: [1]`). */
                if (e == NULL) {
                        strv_free(out);
                        return bad(w, k, "is not a string", err);
                }
                r = get_string(e, w, k, &out[i], err);
                if (r < 0) {
                        strv_free(out);
                        return r;
                }
        }
        *ret = out;
        if (ret_n != NULL)
                *ret_n = n;
        return 0;
}

static int get_annotations(struct json_object *v, const struct where *w,
                           struct cdi_annotation **ret, size_t *ret_n, struct nvcr_err *err)
{
        struct cdi_annotation *a;
        size_t n = 0, cap;

        *ret = NULL;
        *ret_n = 0;
        if (v == NULL)
                return 0;
        if (!json_object_is_type(v, json_type_object))
                return bad(w, "annotations", "is not a map of strings", err);
        cap = (size_t)json_object_object_length(v);
        if (cap == 0)
                return 0;
        a = calloc(cap, sizeof(*a));
        if (a == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        json_object_object_foreach(v, k, val)
        {
                struct where aw;
                int r;

                sub(&aw, w, "annotations", -1);
                r = get_string(val, &aw, k, &a[n].value, err);
                if (r >= 0) {
                        a[n].key = strdup(k);
                        if (a[n].value == NULL)
                                a[n].value = strdup("");
                        if (a[n].key == NULL || a[n].value == NULL)
                                r = nvcr_err_set(err, ENOMEM, "out of memory");
                }
                n++;
                if (r < 0) {
                        for (size_t i = 0; i < n; i++) {
                                free(a[i].key);
                                free(a[i].value);
                        }
                        free(a);
                        return r;
                }
        }
        *ret = a;
        *ret_n = n;
        return 0;
}

/* A list member: NULL (absent/null) is an empty list; anything else must be an array. */
static int get_array(struct json_object *o, const char *key, const struct where *w,
                     struct json_object **ret, struct nvcr_err *err)
{
        struct json_object *v = member(o, key);

        *ret = NULL;
        if (v == NULL)
                return 0;
        if (!json_object_is_type(v, json_type_array))
                return bad(w, key, "is not a list", err);
        *ret = v;
        return 0;
}

static int get_object(struct json_object *v, const struct where *w, const char *what,
                      struct nvcr_err *err)
{
        if (v == NULL || !json_object_is_type(v, json_type_object))
                return nvcr_err_set(err, EINVAL, "%s: %s is not an object", w->file,
                                    w->at[0] ? w->at : what);
        return 0;
}

static const char *const node_fields[] = {"path",     "hostPath",    "type", "major", "minor",
                                          "fileMode", "permissions", "uid",  "gid",   NULL};

static int decode_node(struct json_object *o, const struct where *w, struct cdi_edits *e,
                       struct nvcr_err *err)
{
        struct cdi_device_node n = {.major = -1, .minor = -1, .uid = -1, .gid = -1};
        _cleanup_free_ char *path = NULL, *host = NULL, *type = NULL, *perm = NULL;
        struct json_object *v;
        int64_t i;
        int r;

        if ((r = get_object(o, w, "deviceNode", err)) < 0 ||
            (r = check_fields(o, w, node_fields, err)) < 0 ||
            (r = get_string(member(o, "path"), w, "path", &path, err)) < 0 ||
            (r = get_string(member(o, "hostPath"), w, "hostPath", &host, err)) < 0 ||
            (r = get_string(member(o, "type"), w, "type", &type, err)) < 0 ||
            (r = get_string(member(o, "permissions"), w, "permissions", &perm, err)) < 0)
                return r;
        if (type != NULL && type[0] != '\0') {
                if (type[1] != '\0')
                        return bad(w, "type", "is not one of b, c, u, p", err);
                n.type = type[0];
        }
        if ((v = member(o, "major")) != NULL &&
            (r = get_int(v, w, "major", 0, UINT32_MAX, &n.major, err)) < 0)
                return r;
        if ((v = member(o, "minor")) != NULL &&
            (r = get_int(v, w, "minor", 0, UINT32_MAX, &n.minor, err)) < 0)
                return r;
        if ((v = member(o, "fileMode")) != NULL) {
                if ((r = get_int(v, w, "fileMode", 0, UINT32_MAX, &i, err)) < 0)
                        return r;
                n.file_mode = (uint32_t)i;
        }
        if ((v = member(o, "uid")) != NULL &&
            (r = get_int(v, w, "uid", 0, UINT32_MAX, &n.uid, err)) < 0)
                return r;
        if ((v = member(o, "gid")) != NULL &&
            (r = get_int(v, w, "gid", 0, UINT32_MAX, &n.gid, err)) < 0)
                return r;
        n.path = path != NULL ? path : (char *)"";
        n.host_path = host != NULL && host[0] != '\0' ? host : NULL;
        n.permissions = perm != NULL && perm[0] != '\0' ? perm : NULL;
        return cdi_edits_add_node(e, &n, err);
}

static const char *const mount_fields[] = {"hostPath", "containerPath", "type", "options", NULL};

static int decode_mount(struct json_object *o, const struct where *w, struct cdi_edits *e,
                        struct nvcr_err *err)
{
        _cleanup_free_ char *host = NULL, *cpath = NULL, *type = NULL;
        __attribute__((cleanup(strv_freep))) char **opts = NULL;
        struct cdi_mount m;
        int r;

        if ((r = get_object(o, w, "mount", err)) < 0 ||
            (r = check_fields(o, w, mount_fields, err)) < 0 ||
            (r = get_string(member(o, "hostPath"), w, "hostPath", &host, err)) < 0 ||
            (r = get_string(member(o, "containerPath"), w, "containerPath", &cpath, err)) < 0 ||
            (r = get_string(member(o, "type"), w, "type", &type, err)) < 0 ||
            (r = get_strv(member(o, "options"), w, "options", &opts, NULL, err)) < 0)
                return r;
        m = (struct cdi_mount){
                .host_path = host != NULL ? host : (char *)"",
                .container_path = cpath != NULL ? cpath : (char *)"",
                .type = type != NULL && type[0] != '\0' ? type : NULL,
                .options = opts,
        };
        return cdi_edits_add_mount(e, &m, err);
}

static const char *const hook_fields[] = {"hookName", "path", "args", "env", "timeout", NULL};

static int decode_hook(struct json_object *o, const struct where *w, struct cdi_edits *e,
                       struct nvcr_err *err)
{
        _cleanup_free_ char *name = NULL, *path = NULL;
        __attribute__((cleanup(strv_freep))) char **args = NULL;
        __attribute__((cleanup(strv_freep))) char **env = NULL;
        struct json_object *v;
        struct cdi_hook h;
        int64_t timeout = 0;
        int r;

        if ((r = get_object(o, w, "hook", err)) < 0 ||
            (r = check_fields(o, w, hook_fields, err)) < 0 ||
            (r = get_string(member(o, "hookName"), w, "hookName", &name, err)) < 0 ||
            (r = get_string(member(o, "path"), w, "path", &path, err)) < 0 ||
            (r = get_strv(member(o, "args"), w, "args", &args, NULL, err)) < 0 ||
            (r = get_strv(member(o, "env"), w, "env", &env, NULL, err)) < 0)
                return r;
        /* The OCI runtime spec: "timeout … MUST be greater than zero". */
        if ((v = member(o, "timeout")) != NULL &&
            (r = get_int(v, w, "timeout", 1, INT_MAX, &timeout, err)) < 0)
                return r;
        h = (struct cdi_hook){
                .hook_name = name != NULL ? name : (char *)"",
                .path = path != NULL ? path : (char *)"",
                .args = args,
                .env = env,
                .timeout = (int)timeout,
        };
        return cdi_edits_add_hook(e, &h, err);
}

static const char *const edits_fields[] = {"env",      "deviceNodes",    "mounts",
                                           "hooks",    "additionalGIDs", "intelRdt", NULL};

static int decode_list(struct json_object *o, const char *key, const struct where *w,
                       struct cdi_edits *e,
                       int (*fn)(struct json_object *, const struct where *, struct cdi_edits *,
                                 struct nvcr_err *),
                       struct nvcr_err *err)
{
        struct json_object *arr;
        int r = get_array(o, key, w, &arr, err);

        if (r < 0 || arr == NULL)
                return r;
        for (size_t i = 0; i < json_object_array_length(arr); i++) {
                struct where iw;

                sub(&iw, w, key, (long)i);
                r = fn(json_object_array_get_idx(arr, i), &iw, e, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int decode_edits(struct json_object *o, const struct where *w, struct cdi_edits *e,
                        uint32_t **gids, size_t *ngids, struct nvcr_err *err)
{
        __attribute__((cleanup(strv_freep))) char **env = NULL;
        struct json_object *arr, *rdt;
        size_t nenv = 0;
        int r;

        if (o == NULL)
                return 0;
        if ((r = get_object(o, w, "containerEdits", err)) < 0 ||
            (r = check_fields(o, w, edits_fields, err)) < 0 ||
            (r = get_strv(member(o, "env"), w, "env", &env, &nenv, err)) < 0)
                return r;
        for (size_t i = 0; i < nenv; i++)
                if ((r = cdi_edits_add_env(e, env[i], err)) < 0)
                        return r;
        if ((r = decode_list(o, "deviceNodes", w, e, decode_node, err)) < 0 ||
            (r = decode_list(o, "mounts", w, e, decode_mount, err)) < 0 ||
            (r = decode_list(o, "hooks", w, e, decode_hook, err)) < 0)
                return r;
        /* intelRdt (0.7.0) is a resource-control setting of no use for GPUs:
           accepted, not applied, as long as it has the right shape. */
        rdt = member(o, "intelRdt");
        if (rdt != NULL && !json_object_is_type(rdt, json_type_object))
                return bad(w, "intelRdt", "is not an object", err);
        if ((r = get_array(o, "additionalGIDs", w, &arr, err)) < 0)
                return r;
        if (arr != NULL && json_object_array_length(arr) > 0) {
                size_t n = json_object_array_length(arr);

                *gids = calloc(n, sizeof(**gids));
                if (*gids == NULL)
                        return nvcr_err_set(err, ENOMEM, "out of memory");
                for (size_t i = 0; i < n; i++) {
                        struct json_object *g = json_object_array_get_idx(arr, i);
                        struct where gw;
                        int64_t v;

                        sub(&gw, w, "additionalGIDs", (long)i);
                        if (g == NULL)
                                return nvcr_err_set(err, EINVAL, "%s: %s is not an integer",
                                                    gw.file, gw.at);
                        if ((r = get_int(g, w, gw.at, 0, UINT32_MAX, &v, err)) < 0)
                                return r;
                        (*gids)[i] = (uint32_t)v;
                        *ngids = i + 1;
                }
        }
        return 0;
}

static const char *const device_fields[] = {"name", "annotations", "containerEdits", NULL};
static const char *const spec_fields[] = {"cdiVersion", "kind", "annotations", "devices",
                                          "containerEdits", NULL};

int cdi_spec_from_json(struct json_object *doc, const char *what, struct cdi_spec *out,
                       struct nvcr_err *err)
{
        struct where w = {.file = what};
        struct json_object *devs;
        size_t n;
        int r;

        memset(out, 0, sizeof(*out));
        if (doc == NULL || !json_object_is_type(doc, json_type_object))
                return nvcr_err_set(err, EINVAL, "%s: not a CDI spec (the document is not a map)",
                                    what);
        if ((r = check_fields(doc, &w, spec_fields, err)) < 0 ||
            (r = get_string(member(doc, "cdiVersion"), &w, "cdiVersion", &out->cdi_version,
                            err)) < 0 ||
            (r = get_string(member(doc, "kind"), &w, "kind", &out->kind, err)) < 0 ||
            (r = get_annotations(member(doc, "annotations"), &w, &out->annotations,
                                 &out->nannotations, err)) < 0)
                return r;
        {
                struct where ew;

                sub(&ew, &w, "containerEdits", -1);
                r = decode_edits(member(doc, "containerEdits"), &ew, &out->edits, &out->gids,
                                 &out->ngids, err);
                if (r < 0)
                        return r;
        }
        if ((r = get_array(doc, "devices", &w, &devs, err)) < 0)
                return r;
        n = devs != NULL ? json_object_array_length(devs) : 0;
        if (n == 0)
                return 0;
        out->devices = calloc(n, sizeof(*out->devices));
        if (out->devices == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
                struct json_object *d = json_object_array_get_idx(devs, i);
                struct cdi_spec_device *dev = &out->devices[i];
                struct where dw, ew;

                out->ndevices = i + 1;
                sub(&dw, &w, "devices", (long)i);
                if ((r = get_object(d, &dw, "device", err)) < 0 ||
                    (r = check_fields(d, &dw, device_fields, err)) < 0 ||
                    (r = get_string(member(d, "name"), &dw, "name", &dev->name, err)) < 0 ||
                    (r = get_annotations(member(d, "annotations"), &dw, &dev->annotations,
                                         &dev->nannotations, err)) < 0)
                        return r;
                sub(&ew, &dw, "containerEdits", -1);
                if ((r = decode_edits(member(d, "containerEdits"), &ew, &dev->edits, &dev->gids,
                                      &dev->ngids, err)) < 0)
                        return r;
        }
        return 0;
}

/* ------------------------------------------------------------ encoding */

static int add(struct json_object *o, const char *key, struct json_object *v)
{
        if (v == NULL)
                return -ENOMEM;
        if (json_object_object_add(o, key, v) < 0) {
                (void)json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static int add_str(struct json_object *o, const char *key, const char *s)
{
        return add(o, key, json_object_new_string(s));
}

static int add_strv(struct json_object *o, const char *key, char *const *v)
{
        struct json_object *arr;

        if (v == NULL || v[0] == NULL)
                return 0;
        arr = json_object_new_array();
        if (arr == NULL)
                return -ENOMEM;
        for (size_t i = 0; v[i] != NULL; i++) {
                struct json_object *s = json_object_new_string(v[i]);

                if (s == NULL || json_object_array_add(arr, s) < 0) {
                        (void)json_object_put(s);
                        (void)json_object_put(arr);
                        return -ENOMEM;
                }
        }
        return add(o, key, arr);
}

static int append(struct json_object *arr, struct json_object *v)
{
        if (v == NULL)
                return -ENOMEM;
        if (json_object_array_add(arr, v) < 0) {
                (void)json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static struct json_object *node_json(const struct cdi_device_node *n)
{
        struct json_object *o = json_object_new_object();
        char type[2] = {n->type, '\0'};
        int r = o == NULL ? -ENOMEM : add_str(o, "path", n->path);

        if (r >= 0 && n->host_path != NULL)
                r = add_str(o, "hostPath", n->host_path);
        if (r >= 0 && n->type != 0)
                r = add_str(o, "type", type);
        if (r >= 0 && n->major >= 0)
                r = add(o, "major", json_object_new_int64(n->major));
        if (r >= 0 && n->minor >= 0)
                r = add(o, "minor", json_object_new_int64(n->minor));
        if (r >= 0 && n->file_mode != 0)
                r = add(o, "fileMode", json_object_new_int64(n->file_mode));
        if (r >= 0 && n->permissions != NULL)
                r = add_str(o, "permissions", n->permissions);
        if (r >= 0 && n->uid >= 0)
                r = add(o, "uid", json_object_new_int64(n->uid));
        if (r >= 0 && n->gid >= 0)
                r = add(o, "gid", json_object_new_int64(n->gid));
        if (r < 0) {
                (void)json_object_put(o);
                return NULL;
        }
        return o;
}

static struct json_object *mount_json(const struct cdi_mount *m)
{
        struct json_object *o = json_object_new_object();
        int r = o == NULL ? -ENOMEM : add_str(o, "hostPath", m->host_path);

        if (r >= 0)
                r = add_str(o, "containerPath", m->container_path);
        if (r >= 0 && m->options != NULL && m->options[0] != NULL)
                r = add_strv(o, "options", m->options);
        if (r >= 0 && m->type != NULL)
                r = add_str(o, "type", m->type);
        if (r < 0) {
                (void)json_object_put(o);
                return NULL;
        }
        return o;
}

static struct json_object *hook_json(const struct cdi_hook *h)
{
        struct json_object *o = json_object_new_object();
        int r = o == NULL ? -ENOMEM : add_str(o, "hookName", h->hook_name);

        if (r >= 0)
                r = add_str(o, "path", h->path);
        if (r >= 0)
                r = add_strv(o, "args", h->args);
        if (r >= 0)
                r = add_strv(o, "env", h->env);
        if (r >= 0 && h->timeout > 0)
                r = add(o, "timeout", json_object_new_int(h->timeout));
        if (r < 0) {
                (void)json_object_put(o);
                return NULL;
        }
        return o;
}

/* containerEdits in the order NVIDIA's specs use: env, deviceNodes, hooks, mounts. */
static struct json_object *edits_json(const struct cdi_edits *e, const uint32_t *gids, size_t ngids)
{
        struct json_object *o = json_object_new_object(), *arr;
        int r = o == NULL ? -ENOMEM : add_strv(o, "env", e->env);

        if (r >= 0 && e->nnodes > 0) {
                r = add(o, "deviceNodes", arr = json_object_new_array());
                for (size_t i = 0; r >= 0 && i < e->nnodes; i++)
                        r = append(arr, node_json(&e->nodes[i]));
        }
        if (r >= 0 && e->nhooks > 0) {
                r = add(o, "hooks", arr = json_object_new_array());
                for (size_t i = 0; r >= 0 && i < e->nhooks; i++)
                        r = append(arr, hook_json(&e->hooks[i]));
        }
        if (r >= 0 && e->nmounts > 0) {
                r = add(o, "mounts", arr = json_object_new_array());
                for (size_t i = 0; r >= 0 && i < e->nmounts; i++)
                        r = append(arr, mount_json(&e->mounts[i]));
        }
        if (r >= 0 && ngids > 0) {
                r = add(o, "additionalGIDs", arr = json_object_new_array());
                for (size_t i = 0; r >= 0 && i < ngids; i++)
                        r = append(arr, json_object_new_int64(gids[i]));
        }
        if (r < 0) {
                (void)json_object_put(o);
                return NULL;
        }
        return o;
}

static int add_annotations(struct json_object *o, const struct cdi_annotation *a, size_t n)
{
        struct json_object *m;
        int r;

        if (n == 0)
                return 0;
        r = add(o, "annotations", m = json_object_new_object());
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = add_str(m, a[i].key, a[i].value);
        return r;
}

struct json_object *cdi_spec_to_json(const struct cdi_spec *spec, const char *version)
{
        struct json_object *o = json_object_new_object(), *arr;
        int r = o == NULL ? -ENOMEM : add_str(o, "cdiVersion", version);

        if (r >= 0)
                r = add_str(o, "kind", spec->kind != NULL ? spec->kind : "");
        if (r >= 0)
                r = add_annotations(o, spec->annotations, spec->nannotations);
        if (r >= 0)
                r = add(o, "devices", arr = json_object_new_array());
        for (size_t i = 0; r >= 0 && i < spec->ndevices; i++) {
                const struct cdi_spec_device *d = &spec->devices[i];
                struct json_object *dj = json_object_new_object();

                r = append(arr, dj);
                if (r >= 0)
                        r = add_str(dj, "name", d->name);
                if (r >= 0)
                        r = add_annotations(dj, d->annotations, d->nannotations);
                if (r >= 0)
                        r = add(dj, "containerEdits", edits_json(&d->edits, d->gids, d->ngids));
        }
        if (r >= 0)
                r = add(o, "containerEdits", edits_json(&spec->edits, spec->gids, spec->ngids));
        if (r < 0) {
                (void)json_object_put(o);
                return NULL;
        }
        return o;
}
