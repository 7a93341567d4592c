/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TOML subset of config.toml (see toml.h for what is and is not taken).
 *
 * The input is checked as a whole first (size, NUL bytes, line lengths,
 * UTF-8), then parsed in one pass with a cursor and a line counter. Nothing
 * recurses deeper than one array, and every node counts against a limit.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/toml.h"
#include "core/err.h"
#include "core/macro.h"
#include "core/strv.h"

/* How a table came to be (TOML 1.0 §Table). */
#define T_IMPLICIT 0x1u /* named on the way to a [header]: may be defined later */
#define T_HEADER 0x2u   /* defined by a [header] */
#define T_DOTTED 0x4u   /* defined by a dotted key: only dotted keys may add to it */

#define MAX_KEY_SHOWN 64

struct parser {
        const char *name;
        const char *p;
        const char *end;
        unsigned line;
        size_t nkeys;
        size_t nelems;
        struct nvcr_err *err;
};

static int perr_at(const struct parser *ps, unsigned line, const char *fmt, ...) _printf_(3, 4);
static int perr_at(const struct parser *ps, unsigned line, const char *fmt, ...)
{
        char what[NVCR_ERR_MSG_MAX];
        va_list ap;

        va_start(ap, fmt);
        (void)vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        return nvcr_err_set(ps->err, EINVAL, "%s:%u: %s", ps->name, line, what);
}
#define perr(ps, ...) perr_at((ps), (ps)->line, __VA_ARGS__)

/* A key as shown in messages: at most MAX_KEY_SHOWN bytes, controls as '?'. */
static const char *shown(const char *key, char buf[static MAX_KEY_SHOWN + 4])
{
        size_t i;

        for (i = 0; key[i] != '\0' && i < MAX_KEY_SHOWN; i++) {
                unsigned char c = (unsigned char)key[i];

                buf[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
        }
        if (key[i] != '\0') {
                memcpy(buf + i, "...", 3);
                i += 3;
        }
        buf[i] = '\0';
        return buf;
}

static const char *a_or_an(enum toml_type type)
{
        return type == TOML_ARRAY || type == TOML_INT ? "an" : "a";
}

/* ------------------------------------------------------------ input checks */

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
        size_t len;
        unsigned cp;

        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xc2 && s[0] <= 0xdf) {
                len = 2;
                cp = s[0] & 0x1fu;
        } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
                len = 3;
                cp = s[0] & 0x0fu;
        } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
                len = 4;
                cp = s[0] & 0x07u;
        } else {
                return 0;
        }
        if (n < len)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = cp << 6 | (s[i] & 0x3fu);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return len;
}

static int check_input(struct parser *ps, const char *buf, size_t len)
{
        const unsigned char *s = (const unsigned char *)buf;
        size_t line_start = 0;
        unsigned line = 1;

        if (len > TOML_MAX_INPUT)
                return nvcr_err_set(ps->err, EFBIG, "%s: larger than %d bytes", ps->name,
                                    TOML_MAX_INPUT);
        for (size_t i = 0; i < len;) {
                size_t n;

                if (s[i] == '\0')
                        return perr_at(ps, line, "NUL byte");
                if (s[i] == '\n') {
                        line++;
                        i++;
                        line_start = i;
                        continue;
                }
                if (i - line_start >= TOML_MAX_LINE)
                        return perr_at(ps, line, "line longer than %d bytes", TOML_MAX_LINE);
                n = utf8_len(s + i, len - i);
                if (n == 0)
                        return perr_at(ps, line, "invalid UTF-8");
                i += n;
        }
        return 0;
}

/* ------------------------------------------------------------ nodes */

static void node_free(struct toml_node *n)
{
        if (n == NULL)
                return;
        for (size_t i = 0; i < n->nitems; i++) {
                node_free(n->items[i]);
                free(n->items[i]);
        }
        free(n->items);
        free(n->key);
        free(n->str);
}

static void nodep_free(struct toml_node **n)
{
        if (*n != NULL) {
                node_free(*n);
                free(*n);
        }
}

