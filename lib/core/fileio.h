/* SPDX-License-Identifier: Apache-2.0 */
#ifndef NVCR_CORE_FILEIO_H
#define NVCR_CORE_FILEIO_H

#include <stdbool.h>
#include <stddef.h>

#include "nvcr.h"

/*
 * Reads at most `max` bytes of `path` (relative to dirfd, no symlink
 * restrictions: host files only) into a NUL-terminated heap buffer. A larger
 * file is -EFBIG. `ret_len` may be NULL.
 */
int read_file_at(int dirfd, const char *path, size_t max, char **ret, size_t *ret_len,
                 struct nvcr_err *err);
/* Same, from an open fd (read from the current offset). */
int read_fd_all(int fd, size_t max, char **ret, size_t *ret_len, struct nvcr_err *err);

/*
 * Writes `len` bytes to dirfd/name atomically: a temporary file in the same
 * directory, fsync'd, then renamed over the target. Nothing is left behind on
 * failure.
 */
int write_file_atomic_at(int dirfd, const char *name, const void *buf, size_t len, unsigned mode,
                         struct nvcr_err *err);

/*
 * The same without the fsync: readers see the old file or the new one,
 * never a part, but a crash may lose the new one. For files that do not
 * outlive what they serve (a bundle's config.json: the container is gone
 * after a crash too), where an fsync costs a start 0.3 ms or more.
 */
int write_file_replace_at(int dirfd, const char *name, const void *buf, size_t len,
                          unsigned mode, struct nvcr_err *err);

/*
 * The first half of the two above: `len` bytes in a new file beside `name`
 * (its name, ".NAME.tmp.PID", in tmp[tmpsz]), for the caller to rename over
 * `name` when it chooses. On failure nothing is left.
 */
int write_file_temp_at(int dirfd, const char *name, const void *buf, size_t len, unsigned mode,
                       bool sync, char *tmp, size_t tmpsz, struct nvcr_err *err);

#endif
