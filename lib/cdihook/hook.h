/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the CDI hooks share: the context (names for messages, the rootfs as
 * an fd), flag parsing in the reference's style (urfave/cli: "--flag value",
 * "--flag=value", one or two dashes), and messages on stderr. Internal to
 * lib/cdihook.
 */
#ifndef NVCR_CDIHOOK_HOOK_H
#define NVCR_CDIHOOK_HOOK_H

#include <stdbool.h>
#include <stddef.h>

#include "cdihook/cdihook.h"
#include "nvcr.h"

struct hook_ctx {
        const char *prog; /* "nvidia-cdi-hook" or "nvidia-ctk hook" */
        const char *name; /* the hook's name */
        const char *summary; /* its one line of help (the dispatch table's) */
        bool debug;
        int rootfd;     /* O_PATH directory of the container's rootfs; -1 until opened */
        char *rootpath; /* its canonical path in our mount namespace */
        /*
         * Run by the runtime before `create` (cdi_hook_run_before_create):
         * the rootfs is the bundle's, without the mounts runc is about to
         * make. `files` are the file mounts it makes (container path -> host
         * file): the loader cache reads those from the host. The links
         * create-symlinks made are noted (links[i] -> link_targets[i]), so
         * that names through them resolve as they will in the container.
         */
        bool before_create;
        const struct cdi_hook_file *files;
        size_t nfiles;
        char **links, **link_targets;
        /* Before create: the params mask, made and left for the caller to attach. */
        int mask_tree;
        long params_fstype;
};

void hook_warn(const struct hook_ctx *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void hook_debug(const struct hook_ctx *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Reads the OCI state on stdin, loads <bundle>/config.json and opens its
 * root.path. The runtime runs createContainer hooks in the container's
 * mount namespace before pivot_root, so that path names the rootfs with
 * the container's mounts on it.
 */
int hook_open_root(struct hook_ctx *h, struct nvcr_err *err);
void hook_ctx_clear(struct hook_ctx *h);

enum hook_flag_kind {
        HOOK_FLAG_STRING, /* last one wins */
        HOOK_FLAG_LIST,   /* repeatable, appended */
        HOOK_FLAG_BOOL,   /* no value; "--flag=true|false" accepted */
};

struct hook_flag {
        const char *name;  /* without dashes */
        const char *alias; /* another name or NULL */
        enum hook_flag_kind kind;
        const char *usage;
        char **str;      /* HOOK_FLAG_STRING: points into argv */
        char ***list;    /* HOOK_FLAG_LIST: strv, owned by the caller (strv_free) */
        bool *on;        /* HOOK_FLAG_BOOL */
};

/*
 * Parses argv[1..] (argv[0] is the hook's name). A positional argument, an
 * unknown flag or a missing value is -EINVAL with a message. "--help"/"-h"
 * sets *help and stops.
 */
int hook_parse_flags(int argc, char **argv, const struct hook_flag *flags, size_t nflags,
                     bool *help, struct nvcr_err *err);
/*
 * Parses the hook's flags; true when the hook must return *status now: 1
 * after reporting a bad flag, 0 after printing its --help (h->summary and
 * the flags).
 */
bool hook_flags_done(struct hook_ctx *h, int argc, char **argv, const struct hook_flag *flags,
                     size_t nflags, int *status);

/* The hooks; argv[0] is the hook's name. Each returns the exit status. */
int hook_create_symlinks(struct hook_ctx *h, int argc, char **argv);
int hook_update_ldcache(struct hook_ctx *h, int argc, char **argv);
int hook_enable_cuda_compat(struct hook_ctx *h, int argc, char **argv);
int hook_disable_device_node_modification(struct hook_ctx *h, int argc, char **argv);
int hook_update_application_profile(struct hook_ctx *h, int argc, char **argv);
int hook_chmod(struct hook_ctx *h, int argc, char **argv);

/*
 * A path inside the container made absolute and lexically clean: "." and
 * empty names dropped, ".." removes the previous name and stops at "/" (as
 * the reference's filepath.Join(root, path)). What is left is then resolved
 * through the safe-path layer, which confines symlinks too.
 */
int hook_clean_path(const char *path, char **ret, struct nvcr_err *err);

/* Prints "<prog>: <hook>: <msg>" and returns 1 (the exit status). */
int hook_fail(const struct hook_ctx *h, const struct nvcr_err *err);

#endif
