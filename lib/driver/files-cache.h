/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The driver's files, remembered between container starts.
 *
 * Finding them (driver-files.c) costs most of what a GPU adds to a
 * container's start before the runtime runs: the ld.so.cache parsed, ~100
 * paths probed, the ELF header of every library read. Between two starts
 * none of it changes unless a file or directory it looked at does, so the
 * answer is kept in the cache directory (/run/nvidia-container-toolkit,
 * root's alone, as the NVML answers) together with what it depends on:
 *   - the driver root, the driver version, the capabilities asked for, the
 *     configured search paths and ld.so.cache, the kernel's firmware path;
 *   - the identity of the root's ld.so.cache (device, inode, size, mtime,
 *     ctime);
 *   - the same for every directory the search looked into, found or not
 *     (an entry added, removed or renamed there changes its mtime) and for
 *     every file it found (a file rewritten in place changes its own).
 * A load checks all of it with one stat each (a few dozen); anything that
 * differs, or a file that is not root's alone, is a miss and the search
 * runs again. IPC sockets come and go with their daemons: never cached.
 */
#ifndef NVCR_DRIVER_FILES_CACHE_H
#define NVCR_DRIVER_FILES_CACHE_H

#include <stddef.h>

#include "driver/driver-files.h"

/* Notes that the search looked into directory `dir` (a path inside the root). -ENOMEM. */
int files_cache_watch(struct driver_search *s, const char *dir);
/* The same for the directory of `path`. */
int files_cache_watch_parent(struct driver_search *s, const char *path);

/*
 * Everything the answer depends on that is not a directory or file it
 * found (root, version, capabilities, search paths, firmware path, the
 * ld.so.cache's identity): the file's first lines. Taken once, before the
 * search, for both the load and the store. NULL: out of memory (no cache).
 */
char *files_cache_header(const struct driver_search *s);

/*
 * Appends the remembered libraries, binaries and firmware to inv (in the
 * order they were found). 0 on a hit; -ENOENT on any miss (nothing added).
 */
int files_cache_load(struct driver_search *s, const char *head, struct nvcr_inventory *inv);

/* Remembers inv->files[from…] (IPC sockets left out). Best effort: failures are logged. */
void files_cache_store(struct driver_search *s, const char *head,
                       const struct nvcr_inventory *inv, size_t from);

#endif
