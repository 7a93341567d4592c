/* SPDX-License-Identifier: Apache-2.0 */
/*
 * <bundle>/config.json: read safely, parsed with json-c, the fields the hook
 * and the runtime shim need extracted, and the whole document kept so that
 * the shim can edit it and write it back with every unknown field intact.
 */
#ifndef NVCR_OCI_SPEC_H
#define NVCR_OCI_SPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "nvcr.h"
#include "oci/bundle.h"
#include "oci/state.h"


struct json_object;

struct oci_mount {
        char *destination; /* required */
        char *source;      /* NULL when absent */
        char *type;        /* NULL when absent */
};

struct oci_hook {
        char *path;  /* required */
        char **args; /* NULL-terminated, nargs entries (argv[0] included) */
        size_t nargs;
};

/*
 * The fields reflect the document as parsed; editing the JSON through
 * spec_get_root_object() does not update them.
 */
struct oci_spec {
        struct json_object *root; /* the whole document (owned) */
        char *oci_version;
        char *rootfs;       /* root.path made absolute against the bundle, lexically clean */
        char **env;         /* process.env entries of the form "NAME=VALUE" (NAME non-empty), */
        size_t nenv;        /*   in order; other entries are skipped */
        bool privileged;    /* CAP_SYS_ADMIN in process.capabilities.bounding (or the pre-1.0 list) */
        struct oci_mount *mounts;
        size_t nmounts;
        struct oci_kv *annotations;
        size_t nannotations;
        struct oci_hook *prestart;        /* hooks.prestart */
        size_t nprestart;
        struct oci_hook *create_runtime;  /* hooks.createRuntime */
        size_t ncreate_runtime;
};


/*
 * Reads config.json relative to `bundlefd` (O_NOFOLLOW|O_CLOEXEC|O_NONBLOCK:
 * a symlink is -ELOOP, a FIFO or device is refused without blocking), a
 * regular file of at most OCI_SPEC_MAX bytes (else -EFBIG), and parses it as
 * spec_parse_buffer does. `bundle` is the absolute bundle path that a
 * relative root.path is joined to.
 */
int spec_load(int bundlefd, const char *bundle, struct oci_spec **ret, struct nvcr_err *err);


/*
 * Parses a config.json document of `len` bytes. Requires "ociVersion" (a
 * string), "process" (an object) and "root" (an object with a non-empty
 * string "path"), as the reference hook does. -EINVAL "config.json: …" for
 * malformed JSON, a missing or mistyped required field, a process.env that
 * is not an array, malformed mounts/hooks/annotations, a root.path with a
 * ".." component or a NUL byte, or one that resolves to "/".
 */
int spec_parse_buffer(const char *buf, size_t len, const char *bundle, struct oci_spec **ret,
                      struct nvcr_err *err);

/* The document, to edit in place before spec_serialize/spec_write_atomic. */
struct json_object *spec_get_root_object(struct oci_spec *spec);

/* The document as compact JSON (slashes not escaped); caller frees *ret. */
int spec_serialize(const struct oci_spec *spec, char **ret, size_t *ret_len,
                   struct nvcr_err *err);

/*
 * Replaces <bundle>/config.json with the serialised document: a temporary
 * file in the bundle directory (O_CREAT|O_EXCL|O_NOFOLLOW, 0644), written
 * and renamed over config.json (no fsync: the bundle does not outlive a
 * crash). Nothing is left behind on failure.
 */
int spec_write_atomic(int bundlefd, const struct oci_spec *spec, struct nvcr_err *err);

void spec_free(struct oci_spec *spec);

#endif
