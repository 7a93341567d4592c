/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The OCI state a hook reads on stdin and the bundle's config.json: good
 * documents of runc, crun and pre-1.0 runtimes, every malformed case, the
 * file checks (symlink, FIFO, size) and the atomic rewrite.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "oci/spec.h"
#include "core/macro.h"
#include "oci/state.h"

/* ------------------------------------------------------------------ state */

static struct oci_state *state_ok(const char *json)
{
        struct nvcr_err err = { 0 };
        struct oci_state *st = NULL;
        int r = oci_state_parse(json, strlen(json), &st, &err);

        if (r != 0)
                print_error("%s: %d %s\n", json, r, err.msg);
        assert_int_equal(r, 0);
        assert_non_null(st);
        return st;
}

static void state_bad(const char *json, size_t len, int code, const char *needle)
{
        struct nvcr_err err = { 0 };
        struct oci_state *st = NULL;
        int r = oci_state_parse(json, len, &st, &err);

        if (r != -code || strstr(err.msg, needle) == NULL)
                print_error("%.*s: %d '%s' (want %d '%s')\n", (int)(len > 200 ? 200 : len),
                            json, r, err.msg, -code, needle);
        assert_int_equal(r, -code);
        assert_int_equal(err.code, code);
        assert_null(st);
        assert_non_null(strstr(err.msg, needle));
}

static void test_state_runc(void **state)
{
        struct oci_state *st;

        (void)state;
        st = state_ok("{\"ociVersion\":\"1.0.2-dev\",\"id\":\"t1\",\"status\":\"creating\","
                      "\"pid\":4242,\"bundle\":\"/tmp/engines/bundle-runc\","
                      "\"annotations\":{\"com.example.gpu\":\"all\",\"b\":\"\"}}");
        assert_int_equal(st->pid, 4242);
        assert_string_equal(st->bundle, "/tmp/engines/bundle-runc");
        assert_string_equal(st->id, "t1");
        assert_string_equal(st->status, "creating");
        assert_string_equal(st->oci_version, "1.0.2-dev");
        assert_int_equal(st->nannotations, 2);
        assert_string_equal(st->annotations[0].key, "com.example.gpu");
        assert_string_equal(st->annotations[0].value, "all");
        assert_string_equal(st->annotations[1].value, "");
        oci_state_free(st);
}

static void test_state_crun_and_legacy(void **state)
{
        struct oci_state *st;

        (void)state;
        /* crun adds "root"; ignored. */
        st = state_ok("{\"ociVersion\":\"1.0.0\",\"id\":\"c1\",\"status\":\"created\",\"pid\":7,"
                      "\"root\":\"rootfs\",\"bundle\":\"/b\"}\n");
        assert_int_equal(st->pid, 7);
        assert_string_equal(st->bundle, "/b");
        assert_null(st->annotations);
        oci_state_free(st);
        /* pre-1.0 "bundlePath" */
        st = state_ok("{\"pid\":1,\"bundlePath\":\"/var/lib/x//y/./z/\"}");
        assert_string_equal(st->bundle, "/var/lib/x/y/z");
        assert_null(st->id);
        assert_null(st->status);
        oci_state_free(st);
        /* "bundle" wins over "bundlePath"; an empty "bundle" falls back */
        st = state_ok("{\"pid\":1,\"bundle\":\"/new\",\"bundlePath\":\"/old\"}");
        assert_string_equal(st->bundle, "/new");
        oci_state_free(st);
        st = state_ok("{\"pid\":1,\"bundle\":\"\",\"bundlePath\":\"/old\"}");
        assert_string_equal(st->bundle, "/old");
        oci_state_free(st);
        /* null members are absent */
        st = state_ok("{\"pid\":1,\"bundle\":\"/b\",\"id\":null,\"annotations\":null}");
        assert_null(st->id);
        oci_state_free(st);
}

#define STATE_BAD(s, code, needle) state_bad(s, sizeof(s) - 1, code, needle)

