/* SPDX-License-Identifier: Apache-2.0 */
/* Between the spec-*.c files only: the json-c tree both formats share. */
#ifndef NVCR_CDI_SPEC_INTERNAL_H
#define NVCR_CDI_SPEC_INTERNAL_H

#include <stddef.h>

#include "cdi/spec.h"
#include "core/json-strict.h"

struct json_object;

/* Decodes a parsed document (any top level) into *out; no validation. */
int cdi_spec_from_json(struct json_object *doc, const char *what, struct cdi_spec *out,
                       struct nvcr_err *err);
/* The spec as a json-c tree in the CDI field order; NULL on ENOMEM. */
struct json_object *cdi_spec_to_json(const struct cdi_spec *spec, const char *version);

/* JSON text -> tree (strict, depth CDI_SPEC_MAX_DEPTH). */
int cdi_json_text_parse(const char *buf, size_t len, const char *what, struct json_object **ret,
                        struct nvcr_err *err);
/* YAML text (one document) -> the same tree; anchors and aliases limited. */
int cdi_yaml_text_parse(const char *buf, size_t len, const char *what, struct json_object **ret,
                        struct nvcr_err *err);
/* A json-c tree as block-style YAML, starting with "---\n". */
int cdi_yaml_emit(struct json_object *doc, char **ret, size_t *ret_len, struct nvcr_err *err);


#endif
