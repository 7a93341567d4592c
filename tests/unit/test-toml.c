/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The config.toml TOML subset: every value type, tables, dotted keys,
 * lookups, and every refusal with its message and line number.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/toml.h"

static struct toml_doc *parse_ok(const char *text)
{
        struct nvcr_err err = { 0 };
        struct toml_doc *doc = NULL;
        int r = toml_parse("t.toml", text, strlen(text), &doc, &err);

        if (r < 0)
                fail_msg("unexpected error: %s", err.msg);
        assert_non_null(doc);
        return doc;
}

static void expect_err_len(const char *text, size_t len, int code, const char *msg)
{
        struct nvcr_err err = { 0 };
        struct toml_doc *doc = NULL;
        int r = toml_parse("t.toml", text, len, &doc, &err);

        assert_int_equal(r, -code);
        assert_null(doc);
        assert_int_equal(err.code, code);
        assert_string_equal(err.msg, msg);
}

static void expect_err(const char *text, const char *msg)
{
        expect_err_len(text, strlen(text), EINVAL, msg);
}

static const char reference[] =
        "#accept-nvidia-visible-devices-as-volume-mounts = false\n"
        "#accept-nvidia-visible-devices-envvar-when-unprivileged = true\n"
        "disable-require = false\n"
        "supported-driver-capabilities = \"compat32,compute,display,graphics,ngx,utility,video\"\n"
        "#swarm-resource = \"DOCKER_RESOURCE_GPU\"\n"
        "[nvidia-container-cli]\n"
        "#debug = \"/var/log/nvidia-container-toolkit.log\"\n"
        "environment = []\n"
        "ldconfig = \"@/sbin/ldconfig\"          # normalised to .real if present\n"
        "load-kmods = true\n"
        "[nvidia-container-runtime]\n"
        "log-level = \"info\"\n"
        "mode = \"auto\"                          # legacy|cdi|jit-cdi|csv|auto\n"
        "runtimes = [\"runc\", \"crun\"]\n"
        "[nvidia-container-runtime.modes.cdi]\n"
        "annotation-prefixes = [\"cdi.k8s.io/\"]\n"
        "default-kind = \"nvidia.com/gpu\"\n"
        "spec-dirs = [\"/etc/cdi\", \"/var/run/cdi\"]\n"
        "[nvidia-container-runtime.modes.csv]\n"
        "mount-spec-path = \"/etc/nvidia-container-runtime/host-files-for-container.d\"\n"
        "[nvidia-container-runtime.modes.jit-cdi]           # optional\n"
        "[nvidia-container-runtime.modes.legacy]\n"
        "cuda-compat-mode = \"ldconfig\"          # disabled|hook|ldconfig|mount\n"
        "[nvidia-container-runtime-hook]\n"
        "path = \"nvidia-container-runtime-hook\"\n"
        "skip-mode-detection = false\n"
        "[nvidia-ctk]\n"
        "path = \"nvidia-ctk\"\n"
        "[features]   # bools\n";

static void test_reference(void **state)
{
        struct toml_doc *doc = parse_ok(reference);
        struct nvcr_err err = { 0 };
        const struct toml_node *n = NULL;
        const char *s = NULL;
        char **v = NULL;
        bool b = false;

        (void)state;
        assert_int_equal(toml_get_string(doc, "nvidia-container-cli", "ldconfig", &s, &err), 1);
        assert_string_equal(s, "@/sbin/ldconfig");
        assert_int_equal(toml_get_bool(doc, "nvidia-container-cli", "load-kmods", &b, &err), 1);
        assert_true(b);
        assert_int_equal(toml_get_bool(doc, NULL, "disable-require", &b, &err), 1);
        assert_false(b);
        assert_int_equal(toml_get_string_array(doc, "nvidia-container-runtime.modes.cdi",
                                               "spec-dirs", &v, &err),
                         1);
        assert_string_equal(v[0], "/etc/cdi");
        assert_string_equal(v[1], "/var/run/cdi");
        assert_null(v[2]);
        toml_strv_free(v);
        assert_int_equal(toml_get_string_array(doc, "nvidia-container-cli", "environment", &v,
                                               &err),
                         1);
        assert_null(v[0]);
        toml_strv_free(v);
        assert_int_equal(toml_get(doc, "nvidia-container-runtime.modes.legacy", "cuda-compat-mode",
                                  &n, &err),
                         1);
        assert_int_equal(n->line, 23);
        /* Absent keys and tables: 0, *ret untouched. */
        s = "untouched";
        assert_int_equal(toml_get_string(doc, "nvidia-container-cli", "root", &s, &err), 0);
        assert_int_equal(toml_get_string(doc, "nope.nope", "root", &s, &err), 0);
        assert_string_equal(s, "untouched");
        assert_int_equal(err.code, 0);
        /* Tables keep file order; jit-cdi is empty. */
        n = toml_child(&doc->root, "nvidia-container-runtime");
        assert_non_null(n);
        n = toml_child(toml_child(n, "modes"), "jit-cdi");
        assert_non_null(n);
        assert_int_equal(n->type, TOML_TABLE);
        assert_int_equal(n->nitems, 0);
        assert_int_equal(n->line, 21);
        assert_string_equal(doc->root.items[0]->key, "disable-require");
        toml_free(doc);
}

