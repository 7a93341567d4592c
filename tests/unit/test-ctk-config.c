/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nvidia-ctk config: config_write's layout (the shipped file's, commented
 * defaults), its round trip through config_parse for defaults and for every
 * key changed, and config_set (`--set`) parsing: booleans, bare keys, lists
 * and separators, enums, unknown keys and bad values.
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

#include "config/config-write.h"
#include "config/config.h"

static void set_ok(struct nvcr_config *c, const char *s, const char *sep)
{
        struct nvcr_err err = { 0 };

        if (config_set(c, s, sep, &err) != 0)
                fail_msg("config_set(%s): %s", s, err.msg);
}

static void set_bad(struct nvcr_config *c, const char *s, const char *want)
{
        struct nvcr_err err = { 0 };

        assert_int_equal(config_set(c, s, NULL, &err), -EINVAL);
        if (strstr(err.msg, want) == NULL)
                fail_msg("config_set(%s): \"%s\" lacks \"%s\"", s, err.msg, want);
}

static void assert_strv(char **v, const char *const *want)
{
        size_t i;

        for (i = 0; want[i] != NULL; i++) {
                assert_non_null(v[i]);
                assert_string_equal(v[i], want[i]);
        }
        assert_null(v[i]);
}

/* write -> parse -> write gives the same text, and the same struct. */
static void round_trip(const struct nvcr_config *c)
{
        struct nvcr_config back = { 0 };
        struct nvcr_err err = { 0 };
        char *a = NULL, *b = NULL;

        assert_int_equal(config_write(c, &a, &err), 0);
        if (config_parse("written", a, strlen(a), &back, &err) != 0)
                fail_msg("written config does not parse: %s\n%s", err.msg, a);
        assert_int_equal(config_write(&back, &b, &err), 0);
        assert_string_equal(a, b);
        /* Field by field for what the text could hide. */
        assert_int_equal(back.cli.load_kmods, c->cli.load_kmods);
        assert_int_equal(back.cli.no_pivot, c->cli.no_pivot);
        assert_int_equal(back.runtime.mode, c->runtime.mode);
        assert_string_equal(back.cli.debug, c->cli.debug);
        assert_string_equal(back.runtime.debug, c->runtime.debug);
        assert_strv(back.runtime.runtimes, (const char *const *)c->runtime.runtimes);
        assert_int_equal(memcmp(&back.features, &c->features, sizeof(c->features)), 0);
        config_free(&back);
        free(a);
        free(b);
}

static void test_default_layout(void **state)
{
        struct nvcr_config c = { 0 };
        struct nvcr_err err = { 0 };
        char *out = NULL;

        (void)state;
        assert_int_equal(config_defaults(&c, &err), 0);
        assert_int_equal(config_write(&c, &out, &err), 0);
        assert_string_equal(
                out,
                "#accept-nvidia-visible-devices-as-volume-mounts = false\n"
                "#accept-nvidia-visible-devices-envvar-when-unprivileged = true\n"
                "disable-require = false\n"
                "supported-driver-capabilities = "
                "\"compat32,compute,display,graphics,ngx,utility,video\"\n"
                "#swarm-resource = \"DOCKER_RESOURCE_GPU\"\n"
                "\n[nvidia-container-cli]\n"
                "#debug = \"/var/log/nvidia-container-toolkit.log\"\n"
                "environment = []\n"
                "#ldcache = \"/etc/ld.so.cache\"\n"
                "ldconfig = \"@/sbin/ldconfig\"\n"
                "load-kmods = true\n"
                "#no-cgroups = false\n"
                "#path = \"/usr/bin/nvidia-container-cli\"\n"
                "#root = \"/run/nvidia/driver\"\n"
                "#user = \"root:video\"\n"
                "\n[nvidia-container-runtime]\n"
                "#debug = \"/var/log/nvidia-container-runtime.log\"\n"
                "log-level = \"info\"\n"
                "mode = \"auto\"\n"
                "runtimes = [\"runc\", \"crun\"]\n"
                "\n[nvidia-container-runtime.modes.cdi]\n"
                "annotation-prefixes = [\"cdi.k8s.io/\"]\n"
                "default-kind = \"nvidia.com/gpu\"\n"
                "spec-dirs = [\"/etc/cdi\", \"/var/run/cdi\"]\n"
                "\n[nvidia-container-runtime.modes.csv]\n"
                "mount-spec-path = \"/etc/nvidia-container-runtime/host-files-for-container.d\"\n"
                "\n[nvidia-container-runtime.modes.legacy]\n"
                "cuda-compat-mode = \"ldconfig\"\n"
                "\n[nvidia-container-runtime-hook]\n"
                "path = \"nvidia-container-runtime-hook\"\n"
                "skip-mode-detection = false\n"
                "\n[nvidia-ctk]\n"
                "path = \"nvidia-ctk\"\n");
        round_trip(&c);
        free(out);
        config_free(&c);
}

