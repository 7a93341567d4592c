/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CDI spec files: the reference's generated shape parses, JSON and YAML
 * round trips (strings YAML would misread included), the minimum cdiVersion,
 * every refusal of a hostile spec, and the spec-dir registry (priorities,
 * conflicts, skipped files, unresolvable names).
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
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cdi/registry.h"
#include "cdi/spec.h"

/* The shape of `nvidia-ctk cdi generate` output (generate_test.go). */
static const char reference_yaml[] =
        "---\n"
        "cdiVersion: 0.5.0\n"
        "containerEdits:\n"
        "  deviceNodes:\n"
        "  - path: /dev/nvidiactl\n"
        "  - path: /dev/nvidia-uvm\n"
        "  - path: /dev/nvidia-uvm-tools\n"
        "  - path: /dev/nvidia-modeset\n"
        "  env:\n"
        "  - NVIDIA_CTK_LIBCUDA_DIR=/lib/x86_64-linux-gnu\n"
        "  - NVIDIA_VISIBLE_DEVICES=void\n"
        "  hooks:\n"
        "  - args:\n"
        "    - nvidia-cdi-hook\n"
        "    - create-symlinks\n"
        "    - --link\n"
        "    - libcuda.so.1::/lib/x86_64-linux-gnu/libcuda.so\n"
        "    env:\n"
        "    - NVIDIA_CTK_DEBUG=false\n"
        "    hookName: createContainer\n"
        "    path: /usr/bin/nvidia-cdi-hook\n"
        "  - args:\n"
        "    - nvidia-cdi-hook\n"
        "    - enable-cuda-compat\n"
        "    - --host-driver-version=999.88.77\n"
        "    hookName: createContainer\n"
        "    path: /usr/bin/nvidia-cdi-hook\n"
        "  - args: [nvidia-cdi-hook, update-ldcache, --folder, /lib/x86_64-linux-gnu]\n"
        "    hookName: createContainer\n"
        "    path: /usr/bin/nvidia-cdi-hook\n"
        "  mounts:\n"
        "  - containerPath: /lib/x86_64-linux-gnu/libcuda.so.999.88.77\n"
        "    hostPath: /lib/x86_64-linux-gnu/libcuda.so.999.88.77\n"
        "    options:\n"
        "    - ro\n"
        "    - nosuid\n"
        "    - nodev\n"
        "    - rbind\n"
        "    - rprivate\n"
        "devices:\n"
        "- containerEdits:\n"
        "    deviceNodes:\n"
        "    - path: /dev/nvidia0\n"
        "      major: 195\n"
        "      minor: 0\n"
        "      fileMode: 438\n"
        "      type: c\n"
        "      gid: 44\n"
        "    - path: /dev/dri/card1\n"
        "  name: \"0\"\n"
        "- containerEdits:\n"
        "    deviceNodes:\n"
        "    - path: /dev/nvidia0\n"
        "  name: GPU-4cf8db2d-06c0-7d70-1a51-e59b25b2c16c\n"
        "- containerEdits:\n"
        "    deviceNodes:\n"
        "    - path: /dev/nvidia0\n"
        "    - path: /dev/dri/card1\n"
        "  name: all\n"
        "kind: nvidia.com/gpu\n";

static void parse_ok(const char *text, enum cdi_format fmt, struct cdi_spec *spec)
{
        struct nvcr_err err = {0};
        int r = cdi_spec_parse(text, strlen(text), fmt, "t.yaml", spec, &err);

        if (r < 0)
                fail_msg("unexpected error: %s", err.msg);
}

static void expect_err(const char *text, enum cdi_format fmt, int code, const char *msg)
{
        struct nvcr_err err = {0};
        struct cdi_spec spec;
        int r = cdi_spec_parse(text, strlen(text), fmt, "t.spec", &spec, &err);

        if (r != -code || strstr(err.msg, msg) == NULL)
                fail_msg("for:\n%s\nwant %d '%s', got %d '%s'", text, -code, msg, r, err.msg);
        assert_null(spec.kind);
        assert_int_equal(spec.ndevices, 0);
}

