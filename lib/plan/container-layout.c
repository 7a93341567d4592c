/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/err.h"
#include "core/macro.h"
#include "plan/container-layout.h"
#include "safepath/in-root.h"

#if defined(__aarch64__)
#define LIBDIR_MULTIARCH "/usr/lib/aarch64-linux-gnu"
#define LIB32DIR_MULTIARCH "/usr/lib/arm-linux-gnueabihf"
#else
#define LIBDIR_MULTIARCH "/usr/lib/x86_64-linux-gnu"
#define LIB32DIR_MULTIARCH "/usr/lib/i386-linux-gnu"
#endif

/* Exists inside the rootfs (symlinks followed, confined to it). */
static bool in_root_exists(int rootfd, const char *path, bool want_dir)
{
        struct nvcr_err ignored = {0};
        struct stat st;
        _cleanup_close_ int fd = in_root_open(rootfd, path, O_PATH, &ignored);

        if (fd < 0 || fstat(fd, &st) < 0)
                return false;
        return !want_dir || S_ISDIR(st.st_mode);
}

int layout_libdirs(int rootfd, char **libdir, char **lib32dir, struct nvcr_err *err)
{
        const char *l64, *l32;

        /* No rootfs (a CDI spec made ahead of time): the CUDA images' layout. */
        if (rootfd < 0 || in_root_exists(rootfd, "/etc/debian_version", false)) {
                l64 = LIBDIR_MULTIARCH;
                l32 = LIB32DIR_MULTIARCH;
        } else {
                l64 = "/usr/lib64";
                l32 = in_root_exists(rootfd, "/usr/lib32", true) ? "/usr/lib32" : "/usr/lib";
        }
        *libdir = strdup(l64);
        *lib32dir = strdup(l32);
        if (*libdir == NULL || *lib32dir == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        return 0;
}

/* "libcuda.so.590.10.02" -> 590; 0 when the name has no numeric version. */
static unsigned version_major(const char *name)
{
        const char *v = strstr(name, ".so.");
        char *end;
        unsigned long m;

        if (v == NULL || v[4] < '0' || v[4] > '9')
                return 0;
        m = strtoul(v + 4, &end, 10);
        if ((*end != '.' && *end != '\0') || m > 100000)
                return 0;
        return (unsigned)m;
}

void layout_strv_free(char **v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

int layout_compat_libs(int rootfd, unsigned host_major, char ***ret, size_t *ret_n,
                       struct nvcr_err *err)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_closedir_ DIR *d = NULL;
        char **v = NULL;
        size_t n = 0;
        struct dirent *e;
        struct nvcr_err ignored = {0};

        *ret = NULL;
        *ret_n = 0;
        fd = in_root_open(rootfd, COMPAT_DIR, O_RDONLY | O_DIRECTORY, &ignored);
        if (fd < 0)
                return 0; /* no compat libraries: the common case */
        d = fdopendir(fd);
        if (d == NULL)
                return nvcr_err_setsys(err, errno, "%s: cannot read directory", COMPAT_DIR);
        fd = -EBADF; /* owned by d now */
        while ((e = readdir(d)) != NULL) {
                struct stat st;
                char **nv;

                if (strncmp(e->d_name, "lib", 3) != 0 || version_major(e->d_name) <= host_major)
                        continue;
                /* Only regular files: a symlink here is what CVE-2024-0132 used. */
                if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                    !S_ISREG(st.st_mode))
                        continue;
                nv = reallocarray(v, n + 1, sizeof(*v));
                if (nv == NULL || (nv[n] = strdup(e->d_name)) == NULL) {
                        layout_strv_free(nv ? nv : v, n);
                        return nvcr_err_set(err, ENOMEM, "out of memory");
                }
                v = nv;
                n++;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}
