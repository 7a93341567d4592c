/* SPDX-License-Identifier: Apache-2.0 */
/*
 * chmod --mode M --path P …: sets the mode (octal) of paths in the
 * container. The reference execs the chmod found on PATH; here each path is
 * resolved through the safe-path layer (symlinks confined to the rootfs)
 * and changed through its O_PATH fd (/proc/self/fd/N), so a path that
 * leads out of the rootfs cannot be reached. A missing path is an error.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "cdihook/hook.h"
#include "core/err.h"
#include "core/macro.h"
#include "core/strv.h"
#include "safepath/in-root-create.h"
#include "safepath/in-root.h"

static int parse_mode(const char *s, mode_t *ret)
{
        char *end;
        unsigned long m;

        if (s == NULL || s[0] < '0' || s[0] > '7')
                return -EINVAL;
        m = strtoul(s, &end, 8);
        if (*end != '\0' || m > 07777)
                return -EINVAL;
        *ret = (mode_t)m;
        return 0;
}

static int chmod_one(const struct hook_ctx *h, const char *path, mode_t mode,
                     struct nvcr_err *err)
{
        _cleanup_free_ char *clean = NULL;
        _cleanup_close_ int fd = -EBADF;
        char proc[64];
        int r = hook_clean_path(path, &clean, err);

        if (r < 0)
                return nvcr_err_wrap(err, "path %s", path);
        fd = in_root_open(h->rootfd, clean, O_PATH, err);
        if (fd < 0)
                return nvcr_err_wrap(err, "path %s", clean);
        r = fd_check_in_root(fd, h->rootpath, err);
        if (r < 0)
                return r;
        (void)snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        if (fchmodat(AT_FDCWD, proc, mode, 0) < 0)
                return nvcr_err_setsys(err, errno, "cannot chmod %s", clean);
        hook_debug(h, "%s: mode %04o", clean, (unsigned)mode);
        return 0;
}

int hook_chmod(struct hook_ctx *h, int argc, char **argv)
{
        _cleanup_(strv_freep) char **paths = NULL;
        char *mode_s = NULL, *cspec = NULL;
        const struct hook_flag flags[] = {
                {.name = "path",
                 .kind = HOOK_FLAG_LIST,
                 .usage = "Specify a path to apply the specified mode to",
                 .list = &paths},
                {.name = "mode", .kind = HOOK_FLAG_STRING, .usage = "Specify the file mode",
                 .str = &mode_s},
                {.name = "container-spec",
                 .kind = HOOK_FLAG_STRING,
                 .usage = "(accepted, not used: the OCI state on stdin names the bundle)",
                 .str = &cspec},
        };
        struct nvcr_err err = {0};
        mode_t mode = 0;
        int r, status;

        if (hook_flags_done(h, argc, argv, flags, ARRAY_SIZE(flags), &status))
                return status;
        if (parse_mode(mode_s, &mode) < 0) {
                nvcr_err_set(&err, EINVAL, "a mode in octal (--mode) is required, got \"%s\"",
                             mode_s ? mode_s : "");
                return hook_fail(h, &err);
        }
        if (paths == NULL)
                return 0;
        r = hook_open_root(h, &err);
        if (r < 0)
                return hook_fail(h, &err);
        for (char **p = paths; *p; p++)
                if (chmod_one(h, *p, mode, &err) < 0)
                        return hook_fail(h, &err);
        return 0;
}
