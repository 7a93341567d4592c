/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Docker's daemon.json (the reference's pkg/config/engine/docker). The file
 * is the administrator's: every key we do not set is kept, in its place; a
 * file we cannot parse is refused rather than replaced.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/macro.h"
#include "engine/engine.h"

static void json_putp(struct json_object **o)
{
        if (*o != NULL)
                json_object_put(*o);
}
#define _cleanup_json_ _cleanup_(json_putp)

static void fclose_memp(FILE **f)
{
        if (*f != NULL)
                fclose(*f);
}

/* Line and column (1-based, in bytes) of offset off. */
static void position(const char *s, size_t off, unsigned *line, unsigned *col)
{
        *line = 1;
        *col = 1;
        for (size_t i = 0; i < off; i++) {
                if (s[i] == '\n') {
                        (*line)++;
                        *col = 1;
                } else {
                        (*col)++;
                }
        }
}

static bool all_space(const char *s, size_t len)
{
        for (size_t i = 0; i < len; i++)
                if (strchr(" \t\r\n", s[i]) == NULL)
                        return false;
        return true;
}

static int parse(const char *name, const char *in, size_t len, struct json_object **ret,
                 struct nvcr_err *err)
{
        struct json_tokener *tok;
        struct json_object *o;
        enum json_tokener_error jerr;
        size_t end;
        unsigned line, col;

        if (in == NULL || all_space(in, len)) {
                *ret = json_object_new_object();
                return *ret != NULL ? 0 : nvcr_err_set(err, ENOMEM, "out of memory");
        }
        if (memchr(in, '\0', len) != NULL) {
                position(in, (size_t)((const char *)memchr(in, '\0', len) - in), &line, &col);
                return nvcr_err_set(err, EINVAL, "%s:%u:%u: invalid JSON: NUL byte", name, line,
                                    col);
        }
        tok = json_tokener_new();
        if (tok == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        o = json_tokener_parse_ex(tok, in, (int)len);
        jerr = json_tokener_get_error(tok);
        end = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);
        if (o == NULL || jerr != json_tokener_success) {
                const char *why = jerr == json_tokener_continue
                                          ? "unexpected end of input"
                                          : json_tokener_error_desc(jerr);

                if (o != NULL)
                        json_object_put(o);
                position(in, end > len ? len : end, &line, &col);
                return nvcr_err_set(err, EINVAL, "%s:%u:%u: invalid JSON: %s", name, line, col,
                                    why);
        }
        if (!all_space(in + end, len - end)) {
                json_object_put(o);
                position(in, end, &line, &col);
                return nvcr_err_set(err, EINVAL, "%s:%u:%u: invalid JSON: text after the value",
                                    name, line, col);
        }
        if (!json_object_is_type(o, json_type_object)) {
                json_object_put(o);
                return nvcr_err_set(err, EINVAL, "%s: not a JSON object", name);
        }
        *ret = o;
        return 0;
}

/* A string as Go's encoding/json writes it (HTML-safe escapes included). */
static void put_string(FILE *f, const char *s, size_t len)
{
        static const char hex[] = "0123456789abcdef";

        fputc('"', f);
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)s[i];

                switch (c) {
                case '"':
                        fputs("\\\"", f);
                        continue;
                case '\\':
                        fputs("\\\\", f);
                        continue;
                case '\n':
                        fputs("\\n", f);
                        continue;
                case '\r':
                        fputs("\\r", f);
                        continue;
                case '\t':
                        fputs("\\t", f);
                        continue;
                case '<':
                case '>':
                case '&':
                        fprintf(f, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
                        continue;
                default:
                        break;
                }
                if (c < 0x20) {
                        fprintf(f, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
                } else if (c == 0xe2 && i + 2 < len && (unsigned char)s[i + 1] == 0x80 &&
                           ((unsigned char)s[i + 2] == 0xa8 || (unsigned char)s[i + 2] == 0xa9)) {
                        /* U+2028, U+2029 */
                        fprintf(f, "\\u202%c", (unsigned char)s[i + 2] == 0xa8 ? '8' : '9');
                        i += 2;
                } else {
                        fputc(c, f);
                }
        }
        fputc('"', f);
}

