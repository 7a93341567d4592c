/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Container edits: what a CDI spec's containerEdits hold (CDI spec 0.6:
 * env, deviceNodes, mounts, hooks). One struct serves three jobs:
 *   plan -> edits            (cdi/from-plan.c: jit-cdi and `cdi generate`)
 *   CDI spec file <-> edits  (cdi/spec-*.c: `cdi generate`, the cdi mode)
 *   edits -> OCI config.json (cdi/apply-spec.c: the runtime shim)
 * so the spec path, the CDI path and the legacy path share one plan.
 */
#ifndef NVCR_CDI_EDITS_H
#define NVCR_CDI_EDITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/strv.h"
#include "nvcr.h"

struct cdi_device_node {
        char *path;        /* container path, required */
        char *host_path;   /* NULL = same as path */
        char type;         /* 'c', 'b' or 0 (unset: from the host node) */
        int64_t major;     /* -1 = unset (taken from the host node when applied) */
        int64_t minor;     /* -1 = unset */
        uint32_t file_mode;/* 0 = unset (0666 when applied) */
        char *permissions; /* cgroup access "rw", "rwm"; NULL = "rwm" */
        int64_t uid;       /* -1 = unset */
        int64_t gid;       /* -1 = unset */
};

struct cdi_mount {
        char *host_path;      /* required */
        char *container_path; /* required */
        char *type;           /* NULL = "bind" */
        char **options;       /* NULL-terminated; may be NULL */
};

struct cdi_hook {
        char *hook_name; /* prestart, createRuntime, createContainer, startContainer,
                            poststart, poststop */
        char *path;      /* required, absolute */
        char **args;     /* NULL-terminated; may be NULL */
        char **env;      /* NULL-terminated; may be NULL (we always set it) */
        int timeout;     /* seconds; 0 = unset */
};

struct cdi_edits {
        char **env;   /* "KEY=VALUE", NULL-terminated (may be NULL) */
        size_t nenv;
        struct cdi_device_node *nodes;
        size_t nnodes;
        struct cdi_mount *mounts;
        size_t nmounts;
        struct cdi_hook *hooks;
        size_t nhooks;
};

/* Frees everything e holds and zeroes it (e itself is caller-owned). */
void cdi_edits_clear(struct cdi_edits *e);
bool cdi_edits_empty(const struct cdi_edits *e);

/* Appending copies (all strings are duplicated). -ENOMEM on failure. */
int cdi_edits_add_env(struct cdi_edits *e, const char *kv, struct nvcr_err *err);
int cdi_edits_add_node(struct cdi_edits *e, const struct cdi_device_node *n,
                       struct nvcr_err *err);
int cdi_edits_add_mount(struct cdi_edits *e, const struct cdi_mount *m, struct nvcr_err *err);
int cdi_edits_add_hook(struct cdi_edits *e, const struct cdi_hook *h, struct nvcr_err *err);
/* Keeps, in order, the device nodes for which keep(node, arg) holds; frees the others. */
void cdi_edits_filter_nodes(struct cdi_edits *e,
                            bool (*keep)(const struct cdi_device_node *n, void *arg), void *arg);
/* Appends every edit of src to dst (CDI's merge: device edits after common ones). */
int cdi_edits_merge(struct cdi_edits *dst, const struct cdi_edits *src, struct nvcr_err *err);

#endif
