/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sealed memfd copies of host binaries. The reference runs the host ldconfig
 * with fexecve() on an fd of the host inode from inside the container's
 * context, so the container could reopen /proc/<pid>/exe for writing and
 * replace the host binary (CVE-2024-0135, the CVE-2019-5736 class). We copy
 * the bytes into a memfd and seal it instead, as runc's exeseal does.
 *
 * Every failure is an error. NVIDIA's hook falls back to a plain exec of the
 * host file when the copy fails (security.md §2.8); that fallback reopens
 * exactly the hole this file closes, so there is none here.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apply/memfd-exec.h"
#include "core/err.h"
#include "core/macro.h"
#include "core/userns.h"
#include "driver/elf.h"

/* Newer than the kernel headers this may be built with (Linux 6.3). */
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif

#define BASE_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)
#define COPY_CHUNK (64u << 10)

/*
 * The checks run on the opened fd, i.e. on the very inode we copy: a path
 * swapped after the check cannot smuggle another file in. Symlinks are
 * followed on purpose (/sbin/ldconfig is a link on some distributions); the
 * file they lead to must pass the same checks.
 */
static int check_host_binary(int fd, const char *path, const struct stat *st, struct nvcr_err *err)
{
        unsigned char magic[4];
        ssize_t n;

        if (!S_ISREG(st->st_mode))
                return nvcr_err_set(err, EPERM,
                                    "refusing to run host binary %s: not a regular file", path);
        /* Anyone who can write it could make us run their code as root. */
        if (st->st_uid != 0 && !uid_is_unmapped_root(st->st_uid))
                return nvcr_err_set(err, EPERM,
                                    "refusing to run host binary %s: owned by uid %u, not root",
                                    path, (unsigned)st->st_uid);
        if (st->st_mode & (S_IWGRP | S_IWOTH))
                return nvcr_err_set(err, EPERM,
                                    "refusing to run host binary %s: writable by %s (mode %04o)",
                                    path, st->st_mode & S_IWOTH ? "others" : "its group",
                                    (unsigned)(st->st_mode & 07777));
        if (st->st_size <= 0 || (uintmax_t)st->st_size > MEMFD_EXEC_MAX_SIZE)
                return nvcr_err_set(err, EPERM,
                                    "refusing to run host binary %s: size %jd out of range", path,
                                    (intmax_t)st->st_size);
        /*
         * A "#!" script cannot be run from a close-on-exec memfd (the kernel
         * hands the interpreter /dev/fd/N, closed by then). Ubuntu's
         * /sbin/ldconfig is such a wrapper; say so instead of failing later
         * inside the sandbox with a bare ENOENT.
         */
        n = pread(fd, magic, sizeof(magic), 0);
        if (n < 0)
                return nvcr_err_setsys(err, errno, "reading host binary %s", path);
        if (n != (ssize_t)sizeof(magic) || memcmp(magic, "\177ELF", 4) != 0)
                return nvcr_err_set(err, ENOEXEC,
                                    "refusing to run host binary %s: not an ELF executable%s", path,
                                    n >= 2 && magic[0] == '#' && magic[1] == '!'
                                            ? " (a script: configure the binary it wraps, "
                                              "e.g. @/sbin/ldconfig.real)"
                                            : "");
        return 0;
}

/*
 * It runs after pivot_root into the container: a dynamically linked binary
 * would take its loader and libraries from the image. The checked copy is
 * what is examined (glibc's ldconfig is always static).
 */
static int refuse_dynamic(int mfd, const char *path, struct nvcr_err *err)
{
        struct elf_info info = {0};
        struct nvcr_err e2 = {0};
        bool dynamic;

        if (elf_read_fd(mfd, &info, &e2) < 0)
                return nvcr_err_set(err, ENOEXEC, "refusing to run host binary %s: %s", path,
                                    e2.msg);
        dynamic = info.has_interp;
        elf_info_clear(&info);
        if (dynamic)
                return nvcr_err_set(err, EPERM,
                                    "refusing to run host binary %s: dynamically linked (its "
                                    "loader and libraries would come from the container image)",
                                    path);
        return 0;
}

