/* SPDX-License-Identifier: Apache-2.0 */
/*
 * container_request_compute: every rule of features.md §4.3, both sides of
 * each (none vs void vs empty vs unset, legacy CUDA images, swarm, volume
 * mounts, the unprivileged rule, capabilities, requirements, MIG, IMEX).
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

#include "request/container-env.h"

#define ALL_CAPS NVCR_CAP_ALL
#define DEF_CAPS (NVCR_CAP_UTILITY | NVCR_CAP_COMPUTE)

struct input {
        const char *env[16];
        struct oci_mount mounts[8];
        size_t nmounts;
        bool privileged;
        struct container_env_knobs knobs;
};

static size_t count(const char *const *env)
{
        size_t n = 0;

        while (n < 16 && env[n] != NULL)
                n++;
        return n;
}

static int run(struct input *in, struct container_request *req, struct nvcr_err *err)
{
        return container_request_compute(in->env, count(in->env), in->mounts, in->nmounts,
                                         in->privileged, &in->knobs, req, err);
}

static void ok(struct input *in, struct container_request *req)
{
        struct nvcr_err err = { 0 };
        int r = run(in, req, &err);

        if (r != 0)
                print_error("%d %s\n", r, err.msg);
        assert_int_equal(r, 0);
        if (!req->gpu_container) {
                assert_null(req->devices);
                assert_int_equal(req->caps, 0);
                assert_int_equal(req->nrequires, 0);
                assert_null(req->mig_config);
                assert_null(req->mig_monitor);
                assert_null(req->imex_channels);
        }
}

static void fails(struct input *in, int code, const char *msg)
{
        struct container_request req;
        struct nvcr_err err = { 0 };
        int r = run(in, &req, &err);

        if (r != -code || strcmp(err.msg, msg) != 0)
                print_error("%d '%s' (want %d '%s')\n", r, err.msg, -code, msg);
        assert_int_equal(r, -code);
        assert_int_equal(err.code, code);
        assert_string_equal(err.msg, msg);
        assert_false(req.gpu_container);
        assert_null(req.devices);
}

/* Expect: gpu container with devices `devs` (NULL = driver only). */
static void expect_devices(struct input *in, const char *devs)
{
        struct container_request req;

        ok(in, &req);
        assert_true(req.gpu_container);
        if (devs == NULL)
                assert_null(req.devices);
        else
                assert_string_equal(req.devices, devs);
        container_request_free(&req);
}

static void expect_not_gpu(struct input *in)
{
        struct container_request req;

        ok(in, &req);
        assert_false(req.gpu_container);
        container_request_free(&req);
}

static struct input *new_input(void)
{
        struct input *in = calloc(1, sizeof(*in));

        assert_non_null(in);
        container_env_knobs_init(&in->knobs);
        return in;
}

#define INPUT(...)                                                                                 \
        struct input *in = new_input();                                                            \
        do {                                                                                       \
                const char *e_[] = { __VA_ARGS__ };                                                \
                memcpy(in->env, e_, sizeof(e_));                                                   \
        } while (0)

static void set_env(struct input *in, size_t n, const char *const *e)
{
        memset(in->env, 0, sizeof(in->env));
        memcpy(in->env, e, n * sizeof(*e));
}

#define ENV(...)                                                                                   \
        do {                                                                                       \
                const char *e_[] = { __VA_ARGS__ };                                                \
                set_env(in, ARRAY_SIZE_(e_), e_);                                                  \
        } while (0)
#define ARRAY_SIZE_(a) (sizeof(a) / sizeof((a)[0]))

static void test_defaults(void **state)
{
        struct container_env_knobs k;
        struct container_request req = { 0 };
        struct nvcr_request nr;
        const char *env[] = { "NVIDIA_VISIBLE_DEVICES=0" };
        struct nvcr_err err = { 0 };

        (void)state;
        container_env_knobs_init(&k);
        assert_true(k.accept_envvar_unprivileged);
        assert_false(k.accept_volume_mounts);
        assert_null(k.swarm_resource);
        assert_string_equal(k.supported_caps, "compat32,compute,display,graphics,ngx,utility,video");
        assert_false(k.disable_require);
        assert_false(k.ignore_imex_requests);
        /* NULL knobs = defaults; the nvcr_request skeleton */
        assert_int_equal(container_request_compute(env, 1, NULL, 0, false, NULL, &req, &err), 0);
        container_request_to_nvcr(&req, &nr);
        assert_string_equal(nr.devices, "0");
        assert_int_equal(nr.caps, DEF_CAPS);
        assert_null(nr.rootfs);
        assert_int_equal(nr.pid, 0);
        assert_int_equal(nr.flags, 0);
        container_request_free(&req);
        container_request_free(NULL);
}

