/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build-config.h"
#include "core/ctx.h"
#include "core/err.h"
#include "core/macro.h"

/* The real defaults: the binaries work unmodified on a real host. */
static const char *const setting_defaults[NVCR_SET__MAX] = {
        [NVCR_SET_ROOT] = "/",
        [NVCR_SET_LDCACHE] = "/etc/ld.so.cache",
        [NVCR_SET_PROC] = "/proc",
        [NVCR_SET_SYS] = "/sys",
        [NVCR_SET_DEV] = NULL, /* computed: <root>/dev */
        [NVCR_SET_CACHE_DIR] = "/run/nvidia-container-toolkit",
        [NVCR_SET_LIB_SEARCH_PATH] = "",
        [NVCR_SET_NVML_USER] = "",
        [NVCR_SET_MODPROBE] = "/sbin/modprobe",
};

static const char *const setting_names[NVCR_SET__MAX] = {
        [NVCR_SET_ROOT] = "root",
        [NVCR_SET_LDCACHE] = "ldcache",
        [NVCR_SET_PROC] = "proc",
        [NVCR_SET_SYS] = "sys",
        [NVCR_SET_DEV] = "dev",
        [NVCR_SET_CACHE_DIR] = "cache-dir",
        [NVCR_SET_LIB_SEARCH_PATH] = "library-search-path",
        [NVCR_SET_NVML_USER] = "user",
        [NVCR_SET_MODPROBE] = "modprobe",
};

const char *nvcr_version(void)
{
        return NVCR_VERSION;
}

int nvcr_ctx_new(struct nvcr_ctx **ret, struct nvcr_err *err)
{
        struct nvcr_ctx *ctx = calloc(1, sizeof(*ctx));

        if (ctx == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        *ret = ctx;
        return 0;
}

void nvcr_ctx_free(struct nvcr_ctx *ctx)
{
        if (ctx == NULL)
                return;
        for (size_t i = 0; i < NVCR_SET__MAX; i++)
                free(ctx->settings[i]);
        for (size_t i = 0; i < ctx->nlib_search_paths; i++)
                free(ctx->lib_search_paths[i]);
        free(ctx->lib_search_paths);
        free(ctx->dev_default);
        if (ctx->gpus_memo_free != NULL)
                ctx->gpus_memo_free(ctx->gpus_memo);
        free(ctx->majors_memo);
        free(ctx);
}

static int check_path_value(enum nvcr_setting key, const char *value, struct nvcr_err *err)
{
        switch (key) {
        case NVCR_SET_ROOT:
        case NVCR_SET_LDCACHE:
        case NVCR_SET_PROC:
        case NVCR_SET_SYS:
        case NVCR_SET_DEV:
        case NVCR_SET_LIB_SEARCH_PATH:
        case NVCR_SET_MODPROBE:
                if (value[0] != '/')
                        return nvcr_err_set(err, EINVAL, "%s: path must be absolute: %s",
                                            setting_names[key], value);
                break;
        case NVCR_SET_CACHE_DIR:
                if (value[0] != '\0' && value[0] != '/')
                        return nvcr_err_set(err, EINVAL, "%s: path must be absolute: %s",
                                            setting_names[key], value);
                break;
        case NVCR_SET_NVML_USER:
        case NVCR_SET__MAX:
        default:
                break;
        }
        return 0;
}

static int add_search_path(struct nvcr_ctx *ctx, const char *value, struct nvcr_err *err)
{
        char **n;

        n = realloc(ctx->lib_search_paths, (ctx->nlib_search_paths + 2) * sizeof(*n));
        if (n == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        ctx->lib_search_paths = n;
        n[ctx->nlib_search_paths] = strdup(value);
        if (n[ctx->nlib_search_paths] == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        n[++ctx->nlib_search_paths] = NULL;
        return 0;
}

int nvcr_ctx_set(struct nvcr_ctx *ctx, enum nvcr_setting key, const char *value,
                 struct nvcr_err *err)
{
        char *copy;
        int r;

        if ((unsigned)key >= NVCR_SET__MAX || value == NULL)
                return nvcr_err_set(err, EINVAL, "invalid setting");
        r = check_path_value(key, value, err);
        if (r < 0)
                return r;
        if (key == NVCR_SET_LIB_SEARCH_PATH)
                return add_search_path(ctx, value, err);
        copy = strdup(value);
        if (copy == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        free(ctx->settings[key]);
        ctx->settings[key] = copy;
        if (key == NVCR_SET_ROOT) {
                free(ctx->dev_default);
                ctx->dev_default = NULL;
        }
        return 0;
}

const char *nvcr_ctx_get(const struct nvcr_ctx *ctx, enum nvcr_setting key)
{
        struct nvcr_ctx *mut = (struct nvcr_ctx *)ctx; /* lazily caches dev_default */
        const char *root;

        if ((unsigned)key >= NVCR_SET__MAX)
                return "";
        if (ctx->settings[key] != NULL)
                return ctx->settings[key];
        if (key != NVCR_SET_DEV)
                return setting_defaults[key];
        /* Device nodes live under the driver root, as libnvidia-container has it. */
        if (mut->dev_default == NULL) {
                root = nvcr_ctx_get(ctx, NVCR_SET_ROOT);
                if (asprintf(&mut->dev_default, "%s%s", strcmp(root, "/") == 0 ? "" : root,
                             "/dev") < 0) {
                        mut->dev_default = NULL;
                        return "/dev";
                }
        }
        return mut->dev_default;
}

void nvcr_ctx_set_log(struct nvcr_ctx *ctx, nvcr_log_fn fn, void *userdata)
{
        ctx->log_fn = fn;
        ctx->log_userdata = userdata;
}

int ctx_root_is_slash(const struct nvcr_ctx *ctx)
{
        return strcmp(nvcr_ctx_get(ctx, NVCR_SET_ROOT), "/") == 0;
}

void ctx_log(const struct nvcr_ctx *ctx, enum nvcr_log_level level, const char *file, int line,
             const char *fmt, ...)
{
        char msg[2048];
        va_list ap;

        if (ctx == NULL || ctx->log_fn == NULL)
                return;
        va_start(ap, fmt);
        (void)vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        ctx->log_fn(ctx->log_userdata, level, file, line, msg);
}
