/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CDI spec files (container-device-interface, cdiVersion 0.3.0 … 1.0.0):
 *
 *   cdiVersion: "0.5.0"
 *   kind: vendor/class
 *   annotations: {k: v}                    (0.6.0)
 *   devices: [{name, annotations?, containerEdits}]
 *   containerEdits: {env, deviceNodes, mounts, hooks, additionalGIDs (0.7.0)}
 *
 * One model (struct cdi_spec), read from JSON or YAML (the YAML is turned
 * into the same json-c tree, so one decoder and one validator serve both),
 * written as JSON (json-c) or YAML (our emitter). A spec file is input from
 * whoever can write the spec dirs, and the runtime applies it as root, so
 * reading is strict: size and depth limits, the CDI library's rules (kind
 * and name charsets, duplicate devices, unknown fields, known versions) and
 * ours on top: every path absolute and without a ".." component.
 *
 *   spec.c           model, free, cdiVersion bookkeeping
 *   spec-json.c      json-c tree <-> model, JSON text in and out
 *   spec-yaml.c      YAML text -> json-c tree (alias limits), YAML writer
 *   spec-validate.c  names, paths, versions
 *   registry.c       spec dirs, qualified names -> one struct cdi_edits
 */
#ifndef NVCR_CDI_SPEC_H
#define NVCR_CDI_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cdi/edits.h"
#include "nvcr.h"

/* A larger spec file is refused (-EFBIG): NVIDIA's largest real specs are ~100 KiB. */
#define CDI_SPEC_MAX_SIZE (4u * 1024u * 1024u)
/* Nesting depth of the document (the format itself needs 6). */
#define CDI_SPEC_MAX_DEPTH 32
/* YAML: alias references in one document, and nodes built in all (a
   "billion laughs" document expands aliases exponentially). */
#define CDI_YAML_MAX_ALIASES 1000
#define CDI_YAML_MAX_NODES 1000000

struct cdi_annotation {
        char *key;
        char *value;
};

struct cdi_spec_device {
        char *name;
        struct cdi_annotation *annotations;
        size_t nannotations;
        struct cdi_edits edits;
        /* containerEdits.additionalGIDs (0.7.0): kept so a spec reads back
           and writes out the same; struct cdi_edits has no place for them. */
        uint32_t *gids;
        size_t ngids;
};

struct cdi_spec {
        char *cdi_version;
        char *kind; /* "vendor/class" */
        struct cdi_annotation *annotations;
        size_t nannotations;
        struct cdi_spec_device *devices;
        size_t ndevices;
        struct cdi_edits edits; /* the spec's common containerEdits */
        uint32_t *gids;
        size_t ngids;
};

enum cdi_format {
        CDI_FORMAT_YAML = 0,
        CDI_FORMAT_JSON,
};

/* Frees everything spec holds and zeroes it (spec itself is caller-owned). */
void cdi_spec_clear(struct cdi_spec *spec);
void cdi_spec_free(struct cdi_spec *spec);

/* The versions we read, oldest first; NULL-terminated. */
extern const char *const cdi_spec_versions[];
bool cdi_spec_version_known(const char *v);
/*
 * The lowest cdiVersion that can express spec, as the CDI library's
 * MinimumRequiredVersion computes it, but never below 0.3.0 (our floor):
 *   0.4.0 mount type; 0.5.0 a device name not starting with a letter, a
 *   device node hostPath; 0.6.0 annotations, a '.' in the class;
 *   0.7.0 additionalGIDs. A static string.
 */
const char *cdi_spec_min_version(const struct cdi_spec *spec);

/*
 * Parses `len` bytes of spec text (need not be NUL-terminated) in `format`
 * and validates the result (cdi_spec_validate). `what` names the source in
 * every message (the file path). Errors: -EFBIG over CDI_SPEC_MAX_SIZE,
 * -EINVAL for malformed text, too deep a document, too many YAML aliases, a
 * field of the wrong type, an unknown field, or anything validation refuses;
 * -ENOMEM. On success *out holds the spec (clear it with cdi_spec_clear).
 */
int cdi_spec_parse(const char *buf, size_t len, enum cdi_format format, const char *what,
                   struct cdi_spec *out, struct nvcr_err *err);
/* Reads `path` (format from its extension: .json, else YAML) and parses it. */
int cdi_spec_read_file(const char *path, struct cdi_spec *out, struct nvcr_err *err);
/* The format a file name asks for: .json -> JSON, .yaml/.yml -> YAML, else -EINVAL. */
int cdi_spec_format_from_name(const char *path, enum cdi_format *ret);

/*
 * The CDI library's rules and ours (-EINVAL naming `what`, the device and
 * the value): cdiVersion known; kind "vendor/class" (vendor and class start
 * with a letter, end with a letter or digit, in between letters, digits,
 * '_', '-', '.'); at least one device; device names (letters, digits, '_',
 * '-', '.', ':', starting and ending with a letter or digit) unique; env
 * entries "KEY=VALUE" with a non-empty KEY; device node path, type (b, c,
 * u, p) and permissions (r, w, m); mounts with both paths; hook names of the
 * OCI lifecycle (prestart, createRuntime, createContainer, startContainer,
 * poststart, poststop). Every path (device node path and hostPath, mount
 * containerPath and hostPath, hook path) absolute and without a ".."
 * component, except a mount hostPath of a non-bind mount (a source name
 * like "tmpfs"), which still may not contain "..".
 */
int cdi_spec_validate(const struct cdi_spec *spec, const char *what, struct nvcr_err *err);

/* Kind / name checks of the above, alone. Each fills err naming the value. */
int cdi_validate_kind(const char *kind, struct nvcr_err *err);
int cdi_validate_device_name(const char *name, struct nvcr_err *err);

/*
 * The spec as text: JSON (json-c, pretty, 2-space indent) or YAML (block
 * style, strings quoted where YAML would read them as something else).
 * cdiVersion is written as spec->cdi_version, or the minimum the content
 * needs when that is NULL. *ret is NUL-terminated, heap-allocated.
 */
int cdi_spec_to_text(const struct cdi_spec *spec, enum cdi_format format, char **ret,
                     size_t *ret_len, struct nvcr_err *err);

#endif
