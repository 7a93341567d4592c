/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TOML subset config.toml needs (DESIGN.md §5: no C TOML library in
 * Debian). Parsed into a small tree of nodes:
 *
 *  - comments (also after values), blank lines, CRLF line ends;
 *  - [table] and [dotted . "quoted" . names] headers;
 *  - key = value, keys bare ([A-Za-z0-9_-]+), "basic" or 'literal', dotted
 *    keys (a.b = v) allowed;
 *  - values: basic strings with the TOML escapes (\b \t \n \f \r \" \\
 *    \uXXXX \UXXXXXXXX), literal strings, true/false, decimal integers
 *    (sign, '_' between digits, no overflow), and arrays of those, over
 *    several lines, with a trailing comma and comments inside.
 *
 * Refused with "<name>:<line>: <what>": multi-line strings, floats, dates,
 * non-decimal integers, inline tables, arrays of tables, nested arrays,
 * duplicate keys, a table defined twice, unterminated strings and arrays,
 * text after a value, invalid UTF-8, control characters, NUL bytes (also as
 * \u0000), lines over 64 KiB, input over 1 MiB, tables nested deeper than 8,
 * more than 10000 keys or 10000 array elements.
 */
#ifndef NVCR_CONFIG_TOML_H
#define NVCR_CONFIG_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nvcr.h"

#define TOML_MAX_INPUT (1024 * 1024)
#define TOML_MAX_LINE (64 * 1024)
#define TOML_MAX_DEPTH 8
#define TOML_MAX_KEYS 10000
#define TOML_MAX_ELEMS 10000

enum toml_type {
        TOML_TABLE = 0,
        TOML_ARRAY,
        TOML_STRING,
        TOML_INT,
        TOML_BOOL,
};

struct toml_node {
        enum toml_type type;
        unsigned line;   /* where the key (or the element) is; a table: its header */
        char *key;       /* NULL for the root table and array elements */
        char *str;       /* TOML_STRING: no embedded NUL, valid UTF-8 */
        int64_t num;     /* TOML_INT */
        bool boolean;    /* TOML_BOOL */
        struct toml_node **items; /* TOML_TABLE: its keys in file order; TOML_ARRAY: elements */
        size_t nitems;
        /* private */
        size_t cap;
        unsigned flags;
};

struct toml_doc {
        char *name; /* used in messages */
        struct toml_node root;
};

/*
 * Parses buf[0..len) (need not be NUL-terminated) into *ret, to be freed with
 * toml_free. -EINVAL (-EFBIG for input over 1 MiB, -ENOMEM) with
 * "<name>:<line>: <what>" in err.
 */
int toml_parse(const char *name, const char *buf, size_t len, struct toml_doc **ret,
               struct nvcr_err *err);
void toml_free(struct toml_doc *doc);

static inline void toml_freep(struct toml_doc **doc)
{
        toml_free(*doc);
}
#define _cleanup_toml_ __attribute__((cleanup(toml_freep)))

/* The direct child `key` of a table node, or NULL. */
const struct toml_node *toml_child(const struct toml_node *table, const char *key);

/*
 * Lookups: `table` is a '.'-separated path of table names from the root
 * (NULL or "" = the root; names containing '.' cannot be looked up this way,
 * walk the tree instead). All return 1 when found (*ret set), 0 when the key
 * or any table on the path is absent (*ret untouched), and -EINVAL with
 * "<name>:<line>: <table>.<key>: expected a <type>" when something on the
 * way has another type.
 */
int toml_get(const struct toml_doc *doc, const char *table, const char *key,
             const struct toml_node **ret, struct nvcr_err *err);
int toml_get_string(const struct toml_doc *doc, const char *table, const char *key,
                    const char **ret, struct nvcr_err *err);
int toml_get_bool(const struct toml_doc *doc, const char *table, const char *key, bool *ret,
                  struct nvcr_err *err);
int toml_get_int(const struct toml_doc *doc, const char *table, const char *key, int64_t *ret,
                 struct nvcr_err *err);
/* A NULL-terminated deep copy, for toml_strv_free; every element must be a string. */
int toml_get_string_array(const struct toml_doc *doc, const char *table, const char *key,
                          char ***ret, struct nvcr_err *err);
void toml_strv_free(char **v);

const char *toml_type_name(enum toml_type type);

#endif
