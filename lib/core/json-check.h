/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Whether bytes are one well-formed JSON document (RFC 8259 grammar, no
 * NUL byte, nesting at most `max_depth`, only whitespace after it), without
 * building anything.
 *
 * Why: the runtime's front (cmd/runtime/front.c) hands a container that
 * cannot ask for a GPU to runc without parsing config.json with json-c. A
 * document that is not well formed must still get our clear error naming
 * config.json (json-strict.h, in the full runtime), not runc's "unexpected
 * EOF": the front sends whatever fails this check to the full runtime.
 * Stricter than json-strict is fine (the full runtime then decides); looser
 * is not.
 */
#ifndef NVCR_CORE_JSON_CHECK_H
#define NVCR_CORE_JSON_CHECK_H

#include <stdbool.h>
#include <stddef.h>

/* The deepest nesting checked; a larger max_depth is treated as this. */
#define JSON_CHECK_MAX_DEPTH 256

bool json_well_formed(const char *buf, size_t len, int max_depth);

#endif