static int node_add(struct parser *ps, struct toml_node *parent, struct toml_node *child)
{
        if (parent->nitems == parent->cap) {
                size_t cap = parent->cap == 0 ? 4 : parent->cap * 2;
                struct toml_node **items = reallocarray(parent->items, cap, sizeof(*items));

                if (items == NULL)
                        return nvcr_err_set(ps->err, ENOMEM, "out of memory");
                parent->items = items;
                parent->cap = cap;
        }
        parent->items[parent->nitems++] = child;
        return 0;
}

const struct toml_node *toml_child(const struct toml_node *table, const char *key)
{
        if (table == NULL || table->type != TOML_TABLE || key == NULL)
                return NULL;
        for (size_t i = 0; i < table->nitems; i++)
                if (strcmp(table->items[i]->key, key) == 0)
                        return table->items[i];
        return NULL;
}

static struct toml_node *child_mut(struct toml_node *table, const char *key)
{
        return (struct toml_node *)toml_child(table, key);
}

/* A new key (table or value) in `parent`, owning `*key`. */
static int new_key(struct parser *ps, struct toml_node *parent, char **key, enum toml_type type,
                   unsigned flags, struct toml_node **ret)
{
        _cleanup_(nodep_free) struct toml_node *n = NULL;
        int r;

        if (++ps->nkeys > TOML_MAX_KEYS)
                return perr(ps, "more than %d keys", TOML_MAX_KEYS);
        n = calloc(1, sizeof(*n));
        if (n == NULL)
                return nvcr_err_set(ps->err, ENOMEM, "out of memory");
        n->type = type;
        n->line = ps->line;
        n->flags = flags;
        n->key = steal_ptr(key);
        r = node_add(ps, parent, n);
        if (r < 0)
                return r;
        *ret = steal_ptr(&n);
        return 0;
}

/* ------------------------------------------------------------ lexing */

static bool at_end(const struct parser *ps)
{
        return ps->p >= ps->end;
}

static bool at_eol(const struct parser *ps)
{
        return at_end(ps) || *ps->p == '\n' ||
               (*ps->p == '\r' && ps->p + 1 < ps->end && ps->p[1] == '\n');
}

static void eat_eol(struct parser *ps)
{
        if (at_end(ps))
                return;
        if (*ps->p == '\r')
                ps->p++;
        ps->p++;
        ps->line++;
}

static void skip_ws(struct parser *ps)
{
        while (!at_end(ps) && (*ps->p == ' ' || *ps->p == '\t'))
                ps->p++;
}

