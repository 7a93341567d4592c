/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The NVML answer cache and the code that folds NVML answers into the
 * inventory. The cache is one JSON file, root-only (directory 0700, file
 * 0600, written atomically), holding the key it is valid for. The key is made
 * from procfs alone, so a cache hit costs no NVML load and no open of
 * /dev/nvidia*. Anything odd about the file (wrong owner, group/other
 * writable, not a regular file, a link) makes it a miss, never an error.
 */
#include <fcntl.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/fileio.h"
#include "core/macro.h"
#include "driver/cache-dir.h"
#include "driver/nvml.h"

#define CACHE_FILE "nvml-answers.json"
#define CACHE_MAX (1u << 20)
#define KEY_VERSION "nvcr-nvml-cache-v1"

static int dup_json_str(json_object *o, const char *k, char **dst)
{
        json_object *v;

        if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
                return 0;
        free(*dst);
        *dst = strdup(json_object_get_string(v));
        return *dst ? 0 : -ENOMEM;
}

static int json_uint(json_object *o, const char *k, unsigned *ret)
{
        json_object *v;
        int64_t n;

        if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_int))
                return -1;
        n = json_object_get_int64(v);
        if (n < 0 || n > 0xfffff)
                return -1;
        *ret = (unsigned)n;
        return 0;
}

static struct nvcr_gpu *gpu_by_uuid(struct nvcr_inventory *inv, const char *uuid)
{
        for (size_t i = 0; i < inv->ngpus; i++)
                if (inv->gpus[i].uuid && strcasecmp(inv->gpus[i].uuid, uuid) == 0)
                        return &inv->gpus[i];
        return NULL;
}

static int apply_migs(struct nvcr_gpu *g, json_object *migs)
{
        size_t n = json_object_is_type(migs, json_type_array) ? json_object_array_length(migs) : 0;

        for (size_t i = 0; i < n; i++) {
                json_object *m = json_object_array_get_idx(migs, i);
                unsigned gi, ci;

                if (json_uint(m, "gi", &gi) < 0 || json_uint(m, "ci", &ci) < 0)
                        continue;
                for (size_t j = 0; j < g->nmigs; j++)
                        if (g->migs[j].gi == gi && g->migs[j].ci == ci &&
                            dup_json_str(m, "uuid", &g->migs[j].uuid) < 0)
                                return -ENOMEM;
        }
        return 0;
}

static int apply_gpu(struct nvcr_inventory *inv, json_object *jg)
{
        json_object *uuid, *migs;
        struct nvcr_gpu *g;
        unsigned mig_mode;

        if (!json_object_object_get_ex(jg, "uuid", &uuid) ||
            !json_object_is_type(uuid, json_type_string))
                return 0;
        /* NVML and procfs agree on UUIDs; a GPU procfs does not list is ignored. */
        g = gpu_by_uuid(inv, json_object_get_string(uuid));
        if (g == NULL)
                return 0;
        if (dup_json_str(jg, "brand", &g->brand) < 0 || dup_json_str(jg, "arch", &g->arch) < 0)
                return -ENOMEM;
        if (json_uint(jg, "mig_mode", &mig_mode) == 0)
                g->mig_enabled = mig_mode == 1;
        if (json_object_object_get_ex(jg, "migs", &migs))
                return apply_migs(g, migs);
        return 0;
}

int nvml_apply(struct nvcr_inventory *inv, const char *text, struct nvcr_err *err)
{
        json_object *o = json_tokener_parse(text), *gpus;
        int r = 0;

        if (o == NULL || !json_object_is_type(o, json_type_object)) {
                json_object_put(o);
                return nvcr_err_set(err, EPROTO, "malformed NVML answers");
        }
        if (dup_json_str(o, "cuda", &inv->cuda_version) < 0)
                r = -ENOMEM;
        if (r == 0 && json_object_object_get_ex(o, "gpus", &gpus) &&
            json_object_is_type(gpus, json_type_array)) {
                for (size_t i = 0; r == 0 && i < json_object_array_length(gpus); i++)
                        r = apply_gpu(inv, json_object_array_get_idx(gpus, i));
        }
        json_object_put(o);
        if (r < 0)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        return 0;
}

