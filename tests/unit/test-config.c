/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.toml decoding: the reference defaults, the reference sample with
 * and without its commented keys, type and enum errors with their lines,
 * and the file checks of config_load (owner, mode, symlink; the ownership
 * cases need root and are skipped otherwise).
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

#include "config/config.h"

static void assert_strv(char **v, const char *const *want)
{
        size_t i;

        assert_non_null(v);
        for (i = 0; want[i] != NULL; i++) {
                assert_non_null(v[i]);
                assert_string_equal(v[i], want[i]);
        }
        assert_null(v[i]);
}

static void assert_defaults(const struct nvcr_config *c)
{
        static const char *const none[] = { NULL };
        static const char *const runtimes[] = { "runc", "crun", NULL };
        static const char *const prefixes[] = { "cdi.k8s.io/", NULL };
        static const char *const dirs[] = { "/etc/cdi", "/var/run/cdi", NULL };

        assert_false(c->accept_nvidia_visible_devices_as_volume_mounts);
        assert_true(c->accept_nvidia_visible_devices_envvar_when_unprivileged);
        assert_false(c->disable_require);
        assert_string_equal(c->supported_driver_capabilities,
                            "compat32,compute,display,graphics,ngx,utility,video");
        assert_string_equal(c->swarm_resource, "");
        assert_string_equal(c->cli.debug, "");
        assert_strv(c->cli.environment, none);
        assert_string_equal(c->cli.ldcache, "");
        assert_string_equal(c->cli.ldconfig, "@/sbin/ldconfig");
        assert_true(c->cli.load_kmods);
        assert_false(c->cli.no_cgroups);
        assert_false(c->cli.no_pivot);
        assert_string_equal(c->cli.path, "");
        assert_string_equal(c->cli.root, "");
        assert_string_equal(c->cli.user, "");
        assert_string_equal(c->runtime.debug, "/dev/null");
        assert_string_equal(c->runtime.log_level, "info");
        assert_int_equal(c->runtime.mode, NVCR_MODE_AUTO);
        assert_strv(c->runtime.runtimes, runtimes);
        assert_strv(c->runtime.cdi.annotation_prefixes, prefixes);
        assert_string_equal(c->runtime.cdi.default_kind, "nvidia.com/gpu");
        assert_strv(c->runtime.cdi.spec_dirs, dirs);
        assert_string_equal(c->runtime.csv.mount_spec_path,
                            "/etc/nvidia-container-runtime/host-files-for-container.d");
        assert_string_equal(c->runtime.csv.compat_container_root, "");
        assert_strv(c->runtime.jit_cdi.nvcdi_feature_flags, none);
        assert_strv(c->runtime.jit_cdi.nvcdi_disable_hooks, none);
        assert_int_equal(c->runtime.legacy.cuda_compat_mode, NVCR_CUDA_COMPAT_LDCONFIG);
        assert_string_equal(c->hook.path, "nvidia-container-runtime-hook");
        assert_false(c->hook.skip_mode_detection);
        assert_string_equal(c->ctk.path, "nvidia-ctk");
        assert_false(c->features.allow_cuda_compat_libs_from_container);
        assert_false(c->features.allow_ldconfig_from_container);
        assert_false(c->features.allow_unknown_oci_spec_fields);
        assert_false(c->features.disable_cuda_compat_lib_hook);
        assert_false(c->features.disable_imex_channel_creation);
        assert_false(c->features.ignore_imex_channel_requests);
        assert_false(c->features.no_additional_gids_for_device_nodes);
}