static void test_values(void **state)
{
        struct toml_doc *doc = parse_ok(
                "s = \"a\\\"b\\\\c\\n\\t\\r\\b\\f\\u00e9\\U0001F600\"\n"
                "l = 'C:\\no\\escape \"here\"'\n"
                "e1 = \"\"\n"
                "e2 = ''\n"
                "t = true\n"
                "f = false\n"
                "i1 = 0\n"
                "i2 = -17\n"
                "i3 = +42\n"
                "i4 = 1_000_000\n"
                "max = 9223372036854775807\n"
                "min = -9223372036854775808\n"
                "utf = \"ünïcödé\"\t# comment after a value\n"
                "tab = \"a\tb\"\n");
        struct nvcr_err err = { 0 };
        const char *s = NULL;
        int64_t i = 0;
        bool b = false;

        (void)state;
        assert_int_equal(toml_get_string(doc, NULL, "s", &s, &err), 1);
        assert_string_equal(s, "a\"b\\c\n\t\r\b\f\xc3\xa9\xf0\x9f\x98\x80");
        assert_int_equal(toml_get_string(doc, "", "l", &s, &err), 1);
        assert_string_equal(s, "C:\\no\\escape \"here\"");
        assert_int_equal(toml_get_string(doc, NULL, "e1", &s, &err), 1);
        assert_string_equal(s, "");
        assert_int_equal(toml_get_string(doc, NULL, "e2", &s, &err), 1);
        assert_string_equal(s, "");
        assert_int_equal(toml_get_bool(doc, NULL, "t", &b, &err), 1);
        assert_true(b);
        assert_int_equal(toml_get_bool(doc, NULL, "f", &b, &err), 1);
        assert_false(b);
        assert_int_equal(toml_get_int(doc, NULL, "i1", &i, &err), 1);
        assert_int_equal(i, 0);
        assert_int_equal(toml_get_int(doc, NULL, "i2", &i, &err), 1);
        assert_int_equal(i, -17);
        assert_int_equal(toml_get_int(doc, NULL, "i3", &i, &err), 1);
        assert_int_equal(i, 42);
        assert_int_equal(toml_get_int(doc, NULL, "i4", &i, &err), 1);
        assert_int_equal(i, 1000000);
        assert_int_equal(toml_get_int(doc, NULL, "max", &i, &err), 1);
        assert_true(i == INT64_MAX);
        assert_int_equal(toml_get_int(doc, NULL, "min", &i, &err), 1);
        assert_true(i == INT64_MIN);
        assert_int_equal(toml_get_string(doc, NULL, "utf", &s, &err), 1);
        assert_string_equal(s, "ünïcödé");
        assert_int_equal(toml_get_string(doc, NULL, "tab", &s, &err), 1);
        assert_string_equal(s, "a\tb");
        toml_free(doc);
}

static void test_arrays(void **state)
{
        struct toml_doc *doc = parse_ok("a = [\n"
                                        "  \"x\",   # first\n"
                                        "\n"
                                        "  # a comment line\n"
                                        "  'y' ,\n"
                                        "]\n"
                                        "b = [ 1, true, \"s\" ]\r\n"
                                        "c = [ ]\n"
                                        "d = [\"only\"]\n");
        struct nvcr_err err = { 0 };
        const struct toml_node *n = NULL;
        char **v = NULL;

        (void)state;
        assert_int_equal(toml_get_string_array(doc, NULL, "a", &v, &err), 1);
        assert_string_equal(v[0], "x");
        assert_string_equal(v[1], "y");
        assert_null(v[2]);
        toml_strv_free(v);
        assert_int_equal(toml_get(doc, NULL, "b", &n, &err), 1);
        assert_int_equal(n->type, TOML_ARRAY);
        assert_int_equal(n->nitems, 3);
        assert_int_equal(n->line, 7);
        assert_int_equal(n->items[0]->type, TOML_INT);
        assert_int_equal(n->items[1]->type, TOML_BOOL);
        assert_int_equal(n->items[2]->type, TOML_STRING);
        assert_int_equal(toml_get(doc, NULL, "a", &n, &err), 1);
        assert_int_equal(n->items[1]->line, 5);
        assert_int_equal(toml_get_string_array(doc, NULL, "c", &v, &err), 1);
        assert_null(v[0]);
        toml_strv_free(v);
        assert_int_equal(toml_get_string_array(doc, NULL, "b", &v, &err), -EINVAL);
        assert_string_equal(err.msg,
                            "t.toml:7: b: expected an array of strings, element 0 is an integer");
        toml_free(doc);
}

