/* SPDX-License-Identifier: Apache-2.0 */
/*
 * procfs parsers on real and odd texts, and the readers on simulated proc
 * trees built under /tmp for each test and removed by the teardown.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* nftw, O_PATH */
#endif
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/err.h"
#include "core/macro.h"
#include "driver/procfs.h"

#define VERSION_580                                                                                \
        "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.159.04  Release Build  "  \
        "(dvs-builder@U22-I3-AF03-09-1)  Thu Jan 15 01:19:56 UTC 2026\n"                          \
        "GCC version:  gcc version 12.3.0 (Ubuntu 12.3.0-1ubuntu1~22.04)\n"

#define INFO_H100                                                                                  \
        "Model: \t\t NVIDIA H100 80GB HBM3\n"                                                      \
        "IRQ:   \t\t 44\n"                                                                         \
        "GPU UUID: \t GPU-3b0a1ebd-6c2a-b8f0-1e63-2e1c9e3e5a71\n"                                  \
        "Video BIOS: \t 96.00.99.00.01\n"                                                          \
        "Bus Type: \t PCIe\n"                                                                      \
        "DMA Size: \t 52 bits\n"                                                                   \
        "DMA Mask: \t 0xfffffffffffff\n"                                                           \
        "Bus Location: \t 0000:00:06.0\n"                                                          \
        "Device Minor: \t 0\n"                                                                     \
        "GPU Firmware: \t 580.159.04\n"                                                            \
        "GPU Excluded:\t No\n"

#define DEVICES                                                                                    \
        "Character devices:\n"                                                                     \
        "  1 mem\n"                                                                                \
        "195 nvidia-frontend\n"                                                                    \
        "195 nvidia\n"                                                                             \
        "195 nvidiactl\n"                                                                          \
        "238 nvidia-uvm\n"                                                                         \
        "239 nvidia-nvswitch\n"                                                                    \
        "240 nvidia-nvlink\n"                                                                      \
        "241 nvidia-caps\n"                                                                        \
        "242 nvidia-caps-imex-channels\n"                                                          \
        "\n"                                                                                       \
        "Block devices:\n"                                                                         \
        "  7 loop\n"

/* ------------------------------------------------------------ proc trees */

struct tree {
        char root[64];
        int fd;
};

