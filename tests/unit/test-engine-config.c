/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nvidia-ctk runtime configure's editors (lib/engine): daemon.json (keys
 * kept in place, Go's indentation, invalid JSON refused with a position),
 * containerd's drop-in and the `imports` edit of its main config (missing
 * file, no imports, single- and multi-line arrays, comments, covered
 * already), the CRI-O drop-in, the atomic writer (mode kept, read-only
 * directory, nothing left behind) and the /dev/char relative links.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/toml.h"
#include "engine/devchar.h"
#include "engine/engine.h"

static const struct engine_runtime RT = { "nvidia", "nvidia-container-runtime", false, false };

static char *docker(const char *in, const struct engine_runtime *rt, int want)
{
        struct nvcr_err err = { 0 };
        char *out = NULL;
        int r = engine_docker_update("daemon.json", in, in != NULL ? strlen(in) : 0, rt, &out,
                                     &err);

        if (r != want)
                fail_msg("engine_docker_update: %d (%s), want %d", r, err.msg, want);
        if (r < 0) {
                assert_null(out);
                return strdup(err.msg);
        }
        return out;
}

static void test_docker_missing(void **state)
{
        char *out;

        (void)state;
        out = docker(NULL, &RT, 0);
        assert_string_equal(out, "{\n    \"runtimes\": {\n        \"nvidia\": {\n"
                                 "            \"args\": [],\n"
                                 "            \"path\": \"nvidia-container-runtime\"\n"
                                 "        }\n    }\n}\n");
        free(out);
        out = docker(" \n", &RT, 0);
        assert_non_null(strstr(out, "\"nvidia\""));
        free(out);
}

static void test_docker_keeps_keys(void **state)
{
        struct engine_runtime rt = { "nvidia", "/usr/bin/nvidia-container-runtime", true, true };
        char *out;

        (void)state;
        out = docker("{\"data-root\":\"/d\",\"runtimes\":{\"crun\":{\"path\":\"/c\"},"
                     "\"nvidia\":{\"path\":\"/old\",\"runtimeArgs\":[\"x\"]}},"
                     "\"log-opts\":{\"max-size\":\"10m\",\"n\":[1,2.5,true,null]},"
                     "\"features\":{\"buildkit\":false},\"html\":\"<&>\\u2028\\t\"}",
                     &rt, 0);
        assert_string_equal(out,
                            "{\n"
                            "    \"data-root\": \"/d\",\n"
                            "    \"runtimes\": {\n"
                            "        \"crun\": {\n"
                            "            \"path\": \"/c\"\n"
                            "        },\n"
                            "        \"nvidia\": {\n"
                            "            \"args\": [],\n"
                            "            \"path\": \"/usr/bin/nvidia-container-runtime\"\n"
                            "        }\n"
                            "    },\n"
                            "    \"log-opts\": {\n"
                            "        \"max-size\": \"10m\",\n"
                            "        \"n\": [\n"
                            "            1,\n"
                            "            2.5,\n"
                            "            true,\n"
                            "            null\n"
                            "        ]\n"
                            "    },\n"
                            "    \"features\": {\n"
                            "        \"buildkit\": false,\n"
                            "        \"cdi\": true\n"
                            "    },\n"
                            "    \"html\": \"\\u003c\\u0026\\u003e\\u2028\\t\",\n"
                            "    \"default-runtime\": \"nvidia\"\n"
                            "}\n");
        free(out);
}

static void test_docker_refused(void **state)
{
        static const struct {
                const char *in;
                const char *msg;
        } cases[] = {
                { "{\"a\": 1,, }", "daemon.json:1:9: invalid JSON" },
                { "{\n  \"a\": 1,\n  \"b\" 2\n}", "daemon.json:3:" },
                { "{\"a\": 1", "daemon.json:1:8: invalid JSON: unexpected end of input" },
                { "{\"a\": 1} {}", "daemon.json:1:10: invalid JSON" },
                { "[1, 2]", "daemon.json: not a JSON object" },
                { "\"x\"", "not a JSON object" },
                { "{\"runtimes\": []}", "\"runtimes\" is not a JSON object" },
                { "{\"a\": 1, /* c */ \"b\": 2}", "invalid JSON" },
        };
        struct engine_runtime rt = RT;

        (void)state;
        rt.enable_cdi = true;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *msg = docker(cases[i].in, &rt, -EINVAL);

                if (strstr(msg, cases[i].msg) == NULL)
                        fail_msg("case %zu: \"%s\" lacks \"%s\"", i, msg, cases[i].msg);
                free(msg);
        }
        {
                char *msg = docker("{\"features\": 1}", &rt, -EINVAL);

                assert_non_null(strstr(msg, "\"features\" is not a JSON object"));
                free(msg);
        }
}