static void test_state_malformed(void **state)
{
        (void)state;
        STATE_BAD("", EINVAL, "malformed JSON");
        STATE_BAD("{", EINVAL, "malformed JSON");
        STATE_BAD("{\"pid\":1,\"bundle\":\"/b\"", EINVAL, "malformed JSON");
        STATE_BAD("{\"pid\":1,\"bundle\":\"/b\"} x", EINVAL, "malformed JSON");
        STATE_BAD("{\"pid\":1,\"bundle\":\"/b\"}{}", EINVAL, "malformed JSON");
        STATE_BAD("{\"pid\":1,}", EINVAL, "malformed JSON");
        STATE_BAD("[1]", EINVAL, "not a JSON object");
        STATE_BAD("42", EINVAL, "not a JSON object");
        STATE_BAD("{\"pid\":1,\"bundle\":\"/b\"}\0", EINVAL, "NUL byte");
        STATE_BAD("{\"bundle\":\"/b\"}", EINVAL, "no pid");
        STATE_BAD("{\"pid\":null,\"bundle\":\"/b\"}", EINVAL, "no pid");
        STATE_BAD("{\"pid\":\"12\",\"bundle\":\"/b\"}", EINVAL, "pid is not an integer");
        STATE_BAD("{\"pid\":1.5,\"bundle\":\"/b\"}", EINVAL, "pid is not an integer");
        STATE_BAD("{\"pid\":1e3,\"bundle\":\"/b\"}", EINVAL, "pid is not an integer");
        STATE_BAD("{\"pid\":true,\"bundle\":\"/b\"}", EINVAL, "pid is not an integer");
        STATE_BAD("{\"pid\":0,\"bundle\":\"/b\"}", EINVAL, "out of range");
        STATE_BAD("{\"pid\":-5,\"bundle\":\"/b\"}", EINVAL, "out of range");
        STATE_BAD("{\"pid\":2147483648,\"bundle\":\"/b\"}", EINVAL, "out of range");
        STATE_BAD("{\"pid\":99999999999999999999999,\"bundle\":\"/b\"}", EINVAL, "out of range");
        STATE_BAD("{\"pid\":1}", EINVAL, "no bundle");
        STATE_BAD("{\"pid\":1,\"bundle\":\"\"}", EINVAL, "no bundle");
        STATE_BAD("{\"pid\":1,\"bundle\":7}", EINVAL, "bundle is not a string");
        STATE_BAD("{\"pid\":1,\"bundlePath\":[]}", EINVAL, "bundlePath is not a string");
        STATE_BAD("{\"pid\":1,\"bundle\":\"rel/b\"}", EINVAL, "not an absolute path");
        STATE_BAD("{\"pid\":1,\"bundle\":\"./b\"}", EINVAL, "not an absolute path");
        STATE_BAD("{\"pid\":1,\"bundle\":\"/a/../b\"}", EINVAL, "'..'");
        STATE_BAD("{\"pid\":1,\"bundle\":\"/a/..\"}", EINVAL, "'..'");
        STATE_BAD("{\"pid\":1,\"bundle\":\"/a/b\\u0000/c\"}", EINVAL, "NUL");
        STATE_BAD("{\"pid\":1,\"bundle\":\"/b\",\"id\":3}", EINVAL, "id is not a string");
        STATE_BAD("{\"pid\":1,\"bundle\":\"/b\",\"status\":{}}", EINVAL,
                  "status is not a string");
        STATE_BAD("{\"pid\":1,\"bundle\":\"/b\",\"annotations\":[]}", EINVAL,
                  "annotations is not an object");
        STATE_BAD("{\"pid\":1,\"bundle\":\"/b\",\"annotations\":{\"a\":1}}", EINVAL,
                  "value of 'a' is not a string");
}

static void test_state_size(void **state)
{
        char path[] = "/tmp/test-oci-state-XXXXXX";
        const char doc[] = "{\"pid\":3,\"bundle\":\"/b\"}";
        struct nvcr_err err = { 0 };
        struct oci_state *st = NULL;
        size_t len = OCI_STATE_MAX;
        char *buf = malloc(len + 2);
        int fd;

        (void)state;
        assert_non_null(buf);
        /* Exactly the limit: fine, from a buffer and from an fd. */
        memset(buf, ' ', len + 1);
        memcpy(buf, doc, sizeof(doc) - 1);
        assert_int_equal(oci_state_parse(buf, len, &st, &err), 0);
        oci_state_free(st);
        st = NULL;
        fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, buf, len), (ssize_t)len);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        assert_int_equal(oci_state_read_fd(fd, &st, &err), 0);
        assert_int_equal(st->pid, 3);
        oci_state_free(st);
        st = NULL;
        /* One byte more: -EFBIG, both ways. */
        assert_int_equal(oci_state_parse(buf, len + 1, &st, &err), -EFBIG);
        assert_non_null(strstr(err.msg, "larger than"));
        assert_int_equal(write(fd, " ", 1), 1);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        assert_int_equal(oci_state_read_fd(fd, &st, &err), -EFBIG);
        assert_null(st);
        (void)close(fd);
        (void)unlink(path);
        free(buf);
}