static void test_tables_and_keys(void **state)
{
        struct toml_doc *doc = parse_ok("top = 1\n"
                                        "[ a . \"b.c\" . 'd' ]\n"
                                        "k = 1\n"
                                        "[a]\n"
                                        "x.y.z = \"deep\"\n"
                                        "x.w = true\n"
                                        "\"quoted key\" = 2\n"
                                        "'lit' = 3\n"
                                        "\"\" = 4\n"
                                        "[a.x.y.more]\n"
                                        "m = 5\n"
                                        "[A-b_9]\n");
        struct nvcr_err err = { 0 };
        const struct toml_node *n;
        const char *s = NULL;
        int64_t i = 0;
        bool b = false;

        (void)state;
        n = toml_child(toml_child(toml_child(&doc->root, "a"), "b.c"), "d");
        assert_non_null(n);
        assert_int_equal(n->line, 2);
        assert_int_equal(toml_get_string(doc, "a.x.y", "z", &s, &err), 1);
        assert_string_equal(s, "deep");
        assert_int_equal(toml_get_bool(doc, "a.x", "w", &b, &err), 1);
        assert_int_equal(toml_get_int(doc, "a", "quoted key", &i, &err), 1);
        assert_int_equal(i, 2);
        assert_int_equal(toml_get_int(doc, "a", "lit", &i, &err), 1);
        assert_int_equal(toml_get_int(doc, "a", "", &i, &err), 1);
        assert_int_equal(i, 4);
        assert_int_equal(toml_get_int(doc, "a.x.y.more", "m", &i, &err), 1);
        assert_int_equal(i, 5);
        assert_non_null(toml_child(&doc->root, "A-b_9"));
        /* Type errors name the file, the line and the key. */
        assert_int_equal(toml_get_string(doc, "a", "lit", &s, &err), -EINVAL);
        assert_string_equal(err.msg, "t.toml:8: a.lit: expected a string");
        assert_int_equal(toml_get_bool(doc, NULL, "top", &b, &err), -EINVAL);
        assert_string_equal(err.msg, "t.toml:1: top: expected a boolean");
        assert_int_equal(toml_get_int(doc, "top.x", "k", &i, &err), -EINVAL);
        assert_string_equal(err.msg, "t.toml:1: top: expected a table");
        assert_int_equal(toml_get_int(doc, "a.lit", "k", &i, &err), -EINVAL);
        assert_string_equal(err.msg, "t.toml:8: a.lit: expected a table");
        assert_int_equal(toml_get_string_array(doc, "a", "x", NULL, &err), -EINVAL);
        assert_string_equal(err.msg, "t.toml:5: a.x: expected an array");
        toml_free(doc);
}

static void test_empty(void **state)
{
        struct toml_doc *doc;

        (void)state;
        doc = parse_ok("");
        assert_int_equal(doc->root.nitems, 0);
        toml_free(doc);
        doc = parse_ok("\n\n   \n# only a comment\r\n\t\n");
        assert_int_equal(doc->root.nitems, 0);
        toml_free(doc);
        doc = parse_ok("k = 1"); /* no final newline */
        assert_int_equal(doc->root.nitems, 1);
        toml_free(doc);
}