static void test_reference_shape(void **state)
{
        struct cdi_spec s;

        (void)state;
        parse_ok(reference_yaml, CDI_FORMAT_YAML, &s);
        assert_string_equal(s.cdi_version, "0.5.0");
        assert_string_equal(s.kind, "nvidia.com/gpu");
        assert_int_equal(s.ndevices, 3);
        assert_string_equal(s.devices[0].name, "0");
        assert_string_equal(s.devices[1].name, "GPU-4cf8db2d-06c0-7d70-1a51-e59b25b2c16c");
        assert_string_equal(s.devices[2].name, "all");
        assert_int_equal(s.edits.nnodes, 4);
        assert_int_equal(s.edits.nenv, 2);
        assert_string_equal(s.edits.env[1], "NVIDIA_VISIBLE_DEVICES=void");
        assert_int_equal(s.edits.nhooks, 3);
        assert_string_equal(s.edits.hooks[0].hook_name, "createContainer");
        assert_string_equal(s.edits.hooks[0].args[2], "--link");
        assert_string_equal(s.edits.hooks[2].args[3], "/lib/x86_64-linux-gnu");
        assert_string_equal(s.edits.hooks[0].env[0], "NVIDIA_CTK_DEBUG=false");
        assert_int_equal(s.edits.nmounts, 1);
        assert_string_equal(s.edits.mounts[0].options[4], "rprivate");
        assert_null(s.edits.mounts[0].options[5]);
        assert_int_equal(s.devices[0].edits.nodes[0].major, 195);
        assert_int_equal(s.devices[0].edits.nodes[0].minor, 0);
        assert_int_equal(s.devices[0].edits.nodes[0].file_mode, 0666);
        assert_int_equal(s.devices[0].edits.nodes[0].type, 'c');
        assert_int_equal(s.devices[0].edits.nodes[0].gid, 44);
        assert_int_equal(s.devices[0].edits.nodes[0].uid, -1);
        assert_int_equal(s.devices[0].edits.nodes[1].major, -1);
        assert_string_equal(cdi_spec_min_version(&s), "0.5.0");
        cdi_spec_clear(&s);
}

static char *text_of(const struct cdi_spec *s, enum cdi_format f)
{
        struct nvcr_err err = {0};
        char *t = NULL;

        if (cdi_spec_to_text(s, f, &t, NULL, &err) < 0)
                fail_msg("to_text: %s", err.msg);
        return t;
}

/* text -> spec -> text in both formats must be a fixed point, and YAML must carry what JSON does. */
static void roundtrip(const struct cdi_spec *s)
{
        char *json = text_of(s, CDI_FORMAT_JSON), *yaml = text_of(s, CDI_FORMAT_YAML);
        struct cdi_spec a, b;
        char *json2, *json3, *yaml2;

        parse_ok(json, CDI_FORMAT_JSON, &a);
        parse_ok(yaml, CDI_FORMAT_YAML, &b);
        json2 = text_of(&a, CDI_FORMAT_JSON);
        json3 = text_of(&b, CDI_FORMAT_JSON);
        yaml2 = text_of(&b, CDI_FORMAT_YAML);
        if (strcmp(json, json2) != 0 || strcmp(json, json3) != 0 || strcmp(yaml, yaml2) != 0)
                fail_msg("round trip differs:\n%s\n--\n%s\n--\n%s\n--\n%s", json, json3, yaml,
                         yaml2);
        free(json);
        free(json2);
        free(json3);
        free(yaml);
        free(yaml2);
        cdi_spec_clear(&a);
        cdi_spec_clear(&b);
}

static void test_roundtrip_reference(void **state)
{
        struct cdi_spec s;

        (void)state;
        parse_ok(reference_yaml, CDI_FORMAT_YAML, &s);
        roundtrip(&s);
        cdi_spec_clear(&s);
}

/* Strings a YAML reader would take for a number, boolean, null or syntax. */
static const char *const tricky[] = {
        "0",      "007",     "08",     "1.5",     "1e3",        "-1",      "0x1F",    "yes",
        "No",     "on",      "OFF",    "y",       "true",       "null",    "~",       "",
        " lead",  "trail ",  "a: b",   "a #b",    "#x",         "-",       "---x",    "- x",
        "[x]",    "{x}",     "a,b",    "*x",      "&x",         "!x",      "%x",      "@x",
        "`x",     "|x",      ">x",     "'q'",     "\"dq\"",     "x\ny",    "tab\tx",  "é ü",
        "\x01\x7f", "back\\slash", ".inf", ".nan", "0b101", "0o17", "1_000", "?x", ":x", "x:",
        NULL,
};