/* features.md §4.5 as written, commented defaults included. */
static const char reference[] =
        "#accept-nvidia-visible-devices-as-volume-mounts = false\n"
        "#accept-nvidia-visible-devices-envvar-when-unprivileged = true\n"
        "disable-require = false\n"
        "supported-driver-capabilities = \"compat32,compute,display,graphics,ngx,utility,video\"\n"
        "#swarm-resource = \"DOCKER_RESOURCE_GPU\"\n"
        "[nvidia-container-cli]\n"
        "#debug = \"/var/log/nvidia-container-toolkit.log\"\n"
        "environment = []\n"
        "#ldcache = \"/etc/ld.so.cache\"\n"
        "ldconfig = \"@/sbin/ldconfig\"          # normalised to .real if present\n"
        "load-kmods = true\n"
        "#no-cgroups = false\n"
        "#no-pivot = false                      # omitempty\n"
        "#path = \"/usr/bin/nvidia-container-cli\"\n"
        "#root = \"/run/nvidia/driver\"           # example value; default \"\" = /\n"
        "#user = \"root:video\"                   # default \"\" (SUSE: root:video)\n"
        "[nvidia-container-runtime]\n"
        "#debug = \"/var/log/nvidia-container-runtime.log\"   # default /dev/null\n"
        "log-level = \"info\"\n"
        "mode = \"auto\"                          # legacy|cdi|jit-cdi|csv|auto\n"
        "runtimes = [\"runc\", \"crun\"]\n"
        "[nvidia-container-runtime.modes.cdi]\n"
        "annotation-prefixes = [\"cdi.k8s.io/\"]\n"
        "default-kind = \"nvidia.com/gpu\"\n"
        "spec-dirs = [\"/etc/cdi\", \"/var/run/cdi\"]\n"
        "[nvidia-container-runtime.modes.csv]\n"
        "mount-spec-path = \"/etc/nvidia-container-runtime/host-files-for-container.d\"\n"
        "#compat-container-root = \"\"\n"
        "[nvidia-container-runtime.modes.jit-cdi]           # optional\n"
        "#nvcdi-feature-flags = []   # enable-explicit-driver-libraries, disable-nvsandboxutils\n"
        "#nvcdi-disable-hooks = []   # hook names or \"all\"\n"
        "[nvidia-container-runtime.modes.legacy]\n"
        "cuda-compat-mode = \"ldconfig\"          # disabled|hook|ldconfig|mount\n"
        "[nvidia-container-runtime-hook]\n"
        "path = \"nvidia-container-runtime-hook\"\n"
        "skip-mode-detection = false\n"
        "[nvidia-ctk]\n"
        "path = \"nvidia-ctk\"\n"
        "[features]   # bools, absent=false: allow-cuda-compat-libs-from-container,\n"
        "# allow-unknown-oci-spec-fields, disable-cuda-compat-lib-hook,\n";

/* Every key set to something other than its default. */
static const char changed[] =
        "accept-nvidia-visible-devices-as-volume-mounts = true\n"
        "accept-nvidia-visible-devices-envvar-when-unprivileged = false\n"
        "disable-require = true\n"
        "supported-driver-capabilities = \"compute,utility\"\n"
        "swarm-resource = \"DOCKER_RESOURCE_GPU\"\n"
        "unknown-top = 1.5e3\n" /* unknown keys must still parse */
        "[nvidia-container-cli]\n"
        "debug = \"/var/log/nvidia-container-toolkit.log\"\n"
        "environment = [\"A=1\", \"B=2\"]\n"
        "ldcache = \"/etc/ld.so.cache\"\n"
        "ldconfig = \"@/sbin/ldconfig.real\"\n"
        "load-kmods = false\n"
        "no-cgroups = true\n"
        "no-pivot = true\n"
        "path = \"/usr/bin/nvidia-container-cli\"\n"
        "root = \"/run/nvidia/driver\"\n"
        "user = \"root:video\"\n"
        "[nvidia-container-runtime]\n"
        "debug = \"/var/log/nvidia-container-runtime.log\"\n"
        "log-level = \"WARNING\"\n"
        "mode = \"jit-cdi\"\n"
        "runtimes = [\"/usr/bin/crun\"]\n"
        "unknown = { }\n"
        "[nvidia-container-runtime.modes.cdi]\n"
        "annotation-prefixes = [\"a/\", \"b/\"]\n"
        "default-kind = \"example.com/gpu\"\n"
        "spec-dirs = [\"/x\"]\n"
        "[nvidia-container-runtime.modes.csv]\n"
        "mount-spec-path = \"/csv\"\n"
        "compat-container-root = \"/compat\"\n"
        "[nvidia-container-runtime.modes.jit-cdi]\n"
        "nvcdi-feature-flags = [\"disable-nvsandboxutils\"]\n"
        "nvcdi-disable-hooks = [\"all\"]\n"
        "[nvidia-container-runtime.modes.legacy]\n"
        "cuda-compat-mode = \"mount\"\n"
        "[nvidia-container-runtime-hook]\n"
        "path = \"/usr/bin/nvidia-container-runtime-hook\"\n"
        "skip-mode-detection = true\n"
        "[nvidia-ctk]\n"
        "path = \"/usr/bin/nvidia-ctk\"\n"
        "[features]\n"
        "allow-cuda-compat-libs-from-container = true\n"
        "allow-ldconfig-from-container = true\n"
        "allow-unknown-oci-spec-fields = true\n"
        "disable-cuda-compat-lib-hook = true\n"
        "disable-imex-channel-creation = true\n"
        "ignore-imex-channel-requests = true\n"
        "no-additional-gids-for-device-nodes = true\n"
        "some-future-flag = true\n";