/* ---------------------------------------------------------------- containerd */

#define DROPIN "/etc/containerd/conf.d/99-nvidia.toml"
#define IMPORT "/etc/containerd/conf.d/*.toml"

static char *imports(const char *in, int want)
{
        struct nvcr_err err = { 0 };
        char *out = NULL;
        int r = engine_containerd_imports("/etc/containerd/config.toml", in,
                                          in != NULL ? strlen(in) : 0, DROPIN, IMPORT, &out,
                                          &err);

        if (r != want)
                fail_msg("engine_containerd_imports: %d (%s), want %d", r, err.msg, want);
        if (r < 0)
                return strdup(err.msg);
        return out;
}

/* The result must still be TOML our parser reads, with imports covering the drop-in. */
static void assert_imports(const char *toml, const char *const *want)
{
        struct toml_doc *doc = NULL;
        struct nvcr_err err = { 0 };
        char **v = NULL;
        size_t i;

        if (toml_parse("out", toml, strlen(toml), &doc, &err) < 0)
                fail_msg("result does not parse: %s\n%s", err.msg, toml);
        assert_int_equal(toml_get_string_array(doc, NULL, "imports", &v, &err), 1);
        for (i = 0; want[i] != NULL; i++) {
                assert_non_null(v[i]);
                assert_string_equal(v[i], want[i]);
        }
        assert_null(v[i]);
        toml_strv_free(v);
        toml_free(doc);
}

static void test_imports_missing_file(void **state)
{
        char *out = imports(NULL, 0);

        (void)state;
        assert_string_equal(out, "version = 2\nimports = [\"" IMPORT "\"]\n");
        free(out);
}

static void test_imports_added(void **state)
{
        static const char *const want[] = { IMPORT, NULL };
        const char *in = "# containerd\nversion = 2\nroot = \"/var/lib/containerd\" # c\n\n"
                         "[grpc]\n  address = \"/run/containerd/containerd.sock\"\n";
        char *out = imports(in, 0);

        (void)state;
        assert_string_equal(out, "# containerd\nversion = 2\nroot = \"/var/lib/containerd\" # c\n"
                                 "imports = [\"" IMPORT "\"]\n\n"
                                 "[grpc]\n  address = \"/run/containerd/containerd.sock\"\n");
        assert_imports(out, want);
        free(out);

        /* No top-level key: before the first table; no newline at the end. */
        out = imports("[a]\nb = 1", 0);
        assert_string_equal(out, "imports = [\"" IMPORT "\"]\n[a]\nb = 1");
        free(out);
        out = imports("version = 2", 0);
        assert_string_equal(out, "version = 2\nimports = [\"" IMPORT "\"]\n");
        free(out);
        /* A multi-line value and a string holding '[' do not end the top level. */
        out = imports("x = [\n  \"[a]\",\n]\ny = '''\n[b]\n'''\n[c]\n", 0);
        assert_string_equal(out, "x = [\n  \"[a]\",\n]\ny = '''\n[b]\n'''\nimports = [\"" IMPORT
                                 "\"]\n[c]\n");
        free(out);
}

static void test_imports_extended(void **state)
{
        static const char *const want1[] = { "/a.toml", IMPORT, NULL };
        static const char *const want2[] = { "/a.toml", "/b.toml", IMPORT, NULL };
        char *out;

        (void)state;
        out = imports("version = 2\nimports = [\"/a.toml\"]\n[x]\n", 0);
        assert_string_equal(out, "version = 2\nimports = [\"/a.toml\", \"" IMPORT "\"]\n[x]\n");
        assert_imports(out, want1);
        free(out);

        out = imports("imports = []\n", 0);
        assert_string_equal(out, "imports = [\"" IMPORT "\"]\n");
        free(out);

        out = imports("imports = [ '/a.toml', ]\n", 0);
        assert_string_equal(out, "imports = [ '/a.toml', \"" IMPORT "\", ]\n");
        assert_imports(out, want1);
        free(out);

        out = imports("version = 2\nimports = [\n    \"/a.toml\", # first\n    \"/b.toml\"\n]\n"
                      "\n[plugins]\n",
                      0);
        assert_string_equal(out, "version = 2\nimports = [\n    \"/a.toml\", # first\n"
                                 "    \"/b.toml\",\n    \"" IMPORT "\"\n]\n\n[plugins]\n");
        assert_imports(out, want2);
        free(out);

        out = imports("imports = [\n  \"/a.toml\",\n  \"/b.toml\", # last\n]\n", 0);
        assert_string_equal(out, "imports = [\n  \"/a.toml\",\n  \"/b.toml\",\n  \"" IMPORT
                                 "\", # last\n]\n");
        assert_imports(out, want2);
        free(out);
}