static void test_visible_devices(void **state)
{
        INPUT(NULL);

        (void)state;
        expect_not_gpu(in); /* unset */
        ENV("NVIDIA_VISIBLE_DEVICES=");
        expect_not_gpu(in);
        ENV("NVIDIA_VISIBLE_DEVICES=  , ,");
        expect_not_gpu(in);
        ENV("NVIDIA_VISIBLE_DEVICES=void");
        expect_not_gpu(in);
        ENV("NVIDIA_VISIBLE_DEVICES=0,void");
        expect_not_gpu(in);
        ENV("NVIDIA_VISIBLE_DEVICES=none");
        expect_devices(in, NULL); /* driver only */
        ENV("NVIDIA_VISIBLE_DEVICES= none ");
        expect_devices(in, NULL);
        ENV("NVIDIA_VISIBLE_DEVICES=all");
        expect_devices(in, "all");
        ENV("NVIDIA_VISIBLE_DEVICES= 0 , GPU-abc ,, 1:0 ,MIG-x,00000000:01:00.0 ");
        expect_devices(in, "0,GPU-abc,1:0,MIG-x,00000000:01:00.0");
        /* caps of a driver-only container still apply */
        ENV("NVIDIA_VISIBLE_DEVICES=none", "NVIDIA_DRIVER_CAPABILITIES=graphics");
        {
                struct container_request req;

                ok(in, &req);
                assert_true(req.gpu_container);
                assert_int_equal(req.caps, NVCR_CAP_GRAPHICS);
                container_request_free(&req);
        }
        /* the last of repeated names wins, both ways */
        ENV("NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_VISIBLE_DEVICES=void");
        expect_not_gpu(in);
        ENV("NVIDIA_VISIBLE_DEVICES=void", "NVIDIA_VISIBLE_DEVICES=1");
        expect_devices(in, "1");
        /* malformed entries and look-alikes are not the variable */
        ENV("NVIDIA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICESX=0", "XNVIDIA_VISIBLE_DEVICES=0",
            "=NVIDIA_VISIBLE_DEVICES=0");
        expect_not_gpu(in);
        free(in);
}

static void test_not_gpu_never_fails(void **state)
{
        INPUT("NVIDIA_DRIVER_CAPABILITIES=bogus", "NVIDIA_MIG_CONFIG_DEVICES=all",
              "NVIDIA_IMEX_CHANNELS=x", "NVIDIA_VISIBLE_DEVICES=void", "CUDA_VERSION=bad");

        (void)state;
        expect_not_gpu(in);
        in->knobs.supported_caps = "nonsense";
        expect_not_gpu(in);
        free(in);
}