static void test_roundtrip_tricky(void **state)
{
        struct nvcr_err err = {0};
        struct cdi_spec s = {.kind = strdup("example.com/net-x.y")};
        size_t n = 0;

        (void)state;
        while (tricky[n] != NULL)
                n++;
        s.devices = calloc(1, sizeof(*s.devices));
        s.ndevices = 1;
        s.devices[0].name = strdup("dev_0:1.a-b");
        s.nannotations = 1;
        s.annotations = calloc(1, sizeof(*s.annotations));
        s.annotations[0].key = strdup("example.com/key");
        s.annotations[0].value = strdup("yes");
        for (size_t i = 0; i < n; i++) {
                char kv[64];
                struct cdi_hook h = {.hook_name = (char *)"createContainer",
                                     .path = (char *)"/bin/h",
                                     .args = (char *[]){(char *)tricky[i], NULL},
                                     .timeout = 5};

                (void)snprintf(kv, sizeof(kv), "K%zu=%s", i, tricky[i]);
                assert_int_equal(cdi_edits_add_env(&s.devices[0].edits, kv, &err), 0);
                assert_int_equal(cdi_edits_add_hook(&s.edits, &h, &err), 0);
        }
        {
                struct cdi_device_node nd = {.path = (char *)"/dev/x", .host_path = (char *)"/dev/y",
                                             .type = 'c', .major = 1, .minor = 3,
                                             .file_mode = 0640, .permissions = (char *)"rw",
                                             .uid = 0, .gid = 5};
                struct cdi_mount m = {.host_path = (char *)"tmpfs", .container_path = (char *)"/t",
                                      .type = (char *)"tmpfs",
                                      .options = (char *[]){(char *)"size=1m", NULL}};

                assert_int_equal(cdi_edits_add_node(&s.devices[0].edits, &nd, &err), 0);
                assert_int_equal(cdi_edits_add_mount(&s.edits, &m, &err), 0);
        }
        assert_int_equal(cdi_spec_validate(&(struct cdi_spec){.cdi_version = (char *)"0.6.0",
                                                              .kind = s.kind,
                                                              .devices = s.devices,
                                                              .ndevices = 1,
                                                              .edits = s.edits},
                                           "x", &err),
                         0);
        roundtrip(&s);
        /* The parsed values are the very strings. */
        {
                char *yaml = text_of(&s, CDI_FORMAT_YAML);
                struct cdi_spec b;

                parse_ok(yaml, CDI_FORMAT_YAML, &b);
                for (size_t i = 0; i < n; i++)
                        assert_string_equal(b.edits.hooks[i].args[0], tricky[i]);
                assert_string_equal(b.annotations[0].value, "yes");
                assert_string_equal(b.cdi_version, "0.6.0");
                free(yaml);
                cdi_spec_clear(&b);
        }
        cdi_spec_clear(&s);
}

static void test_min_version(void **state)
{
        struct nvcr_err err = {0};
        struct cdi_device_node nd = {.path = (char *)"/dev/x", .major = -1, .minor = -1,
                                     .uid = -1, .gid = -1};
        struct cdi_spec s = {0};

        (void)state;
        s.kind = strdup("nvidia.com/gpu");
        s.devices = calloc(1, sizeof(*s.devices));
        s.ndevices = 1;
        s.devices[0].name = strdup("gpu0");
        assert_int_equal(cdi_edits_add_node(&s.devices[0].edits, &nd, &err), 0);
        assert_string_equal(cdi_spec_min_version(&s), "0.3.0");
        free(s.devices[0].name);
        s.devices[0].name = strdup("0");
        assert_string_equal(cdi_spec_min_version(&s), "0.5.0");
        free(s.devices[0].name);
        s.devices[0].name = strdup("gpu0");
        s.devices[0].edits.nodes[0].host_path = strdup("/dev/y");
        assert_string_equal(cdi_spec_min_version(&s), "0.5.0");
        free(s.devices[0].edits.nodes[0].host_path);
        s.devices[0].edits.nodes[0].host_path = NULL;
        {
                struct cdi_mount m = {.host_path = (char *)"/a", .container_path = (char *)"/a",
                                      .type = (char *)"bind"};

                assert_int_equal(cdi_edits_add_mount(&s.edits, &m, &err), 0);
                assert_string_equal(cdi_spec_min_version(&s), "0.4.0");
        }
        free(s.kind);
        s.kind = strdup("nvidia.com/gpu.x");
        assert_string_equal(cdi_spec_min_version(&s), "0.6.0");
        s.gids = calloc(1, sizeof(*s.gids));
        s.ngids = 1;
        assert_string_equal(cdi_spec_min_version(&s), "0.7.0");
        cdi_spec_clear(&s);
}

#define SPEC_HEAD "{\"cdiVersion\":\"0.5.0\",\"kind\":\"nvidia.com/gpu\","
#define DEV(edits) "\"devices\":[{\"name\":\"0\",\"containerEdits\":" edits "}]}"

