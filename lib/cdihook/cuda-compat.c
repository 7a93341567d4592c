/* SPDX-License-Identifier: Apache-2.0 */
/*
 * enable-cuda-compat [--host-driver-version V]: when the image ships CUDA
 * forward-compatibility libraries (/usr/local/cuda/compat/libcuda.so.<ver>,
 * regular files: a symlink there is what CVE-2024-0132 used) newer than the
 * host driver, the loader must find them before the driver's libcuda:
 * /etc/ld.so.conf.d/00-compat-nvcr.conf (sorting before every other file)
 * names the folder, and the cache gets its libraries in front. Older or no
 * compat libraries: nothing is done. Without --host-driver-version, the
 * version comes from /proc/driver/nvidia/version; with neither, nothing is
 * done either (there is no driver to compare with).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cdihook/hook.h"
#include "cdihook/ldcache-update.h"
#include "core/err.h"
#include "core/macro.h"
#include "driver/procfs.h"
#include "plan/container-layout.h"

/* "580.65.06" -> 580; 0 when it does not start with a number. */
static unsigned version_major(const char *v)
{
        char *end;
        unsigned long m;

        if (v == NULL || v[0] < '0' || v[0] > '9')
                return 0;
        m = strtoul(v, &end, 10);
        if ((*end != '.' && *end != '\0') || m > 100000)
                return 0;
        return (unsigned)m;
}

static unsigned host_major_from_proc(const struct hook_ctx *h)
{
        _cleanup_close_ int procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_free_ char *v = NULL;
        struct nvcr_err e = {0};

        if (procfd < 0 || procfs_read_version(procfd, &v, &e) < 0) {
                hook_debug(h, "no host driver version: %s", e.msg);
                return 0;
        }
        return version_major(v);
}

int hook_enable_cuda_compat(struct hook_ctx *h, int argc, char **argv)
{
        char *version = NULL, *cspec = NULL;
        const struct hook_flag flags[] = {
                {.name = "host-driver-version",
                 .kind = HOOK_FLAG_STRING,
                 .usage = "Specify the host driver version. If the CUDA compat libraries "
                          "detected in the container do not have a higher MAJOR version, the "
                          "hook is a no-op.",
                 .str = &version},
                {.name = "container-spec",
                 .kind = HOOK_FLAG_STRING,
                 .usage = "(accepted, not used: the OCI state on stdin names the bundle)",
                 .str = &cspec},
        };
        char *const compat_folders[] = {(char *)COMPAT_DIR, NULL};
        struct nvcr_err err = {0};
        char **names = NULL;
        size_t n = 0, ncuda = 0;
        unsigned host;
        int r, status;

        if (hook_flags_done(h, argc, argv, flags, ARRAY_SIZE(flags), &status))
                return status;
        if (version != NULL && version[0] != '\0') {
                host = version_major(version);
                if (host == 0) {
                        nvcr_err_set(&err, EINVAL, "invalid --host-driver-version \"%s\"",
                                     version);
                        return hook_fail(h, &err);
                }
        } else {
                host = host_major_from_proc(h);
                if (host == 0)
                        return 0;
        }
        r = hook_open_root(h, &err);
        if (r < 0)
                return hook_fail(h, &err);
        r = layout_compat_libs(h->rootfd, host, &names, &n, &err);
        if (r < 0)
                return hook_fail(h, &err);
        for (size_t i = 0; i < n; i++)
                if (strncmp(names[i], "libcuda.so.", 11) == 0)
                        ncuda++;
        layout_strv_free(names, n);
        if (ncuda == 0) {
                hook_debug(h, "no CUDA compat libcuda newer than driver %u in %s", host,
                           COMPAT_DIR);
                return 0;
        }
        r = ldconf_write(h, LDCONF_COMPAT, compat_folders, &err);
        if (r < 0)
                return hook_fail(h, &err);
        r = ldcache_update_container(h, compat_folders, NULL, NULL, &err);
        if (r < 0)
                return hook_fail(h, &err);
        return 0;
}
