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
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
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
 * move_mount only attaches onto a target in the caller's own namespace: a
 * child enters the container's, attaches, exits. A child, not setns there
 * and back: going back would reset our root and working directory to the
 * namespace's, which is not where a chrooted runtime was.
 */
static int attach_in_ns(int mntns_fd, int tree, int target, struct nvcr_err *err)
{
        _cleanup_close_ int rd = -EBADF, wr = -EBADF;
        int pfd[2], status, failure[2] = {0, 0}; /* {1 setns | 2 move_mount, errno} */
        pid_t pid;

        if (pipe2(pfd, O_CLOEXEC) < 0)
                return nvcr_err_setsys(err, errno, "cannot mount %s", PARAMS);
        rd = pfd[0];
        wr = pfd[1];
        pid = fork();
        if (pid < 0)
                return nvcr_err_setsys(err, errno, "cannot fork to mount %s", PARAMS);
        if (pid == 0) {
                int f[2] = {1, 0};

                if (setns(mntns_fd, CLONE_NEWNS) == 0) {
                        f[0] = 2;
                        if (move_mount(tree, "", target, "",
                                       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) == 0)
                                _exit(0);
                }
                f[1] = errno;
                (void)!write(wr, f, sizeof(f));
                _exit(1);
        }
        (void)close(steal_fd(&wr));
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return nvcr_err_setsys(err, errno, "waiting for the mount of %s", PARAMS);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return 0;
        if (read(rd, failure, sizeof(failure)) != (ssize_t)sizeof(failure) || failure[1] <= 0)
                return nvcr_err_set(err, EIO, "cannot mount %s: the helper process failed",
                                    PARAMS);
        if (failure[0] == 1)
                return nvcr_err_set(err, failure[1],
                                    "cannot enter the container's mount namespace: %s",
                                    strerror(failure[1]));
        return nvcr_err_set(err, failure[1], "cannot mount %s: %s", PARAMS, strerror(failure[1]));
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
         * The host's params: a runtime runs hooks before pivot_root, where
         * /proc is still the host's; a runtime running the chain itself
         * hands us the file it opened.
         */
        if (h->before_create && h->params_fd < 0)
                errno = ENOENT;
        else if (h->before_create)
                hostfd = fcntl(h->params_fd, F_DUPFD_CLOEXEC, 3);
        else
                hostfd = open(PARAMS, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        /* A shared offset: read it from the start, whichever step of a chain reads it. */
        if (hostfd >= 0 && h->before_create)
                (void)lseek(hostfd, 0, SEEK_SET);
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