static void test_hostile_paths(void **state)
{
        (void)state;
        expect_err(SPEC_HEAD DEV("{\"deviceNodes\":[{\"path\":\"/dev/../etc/shadow\"}]}"),
                   CDI_FORMAT_JSON, EINVAL,
                   "t.spec: device \"0\": device node path \"/dev/../etc/shadow\" has a \"..\" "
                   "component (refused)");
        expect_err(SPEC_HEAD DEV("{\"deviceNodes\":[{\"path\":\"/dev/x\",\"hostPath\":\"/a/..\"}]}"),
                   CDI_FORMAT_JSON, EINVAL, "device node hostPath \"/a/..\" has a \"..\"");
        expect_err(SPEC_HEAD DEV("{\"deviceNodes\":[{\"path\":\"dev/x\"}]}"), CDI_FORMAT_JSON,
                   EINVAL, "device node path \"dev/x\" is not an absolute path");
        expect_err(SPEC_HEAD DEV("{\"mounts\":[{\"hostPath\":\"/a\",\"containerPath\":\"../x\"}]}"),
                   CDI_FORMAT_JSON, EINVAL, "mount containerPath \"../x\" is not an absolute");
        expect_err(SPEC_HEAD DEV("{\"mounts\":[{\"hostPath\":\"lib/a\",\"containerPath\":\"/x\"}]}"),
                   CDI_FORMAT_JSON, EINVAL, "mount hostPath \"lib/a\" is not an absolute path");
        expect_err(SPEC_HEAD DEV("{\"mounts\":[{\"hostPath\":\"/a/../../b\",\"containerPath\":\"/x\"}]}"),
                   CDI_FORMAT_JSON, EINVAL, "has a \"..\" component");
        expect_err(SPEC_HEAD DEV("{\"mounts\":[{\"hostPath\":\"..\",\"containerPath\":\"/x\","
                                 "\"type\":\"tmpfs\"}]}"),
                   CDI_FORMAT_JSON, EINVAL, "mount hostPath \"..\" has a \"..\"");
        expect_err(SPEC_HEAD DEV("{\"mounts\":[{\"hostPath\":\"/a\"}]}"), CDI_FORMAT_JSON, EINVAL,
                   "mount containerPath is empty");
        expect_err(SPEC_HEAD DEV("{\"hooks\":[{\"hookName\":\"createContainer\",\"path\":\"h\"}]}"),
                   CDI_FORMAT_JSON, EINVAL, "hook path \"h\" is not an absolute path");
        expect_err(SPEC_HEAD DEV("{\"hooks\":[{\"hookName\":\"createContainer\","
                                 "\"path\":\"/usr/../tmp/h\"}]}"),
                   CDI_FORMAT_JSON, EINVAL, "hook path \"/usr/../tmp/h\" has a \"..\"");
        /* Common edits are checked as well, named as such. */
        expect_err(SPEC_HEAD "\"containerEdits\":{\"deviceNodes\":[{\"path\":\"/dev/..\"}]},"
                   DEV("{\"env\":[\"A=1\"]}"),
                   CDI_FORMAT_JSON, EINVAL, "t.spec: containerEdits: device node path \"/dev/..\"");
        /* A ".." inside a name is fine. */
        {
                struct cdi_spec s;

                parse_ok(SPEC_HEAD DEV("{\"deviceNodes\":[{\"path\":\"/dev/a..b/..c\"}]}"),
                         CDI_FORMAT_JSON, &s);
                cdi_spec_clear(&s);
        }
}

