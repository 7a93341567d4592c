/* SPDX-License-Identifier: Apache-2.0 */
/*
 * disable-device-node-modification: the container sees
 * /proc/driver/nvidia/params with "ModifyDeviceFiles: 0", so that NVML and
 * nvidia-smi in it never create or chmod device nodes.
 *
 * The reference writes the modified copy into a tmpfs it mounts under
 * /run on the host's filesystem tree and removes afterwards. Here nothing
 * ever has a path: a tmpfs is created detached (fsopen/fsmount), the file
 * written into it through its fd, a read-only clone of that one file taken
 * (open_tree) and attached (move_mount) onto the target's O_PATH fd. The
 * tmpfs itself goes away when its fd is closed; only the file mount stays,
 * in the container's mount namespace.
 *
 * The target is resolved through the safe-path layer and must be a regular
 * file on the same filesystem as the host's driver directory (procfs on a
 * real host): we only ever cover the kernel's own file, never one the image
 * placed there. No driver on the host (no params), or no driver directory
 * in the container's procfs: nothing to do, exit 0.
 */
#include <fcntl.h>
#include <sched.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "apply/mount-tree.h"
#include "cdihook/hook.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/macro.h"
#include "plan/masks.h"
#include "safepath/in-root-create.h"
#include "safepath/in-root.h"

#define PARAMS PROC_DRIVER_DIR "/params"

/* The modified copy in a detached tmpfs; returns an O_PATH fd of the file. */
static int make_params_file(const char *text, int *tmpfs, struct nvcr_err *err)
{
        _cleanup_close_ int fd = -EBADF;
        size_t len = strlen(text);
        int r;

        *tmpfs = tree_tmpfs(0755, err);
        if (*tmpfs < 0)
                return *tmpfs;
        fd = openat(*tmpfs, "params", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444);
        if (fd < 0)
                return nvcr_err_setsys(err, errno, "cannot create the params copy");
        for (size_t off = 0; off < len;) {
                ssize_t n = write(fd, text + off, len - off);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return nvcr_err_setsys(err, n < 0 ? errno : EIO,
                                               "cannot write the params copy");
                off += (size_t)n;
        }
        r = openat(*tmpfs, "params", O_PATH | O_NOFOLLOW | O_CLOEXEC);
        return r < 0 ? nvcr_err_setsys(err, errno, "cannot reopen the params copy") : r;
}

/*
 * After create, the runtime works from the host's mount namespace, and
 * move_mount only attaches onto a target in the caller's own namespace: we
 * enter the container's, attach, and come back. (A child doing it costs a
 * fork at every start.) Entering a mount namespace sets our root and working
 * directory to its root; coming back sets them to our namespace's root, so
 * both are saved as fds first and restored: a runtime started chrooted
 * stays where it was. Should coming back fail, nothing more may run here
 * (a `runc delete` would act inside the container): the process ends.
 */
static int attach_in_ns(int mntns_fd, int tree, int target, struct nvcr_err *err)
{
        _cleanup_close_ int ours = -EBADF, root = -EBADF, cwd = -EBADF;
        int r = 0;

        ours = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
        root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (ours < 0 || root < 0 || cwd < 0)
                return nvcr_err_setsys(err, errno, "cannot mount %s: saving our namespace",
                                       PARAMS);
        if (setns(mntns_fd, CLONE_NEWNS) < 0)
                return nvcr_err_setsys(err, errno, "cannot enter the container's mount namespace");
        if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                r = nvcr_err_setsys(err, errno, "cannot mount %s", PARAMS);
        if (setns(ours, CLONE_NEWNS) < 0 || fchdir(root) < 0 || chroot(".") < 0 ||
            fchdir(cwd) < 0) {
                fprintf(stderr, "nvidia-container-runtime: cannot return to our own mount "
                                "namespace after mounting %s: %s\n",
                        PARAMS, strerror(errno));
                _exit(1);
        }
        return r;
}

/*
 * The container's params file, when it is the kernel's (procfs, or the
 * host file's filesystem): an O_PATH fd, or 0 with *target -1 when there is
 * nothing to cover (no driver directory in its procfs, or a file the image
 * or someone else already put there).
 */