static bool is_control(unsigned char c)
{
        return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* At '#': to the end of the line (not past it). */
static int skip_comment(struct parser *ps)
{
        for (ps->p++; !at_eol(ps); ps->p++)
                if (is_control((unsigned char)*ps->p))
                        return perr(ps, "control character 0x%02x in a comment",
                                    (unsigned char)*ps->p);
        return 0;
}

/* Blanks, comments and line ends (inside an array). */
static int skip_ws_nl(struct parser *ps)
{
        for (;;) {
                skip_ws(ps);
                if (at_end(ps))
                        return 0;
                if (*ps->p == '#') {
                        int r = skip_comment(ps);

                        if (r < 0)
                                return r;
                        continue;
                }
                if (!at_eol(ps))
                        return 0;
                eat_eol(ps);
        }
}

/* The end of a bare token: blank, ',', ']', '#', line end. */
static bool is_delim(const struct parser *ps, const char *q)
{
        return q >= ps->end || *q == ' ' || *q == '\t' || *q == ',' || *q == ']' || *q == '#' ||
               *q == '\n' || *q == '\r';
}

static bool is_bare(char c)
{
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-';
}

static int hex_value(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

static size_t utf8_put(char *out, unsigned long cp)
{
        if (cp < 0x80) {
                out[0] = (char)cp;
                return 1;
        }
        if (cp < 0x800) {
                out[0] = (char)(0xc0 | (cp >> 6));
                out[1] = (char)(0x80 | (cp & 0x3f));
                return 2;
        }
        if (cp < 0x10000) {
                out[0] = (char)(0xe0 | (cp >> 12));
                out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
                out[2] = (char)(0x80 | (cp & 0x3f));
                return 3;
        }
        out[0] = (char)(0xf0 | (cp >> 18));
        out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[3] = (char)(0x80 | (cp & 0x3f));
        return 4;
}

static int parse_escape(struct parser *ps, char *out, size_t *olen)
{
        unsigned long cp = 0;
        size_t digits;
        char c;

        ps->p++; /* the backslash */
        if (at_eol(ps))
                return perr(ps, "unterminated string");
        c = *ps->p++;
        switch (c) {
        case 'b':
                out[(*olen)++] = '\b';
                return 0;
        case 't':
                out[(*olen)++] = '\t';
                return 0;
        case 'n':
                out[(*olen)++] = '\n';
                return 0;
        case 'f':
                out[(*olen)++] = '\f';
                return 0;
        case 'r':
                out[(*olen)++] = '\r';
                return 0;
        case '"':
        case '\\':
                out[(*olen)++] = c;
                return 0;
        case 'u':
                digits = 4;
                break;
        case 'U':
                digits = 8;
                break;
        default:
                if ((unsigned char)c > 0x20 && (unsigned char)c < 0x7f)
                        return perr(ps, "invalid escape \"\\%c\" in a string", c);
                return perr(ps, "invalid escape in a string");
        }
        for (size_t i = 0; i < digits; i++) {
                int v = ps->p < ps->end ? hex_value(*ps->p) : -1;

                if (v < 0)
                        return perr(ps, "invalid \\%c escape: expected %zu hex digits", c,
                                    digits);
                cp = cp << 4 | (unsigned long)v;
                ps->p++;
        }
        if (cp == 0)
                return perr(ps, "NUL (\\%c0000) in a string", c);
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return perr(ps, "invalid \\%c escape: U+%04lX is no Unicode scalar value", c, cp);
        *olen += utf8_put(out + *olen, cp);
        return 0;
}

/* At '"' or '\'': a one-line basic or literal string into a new heap string. */
static int parse_string(struct parser *ps, char **ret)
{
        _cleanup_free_ char *out = NULL;
        const char *nl;
        char quote = *ps->p;
        size_t olen = 0;
        int r;

        if (ps->end - ps->p >= 3 && ps->p[1] == quote && ps->p[2] == quote)
                return perr(ps, "multi-line strings (%c%c%c) are not supported", quote, quote,
                            quote);
        ps->p++;
        /* The output is never longer than the rest of the line. */
        nl = memchr(ps->p, '\n', (size_t)(ps->end - ps->p));
        out = malloc((size_t)((nl != NULL ? nl : ps->end) - ps->p) + 1);
        if (out == NULL)
                return nvcr_err_set(ps->err, ENOMEM, "out of memory");
        for (;;) {
                unsigned char c;

                if (at_eol(ps))
                        return perr(ps, "unterminated string");
                c = (unsigned char)*ps->p;
                if (c == (unsigned char)quote) {
                        ps->p++;
                        break;
                }
                if (c == '\\' && quote == '"') {
                        r = parse_escape(ps, out, &olen);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (is_control(c))
                        return perr(ps, "control character 0x%02x in a string", c);
                out[olen++] = (char)c;
                ps->p++;
        }
        out[olen] = '\0';
        *ret = steal_ptr(&out);
        return 0;
}

/* One key: bare, "basic" or 'literal'. */
static int parse_key(struct parser *ps, char **ret)
{
        const char *start = ps->p;
        char *k;

        if (!at_end(ps) && (*ps->p == '"' || *ps->p == '\''))
                return parse_string(ps, ret);
        while (!at_end(ps) && is_bare(*ps->p))
                ps->p++;
        if (ps->p == start) {
                if (at_eol(ps))
                        return perr(ps, "expected a key");
                if (is_control((unsigned char)*ps->p))
                        return perr(ps, "expected a key, got control character 0x%02x",
                                    (unsigned char)*ps->p);
                return perr(ps, "expected a key, got '%c'", *ps->p);
        }
        k = strndup(start, (size_t)(ps->p - start));
        if (k == NULL)
                return nvcr_err_set(ps->err, ENOMEM, "out of memory");
        *ret = k;
        return 0;
}

struct key_path {
        char *parts[TOML_MAX_DEPTH + 1];
        size_t n;
};

static void key_path_done(struct key_path *kp)
{
        for (size_t i = 0; i < kp->n; i++)
                free(kp->parts[i]);
        kp->n = 0;
}

/* a . "b" . 'c', blanks around the dots; at most `max` parts. */
static int parse_key_path(struct parser *ps, struct key_path *kp, size_t max)
{
        for (;;) {
                int r;

                if (kp->n == max)
                        return perr(ps, "tables nested deeper than %d", TOML_MAX_DEPTH);
                r = parse_key(ps, &kp->parts[kp->n]);
                if (r < 0)
                        return r;
                kp->n++;
                skip_ws(ps);
                if (at_end(ps) || *ps->p != '.')
                        return 0;
                ps->p++;
                skip_ws(ps);
        }
}

/* ------------------------------------------------------------ values */

/*
 * tok[0..len) as a decimal integer: 0, -EINVAL (unreported) when it is none,
 * -ERANGE (reported) when it does not fit.
 */
static int parse_int(struct parser *ps, const char *tok, size_t len, int64_t *ret)
{
        const uint64_t limit_pos = (uint64_t)INT64_MAX;
        uint64_t v = 0, limit;
        size_t i = 0, ndigits = 0;
        bool neg = false;

        if (tok[0] == '+' || tok[0] == '-') {
                neg = tok[0] == '-';
                i++;
        }
        limit = neg ? limit_pos + 1 : limit_pos;
        if (i < len && tok[i] == '0' && len - i > 1)
                return -EINVAL; /* leading zero, 0x, 0o, 0b */
        for (; i < len; i++) {
                unsigned d;

                if (tok[i] == '_') {
                        /* Only between two digits. */
                        if (ndigits == 0 || i + 1 >= len || tok[i + 1] < '0' || tok[i + 1] > '9')
                                return -EINVAL;
                        continue;
                }
                if (tok[i] < '0' || tok[i] > '9')
                        return -EINVAL;
                d = (unsigned)(tok[i] - '0');
                if (v > (limit - d) / 10) {
                        (void)perr(ps, "integer %.*s out of range", (int)len, tok);
                        return -ERANGE;
                }
                v = v * 10 + d;
                ndigits++;
        }
        if (ndigits == 0)
                return -EINVAL;
        if (neg)
                *ret = v == limit_pos + 1 ? INT64_MIN : -(int64_t)v;
        else
                *ret = (int64_t)v;
        return 0;
}

static int parse_scalar(struct parser *ps, struct toml_node *n)
{
        const char *tok = ps->p;
        size_t len;
        int r;

        if (*ps->p == '"' || *ps->p == '\'') {
                n->type = TOML_STRING;
                return parse_string(ps, &n->str);
        }
        if (*ps->p == '{')
                return perr(ps, "inline tables are not supported");
        while (!is_delim(ps, ps->p))
                ps->p++;
        len = (size_t)(ps->p - tok);
        if (len == 0) {
                if (at_eol(ps) || *ps->p == '#')
                        return perr(ps, "expected a value");
                return perr(ps, "expected a value, got '%c'", *ps->p);
        }
        if (len == 4 && memcmp(tok, "true", 4) == 0) {
                n->type = TOML_BOOL;
                n->boolean = true;
                return 0;
        }
        if (len == 5 && memcmp(tok, "false", 5) == 0) {
                n->type = TOML_BOOL;
                n->boolean = false;
                return 0;
        }
        n->type = TOML_INT;
        r = parse_int(ps, tok, len, &n->num);
        if (r == -ERANGE)
                return -EINVAL; /* reported */
        if (r < 0) {
                for (size_t i = 0; i < len; i++)
                        if (is_control((unsigned char)tok[i]))
                                return perr(ps, "invalid value (control character 0x%02x)",
                                            (unsigned char)tok[i]);
                return perr(ps,
                            "invalid or unsupported value %.*s%s (only strings, booleans, "
                            "decimal integers and arrays are supported)",
                            len > MAX_KEY_SHOWN ? MAX_KEY_SHOWN : (int)len, tok,
                            len > MAX_KEY_SHOWN ? "..." : "");
        }
        return 0;
}

/* At '[': elements, commas, comments and line ends up to the closing ']'. */
static int parse_array(struct parser *ps, struct toml_node *n)
{
        unsigned start = ps->line;
        int r;

        n->type = TOML_ARRAY;
        ps->p++;
        for (;;) {
                _cleanup_(nodep_free) struct toml_node *e = NULL;

                r = skip_ws_nl(ps);
                if (r < 0)
                        return r;
                if (at_end(ps))
                        return perr_at(ps, start, "unterminated array");
                if (*ps->p == ']') {
                        ps->p++;
                        return 0;
                }
                if (*ps->p == '[')
                        return perr(ps, "nested arrays are not supported");
                if (++ps->nelems > TOML_MAX_ELEMS)
                        return perr(ps, "more than %d array elements", TOML_MAX_ELEMS);
                e = calloc(1, sizeof(*e));
                if (e == NULL)
                        return nvcr_err_set(ps->err, ENOMEM, "out of memory");
                e->line = ps->line;
                r = parse_scalar(ps, e);
                if (r < 0)
                        return r;
                r = node_add(ps, n, e);
                if (r < 0)
                        return r;
                e = NULL;
                r = skip_ws_nl(ps);
                if (r < 0)
                        return r;
                if (at_end(ps))
                        return perr_at(ps, start, "unterminated array");
                if (*ps->p == ']') {
                        ps->p++;
                        return 0;
                }
                if (*ps->p != ',')
                        return perr(ps, "expected ',' or ']' in an array");
                ps->p++;
        }
}

static int parse_value(struct parser *ps, struct toml_node *n)
{
        if (at_end(ps))
                return perr(ps, "expected a value");
        if (*ps->p == '[')
                return parse_array(ps, n);
        return parse_scalar(ps, n);
}

/* ------------------------------------------------------------ statements */

/* At '[': a table header; *cur becomes that table, *depth its depth. */
static int parse_header(struct parser *ps, struct toml_node *root, struct toml_node **cur,
                        size_t *depth)
{
        _cleanup_(key_path_done) struct key_path kp = { .n = 0 };
        struct toml_node *t = root;
        char buf[MAX_KEY_SHOWN + 4];
        int r;

        ps->p++;
        if (!at_end(ps) && *ps->p == '[')
                return perr(ps, "arrays of tables ([[...]]) are not supported");
        skip_ws(ps);
        r = parse_key_path(ps, &kp, TOML_MAX_DEPTH);
        if (r < 0)
                return r;
        if (at_end(ps) || *ps->p != ']')
                return perr(ps, "expected ']' at the end of the table header");
        ps->p++;

        for (size_t i = 0; i < kp.n; i++) {
                struct toml_node *c = child_mut(t, kp.parts[i]);
                bool last = i + 1 == kp.n;

                if (c == NULL) {
                        r = new_key(ps, t, &kp.parts[i], TOML_TABLE,
                                    last ? T_HEADER : T_IMPLICIT, &c);
                        if (r < 0)
                                return r;
                } else if (c->type != TOML_TABLE) {
                        return perr(ps, "\"%s\" is already %s %s (line %u), not a table",
                                    shown(c->key, buf), a_or_an(c->type),
                                    toml_type_name(c->type), c->line);
                } else if (last) {
                        if (c->flags & (T_HEADER | T_DOTTED))
                                return perr(ps, "table \"%s\" defined twice (first at line %u)",
                                            shown(c->key, buf), c->line);
                        c->flags = T_HEADER;
                        c->line = ps->line;
                }
                t = c;
        }
        *cur = t;
        *depth = kp.n;
        return 0;
}

static int parse_keyval(struct parser *ps, struct toml_node *cur, size_t depth)
{
        _cleanup_(key_path_done) struct key_path kp = { .n = 0 };
        struct toml_node *t = cur, *v = NULL;
        char buf[MAX_KEY_SHOWN + 4];
        int r;

        /* A key a.b.c in a table of depth d makes tables of depth d+1, d+2. */
        r = parse_key_path(ps, &kp, TOML_MAX_DEPTH + 1 - depth);
        if (r < 0)
                return r;
        if (at_end(ps) || *ps->p != '=')
                return perr(ps, "expected '=' after the key \"%s\"",
                            shown(kp.parts[kp.n - 1], buf));
        ps->p++;
        skip_ws(ps);

        for (size_t i = 0; i + 1 < kp.n; i++) {
                struct toml_node *c = child_mut(t, kp.parts[i]);

                if (c == NULL) {
                        r = new_key(ps, t, &kp.parts[i], TOML_TABLE, T_DOTTED, &c);
                        if (r < 0)
                                return r;
                } else if (c->type != TOML_TABLE) {
                        return perr(ps, "\"%s\" is already %s %s (line %u), not a table",
                                    shown(c->key, buf), a_or_an(c->type),
                                    toml_type_name(c->type), c->line);
                } else if (!(c->flags & T_DOTTED)) {
                        return perr(ps,
                                    "table \"%s\" (line %u) cannot be extended with dotted keys",
                                    shown(c->key, buf), c->line);
                }
                t = c;
        }
        v = child_mut(t, kp.parts[kp.n - 1]);
        if (v != NULL)
                return perr(ps, "duplicate key \"%s\" (first at line %u)", shown(v->key, buf),
                            v->line);
        r = new_key(ps, t, &kp.parts[kp.n - 1], TOML_STRING, 0, &v);
        if (r < 0)
                return r;
        return parse_value(ps, v);
}

static int parse_doc(struct parser *ps, struct toml_node *root)
{
        struct toml_node *cur = root;
        const char *what;
        size_t depth = 0;
        int r;

        while (!at_end(ps)) {
                skip_ws(ps);
                if (at_eol(ps)) {
                        eat_eol(ps);
                        continue;
                }
                what = "comment";
                r = 0;
                if (*ps->p == '[') {
                        what = "table header";
                        r = parse_header(ps, root, &cur, &depth);
                } else if (*ps->p != '#') {
                        what = "value";
                        r = parse_keyval(ps, cur, depth);
                }
                if (r < 0)
                        return r;
                skip_ws(ps);
                if (!at_end(ps) && *ps->p == '#') {
                        r = skip_comment(ps);
                        if (r < 0)
                                return r;
                }
                if (!at_eol(ps)) {
                        if (is_control((unsigned char)*ps->p))
                                return perr(ps, "control character 0x%02x",
                                            (unsigned char)*ps->p);
                        return perr(ps, "unexpected text after the %s", what);
                }
                eat_eol(ps);
        }
        return 0;
}

int toml_parse(const char *name, const char *buf, size_t len, struct toml_doc **ret,
               struct nvcr_err *err)
{
        _cleanup_toml_ struct toml_doc *doc = NULL;
        struct parser ps = {
                .name = name != NULL ? name : "<input>",
                .p = buf,
                .end = buf + len,
                .line = 1,
                .err = err,
        };
        int r;

        if (buf == NULL && len > 0)
                return nvcr_err_set(err, EINVAL, "%s: no input", ps.name);
        r = check_input(&ps, buf, len);
        if (r < 0)
                return r;
        doc = calloc(1, sizeof(*doc));
        if (doc == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        doc->root.type = TOML_TABLE;
        doc->root.flags = T_HEADER;
        doc->name = strdup(ps.name);
        if (doc->name == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        if (len > 0) {
                r = parse_doc(&ps, &doc->root);
                if (r < 0)
                        return r;
        }
        *ret = steal_ptr(&doc);
        return 0;
}

void toml_free(struct toml_doc *doc)
{
        if (doc == NULL)
                return;
        node_free(&doc->root);
        free(doc->name);
        free(doc);
}

/* ------------------------------------------------------------ lookups */

const char *toml_type_name(enum toml_type type)
{
        switch (type) {
        case TOML_TABLE:
                return "table";
        case TOML_ARRAY:
                return "array";
        case TOML_STRING:
                return "string";
        case TOML_INT:
                return "integer";
        case TOML_BOOL:
                return "boolean";
        default:
                return "value";
        }
}


int toml_get(const struct toml_doc *doc, const char *table, const char *key,
             const struct toml_node **ret, struct nvcr_err *err)
{
        const struct toml_node *t, *n;
        char name[256];
        const char *p = table;

        if (doc == NULL || key == NULL)
                return nvcr_err_set(err, EINVAL, "invalid lookup");
        t = &doc->root;
        while (p != NULL && *p != '\0') {
                const char *dot = strchr(p, '.');
                size_t len = dot != NULL ? (size_t)(dot - p) : strlen(p);

                if (len >= sizeof(name))
                        return 0;
                memcpy(name, p, len);
                name[len] = '\0';
                n = toml_child(t, name);
                if (n == NULL)
                        return 0;
                if (n->type != TOML_TABLE)
                        return nvcr_err_set(err, EINVAL, "%s:%u: %.*s: expected a table",
                                            doc->name, n->line, (int)(p - table + (ptrdiff_t)len),
                                            table);
                t = n;
                p = dot != NULL ? dot + 1 : NULL;
        }
        n = toml_child(t, key);
        if (n == NULL)
                return 0;
        *ret = n;
        return 1;
}

static int get_typed(const struct toml_doc *doc, const char *table, const char *key,
                     enum toml_type type, const struct toml_node **ret, struct nvcr_err *err)
{
        const struct toml_node *n = NULL;
        bool top = table == NULL || *table == '\0';
        int r;

        r = toml_get(doc, table, key, &n, err);
        if (r <= 0)
                return r;
        if (n->type != type)
                return nvcr_err_set(err, EINVAL, "%s:%u: %s%s%s: expected %s %s", doc->name,
                                    n->line, top ? "" : table, top ? "" : ".", key,
                                    a_or_an(type), toml_type_name(type));
        *ret = n;
        return 1;
}

int toml_get_string(const struct toml_doc *doc, const char *table, const char *key,
                    const char **ret, struct nvcr_err *err)
{
        const struct toml_node *n = NULL;
        int r = get_typed(doc, table, key, TOML_STRING, &n, err);

        if (r > 0 && n != NULL) /* n is set when r > 0; said for gcc's -O2 flow analysis */
                *ret = n->str;
        return r;
}

int toml_get_bool(const struct toml_doc *doc, const char *table, const char *key, bool *ret,
                  struct nvcr_err *err)
{
        const struct toml_node *n = NULL;
        int r = get_typed(doc, table, key, TOML_BOOL, &n, err);

        if (r > 0 && n != NULL)
                *ret = n->boolean;
        return r;
}

int toml_get_int(const struct toml_doc *doc, const char *table, const char *key, int64_t *ret,
                 struct nvcr_err *err)
{
        const struct toml_node *n = NULL;
        int r = get_typed(doc, table, key, TOML_INT, &n, err);

        if (r > 0 && n != NULL)
                *ret = n->num;
        return r;
}

void toml_strv_free(char **v)
{
        strv_free(v);
}

int toml_get_string_array(const struct toml_doc *doc, const char *table, const char *key,
                          char ***ret, struct nvcr_err *err)
{
        _cleanup_(strv_freep) char **v = NULL;
        const struct toml_node *n = NULL;
        bool top = table == NULL || *table == '\0';
        int r;

        r = get_typed(doc, table, key, TOML_ARRAY, &n, err);
        if (r <= 0 || n == NULL)
                return r;
        v = calloc(n->nitems + 1, sizeof(*v));
        if (v == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < n->nitems; i++) {
                const struct toml_node *e = n->items[i];

                if (e->type != TOML_STRING)
                        return nvcr_err_set(err, EINVAL,
                                            "%s:%u: %s%s%s: expected an array of strings, "
                                            "element %zu is %s %s",
                                            doc->name, e->line, top ? "" : table, top ? "" : ".",
                                            key, i, a_or_an(e->type), toml_type_name(e->type));
                v[i] = strdup(e->str);
                if (v[i] == NULL)
                        return nvcr_err_set(err, ENOMEM, "out of memory");
        }
        *ret = steal_ptr(&v);
        return 1;
}