static void test_path_join_clean(void **state)
{
        struct nvcr_err err = { 0 };
        char *p = NULL;

        (void)state;
        assert_int_equal(oci_path_join_clean("/b", "rootfs", "x", &p, &err), 0);
        assert_string_equal(p, "/b/rootfs");
        free(p);
        assert_int_equal(oci_path_join_clean("/b/", "./r/./s//", "x", &p, &err), 0);
        assert_string_equal(p, "/b/r/s");
        free(p);
        assert_int_equal(oci_path_join_clean("/ignored", "/abs/./x", "x", &p, &err), 0);
        assert_string_equal(p, "/abs/x");
        free(p);
        assert_int_equal(oci_path_join_clean("/", ".", "x", &p, &err), 0);
        assert_string_equal(p, "/");
        free(p);
        p = NULL;
        assert_int_equal(oci_path_join_clean("/b", "../x", "root.path", &p, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "root.path '../x' has a '..' component"));
        assert_int_equal(oci_path_join_clean("/b/..", "x", "x", &p, &err), -EINVAL);
        assert_int_equal(oci_path_join_clean("b", "x", "x", &p, &err), -EINVAL);
        assert_int_equal(oci_path_join_clean(NULL, "x", "x", &p, &err), -EINVAL);
        assert_int_equal(oci_path_join_clean("/b", "x/..y/...", "x", &p, &err), 0);
        assert_string_equal(p, "/b/x/..y/...");
        free(p);
}

/* runc's filepath.Abs: relative to cwd, ".." pops a name, stays at "/". */
static void test_path_abs_lexical(void **state)
{
        static const struct {
                const char *cwd, *path, *want;
        } cases[] = {
                { "/srv", "bundle", "/srv/bundle" },
                { "/srv/x", "../b/./c/", "/srv/b/c" },
                { "/srv", ".", "/srv" },
                { "/", "../../..", "/" },
                { "/ignored", "/a/b/../../c", "/c" },
                { "/a", "b/..", "/a" },
                { "/a", "..x/...", "/a/..x/..." },
                { NULL, "//abs//x/..", "/abs" },
        };
        struct nvcr_err err = { 0 };
        char *p = NULL;

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                assert_int_equal(oci_path_abs_lexical(cases[i].cwd, cases[i].path, &p, &err), 0);
                assert_string_equal(p, cases[i].want);
                free(p);
                p = NULL;
        }
        assert_int_equal(oci_path_abs_lexical(NULL, "rel", &p, &err), -EINVAL);
        assert_int_equal(oci_path_abs_lexical("/a", "", &p, &err), -EINVAL);
        assert_null(p);
}

/* ------------------------------------------------------------------- spec */

#define GOOD_SPEC                                                                                  \
        "{\"ociVersion\":\"1.0.2\",\"x-unknown\":{\"keep\":[1,2.5,\"s\",null,true]},"             \
        "\"process\":{\"args\":[\"sh\"],\"env\":[\"PATH=/bin\",\"NOEQ\",5,\"=x\",\"EMPTY=\","      \
        "\"NVIDIA_VISIBLE_DEVICES=0,1\"],\"capabilities\":{\"bounding\":[\"CAP_CHOWN\","           \
        "\"CAP_SYS_ADMIN\"],\"effective\":[]}},"                                                   \
        "\"root\":{\"path\":\"rootfs\",\"readonly\":true},"                                         \
        "\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"            \
        "{\"destination\":\"/var/run/nvidia-container-devices/0\",\"source\":\"/dev/null\","      \
        "\"options\":[\"bind\"]},{\"destination\":\"/tmp\"}],"                                     \
        "\"annotations\":{\"k\":\"v\"},"                                                           \
        "\"hooks\":{\"prestart\":[{\"path\":\"/usr/bin/nvidia-container-runtime-hook\","           \
        "\"args\":[\"nvidia-container-runtime-hook\",\"prestart\"]},{\"path\":\"/bin/true\"}],"   \
        "\"poststop\":[{\"path\":\"/x\"}]}}"