static int parse(const char *text, struct nvcr_config *c, struct nvcr_err *err)
{
        return config_parse("c.toml", text, strlen(text), c, err);
}

static void expect_err(const char *text, const char *msg)
{
        struct nvcr_err err = { 0 };
        struct nvcr_config c;

        assert_int_equal(parse(text, &c, &err), -EINVAL);
        assert_string_equal(err.msg, msg);
        assert_null(c.cli.ldconfig); /* left zeroed */
        config_free(&c);
}

static void test_defaults(void **state)
{
        struct nvcr_err err = { 0 };
        struct nvcr_config c;

        (void)state;
        assert_string_equal(config_default_path(), "/etc/nvidia-container-runtime/config.toml");
        assert_int_equal(config_defaults(&c, &err), 0);
        assert_defaults(&c);
        config_free(&c);
        config_free(&c); /* zeroed: fine twice */
        assert_int_equal(parse("", &c, &err), 0);
        assert_defaults(&c);
        config_free(&c);
        assert_int_equal(parse(reference, &c, &err), 0);
        assert_defaults(&c);
        config_free(&c);
        /* Unknown tables and keys are ignored. */
        assert_int_equal(parse("x = 1\n[y.z]\nw = [\"q\"]\n[nvidia-container-cli]\nnew = 1\n", &c,
                               &err),
                         0);
        assert_defaults(&c);
        config_free(&c);
}