static int tree_setup(void **state)
{
        struct tree *t = calloc(1, sizeof(*t));

        assert_non_null(t);
        strcpy(t->root, "/tmp/nvcr-test-procfs-XXXXXX");
        assert_non_null(mkdtemp(t->root));
        t->fd = open(t->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        assert_true(t->fd >= 0);
        *state = t;
        return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)ftw;
        return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static int tree_teardown(void **state)
{
        struct tree *t = *state;

        close(t->fd);
        assert_int_equal(nftw(t->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
        free(t);
        return 0;
}

/* mkdir -p of every parent of `rel`, then writes `text` to it. */
static void put(const struct tree *t, const char *rel, const char *text)
{
        char path[PATH_MAX];
        FILE *f;

        assert_true((size_t)snprintf(path, sizeof(path), "%s/%s", t->root, rel) < sizeof(path));
        for (char *p = path + strlen(t->root) + 1; (p = strchr(p, '/')) != NULL; p++) {
                *p = '\0';
                assert_true(mkdir(path, 0755) == 0 || errno == EEXIST);
                *p = '/';
        }
        f = fopen(path, "w");
        assert_non_null(f);
        assert_int_equal(fputs(text, f) >= 0, 1);
        assert_int_equal(fclose(f), 0);
}

static void mkdir_in(const struct tree *t, const char *rel)
{
        char path[PATH_MAX];

        (void)snprintf(path, sizeof(path), "%s/%s", t->root, rel);
        assert_int_equal(mkdir(path, 0755), 0);
}

static void put_gpu(const struct tree *t, const char *dir, const char *bus, unsigned minor,
                    const char *uuid)
{
        char rel[PATH_MAX], text[512];

        (void)snprintf(rel, sizeof(rel), "driver/nvidia/gpus/%s/information", dir);
        (void)snprintf(text, sizeof(text),
                       "Model: \t\t NVIDIA H100 80GB HBM3\nIRQ:   \t\t 44\n"
                       "GPU UUID: \t %s\nBus Type: \t PCIe\nBus Location: \t %s\n"
                       "Device Minor: \t %u\nGPU Excluded:\t No\n",
                       uuid, bus, minor);
        put(t, rel, text);
}

/* --------------------------------------------------------------- version */

static void expect_version(const char *text, const char *want)
{
        struct nvcr_err err = { 0 };
        char *v = NULL;

        assert_int_equal(procfs_parse_version(text, &v, &err), 0);
        assert_string_equal(v, want);
        free(v);
}

static void expect_no_version(const char *text)
{
        struct nvcr_err err = { 0 };
        char *v = (char *)"untouched";

        assert_int_equal(procfs_parse_version(text, &v, &err), -EINVAL);
        assert_int_equal(err.code, EINVAL);
        assert_string_equal(err.msg, "no NVRM version found");
        assert_string_equal(v, "untouched");
}

static void test_version_formats(void **state)
{
        (void)state;
        expect_version(VERSION_580, "580.159.04");
        expect_version("NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 "
                       "01:15:15 UTC 2023\n",
                       "535.104.05");
        expect_version("NVRM version: NVIDIA UNIX Open Kernel Module for aarch64  570.86.15  "
                       "Release Build  (x@y)  Tue Jan 21 2025\n",
                       "570.86.15");
        expect_version("NVRM version: NVIDIA UNIX x86_64 Kernel Module  396.26  Mon Apr 30",
                       "396.26");
        /* Not on the first line, tabs instead of spaces, CRLF, no final newline. */
        expect_version("GCC version: 12.3.0\nNVRM version:\tNVIDIA\t470.57.02\r\n", "470.57.02");
        /* Tokens that only look like versions are skipped for the real one. */
        expect_version("NVRM version: x86_64 580 1. .2 1..2 1.2a v1.2 12.34\n", "12.34");
}

static void test_version_missing(void **state)
{
        (void)state;
        expect_no_version("");
        expect_no_version("\n\n");
        expect_no_version("GCC version:  gcc version 12.3.0 (Ubuntu 12.3.0-1ubuntu1~22.04)\n");
        expect_no_version("NVRM version: NVIDIA UNIX Open Kernel Module for x86_64\n");
        expect_no_version("NVRM version: 580 580. .580 5..8 580.x\n");
        expect_no_version("NVRM version:");
        /* The version is only taken from the NVRM line. */
        expect_no_version("Driver: 580.159.04\n");
}

static void test_read_version(void **state)
{
        struct tree *t = *state;
        struct nvcr_err err = { 0 };
        char *v = NULL;

        assert_int_equal(procfs_read_version(t->fd, &v, &err), -ENOENT);
        assert_non_null(strstr(err.msg, "driver/nvidia/version"));
        assert_null(v);

        put(t, "driver/nvidia/version", "GCC version:  gcc version 12.3.0\n");
        assert_int_equal(procfs_read_version(t->fd, &v, &err), -EINVAL);
        assert_string_equal(err.msg, "driver/nvidia/version: no NVRM version found");
        assert_null(v);

        put(t, "driver/nvidia/version", VERSION_580);
        assert_int_equal(procfs_read_version(t->fd, &v, &err), 0);
        assert_string_equal(v, "580.159.04");
        free(v);
}

/* ---------------------------------------------------------------- bus ids */

static void expect_bus(const char *in, const char *want)
{
        struct nvcr_err err = { 0 };
        char *s = NULL;

        assert_int_equal(procfs_normalize_bus_id(in, &s, &err), 0);
        assert_string_equal(s, want);
        free(s);
}

static void expect_bad_bus(const char *in)
{
        struct nvcr_err err = { 0 };
        char want[256];
        char *s = NULL;

        assert_int_equal(procfs_normalize_bus_id(in, &s, &err), -EINVAL);
        assert_null(s);
        (void)snprintf(want, sizeof(want), "invalid PCI bus id '%s'", in);
        assert_string_equal(err.msg, want);
}

static void test_bus_ids(void **state)
{
        (void)state;
        expect_bus("0000:00:06.0", "00000000:00:06.0");
        expect_bus("00000000:01:00.0", "00000000:01:00.0");
        expect_bus("1:0.0", "00000000:01:00.0");
        expect_bus("ab:1f.7", "00000000:ab:1f.7");
        expect_bus("0000:AB:1F.7", "00000000:ab:1f.7");
        expect_bus("1:2:3.4", "00000001:02:03.4");
        expect_bus("FFFFFFFF:ff:00.1", "ffffffff:ff:00.1");
        expect_bus("10000:c1:00.0", "00010000:c1:00.0");
}

static void test_bus_ids_bad(void **state)
{
        static const char *const bad[] = {
                "",          "0",          "0000",          "0000:01",        "0000:01:00",
                "0000:01:00.", "0000:01:00.8", "0000:01:00.10", "0000:01:20.0",  "0000:100:00.0",
                "000000000:01:00.0", "0000:01:000.0", "001:00.0", "01:001.0", "0000:01.00.0",
                " 0000:01:00.0", "0000:01:00.0 ", "0000:01:00.0\n", "+1:00.0", "-1:00.0",
                "0x0:01:00.0", "g000:01:00.0", "0000::00.0", ":01:00.0", "0000:01:00:0",
                "0000:01:00.0.0", "0:0:0:0.0", "0000:01:0g.0", "0000:01:00.a",
        };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
                expect_bad_bus(bad[i]);
}

/* ------------------------------------------------------------ information */

static void test_information_h100(void **state)
{
        struct procfs_gpu g = { 0 };
        struct nvcr_err err = { 0 };

        (void)state;
        assert_int_equal(procfs_parse_information(INFO_H100, &g, &err), 0);
        assert_string_equal(g.bus_id, "00000000:00:06.0");
        assert_string_equal(g.model, "NVIDIA H100 80GB HBM3");
        assert_string_equal(g.uuid, "GPU-3b0a1ebd-6c2a-b8f0-1e63-2e1c9e3e5a71");
        assert_true(g.has_minor);
        assert_int_equal(g.minor, 0);
        assert_null(g.proc_dir);
        procfs_gpu_clear(&g);
        assert_null(g.bus_id);
}

static void test_information_odd(void **state)
{
        struct procfs_gpu g = { 0 };
        struct nvcr_err err = { 0 };

        (void)state;
        /* Only the bus location: the rest is optional. No final newline. */
        assert_int_equal(procfs_parse_information("Bus Location:0000:81:00.0", &g, &err), 0);
        assert_string_equal(g.bus_id, "00000000:81:00.0");
        assert_null(g.model);
        assert_null(g.uuid);
        assert_false(g.has_minor);
        procfs_gpu_clear(&g);

        /* Spaces around keys, CRLF, a colon inside a value, duplicate keys. */
        assert_int_equal(procfs_parse_information("  Model :  A:B  \r\n"
                                                  "Device Minor:\t255\r\n"
                                                  "Bus Location: 3:00.1\r\n"
                                                  "Bus Location: 4:00.1\r\n"
                                                  "Model: other\n"
                                                  "no colon here\n",
                                                  &g, &err),
                         0);
        assert_string_equal(g.model, "A:B");
        assert_string_equal(g.bus_id, "00000000:03:00.1");
        assert_int_equal(g.minor, 255);
        procfs_gpu_clear(&g);
}

static void expect_bad_information(const char *text, const char *msg)
{
        struct procfs_gpu g = { .minor = 77 };
        struct nvcr_err err = { 0 };

        assert_int_equal(procfs_parse_information(text, &g, &err), -EINVAL);
        assert_string_equal(err.msg, msg);
        assert_int_equal(g.minor, 77);
        assert_null(g.bus_id);
}

static void test_information_bad(void **state)
{
        (void)state;
        expect_bad_information("Model: x\nDevice Minor: 0\n", "no Bus Location found");
        expect_bad_information("", "no Bus Location found");
        expect_bad_information("BusLocation: 0000:01:00.0\n", "no Bus Location found");
        expect_bad_information("Bus Location: 0000:01:00\n",
                               "Bus Location: invalid PCI bus id '0000:01:00'");
        expect_bad_information("Bus Location: \n", "Bus Location: invalid PCI bus id ''");
        expect_bad_information("Bus Location: 0000:01:00.0\nDevice Minor: -1\n",
                               "invalid Device Minor '-1'");
        expect_bad_information("Bus Location: 0000:01:00.0\nDevice Minor: 4294967296\n",
                               "invalid Device Minor '4294967296'");
        expect_bad_information("Device Minor: 1 2\nBus Location: 0000:01:00.0\n",
                               "invalid Device Minor '1 2'");
}

/* ------------------------------------------------------------------- gpus */

static void test_read_gpus_one(void **state)
{
        struct tree *t = *state;
        struct procfs_gpu *gpus = NULL;
        struct nvcr_err err = { 0 };
        size_t n = 99;

        put(t, "driver/nvidia/gpus/0000:00:06.0/information", INFO_H100);
        /* A stray file beside the GPU directories is not a GPU. */
        put(t, "driver/nvidia/gpus/README", "not a gpu\n");
        assert_int_equal(procfs_read_gpus(t->fd, &gpus, &n, &err), 0);
        assert_int_equal(n, 1);
        assert_string_equal(gpus[0].proc_dir, "0000:00:06.0");
        assert_string_equal(gpus[0].bus_id, "00000000:00:06.0");
        assert_string_equal(gpus[0].model, "NVIDIA H100 80GB HBM3");
        assert_string_equal(gpus[0].uuid, "GPU-3b0a1ebd-6c2a-b8f0-1e63-2e1c9e3e5a71");
        assert_int_equal(gpus[0].minor, 0);
        procfs_gpus_free(gpus, n);
}

static void test_read_gpus_eight(void **state)
{
        /* Minors are assigned by the driver, not in bus order: the sort must use the bus id. */
        static const struct {
                const char *bus;
                unsigned minor;
        } in[] = {
                { "0000:81:00.0", 0 }, { "0000:01:00.0", 3 }, { "0000:c1:00.0", 1 },
                { "0000:41:00.0", 7 }, { "0000:02:00.0", 2 }, { "0001:00:00.0", 6 },
                { "0000:a1:00.0", 5 }, { "0000:21:00.0", 4 },
        };
        static const struct {
                const char *bus;
                unsigned minor;
        } want[] = {
                { "00000000:01:00.0", 3 }, { "00000000:02:00.0", 2 }, { "00000000:21:00.0", 4 },
                { "00000000:41:00.0", 7 }, { "00000000:81:00.0", 0 }, { "00000000:a1:00.0", 5 },
                { "00000000:c1:00.0", 1 }, { "00000001:00:00.0", 6 },
        };
        struct tree *t = *state;
        struct procfs_gpu *gpus = NULL;
        struct nvcr_err err = { 0 };
        char uuid[64];
        size_t n = 0;

        for (size_t i = 0; i < ARRAY_SIZE(in); i++) {
                (void)snprintf(uuid, sizeof(uuid), "GPU-%08u", in[i].minor);
                put_gpu(t, in[i].bus, in[i].bus, in[i].minor, uuid);
        }
        assert_int_equal(procfs_read_gpus(t->fd, &gpus, &n, &err), 0);
        assert_int_equal(n, ARRAY_SIZE(want));
        for (size_t i = 0; i < n; i++) {
                assert_string_equal(gpus[i].bus_id, want[i].bus);
                assert_int_equal(gpus[i].minor, want[i].minor);
                assert_true(gpus[i].has_minor);
                (void)snprintf(uuid, sizeof(uuid), "GPU-%08u", want[i].minor);
                assert_string_equal(gpus[i].uuid, uuid);
                /* proc_dir keeps the 16-bit-domain directory name. */
                assert_string_equal(gpus[i].proc_dir, want[i].bus + 4);
        }
        procfs_gpus_free(gpus, n);
}

static void test_read_gpus_empty(void **state)
{
        struct tree *t = *state;
        struct procfs_gpu *gpus = (struct procfs_gpu *)&gpus;
        struct nvcr_err err = { 0 };
        size_t n = 99;

        mkdir_in(t, "driver");
        mkdir_in(t, "driver/nvidia");
        mkdir_in(t, "driver/nvidia/gpus");
        assert_int_equal(procfs_read_gpus(t->fd, &gpus, &n, &err), 0);
        assert_int_equal(n, 0);
        assert_null(gpus);
}

static void test_read_gpus_missing_dir(void **state)
{
        struct tree *t = *state;
        struct procfs_gpu *gpus = NULL;
        struct nvcr_err err = { 0 };
        size_t n = 99;

        assert_int_equal(procfs_read_gpus(t->fd, &gpus, &n, &err), -ENOENT);
        assert_int_equal(err.code, ENOENT);
        assert_string_equal(err.msg, "open driver/nvidia/gpus: No such file or directory");
        assert_null(gpus);
        assert_int_equal(n, 99);
}

static void expect_gpus_error(const struct tree *t, int code, const char *msg)
{
        struct procfs_gpu *gpus = NULL;
        struct nvcr_err err = { 0 };
        size_t n = 99;

        assert_int_equal(procfs_read_gpus(t->fd, &gpus, &n, &err), code);
        assert_string_equal(err.msg, msg);
        assert_null(gpus);
        assert_int_equal(n, 99);
}

static void test_read_gpus_no_bus_location(void **state)
{
        struct tree *t = *state;

        put_gpu(t, "0000:01:00.0", "0000:01:00.0", 0, "GPU-a");
        put(t, "driver/nvidia/gpus/0000:02:00.0/information", "Model: x\nDevice Minor: 1\n");
        expect_gpus_error(t, -EINVAL,
                          "driver/nvidia/gpus/0000:02:00.0/information: no Bus Location found");
}

static void test_read_gpus_bad_bus(void **state)
{
        struct tree *t = *state;

        put_gpu(t, "0000:01:00.0", "0000:01:00.0", 0, "GPU-a");
        put_gpu(t, "0000:02:00.0", "0000:02:00", 1, "GPU-b");
        expect_gpus_error(t, -EINVAL,
                          "driver/nvidia/gpus/0000:02:00.0/information: Bus Location: invalid "
                          "PCI bus id '0000:02:00'");
}

static void test_read_gpus_no_information(void **state)
{
        struct tree *t = *state;

        put_gpu(t, "0000:01:00.0", "0000:01:00.0", 0, "GPU-a");
        put(t, "driver/nvidia/gpus/0000:02:00.0/power", "x\n");
        expect_gpus_error(t, -ENOENT,
                          "open driver/nvidia/gpus/0000:02:00.0/information failed: No such "
                          "file or directory");
}

static void test_read_gpus_duplicate(void **state)
{
        struct tree *t = *state;
        struct procfs_gpu *gpus = NULL;
        struct nvcr_err err = { 0 };
        size_t n = 0;

        put_gpu(t, "0000:01:00.0", "0000:01:00.0", 0, "GPU-a");
        put_gpu(t, "x", "00000000:01:00.0", 1, "GPU-b");
        assert_int_equal(procfs_read_gpus(t->fd, &gpus, &n, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "share bus id 00000000:01:00.0"));
        assert_null(gpus);
}

/* ---------------------------------------------------------------- devices */

static void test_devices(void **state)
{
        struct procfs_majors m = { 0 };
        struct nvcr_err err = { 0 };

        (void)state;
        assert_int_equal(procfs_parse_devices(DEVICES, &m, &err), 0);
        assert_int_equal(m.nvidia, 195);
        assert_int_equal(m.uvm, 238);
        assert_int_equal(m.nvswitch, 239);
        assert_int_equal(m.nvlink, 240);
        assert_int_equal(m.caps, 241);
        assert_int_equal(m.imex, 242);
}

static void test_devices_odd(void **state)
{
        struct procfs_majors m = { .uvm = 5 };
        struct nvcr_err err = { 0 };

        (void)state;
        /* Block devices never count, names match exactly, old drivers have no frontend. */
        assert_int_equal(procfs_parse_devices("Character devices:\n"
                                              "  1 mem\n"
                                              "300 nvidia-uvm-tools\n"
                                              "301 nvidia-uvm \n"
                                              "302 nvidia-caps2\n"
                                              "x303 nvidia-caps\n"
                                              "4096 nvidia-nvlink\n"
                                              "\n"
                                              "Block devices:\n"
                                              "195 nvidia\n"
                                              "238 nvidia-caps\n",
                                              &m, &err),
                         0);
        assert_int_equal(m.nvidia, 0);
        assert_int_equal(m.uvm, 301);
        assert_int_equal(m.caps, 0);
        assert_int_equal(m.imex, 0);
        assert_int_equal(m.nvlink, 0);

        assert_int_equal(procfs_parse_devices("Character devices:\n 195 nvidia\n", &m, &err), 0);
        assert_int_equal(m.nvidia, 195);
        assert_int_equal(m.uvm, 0);

        /* Without the section header there is nothing to trust. */
        m.uvm = 5;
        assert_int_equal(procfs_parse_devices("195 nvidia\n", &m, &err), -EINVAL);
        assert_string_equal(err.msg, "no Character devices section found");
        assert_int_equal(m.uvm, 5);
        assert_int_equal(procfs_parse_devices("", &m, &err), -EINVAL);
}

static void test_read_majors(void **state)
{
        struct tree *t = *state;
        struct procfs_majors m = { 0 };
        struct nvcr_err err = { 0 };

        assert_int_equal(procfs_read_majors(t->fd, &m, &err), -ENOENT);
        assert_string_equal(err.msg, "open devices failed: No such file or directory");
        put(t, "devices", "Block devices:\n195 nvidia\n");
        assert_int_equal(procfs_read_majors(t->fd, &m, &err), -EINVAL);
        assert_string_equal(err.msg, "devices: no Character devices section found");
        put(t, "devices", DEVICES);
        assert_int_equal(procfs_read_majors(t->fd, &m, &err), 0);
        assert_int_equal(m.nvidia, 195);
        assert_int_equal(m.caps, 241);
}

/* -------------------------------------------------------------------- mig */

static void test_cap_minor(void **state)
{
        struct nvcr_err err = { 0 };
        unsigned v = 77;

        (void)state;
        assert_int_equal(procfs_parse_cap_minor("DeviceFileMinor: 12\nDeviceFileMode: 292\n"
                                                "DeviceFileModify: 1\n",
                                                &v, &err),
                         0);
        assert_int_equal(v, 12);
        assert_int_equal(procfs_parse_cap_minor("DeviceFileMode: 292\nDeviceFileMinor:\t4095",
                                                &v, &err),
                         0);
        assert_int_equal(v, 4095);

        v = 77;
        assert_int_equal(procfs_parse_cap_minor("DeviceFileMode: 292\n", &v, &err), -EINVAL);
        assert_string_equal(err.msg, "no DeviceFileMinor found");
        assert_int_equal(procfs_parse_cap_minor("DeviceFileMinor: x\n", &v, &err), -EINVAL);
        assert_string_equal(err.msg, "invalid DeviceFileMinor 'x'");
        assert_int_equal(procfs_parse_cap_minor("DeviceFileMinor: 99999999999\n", &v, &err),
                         -EINVAL);
        assert_int_equal(procfs_parse_cap_minor("DeviceFileMinor:\n", &v, &err), -EINVAL);
        assert_int_equal(procfs_parse_cap_minor("", &v, &err), -EINVAL);
        assert_int_equal(v, 77);
}

static void put_access(const struct tree *t, const char *rel, unsigned minor)
{
        char path[PATH_MAX], text[128];

        (void)snprintf(path, sizeof(path), "driver/nvidia/capabilities/%s/access", rel);
        (void)snprintf(text, sizeof(text),
                       "DeviceFileMinor: %u\nDeviceFileMode: 292\nDeviceFileModify: 1\n", minor);
        put(t, path, text);
}

#define CAPS "/proc/driver/nvidia/capabilities/gpu3/mig/"

static void expect_mig(const struct nvcr_mig *m, unsigned gi, unsigned ci, unsigned gi_minor,
                       unsigned ci_minor)
{
        char path[256];

        assert_int_equal(m->gi, gi);
        assert_int_equal(m->ci, ci);
        assert_null(m->uuid);
        (void)snprintf(path, sizeof(path), CAPS "gi%u", gi);
        assert_string_equal(m->gi_caps_path, path);
        (void)snprintf(path, sizeof(path), CAPS "gi%u/ci%u", gi, ci);
        assert_string_equal(m->ci_caps_path, path);
        assert_true(m->has_gi_cap_minor);
        assert_int_equal(m->gi_cap_minor, gi_minor);
        assert_true(m->has_ci_cap_minor);
        assert_int_equal(m->ci_cap_minor, ci_minor);
}

static void test_read_migs(void **state)
{
        struct tree *t = *state;
        struct nvcr_mig *migs = NULL;
        struct nvcr_err err = { 0 };
        size_t n = 0;

        put(t, "driver/nvidia/capabilities/mig/config", "DeviceFileMinor: 1\n");
        put_access(t, "gpu3/mig/gi13", 120);
        put_access(t, "gpu3/mig/gi13/ci0", 121);
        put_access(t, "gpu3/mig/gi2", 30);
        put_access(t, "gpu3/mig/gi2/ci1", 32);
        put_access(t, "gpu3/mig/gi2/ci0", 31);
        put_access(t, "gpu3/mig/gi0", 3);
        put_access(t, "gpu3/mig/gi0/ci0", 4);
        put_access(t, "gpu3/mig/gi5", 50); /* no compute instance: no entry */
        /* Not instances: ignored. */
        put_access(t, "gpu3/mig/gix", 60);
        put_access(t, "gpu3/mig/gi", 61);
        put_access(t, "gpu3/mig/gi01", 62);
        put_access(t, "gpu3/mig/gi0/cix", 63);
        put_access(t, "gpu3/mig/gi0/ci-1", 64);
        put(t, "driver/nvidia/capabilities/gpu3/mig/gi7", "a file, not a directory\n");
        put(t, "driver/nvidia/capabilities/gpu3/mig/gi2/ci9", "a file, not a directory\n");
        put(t, "driver/nvidia/capabilities/gpu3/mig/monitor", "x\n");

        assert_int_equal(procfs_read_migs(t->fd, 3, &migs, &n, &err), 0);
        assert_int_equal(n, 4);
        expect_mig(&migs[0], 0, 0, 3, 4);
        expect_mig(&migs[1], 2, 0, 30, 31);
        expect_mig(&migs[2], 2, 1, 30, 32);
        expect_mig(&migs[3], 13, 0, 120, 121);
        procfs_migs_free(migs, n);
}

static void test_read_migs_unreadable_access(void **state)
{
        struct tree *t = *state;
        struct nvcr_mig *migs = NULL;
        struct nvcr_err err = { 0 };
        size_t n = 0;

        put(t, "driver/nvidia/capabilities/gpu0/mig/gi1/ci0/other", "x\n");
        put(t, "driver/nvidia/capabilities/gpu0/mig/gi1/access", "DeviceFileMinor: bad\n");
        assert_int_equal(procfs_read_migs(t->fd, 0, &migs, &n, &err), 0);
        assert_int_equal(n, 1);
        assert_int_equal(migs[0].gi, 1);
        assert_int_equal(migs[0].ci, 0);
        assert_false(migs[0].has_gi_cap_minor);
        assert_false(migs[0].has_ci_cap_minor);
        assert_string_equal(migs[0].ci_caps_path,
                            "/proc/driver/nvidia/capabilities/gpu0/mig/gi1/ci0");
        procfs_migs_free(migs, n);
}

static void test_read_migs_none(void **state)
{
        struct tree *t = *state;
        struct nvcr_mig *migs = (struct nvcr_mig *)&migs;
        struct nvcr_err err = { 0 };
        size_t n = 99;

        /* No capabilities directory at all. */
        assert_int_equal(procfs_read_migs(t->fd, 0, &migs, &n, &err), 0);
        assert_null(migs);
        assert_int_equal(n, 0);

        /* Another GPU has MIG; this one has an empty mig directory. */
        put_access(t, "gpu1/mig/gi1/ci0", 9);
        mkdir_in(t, "driver/nvidia/capabilities/gpu0");
        mkdir_in(t, "driver/nvidia/capabilities/gpu0/mig");
        n = 99;
        assert_int_equal(procfs_read_migs(t->fd, 0, &migs, &n, &err), 0);
        assert_null(migs);
        assert_int_equal(n, 0);
        n = 99;
        assert_int_equal(procfs_read_migs(t->fd, 2, &migs, &n, &err), 0);
        assert_int_equal(n, 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_version_formats),
                cmocka_unit_test(test_version_missing),
                cmocka_unit_test_setup_teardown(test_read_version, tree_setup, tree_teardown),
                cmocka_unit_test(test_bus_ids),
                cmocka_unit_test(test_bus_ids_bad),
                cmocka_unit_test(test_information_h100),
                cmocka_unit_test(test_information_odd),
                cmocka_unit_test(test_information_bad),
                cmocka_unit_test_setup_teardown(test_read_gpus_one, tree_setup, tree_teardown),
                cmocka_unit_test_setup_teardown(test_read_gpus_eight, tree_setup, tree_teardown),
                cmocka_unit_test_setup_teardown(test_read_gpus_empty, tree_setup, tree_teardown),
                cmocka_unit_test_setup_teardown(test_read_gpus_missing_dir, tree_setup,
                                                tree_teardown),
                cmocka_unit_test_setup_teardown(test_read_gpus_no_bus_location, tree_setup,
                                                tree_teardown),
                cmocka_unit_test_setup_teardown(test_read_gpus_bad_bus, tree_setup, tree_teardown),
                cmocka_unit_test_setup_teardown(test_read_gpus_no_information, tree_setup,
                                                tree_teardown),
                cmocka_unit_test_setup_teardown(test_read_gpus_duplicate, tree_setup,
                                                tree_teardown),
                cmocka_unit_test(test_devices),
                cmocka_unit_test(test_devices_odd),
                cmocka_unit_test_setup_teardown(test_read_majors, tree_setup, tree_teardown),
                cmocka_unit_test(test_cap_minor),
                cmocka_unit_test_setup_teardown(test_read_migs, tree_setup, tree_teardown),
                cmocka_unit_test_setup_teardown(test_read_migs_unreadable_access, tree_setup,
                                                tree_teardown),
                cmocka_unit_test_setup_teardown(test_read_migs_none, tree_setup, tree_teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