static struct oci_spec *spec_ok(const char *json, const char *bundle)
{
        struct nvcr_err err = { 0 };
        struct oci_spec *spec = NULL;
        int r = spec_parse_buffer(json, strlen(json), bundle, &spec, &err);

        if (r != 0)
                print_error("%s: %d %s\n", json, r, err.msg);
        assert_int_equal(r, 0);
        return spec;
}

static void spec_bad(const char *json, int code, const char *needle)
{
        struct nvcr_err err = { 0 };
        struct oci_spec *spec = NULL;
        int r = spec_parse_buffer(json, strlen(json), "/bundle", &spec, &err);

        if (r != -code || strstr(err.msg, needle) == NULL)
                print_error("%s: %d '%s' (want %d '%s')\n", json, r, err.msg, -code, needle);
        assert_int_equal(r, -code);
        assert_int_equal(err.code, code);
        assert_null(spec);
}

static void test_spec_good(void **state)
{
        struct oci_spec *spec;

        (void)state;
        spec = spec_ok(GOOD_SPEC, "/run/b");
        assert_string_equal(spec->oci_version, "1.0.2");
        assert_string_equal(spec->rootfs, "/run/b/rootfs");
        assert_int_equal(spec->nenv, 3);
        assert_string_equal(spec->env[0], "PATH=/bin");
        assert_string_equal(spec->env[1], "EMPTY=");
        assert_string_equal(spec->env[2], "NVIDIA_VISIBLE_DEVICES=0,1");
        assert_true(spec->privileged);
        assert_int_equal(spec->nmounts, 3);
        assert_string_equal(spec->mounts[0].destination, "/proc");
        assert_string_equal(spec->mounts[0].type, "proc");
        assert_string_equal(spec->mounts[1].source, "/dev/null");
        assert_null(spec->mounts[1].type);
        assert_null(spec->mounts[2].source);
        assert_int_equal(spec->nannotations, 1);
        assert_string_equal(spec->annotations[0].value, "v");
        assert_int_equal(spec->nprestart, 2);
        assert_string_equal(spec->prestart[0].path, "/usr/bin/nvidia-container-runtime-hook");
        assert_int_equal(spec->prestart[0].nargs, 2);
        assert_string_equal(spec->prestart[0].args[1], "prestart");
        assert_null(spec->prestart[0].args[2]);
        assert_int_equal(spec->prestart[1].nargs, 0);
        assert_null(spec->prestart[1].args[0]);
        assert_int_equal(spec->ncreate_runtime, 0);
        assert_non_null(spec_get_root_object(spec));
        spec_free(spec);
}

static void test_spec_root_and_caps(void **state)
{
        struct oci_spec *spec;

        (void)state;
        /* absolute root.path, normalised, bundle unused */
        spec = spec_ok("{\"ociVersion\":\"1.0.0\",\"process\":{},\"root\":{\"path\":\"/x/./y//\"}}",
                       "/b");
        assert_string_equal(spec->rootfs, "/x/y");
        assert_false(spec->privileged);
        assert_int_equal(spec->nenv, 0);
        assert_int_equal(spec->nmounts, 0);
        spec_free(spec);
        /* "." is the bundle itself */
        spec = spec_ok("{\"ociVersion\":\"1\",\"process\":{},\"root\":{\"path\":\".\"}}", "/b");
        assert_string_equal(spec->rootfs, "/b");
        spec_free(spec);
        /* OCI rc1–rc4: capabilities as one list */
        spec = spec_ok("{\"ociVersion\":\"1.0.0-rc2\",\"process\":{\"capabilities\":"
                       "[\"CAP_KILL\",\"CAP_SYS_ADMIN\"]},\"root\":{\"path\":\"r\"}}",
                       "/b");
        assert_true(spec->privileged);
        spec_free(spec);
        spec = spec_ok("{\"ociVersion\":\"1.0.0-rc2\",\"process\":{\"capabilities\":"
                       "[\"CAP_KILL\",1]},\"root\":{\"path\":\"r\"}}",
                       "/b");
        assert_false(spec->privileged);
        spec_free(spec);
        /* CAP_SYS_ADMIN only in the effective set: not privileged */
        spec = spec_ok("{\"ociVersion\":\"1\",\"process\":{\"capabilities\":{\"effective\":"
                       "[\"CAP_SYS_ADMIN\"],\"bounding\":[\"CAP_KILL\"]}},\"root\":{\"path\":\"r\"}}",
                       "/b");
        assert_false(spec->privileged);
        spec_free(spec);
        spec = spec_ok("{\"ociVersion\":\"1\",\"process\":{\"capabilities\":{}},"
                       "\"root\":{\"path\":\"r\"}}",
                       "/b");
        assert_false(spec->privileged);
        spec_free(spec);
}

