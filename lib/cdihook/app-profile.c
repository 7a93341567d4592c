/* SPDX-License-Identifier: Apache-2.0 */
/*
 * update-application-profile: limits the GPUs EGL and Vulkan see to the
 * container's. The driver reads application profiles from
 * /etc/nvidia/nvidia-application-profiles-rc.d; 10-container.conf there
 * sets EGLVisibleDGPUDevices to a bitmask of the minors of the GPU nodes
 * (/dev/nvidiaN, character devices of major 195) the runtime created in
 * the rootfs (features.md §7). No GPU node: nothing is written.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cdihook/hook.h"
#include "cdihook/ldcache-update.h"
#include "core/err.h"
#include "core/macro.h"
#include "plan/masks.h"
#include "safepath/in-root-create.h"
#include "safepath/in-root.h"

#define NVIDIA_MAJOR 195u

static bool is_gpu_node_name(const char *n)
{
        if (strncmp(n, "nvidia", 6) != 0 || n[6] == '\0')
                return false;
        for (const char *p = n + 6; *p; p++)
                if (*p < '0' || *p > '9')
                        return false;
        return true;
}

/* The bitmask of GPU minors among the device nodes of the container's /dev. */
static int gpu_mask(const struct hook_ctx *h, unsigned long long *mask, struct nvcr_err *err)
{
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        int fd = in_root_open(h->rootfd, "/dev", O_RDONLY | O_DIRECTORY, err);

        *mask = 0;
        if (fd == -ENOENT)
                return 0;
        if (fd < 0)
                return nvcr_err_wrap(err, "/dev in the container");
        d = fdopendir(fd);
        if (d == NULL) {
                (void)close(fd);
                return nvcr_err_setsys(err, errno, "/dev in the container");
        }
        while ((de = readdir(d)) != NULL) {
                struct stat st;

                if (!is_gpu_node_name(de->d_name) ||
                    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                    !S_ISCHR(st.st_mode) || major(st.st_rdev) != NVIDIA_MAJOR ||
                    minor(st.st_rdev) >= 64)
                        continue;
                *mask |= 1ull << minor(st.st_rdev);
        }
        return 0;
}

int hook_update_application_profile(struct hook_ctx *h, int argc, char **argv)
{
        char *cspec = NULL;
        const struct hook_flag flags[] = {
                {.name = "container-spec",
                 .kind = HOOK_FLAG_STRING,
                 .usage = "(accepted, not used: the OCI state on stdin names the bundle)",
                 .str = &cspec},
        };
        _cleanup_close_ int dirfd = -EBADF;
        struct nvcr_err err = {0};
        unsigned long long mask = 0;
        char conf[256];
        int n, r, status;

        if (hook_flags_done(h, argc, argv, flags, ARRAY_SIZE(flags), &status))
                return status;
        r = hook_open_root(h, &err);
        if (r < 0)
                return hook_fail(h, &err);
        r = gpu_mask(h, &mask, &err);
        if (r < 0)
                return hook_fail(h, &err);
        if (mask == 0) {
                hook_debug(h, "no GPU device node in the container");
                return 0;
        }
        n = snprintf(conf, sizeof(conf),
                     "{\"profiles\":[{\"name\":\"_container_\",\"settings\":"
                     "[\"EGLVisibleDGPUDevices\",0x%llx]}],"
                     "\"rules\":[{\"pattern\":[],\"profile\":\"_container_\"}]}\n",
                     mask);
        dirfd = in_root_mkdir_p(h->rootfd, APP_PROFILE_DIR, 0755, 0, 0, &err);
        if (dirfd < 0) {
                nvcr_err_wrap(&err, "cannot create %s in the container", APP_PROFILE_DIR);
                return hook_fail(h, &err);
        }
        r = hook_write_atomic(dirfd, "10-container.conf", conf, (size_t)n, 0644, &err);
        if (r < 0) {
                nvcr_err_wrap(&err, "%s/10-container.conf in the container", APP_PROFILE_DIR);
                return hook_fail(h, &err);
        }
        return 0;
}