static void test_imports_covered(void **state)
{
        static const char *const cases[] = {
                "imports = [\"" DROPIN "\"]\n",
                "imports = [\"/etc/containerd/conf.d/*.toml\"]\n",
                "imports = [\"/x.toml\", \"/etc/containerd/conf.d/99-*.toml\"]\n",
                "imports = [\"conf.d/*.toml\"]\n", /* relative to the main config */
        };
        char *out;

        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                out = imports(cases[i], 0);
                if (out != NULL)
                        fail_msg("case %zu changed: %s", i, out);
        }
        /* Only the top level counts. */
        out = imports("[a]\nimports = [\"" DROPIN "\"]\n", 0);
        assert_non_null(out);
        assert_string_equal(out, "imports = [\"" IMPORT "\"]\n[a]\nimports = [\"" DROPIN "\"]\n");
        free(out);
}

static void test_imports_refused(void **state)
{
        char *msg;

        (void)state;
        msg = imports("imports = \"/a.toml\"\n", -EINVAL);
        assert_non_null(strstr(msg, "imports is not an array of strings"));
        free(msg);
        msg = imports("imports = [1]\n", -EINVAL);
        assert_non_null(strstr(msg, "imports is not an array of strings"));
        free(msg);
        msg = imports("imports = [\"/a.toml\"\n", -EINVAL);
        assert_non_null(strstr(msg, "unterminated"));
        free(msg);
}

static void test_containerd_dropin(void **state)
{
        struct engine_runtime rt = { "nvidia", "/usr/bin/nvidia-container-runtime", true, true };
        struct toml_doc *doc = NULL;
        const struct toml_node *n;
        struct nvcr_err err = { 0 };
        char *out = NULL;

        (void)state;
        assert_int_equal(engine_containerd_dropin(&rt, NULL, 0, &out, &err), 0);
        assert_non_null(strstr(out, "version = 2\n"));
        assert_int_equal(toml_parse("dropin", out, strlen(out), &doc, &err), 0);
        /* Walk it: the table names hold dots. */
        n = toml_child(&doc->root, "plugins");
        n = toml_child(n, "io.containerd.grpc.v1.cri");
        assert_non_null(n);
        assert_true(toml_child(n, "enable_cdi")->boolean);
        n = toml_child(n, "containerd");
        assert_string_equal(toml_child(n, "default_runtime_name")->str, "nvidia");
        n = toml_child(toml_child(n, "runtimes"), "nvidia");
        assert_string_equal(toml_child(n, "runtime_type")->str, "io.containerd.runc.v2");
        assert_string_equal(toml_child(toml_child(n, "options"), "BinaryName")->str,
                            "/usr/bin/nvidia-container-runtime");
        toml_free(doc);
        free(out);

        rt.set_as_default = rt.enable_cdi = false;
        rt.name = "nv idia";
        rt.path = "/p/\"q\"";
        assert_int_equal(engine_containerd_dropin(&rt, NULL, 0, &out, &err), 0);
        assert_null(strstr(out, "enable_cdi"));
        assert_null(strstr(out, "default_runtime_name"));
        assert_non_null(strstr(out, ".containerd.runtimes.\"nv idia\".options]\n"));
        assert_non_null(strstr(out, "BinaryName = \"/p/\\\"q\\\"\"\n"));
        assert_int_equal(toml_parse("dropin", out, strlen(out), &doc, &err), 0);
        toml_free(doc);
        free(out);
}