static int append(char **buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int append(char **buf, const char *fmt, ...)
{
        _cleanup_free_ char *tail = NULL;
        va_list ap;
        char *n;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&tail, fmt, ap);
        va_end(ap);
        if (r < 0 || asprintf(&n, "%s%s", *buf, tail) < 0)
                return -ENOMEM;
        free(*buf);
        *buf = n;
        return 0;
}

int nvml_cache_key(struct nvcr_ctx *ctx, const struct nvcr_inventory *inv, char **ret,
                   struct nvcr_err *err)
{
        _cleanup_close_ int procfd = open(nvcr_ctx_get(ctx, NVCR_SET_PROC),
                                          O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_free_ char *boot = NULL;
        char *key = NULL;
        int r;

        /* A reboot may change anything NVML says (MIG layout, brand of a vGPU…). */
        if (procfd < 0 ||
            read_file_at(procfd, "sys/kernel/random/boot_id", 256, &boot, NULL, NULL) < 0)
                boot = strdup("unknown");
        if (boot == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        boot[strcspn(boot, "\n")] = '\0';
        if (asprintf(&key, "%s|root=%s|driver=%s|boot=%s", KEY_VERSION,
                     nvcr_ctx_get(ctx, NVCR_SET_ROOT), inv->driver_version, boot) < 0)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        r = 0;
        for (size_t i = 0; r == 0 && i < inv->ngpus; i++) {
                const struct nvcr_gpu *g = &inv->gpus[i];

                r = append(&key, "|gpu=%s@%s#%u", g->uuid ? g->uuid : "?", g->bus_id, g->minor);
                for (size_t j = 0; r == 0 && j < g->nmigs; j++)
                        r = append(&key, ",gi%u/ci%u", g->migs[j].gi, g->migs[j].ci);
        }
        if (r < 0) {
                free(key);
                return nvcr_err_set(err, ENOMEM, "out of memory");
        }
        *ret = key;
        return 0;
}

int nvml_cache_load(struct nvcr_ctx *ctx, const char *key, char **ret_json)
{
        _cleanup_close_ int dfd = cache_dir_open(ctx, false);
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *text = NULL;
        json_object *o, *k, *a;
        int r = -ENOENT;

        if (dfd < 0)
                return -ENOENT;
        fd = cache_file_open(dfd, CACHE_FILE);
        if (fd < 0)
                return -ENOENT;
        if (read_fd_all(fd, CACHE_MAX, &text, NULL, NULL) < 0)
                return -ENOENT;
        o = json_tokener_parse(text);
        if (o && json_object_object_get_ex(o, "key", &k) &&
            json_object_is_type(k, json_type_string) &&
            strcmp(json_object_get_string(k), key) == 0 &&
            json_object_object_get_ex(o, "answers", &a) &&
            json_object_is_type(a, json_type_object)) {
                *ret_json = strdup(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));
                r = *ret_json ? 0 : -ENOMEM;
        }
        json_object_put(o);
        return r;
}

void nvml_cache_store(struct nvcr_ctx *ctx, const char *key, const char *answers)
{
        _cleanup_close_ int dfd = cache_dir_open(ctx, true);
        json_object *o, *a;
        struct nvcr_err err = {0};
        const char *s;

        if (dfd < 0) {
                log_debug(ctx, "NVML cache %s unusable: %s", nvcr_ctx_get(ctx, NVCR_SET_CACHE_DIR),
                          strerror(-dfd));
                return;
        }
        a = json_tokener_parse(answers);
        if (a == NULL)
                return;
        o = json_object_new_object();
        json_object_object_add(o, "key", json_object_new_string(key));
        json_object_object_add(o, "answers", a);
        s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
        if (write_file_atomic_at(dfd, CACHE_FILE, s, strlen(s), 0600, &err) < 0)
                log_debug(ctx, "NVML cache not written: %s", err.msg);
        json_object_put(o);
}
