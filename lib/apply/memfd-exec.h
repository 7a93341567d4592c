/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A sealed in-memory copy of a host binary (security.md §1.1 CVE-2024-0135,
 * §2.8). Whatever runs from the copy - and whatever it exposes through
 * /proc/<pid>/exe to a hostile container - is a memfd that can be neither
 * written, truncated, grown nor re-sealed: the host binary's inode is never
 * reachable from inside the container.
 */
#ifndef NVCR_APPLY_MEMFD_EXEC_H
#define NVCR_APPLY_MEMFD_EXEC_H

#include "nvcr.h"

/* Host binaries larger than this are refused (ldconfig is about 1 MiB). */
#define MEMFD_EXEC_MAX_SIZE (256u << 20)

/*
 * Open the host file `path` (symlinks followed: /sbin/ldconfig is one on some
 * hosts) and check the inode that was opened: a regular file owned by root,
 * not writable by group or others, an ELF binary (a "#!" script cannot run
 * from a close-on-exec memfd). Copy it into memfd_create(`name`,
 * MFD_CLOEXEC | MFD_ALLOW_SEALING [| MFD_EXEC]), mode 0555, sealed with
 * F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE (and F_SEAL_EXEC
 * where the kernel knows it).
 *
 * Returns the memfd (close-on-exec; run it with execveat(fd, "", ...,
 * AT_EMPTY_PATH)) or a negative errno: -ENOENT (no such file), -EPERM (the
 * checks), -ENOEXEC (not ELF), others from the kernel. It fails closed: no
 * error path ever hands back the original file.
 */
int memfd_exec_open(const char *path, const char *name, struct nvcr_err *err);

#endif