#define P "\"process\":{}"
#define R "\"root\":{\"path\":\"rootfs\"}"
#define V "\"ociVersion\":\"1.0.0\""

static void test_spec_malformed(void **state)
{
        (void)state;
        spec_bad("", EINVAL, "malformed JSON");
        spec_bad("{" V "," P "," R, EINVAL, "malformed JSON");
        spec_bad("[]", EINVAL, "not a JSON object");
        spec_bad("{" P "," R "}", EINVAL, "no ociVersion");
        spec_bad("{\"ociVersion\":1," P "," R "}", EINVAL, "ociVersion is not a string");
        spec_bad("{" V "," R "}", EINVAL, "no process");
        spec_bad("{" V ",\"process\":[]," R "}", EINVAL, "process is not an object");
        spec_bad("{" V "," P "}", EINVAL, "no root");
        spec_bad("{" V "," P ",\"root\":\"rootfs\"}", EINVAL, "root is not an object");
        spec_bad("{" V "," P ",\"root\":{}}", EINVAL, "no path");
        spec_bad("{" V "," P ",\"root\":{\"path\":\"\"}}", EINVAL, "no path");
        spec_bad("{" V "," P ",\"root\":{\"path\":3}}", EINVAL, "path is not a string");
        spec_bad("{" V "," P ",\"root\":{\"path\":\"..\"}}", EINVAL, "'..'");
        spec_bad("{" V "," P ",\"root\":{\"path\":\"../x\"}}", EINVAL, "'..'");
        spec_bad("{" V "," P ",\"root\":{\"path\":\"a/../b\"}}", EINVAL, "'..'");
        spec_bad("{" V "," P ",\"root\":{\"path\":\"/a/..\"}}", EINVAL, "'..'");
        spec_bad("{" V "," P ",\"root\":{\"path\":\"/\"}}", EINVAL, "resolves to /");
        spec_bad("{" V "," P ",\"root\":{\"path\":\"/./\"}}", EINVAL, "resolves to /");
        spec_bad("{" V "," P ",\"root\":{\"path\":\"r\\u0000x\"}}", EINVAL, "NUL");
        spec_bad("{" V ",\"process\":{\"env\":\"A=1\"}," R "}", EINVAL,
                 "process.env is not an array");
        spec_bad("{" V ",\"process\":{\"capabilities\":\"CAP_SYS_ADMIN\"}," R "}", EINVAL,
                 "neither an object nor a list");
        spec_bad("{" V ",\"process\":{\"capabilities\":{\"bounding\":{}}}," R "}", EINVAL,
                 "bounding is not an array");
        spec_bad("{" V "," P "," R ",\"mounts\":{}}", EINVAL, "mounts is not an array");
        spec_bad("{" V "," P "," R ",\"mounts\":[3]}", EINVAL, "mounts[0] is not an object");
        spec_bad("{" V "," P "," R ",\"mounts\":[{\"destination\":\"/a\"},{\"source\":\"/x\"}]}",
                 EINVAL, "mounts[1]: no destination");
        spec_bad("{" V "," P "," R ",\"mounts\":[{\"destination\":\"/a\",\"source\":1}]}", EINVAL,
                 "source is not a string");
        spec_bad("{" V "," P "," R ",\"annotations\":{\"a\":{}}}", EINVAL,
                 "value of 'a' is not a string");
        spec_bad("{" V "," P "," R ",\"hooks\":[]}", EINVAL, "hooks is not an object");
        spec_bad("{" V "," P "," R ",\"hooks\":{\"prestart\":{}}}", EINVAL,
                 "hooks.prestart is not an array");
        spec_bad("{" V "," P "," R ",\"hooks\":{\"prestart\":[{\"args\":[]}]}}", EINVAL,
                 "hooks.prestart[0]: no path");
        spec_bad("{" V "," P "," R ",\"hooks\":{\"createRuntime\":[{\"path\":\"/x\",\"args\":[1]}]}}",
                 EINVAL, "args[0] is not a string");
        spec_bad("{" V "," P "," R "} {}", EINVAL, "malformed JSON");
}

