/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The library context: settings (host input paths with their real defaults)
 * and the log callback. Internal modules reach settings through ctx_path().
 */
#ifndef NVCR_CORE_CTX_H
#define NVCR_CORE_CTX_H

#include "nvcr.h"

struct nvcr_ctx {
        char *settings[NVCR_SET__MAX]; /* NULL = default */
        char **lib_search_paths;       /* NULL-terminated, inside the driver root */
        size_t nlib_search_paths;
        char *dev_default;             /* "<root>/dev", cached */
        nvcr_log_fn log_fn;
        void *log_userdata;
        /*
         * The GPUs procfs lists, read once per context (procfs_read_gpus_once):
         * loading the kernel modules and the inventory both want them at
         * every start, and each GPU's information file is a driver call.
         */
        void *gpus_memo;
        void (*gpus_memo_free)(void *memo);
        void *majors_memo; /* /proc/devices, the same way (malloc'd) */
};

/* Logs through the context's callback (no-op without one). */
void ctx_log(const struct nvcr_ctx *ctx, enum nvcr_log_level level, const char *file, int line,
             const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#define log_debug(ctx, ...) ctx_log(ctx, NVCR_LOG_DEBUG, __FILE__, __LINE__, __VA_ARGS__)
#define log_info(ctx, ...) ctx_log(ctx, NVCR_LOG_INFO, __FILE__, __LINE__, __VA_ARGS__)
#define log_warn(ctx, ...) ctx_log(ctx, NVCR_LOG_WARNING, __FILE__, __LINE__, __VA_ARGS__)

/* True when the driver root is "/" (paths need no prefix). */
int ctx_root_is_slash(const struct nvcr_ctx *ctx);

#endif