static void test_errors(void **state)
{
        (void)state;
        expect_err("a = 1\nb = 2\na = 3\n", "t.toml:3: duplicate key \"a\" (first at line 1)");
        expect_err("[t]\na = 1\n\n[t]\n", "t.toml:4: table \"t\" defined twice (first at line 1)");
        expect_err("[x.y]\n[x]\n[x.y]\n", "t.toml:3: table \"y\" defined twice (first at line 1)");
        expect_err("a.b = 1\n[a]\n", "t.toml:2: table \"a\" defined twice (first at line 1)");
        expect_err("[a.b]\nc = 1\n[a]\nb.d = 2\n",
                   "t.toml:4: table \"b\" (line 1) cannot be extended with dotted keys");
        expect_err("a = 1\n[a.b]\n", "t.toml:2: \"a\" is already an integer (line 1), not a table");
        expect_err("a = 1\na.b = 2\n",
                   "t.toml:2: \"a\" is already an integer (line 1), not a table");
        expect_err("\na = \"abc\n", "t.toml:2: unterminated string");
        expect_err("a = 'abc\nb = 1\n", "t.toml:1: unterminated string");
        expect_err("a = \"abc\\", "t.toml:1: unterminated string");
        expect_err("x = 1\na = [\n\"a\",\n\"b\"\n", "t.toml:2: unterminated array");
        expect_err("a = [ \"a\" \"b\" ]\n", "t.toml:1: expected ',' or ']' in an array");
        expect_err("a = [ , ]\n", "t.toml:1: expected a value, got ','");
        expect_err("a = [ [1] ]\n", "t.toml:1: nested arrays are not supported");
        expect_err("a = 1 2\n", "t.toml:1: unexpected text after the value");
        expect_err("a = \"x\"y\n", "t.toml:1: unexpected text after the value");
        expect_err("[a] b\n", "t.toml:1: unexpected text after the table header");
        expect_err("a = true]\n", "t.toml:1: unexpected text after the value");
        expect_err("a =\n", "t.toml:1: expected a value");
        expect_err("a = # c\n", "t.toml:1: expected a value");
        expect_err("a 1\n", "t.toml:1: expected '=' after the key \"a\"");
        expect_err("= 1\n", "t.toml:1: expected a key, got '='");
        expect_err("[]\n", "t.toml:1: expected a key, got ']'");
        expect_err("[a\n", "t.toml:1: expected ']' at the end of the table header");
        expect_err("[[a]]\n", "t.toml:1: arrays of tables ([[...]]) are not supported");
        expect_err("a = {}\n", "t.toml:1: inline tables are not supported");
        expect_err("a = \"\"\"x\"\"\"\n",
                   "t.toml:1: multi-line strings (\"\"\") are not supported");
        expect_err("a = '''x'''\n", "t.toml:1: multi-line strings (''') are not supported");
        expect_err("a = \"\\x\"\n", "t.toml:1: invalid escape \"\\x\" in a string");
        expect_err("a = \"\\u12\"\n", "t.toml:1: invalid \\u escape: expected 4 hex digits");
        expect_err("a = \"\\uD800\"\n",
                   "t.toml:1: invalid \\u escape: U+D800 is no Unicode scalar value");
        expect_err("a = \"\\U00110000\"\n",
                   "t.toml:1: invalid \\U escape: U+110000 is no Unicode scalar value");
        expect_err("a = \"\\u0000\"\n", "t.toml:1: NUL (\\u0000) in a string");
        expect_err("a = \"x\x01y\"\n", "t.toml:1: control character 0x01 in a string");
        expect_err("a = 'x\ry'\n", "t.toml:1: control character 0x0d in a string");
        expect_err("# bad \x7f comment\n", "t.toml:1: control character 0x7f in a comment");
        expect_err("a = 1\r\n\rb = 2\n", "t.toml:2: expected a key, got control character 0x0d");
        expect_err("a = 1.5\n",
                   "t.toml:1: invalid or unsupported value 1.5 (only strings, booleans, decimal "
                   "integers and arrays are supported)");
        expect_err("a = 0x10\n",
                   "t.toml:1: invalid or unsupported value 0x10 (only strings, booleans, decimal "
                   "integers and arrays are supported)");
        expect_err("a = 007\n",
                   "t.toml:1: invalid or unsupported value 007 (only strings, booleans, decimal "
                   "integers and arrays are supported)");
        expect_err("a = 1__0\n",
                   "t.toml:1: invalid or unsupported value 1__0 (only strings, booleans, decimal "
                   "integers and arrays are supported)");
        expect_err("a = 1979-05-27\n",
                   "t.toml:1: invalid or unsupported value 1979-05-27 (only strings, booleans, "
                   "decimal integers and arrays are supported)");
        expect_err("a = True\n",
                   "t.toml:1: invalid or unsupported value True (only strings, booleans, decimal "
                   "integers and arrays are supported)");
        expect_err("a = 9223372036854775808\n",
                   "t.toml:1: integer 9223372036854775808 out of range");
        expect_err("a = -9223372036854775809\n",
                   "t.toml:1: integer -9223372036854775809 out of range");
        expect_err("a = \"\xc3\x28\"\n", "t.toml:1: invalid UTF-8");
        expect_err("\n\na = \"\xed\xa0\x80\"\n", "t.toml:3: invalid UTF-8"); /* surrogate */
        expect_err("a = \"\xc0\xaf\"\n", "t.toml:1: invalid UTF-8");          /* overlong */
}