static void test_round_trip_all(void **state)
{
        static const char *const sets[] = {
                "accept-nvidia-visible-devices-as-volume-mounts=true",
                "accept-nvidia-visible-devices-envvar-when-unprivileged=false",
                "disable-require",
                "supported-driver-capabilities=compute,utility",
                "swarm-resource=DOCKER_RESOURCE_X",
                "nvidia-container-cli.debug=/var/log/a \"quoted\" \\ path",
                "nvidia-container-cli.environment=A=1,B=2",
                "nvidia-container-cli.ldcache=/etc/ld.so.cache",
                "nvidia-container-cli.ldconfig=/sbin/ldconfig.real",
                "nvidia-container-cli.load-kmods=false",
                "nvidia-container-cli.no-cgroups=1",
                "nvidia-container-cli.no-pivot=T",
                "nvidia-container-cli.path=/usr/bin/nvidia-container-cli",
                "nvidia-container-cli.root=/run/nvidia/driver",
                "nvidia-container-cli.user=root:video",
                "nvidia-container-runtime.debug=/tmp/rt\tlog\x01",
                "nvidia-container-runtime.log-level=DEBUG",
                "nvidia-container-runtime.mode=jit-cdi",
                "nvidia-container-runtime.runtimes=/usr/sbin/runc,crun",
                "nvidia-container-runtime.modes.cdi.annotation-prefixes=a/,b/",
                "nvidia-container-runtime.modes.cdi.default-kind=example.com/gpu",
                "nvidia-container-runtime.modes.cdi.spec-dirs=/x",
                "nvidia-container-runtime.modes.csv.mount-spec-path=/m",
                "nvidia-container-runtime.modes.csv.compat-container-root=/c",
                "nvidia-container-runtime.modes.jit-cdi.nvcdi-feature-flags=f1,f2",
                "nvidia-container-runtime.modes.jit-cdi.nvcdi-disable-hooks=all",
                "nvidia-container-runtime.modes.legacy.cuda-compat-mode=mount",
                "nvidia-container-runtime-hook.path=/h",
                "nvidia-container-runtime-hook.skip-mode-detection=true",
                "nvidia-ctk.path=/k",
                "features.allow-cuda-compat-libs-from-container",
                "features.allow-ldconfig-from-container",
                "features.allow-unknown-oci-spec-fields",
                "features.disable-cuda-compat-lib-hook",
                "features.disable-imex-channel-creation",
                "features.ignore-imex-channel-requests",
                "features.no-additional-gids-for-device-nodes",
        };
        static const char *const env[] = { "A=1", "B=2", NULL };
        struct nvcr_config c = { 0 };
        struct nvcr_err err = { 0 };
        char *out = NULL;

        (void)state;
        assert_int_equal(config_defaults(&c, &err), 0);
        for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
                set_ok(&c, sets[i], NULL);
        assert_int_equal(config_check(&c, &err), 0);
        assert_strv(c.cli.environment, env);
        assert_string_equal(c.runtime.log_level, "debug");
        assert_int_equal(c.runtime.mode, NVCR_MODE_JIT_CDI);
        assert_int_equal(c.runtime.legacy.cuda_compat_mode, NVCR_CUDA_COMPAT_MOUNT);
        assert_true(c.disable_require && c.cli.no_pivot && c.cli.no_cgroups);
        round_trip(&c);
        assert_int_equal(config_write(&c, &out, &err), 0);
        /* Nothing commented any more; the optional keys are there. */
        assert_null(strstr(out, "\n#"));
        assert_non_null(strstr(out, "no-pivot = true\n"));
        assert_non_null(strstr(out, "\n[nvidia-container-runtime.modes.jit-cdi]\n"
                                    "nvcdi-feature-flags = [\"f1\", \"f2\"]\n"));
        assert_non_null(strstr(out, "\n[features]\nallow-cuda-compat-libs-from-container = true\n"));
        assert_non_null(strstr(out, "debug = \"/var/log/a \\\"quoted\\\" \\\\ path\"\n"));
        assert_non_null(strstr(out, "debug = \"/tmp/rt\\tlog\\u0001\"\n"));
        /* A key at its default again is commented again. */
        set_ok(&c, "nvidia-container-cli.user=", NULL);
        free(out);
        assert_int_equal(config_write(&c, &out, &err), 0);
        assert_non_null(strstr(out, "\n#user = \"root:video\"\n"));
        round_trip(&c);
        free(out);
        config_free(&c);
}