static void test_legacy_image(void **state)
{
        struct container_request req;
        INPUT("CUDA_VERSION=10.2.89");

        (void)state;
        /* unset → all GPUs, all supported caps, implicit cuda>=10.2 */
        ok(in, &req);
        assert_true(req.gpu_container);
        assert_string_equal(req.devices, "all");
        assert_int_equal(req.caps, ALL_CAPS);
        assert_int_equal(req.nrequires, 1);
        assert_string_equal(req.requires[0], "cuda>=10.2");
        container_request_free(&req);
        /* supported caps limit the default */
        in->knobs.supported_caps = "utility,compute,video";
        ok(in, &req);
        assert_int_equal(req.caps, NVCR_CAP_UTILITY | NVCR_CAP_COMPUTE | NVCR_CAP_VIDEO);
        container_request_free(&req);
        in->knobs.supported_caps = NULL;
        /* empty or void still mean no GPU; only unset defaults to all */
        ENV("CUDA_VERSION=10.2.89", "NVIDIA_VISIBLE_DEVICES=");
        expect_not_gpu(in);
        ENV("CUDA_VERSION=10.2.89", "NVIDIA_VISIBLE_DEVICES=void");
        expect_not_gpu(in);
        /* empty caps in a legacy image: utility,compute */
        ENV("CUDA_VERSION=10.2.89", "NVIDIA_DRIVER_CAPABILITIES=");
        ok(in, &req);
        assert_int_equal(req.caps, DEF_CAPS);
        container_request_free(&req);
        /* NVIDIA_REQUIRE_CUDA set: not legacy */
        ENV("CUDA_VERSION=10.2.89", "NVIDIA_REQUIRE_CUDA=cuda>=10.0");
        expect_not_gpu(in);
        ENV("CUDA_VERSION=10.2.89", "NVIDIA_REQUIRE_CUDA=cuda>=10.0",
            "NVIDIA_VISIBLE_DEVICES=0");
        ok(in, &req);
        assert_int_equal(req.caps, DEF_CAPS);
        assert_int_equal(req.nrequires, 1);
        assert_string_equal(req.requires[0], "cuda>=10.0");
        container_request_free(&req);
        /* an empty NVIDIA_REQUIRE_CUDA counts as unset; empty CUDA_VERSION is not legacy */
        ENV("CUDA_VERSION=11", "NVIDIA_REQUIRE_CUDA=");
        ok(in, &req);
        assert_string_equal(req.devices, "all");
        assert_int_equal(req.nrequires, 1);
        assert_string_equal(req.requires[0], "cuda>=11.0");
        container_request_free(&req);
        ENV("CUDA_VERSION=");
        expect_not_gpu(in);
        /* version forms */
        ENV("CUDA_VERSION=v12.4");
        ok(in, &req);
        assert_string_equal(req.requires[0], "cuda>=12.4");
        container_request_free(&req);
        ENV("CUDA_VERSION=12.4.1-rc.1+build5");
        ok(in, &req);
        assert_string_equal(req.requires[0], "cuda>=12.4");
        container_request_free(&req);
        ENV("CUDA_VERSION=abc");
        fails(in, EINVAL, "invalid CUDA_VERSION 'abc': failed to get version");
        ENV("CUDA_VERSION=10.02");
        fails(in, EINVAL, "invalid CUDA_VERSION '10.02': failed to get version");
        ENV("CUDA_VERSION=10.2-rc");
        fails(in, EINVAL, "invalid CUDA_VERSION '10.2-rc': failed to get version");
        ENV("CUDA_VERSION=99999999999.1");
        fails(in, EINVAL, "invalid CUDA_VERSION '99999999999.1': failed to get version");
        /* a bad version does not matter when requirements are disabled */
        ENV("CUDA_VERSION=abc", "NVIDIA_DISABLE_REQUIRE=true");
        ok(in, &req);
        assert_int_equal(req.nrequires, 0);
        container_request_free(&req);
        /* legacy default is an environment request: the unprivileged rule applies */
        ENV("CUDA_VERSION=10.2.89");
        in->knobs.accept_envvar_unprivileged = false;
        expect_not_gpu(in);
        in->privileged = true;
        expect_devices(in, "all");
        free(in);
}

static void test_capabilities(void **state)
{
        struct container_request req;
        INPUT("NVIDIA_VISIBLE_DEVICES=0");

        (void)state;
        ok(in, &req); /* unset */
        assert_int_equal(req.caps, DEF_CAPS);
        container_request_free(&req);
        ENV("NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_DRIVER_CAPABILITIES=");
        ok(in, &req);
        assert_int_equal(req.caps, DEF_CAPS);
        container_request_free(&req);
        ENV("NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_DRIVER_CAPABILITIES= , ");
        ok(in, &req);
        assert_int_equal(req.caps, DEF_CAPS);
        container_request_free(&req);
        ENV("NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_DRIVER_CAPABILITIES=all");
        ok(in, &req);
        assert_int_equal(req.caps, ALL_CAPS);
        container_request_free(&req);
        ENV("NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_DRIVER_CAPABILITIES= video , graphics");
        ok(in, &req);
        assert_int_equal(req.caps, NVCR_CAP_VIDEO | NVCR_CAP_GRAPHICS);
        container_request_free(&req);
        /* unknown name */
        ENV("NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_DRIVER_CAPABILITIES=compute,bogus");
        fails(in, EINVAL,
              "unsupported capabilities found in 'compute,bogus' (allowed "
              "'compat32,compute,display,graphics,ngx,utility,video')");
        /* outside the supported set; "all" means all of the supported ones */
        in->knobs.supported_caps = "utility,compute";
        ENV("NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_DRIVER_CAPABILITIES=graphics,utility");
        fails(in, EINVAL,
              "unsupported capabilities found in 'graphics,utility' (allowed 'utility,compute')");
        ENV("NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_DRIVER_CAPABILITIES=all");
        ok(in, &req);
        assert_int_equal(req.caps, DEF_CAPS);
        container_request_free(&req);
        in->knobs.supported_caps = "utility";
        ENV("NVIDIA_VISIBLE_DEVICES=0");
        ok(in, &req);
        assert_int_equal(req.caps, NVCR_CAP_UTILITY);
        container_request_free(&req);
        in->knobs.supported_caps = "utility,foo";
        fails(in, EINVAL, "invalid supported-driver-capabilities 'utility,foo'");
        free(in);
}

