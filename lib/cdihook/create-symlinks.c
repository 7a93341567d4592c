/* SPDX-License-Identifier: Apache-2.0 */
/*
 * create-symlinks --link TARGET::LINK …: LINK (a path in the container) becomes
 * a symlink whose content is TARGET. TARGET is only ever written, never
 * followed, so it is taken verbatim; LINK is cleaned lexically (".." stops
 * at the root), its parent is made through the safe-path layer (existing
 * components resolve inside the rootfs, missing ones are created one name
 * at a time) and the link is made relative to that directory's fd: an
 * existing symlink there is replaced, never followed; an existing regular
 * file is the image's own and is left alone.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cdihook/hook.h"
#include "core/err.h"
#include "core/macro.h"
#include "core/strv.h"
#include "safepath/in-root-create.h"

static int create_link(struct hook_ctx *h, const char *spec, struct nvcr_err *err)
{
        _cleanup_free_ char *target = NULL, *link = NULL, *dir = NULL;
        _cleanup_close_ int dirfd = -EBADF;
        const char *sep = strstr(spec, "::"), *base;
        int r;

        if (sep == NULL || strstr(sep + 2, "::") != NULL || sep == spec || sep[2] == '\0')
                return nvcr_err_set(err, EINVAL,
                                    "invalid symlink specification \"%s\" (want TARGET::LINK)",
                                    spec);
        target = strndup(spec, (size_t)(sep - spec));
        if (target == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        r = hook_clean_path(sep + 2, &link, err);
        if (r < 0)
                return nvcr_err_wrap(err, "link %s", sep + 2);
        if (strcmp(link, "/") == 0)
                return nvcr_err_set(err, EINVAL, "link %s: names the container's root", sep + 2);
        dir = strdup(link);
        if (dir == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        *strrchr(dir, '/') = '\0';
        base = strrchr(link, '/') + 1;
        dirfd = in_root_mkdir_p(h->rootfd, dir[0] ? dir : "/", 0755, 0, 0, err);
        if (dirfd < 0)
                return nvcr_err_wrap(err, "cannot create the directory of link %s", link);
        r = in_root_symlink(dirfd, base, target, 0, 0, err);
        if (r < 0)
                return nvcr_err_wrap(err, "link %s -> %s", link, target);
        if (r == 1) {
                hook_debug(h, "%s: a regular file in the image, left alone", link);
                return 0;
        }
        hook_debug(h, "%s -> %s", link, target);
        /* Before create: update-ldcache follows it to the file runc will mount there. */
        if (h->before_create &&
            (strv_push(&h->links, link) < 0 || strv_push(&h->link_targets, target) < 0))
                return nvcr_err_set(err, ENOMEM, "out of memory");
        return 0;
}

int hook_create_symlinks(struct hook_ctx *h, int argc, char **argv)
{
        _cleanup_(strv_freep) char **links = NULL;
        const struct hook_flag flags[] = {
                {.name = "link",
                 .kind = HOOK_FLAG_LIST,
                 .usage = "Specify a specific link to create. The link is specified as "
                          "target::link",
                 .list = &links},
        };
        struct nvcr_err err = {0};
        int r, status;

        if (hook_flags_done(h, argc, argv, flags, ARRAY_SIZE(flags), &status))
                return status;
        if (links == NULL)
                return 0;
        r = hook_open_root(h, &err);
        if (r < 0)
                return hook_fail(h, &err);
        for (char **l = links; *l; l++) {
                /* A link given twice is made once. */
                bool dup = false;

                for (char **p = links; p < l && !dup; p++)
                        dup = strcmp(*p, *l) == 0;
                if (!dup && create_link(h, *l, &err) < 0)
                        return hook_fail(h, &err);
        }
        return 0;
}
