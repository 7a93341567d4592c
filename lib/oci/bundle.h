/* SPDX-License-Identifier: Apache-2.0 */
/* The bundle's path, directory and config.json bytes (no JSON parsing: oci/bundle.c). */
#ifndef NVCR_OCI_BUNDLE_H
#define NVCR_OCI_BUNDLE_H

#include <stddef.h>

#include "nvcr.h"

/* The largest config.json we read. */
#define OCI_SPEC_MAX (16u * 1024u * 1024u)
/* The deepest nesting of an OCI document we take (state, config.json). */
#define OCI_JSON_MAX_DEPTH 64

/*
 * Lexical absolute path: `path` when absolute, else `base` + "/" + `path`
 * (base must then be absolute). Repeated '/' and "." components are dropped
 * and a trailing '/' removed; nothing is looked up on disk. A ".." component
 * anywhere is -EINVAL, as is a relative result. `what` names the value in
 * the message ("bundle", "root.path").
 */
int oci_path_join_clean(const char *base, const char *path, const char *what, char **ret,
                        struct nvcr_err *err);

/*
 * The bundle path as runc itself resolves `--bundle` (Go's filepath.Abs):
 * relative to `cwd` when not absolute, then cleaned lexically, where ".."
 * drops the previous name (and stays at "/"). The runtime shim must edit the
 * config.json that runc then reads, so it resolves the path the same way,
 * without looking at the disk. This is for the operator's own command line;
 * a bundle in a hook's OCI state comes from the runtime already clean, and
 * one with ".." there is refused (oci_path_join_clean).
 */
int oci_path_abs_lexical(const char *cwd, const char *path, char **ret, struct nvcr_err *err);

/*
 * Opens the bundle directory O_PATH|O_DIRECTORY|O_CLOEXEC. `bundle` must be
 * absolute with no ".." component (as oci_state_parse gives it). Returns the
 * fd or a negative errno.
 */
int spec_open_bundle(const char *bundle, struct nvcr_err *err);

/*
 * config.json's bytes, relative to `bundlefd` (O_NOFOLLOW|O_CLOEXEC|
 * O_NONBLOCK: a symlink is -ELOOP, a FIFO or device is refused without
 * blocking): a regular file of at most OCI_SPEC_MAX bytes (else -EFBIG).
 * The caller frees *ret. `bundle` is for messages.
 */
int spec_read(int bundlefd, const char *bundle, char **ret, size_t *ret_len, struct nvcr_err *err);

/* The same for another file of the bundle (the original config.json under another name). */
int spec_read_named(int bundlefd, const char *name, const char *bundle, char **ret,
                    size_t *ret_len, struct nvcr_err *err);

#endif