static void test_hostile_content(void **state)
{
        (void)state;
        expect_err(SPEC_HEAD "\"devices\":[{\"name\":\"0\",\"containerEdits\":{\"env\":[\"A=1\"]}},"
                             "{\"name\":\"0\",\"containerEdits\":{\"env\":[\"A=1\"]}}]}",
                   CDI_FORMAT_JSON, EINVAL, "t.spec: invalid spec, multiple device \"0\"");
        expect_err("{\"cdiVersion\":\"0.5.0\",\"kind\":\"nvidia.com\"," DEV("{\"env\":[\"A=1\"]}"),
                   CDI_FORMAT_JSON, EINVAL, "invalid kind \"nvidia.com\": not vendor/class");
        expect_err("{\"cdiVersion\":\"0.5.0\",\"kind\":\"nvidia.com/gp u\"," DEV("{\"env\":[\"A=1\"]}"),
                   CDI_FORMAT_JSON, EINVAL, "invalid character ' ' in class");
        expect_err("{\"cdiVersion\":\"0.5.0\",\"kind\":\"1vidia.com/gpu\"," DEV("{\"env\":[\"A=1\"]}"),
                   CDI_FORMAT_JSON, EINVAL, "should start with a letter");
        expect_err("{\"cdiVersion\":\"0.5.0\",\"kind\":\"nvidia.com/gpu-\"," DEV("{\"env\":[\"A=1\"]}"),
                   CDI_FORMAT_JSON, EINVAL, "should end with a letter or digit");
        expect_err("{\"cdiVersion\":\"0.5.0\",\"kind\":\"a/b/c\"," DEV("{\"env\":[\"A=1\"]}"),
                   CDI_FORMAT_JSON, EINVAL, "invalid character '/' in class");
        expect_err(SPEC_HEAD "\"devices\":[{\"name\":\"a/b\",\"containerEdits\":{\"env\":[\"A=1\"]}}]}",
                   CDI_FORMAT_JSON, EINVAL, "invalid character '/' in device name \"a/b\"");
        expect_err(SPEC_HEAD "\"devices\":[{\"name\":\"x=y\",\"containerEdits\":{\"env\":[\"A=1\"]}}]}",
                   CDI_FORMAT_JSON, EINVAL, "invalid character '=' in device name");
        expect_err(SPEC_HEAD "\"devices\":[{\"name\":\"-a\",\"containerEdits\":{\"env\":[\"A=1\"]}}]}",
                   CDI_FORMAT_JSON, EINVAL, "should start with a letter or digit");
        expect_err(SPEC_HEAD "\"devices\":[{\"name\":\"\",\"containerEdits\":{\"env\":[\"A=1\"]}}]}",
                   CDI_FORMAT_JSON, EINVAL, "invalid (empty) device name");
        expect_err(SPEC_HEAD "\"devices\":[]}", CDI_FORMAT_JSON, EINVAL, "invalid spec, no devices");
        expect_err(SPEC_HEAD "\"devices\":[{\"name\":\"0\",\"containerEdits\":{}}]}", CDI_FORMAT_JSON,
                   EINVAL, "device \"0\": invalid device, empty device edits");
        expect_err("{\"cdiVersion\":\"9.9.9\",\"kind\":\"nvidia.com/gpu\"," DEV("{\"env\":[\"A=1\"]}"),
                   CDI_FORMAT_JSON, EINVAL, "t.spec: unsupported cdiVersion \"9.9.9\"");
        expect_err("{\"kind\":\"nvidia.com/gpu\"," DEV("{\"env\":[\"A=1\"]}"), CDI_FORMAT_JSON,
                   EINVAL, "t.spec: no cdiVersion");
        expect_err(SPEC_HEAD "\"extra\":1," DEV("{\"env\":[\"A=1\"]}"), CDI_FORMAT_JSON, EINVAL,
                   "t.spec: extra is not a CDI spec field");
        expect_err(SPEC_HEAD DEV("{\"env\":[\"A=1\"],\"netDevices\":[]}"), CDI_FORMAT_JSON, EINVAL,
                   "devices[0].containerEdits.netDevices is not a CDI spec field");
        expect_err(SPEC_HEAD DEV("{\"deviceNodes\":[{\"path\":\"/x\",\"Path\":\"/y\"}]}"),
                   CDI_FORMAT_JSON, EINVAL, "deviceNodes[0].Path is not a CDI spec field");
        expect_err(SPEC_HEAD DEV("{\"env\":[\"=1\"]}"), CDI_FORMAT_JSON, EINVAL,
                   "invalid environment variable \"=1\"");
        expect_err(SPEC_HEAD DEV("{\"env\":[\"A\"]}"), CDI_FORMAT_JSON, EINVAL,
                   "invalid environment variable \"A\"");
        expect_err(SPEC_HEAD DEV("{\"env\":\"A=1\"}"), CDI_FORMAT_JSON, EINVAL,
                   "env is not a list of strings");
        expect_err(SPEC_HEAD DEV("{\"env\":[{\"a\":1}]}"), CDI_FORMAT_JSON, EINVAL,
                   "env[0] is not a string");
        expect_err(SPEC_HEAD DEV("{\"hooks\":[{\"hookName\":\"preStart\",\"path\":\"/h\"}]}"),
                   CDI_FORMAT_JSON, EINVAL, "invalid hook name \"preStart\"");
        expect_err(SPEC_HEAD DEV("{\"hooks\":[{\"hookName\":\"prestart\",\"path\":\"/h\",\"timeout\":0}]}"),
                   CDI_FORMAT_JSON, EINVAL, "timeout is out of range");
        expect_err(SPEC_HEAD DEV("{\"deviceNodes\":[{\"path\":\"/x\",\"major\":-1}]}"),
                   CDI_FORMAT_JSON, EINVAL, "major is out of range");
        expect_err(SPEC_HEAD DEV("{\"deviceNodes\":[{\"path\":\"/x\",\"gid\":4294967296}]}"),
                   CDI_FORMAT_JSON, EINVAL, "gid is out of range");
        expect_err(SPEC_HEAD DEV("{\"deviceNodes\":[{\"path\":\"/x\",\"major\":99999999999999999999}]}"),
                   CDI_FORMAT_JSON, EINVAL, "major is out of range");
        expect_err(SPEC_HEAD DEV("{\"deviceNodes\":[{\"path\":\"/x\",\"minor\":\"1\"}]}"),
                   CDI_FORMAT_JSON, EINVAL, "minor is not an integer");
        expect_err(SPEC_HEAD DEV("{\"deviceNodes\":[{\"path\":\"/x\",\"type\":\"x\"}]}"),
                   CDI_FORMAT_JSON, EINVAL, "invalid type \"x\"");
        expect_err(SPEC_HEAD DEV("{\"deviceNodes\":[{\"path\":\"/x\",\"permissions\":\"rwx\"}]}"),
                   CDI_FORMAT_JSON, EINVAL, "invalid permissions \"rwx\"");
        expect_err(SPEC_HEAD DEV("{\"deviceNodes\":[{\"path\":\"/x\\u0000y\"}]}"), CDI_FORMAT_JSON,
                   EINVAL, "path contains a NUL byte");
        expect_err(SPEC_HEAD DEV("{\"env\":[\"A=1\"]}") "x", CDI_FORMAT_JSON, EINVAL,
                   "t.spec: malformed JSON");
        expect_err("[1]", CDI_FORMAT_JSON, EINVAL, "not a CDI spec");
        expect_err("", CDI_FORMAT_JSON, EINVAL, "t.spec: malformed JSON");
        expect_err("", CDI_FORMAT_YAML, EINVAL, "no spec data");
        expect_err("a: [", CDI_FORMAT_YAML, EINVAL, "t.spec: YAML error at line");
        expect_err("a: 1\na: 2\n", CDI_FORMAT_YAML, EINVAL, "duplicate mapping key");
        expect_err("a: 1\n---\nb: 2\n", CDI_FORMAT_YAML, EINVAL, "more than one YAML document");
        expect_err("? [a]\n: 1\n", CDI_FORMAT_YAML, EINVAL, "a mapping key is not a scalar");
        expect_err("a: *nope\n", CDI_FORMAT_YAML, EINVAL, "unknown anchor");
}

