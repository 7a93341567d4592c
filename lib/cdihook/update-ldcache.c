/* SPDX-License-Identifier: Apache-2.0 */
/*
 * update-ldcache --folder DIR … [--ldconfig-path P]: the container's loader
 * finds the libraries of the folders. Written in the container:
 *   /etc/ld.so.conf.d/00-nvcr-cdi-<hash>.conf  the folders, so that an
 *       ldconfig run later in the container keeps them (the name depends on
 *       the folders only: a restarted container rewrites the same file, two
 *       hooks with different folders do not overwrite each other);
 *   /etc/ld.so.cache  rewritten in-process (ldcache-update.c), the folders'
 *       libraries first; the CUDA compat folder of enable-cuda-compat, when
 *       it left its file, before them, whichever hook ran first.
 * --ldconfig-path is accepted for the reference's specs and not used: no
 * ldconfig runs at all.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cdihook/hook.h"
#include "cdihook/ldcache-update.h"
#include "core/err.h"
#include "core/macro.h"
#include "core/strv.h"

static int push_unique(char ***v, const char *s)
{
        for (char **p = *v; p && *p; p++)
                if (strcmp(*p, s) == 0)
                        return 0;
        return strv_push(v, s);
}

static unsigned folders_hash(char *const *v)
{
        uint32_t h = 2166136261u;

        for (; v && *v; v++)
                for (const char *c = *v;; c++) {
                        h = (h ^ (unsigned char)*c) * 16777619u;
                        if (*c == '\0')
                                break;
                }
        return h;
}

int hook_update_ldcache(struct hook_ctx *h, int argc, char **argv)
{
        _cleanup_(strv_freep) char **raw = NULL, **folders = NULL, **full = NULL, **only = NULL;
        char *ldconfig = NULL, *cspec = NULL;
        const struct hook_flag flags[] = {
                {.name = "folder",
                 .kind = HOOK_FLAG_LIST,
                 .usage = "Specify a folder to add to /etc/ld.so.conf before updating the "
                          "ld cache",
                 .list = &raw},
                {.name = "library",
                 .kind = HOOK_FLAG_LIST,
                 .usage = "Look only at these file names in the folders, not at every "
                          "library there (the runtime's jit-cdi edits name what they mounted)",
                 .list = &only},
                {.name = "ldconfig-path",
                 .kind = HOOK_FLAG_STRING,
                 .usage = "Specify the path to the ldconfig program (accepted, not used: the "
                          "cache is written in-process)",
                 .str = &ldconfig},
                {.name = "container-spec",
                 .kind = HOOK_FLAG_STRING,
                 .usage = "Specify the path to the OCI container spec (accepted, not used: the "
                          "OCI state on stdin names the bundle)",
                 .str = &cspec},
        };
        struct nvcr_err err = {0};
        _cleanup_(strv_freep) char **compat = NULL;
        char conf[64];
        int r, status;

        if (hook_flags_done(h, argc, argv, flags, ARRAY_SIZE(flags), &status))
                return status;
        for (char **f = raw; f && *f; f++) {
                _cleanup_free_ char *clean = NULL;

                if (ldconf_check_folder(*f, &clean, &err) < 0)
                        return hook_fail(h, &err);
                if (push_unique(&folders, clean) < 0)
                        return hook_fail(h, &(struct nvcr_err){ENOMEM, "out of memory"});
        }
        if (folders == NULL)
                return 0; /* nothing to add: the image's cache is what it was */
        r = hook_open_root(h, &err);
        if (r < 0)
                return hook_fail(h, &err);
        r = ldconf_read(h, LDCONF_COMPAT, &compat, &err);
        if (r < 0)
                return hook_fail(h, &err);
        /* The compat folder first and whole; a --folder naming it again adds nothing. */
        for (char **f = compat; f && *f; f++)
                if (push_unique(&full, *f) < 0)
                        return hook_fail(h, &(struct nvcr_err){ENOMEM, "out of memory"});
        (void)snprintf(conf, sizeof(conf), "%s-%08x.conf", LDCONF_CDI_PREFIX,
                       folders_hash(folders));
        r = ldconf_write(h, conf, folders, &err);
        if (r < 0)
                return hook_fail(h, &err);
        r = ldcache_update_container(h, full, folders, only, &err);
        if (r < 0)
                return hook_fail(h, &err);
        return 0;
}