static void test_nul(void **state)
{
        static const char text[] = "a = 1\nb = \"x\0y\"\n";

        (void)state;
        expect_err_len(text, sizeof(text) - 1, EINVAL, "t.toml:2: NUL byte");
        expect_err_len("\0", 1, EINVAL, "t.toml:1: NUL byte");
}

static void test_limits(void **state)
{
        size_t big = TOML_MAX_INPUT + 1, n;
        char *buf = malloc(big + 1);
        char msg[128];
        struct toml_doc *doc;

        (void)state;
        assert_non_null(buf);
        /* Input size. */
        memset(buf, '\n', big);
        expect_err_len(buf, big, EFBIG, "t.toml: larger than 1048576 bytes");
        /* Exactly 1 MiB of blank lines is fine. */
        doc = NULL;
        {
                struct nvcr_err err = { 0 };

                assert_int_equal(toml_parse("t.toml", buf, big - 1, &doc, &err), 0);
                toml_free(doc);
        }
        /* A line of 64 KiB is refused, one byte less is fine. */
        n = (size_t)snprintf(buf, big, "x = 1\n# ");
        memset(buf + n, 'c', TOML_MAX_LINE - 2);
        buf[n + TOML_MAX_LINE - 2] = '\n';
        buf[n + TOML_MAX_LINE - 1] = '\0';
        doc = parse_ok(buf);
        toml_free(doc);
        buf[n + TOML_MAX_LINE - 2] = 'c';
        buf[n + TOML_MAX_LINE - 1] = '\n';
        buf[n + TOML_MAX_LINE] = '\0';
        expect_err(buf, "t.toml:2: line longer than 65536 bytes");

        /* Depth: 8 levels fine, 9 refused (headers and dotted keys alike). */
        doc = parse_ok("[a.b.c.d.e.f.g.h]\nk = 1\n[a.b.c.d.e.f.g]\nh2.k = 1\n");
        toml_free(doc);
        expect_err("[a.b.c.d.e.f.g.h.i]\n", "t.toml:1: tables nested deeper than 8");
        expect_err("\n[a.b.c.d.e.f.g.h]\ni.k = 1\n", "t.toml:3: tables nested deeper than 8");
        expect_err("a.b.c.d.e.f.g.h.i.k = 1\n", "t.toml:1: tables nested deeper than 8");

        /* Keys: 10000 fine, 10001 refused. */
        n = 0;
        for (unsigned i = 0; i < TOML_MAX_KEYS; i++)
                n += (size_t)snprintf(buf + n, big - n, "k%u=1\n", i);
        doc = parse_ok(buf);
        assert_int_equal(doc->root.nitems, TOML_MAX_KEYS);
        toml_free(doc);
        (void)snprintf(buf + n, big - n, "one-more=1\n");
        (void)snprintf(msg, sizeof(msg), "t.toml:%d: more than 10000 keys", TOML_MAX_KEYS + 1);
        expect_err(buf, msg);

        /* Array elements: 10000 fine, 10001 refused. */
        n = (size_t)snprintf(buf, big, "a = [\n");
        for (unsigned i = 0; i < TOML_MAX_ELEMS; i++)
                n += (size_t)snprintf(buf + n, big - n, "%u,\n", i);
        (void)snprintf(buf + n, big - n, "]\n");
        doc = parse_ok(buf);
        toml_free(doc);
        (void)snprintf(buf + n, big - n, "1]\n");
        (void)snprintf(msg, sizeof(msg), "t.toml:%d: more than 10000 array elements",
                       TOML_MAX_ELEMS + 2);
        expect_err(buf, msg);
        free(buf);
}

static void test_shown_key(void **state)
{
        char text[256];

        (void)state;
        /* Keys in messages are cut and have their control characters replaced. */
        (void)snprintf(text, sizeof(text), "\"a\\nb\" = 1\n\"a\\nb\" = 2\n");
        expect_err(text, "t.toml:2: duplicate key \"a?b\" (first at line 1)");
        memset(text, 'k', 100);
        (void)snprintf(text + 100, sizeof(text) - 100, " = 1\n");
        memcpy(text + 105, text, 105);
        text[210] = '\0';
        expect_err(text, "t.toml:2: duplicate key "
                         "\"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk...\" "
                         "(first at line 1)");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_reference),
                cmocka_unit_test(test_values),
                cmocka_unit_test(test_arrays),
                cmocka_unit_test(test_tables_and_keys),
                cmocka_unit_test(test_empty),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_nul),
                cmocka_unit_test(test_limits),
                cmocka_unit_test(test_shown_key),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
