/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>

#include "core/err.h"
#include "core/json-strict.h"
#include "core/macro.h"

void json_putp(struct json_object **o)
{
        if (*o != NULL)
                (void)json_object_put(*o);
}

static void tokener_freep(struct json_tokener **t)
{
        if (*t != NULL)
                json_tokener_free(*t);
}

int json_parse_strict(const char *buf, size_t len, int max_depth, const char *what,
                      struct json_object **ret, struct nvcr_err *err)
{
        __attribute__((cleanup(tokener_freep))) struct json_tokener *tok = NULL;
        __attribute__((cleanup(json_putp))) struct json_object *obj = NULL;
        enum json_tokener_error jerr;
        bool at_end = false;

        if (len > INT_MAX)
                return nvcr_err_set(err, EFBIG, "%s: too large", what);
        if (memchr(buf, '\0', len) != NULL)
                return nvcr_err_set(err, EINVAL, "%s: contains a NUL byte", what);
        tok = json_tokener_new_ex(max_depth);
        if (tok == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        obj = json_tokener_parse_ex(tok, buf, (int)len);
        jerr = json_tokener_get_error(tok);
        if (jerr == json_tokener_continue) {
                /* End of input: a NUL ends a bare top-level number or literal. */
                obj = json_tokener_parse_ex(tok, "", 1);
                jerr = json_tokener_get_error(tok);
                at_end = true; /* the whole buffer was the value */
        }
        if (jerr == json_tokener_continue)
                return nvcr_err_set(err, EINVAL, "%s: malformed JSON: unexpected end of input",
                                    what);
        if (jerr == json_tokener_error_depth)
                return nvcr_err_set(err, EINVAL, "%s: nested deeper than %d levels", what,
                                    max_depth);
        if (jerr != json_tokener_success)
                return nvcr_err_set(err, EINVAL, "%s: malformed JSON at offset %zu: %s", what,
                                    json_tokener_get_parse_end(tok),
                                    json_tokener_error_desc(jerr));
        /* Only whitespace may follow the document. */
        for (size_t i = json_tokener_get_parse_end(tok); !at_end && i < len; i++)
                if (strchr(" \t\r\n", buf[i]) == NULL)
                        return nvcr_err_set(err, EINVAL,
                                            "%s: malformed JSON: trailing data at offset %zu",
                                            what, i);
        *ret = steal_ptr(&obj);
        return 0;
}
