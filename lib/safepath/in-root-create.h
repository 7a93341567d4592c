/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Creating things inside a hostile rootfs (security.md §2.3): directories,
 * mount targets, symlinks and files are made relative to directory fds that
 * came out of the in-root resolver, one name at a time, never following a
 * symlink at the name being created. Nothing here takes a path string
 * starting at the rootfs path.
 */
#ifndef NVCR_SAFEPATH_IN_ROOT_CREATE_H
#define NVCR_SAFEPATH_IN_ROOT_CREATE_H

#include <stdbool.h>
#include <sys/types.h>

#include "nvcr.h"

/*
 * Opens (O_PATH|O_DIRECTORY) the directory `path` inside the root, creating
 * the missing components with `mode`, owned by uid:gid. Existing components
 * may be symlinks: they are resolved inside the root. A component that is a
 * dangling symlink or not a directory is an error; "." and ".." are refused.
 */
int in_root_mkdir_p(int rootfd, const char *path, unsigned mode, uid_t uid, gid_t gid,
                    struct nvcr_err *err);

/*
 * The mount point `name` in directory dirfd, as an O_PATH fd that is not a
 * symlink: an existing directory (want_dir) or non-directory (!want_dir) is
 * reused; a missing one is created (empty file 0644 or directory 0755,
 * owned by uid:gid); a symlink at the name is replaced by an empty file
 * (rename over it; it is never followed); a directory where a file is wanted
 * or the reverse is -EEXIST.
 */
int in_root_mount_target(int dirfd, const char *name, bool want_dir, uid_t uid, gid_t gid,
                         struct nvcr_err *err);

/*
 * Makes `name` in dirfd a symlink to `target`: created under a temporary
 * name and renamed over the old one, so a reader never sees it missing. An
 * existing symlink, FIFO, socket or device node is replaced; an existing
 * regular file is left alone
 * (returns 1: the image ships its own); a directory is -EISDIR.
 */
int in_root_symlink(int dirfd, const char *name, const char *target, uid_t uid, gid_t gid,
                    struct nvcr_err *err);

/*
 * -EXDEV unless the object of `fd` lies inside `rootpath` (the canonical path
 * of the root in the current mount namespace): the last check before a
 * mount, against a directory renamed out of the root meanwhile.
 */
int fd_check_in_root(int fd, const char *rootpath, struct nvcr_err *err);

/* The canonical path of an fd (readlink of /proc/self/fd/N). Caller frees. */
int fd_path(int fd, char **ret, struct nvcr_err *err);

#endif