static char *repeat(const char *a, size_t n, const char *mid, const char *b)
{
        size_t la = strlen(a), lm = strlen(mid), lb = strlen(b);
        char *s = malloc(la * n + lm + lb * n + 1), *p = s;

        for (size_t i = 0; i < n; i++, p += la)
                memcpy(p, a, la);
        memcpy(p, mid, lm);
        p += lm;
        for (size_t i = 0; i < n; i++, p += lb)
                memcpy(p, b, lb);
        *p = '\0';
        return s;
}

static void test_limits(void **state)
{
        struct nvcr_err err = {0};
        struct cdi_spec s;
        char *t;
        size_t big = CDI_SPEC_MAX_SIZE + 1;

        (void)state;
        t = malloc(big + 1);
        memset(t, ' ', big);
        t[big] = '\0';
        assert_int_equal(cdi_spec_parse(t, big, CDI_FORMAT_JSON, "big.json", &s, &err), -EFBIG);
        assert_non_null(strstr(err.msg, "big.json: larger than"));
        assert_int_equal(cdi_spec_parse(t, big, CDI_FORMAT_YAML, "big.yaml", &s, &err), -EFBIG);
        free(t);

        t = repeat("[", 100000, "1", "]");
        expect_err(t, CDI_FORMAT_JSON, EINVAL, "nested deeper than 32 levels");
        free(t);
        t = repeat("[", 100000, "1", "]");
        expect_err(t, CDI_FORMAT_YAML, EINVAL, "nested too deep");
        free(t);
        t = repeat("- ", 40, "x", "");
        expect_err(t, CDI_FORMAT_YAML, EINVAL, "nested too deep");
        free(t);

        /* Billion laughs: 9 levels of 10 aliases each would be 10^9 nodes. */
        {
                char buf[4096];
                size_t o = 0;

                o += (size_t)snprintf(buf + o, sizeof(buf) - o, "a0: &a0 [x,x,x,x,x,x,x,x,x,x]\n");
                for (int i = 1; i < 10; i++) {
                        o += (size_t)snprintf(buf + o, sizeof(buf) - o, "a%d: &a%d [", i, i);
                        for (int j = 0; j < 10; j++)
                                o += (size_t)snprintf(buf + o, sizeof(buf) - o, "*a%d%s", i - 1,
                                                      j < 9 ? "," : "]\n");
                }
                expect_err(buf, CDI_FORMAT_YAML, EINVAL, "document too large");
        }
        /* Many cheap aliases. */
        t = repeat("- *a\n", 1001, "", "");
        {
                char *u = malloc(strlen(t) + 32);

                sprintf(u, "x: &a 1\ny:\n%s", t);
                expect_err(u, CDI_FORMAT_YAML, EINVAL, "too many aliases");
                free(u);
        }
        free(t);
        /* An alias deep enough on its own, used deeper still. */
        t = repeat("[", 30, "1", "]");
        {
                char *u = malloc(strlen(t) + 64);

                sprintf(u, "a: &d %s\nb: [[[[*d]]]]\n", t);
                expect_err(u, CDI_FORMAT_YAML, EINVAL, "nested too deep");
                free(u);
        }
        free(t);
        /* Anchors and aliases within limits work (shared edits). */
        parse_ok("cdiVersion: 0.5.0\nkind: nvidia.com/gpu\ndevices:\n"
                 "- name: a\n  containerEdits: &e {env: [A=1], deviceNodes: [{path: /dev/x}]}\n"
                 "- name: b\n  containerEdits: *e\n",
                 CDI_FORMAT_YAML, &s);
        assert_string_equal(s.devices[1].edits.nodes[0].path, "/dev/x");
        cdi_spec_clear(&s);
        /* Plain YAML scalars where strings are due: as their text (go-yaml does). */
        parse_ok("cdiVersion: 0.5.0\nkind: nvidia.com/gpu\ndevices:\n"
                 "- name: 0\n  containerEdits: {env: [A=1], hooks: [{hookName: prestart, path: /h,"
                 " args: [1, true]}], deviceNodes: [{path: /dev/x, fileMode: 0666, major: 0x10}]}\n",
                 CDI_FORMAT_YAML, &s);
        assert_string_equal(s.devices[0].name, "0");
        assert_string_equal(s.devices[0].edits.hooks[0].args[0], "1");
        assert_string_equal(s.devices[0].edits.hooks[0].args[1], "true");
        assert_int_equal(s.devices[0].edits.nodes[0].file_mode, 0666);
        assert_int_equal(s.devices[0].edits.nodes[0].major, 16);
        cdi_spec_clear(&s);
        /* Nulls are absent fields. */
        parse_ok("cdiVersion: 0.5.0\nkind: nvidia.com/gpu\ncontainerEdits: ~\ndevices:\n"
                 "- name: a\n  annotations:\n  containerEdits: {env: [A=1], mounts: null}\n",
                 CDI_FORMAT_YAML, &s);
        cdi_spec_clear(&s);
}

