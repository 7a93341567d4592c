/* SPDX-License-Identifier: Apache-2.0 */
/*
 * --load-kmods: load the kernel modules and create the host device nodes a
 * freshly booted host lacks (no udev rule creates /dev/nvidia*). As in the
 * reference, every failure here is a warning: the later steps say what is
 * really missing.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/ctx.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/macro.h"
#include "core/timing.h"
#include "core/userns.h"
#include "driver/procfs.h"


/* Already loaded (or built in): nothing to do, no modprobe needed. */
static bool module_loaded(struct nvcr_ctx *ctx, const char *module)
{
        char path[128];
        struct stat st;

        (void)snprintf(path, sizeof(path), "%s/module/%s", nvcr_ctx_get(ctx, NVCR_SET_SYS),
                       module);
        return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * Whether modprobe could find the module at all: modules.dep of the running
 * kernel names every installable module. A module that is not there (hosts
 * without nvidia_modeset, say) would cost a fork and exec of modprobe at every
 * container start for nothing. Unknown (no readable modules.dep): true.
 */
static bool module_available(const char *module)
{
        static char *dep;
        static bool read_once;
        char path[256], pat[2][64];
        struct utsname u;

        if (!read_once) {
                read_once = true;
                if (uname(&u) == 0) {
                        (void)snprintf(path, sizeof(path), "/lib/modules/%s/modules.dep",
                                       u.release);
                        if (read_file_at(AT_FDCWD, path, 16u << 20, &dep, NULL, NULL) < 0)
                                dep = NULL;
                }
        }
        if (dep == NULL)
                return true;
        /* Files are named with '-' or '_' ("nvidia-uvm.ko", "nvidia_uvm.ko.zst"). */
        (void)snprintf(pat[0], sizeof(pat[0]), "/%s.ko", module);
        (void)snprintf(pat[1], sizeof(pat[1]), "/%s.ko", module);
        for (char *c = pat[1]; *c; c++)
                if (*c == '_')
                        *c = '-';
        return strstr(dep, pat[0]) != NULL || strstr(dep, pat[1]) != NULL;
}

/*
 * In a user namespace nothing here can work (no CAP_SYS_MODULE, no mknod).
 * Asked only when there is something to do: reading uid_map costs at every
 * start, and on a booted host every module is loaded and every node there.
 */
static bool may_act(struct nvcr_ctx *ctx)
{
        static int answer = -1;

        if (answer < 0) {
                answer = !in_user_namespace();
                if (!answer)
                        log_info(ctx, "in a user namespace: not loading kernel modules nor "
                                      "creating device nodes");
        }
        return answer;
}

static int modprobe(struct nvcr_ctx *ctx, const char *module)
{
        const char *bin = nvcr_ctx_get(ctx, NVCR_SET_MODPROBE);
        char *const argv[] = {(char *)bin, (char *)module, NULL};
        char *const envp[] = {(char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};
        int status = 0;
        pid_t pid;

        if (module_loaded(ctx, module))
                return 0;
        if (!may_act(ctx))
                return 0; /* not ours to load there: said once, no warning */
        if (!module_available(module)) {
                log_debug(ctx, "%s: not in the kernel's modules.dep, modprobe skipped", module);
                return -ENOENT;
        }
        pid = fork();
        if (pid < 0)
                return neg_errno();
        if (pid == 0) {
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);

                if (null >= 0) {
                        (void)dup2(null, STDIN_FILENO);
                        (void)dup2(null, STDOUT_FILENO);
                }
                execve(bin, argv, envp);
                _exit(127);
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return neg_errno();
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

static void make_node(struct nvcr_ctx *ctx, int devfd, const char *name, unsigned maj,
                      unsigned min)
{
        struct stat st;

        if (fstatat(devfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
                if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != maj || minor(st.st_rdev) != min)
                        log_warn(ctx, "/dev/%s exists but is not the char device %u:%u", name,
                                 maj, min);
                return;
        }
        if (!may_act(ctx))
                return;
        if (mknodat(devfd, name, S_IFCHR | 0666, makedev(maj, min)) < 0) {
                log_warn(ctx, "could not create /dev/%s (%u:%u): %s", name, maj, min,
                         strerror(errno));
                return;
        }
        /* mknod obeys the umask; the reference's nodes are world read-write. */
        if (fchmodat(devfd, name, 0666, 0) < 0)
                log_warn(ctx, "chmod /dev/%s: %s", name, strerror(errno));
        log_info(ctx, "created /dev/%s (%u:%u)", name, maj, min);
}

static void make_gpu_nodes(struct nvcr_ctx *ctx, int procfd, int devfd, unsigned maj)
{
        struct procfs_gpu *gpus = NULL;
        struct nvcr_err err = {0};
        size_t n = 0;
        char name[32];

        if (procfs_read_gpus_once(ctx, procfd, &gpus, &n, &err) < 0) {
                log_warn(ctx, "listing GPUs: %s", err.msg);
                return;
        }
        for (size_t i = 0; i < n; i++) {
                if (!gpus[i].has_minor)
                        continue;
                (void)snprintf(name, sizeof(name), "nvidia%u", gpus[i].minor);
                make_node(ctx, devfd, name, maj, gpus[i].minor);
        }
        procfs_gpus_free(gpus, n);
}

void nvcr_load_kmods(struct nvcr_ctx *ctx)
{
        nvcr_load_kmods_for(ctx, NVCR_CAP_ALL);
}

void nvcr_load_kmods_for(struct nvcr_ctx *ctx, unsigned caps)
{
        _cleanup_close_ int procfd = -EBADF, devfd = -EBADF;
        struct procfs_majors majors = {0};
        bool uvm = false, modeset = false;

        if (modprobe(ctx, "nvidia") < 0)
                log_warn(ctx, "could not load kernel module nvidia");
        if (caps & (NVCR_CAP_COMPUTE | NVCR_CAP_VIDEO)) {
                uvm = modprobe(ctx, "nvidia_uvm") == 0;
                if (!uvm)
                        log_warn(ctx, "could not load kernel module nvidia_uvm");
        }
        if (caps & NVCR_CAP_DISPLAY) {
                modeset = modprobe(ctx, "nvidia_modeset") == 0;
                if (!modeset)
                        log_warn(ctx, "could not load kernel module nvidia_modeset");
        }
        procfd = open(nvcr_ctx_get(ctx, NVCR_SET_PROC), O_PATH | O_DIRECTORY | O_CLOEXEC);
        devfd = open(nvcr_ctx_get(ctx, NVCR_SET_DEV), O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (procfd < 0 || devfd < 0) {
                log_warn(ctx, "cannot create device nodes: %s", strerror(errno));
                return;
        }
        timing_mark("kmods: modules");
        (void)procfs_read_majors_once(ctx, procfd, &majors, NULL);
        /* No driver loaded: nodes made now would point at nothing (and litter /dev). */
        if (majors.nvidia == 0) {
                log_warn(ctx, "no nvidia device major in %s/devices (driver not loaded): "
                              "no device nodes created",
                         nvcr_ctx_get(ctx, NVCR_SET_PROC));
                return;
        }
        make_node(ctx, devfd, "nvidiactl", majors.nvidia, 255);
        make_gpu_nodes(ctx, procfd, devfd, majors.nvidia);
        if (majors.uvm != 0) {
                make_node(ctx, devfd, "nvidia-uvm", majors.uvm, 0);
                make_node(ctx, devfd, "nvidia-uvm-tools", majors.uvm, 1);
        }
        if (modeset)
                make_node(ctx, devfd, "nvidia-modeset", majors.nvidia, 254);
}
