/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Finds the driver's user-space files per capability (features.md §2.1):
 * libraries through the driver root's ld.so.cache, then the usual library
 * directories, then the configured search paths; binaries and firmware also
 * beside the driver's library directory; IPC sockets at their fixed places.
 */
#ifndef NVCR_DRIVER_DRIVER_FILES_H
#define NVCR_DRIVER_DRIVER_FILES_H

#include "core/ctx.h"
#include "driver/ldcache.h"

struct driver_search {
        struct nvcr_ctx *ctx;
        int rootfd;            /* O_PATH fd of the driver root */
        char *root;            /* canonical path of the driver root */
        struct ldcache *cache; /* NULL when the root has no usable cache */
        const char *version;   /* driver version the libraries must carry */
        unsigned caps;         /* capabilities whose files are wanted (NVCR_CAP_ALL: all) */
        char **libdirs;        /* directories (inside root) where native libraries were found */
        size_t nlibdirs;
        bool cache_loaded;     /* the ld.so.cache is read only when the search runs */
        bool no_cache;         /* search, do not take the files from the cache (files-cache.h) */
        char **watched;        /* "identity dir": what the search looked into (files-cache.h) */
        char **warnings;       /* what the search warned about, said again on a cache hit */
        size_t nwatched;
};

int driver_search_open(struct nvcr_ctx *ctx, const char *version, struct driver_search *s,
                       struct nvcr_err *err);
void driver_search_close(struct driver_search *s);
/* Reads the root's ld.so.cache, once (a root without one searches directories only). */
int driver_search_read_ldcache(struct driver_search *s, struct nvcr_err *err);

/* The firmware search path the kernel was given (firmware_class.path), or NULL. */
char *driver_firmware_path(const struct driver_search *s);

/*
 * Finds one library by soname prefix ("libnvidia-ml.so") for the given class.
 * Returns 0 and the path inside the root, -ENOENT when absent.
 */
int driver_find_library(struct driver_search *s, const char *prefix, enum ldcache_class cls,
                        char **ret, struct nvcr_err *err);

/*
 * Appends every driver file to inv->files (libraries, binaries, ipcs,
 * firmware, in that order): from the cache when nothing it depends on
 * changed (files-cache.h), else searched, and then remembered.
 */
int driver_files_find(struct driver_search *s, struct nvcr_inventory *inv, struct nvcr_err *err);

#endif
