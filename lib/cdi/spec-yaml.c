/* SPDX-License-Identifier: Apache-2.0 */
/*
 * YAML for CDI specs. Reading: libyaml's event parser builds the same json-c
 * tree the JSON reader does, resolving plain scalars as YAML 1.1 (what the
 * CDI library's go-yaml does): null, booleans (true/yes/on…), integers
 * (0x, 0o, leading-0 octal, 0b), floats; quoted scalars are strings. Anchors
 * are shared, not copied, and their expanded size counts against
 * CDI_YAML_MAX_NODES, so an alias bomb is refused instead of expanded; at
 * most CDI_YAML_MAX_ALIASES aliases, one document, no duplicate keys.
 * Writing: block style from the tree, a string quoted whenever the reader
 * would take it for anything but that same string.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <yaml.h>

#include "cdi/spec-internal.h"
#include "core/err.h"
#include "core/macro.h"

/* ------------------------------------------------------ scalar resolution */

static bool is_null_word(const char *s)
{
        return s[0] == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
               strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

/* 1 true, 0 false, -1 not a boolean (YAML 1.1 as go-yaml v2 resolves). */
static int bool_word(const char *s)
{
        static const char *const t[] = {"y",  "Y",  "yes", "Yes", "YES", "true", "True",
                                        "TRUE", "on", "On", "ON", NULL};
        static const char *const f[] = {"n",  "N",  "no",  "No",  "NO", "false", "False",
                                        "FALSE", "off", "Off", "OFF", NULL};

        for (size_t i = 0; t[i] != NULL; i++)
                if (strcmp(s, t[i]) == 0)
                        return 1;
        for (size_t i = 0; f[i] != NULL; i++)
                if (strcmp(s, f[i]) == 0)
                        return 0;
        return -1;
}

/* Integer as go-yaml: '_' ignored, sign, base prefixes; false when not one or out of range. */
static bool parse_int(const char *s, int64_t *ret)
{
        char buf[80];
        size_t n = 0;
        const char *d;
        int base = 10;
        bool neg = false;
        uint64_t v = 0, lim;

        for (const char *c = s; *c != '\0'; c++) {
                if (*c == '_')
                        continue;
                if (n + 1 >= sizeof(buf))
                        return false;
                buf[n++] = *c;
        }
        buf[n] = '\0';
        d = buf;
        if (*d == '-' || *d == '+')
                neg = *d++ == '-';
        if (*d == '\0')
                return false;
        if (d[0] == '0' && (d[1] == 'x' || d[1] == 'X'))
                base = 16, d += 2;
        else if (d[0] == '0' && (d[1] == 'b' || d[1] == 'B'))
                base = 2, d += 2;
        else if (d[0] == '0' && (d[1] == 'o' || d[1] == 'O'))
                base = 8, d += 2;
        else if (d[0] == '0' && d[1] != '\0')
                base = 8, d += 1;
        if (*d == '\0')
                return false;
        lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
        for (; *d != '\0'; d++) {
                int x;

                if (*d >= '0' && *d <= '9')
                        x = *d - '0';
                else if (*d >= 'a' && *d <= 'f')
                        x = *d - 'a' + 10;
                else if (*d >= 'A' && *d <= 'F')
                        x = *d - 'A' + 10;
                else
                        return false;
                if (x >= base)
                        return false;
                if (v > (lim - (uint64_t)x) / (uint64_t)base)
                        return false;
                v = v * (uint64_t)base + (uint64_t)x;
        }
        *ret = neg ? (int64_t)(0 - v) : (int64_t)v;
        return true;
}

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? or .inf/.nan forms. */
static bool is_float(const char *s)
{
        const char *c = s;
        bool digits = false;

        if (*c == '-' || *c == '+')
                c++;
        if (strcmp(c, ".inf") == 0 || strcmp(c, ".Inf") == 0 || strcmp(c, ".INF") == 0)
                return true;
        if (c == s && (strcmp(c, ".nan") == 0 || strcmp(c, ".NaN") == 0 ||
                       strcmp(c, ".NAN") == 0))
                return true;
        while (*c >= '0' && *c <= '9' ? (digits = true) : false)
                c++;
        if (*c == '.') {
                c++;
                while (*c >= '0' && *c <= '9' ? (digits = true) : false)
                        c++;
        }
        if (!digits)
                return false;
        if (*c == 'e' || *c == 'E') {
                c++;
                if (*c == '-' || *c == '+')
                        c++;
                if (!(*c >= '0' && *c <= '9'))
                        return false;
                while (*c >= '0' && *c <= '9')
                        c++;
        }
        return *c == '\0';
}

/* What a plain scalar means; NULL only on ENOMEM (null is a json-c NULL too,
   so *is_null tells them apart). */
static struct json_object *plain_scalar(const char *s, bool *is_null)
{
        int64_t i;
        int b;

        *is_null = false;
        if (is_null_word(s)) {
                *is_null = true;
                return NULL;
        }
        if ((b = bool_word(s)) >= 0)
                return json_object_new_boolean(b);
        if (parse_int(s, &i))
                return json_object_new_int64(i);
        if (is_float(s))
                return json_object_new_double(strtod(s, NULL));
        return json_object_new_string(s);
}

/* ------------------------------------------------------------- reading */

struct anchor {
        char *name;
        struct json_object *obj; /* a reference of ours; NULL for a null node */
        size_t nodes;            /* expanded size */
        int depth;               /* levels below and including this node */
};

struct yreader {
        yaml_parser_t p;
        const char *what;
        struct anchor *anchors;
        size_t nanchors;
        size_t aliases;
        size_t nodes; /* expanded nodes so far */
        struct nvcr_err *err;
};

static int yerr(struct yreader *y, const yaml_mark_t *m, const char *msg)
{
        return nvcr_err_set(y->err, EINVAL, "%s: YAML error at line %zu column %zu: %s", y->what,
                            m->line + 1, m->column + 1, msg);
}

static int next_event(struct yreader *y, yaml_event_t *ev)
{
        if (!yaml_parser_parse(&y->p, ev)) {
                if (y->p.error == YAML_MEMORY_ERROR)
                        return nvcr_err_set(y->err, ENOMEM, "out of memory");
                return yerr(y, &y->p.problem_mark,
                            y->p.problem != NULL ? y->p.problem : "malformed YAML");
        }
        return 0;
}

static int count(struct yreader *y, size_t n, const yaml_mark_t *m)
{
        if (n > CDI_YAML_MAX_NODES || y->nodes > CDI_YAML_MAX_NODES - n)
                return yerr(y, m, "document too large (more than 1000000 nodes with aliases expanded)");
        y->nodes += n;
        return 0;
}

static int remember(struct yreader *y, const yaml_char_t *name, struct json_object *obj,
                    size_t nodes, int depth)
{
        struct anchor *a;

        if (name == NULL)
                return 0;
        a = realloc(y->anchors, (y->nanchors + 1) * sizeof(*a));
        if (a == NULL)
                return nvcr_err_set(y->err, ENOMEM, "out of memory");
        y->anchors = a;
        a = &a[y->nanchors];
        a->name = strdup((const char *)name);
        if (a->name == NULL)
                return nvcr_err_set(y->err, ENOMEM, "out of memory");
        a->obj = obj != NULL ? json_object_get(obj) : NULL;
        a->nodes = nodes;
        a->depth = depth;
        y->nanchors++;
        return 0;
}

static void event_deletep(yaml_event_t *ev)
{
        yaml_event_delete(ev);
}

/*
 * One node starting with *ev (the caller's event, consumed here). *ret is a
 * new reference (NULL for a null), *nodes its expanded size, *height the
 * levels it spans. `level` is its own depth in the document.
 */
static int read_node(struct yreader *y, yaml_event_t *ev, int level, struct json_object **ret,
                     size_t *nodes, int *height, bool *is_scalar);

static int read_collection(struct yreader *y, yaml_event_t *start, int level,
                           struct json_object **ret, size_t *nodes, int *height)
{
        bool map = start->type == YAML_MAPPING_START_EVENT;
        __attribute__((cleanup(json_putp))) struct json_object *obj =
                map ? json_object_new_object() : json_object_new_array();
        size_t total = 1;
        int h = 0, r;

        if (obj == NULL)
                return nvcr_err_set(y->err, ENOMEM, "out of memory");
        if (level > CDI_SPEC_MAX_DEPTH)
                return yerr(y, &start->start_mark, "nested too deep");
        if ((r = count(y, 1, &start->start_mark)) < 0)
                return r;
        for (;;) {
                __attribute__((cleanup(event_deletep))) yaml_event_t ev = {0};
                __attribute__((cleanup(json_putp))) struct json_object *key = NULL;
                __attribute__((cleanup(json_putp))) struct json_object *val = NULL;
                size_t kn = 0, vn = 0;
                int kh = 0, vh = 0;
                bool key_scalar = false, scalar;

                if ((r = next_event(y, &ev)) < 0)
                        return r;
                if (ev.type == YAML_MAPPING_END_EVENT || ev.type == YAML_SEQUENCE_END_EVENT)
                        break;
                if (map) {
                        yaml_mark_t km = ev.start_mark;
                        const char *k;

                        if ((r = read_node(y, &ev, level + 1, &key, &kn, &kh, &key_scalar)) < 0)
                                return r;
                        if (!key_scalar)
                                return yerr(y, &km, "a mapping key is not a scalar");
                        k = key != NULL ? json_object_get_string(key) : "";
                        if (json_object_object_get_ex(obj, k, NULL))
                                return yerr(y, &km, "duplicate mapping key");
                        {
                                __attribute__((cleanup(event_deletep))) yaml_event_t vev = {0};

                                if ((r = next_event(y, &vev)) < 0)
                                        return r;
                                if ((r = read_node(y, &vev, level + 1, &val, &vn, &vh,
                                                   &scalar)) < 0)
                                        return r;
                        }
                        if (json_object_object_add(obj, k, val) < 0)
                                return nvcr_err_set(y->err, ENOMEM, "out of memory");
                        val = NULL;
                } else {
                        if ((r = read_node(y, &ev, level + 1, &val, &vn, &vh, &scalar)) < 0)
                                return r;
                        if (json_object_array_add(obj, val) < 0)
                                return nvcr_err_set(y->err, ENOMEM, "out of memory");
                        val = NULL;
                }
                total += kn + vn;
                h = vh > h ? vh : h;
        }
        *nodes = total;
        *height = h + 1;
        *ret = steal_ptr(&obj);
        return 0;
}

static int read_node(struct yreader *y, yaml_event_t *ev, int level, struct json_object **ret,
                     size_t *nodes, int *height, bool *is_scalar)
{
        const yaml_char_t *anchor = NULL;
        bool null = false;
        int r;

        *ret = NULL;
        *nodes = 1;
        *height = 1;
        *is_scalar = false;
        switch (ev->type) {
        case YAML_ALIAS_EVENT: {
                const char *name = (const char *)ev->data.alias.anchor;

                if (++y->aliases > CDI_YAML_MAX_ALIASES)
                        return yerr(y, &ev->start_mark, "too many aliases");
                for (size_t i = y->nanchors; i-- > 0;) {
                        struct anchor *a = &y->anchors[i];

                        if (strcmp(a->name, name) != 0)
                                continue;
                        if (level - 1 + a->depth > CDI_SPEC_MAX_DEPTH)
                                return yerr(y, &ev->start_mark, "nested too deep");
                        if ((r = count(y, a->nodes, &ev->start_mark)) < 0)
                                return r;
                        *ret = a->obj != NULL ? json_object_get(a->obj) : NULL;
                        *nodes = a->nodes;
                        *height = a->depth;
                        *is_scalar = a->obj == NULL ||
                                     (!json_object_is_type(a->obj, json_type_object) &&
                                      !json_object_is_type(a->obj, json_type_array));
                        return 0;
                }
                return yerr(y, &ev->start_mark, "unknown anchor");
        }
        case YAML_SCALAR_EVENT: {
                const char *v = (const char *)ev->data.scalar.value;
                const char *tag = (const char *)ev->data.scalar.tag;

                if (level > CDI_SPEC_MAX_DEPTH)
                        return yerr(y, &ev->start_mark, "nested too deep");
                if ((r = count(y, 1, &ev->start_mark)) < 0)
                        return r;
                if (strlen(v) != ev->data.scalar.length)
                        return yerr(y, &ev->start_mark, "a scalar contains a NUL character");
                anchor = ev->data.scalar.anchor;
                *is_scalar = true;
                if ((tag != NULL && strcmp(tag, YAML_STR_TAG) == 0) ||
                    ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
                        *ret = json_object_new_string(v);
                else
                        *ret = plain_scalar(v, &null);
                if (*ret == NULL && !null)
                        return nvcr_err_set(y->err, ENOMEM, "out of memory");
                break;
        }
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
                anchor = ev->type == YAML_MAPPING_START_EVENT ? ev->data.mapping_start.anchor
                                                              : ev->data.sequence_start.anchor;
                if ((r = read_collection(y, ev, level, ret, nodes, height)) < 0)
                        return r;
                break;
        case YAML_NO_EVENT:
        case YAML_STREAM_START_EVENT:
        case YAML_STREAM_END_EVENT:
        case YAML_DOCUMENT_START_EVENT:
        case YAML_DOCUMENT_END_EVENT:
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
        default:
                return yerr(y, &ev->start_mark, "unexpected YAML event");
        }
        return remember(y, anchor, *ret, *nodes, *height);
}

static int expect(struct yreader *y, yaml_event_type_t t, const char *msg)
{
        __attribute__((cleanup(event_deletep))) yaml_event_t ev = {0};
        int r = next_event(y, &ev);

        if (r < 0)
                return r;
        if (ev.type != t)
                return yerr(y, &ev.start_mark, msg);
        return 0;
}

int cdi_yaml_text_parse(const char *buf, size_t len, const char *what, struct json_object **ret,
                        struct nvcr_err *err)
{
        struct yreader y = {.what = what, .err = err};
        __attribute__((cleanup(json_putp))) struct json_object *doc = NULL;
        size_t nodes;
        int height, r;
        bool scalar;

        *ret = NULL;
        if (len > CDI_SPEC_MAX_SIZE)
                return nvcr_err_set(err, EFBIG, "%s: too large", what);
        if (memchr(buf, '\0', len) != NULL)
                return nvcr_err_set(err, EINVAL, "%s: contains a NUL byte", what);
        if (!yaml_parser_initialize(&y.p))
                return nvcr_err_set(err, ENOMEM, "out of memory");
        yaml_parser_set_input_string(&y.p, (const unsigned char *)buf, len);
        r = expect(&y, YAML_STREAM_START_EVENT, "no YAML stream");
        if (r >= 0) {
                __attribute__((cleanup(event_deletep))) yaml_event_t ev = {0};

                r = next_event(&y, &ev);
                if (r >= 0 && ev.type == YAML_STREAM_END_EVENT)
                        r = nvcr_err_set(err, EINVAL, "%s: no spec data (empty document)", what);
                else if (r >= 0 && ev.type != YAML_DOCUMENT_START_EVENT)
                        r = yerr(&y, &ev.start_mark, "no YAML document");
        }
        if (r >= 0) {
                __attribute__((cleanup(event_deletep))) yaml_event_t ev = {0};

                r = next_event(&y, &ev);
                if (r >= 0)
                        r = read_node(&y, &ev, 1, &doc, &nodes, &height, &scalar);
        }
        if (r >= 0)
                r = expect(&y, YAML_DOCUMENT_END_EVENT, "more than one node in the document");
        if (r >= 0)
                r = expect(&y, YAML_STREAM_END_EVENT, "more than one YAML document");
        for (size_t i = 0; i < y.nanchors; i++) {
                free(y.anchors[i].name);
                if (y.anchors[i].obj != NULL)
                        (void)json_object_put(y.anchors[i].obj);
        }
        free(y.anchors);
        yaml_parser_delete(&y.p);
        if (r < 0)
                return r;
        if (doc == NULL)
                return nvcr_err_set(err, EINVAL, "%s: no spec data (empty document)", what);
        *ret = steal_ptr(&doc);
        return 0;
}

/* ------------------------------------------------------------- writing */

static bool utf8_valid(const unsigned char *s)
{
        while (*s != '\0') {
                size_t n;
                uint32_t cp;

                if (*s < 0x80) {
                        s++;
                        continue;
                }
                if ((*s & 0xe0) == 0xc0)
                        n = 1, cp = *s & 0x1f;
                else if ((*s & 0xf0) == 0xe0)
                        n = 2, cp = *s & 0x0f;
                else if ((*s & 0xf8) == 0xf0)
                        n = 3, cp = *s & 0x07;
                else
                        return false;
                for (size_t i = 1; i <= n; i++) {
                        if ((s[i] & 0xc0) != 0x80)
                                return false;
                        cp = (cp << 6) | (s[i] & 0x3f);
                }
                if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
                    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                        return false;
                s += n + 1;
        }
        return true;
}

/* Whether a plain (unquoted) s would read back as exactly the string s. */
static bool plain_ok(const char *s)
{
        size_t n = strlen(s);
        bool null;
        struct json_object *o;
        bool is_str;

        if (n == 0)
                return false;
        /* A leading '-' is plain when a non-blank follows ("--link"), except "---". */
        if (s[0] == '-' ? (n == 1 || s[1] == ' ' || s[1] == '\t' || strncmp(s, "---", 3) == 0)
                        : strchr("?:,[]{}#&*!|>'\"%@` \t", s[0]) != NULL)
                return false;
        if (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == ':')
                return false;
        for (const unsigned char *c = (const unsigned char *)s; *c != '\0'; c++) {
                if (*c < 0x20 || *c == 0x7f || *c >= 0x80)
                        return false;
                if ((*c == ':' || *c == '#') && (c[1] == ' ' || c[1] == '\t'))
                        return false;
                if (*c == ' ' && c[1] == '#')
                        return false;
                /* Flow indicators would end the scalar in a flow context; keep
                   them quoted so the text is unambiguous anywhere. */
                if (strchr(",[]{}", *c) != NULL)
                        return false;
        }
        o = plain_scalar(s, &null);
        if (null)
                return false;
        is_str = o != NULL && json_object_is_type(o, json_type_string);
        if (o != NULL)
                (void)json_object_put(o);
        return is_str;
}

static void put_string(FILE *f, const char *s)
{
        if (plain_ok(s)) {
                fputs(s, f);
                return;
        }
        fputc('"', f);
        for (const unsigned char *c = (const unsigned char *)s; *c != '\0'; c++) {
                switch (*c) {
                case '"':
                        fputs("\\\"", f);
                        break;
                case '\\':
                        fputs("\\\\", f);
                        break;
                case '\n':
                        fputs("\\n", f);
                        break;
                case '\t':
                        fputs("\\t", f);
                        break;
                default:
                        if (*c < 0x20 || *c == 0x7f) {
                                fprintf(f, "\\x%02x", *c);
                        } else if (*c == 0xc2 && c[1] >= 0x80 && c[1] <= 0x9f) {
                                /* C1 controls are not printable YAML, and a raw NEL
                                   (U+0085) would read back as a line break. */
                                fprintf(f, "\\x%02x", c[1]);
                                c++;
                        } else if (*c == 0xe2 && c[1] == 0x80 && (c[2] == 0xa8 || c[2] == 0xa9)) {
                                fputs(c[2] == 0xa8 ? "\\L" : "\\P", f); /* line/para separators */
                                c += 2;
                        } else if (*c == 0xef && ((c[1] == 0xbb && c[2] == 0xbf) ||
                                                  (c[1] == 0xbf && (c[2] == 0xbe || c[2] == 0xbf)))) {
                                fprintf(f, "\\u%s", c[1] == 0xbb ? "feff" : c[2] == 0xbe ? "fffe" : "ffff");
                                c += 2;
                        } else {
                                fputc(*c, f);
                        }
                }
        }
        fputc('"', f);
}

static bool is_collection(struct json_object *o)
{
        return o != NULL && (json_object_is_type(o, json_type_object) ||
                             json_object_is_type(o, json_type_array));
}

static bool empty_collection(struct json_object *o)
{
        if (json_object_is_type(o, json_type_object))
                return json_object_object_length(o) == 0;
        return json_object_array_length(o) == 0;
}

static int put_scalar(FILE *f, struct json_object *o)
{
        if (o == NULL) {
                fputs("null", f);
                return 0;
        }
        switch (json_object_get_type(o)) {
        case json_type_string:
                if (!utf8_valid((const unsigned char *)json_object_get_string(o)))
                        return -EILSEQ;
                put_string(f, json_object_get_string(o));
                return 0;
        case json_type_object:
                fputs("{}", f);
                return 0;
        case json_type_array:
                fputs("[]", f);
                return 0;
        case json_type_null:
        case json_type_boolean:
        case json_type_double:
        case json_type_int:
        default:
                fputs(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), f);
                return 0;
        }
}

static int emit(FILE *f, struct json_object *o, int indent, bool inline_first);

static int emit_value_after_key(FILE *f, struct json_object *v, int indent)
{
        if (!is_collection(v) || empty_collection(v)) {
                fputc(' ', f);
                return put_scalar(f, v);
        }
        fputc('\n', f);
        /* Sequences under a key sit at the key's indent (go-yaml's style). */
        if (json_object_is_type(v, json_type_array))
                return emit(f, v, indent, false);
        return emit(f, v, indent + 2, false);
}

static int emit(FILE *f, struct json_object *o, int indent, bool inline_first)
{
        bool first = true;
        int r = 0;

        if (json_object_is_type(o, json_type_object)) {
                json_object_object_foreach(o, k, v)
                {
                        if (!(first && inline_first))
                                fprintf(f, "%*s", indent, "");
                        first = false;
                        if (!utf8_valid((const unsigned char *)k))
                                return -EILSEQ;
                        put_string(f, k);
                        fputc(':', f);
                        if ((r = emit_value_after_key(f, v, indent)) < 0)
                                return r;
                        if (!is_collection(v) || empty_collection(v))
                                fputc('\n', f);
                }
                return 0;
        }
        for (size_t i = 0; i < json_object_array_length(o); i++) {
                struct json_object *v = json_object_array_get_idx(o, i);

                if (!(first && inline_first))
                        fprintf(f, "%*s", indent, "");
                first = false;
                fputs("- ", f);
                if (!is_collection(v) || empty_collection(v)) {
                        if ((r = put_scalar(f, v)) < 0)
                                return r;
                        fputc('\n', f);
                        continue;
                }
                if ((r = emit(f, v, indent + 2, true)) < 0)
                        return r;
        }
        return 0;
}

int cdi_yaml_emit(struct json_object *doc, char **ret, size_t *ret_len, struct nvcr_err *err)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        int r;

        if (f == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        fputs("---\n", f);
        r = emit(f, doc, 0, false);
        if (fclose(f) != 0 && r >= 0)
                r = -ENOMEM;
        if (r < 0) {
                free(buf);
                if (r == -EILSEQ)
                        return nvcr_err_set(err, EILSEQ, "CDI spec: a string is not valid UTF-8");
                return nvcr_err_set(err, -r, "out of memory");
        }
        *ret = buf;
        if (ret_len != NULL)
                *ret_len = len;
        return 0;
}
