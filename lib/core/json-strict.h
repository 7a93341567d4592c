/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Strict JSON text -> json-c tree, for every document we take from outside
 * (OCI state and config.json, CDI specs): a depth limit, no NUL byte, one
 * document and only whitespace after it, messages naming the source.
 */
#ifndef NVCR_CORE_JSON_STRICT_H
#define NVCR_CORE_JSON_STRICT_H

#include <stddef.h>

#include "nvcr.h"

struct json_object;

/*
 * Parses `len` bytes (need not be NUL-terminated) into *ret (any JSON value;
 * callers check its type). -EFBIG over INT_MAX bytes; -EINVAL "<what>: …"
 * for a NUL byte, malformed JSON (with the offset), nesting deeper than
 * `max_depth`, an unexpected end, trailing data; -ENOMEM.
 */
int json_parse_strict(const char *buf, size_t len, int max_depth, const char *what,
                      struct json_object **ret, struct nvcr_err *err);

/* For __attribute__((cleanup)): drops the reference when not NULL. */
void json_putp(struct json_object **o);

#endif