/* The main config's runc settings and options are copied, BinaryName replaced. */
static void test_containerd_dropin_copies_runc(void **state)
{
        static const char *main_cfg =
                "version = 2\n"
                "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]\n"
                "  runtime_type = \"io.containerd.runc.v1\"\n"
                "  privileged_without_host_devices = true\n"
                "  pod_annotations = [\"a\", \"b\"]\n"
                "  [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\n"
                "    SystemdCgroup = true\n"
                "    BinaryName = \"/usr/sbin/runc\"\n"
                "    \"Odd Key\" = 3\n";
        struct engine_runtime rt = { "nvidia", "/usr/bin/nvidia-container-runtime", false, false };
        struct nvcr_err err = { 0 };
        char *out = NULL;

        (void)state;
        assert_int_equal(engine_containerd_dropin(&rt, main_cfg, strlen(main_cfg), &out, &err), 0);
        assert_non_null(strstr(out, ".containerd.runtimes.nvidia]\n"
                                    "          privileged_without_host_devices = true\n"
                                    "          pod_annotations = [\"a\", \"b\"]\n"
                                    "          runtime_type = \"io.containerd.runc.v2\"\n"));
        assert_non_null(strstr(out, ".containerd.runtimes.nvidia.options]\n"
                                    "            SystemdCgroup = true\n"
                                    "            \"Odd Key\" = 3\n"
                                    "            BinaryName = \"/usr/bin/nvidia-container-runtime\"\n"));
        assert_null(strstr(out, "/usr/sbin/runc"));
        free(out);
        /* What our parser cannot read contributes nothing (and is no error). */
        assert_int_equal(engine_containerd_dropin(&rt, "x = 1.5\n", 8, &out, &err), 0);
        assert_non_null(strstr(out, "runtime_root = \"\"\n"));
        free(out);
}

static void test_crio_dropin(void **state)
{
        struct engine_runtime rt = { "nvidia", "/usr/bin/nvidia-container-runtime", false, false };
        struct toml_doc *doc = NULL;
        struct nvcr_err err = { 0 };
        const char *s = NULL;
        char *out = NULL;

        (void)state;
        assert_int_equal(engine_crio_dropin(&rt, &out, &err), 0);
        assert_string_equal(out, "\n[crio]\n\n  [crio.runtime]\n\n    [crio.runtime.runtimes]\n\n"
                                 "      [crio.runtime.runtimes.nvidia]\n"
                                 "        runtime_path = \"/usr/bin/nvidia-container-runtime\"\n"
                                 "        runtime_type = \"oci\"\n");
        free(out);
        rt.set_as_default = true;
        assert_int_equal(engine_crio_dropin(&rt, &out, &err), 0);
        assert_int_equal(toml_parse("crio", out, strlen(out), &doc, &err), 0);
        assert_int_equal(toml_get_string(doc, "crio.runtime", "default_runtime", &s, &err), 1);
        assert_string_equal(s, "nvidia");
        assert_int_equal(toml_get_string(doc, "crio.runtime.runtimes.nvidia", "runtime_type", &s,
                                         &err),
                         1);
        assert_string_equal(s, "oci");
        toml_free(doc);
        free(out);
}

/* ---------------------------------------------------------------- files */

static int dir_setup(void **state)
{
        char *d = strdup("/tmp/test-engine.XXXXXX");

        if (d == NULL || mkdtemp(d) == NULL)
                return -1;
        *state = d;
        return 0;
}

static int dir_teardown(void **state)
{
        char cmd[256];

        (void)snprintf(cmd, sizeof(cmd), "chmod -R u+w %s; rm -rf %s", (char *)*state,
                       (char *)*state);
        free(*state);
        return system(cmd) == 0 ? 0 : -1;
}

static size_t count_entries(const char *dir)
{
        char cmd[256];
        FILE *p;
        size_t n = 0;
        int c;

        (void)snprintf(cmd, sizeof(cmd), "ls -A %s", dir);
        p = popen(cmd, "r");
        assert_non_null(p);
        while ((c = fgetc(p)) != EOF)
                n += c == '\n';
        pclose(p);
        return n;
}

static void test_write_read(void **state)
{
        const char *d = *state;
        struct nvcr_err err = { 0 };
        char path[256], link[256], sub[256];
        char *buf = NULL, *target = NULL;
        struct stat st;
        size_t len = 0;

        (void)snprintf(path, sizeof(path), "%s/a/b/daemon.json", d);
        assert_int_equal(engine_read_config(path, &buf, &len, &target, &err), 0);
        assert_null(buf);
        assert_string_equal(target, path);
        free(target);
        /* Missing parents are made. */
        assert_int_equal(engine_write_config(path, "{}\n", 3, &err), 0);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0644);
        /* The mode of the file replaced is kept. */
        assert_int_equal(chmod(path, 0600), 0);
        assert_int_equal(engine_write_config(path, "{\"a\":1}\n", 8, &err), 0);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        assert_int_equal(engine_read_config(path, &buf, &len, NULL, &err), 0);
        assert_string_equal(buf, "{\"a\":1}\n");
        assert_int_equal(len, 8);
        free(buf);
        (void)snprintf(sub, sizeof(sub), "%s/a/b", d);
        assert_int_equal(count_entries(sub), 1);

        /* A symlink: read through, the target is what gets written. */
        (void)snprintf(link, sizeof(link), "%s/link.json", d);
        assert_int_equal(symlink("a/b/daemon.json", link), 0);
        assert_int_equal(engine_read_config(link, &buf, &len, &target, &err), 0);
        assert_string_equal(buf, "{\"a\":1}\n");
        assert_non_null(strstr(target, "/a/b/daemon.json"));
        free(buf);
        free(target);
        /* A dangling one is refused. */
        assert_int_equal(unlink(path), 0);
        assert_true(engine_read_config(link, &buf, &len, &target, &err) < 0);
        assert_non_null(strstr(err.msg, "symlink"));
        /* Not a regular file. */
        assert_true(engine_read_config(d, &buf, &len, &target, &err) < 0);
        assert_non_null(strstr(err.msg, "not a regular file"));
}

