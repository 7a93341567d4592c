/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mount.h>
#include <unistd.h>

#include "apply/mount-tree.h"
#include "core/err.h"
#include "core/macro.h"

static int set_attrs(int treefd, unsigned attrs, const char *what, struct nvcr_err *err)
{
        struct mount_attr a = {.attr_set = attrs, .propagation = MS_PRIVATE};

        if (mount_setattr(treefd, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0)
                return nvcr_err_setsys(err, errno, "%s: cannot set mount flags", what);
        return 0;
}

int tree_clone(int srcfd, unsigned attrs, const char *what, struct nvcr_err *err)
{
        _cleanup_close_ int t = open_tree(srcfd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
                                                             AT_EMPTY_PATH);
        int r;

        if (t < 0) {
                if (errno == ENOSYS)
                        return nvcr_err_set(err, ENOSYS,
                                            "%s: the kernel lacks the new mount API "
                                            "(open_tree, Linux >= 5.12 needed)",
                                            what);
                return nvcr_err_setsys(err, errno, "%s: cannot clone", what);
        }
        r = set_attrs(t, attrs, what, err);
        return r < 0 ? r : steal_fd(&t);
}

int tree_tmpfs(unsigned mode, struct nvcr_err *err)
{
        _cleanup_close_ int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
        char m[16];
        int t;

        if (fs < 0)
                return nvcr_err_setsys(err, errno, "cannot create a tmpfs");
        (void)snprintf(m, sizeof(m), "%o", mode);
        if (fsconfig(fs, FSCONFIG_SET_STRING, "mode", m, 0) < 0 ||
            fsconfig(fs, FSCONFIG_SET_STRING, "size", "1m", 0) < 0 ||
            fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return nvcr_err_setsys(err, errno, "cannot configure a tmpfs");
        t = fsmount(fs, FSMOUNT_CLOEXEC,
                    MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
        if (t < 0)
                return nvcr_err_setsys(err, errno, "cannot mount a tmpfs");
        return t;
}

int tree_attach(int treefd, int targetfd, const char *what, struct nvcr_err *err)
{
        if (move_mount(treefd, "", targetfd, "",
                       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return nvcr_err_setsys(err, errno, "cannot mount %s", what);
        return 0;
}

int tree_set_readonly(int treefd, const char *what, struct nvcr_err *err)
{
        struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY};

        if (mount_setattr(treefd, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0)
                return nvcr_err_setsys(err, errno, "%s: cannot make read-only", what);
        return 0;
}

void tree_detach(int treefd)
{
        char proc[64];

        (void)snprintf(proc, sizeof(proc), "/proc/self/fd/%d", treefd);
        (void)umount2(proc, MNT_DETACH);
}