static void test_requires(void **state)
{
        struct container_request req;
        INPUT("NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_REQUIRE_B=driver>=500", "PATH=/bin",
              "NVIDIA_REQUIRE_A=arch>=8.0 brand=tesla", "NVIDIA_REQUIRE_JETPACK=x",
              "NVIDIA_REQUIRE_JETPACK_L4T=y", "NVIDIA_REQUIRE_EMPTY=", "NVIDIA_REQUIRE_=cuda>=1.0",
              "NVIDIA_REQUIRE_B=driver>=510", "CUDA_VERSION=12.1.0");

        (void)state;
        /* env order, last occurrence of a name, JETPACK excluded, empty skipped; legacy last */
        ok(in, &req);
        assert_int_equal(req.nrequires, 4);
        assert_string_equal(req.requires[0], "arch>=8.0 brand=tesla");
        assert_string_equal(req.requires[1], "cuda>=1.0");
        assert_string_equal(req.requires[2], "driver>=510");
        assert_string_equal(req.requires[3], "cuda>=12.1");
        container_request_free(&req);

        /* NVIDIA_DISABLE_REQUIRE: Go ParseBool true values only */
        static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
        static const char *const no[] = { "0", "false", "yes", "on", "tRUE", "", " 1" };
        char buf[64];

        for (size_t i = 0; i < ARRAY_SIZE_(yes) + ARRAY_SIZE_(no); i++) {
                bool y = i < ARRAY_SIZE_(yes);

                (void)snprintf(buf, sizeof(buf), "NVIDIA_DISABLE_REQUIRE=%s",
                               y ? yes[i] : no[i - ARRAY_SIZE_(yes)]);
                ENV("NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_REQUIRE_CUDA=cuda>=12", buf);
                ok(in, &req);
                if (req.nrequires != (y ? 0u : 1u))
                        print_error("%s\n", buf);
                assert_int_equal(req.nrequires, y ? 0 : 1);
                container_request_free(&req);
        }
        /* last entry wins for DISABLE_REQUIRE too */
        ENV("NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_REQUIRE_CUDA=cuda>=12",
            "NVIDIA_DISABLE_REQUIRE=true", "NVIDIA_DISABLE_REQUIRE=false");
        ok(in, &req);
        assert_int_equal(req.nrequires, 1);
        container_request_free(&req);
        /* the config knob */
        in->knobs.disable_require = true;
        ok(in, &req);
        assert_int_equal(req.nrequires, 0);
        assert_null(req.requires);
        container_request_free(&req);
        free(in);
}

static void test_mig(void **state)
{
        struct container_request req;
        INPUT("NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_MIG_CONFIG_DEVICES=all");

        (void)state;
        fails(in, EPERM, "cannot set MIG_CONFIG_DEVICES in non privileged container");
        ENV("NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_MIG_MONITOR_DEVICES=all");
        fails(in, EPERM, "cannot set MIG_MONITOR_DEVICES in non privileged container");
        /* set but empty still needs privilege (the reference checks presence) */
        ENV("NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_MIG_CONFIG_DEVICES=");
        fails(in, EPERM, "cannot set MIG_CONFIG_DEVICES in non privileged container");
        in->privileged = true;
        ok(in, &req);
        assert_null(req.mig_config);
        container_request_free(&req);
        ENV("NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_MIG_CONFIG_DEVICES=all",
            "NVIDIA_MIG_MONITOR_DEVICES=all");
        ok(in, &req);
        assert_string_equal(req.mig_config, "all");
        assert_string_equal(req.mig_monitor, "all");
        {
                struct nvcr_request nr;

                container_request_to_nvcr(&req, &nr);
                assert_string_equal(nr.mig_config, "all");
                assert_string_equal(nr.mig_monitor, "all");
        }
        container_request_free(&req);
        /* unset: nothing, unprivileged fine */
        in->privileged = false;
        ENV("NVIDIA_VISIBLE_DEVICES=0");
        ok(in, &req);
        assert_null(req.mig_config);
        assert_null(req.mig_monitor);
        container_request_free(&req);
        free(in);
}