static void test_spec_huge_buffer(void **state)
{
        struct nvcr_err err = { 0 };
        struct oci_spec *spec = NULL;

        (void)state;
        /* The size check comes before anything reads the buffer. */
        assert_int_equal(spec_parse_buffer("", (size_t)OCI_SPEC_MAX + 1, "/b", &spec, &err),
                         -EFBIG);
        assert_null(spec);
        assert_non_null(strstr(err.msg, "larger than"));
}

/* --------------------------------------------------------- bundle on disk */

struct bundle {
        char dir[64];
        int fd;
};

static int bundle_setup(void **state)
{
        struct bundle *b = calloc(1, sizeof(*b));

        assert_non_null(b);
        strcpy(b->dir, "/tmp/test-oci-bundle-XXXXXX");
        assert_non_null(mkdtemp(b->dir));
        b->fd = spec_open_bundle(b->dir, NULL);
        assert_true(b->fd >= 0);
        *state = b;
        return 0;
}

static int bundle_teardown(void **state)
{
        struct bundle *b = *state;
        char cmd[128];

        (void)close(b->fd);
        (void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", b->dir);
        assert_int_equal(system(cmd), 0);
        free(b);
        return 0;
}

static void put_file(const struct bundle *b, const char *name, const char *text)
{
        int fd = openat(b->fd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        (void)close(fd);
}

/* Entries of the bundle dir other than "." and "..", config.json and rootfs. */
static int stray_files(const struct bundle *b)
{
        DIR *d = opendir(b->dir);
        struct dirent *e;
        int n = 0;

        assert_non_null(d);
        while ((e = readdir(d)) != NULL) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
                    strcmp(e->d_name, "config.json") == 0 || strcmp(e->d_name, "rootfs") == 0 ||
                    strcmp(e->d_name, "other.json") == 0)
                        continue;
                print_error("stray: %s\n", e->d_name);
                n++;
        }
        (void)closedir(d);
        return n;
}

static void test_bundle_load(void **state)
{
        struct bundle *b = *state;
        struct nvcr_err err = { 0 };
        struct oci_spec *spec = NULL;
        char want[128];

        put_file(b, "config.json", GOOD_SPEC);
        assert_int_equal(spec_load(b->fd, b->dir, &spec, &err), 0);
        (void)snprintf(want, sizeof(want), "%s/rootfs", b->dir);
        assert_string_equal(spec->rootfs, want);
        assert_true(spec->privileged);
        spec_free(spec);
}

static void test_bundle_refusals(void **state)
{
        struct bundle *b = *state;
        struct nvcr_err err = { 0 };
        struct oci_spec *spec = NULL;
        int fd;

        /* missing */
        assert_int_equal(spec_load(b->fd, b->dir, &spec, &err), -ENOENT);
        assert_non_null(strstr(err.msg, "config.json"));
        /* a symlink to a good file is refused */
        put_file(b, "other.json", GOOD_SPEC);
        assert_int_equal(symlinkat("other.json", b->fd, "config.json"), 0);
        assert_int_equal(spec_load(b->fd, b->dir, &spec, &err), -ELOOP);
        assert_null(spec);
        assert_int_equal(unlinkat(b->fd, "config.json", 0), 0);
        /* a FIFO: refused at once, never blocks */
        assert_int_equal(mkfifoat(b->fd, "config.json", 0600), 0);
        assert_int_equal(spec_load(b->fd, b->dir, &spec, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "not a regular file"));
        assert_int_equal(unlinkat(b->fd, "config.json", 0), 0);
        /* a directory */
        assert_int_equal(mkdirat(b->fd, "config.json", 0700), 0);
        assert_int_equal(spec_load(b->fd, b->dir, &spec, &err), -EINVAL);
        assert_int_equal(unlinkat(b->fd, "config.json", AT_REMOVEDIR), 0);
        /* larger than 16 MiB (sparse) */
        fd = openat(b->fd, "config.json", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, (off_t)OCI_SPEC_MAX + 1), 0);
        (void)close(fd);
        assert_int_equal(spec_load(b->fd, b->dir, &spec, &err), -EFBIG);
        assert_non_null(strstr(err.msg, "larger than"));
        assert_null(spec);
        /* bundle path checks */
        assert_int_equal(spec_open_bundle("rel", &err), -EINVAL);
        assert_int_equal(spec_open_bundle("/tmp/../tmp", &err), -EINVAL);
        assert_int_equal(spec_open_bundle("/nonexistent-bundle-dir", &err), -ENOENT);
}