static void indent(FILE *f, int depth)
{
        for (int i = 0; i < depth; i++)
                fputs("    ", f);
}

static void put_value(FILE *f, struct json_object *o, int depth)
{
        switch (json_object_get_type(o)) {
        case json_type_null:
                fputs("null", f);
                break;
        case json_type_boolean:
                fputs(json_object_get_boolean(o) ? "true" : "false", f);
                break;
        case json_type_int:
        case json_type_double:
                /* As parsed: json-c keeps the number's text for doubles. */
                fputs(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), f);
                break;
        case json_type_string:
                put_string(f, json_object_get_string(o), (size_t)json_object_get_string_len(o));
                break;
        case json_type_array: {
                size_t n = json_object_array_length(o);

                if (n == 0) {
                        fputs("[]", f);
                        break;
                }
                fputs("[\n", f);
                for (size_t i = 0; i < n; i++) {
                        indent(f, depth + 1);
                        put_value(f, json_object_array_get_idx(o, i), depth + 1);
                        fputs(i + 1 < n ? ",\n" : "\n", f);
                }
                indent(f, depth);
                fputc(']', f);
                break;
        }
        case json_type_object: {
                int n = json_object_object_length(o), i = 0;

                if (n == 0) {
                        fputs("{}", f);
                        break;
                }
                fputs("{\n", f);
                json_object_object_foreach(o, key, val)
                {
                        indent(f, depth + 1);
                        put_string(f, key, strlen(key));
                        fputs(": ", f);
                        put_value(f, val, depth + 1);
                        fputs(++i < n ? ",\n" : "\n", f);
                }
                indent(f, depth);
                fputc('}', f);
                break;
        }
        default:
                fputs("null", f);
                break;
        }
}

/* o[key] as an object, created when absent; -EINVAL when it is something else. */
static int child_object(const char *name, struct json_object *o, const char *key,
                        struct json_object **ret, struct nvcr_err *err)
{
        struct json_object *c = NULL;

        if (json_object_object_get_ex(o, key, &c) && c != NULL) {
                if (!json_object_is_type(c, json_type_object))
                        return nvcr_err_set(err, EINVAL, "%s: \"%s\" is not a JSON object", name,
                                            key);
                *ret = c;
                return 0;
        }
        c = json_object_new_object();
        if (c == NULL || json_object_object_add(o, key, c) < 0)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        *ret = c;
        return 0;
}

static int add_string(struct json_object *o, const char *key, const char *val)
{
        struct json_object *s = json_object_new_string(val);

        if (s == NULL || json_object_object_add(o, key, s) < 0)
                return -ENOMEM;
        return 0;
}

int engine_docker_update(const char *name, const char *in, size_t len,
                         const struct engine_runtime *rt, char **ret, struct nvcr_err *err)
{
        _cleanup_json_ struct json_object *root = NULL;
        _cleanup_(fclose_memp) FILE *f = NULL;
        struct json_object *runtimes, *entry, *args, *features, *b;
        _cleanup_free_ char *out = NULL;
        size_t outlen = 0;
        int r;

        r = parse(name, in, len, &root, err);
        if (r < 0)
                return r;
        r = child_object(name, root, "runtimes", &runtimes, err);
        if (r < 0)
                return r;
        entry = json_object_new_object();
        if (entry == NULL || json_object_object_add(runtimes, rt->name, entry) < 0)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        args = json_object_new_array();
        if (args == NULL || json_object_object_add(entry, "args", args) < 0 ||
            add_string(entry, "path", rt->path) < 0)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        if (rt->set_as_default && add_string(root, "default-runtime", rt->name) < 0)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        if (rt->enable_cdi) {
                r = child_object(name, root, "features", &features, err);
                if (r < 0)
                        return r;
                b = json_object_new_boolean(1);
                if (b == NULL || json_object_object_add(features, "cdi", b) < 0)
                        return nvcr_err_set(err, ENOMEM, "out of memory");
        }

        f = open_memstream(&out, &outlen);
        if (f == NULL)
                return nvcr_err_setsys(err, errno, "open_memstream failed");
        put_value(f, root, 0);
        fputc('\n', f);
        if (fclose(steal_ptr(&f)) != 0)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        *ret = steal_ptr(&out);
        return 0;
}
