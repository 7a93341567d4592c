/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The OCI state a runtime hands a hook on stdin (runc, crun; runtime-spec
 * "state"), and the lexical path helper the OCI code shares.
 */
#ifndef NVCR_OCI_STATE_H
#define NVCR_OCI_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "nvcr.h"
#include "oci/bundle.h"

/* The most a hook reads from stdin; a larger state is -EFBIG. */
#define OCI_STATE_MAX (64u * 1024u)

struct oci_kv {
        char *key;
        char *value;
};

struct oci_state {
        pid_t pid;           /* > 0 */
        char *bundle;        /* absolute, lexically clean ("." and "//" removed), no ".." */
        char *id;            /* NULL when absent */
        char *status;        /* NULL when absent */
        char *oci_version;   /* NULL when absent */
        struct oci_kv *annotations; /* in document order */
        size_t nannotations;
};

/*
 * Parses a state document of `len` bytes (need not be NUL-terminated).
 * "bundle" wins over the pre-1.0 "bundlePath" when both are non-empty; other
 * keys (crun's "root", …) are ignored. Errors (-EINVAL unless noted), each
 * message starting "OCI state: ":
 *   larger than OCI_STATE_MAX (-EFBIG), a NUL byte, malformed JSON, not an
 *   object, pid missing / not an integer / not > 0 / too large, bundle missing
 *   or empty, relative, with a ".." component or an embedded NUL (\u0000),
 *   id/status/ociVersion not strings, annotations not an object of strings.
 * On success *ret is a new state for oci_state_free().
 */
int oci_state_parse(const char *buf, size_t len, struct oci_state **ret, struct nvcr_err *err);
/* Reads at most OCI_STATE_MAX bytes from fd (stdin) and parses them. */
int oci_state_read_fd(int fd, struct oci_state **ret, struct nvcr_err *err);
void oci_state_free(struct oci_state *st);



/* Frees an array of n key/value pairs (and the array). */
void oci_kv_free(struct oci_kv *kv, size_t n);

/* ---- helpers shared with spec.c */
struct json_object;

/*
 * Strict JSON (json-c JSON_TOKENER_STRICT, depth 64) of exactly `len` bytes:
 * a NUL byte, trailing garbage or a top level other than an object is
 * -EINVAL "<what>: …". *ret is a new reference.
 */
int oci_json_parse(const char *buf, size_t len, const char *what, struct json_object **ret,
                   struct nvcr_err *err);
/*
 * The string value of `key` in `obj` copied to *ret (NULL when absent or
 * JSON null). Not a string, or with an embedded NUL, is -EINVAL
 * "<what>: <key> …".
 */
int oci_json_dup_string(struct json_object *obj, const char *key, const char *what, char **ret,
                        struct nvcr_err *err);
/* A JSON object of string values as key/value pairs (absent/null: none). */
int oci_json_string_map(struct json_object *obj, const char *key, const char *what,
                        struct oci_kv **ret, size_t *ret_n, struct nvcr_err *err);

#endif