/* ---------------------------------------------------------------- registry */

static char tmpdir[64];

static void write_file(const char *dir, const char *name, const char *text)
{
        char p[256];
        FILE *f;

        (void)snprintf(p, sizeof(p), "%s/%s", dir, name);
        f = fopen(p, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static char *mkd(const char *name)
{
        static char p[4][128];
        static int k;
        char *r = p[k++ % 4];

        (void)snprintf(r, 128, "%s/%s", tmpdir, name);
        (void)mkdir(r, 0755);
        return r;
}

#define SPEC(kind, devs) "{\"cdiVersion\":\"0.5.0\",\"kind\":\"" kind "\",\"containerEdits\":" \
        "{\"env\":[\"COMMON=" kind "\"]},\"devices\":[" devs "]}"
#define D(name, env) "{\"name\":\"" name "\",\"containerEdits\":{\"env\":[\"" env "\"]}}"

static void test_registry(void **state)
{
        struct nvcr_err err = {0};
        struct cdi_registry reg;
        struct cdi_edits e = {0};
        char **names = NULL;
        size_t n = 0;
        char *etc, *run;

        (void)state;
        strcpy(tmpdir, "/tmp/test-cdi-spec.XXXXXX");
        assert_non_null(mkdtemp(tmpdir));
        etc = strdup(mkd("etc"));
        run = strdup(mkd("run"));
        write_file(etc, "nvidia.yaml",
                   "cdiVersion: 0.5.0\nkind: nvidia.com/gpu\ncontainerEdits:\n  env: [COMMON=etc]\n"
                   "devices:\n- name: \"0\"\n  containerEdits: {env: [D=etc0]}\n"
                   "- name: \"1\"\n  containerEdits: {env: [D=etc1]}\n"
                   "- name: all\n  containerEdits: {env: [D=etcall]}\n");
        write_file(run, "nvidia.json", SPEC("nvidia.com/gpu", D("1", "D=run1") "," D("2", "D=run2")));
        write_file(run, "other.json", SPEC("example.com/x", D("a", "D=xa") "," D("b", "D=xb")));
        write_file(run, "conflict.json", SPEC("example.com/x", D("b", "D=xb2")));
        write_file(run, "broken.yaml", "cdiVersion: 0.5.0\nkind: bad\n");
        write_file(run, "ignored.txt", "not a spec");
        {
                const char *dirs[] = {etc, run, "/nonexistent/cdi", NULL};

                assert_int_equal(cdi_registry_load(&reg, dirs, &err), 0);
        }
        assert_int_equal(reg.nspecs, 4);
        /* broken.yaml skipped, b conflicts between two specs of one dir. */
        assert_int_equal(reg.nerrors, 2);
        assert_non_null(strstr(reg.errors[0].msg, "broken.yaml: invalid kind \"bad\""));
        assert_non_null(strstr(reg.errors[1].msg, "conflicting device \"example.com/x=b\""));

        assert_int_equal(cdi_registry_list(&reg, &names, &n, &err), 0);
        assert_int_equal(n, 5);
        assert_string_equal(names[0], "example.com/x=a");
        assert_string_equal(names[1], "nvidia.com/gpu=0");
        assert_string_equal(names[2], "nvidia.com/gpu=1");
        assert_string_equal(names[3], "nvidia.com/gpu=2");
        assert_string_equal(names[4], "nvidia.com/gpu=all");
        strv_free(names);

        {
                const char *want[] = {"nvidia.com/gpu=0", "nvidia.com/gpu=1", "nvidia.com/gpu=0",
                                      "example.com/x=a"};

                assert_int_equal(cdi_registry_resolve_in(&reg, want, 4, &e, &err), 0);
                /* etc's common once, 0 from etc, run's common, 1 from run (higher priority), x. */
                assert_int_equal(e.nenv, 6);
                assert_string_equal(e.env[0], "COMMON=etc");
                assert_string_equal(e.env[1], "D=etc0");
                assert_string_equal(e.env[2], "COMMON=nvidia.com/gpu");
                assert_string_equal(e.env[3], "D=run1");
                assert_string_equal(e.env[4], "COMMON=example.com/x");
                assert_string_equal(e.env[5], "D=xa");
                cdi_edits_clear(&e);
        }
        {
                const char *want[] = {"nvidia.com/gpu=99", "nvidia.com/gpu=0", "example.com/x=b"};

                assert_int_equal(cdi_registry_resolve_in(&reg, want, 3, &e, &err), -ENOENT);
                assert_true(strncmp(err.msg,
                                    "unresolvable CDI devices nvidia.com/gpu=99, example.com/x=b",
                                    59) == 0);
                assert_int_equal(e.nenv, 0);
        }
        cdi_registry_clear(&reg);
        {
                const char *dirs[] = {etc, NULL};
                const char *want[] = {"nvidia.com/gpu=99"};

                assert_int_equal(cdi_registry_resolve(dirs, want, 1, &e, &err), -ENOENT);
                assert_string_equal(err.msg, "unresolvable CDI devices nvidia.com/gpu=99");
        }
        {
                char cmd[128];

                (void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
                assert_int_equal(system(cmd), 0);
        }
        free(etc);
        free(run);
}

static void test_qualified_names(void **state)
{
        struct nvcr_err err = {0};
        char *k = NULL, *n = NULL;

        (void)state;
        assert_true(cdi_is_qualified_name("nvidia.com/gpu=0"));
        assert_true(cdi_is_qualified_name("nvidia.com/gpu=all"));
        assert_true(cdi_is_qualified_name("nvidia.com/gpu=GPU-4cf8db2d-06c0-7d70-1a51-e59b25b2c16c"));
        assert_true(cdi_is_qualified_name("nvidia.com/gpu=0:1"));
        assert_true(cdi_is_qualified_name("runtime.nvidia.com/gpu=all"));
        assert_false(cdi_is_qualified_name("0"));
        assert_false(cdi_is_qualified_name("all"));
        assert_false(cdi_is_qualified_name("GPU-4cf8db2d"));
        assert_false(cdi_is_qualified_name("nvidia.com/gpu"));
        assert_false(cdi_is_qualified_name("nvidia.com/gpu="));
        assert_false(cdi_is_qualified_name("=0"));
        assert_false(cdi_is_qualified_name("nvidia.com=0"));
        assert_false(cdi_is_qualified_name("nvidia.com/gpu=a/b"));
        assert_false(cdi_is_qualified_name("/dev/nvidia0"));
        assert_int_equal(cdi_parse_qualified_name("nvidia.com/gpu=0", &k, &n, &err), 0);
        assert_string_equal(k, "nvidia.com/gpu");
        assert_string_equal(n, "0");
        free(k);
        free(n);
        assert_int_equal(cdi_parse_qualified_name("nvidia.com/gpu=a b", NULL, NULL, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "is not a qualified CDI device name"));
}

static void test_read_file(void **state)
{
        struct nvcr_err err = {0};
        struct cdi_spec s;
        char dir[] = "/tmp/test-cdi-read.XXXXXX";
        char p[128];

        (void)state;
        assert_non_null(mkdtemp(dir));
        write_file(dir, "a.yml", reference_yaml);
        (void)snprintf(p, sizeof(p), "%s/a.yml", dir);
        assert_int_equal(cdi_spec_read_file(p, &s, &err), 0);
        assert_int_equal(s.ndevices, 3);
        cdi_spec_clear(&s);
        write_file(dir, "b.json", "cdiVersion: 0.5.0\n");
        (void)snprintf(p, sizeof(p), "%s/b.json", dir);
        assert_int_equal(cdi_spec_read_file(p, &s, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "b.json: malformed JSON"));
        (void)snprintf(p, sizeof(p), "%s/missing.json", dir);
        assert_int_equal(cdi_spec_read_file(p, &s, &err), -ENOENT);
        (void)snprintf(p, sizeof(p), "rm -rf '%s'", dir);
        assert_int_equal(system(p), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_reference_shape),
                cmocka_unit_test(test_roundtrip_reference),
                cmocka_unit_test(test_roundtrip_tricky),
                cmocka_unit_test(test_min_version),
                cmocka_unit_test(test_hostile_paths),
                cmocka_unit_test(test_hostile_content),
                cmocka_unit_test(test_limits),
                cmocka_unit_test(test_registry),
                cmocka_unit_test(test_qualified_names),
                cmocka_unit_test(test_read_file),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