static int mask_target(const struct hook_ctx *h, int rootfd, const char *rootpath,
                       long host_fstype, int *target, struct nvcr_err *err)
{
        _cleanup_close_ int fd = -EBADF;
        struct nvcr_err ignored = {0};
        struct statfs sf;
        struct stat st;
        int r;

        *target = -1;
        fd = in_root_open(rootfd, PARAMS, O_PATH | O_NOFOLLOW, &ignored);
        if (fd < 0) {
                hook_debug(h, "%s: %s; nothing to mask", PARAMS, ignored.msg);
                return 0;
        }
        if (fstat(fd, &st) < 0 || fstatfs(fd, &sf) < 0)
                return nvcr_err_setsys(err, errno, "%s in the container", PARAMS);
        if (!S_ISREG(st.st_mode) ||
            ((long)sf.f_type != PROC_SUPER_MAGIC && (long)sf.f_type != host_fstype)) {
                /* Not the kernel's file (e.g. already masked by a tmpfs): left alone. */
                hook_debug(h, "%s: not the driver's procfs file (filesystem %#lx), left alone",
                           PARAMS, (unsigned long)sf.f_type);
                return 0;
        }
        r = fd_check_in_root(fd, rootpath, err);
        if (r < 0)
                return r;
        *target = steal_fd(&fd);
        return 0;
}

/* The modified copy as a detached read-only mount of one file. */
static int mask_tree(const char *fixed, struct nvcr_err *err)
{
        _cleanup_close_ int tmpfs = -EBADF, file = -EBADF;

        file = make_params_file(fixed, &tmpfs, err);
        if (file < 0)
                return nvcr_err_wrap(err, "%s", PARAMS);
        return tree_clone(file, TREE_PROC_ATTRS, PARAMS, err);
}

int cdi_hook_attach_mask(const char *prog, int tree, long params_fstype, int rootfd,
                         int mntns_fd)
{
        struct hook_ctx h = {.prog = prog, .name = "disable-device-node-modification"};
        _cleanup_close_ int target = -EBADF;
        _cleanup_free_ char *rootpath = NULL;
        struct nvcr_err err = {0};
        int r;

        if (tree < 0)
                return 0;
        /*
         * Seen from our mount namespace, the container's root is the root
         * of another namespace's tree: paths of fds under it read as the
         * container sees them, so its own path reads "/".
         */
        r = fd_path(rootfd, &rootpath, &err);
        if (r >= 0)
                r = mask_target(&h, rootfd, rootpath, params_fstype, &target, &err);
        if (r >= 0 && target >= 0)
                r = attach_in_ns(mntns_fd, tree, target, &err);
        if (r < 0)
                return hook_fail(&h, &err);
        return 0;
}

int hook_disable_device_node_modification(struct hook_ctx *h, int argc, char **argv)
{
        char *cspec = NULL;
        const struct hook_flag flags[] = {
                {.name = "container-spec",
                 .kind = HOOK_FLAG_STRING,
                 .usage = "(accepted, not used: the OCI state on stdin names the bundle)",
                 .str = &cspec},
        };
        _cleanup_free_ char *text = NULL, *fixed = NULL;
        _cleanup_close_ int hostfd = -EBADF, target = -EBADF, tree = -EBADF;
        struct nvcr_err err = {0};
        struct statfs sf;
        int r, status;

        if (hook_flags_done(h, argc, argv, flags, ARRAY_SIZE(flags), &status))
                return status;
        /*
         * The host's params: a runtime runs hooks before pivot_root, and
         * the runtime runs the chain itself before create: /proc is still
         * the host's either way.
         */
        hostfd = open(PARAMS, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (hostfd < 0 && errno == ENOENT) {
                hook_debug(h, "%s: no NVIDIA driver on the host, nothing to do", PARAMS);
                return 0;
        }
        if (hostfd < 0 || fstatfs(hostfd, &sf) < 0) {
                nvcr_err_setsys(&err, errno, "%s", PARAMS);
                return hook_fail(h, &err);
        }
        r = read_fd_all(hostfd, 1 << 20, &text, NULL, &err);
        if (r < 0) {
                nvcr_err_wrap(&err, "%s", PARAMS);
                return hook_fail(h, &err);
        }
        fixed = masks_rewrite_params(text);
        if (fixed == NULL)
                return hook_fail(h, &(struct nvcr_err){ENOMEM, "out of memory"});
        if (strcmp(fixed, text) == 0) {
                hook_debug(h, "%s: device node modification already disabled", PARAMS);
                return 0;
        }
        if (h->before_create) {
                /* The container's /proc does not exist yet: attached after create. */
                h->mask_tree = mask_tree(fixed, &err);
                h->params_fstype = (long)sf.f_type;
                return h->mask_tree < 0 ? hook_fail(h, &err) : 0;
        }
        r = hook_open_root(h, &err);
        if (r < 0)
                return hook_fail(h, &err);
        r = mask_target(h, h->rootfd, h->rootpath, (long)sf.f_type, &target, &err);
        if (r >= 0 && target >= 0) {
                tree = mask_tree(fixed, &err);
                r = tree < 0 ? tree : tree_attach(tree, target, PARAMS, &err);
        }
        if (r < 0)
                return hook_fail(h, &err);
        if (target >= 0)
                hook_debug(h, "%s: ModifyDeviceFiles set to 0", PARAMS);
        return 0;
}