static void test_changed(void **state)
{
        static const char *const env[] = { "A=1", "B=2", NULL };
        static const char *const rts[] = { "/usr/bin/crun", NULL };
        static const char *const prefixes[] = { "a/", "b/", NULL };
        static const char *const dirs[] = { "/x", NULL };
        static const char *const flags[] = { "disable-nvsandboxutils", NULL };
        static const char *const hooks[] = { "all", NULL };
        struct nvcr_err err = { 0 };
        struct nvcr_config c;
        char *text = strdup(changed);
        char *p;

        (void)state;
        assert_non_null(text);
        /* The parser takes no floats and no inline tables, even in unknown keys. */
        assert_int_equal(parse(text, &c, &err), -EINVAL);
        assert_string_equal(err.msg,
                            "c.toml:6: invalid or unsupported value 1.5e3 (only strings, "
                            "booleans, decimal integers and arrays are supported)");
        p = strstr(text, "1.5e3");
        memcpy(p, "15000", 5);
        assert_int_equal(parse(text, &c, &err), -EINVAL);
        assert_string_equal(err.msg, "c.toml:23: inline tables are not supported");
        p = strstr(text, "{ }");
        memcpy(p, "[ ]", 3);

        assert_int_equal(parse(text, &c, &err), 0);
        free(text);
        assert_true(c.accept_nvidia_visible_devices_as_volume_mounts);
        assert_false(c.accept_nvidia_visible_devices_envvar_when_unprivileged);
        assert_true(c.disable_require);
        assert_string_equal(c.supported_driver_capabilities, "compute,utility");
        assert_string_equal(c.swarm_resource, "DOCKER_RESOURCE_GPU");
        assert_string_equal(c.cli.debug, "/var/log/nvidia-container-toolkit.log");
        assert_strv(c.cli.environment, env);
        assert_string_equal(c.cli.ldcache, "/etc/ld.so.cache");
        assert_string_equal(c.cli.ldconfig, "@/sbin/ldconfig.real");
        assert_false(c.cli.load_kmods);
        assert_true(c.cli.no_cgroups);
        assert_true(c.cli.no_pivot);
        assert_string_equal(c.cli.path, "/usr/bin/nvidia-container-cli");
        assert_string_equal(c.cli.root, "/run/nvidia/driver");
        assert_string_equal(c.cli.user, "root:video");
        assert_string_equal(c.runtime.debug, "/var/log/nvidia-container-runtime.log");
        assert_string_equal(c.runtime.log_level, "warning");
        assert_int_equal(c.runtime.mode, NVCR_MODE_JIT_CDI);
        assert_string_equal(config_mode_name(c.runtime.mode), "jit-cdi");
        assert_strv(c.runtime.runtimes, rts);
        assert_strv(c.runtime.cdi.annotation_prefixes, prefixes);
        assert_string_equal(c.runtime.cdi.default_kind, "example.com/gpu");
        assert_strv(c.runtime.cdi.spec_dirs, dirs);
        assert_string_equal(c.runtime.csv.mount_spec_path, "/csv");
        assert_string_equal(c.runtime.csv.compat_container_root, "/compat");
        assert_strv(c.runtime.jit_cdi.nvcdi_feature_flags, flags);
        assert_strv(c.runtime.jit_cdi.nvcdi_disable_hooks, hooks);
        assert_int_equal(c.runtime.legacy.cuda_compat_mode, NVCR_CUDA_COMPAT_MOUNT);
        assert_string_equal(config_cuda_compat_mode_name(c.runtime.legacy.cuda_compat_mode),
                            "mount");
        assert_string_equal(c.hook.path, "/usr/bin/nvidia-container-runtime-hook");
        assert_true(c.hook.skip_mode_detection);
        assert_string_equal(c.ctk.path, "/usr/bin/nvidia-ctk");
        assert_true(c.features.allow_cuda_compat_libs_from_container);
        assert_true(c.features.allow_ldconfig_from_container);
        assert_true(c.features.allow_unknown_oci_spec_fields);
        assert_true(c.features.disable_cuda_compat_lib_hook);
        assert_true(c.features.disable_imex_channel_creation);
        assert_true(c.features.ignore_imex_channel_requests);
        assert_true(c.features.no_additional_gids_for_device_nodes);
        config_free(&c);
}

static void test_enums(void **state)
{
        static const char *const modes[] = { "legacy", "cdi", "jit-cdi", "csv", "auto" };
        static const char *const compat[] = { "disabled", "hook", "ldconfig", "mount" };
        static const char *const levels[] = { "debug", "info", "warn", "warning", "error",
                                              "Debug", "TRACE" };
        struct nvcr_err err = { 0 };
        struct nvcr_config c;
        char text[256];

        (void)state;
        for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
                (void)snprintf(text, sizeof(text), "[nvidia-container-runtime]\nmode = \"%s\"\n",
                               modes[i]);
                assert_int_equal(parse(text, &c, &err), 0);
                assert_string_equal(config_mode_name(c.runtime.mode), modes[i]);
                config_free(&c);
        }
        for (size_t i = 0; i < sizeof(compat) / sizeof(compat[0]); i++) {
                (void)snprintf(text, sizeof(text),
                               "[nvidia-container-runtime.modes.legacy]\ncuda-compat-mode = '%s'\n",
                               compat[i]);
                assert_int_equal(parse(text, &c, &err), 0);
                assert_string_equal(config_cuda_compat_mode_name(c.runtime.legacy.cuda_compat_mode),
                                    compat[i]);
                config_free(&c);
        }
        for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
                (void)snprintf(text, sizeof(text),
                               "[nvidia-container-runtime]\nlog-level = \"%s\"\n", levels[i]);
                assert_int_equal(parse(text, &c, &err), 0);
                config_free(&c);
        }
        expect_err("[nvidia-container-runtime]\n\nmode = \"Legacy\"\n",
                   "c.toml:3: nvidia-container-runtime.mode: invalid value \"Legacy\" (expected "
                   "legacy, cdi, jit-cdi, csv or auto)");
        expect_err("[nvidia-container-runtime.modes.legacy]\ncuda-compat-mode = \"\"\n",
                   "c.toml:2: nvidia-container-runtime.modes.legacy.cuda-compat-mode: invalid "
                   "value \"\" (expected disabled, hook, ldconfig or mount)");
        expect_err("[nvidia-container-runtime]\nlog-level = \"verbose\"\n",
                   "c.toml:2: nvidia-container-runtime.log-level: invalid value \"verbose\" "
                   "(expected debug, info, warn, warning, error, fatal, panic or trace)");
}