static void test_imex(void **state)
{
        struct container_request req;
        INPUT("NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_IMEX_CHANNELS= 0, 5 ,1048575");

        (void)state;
        ok(in, &req);
        assert_string_equal(req.imex_channels, "0,5,1048575");
        container_request_free(&req);
        in->knobs.ignore_imex_requests = true;
        ok(in, &req);
        assert_null(req.imex_channels);
        container_request_free(&req);
        in->knobs.ignore_imex_requests = false;
        ENV("NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_IMEX_CHANNELS=all");
        ok(in, &req);
        assert_null(req.imex_channels);
        container_request_free(&req);
        ENV("NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_IMEX_CHANNELS=all,3");
        ok(in, &req);
        assert_string_equal(req.imex_channels, "3");
        container_request_free(&req);
        ENV("NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_IMEX_CHANNELS=");
        ok(in, &req);
        assert_null(req.imex_channels);
        container_request_free(&req);
        ENV("NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_IMEX_CHANNELS=none");
        ok(in, &req);
        assert_null(req.imex_channels);
        container_request_free(&req);
        ENV("NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_IMEX_CHANNELS=1048576");
        fails(in, EINVAL, "invalid IMEX channel '1048576' in NVIDIA_IMEX_CHANNELS");
        ENV("NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_IMEX_CHANNELS=1,-2");
        fails(in, EINVAL, "invalid IMEX channel '-2' in NVIDIA_IMEX_CHANNELS");
        /* IMEX alone does not make a GPU container */
        ENV("NVIDIA_IMEX_CHANNELS=1");
        expect_not_gpu(in);
        /* the unprivileged rule applies to IMEX from the environment */
        ENV("NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_IMEX_CHANNELS=1");
        in->knobs.accept_envvar_unprivileged = false;
        in->knobs.accept_volume_mounts = true;
        in->mounts[0] = (struct oci_mount){
                .source = (char *)"/dev/null",
                .destination = (char *)"/var/run/nvidia-container-devices/0",
        };
        in->nmounts = 1;
        ok(in, &req);
        assert_string_equal(req.devices, "0");
        assert_null(req.imex_channels);
        container_request_free(&req);
        free(in);
}

static void test_swarm(void **state)
{
        INPUT("NVIDIA_VISIBLE_DEVICES=0", "DOCKER_RESOURCE_GPU=GPU-a, GPU-b");

        (void)state;
        /* not configured: the swarm variable means nothing */
        expect_devices(in, "0");
        in->knobs.swarm_resource = "DOCKER_RESOURCE_GPU";
        expect_devices(in, "GPU-a,GPU-b");
        /* several names, concatenated in configured order */
        in->knobs.swarm_resource = " OTHER_RES , DOCKER_RESOURCE_GPU";
        ENV("NVIDIA_VISIBLE_DEVICES=0", "DOCKER_RESOURCE_GPU=2", "OTHER_RES=1");
        expect_devices(in, "1,2");
        /* none set: NVIDIA_VISIBLE_DEVICES */
        ENV("NVIDIA_VISIBLE_DEVICES=3");
        expect_devices(in, "3");
        /* set but empty: replaces NVIDIA_VISIBLE_DEVICES, so no GPU */
        ENV("NVIDIA_VISIBLE_DEVICES=3", "OTHER_RES=");
        expect_not_gpu(in);
        /* the unprivileged rule applies */
        ENV("OTHER_RES=1");
        in->knobs.accept_envvar_unprivileged = false;
        expect_not_gpu(in);
        free(in);
}