static void test_write_atomic(void **state)
{
        struct bundle *b = *state;
        struct nvcr_err err = { 0 };
        struct oci_spec *spec = NULL, *again = NULL;
        struct json_object *root, *hooks = NULL, *prestart = NULL, *h, *x = NULL;
        struct stat st;

        put_file(b, "config.json", GOOD_SPEC);
        assert_int_equal(spec_load(b->fd, b->dir, &spec, &err), 0);
        root = spec_get_root_object(spec);
        /* the runtime shim's kind of edit: append a prestart hook */
        assert_true(json_object_object_get_ex(root, "hooks", &hooks));
        assert_true(json_object_object_get_ex(hooks, "prestart", &prestart));
        h = json_object_new_object();
        json_object_object_add(h, "path", json_object_new_string("/usr/bin/nvcr-hook"));
        assert_int_equal(json_object_array_add(prestart, h), 0);
        assert_int_equal(spec_write_atomic(b->fd, spec, &err), 0);
        assert_int_equal(stray_files(b), 0);
        assert_int_equal(fstatat(b->fd, "config.json", &st, AT_SYMLINK_NOFOLLOW), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(st.st_mode & 0777, 0644);

        assert_int_equal(spec_load(b->fd, b->dir, &again, &err), 0);
        assert_int_equal(again->nprestart, 3);
        assert_string_equal(again->prestart[2].path, "/usr/bin/nvcr-hook");
        /* unknown fields survive, byte for byte in meaning */
        assert_true(json_object_object_get_ex(spec_get_root_object(again), "x-unknown", &x));
        assert_string_equal(json_object_to_json_string_ext(x, JSON_C_TO_STRING_PLAIN),
                            "{\"keep\":[1,2.5,\"s\",null,true]}");
        assert_true(json_object_equal(spec_get_root_object(spec), spec_get_root_object(again)));
        spec_free(again);

        /* failure: config.json became a (non-empty) directory; rename fails */
        assert_int_equal(unlinkat(b->fd, "config.json", 0), 0);
        assert_int_equal(mkdirat(b->fd, "config.json", 0700), 0);
        assert_int_equal(mkdirat(b->fd, "config.json/sub", 0700), 0);
        assert_true(spec_write_atomic(b->fd, spec, &err) < 0);
        assert_non_null(strstr(err.msg, "config.json"));
        assert_int_equal(stray_files(b), 0);
        spec_free(spec);
        assert_int_equal(unlinkat(b->fd, "config.json/sub", AT_REMOVEDIR), 0);
        assert_int_equal(unlinkat(b->fd, "config.json", AT_REMOVEDIR), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_state_runc),
                cmocka_unit_test(test_state_crun_and_legacy),
                cmocka_unit_test(test_state_malformed),
                cmocka_unit_test(test_state_size),
                cmocka_unit_test(test_path_join_clean),
                cmocka_unit_test(test_spec_good),
                cmocka_unit_test(test_spec_root_and_caps),
                cmocka_unit_test(test_spec_malformed),
                cmocka_unit_test(test_spec_huge_buffer),
                cmocka_unit_test(test_path_abs_lexical),
                cmocka_unit_test_setup_teardown(test_bundle_load, bundle_setup, bundle_teardown),
                cmocka_unit_test_setup_teardown(test_bundle_refusals, bundle_setup,
                                                bundle_teardown),
                cmocka_unit_test_setup_teardown(test_write_atomic, bundle_setup, bundle_teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