static void test_types(void **state)
{
        (void)state;
        expect_err("[nvidia-container-cli]\nload-kmods = \"true\"\n",
                   "c.toml:2: nvidia-container-cli.load-kmods: expected a boolean");
        expect_err("disable-require = 0\n", "c.toml:1: disable-require: expected a boolean");
        expect_err("supported-driver-capabilities = [\"compute\"]\n",
                   "c.toml:1: supported-driver-capabilities: expected a string");
        expect_err("[nvidia-container-runtime]\nruntimes = \"runc\"\n",
                   "c.toml:2: nvidia-container-runtime.runtimes: expected an array");
        expect_err("[nvidia-container-runtime]\nruntimes = [\n\"runc\",\n1,\n]\n",
                   "c.toml:4: nvidia-container-runtime.runtimes: expected an array of strings, "
                   "element 1 is an integer");
        expect_err("nvidia-container-cli = true\n",
                   "c.toml:1: nvidia-container-cli: expected a table");
        expect_err("[nvidia-container-runtime]\nmodes = 1\n",
                   "c.toml:2: nvidia-container-runtime.modes: expected a table");
        expect_err("[nvidia-container-runtime]\nmode = 1\n",
                   "c.toml:2: nvidia-container-runtime.mode: expected a string");
        /* Parse errors come through unchanged. */
        expect_err("[features]\nallow-ldconfig-from-container = true\n[features]\n",
                   "c.toml:3: table \"features\" defined twice (first at line 1)");
}

static void test_ldconfig(void **state)
{
        struct nvcr_err err = { 0 };
        struct nvcr_config c;

        (void)state;
        expect_err("[nvidia-container-cli]\n# x\nldconfig = \"/sbin/ldconfig\"\n",
                   "c.toml:3: nvidia-container-cli.ldconfig: \"/sbin/ldconfig\" is not a host "
                   "path (does not start with '@'; see features.allow-ldconfig-from-container)");
        assert_int_equal(parse("[nvidia-container-cli]\nldconfig = \"/sbin/ldconfig\"\n"
                               "[features]\nallow-ldconfig-from-container = true\n",
                               &c, &err),
                         0);
        assert_string_equal(c.cli.ldconfig, "/sbin/ldconfig");
        config_free(&c);
}

/* ------------------------------------------------------------ files */

static char dir[64];

static int dir_setup(void **state)
{
        (void)state;
        strcpy(dir, "/tmp/test-config.XXXXXX");
        return mkdtemp(dir) == NULL ? -1 : 0;
}