static void test_volume_mounts(void **state)
{
        INPUT("NVIDIA_VISIBLE_DEVICES=3", "NVIDIA_IMEX_CHANNELS=9");
        struct container_request req;

        (void)state;
        in->mounts[0] = (struct oci_mount){ .source = (char *)"/dev/null",
                                            .destination = (char *)"/var/run/nvidia-container-devices/GPU-x" };
        in->mounts[1] = (struct oci_mount){ .source = (char *)"/dev//null",
                                            .destination = (char *)"/var/run/nvidia-container-devices//1/" };
        in->mounts[2] = (struct oci_mount){ .source = (char *)"/tmp/x",
                                            .destination = (char *)"/var/run/nvidia-container-devices/2" };
        in->mounts[3] = (struct oci_mount){ .source = NULL,
                                            .destination = (char *)"/var/run/nvidia-container-devices/4" };
        in->mounts[4] = (struct oci_mount){ .source = (char *)"/dev/null",
                                            .destination = (char *)"/var/run/nvidia-container-devices/imex/7" };
        in->mounts[5] = (struct oci_mount){ .source = (char *)"/dev/null",
                                            .destination = (char *)"/var/run/nvidia-container-devices/cdi/nvidia.com/gpu/0" };
        in->mounts[6] = (struct oci_mount){ .source = (char *)"/dev/null",
                                            .destination = (char *)"/var/run/nvidia-container-devices" };
        in->mounts[7] = (struct oci_mount){ .source = (char *)"/dev/null",
                                            .destination = (char *)"/var/run/nvidia-container-devicesX/5" };
        in->nmounts = 8;
        /* not accepted: the mounts mean nothing */
        expect_devices(in, "3");
        in->knobs.accept_volume_mounts = true;
        ok(in, &req);
        assert_true(req.from_mounts);
        assert_string_equal(req.devices, "GPU-x,1"); /* the env is ignored */
        assert_string_equal(req.imex_channels, "7");
        container_request_free(&req);
        /* mounts win over void, and over the unprivileged rule */
        ENV("NVIDIA_VISIBLE_DEVICES=void");
        in->knobs.accept_envvar_unprivileged = false;
        expect_devices(in, "GPU-x,1");
        /* no device mount: back to the environment (under the unprivileged rule) */
        in->nmounts = 0;
        ENV("NVIDIA_VISIBLE_DEVICES=3");
        expect_not_gpu(in);
        in->knobs.accept_envvar_unprivileged = true;
        ok(in, &req);
        assert_false(req.from_mounts);
        assert_string_equal(req.devices, "3");
        container_request_free(&req);
        /* an IMEX mount alone requests no device */
        in->mounts[0] = in->mounts[4];
        in->nmounts = 1;
        ENV("NVIDIA_VISIBLE_DEVICES=void");
        expect_not_gpu(in);
        /* ".." in a destination is cleaned like Go's filepath.Clean */
        in->mounts[0] = (struct oci_mount){ .source = (char *)"/dev/null",
                                            .destination = (char *)"/var/run/nvidia-container-devices/x/../5" };
        expect_devices(in, "5");
        in->mounts[0].destination = (char *)"/var/run/nvidia-container-devices/../5";
        expect_not_gpu(in);
        in->mounts[0].destination = (char *)"/var/run/nvidia-container-devices/imex/abc";
        ENV("NVIDIA_VISIBLE_DEVICES=0");
        fails(in, EINVAL,
              "invalid IMEX channel 'abc' in mount /var/run/nvidia-container-devices/imex/abc");
        free(in);
}

static void test_unprivileged(void **state)
{
        INPUT("NVIDIA_VISIBLE_DEVICES=all");

        (void)state;
        /* security.md §4 item 11 */
        in->knobs.accept_envvar_unprivileged = false;
        expect_not_gpu(in);
        ENV("NVIDIA_VISIBLE_DEVICES=none");
        expect_not_gpu(in);
        in->privileged = true;
        expect_devices(in, NULL);
        ENV("NVIDIA_VISIBLE_DEVICES=all");
        expect_devices(in, "all");
        in->privileged = false;
        in->knobs.accept_envvar_unprivileged = true;
        expect_devices(in, "all");
        free(in);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_visible_devices),
                cmocka_unit_test(test_not_gpu_never_fails),
                cmocka_unit_test(test_legacy_image),
                cmocka_unit_test(test_capabilities),
                cmocka_unit_test(test_requires),
                cmocka_unit_test(test_mig),
                cmocka_unit_test(test_imex),
                cmocka_unit_test(test_swarm),
                cmocka_unit_test(test_volume_mounts),
                cmocka_unit_test(test_unprivileged),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
