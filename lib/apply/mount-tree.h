/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Mounts through the new mount API (Linux >= 5.12), security.md §2.4:
 * a source is cloned into a detached tree (open_tree), its flags are set
 * while nobody can see it (mount_setattr), and only then is it attached onto
 * a verified O_PATH target fd (move_mount). A detached tree made in the host
 * mount namespace can be attached in the container's after setns, which is
 * how host driver files reach a container whose mounts we cannot name by path.
 */
#ifndef NVCR_APPLY_MOUNT_TREE_H
#define NVCR_APPLY_MOUNT_TREE_H

#include <sys/mount.h>

#include "nvcr.h"

/* MOUNT_ATTR_* sets; propagation of every tree is private (no leaks either way). */
#define TREE_DRIVER_FILE_ATTRS (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)
#define TREE_DEVICE_ATTRS (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC)
#define TREE_IPC_ATTRS (MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)
#define TREE_PROC_ATTRS (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)

/* A detached clone of the object of srcfd with `attrs` set. Returns the tree fd. */
int tree_clone(int srcfd, unsigned attrs, const char *what, struct nvcr_err *err);
/* A detached, empty tmpfs (root directory `mode`) mounted nosuid,nodev,noexec. */
int tree_tmpfs(unsigned mode, struct nvcr_err *err);
/* Attaches the tree onto the target fd. */
int tree_attach(int treefd, int targetfd, const char *what, struct nvcr_err *err);
int tree_set_readonly(int treefd, const char *what, struct nvcr_err *err);
/* Unmounts an attached tree (lazily); errors are ignored: it is the undo path. */
void tree_detach(int treefd);

#endif