static void test_write_readonly(void **state)
{
        const char *d = *state;
        struct nvcr_err err = { 0 };
        char path[256], ro[256];
        char *buf = NULL;
        bool mounted = false;

        (void)snprintf(ro, sizeof(ro), "%s/ro", d);
        (void)snprintf(path, sizeof(path), "%s/ro/daemon.json", d);
        assert_int_equal(mkdir(ro, 0755), 0);
        if (geteuid() == 0) {
                /* Root writes through any mode: a read-only mount, in a mount
                   namespace of this process alone. */
                if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
                    mount("tmpfs", ro, "tmpfs", 0, "mode=0755") < 0)
                        skip();
                mounted = true;
        }
        assert_int_equal(engine_write_config(path, "{}\n", 3, &err), 0);
        if (mounted)
                assert_int_equal(mount(NULL, ro, NULL, MS_REMOUNT | MS_RDONLY, NULL), 0);
        else
                assert_int_equal(chmod(ro, 0555), 0);
        assert_true(engine_write_config(path, "{\"x\":2}\n", 8, &err) < 0);
        assert_non_null(strstr(err.msg, "cannot create a temporary file"));
        assert_int_equal(count_entries(ro), 1);
        assert_int_equal(engine_read_config(path, &buf, NULL, NULL, &err), 0);
        assert_string_equal(buf, "{}\n");
        free(buf);
        /* A missing directory under it cannot be made either. */
        (void)snprintf(path, sizeof(path), "%s/ro/sub/daemon.json", d);
        assert_true(engine_write_config(path, "{}\n", 3, &err) < 0);
        assert_non_null(strstr(err.msg, "cannot create directory"));
        if (mounted)
                assert_int_equal(umount2(ro, MNT_DETACH), 0);
}

static void test_relpath(void **state)
{
        static const char *const cases[][3] = {
                { "/dev/char", "/dev/nvidia0", "../nvidia0" },
                { "/dev/char", "/dev/nvidia-caps/nvidia-cap1", "../nvidia-caps/nvidia-cap1" },
                { "/tmp/x/dc/char", "/tmp/x/sim/root/dev/nvidia0", "../../sim/root/dev/nvidia0" },
                { "/", "/dev/nvidia0", "dev/nvidia0" },
                { "/dev/char", "/dev/char/x", "x" },
                { "/devx/char", "/dev/nvidia0", "../../dev/nvidia0" },
        };

        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *r = devchar_relpath(cases[i][0], cases[i][1]);

                assert_non_null(r);
                if (strcmp(r, cases[i][2]) != 0)
                        fail_msg("relpath(%s, %s) = %s, want %s", cases[i][0], cases[i][1], r,
                                 cases[i][2]);
                free(r);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_docker_missing),
                cmocka_unit_test(test_docker_keeps_keys),
                cmocka_unit_test(test_docker_refused),
                cmocka_unit_test(test_imports_missing_file),
                cmocka_unit_test(test_imports_added),
                cmocka_unit_test(test_imports_extended),
                cmocka_unit_test(test_imports_covered),
                cmocka_unit_test(test_imports_refused),
                cmocka_unit_test(test_containerd_dropin),
                cmocka_unit_test(test_containerd_dropin_copies_runc),
                cmocka_unit_test(test_crio_dropin),
                cmocka_unit_test_setup_teardown(test_write_read, dir_setup, dir_teardown),
                cmocka_unit_test_setup_teardown(test_write_readonly, dir_setup, dir_teardown),
                cmocka_unit_test(test_relpath),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
