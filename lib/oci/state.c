/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The OCI state JSON a runtime writes to a hook's stdin:
 *   runc:  {"ociVersion":…,"id":…,"status":"creating","pid":N,"bundle":"/abs"}
 *   crun:  the same plus "root":"rootfs" (ignored here)
 *   old runtimes (pre-1.0): "bundlePath" instead of "bundle".
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "core/err.h"
#include "core/fileio.h"
#include "core/macro.h"
#include "core/json-strict.h"
#include "core/path-clean.h"
#include "oci/state.h"

#define JSON_DEPTH OCI_JSON_MAX_DEPTH

int oci_json_parse(const char *buf, size_t len, const char *what, struct json_object **ret,
                   struct nvcr_err *err)
{
        __attribute__((cleanup(json_putp))) struct json_object *obj = NULL;
        int r = json_parse_strict(buf, len, JSON_DEPTH, what, &obj, err);

        if (r < 0)
                return r;
        if (!json_object_is_type(obj, json_type_object))
                return nvcr_err_set(err, EINVAL, "%s: not a JSON object", what);
        *ret = steal_ptr(&obj);
        return 0;
}

int oci_json_dup_string(struct json_object *obj, const char *key, const char *what, char **ret,
                        struct nvcr_err *err)
{
        struct json_object *v = NULL;
        const char *s;
        char *copy;
        int len;

        *ret = NULL;
        if (!json_object_object_get_ex(obj, key, &v) || v == NULL)
                return 0;
        if (!json_object_is_type(v, json_type_string))
                return nvcr_err_set(err, EINVAL, "%s: %s is not a string", what, key);
        s = json_object_get_string(v);
        len = json_object_get_string_len(v);
        if (len < 0 || strlen(s) != (size_t)len)
                return nvcr_err_set(err, EINVAL, "%s: %s contains a NUL byte", what, key);
        copy = strdup(s);
        if (copy == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        *ret = copy;
        return 0;
}

void oci_kv_free(struct oci_kv *kv, size_t n)
{
        if (kv == NULL)
                return;
        for (size_t i = 0; i < n; i++) {
                free(kv[i].key);
                free(kv[i].value);
        }
        free(kv);
}

int oci_json_string_map(struct json_object *obj, const char *key, const char *what,
                        struct oci_kv **ret, size_t *ret_n, struct nvcr_err *err)
{
        struct json_object *map = NULL;
        struct oci_kv *kv;
        size_t n = 0, cap;
        int r;

        *ret = NULL;
        *ret_n = 0;
        if (!json_object_object_get_ex(obj, key, &map) || map == NULL)
                return 0;
        if (!json_object_is_type(map, json_type_object))
                return nvcr_err_set(err, EINVAL, "%s: %s is not an object", what, key);
        cap = (size_t)json_object_object_length(map);
        if (cap == 0)
                return 0;
        kv = calloc(cap, sizeof(*kv));
        if (kv == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        json_object_object_foreach(map, k, v)
        {
                const char *s;

                if (!json_object_is_type(v, json_type_string)) {
                        r = nvcr_err_set(err, EINVAL, "%s: %s: value of '%s' is not a string",
                                         what, key, k);
                        goto fail;
                }
                s = json_object_get_string(v);
                if (strlen(s) != (size_t)json_object_get_string_len(v)) {
                        r = nvcr_err_set(err, EINVAL, "%s: %s: value of '%s' contains a NUL byte",
                                         what, key, k);
                        goto fail;
                }
                kv[n].key = strdup(k);
                kv[n].value = strdup(s);
                n++;
                if (kv[n - 1].key == NULL || kv[n - 1].value == NULL) {
                        r = nvcr_err_set(err, ENOMEM, "out of memory");
                        goto fail;
                }
        }
        *ret = kv;
        *ret_n = n;
        return 0;
fail:
        oci_kv_free(kv, n);
        return r;
}

void oci_state_free(struct oci_state *st)
{
        if (st == NULL)
                return;
        free(st->bundle);
        free(st->id);
        free(st->status);
        free(st->oci_version);
        oci_kv_free(st->annotations, st->nannotations);
        free(st);
}

static void oci_state_freep(struct oci_state **st)
{
        oci_state_free(*st);
}

#define WHAT "OCI state"

int oci_state_parse(const char *buf, size_t len, struct oci_state **ret, struct nvcr_err *err)
{
        __attribute__((cleanup(json_putp))) struct json_object *root = NULL;
        __attribute__((cleanup(oci_state_freep))) struct oci_state *st = NULL;
        _cleanup_free_ char *bundle = NULL, *bundle_path = NULL;
        struct json_object *pid = NULL;
        const char *b;
        int64_t v;
        int r;

        if (len > OCI_STATE_MAX)
                return nvcr_err_set(err, EFBIG, WHAT ": larger than %u bytes", OCI_STATE_MAX);
        r = oci_json_parse(buf, len, WHAT, &root, err);
        if (r < 0)
                return r;
        st = calloc(1, sizeof(*st));
        if (st == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");

        if (!json_object_object_get_ex(root, "pid", &pid) || pid == NULL)
                return nvcr_err_set(err, EINVAL, WHAT ": no pid");
        if (!json_object_is_type(pid, json_type_int))
                return nvcr_err_set(err, EINVAL, WHAT ": pid is not an integer");
        errno = 0;
        v = json_object_get_int64(pid);
        if (v <= 0 || v > INT_MAX || (v == INT64_MAX && errno == ERANGE))
                return nvcr_err_set(err, EINVAL, WHAT ": pid %lld out of range",
                                    (long long)v);
        st->pid = (pid_t)v;

        r = oci_json_dup_string(root, "bundle", WHAT, &bundle, err);
        if (r < 0)
                return r;
        r = oci_json_dup_string(root, "bundlePath", WHAT, &bundle_path, err);
        if (r < 0)
                return r;
        b = bundle != NULL && bundle[0] != '\0' ? bundle : bundle_path;
        if (b == NULL || b[0] == '\0')
                return nvcr_err_set(err, EINVAL, WHAT ": no bundle");
        if (b[0] != '/')
                return nvcr_err_set(err, EINVAL, WHAT ": bundle '%s' is not an absolute path",
                                    b);
        r = oci_path_join_clean(NULL, b, WHAT ": bundle", &st->bundle, err);
        if (r < 0)
                return r;

        r = oci_json_dup_string(root, "id", WHAT, &st->id, err);
        if (r < 0)
                return r;
        r = oci_json_dup_string(root, "status", WHAT, &st->status, err);
        if (r < 0)
                return r;
        r = oci_json_dup_string(root, "ociVersion", WHAT, &st->oci_version, err);
        if (r < 0)
                return r;
        r = oci_json_string_map(root, "annotations", WHAT, &st->annotations, &st->nannotations,
                                err);
        if (r < 0)
                return r;
        *ret = steal_ptr(&st);
        return 0;
}

int oci_state_read_fd(int fd, struct oci_state **ret, struct nvcr_err *err)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        int r;

        /* One byte of slack so that exactly OCI_STATE_MAX bytes still fit. */
        r = read_fd_all(fd, OCI_STATE_MAX + 1, &buf, &len, err);
        if (r == -EFBIG)
                return nvcr_err_set(err, EFBIG, WHAT ": larger than %u bytes", OCI_STATE_MAX);
        if (r < 0)
                return nvcr_err_wrap(err, WHAT " on stdin");
        return oci_state_parse(buf, len, ret, err);
}