static void test_set_lists(void **state)
{
        static const char *const rc[] = { "runc", "crun", NULL };
        static const char *const one[] = { "runc:crun", NULL };
        static const char *const colon_first[] = { "a,b", "c", NULL };
        static const char *const none[] = { NULL };
        struct nvcr_config c = { 0 };
        struct nvcr_err err = { 0 };

        (void)state;
        assert_int_equal(config_defaults(&c, &err), 0);
        set_ok(&c, "nvidia-container-runtime.runtimes=runc:crun", ":");
        assert_strv(c.runtime.runtimes, rc);
        /* The default separator is ',': no split on ':'. */
        set_ok(&c, "nvidia-container-runtime.runtimes=runc:crun", NULL);
        assert_strv(c.runtime.runtimes, one);
        set_ok(&c, "nvidia-container-runtime.runtimes=runc,crun", ":");
        assert_strv(c.runtime.runtimes, rc);
        set_ok(&c, "nvidia-container-runtime.runtimes=a,b:c", ":");
        assert_strv(c.runtime.runtimes, colon_first);
        set_ok(&c, "nvidia-container-runtime.runtimes=", NULL);
        assert_strv(c.runtime.runtimes, none);
        round_trip(&c);
        config_free(&c);
}

static void test_set_errors(void **state)
{
        struct nvcr_config c = { 0 };
        struct nvcr_err err = { 0 };

        (void)state;
        assert_int_equal(config_defaults(&c, &err), 0);
        set_bad(&c, "features.foo", "unknown key \"features.foo\"");
        set_bad(&c, "nvidia-container-cli.nope=1", "unknown key \"nvidia-container-cli.nope\"");
        set_bad(&c, "nvidia-container-cli=1", "unknown key");
        set_bad(&c, "load-kmods=false", "unknown key \"load-kmods\"");
        set_bad(&c, "", "unknown key");
        set_bad(&c, "nvidia-container-cli.load-kmods=yes",
                "invalid value \"yes\" for nvidia-container-cli.load-kmods");
        set_bad(&c, "nvidia-container-runtime.mode=bogus",
                "invalid value \"bogus\" for nvidia-container-runtime.mode (expected");
        set_bad(&c, "nvidia-container-runtime.log-level=loud", "log-level");
        set_bad(&c, "nvidia-container-runtime.modes.legacy.cuda-compat-mode=x",
                "cuda-compat-mode");
        set_bad(&c, "nvidia-container-cli.path", "expected [option-key]=[option-value]");
        set_bad(&c, "nvidia-container-runtime.runtimes", "expected [option-key]=[option-value]");
        /* Nothing changed by the failures. */
        assert_true(c.cli.load_kmods);
        assert_int_equal(c.runtime.mode, NVCR_MODE_AUTO);
        /* The last of several wins; bare booleans are true. */
        set_ok(&c, "nvidia-container-cli.load-kmods=false", NULL);
        set_ok(&c, "nvidia-container-cli.load-kmods", NULL);
        assert_true(c.cli.load_kmods);
        /* A container-relative ldconfig needs the feature. */
        set_ok(&c, "nvidia-container-cli.ldconfig=/sbin/ldconfig", NULL);
        assert_int_equal(config_check(&c, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "nvidia-container-cli.ldconfig"));
        set_ok(&c, "features.allow-ldconfig-from-container=true", NULL);
        assert_int_equal(config_check(&c, &err), 0);
        config_free(&c);
}

/* A file with comments and unknown keys: what we write back is what was set. */
static void test_from_file(void **state)
{
        const char *in = "# site config\n"
                         "disable-require = true\n"
                         "unknown-key = 3\n"
                         "[nvidia-container-cli]\n"
                         "no-cgroups = true # rootless\n"
                         "[nvidia-container-runtime]\n"
                         "runtimes = [\"crun\"]\n";
        static const char *const crun[] = { "crun", NULL };
        struct nvcr_config c = { 0 };
        struct nvcr_err err = { 0 };

        (void)state;
        assert_int_equal(config_parse("in", in, strlen(in), &c, &err), 0);
        set_ok(&c, "nvidia-container-runtime.mode=cdi", NULL);
        assert_true(c.disable_require && c.cli.no_cgroups);
        assert_strv(c.runtime.runtimes, crun);
        round_trip(&c);
        config_free(&c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_default_layout),
                cmocka_unit_test(test_round_trip_all),
                cmocka_unit_test(test_set_lists),
                cmocka_unit_test(test_set_errors),
                cmocka_unit_test(test_from_file),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
