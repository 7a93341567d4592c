/* SPDX-License-Identifier: Apache-2.0 */
/*
 * containerd 1.6 (config version 2): our settings go in a drop-in file that
 * the main config.toml imports. The main file is the administrator's and
 * may use any TOML (our parser knows a subset only), so it is edited at the
 * line level: only its top-level `imports` changes, every other byte stays.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "config/toml.h"
#include "core/macro.h"
#include "engine/engine.h"

#define CRI "plugins.\"io.containerd.grpc.v1.cri\""

static void fclose_memp(FILE **f)
{
        if (*f != NULL)
                fclose(*f);
}

/* A bare TOML key, or a quoted one. */
static bool bare_key(const char *s)
{
        if (*s == '\0')
                return false;
        for (; *s != '\0'; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
                        return false;
        return true;
}

/* A TOML value of the main config, written back (scalars and string arrays). */
static bool put_value(FILE *f, const struct toml_node *n)
{
        _cleanup_free_ char *q = NULL;

        switch (n->type) {
        case TOML_STRING:
                q = engine_toml_quote(n->str);
                if (q == NULL)
                        return false;
                fputs(q, f);
                return true;
        case TOML_BOOL:
                fputs(n->boolean ? "true" : "false", f);
                return true;
        case TOML_INT:
                fprintf(f, "%lld", (long long)n->num);
                return true;
        case TOML_ARRAY:
                for (size_t i = 0; i < n->nitems; i++)
                        if (n->items[i]->type != TOML_STRING)
                                return false;
                fputc('[', f);
                for (size_t i = 0; i < n->nitems; i++) {
                        q = engine_toml_quote(n->items[i]->str);
                        if (q == NULL)
                                return false;
                        fprintf(f, "%s%s", i > 0 ? ", " : "", q);
                        free(steal_ptr(&q));
                }
                fputc(']', f);
                return true;
        case TOML_TABLE:
        default:
                return false;
        }
}

static void put_key(FILE *f, const char *indent, const char *key)
{
        _cleanup_free_ char *q = bare_key(key) ? NULL : engine_toml_quote(key);

        fprintf(f, "%s%s = ", indent, q != NULL ? q : key);
}

/*
 * The options of the main config's default CRI runtime (runc, unless
 * default_runtime_name names another), as the reference copies them: the
 * nvidia runtime must run containers the same way (SystemdCgroup above
 * all: a cgroup driver that differs from the kubelet's breaks pods). Only
 * what our TOML subset parses: a file it cannot read gives no options.
 */
static const struct toml_node *default_runtime(const struct toml_doc *doc, const char *name)
{
        const struct toml_node *c, *d, *r;

        c = toml_child(&doc->root, "plugins");
        c = c != NULL ? toml_child(c, "io.containerd.grpc.v1.cri") : NULL;
        c = c != NULL ? toml_child(c, "containerd") : NULL;
        if (c == NULL || c->type != TOML_TABLE)
                return NULL;
        d = toml_child(c, "default_runtime_name");
        r = toml_child(c, "runtimes");
        if (r == NULL || r->type != TOML_TABLE)
                return NULL;
        r = toml_child(r, d != NULL && d->type == TOML_STRING && strcmp(d->str, name) != 0
                                  ? d->str
                                  : "runc");
        return r != NULL && r->type == TOML_TABLE ? r : NULL;
}

int engine_containerd_dropin(const struct engine_runtime *rt, const char *main_cfg,
                             size_t main_len, char **ret, struct nvcr_err *err)
{
        _cleanup_free_ char *key = NULL, *path = NULL, *name = NULL, *out = NULL;
        _cleanup_(fclose_memp) FILE *f = NULL;
        _cleanup_toml_ struct toml_doc *doc = NULL;
        const struct toml_node *runc = NULL, *opts = NULL;
        size_t len = 0;

        key = bare_key(rt->name) ? strdup(rt->name) : engine_toml_quote(rt->name);
        path = engine_toml_quote(rt->path);
        name = engine_toml_quote(rt->name);
        if (key == NULL || path == NULL || name == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        if (main_cfg != NULL && toml_parse("config.toml", main_cfg, main_len, &doc, NULL) == 0) {
                runc = default_runtime(doc, rt->name);
                opts = runc != NULL ? toml_child(runc, "options") : NULL;
                if (opts != NULL && opts->type != TOML_TABLE)
                        opts = NULL;
        }
        f = open_memstream(&out, &len);
        if (f == NULL)
                return nvcr_err_setsys(err, errno, "open_memstream failed");
        /* The layout of the reference's output (go-toml, indented tables). */
        fprintf(f, "version = 2\n\n[plugins]\n\n  [" CRI "]\n");
        if (rt->enable_cdi)
                fprintf(f, "    enable_cdi = true\n");
        fprintf(f, "\n    [" CRI ".containerd]\n");
        if (rt->set_as_default)
                fprintf(f, "      default_runtime_name = %s\n", name);
        fprintf(f,
                "\n      [" CRI ".containerd.runtimes]\n"
                "\n        [" CRI ".containerd.runtimes.%s]\n",
                key);
        if (runc == NULL)
                fprintf(f, "          privileged_without_host_devices = false\n"
                           "          runtime_engine = \"\"\n"
                           "          runtime_root = \"\"\n");
        for (size_t i = 0; runc != NULL && i < runc->nitems; i++) {
                const struct toml_node *n = runc->items[i];

                if (n->type == TOML_TABLE || strcmp(n->key, "runtime_type") == 0)
                        continue;
                put_key(f, "          ", n->key);
                if (!put_value(f, n))
                        fputs("\"\"", f);
                fputc('\n', f);
        }
        fprintf(f, "          runtime_type = \"io.containerd.runc.v2\"\n"
                   "\n          [" CRI ".containerd.runtimes.%s.options]\n",
                key);
        for (size_t i = 0; opts != NULL && i < opts->nitems; i++) {
                const struct toml_node *n = opts->items[i];

                if (n->type == TOML_TABLE || strcmp(n->key, "BinaryName") == 0)
                        continue;
                put_key(f, "            ", n->key);
                if (!put_value(f, n))
                        fputs("\"\"", f);
                fputc('\n', f);
        }
        fprintf(f, "            BinaryName = %s\n", path);
        if (fclose(steal_ptr(&f)) != 0)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        *ret = steal_ptr(&out);
        return 0;
}

/* ------------------------------------------------------------ imports edit */

struct scan {
        const char *s;
        size_t len;
        size_t i;
};

static bool at(const struct scan *sc, const char *lit)
{
        size_t n = strlen(lit);

        return sc->len - sc->i >= n && memcmp(sc->s + sc->i, lit, n) == 0;
}

static void skip_blank(struct scan *sc)
{
        while (sc->i < sc->len && (sc->s[sc->i] == ' ' || sc->s[sc->i] == '\t'))
                sc->i++;
}

static void skip_line(struct scan *sc)
{
        while (sc->i < sc->len && sc->s[sc->i] != '\n')
                sc->i++;
}

/* Past a string starting at sc->i (any of the four kinds); false if unterminated. */
static bool skip_string(struct scan *sc)
{
        char q = sc->s[sc->i];
        bool multi = at(sc, q == '"' ? "\"\"\"" : "'''");

        sc->i += multi ? 3 : 1;
        while (sc->i < sc->len) {
                char c = sc->s[sc->i];

                if (c == '\\' && q == '"') {
                        sc->i += 2;
                        continue;
                }
                if (c == '\n' && !multi)
                        return false;
                if (c == q && (!multi || at(sc, q == '"' ? "\"\"\"" : "'''"))) {
                        sc->i += multi ? 3 : 1;
                        /* """a"""" : up to two more quotes belong to the string. */
                        while (multi && sc->i < sc->len && sc->s[sc->i] == q)
                                sc->i++;
                        return true;
                }
                sc->i++;
        }
        return false;
}

/* Past a value (arrays and inline tables over several lines, strings of every
   kind, comments), up to the end of its line. */
static bool skip_value(struct scan *sc)
{
        int depth = 0;

        while (sc->i < sc->len) {
                char c = sc->s[sc->i];

                if (c == '"' || c == '\'') {
                        if (!skip_string(sc))
                                return false;
                        continue;
                }
                if (c == '#') {
                        skip_line(sc);
                        continue;
                }
                if (c == '\n' && depth <= 0)
                        return true;
                if (c == '[' || c == '{')
                        depth++;
                else if (c == ']' || c == '}')
                        depth--;
                sc->i++;
        }
        return depth <= 0;
}

/* Whitespace, newlines and comments inside an array. */
static void skip_space(struct scan *sc)
{
        while (sc->i < sc->len) {
                char c = sc->s[sc->i];

                if (c == '#')
                        skip_line(sc);
                else if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
                        sc->i++;
                else
                        break;
        }
}

/* A one-line basic or literal string at sc->i, decoded (the escapes paths use). */
static char *read_string(struct scan *sc)
{
        char q = sc->s[sc->i];
        size_t start = sc->i;
        char *out, *p;

        if (at(sc, "\"\"\"") || at(sc, "'''") || !skip_string(sc))
                return NULL;
        out = malloc(sc->i - start);
        if (out == NULL)
                return NULL;
        p = out;
        for (size_t j = start + 1; j < sc->i - 1; j++) {
                if (q == '"' && sc->s[j] == '\\' && j + 1 < sc->i - 1) {
                        char e = sc->s[++j];

                        *p++ = e == 't' ? '\t' : e == 'n' ? '\n' : e;
                        continue;
                }
                *p++ = sc->s[j];
        }
        *p = '\0';
        return out;
}

/* Does the import `v` of config `name` load `dropin`? containerd resolves a
   relative import against the directory of the file that has it. */
static bool covers(const char *name, const char *v, const char *dropin)
{
        _cleanup_free_ char *abs = NULL;
        const char *slash = strrchr(name, '/');

        if (v[0] != '/' && slash != NULL) {
                if (asprintf(&abs, "%.*s/%s", (int)(slash - name), name, v) < 0)
                        return false;
                v = abs;
        }
        return strcmp(v, dropin) == 0 || fnmatch(v, dropin, FNM_PATHNAME) == 0;
}

struct imports {
        bool found;          /* a top-level imports key */
        bool covered;        /* one of its entries is the drop-in or matches it */
        bool multiline;      /* the array spans lines */
        bool empty;          /* [] */
        size_t open;         /* just past '[' */
        size_t last_end;     /* just past the last element */
        size_t last_line;    /* start of the last element's line */
        size_t insert_line;  /* where a new top-level line goes */
};

static int scan_imports(struct scan *sc, const char *name, const char *dropin,
                        struct imports *im, struct nvcr_err *err)
{
        for (;;) {
                size_t line = sc->i, kstart, kend;
                bool is_imports;

                skip_blank(sc);
                if (sc->i >= sc->len)
                        break;
                if (sc->s[sc->i] == '\n' || sc->s[sc->i] == '\r' || sc->s[sc->i] == '#') {
                        skip_line(sc);
                        if (sc->i < sc->len)
                                sc->i++;
                        continue;
                }
                if (sc->s[sc->i] == '[') {
                        /* The first table: the top level ends here. */
                        if (im->insert_line == (size_t)-1)
                                im->insert_line = line;
                        return 0;
                }
                kstart = sc->i;
                if (sc->s[sc->i] == '"' || sc->s[sc->i] == '\'') {
                        if (!skip_string(sc))
                                return nvcr_err_set(err, EINVAL, "%s: unterminated key", name);
                } else {
                        while (sc->i < sc->len && strchr(" \t=\n", sc->s[sc->i]) == NULL)
                                sc->i++;
                }
                kend = sc->i;
                is_imports = (kend - kstart == 7 && memcmp(sc->s + kstart, "imports", 7) == 0) ||
                             (kend - kstart == 9 && (memcmp(sc->s + kstart, "\"imports\"", 9) == 0 ||
                                                     memcmp(sc->s + kstart, "'imports'", 9) == 0));
                skip_blank(sc);
                if (is_imports && sc->i < sc->len && sc->s[sc->i] == '=') {
                        sc->i++;
                        skip_blank(sc);
                        if (sc->i >= sc->len || sc->s[sc->i] != '[')
                                return nvcr_err_set(err, EINVAL,
                                                    "%s: imports is not an array of strings",
                                                    name);
                        im->found = true;
                        im->empty = true;
                        im->open = ++sc->i;
                        for (;;) {
                                _cleanup_free_ char *v = NULL;
                                size_t before = sc->i;

                                skip_space(sc);
                                if (memchr(sc->s + before, '\n', sc->i - before) != NULL)
                                        im->multiline = true;
                                if (sc->i >= sc->len)
                                        return nvcr_err_set(err, EINVAL,
                                                            "%s: unterminated imports array",
                                                            name);
                                if (sc->s[sc->i] == ']') {
                                        sc->i++;
                                        break;
                                }
                                if (sc->s[sc->i] == ',' && !im->empty) {
                                        sc->i++;
                                        continue;
                                }
                                if (sc->s[sc->i] != '"' && sc->s[sc->i] != '\'')
                                        return nvcr_err_set(
                                                err, EINVAL,
                                                "%s: imports is not an array of strings", name);
                                for (size_t j = sc->i; j > 0; j--)
                                        if (sc->s[j - 1] == '\n') {
                                                im->last_line = j;
                                                break;
                                        }
                                v = read_string(sc);
                                if (v == NULL)
                                        return nvcr_err_set(err, EINVAL,
                                                            "%s: imports: unsupported string",
                                                            name);
                                im->empty = false;
                                im->last_end = sc->i;
                                if (covers(name, v, dropin))
                                        im->covered = true;
                        }
                }
                if (!skip_value(sc))
                        return nvcr_err_set(err, EINVAL, "%s: cannot parse the value of %.*s",
                                            name, (int)(kend - kstart), sc->s + kstart);
                if (sc->i < sc->len)
                        sc->i++;
                /* After the last top-level key: the new line joins them. */
                im->insert_line = sc->i;
        }
        if (im->insert_line == (size_t)-1)
                im->insert_line = sc->len;
        return 0;
}

int engine_containerd_imports(const char *name, const char *in, size_t len, const char *dropin,
                              const char *import, char **ret, struct nvcr_err *err)
{
        _cleanup_free_ char *q = engine_toml_quote(import), *out = NULL;
        _cleanup_(fclose_memp) FILE *f = NULL;
        struct scan sc = { in, len, 0 };
        struct imports im = { .insert_line = (size_t)-1 };
        size_t outlen = 0, pos;
        int r;

        *ret = NULL;
        if (q == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        if (in == NULL) {
                if (asprintf(ret, "version = 2\nimports = [%s]\n", q) < 0) {
                        *ret = NULL;
                        return nvcr_err_set(err, ENOMEM, "out of memory");
                }
                return 0;
        }
        if (memchr(in, '\0', len) != NULL)
                return nvcr_err_set(err, EINVAL, "%s: contains a NUL byte", name);
        r = scan_imports(&sc, name, dropin, &im, err);
        if (r < 0)
                return r;
        if (im.covered)
                return 0;

        f = open_memstream(&out, &outlen);
        if (f == NULL)
                return nvcr_err_setsys(err, errno, "open_memstream failed");
        if (!im.found) {
                pos = im.insert_line;
                fwrite(in, 1, pos, f);
                if (pos > 0 && in[pos - 1] != '\n')
                        fputc('\n', f);
                fprintf(f, "imports = [%s]\n", q);
        } else if (im.empty) {
                pos = im.open;
                fwrite(in, 1, pos, f);
                fputs(q, f);
        } else if (im.multiline) {
                /* Another element on a line of its own, indented as the last one. */
                size_t ind = im.last_line;

                pos = im.last_end;
                fwrite(in, 1, pos, f);
                fputs(",\n", f);
                while (ind < len && (in[ind] == ' ' || in[ind] == '\t'))
                        fputc(in[ind++], f);
                fputs(q, f);
        } else {
                pos = im.last_end;
                fwrite(in, 1, pos, f);
                fprintf(f, ", %s", q);
        }
        fwrite(in + pos, 1, len - pos, f);
        if (fclose(steal_ptr(&f)) != 0)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        *ret = steal_ptr(&out);
        return 0;
}