static int copy_all(int src, int dst, const char *path, off_t size, struct nvcr_err *err)
{
        _cleanup_free_ char *buf = malloc(COPY_CHUNK);
        off_t done = 0;

        if (buf == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory copying host binary %s", path);
        for (;;) {
                ssize_t n = read(src, buf, COPY_CHUNK), w;

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return nvcr_err_setsys(err, errno, "reading host binary %s", path);
                if (n == 0)
                        break;
                for (ssize_t off = 0; off < n; off += w) {
                        w = write(dst, buf + off, (size_t)(n - off));
                        if (w < 0 && errno == EINTR) {
                                w = 0;
                                continue;
                        }
                        if (w <= 0)
                                return nvcr_err_setsys(err, w < 0 ? errno : EIO,
                                                       "copying host binary %s into a memfd", path);
                }
                done += n;
                if (done > size)
                        break;
        }
        /* A file that changed while we copied it is not the file we checked. */
        if (done != size)
                return nvcr_err_set(err, EAGAIN,
                                    "host binary %s changed size while being copied "
                                    "(%jd of %jd bytes)",
                                    path, (intmax_t)done, (intmax_t)size);
        return 0;
}

static int create_memfd(const char *name, const char *path, struct nvcr_err *err)
{
        int fd;

        /*
         * MFD_EXEC (Linux 6.3) asks for an executable memfd explicitly, which
         * vm.memfd_noexec=1 requires; older kernels reject the unknown flag
         * with EINVAL and make executable memfds anyway.
         */
        fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
        if (fd < 0 && errno == EINVAL)
                fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0 && errno == EACCES)
                return nvcr_err_setsys(err, errno,
                                       "creating a memfd for host binary %s (vm.memfd_noexec "
                                       "forbids executable memfds; refusing to run the file "
                                       "itself)",
                                       path);
        if (fd < 0)
                return nvcr_err_setsys(err, errno, "creating a memfd for host binary %s", path);
        return fd;
}

static int seal(int fd, const char *path, struct nvcr_err *err)
{
        int seals;

        /*
         * F_SEAL_EXEC (Linux 6.3) also freezes the mode's exec bits. Older
         * kernels reject the unknown seal with EINVAL; the base seals alone
         * already make the content immutable, which is what matters.
         */
        if (fcntl(fd, F_ADD_SEALS, BASE_SEALS | F_SEAL_EXEC) < 0) {
                if (errno != EINVAL || fcntl(fd, F_ADD_SEALS, BASE_SEALS) < 0)
                        return nvcr_err_setsys(err, errno, "sealing the memfd copy of %s", path);
        }
        seals = fcntl(fd, F_GET_SEALS);
        if (seals < 0)
                return nvcr_err_setsys(err, errno, "reading the seals of the memfd copy of %s",
                                       path);
        if ((seals & BASE_SEALS) != BASE_SEALS)
                return nvcr_err_set(err, EPERM, "the memfd copy of %s is not sealed (seals 0x%x)",
                                    path, (unsigned)seals);
        return 0;
}

int memfd_exec_open(const char *path, const char *name, struct nvcr_err *err)
{
        _cleanup_close_ int src = -EBADF, mfd = -EBADF;
        struct stat st, st2;
        int r;

        if (path == NULL || path[0] != '/')
                return nvcr_err_set(err, EINVAL, "host binary path %s is not absolute",
                                    path ? path : "(null)");
        src = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (src < 0)
                return nvcr_err_setsys(err, errno, "opening host binary %s", path);
        if (fstat(src, &st) < 0)
                return nvcr_err_setsys(err, errno, "stat of host binary %s", path);
        r = check_host_binary(src, path, &st, err);
        if (r < 0)
                return r;
        mfd = create_memfd(name, path, err);
        if (mfd < 0)
                return mfd;
        r = copy_all(src, mfd, path, st.st_size, err);
        if (r < 0)
                return r;
        if (fstat(src, &st2) < 0)
                return nvcr_err_setsys(err, errno, "stat of host binary %s", path);
        if (st2.st_size != st.st_size || st2.st_mtim.tv_sec != st.st_mtim.tv_sec ||
            st2.st_mtim.tv_nsec != st.st_mtim.tv_nsec || st2.st_ctim.tv_sec != st.st_ctim.tv_sec ||
            st2.st_ctim.tv_nsec != st.st_ctim.tv_nsec)
                return nvcr_err_set(err, EAGAIN, "host binary %s changed while being copied", path);
        /*
         * Read and execute only: a sandboxed process holding no
         * CAP_DAC_OVERRIDE cannot even open /proc/self/exe for writing, on
         * kernels that no longer refuse writers of running executables too.
         */
        if (fchmod(mfd, 0555) < 0)
                return nvcr_err_setsys(err, errno, "chmod of the memfd copy of %s", path);
        r = refuse_dynamic(mfd, path, err);
        if (r < 0)
                return r;
        r = seal(mfd, path, err);
        if (r < 0)
                return r;
        return steal_fd(&mfd);
}