static int dir_teardown(void **state)
{
        char cmd[128];

        (void)state;
        (void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
        int fd;

        (void)unlink(path);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        assert_int_equal(fchmod(fd, mode), 0);
        close(fd);
}

static void test_load_missing(void **state)
{
        struct nvcr_err err = { 0 };
        struct nvcr_config c;
        char path[128];

        (void)state;
        (void)snprintf(path, sizeof(path), "%s/absent.toml", dir);
        assert_int_equal(config_load(path, &c, &err), 0);
        assert_defaults(&c);
        config_free(&c);
}

static void test_load_file(void **state)
{
        struct nvcr_err err = { 0 };
        struct nvcr_config c;
        char path[128], link[128], want[256];

        (void)state;
        (void)snprintf(path, sizeof(path), "%s/config.toml", dir);
        write_file(path, "[nvidia-container-cli]\nroot = \"/drv\"\n", 0644);
        assert_int_equal(config_load(path, &c, &err), 0);
        assert_string_equal(c.cli.root, "/drv");
        config_free(&c);

        /* Errors name the path and the line. */
        write_file(path, "\n[nvidia-container-cli]\nroot = 1\n", 0644);
        assert_int_equal(config_load(path, &c, &err), -EINVAL);
        (void)snprintf(want, sizeof(want), "%s:3: nvidia-container-cli.root: expected a string",
                       path);
        assert_string_equal(err.msg, want);

        /* A symlink is refused, whoever runs. */
        write_file(path, "", 0644);
        (void)snprintf(link, sizeof(link), "%s/link.toml", dir);
        (void)unlink(link);
        assert_int_equal(symlink(path, link), 0);
        assert_int_equal(config_load(link, &c, &err), -EPERM);
        (void)snprintf(want, sizeof(want), "%s: refusing a symlinked configuration", link);
        assert_string_equal(err.msg, want);

        /* So is a directory or a FIFO. */
        assert_int_equal(config_load(dir, &c, &err), -EPERM);
        (void)snprintf(want, sizeof(want), "%s: not a regular file", dir);
        assert_string_equal(err.msg, want);
        (void)snprintf(link, sizeof(link), "%s/fifo", dir);
        assert_int_equal(mkfifo(link, 0600), 0);
        assert_int_equal(config_load(link, &c, &err), -EPERM);

        /* Larger than 1 MiB. */
        {
                size_t big = 1024 * 1024 + 1;
                char *buf = malloc(big + 1);

                assert_non_null(buf);
                memset(buf, '\n', big);
                buf[big] = '\0';
                write_file(path, buf, 0644);
                free(buf);
                assert_int_equal(config_load(path, &c, &err), -EFBIG);
                (void)snprintf(want, sizeof(want), "%s: larger than 1048576 bytes", path);
                assert_string_equal(err.msg, want);
        }
}

static void test_load_owner(void **state)
{
        struct nvcr_err err = { 0 };
        struct nvcr_config c;
        char path[128], want[256];

        (void)state;
        if (geteuid() != 0)
                skip();
        (void)snprintf(path, sizeof(path), "%s/owned.toml", dir);
        write_file(path, "", 0644);
        assert_int_equal(chown(path, 0, 0), 0);
        assert_int_equal(config_load(path, &c, &err), 0);
        config_free(&c);
        write_file(path, "", 0600);
        assert_int_equal(config_load(path, &c, &err), 0);
        config_free(&c);

        write_file(path, "", 0666);
        assert_int_equal(config_load(path, &c, &err), -EPERM);
        (void)snprintf(want, sizeof(want), "%s: writable by group or others (mode 0666)", path);
        assert_string_equal(err.msg, want);
        write_file(path, "", 0620);
        assert_int_equal(config_load(path, &c, &err), -EPERM);

        write_file(path, "", 0644);
        assert_int_equal(chown(path, 1000, 0), 0);
        assert_int_equal(config_load(path, &c, &err), -EPERM);
        (void)snprintf(want, sizeof(want), "%s: not owned by root (uid 1000)", path);
        assert_string_equal(err.msg, want);
        assert_null(c.cli.ldconfig);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_changed),
                cmocka_unit_test(test_enums),
                cmocka_unit_test(test_types),
                cmocka_unit_test(test_ldconfig),
                cmocka_unit_test_setup_teardown(test_load_missing, dir_setup, dir_teardown),
                cmocka_unit_test_setup_teardown(test_load_file, dir_setup, dir_teardown),
                cmocka_unit_test_setup_teardown(test_load_owner, dir_setup, dir_teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
