/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pure parts of the device-cgroup code: /proc/<pid>/cgroup and mountinfo
 * texts (real ones from a v1 hybrid host, a cgroup v2 host and a container,
 * and broken ones), and the BPF program rewrite, whose result is run by a
 * small interpreter of the instructions it and runc's filters use, so that
 * the jump offsets and register use are checked without a kernel (the
 * kernel side is tests/integration/cgroup.bats).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "apply/cgroup-parse.h"
#include "core/err.h"
#include "core/macro.h"

/* ---------------------------------------------------------- /proc/<pid>/cgroup */

#define PROC_HYBRID                                                                                \
        "12:name=systemd:/docker/abc\n"                                                            \
        "11:pids:/docker/abc\n"                                                                    \
        "10:name=devices:/not-this-one\n"                                                          \
        "9:blkio:/docker/abc\n"                                                                    \
        "5:devices:/docker/abc\n"                                                                  \
        "4:memory:/docker/abc\n"                                                                   \
        "1:cpu,cpuacct:/docker/abc\n"                                                              \
        "0::/system.slice/docker.service\n"

static void test_proc_hybrid(void **state)
{
        struct cgroup_paths p = {0};
        struct nvcr_err err = {0};

        (void)state;
        assert_int_equal(cgroup_parse_proc(PROC_HYBRID, &p, &err), 0);
        assert_string_equal(p.devices, "/docker/abc");
        assert_string_equal(p.unified, "/system.slice/docker.service");
        cgroup_paths_done(&p);
}

static void test_proc_comounted_and_colons(void **state)
{
        struct cgroup_paths p = {0};

        (void)state;
        /* devices co-mounted with others; a path holding ':'; no final newline. */
        assert_int_equal(cgroup_parse_proc("7:cpu,devices,freezer:/a:b/c\n3:memory:/x", &p, NULL),
                         0);
        assert_string_equal(p.devices, "/a:b/c");
        assert_null(p.unified);
        cgroup_paths_done(&p);
}

static void test_proc_v2_only(void **state)
{
        struct cgroup_paths p = {0};

        (void)state;
        assert_int_equal(cgroup_parse_proc("0::/system.slice/docker-0123abcd.scope\n", &p, NULL),
                         0);
        assert_null(p.devices);
        assert_string_equal(p.unified, "/system.slice/docker-0123abcd.scope");
        cgroup_paths_done(&p);

        assert_int_equal(cgroup_parse_proc("0::/\n", &p, NULL), 0);
        assert_string_equal(p.unified, "/");
        cgroup_paths_done(&p);
}

static void test_proc_no_devices(void **state)
{
        struct cgroup_paths p = {0};

        (void)state;
        /* "name=devices" is a named hierarchy, not the controller. */
        assert_int_equal(cgroup_parse_proc("2:name=devices:/x\n1:memory:/y\n", &p, NULL), 0);
        assert_null(p.devices);
        assert_null(p.unified);
        cgroup_paths_done(&p);
        assert_int_equal(cgroup_parse_proc("", &p, NULL), 0);
        assert_null(p.devices);
        assert_null(p.unified);
}

static void test_proc_dotdot_elsewhere(void **state)
{
        struct cgroup_paths p = {0};

        (void)state;
        /* Only our hierarchies' paths matter; others may be outside our namespace. */
        assert_int_equal(cgroup_parse_proc("4:memory:/../..\n5:devices:/a\n", &p, NULL), 0);
        assert_string_equal(p.devices, "/a");
        cgroup_paths_done(&p);
}

static void test_proc_bad(void **state)
{
        static const struct {
                const char *text;
                const char *msg;
        } bad[] = {
                {"garbage\n", "line 1"},
                {"5:devices\n", "not ID:CONTROLLERS:PATH"},
                {"x:devices:/a\n", "bad hierarchy id"},
                {":devices:/a\n", "bad hierarchy id"},
                {"5:devices:\n", "bad hierarchy id or path"},
                {"5:devices:relative\n", "bad hierarchy id or path"},
                {"0:cpu:/x\n", "hierarchy 0 with controllers"},
                {"0::/a\n0::/b\n", "a second unified"},
                {"5:devices:/a\n6:cpu,devices:/b\n", "line 2"},
                {"5:devices:/../..\n", "outside our cgroup namespace"},
                {"1:cpu:/\n0::/a/../b\n", "line 2"},
                {"0::/a//b\n", "empty"},
                {"0::/a/./b\n", "\".\""},
                {"0::/a/\n", "component"},
                {"0::/..\n", "\"..\""},
        };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                struct cgroup_paths p = {0};
                struct nvcr_err err = {0};
                int r = cgroup_parse_proc(bad[i].text, &p, &err);

                if (r != -EINVAL || strstr(err.msg, bad[i].msg) == NULL)
                        fail_msg("\"%s\": r=%d msg \"%s\", wanted -EINVAL and \"%s\"",
                                 bad[i].text, r, err.msg, bad[i].msg);
                assert_int_equal(err.code, EINVAL);
                assert_null(p.devices);
                assert_null(p.unified);
        }
}

static void test_path_check(void **state)
{
        (void)state;
        assert_int_equal(cgroup_path_check("/", NULL), 0);
        assert_int_equal(cgroup_path_check("/a/b.c/...", NULL), 0);
        assert_int_equal(cgroup_path_check("/..a/a..", NULL), 0);
        assert_int_equal(cgroup_path_check("", NULL), -EINVAL);
        assert_int_equal(cgroup_path_check("a/b", NULL), -EINVAL);
        assert_int_equal(cgroup_path_check("/a/..", NULL), -EINVAL);
        assert_int_equal(cgroup_path_check("/../a", NULL), -EINVAL);
        assert_int_equal(cgroup_path_check("/.", NULL), -EINVAL);
        assert_int_equal(cgroup_path_check("//", NULL), -EINVAL);
}

/* ---------------------------------------------------------------- mountinfo */

/* From this Debian 12 machine (v1 hybrid). */
#define MI_HYBRID                                                                                  \
        "22 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"                                           \
        "23 22 0:40 / /tmp/empty\\040source rw,relatime - tmpfs  rw\n"                             \
        "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"                       \
        "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"                      \
        "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"                \
        "36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"              \
        "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"         \
        "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"

/* A cgroup v2 host (systemd), with optional fields. */
#define MI_V2                                                                                      \
        "24 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw\n"                            \
        "30 24 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 "  \
        "rw,nsdelegate,memory_recursiveprot\n"

/* Inside a docker container with cgroup v1: the mounts' roots are the container's cgroups. */
#define MI_CONTAINER                                                                               \
        "700 650 0:140 / / rw,relatime master:300 - overlay overlay rw,lowerdir=/l\n"               \
        "720 718 0:33 /docker/abc /sys/fs/cgroup/devices ro,nosuid,nodev,noexec,relatime "          \
        "master:15 - cgroup cgroup rw,devices\n"                                                   \
        "721 718 0:29 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro,nosuid master:12 - cgroup cgroup "  \
        "rw,cpu,cpuacct\n"

struct found {
        struct cgroup_mount m;
        char *rel;
};

static int find(const char *mi, enum cgroup_version ver, const char *path, struct found *f,
                struct nvcr_err *err)
{
        memset(f, 0, sizeof(*f));
        return cgroup_find_mount(mi, ver, path, &f->m, &f->rel, err);
}

static void found_done(struct found *f)
{
        cgroup_mount_done(&f->m);
        free(f->rel);
        f->rel = NULL;
}

static void test_mi_hybrid(void **state)
{
        struct nvcr_err err = {0};
        struct found f;

        (void)state;
        assert_int_equal(find(MI_HYBRID, CGROUP_V1, "/docker/abc", &f, &err), 0);
        assert_string_equal(f.m.mountpoint, "/sys/fs/cgroup/devices");
        assert_string_equal(f.m.root, "/");
        assert_string_equal(f.rel, "docker/abc");
        assert_int_equal(f.m.mnt_id, 36);
        assert_int_equal(f.m.dev_major, 0);
        assert_int_equal(f.m.dev_minor, 33);
        found_done(&f);

        assert_int_equal(find(MI_HYBRID, CGROUP_V1, "/", &f, &err), 0);
        assert_string_equal(f.rel, ".");
        found_done(&f);

        assert_int_equal(find(MI_HYBRID, CGROUP_V2, "/user.slice", &f, &err), 0);
        assert_string_equal(f.m.mountpoint, "/sys/fs/cgroup/unified");
        assert_string_equal(f.rel, "user.slice");
        assert_int_equal(f.m.mnt_id, 41);
        assert_int_equal(f.m.dev_minor, 38);
        found_done(&f);
}

static void test_mi_v2(void **state)
{
        struct nvcr_err err = {0};
        struct found f;

        (void)state;
        assert_int_equal(find(MI_V2, CGROUP_V2, "/system.slice/docker-1.scope", &f, &err), 0);
        assert_string_equal(f.m.mountpoint, "/sys/fs/cgroup");
        assert_string_equal(f.rel, "system.slice/docker-1.scope");
        found_done(&f);
        /* No v1 devices mount on a v2 host: ENOENT lets the caller take v2. */
        assert_int_equal(find(MI_V2, CGROUP_V1, "/x", &f, &err), -ENOENT);
        assert_non_null(strstr(err.msg, "no cgroup v1 devices mount"));
        assert_int_equal(find(MI_CONTAINER, CGROUP_V2, "/x", &f, &err), -ENOENT);
        assert_non_null(strstr(err.msg, "no cgroup2 mount"));
}

static void test_mi_root_not_slash(void **state)
{
        struct nvcr_err err = {0};
        struct found f;

        (void)state;
        assert_int_equal(find(MI_CONTAINER, CGROUP_V1, "/docker/abc", &f, &err), 0);
        assert_string_equal(f.m.root, "/docker/abc");
        assert_string_equal(f.m.mountpoint, "/sys/fs/cgroup/devices");
        assert_string_equal(f.rel, ".");
        assert_int_equal(f.m.mnt_id, 720);
        found_done(&f);

        assert_int_equal(find(MI_CONTAINER, CGROUP_V1, "/docker/abc/inner/x", &f, &err), 0);
        assert_string_equal(f.rel, "inner/x");
        found_done(&f);

        /* A prefix of the name is not a parent directory. */
        assert_int_equal(find(MI_CONTAINER, CGROUP_V1, "/docker/abcd", &f, &err), -EXDEV);
        assert_non_null(strstr(err.msg, "no cgroup v1 devices mount holds the cgroup "
                                        "/docker/abcd"));
        assert_int_equal(find(MI_CONTAINER, CGROUP_V1, "/docker", &f, &err), -EXDEV);
        assert_int_equal(find(MI_CONTAINER, CGROUP_V1, "/", &f, &err), -EXDEV);
}

static void test_mi_shortest_root_and_hidden(void **state)
{
        static const char both[] =
                "50 1 0:33 /docker/abc /a ro - cgroup cgroup rw,devices\n"
                "51 1 0:33 / /b rw - cgroup cgroup rw,devices\n";
        static const char stacked[] =
                "50 1 0:33 / /sys/fs/cgroup/devices rw - cgroup cgroup rw,devices\n"
                "51 1 0:33 /docker /sys/fs/cgroup/devices rw - cgroup cgroup rw,devices\n";
        static const char hidden[] =
                "50 1 0:33 / /sys/fs/cgroup/devices rw - cgroup cgroup rw,devices\n"
                "51 1 0:99 / /sys/fs/cgroup/devices rw - tmpfs tmpfs rw\n";
        struct nvcr_err err = {0};
        struct found f;

        (void)state;
        assert_int_equal(find(both, CGROUP_V1, "/docker/abc/x", &f, &err), 0);
        assert_string_equal(f.m.mountpoint, "/b");
        assert_string_equal(f.rel, "docker/abc/x");
        found_done(&f);
        /* The later mount on the same mount point is the one a path reaches. */
        assert_int_equal(find(stacked, CGROUP_V1, "/docker/abc", &f, &err), 0);
        assert_int_equal(f.m.mnt_id, 51);
        assert_string_equal(f.rel, "abc");
        found_done(&f);
        assert_int_equal(find(hidden, CGROUP_V1, "/x", &f, &err), -EXDEV);
}

static void test_mi_escapes(void **state)
{
        static const char mi[] =
                "60 1 0:33 /my\\040cg /sys/fs/cgroup/dev\\040ices\\011x rw - cgroup cg\\040src "
                "rw,devices\n"
                "61 1 0:38 /back\\134slash /sys/fs/cgroup/un\\012ified rw - cgroup2 cgroup2 rw\n";
        struct nvcr_err err = {0};
        struct found f;

        (void)state;
        assert_int_equal(find(mi, CGROUP_V1, "/my cg/a b", &f, &err), 0);
        assert_string_equal(f.m.root, "/my cg");
        assert_string_equal(f.m.mountpoint, "/sys/fs/cgroup/dev ices\tx");
        assert_string_equal(f.rel, "a b");
        found_done(&f);
        assert_int_equal(find(mi, CGROUP_V2, "/back\\slash/c", &f, &err), 0);
        assert_string_equal(f.m.mountpoint, "/sys/fs/cgroup/un\nified");
        assert_string_equal(f.rel, "c");
        found_done(&f);
        /* Unescaped, "/my\040cg" is not a prefix of "/my\\040cg". */
        assert_int_equal(find(mi, CGROUP_V1, "/my\\040cg", &f, &err), -EXDEV);
}

static void test_mi_bad(void **state)
{
        static const char *const bad[] = {
                "36 31 0:33 / /sys/fs/cgroup/devices rw cgroup cgroup rw,devices\n", /* no "-" */
                "36 31 0:33 / /sys/fs/cgroup/devices rw - cgroup cgroup\n",         /* short */
                "36 31 0:33 / /d rw - cgroup cgroup rw,devices extra\n",
                "x 31 0:33 / /sys/fs/cgroup/devices rw - cgroup cgroup rw,devices\n",
                "36 31 0-33 / /sys/fs/cgroup/devices rw - cgroup cgroup rw,devices\n",
                "36 31 0:33x / /sys/fs/cgroup/devices rw - cgroup cgroup rw,devices\n",
                "36 31 :33 / /sys/fs/cgroup/devices rw - cgroup cgroup rw,devices\n",
                "36 31 0:33 /  /sys/fs/cgroup/devices rw - cgroup cgroup rw,devices\n",
                "36 31 0:33 / /sys/fs/cgroup/devices rw - cgroup cgroup rw,devices \n",
                "36 31 0:33 / /a\\04 rw - cgroup cgroup rw,devices\n",
                "36 31 0:33 / /a\\999 rw - cgroup cgroup rw,devices\n",
                "36 31 0:33 / /a\\000b rw - cgroup cgroup rw,devices\n",
                "36 31 0:33 /x\\ rw - cgroup cgroup rw,devices\n",
                "36 31 0:33 / /d rw -  cgroup rw,devices\n", /* empty fstype */
                "36 31 0:33 / /d  - cgroup cgroup rw,devices\n", /* empty options */
                MI_HYBRID "\n" MI_V2,
        };
        struct nvcr_err err = {0};
        struct found f;

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                int r = find(bad[i], CGROUP_V1, "/x", &f, &err);

                if (r != -EINVAL || strstr(err.msg, "mountinfo line") == NULL)
                        fail_msg("case %zu: r=%d \"%s\"", i, r, err.msg);
        }
        /* A bad cgroup path never reaches the mounts. */
        assert_int_equal(find(MI_HYBRID, CGROUP_V1, "/a/../b", &f, &err), -EINVAL);
        assert_int_equal(find(MI_HYBRID, CGROUP_V1, "rel", &f, &err), -EINVAL);
        /* A root outside our namespace holds nothing. */
        assert_int_equal(find("5 1 0:33 /.. /d rw - cgroup cgroup rw,devices\n", CGROUP_V1, "/x",
                              &f, &err),
                         -EXDEV);
}

/* ------------------------------------------------------- the BPF rewrite */

#include "common/runc-devfilter.h"

static const struct rule runc_default[] = {
        {'c', 1, 3, "rwm", 1},  {'c', 1, 5, "rwm", 1}, {'c', 1, 7, "rwm", 1},
        {'c', 1, 8, "rwm", 1},  {'c', 1, 9, "rwm", 1}, {'c', 5, 0, "rwm", 1},
        {'c', 5, 1, "rw", 1},   {'c', 5, 2, "rwm", 1}, {'c', 136, -1, "rwm", 1},
        {'c', 10, 200, "rwm", 0},
};

#define CTX_TOKEN 0xc7c7c7c7c7c7ull

/*
 * Runs a device program on one access. Only what the filters here use:
 * ALU/ALU64 MOV AND RSH, LDX W from the context, JMP/JMP32 JNE JEQ JSET JA,
 * EXIT. Reading the context through anything but the untouched r1 fails.
 */
static int run(const struct bpf_insn *p, size_t n, int type, int access, unsigned major,
               unsigned minor)
{
        const uint32_t ctx[3] = {(uint32_t)access << 16 | (uint32_t)type, major, minor};
        uint64_t r[11] = {0};

        r[1] = CTX_TOKEN;
        for (size_t pc = 0, steps = 0; pc < n && steps < 100000; pc++, steps++) {
                const struct bpf_insn *in = &p[pc];
                uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
                uint64_t src = BPF_SRC(in->code) == BPF_X ? r[in->src_reg]
                                                          : (uint64_t)(int64_t)in->imm;
                uint64_t dst = r[in->dst_reg];
                bool taken = false;

                switch (cls) {
                case BPF_LDX:
                        assert_int_equal(in->code, BPF_LDX | BPF_W | BPF_MEM);
                        if (r[in->src_reg] != CTX_TOKEN)
                                fail_msg("insn %zu reads the context through r%d, which was "
                                         "clobbered",
                                         pc, in->src_reg);
                        assert_true(in->off >= 0 && in->off <= 8 && in->off % 4 == 0);
                        r[in->dst_reg] = ctx[in->off / 4];
                        break;
                case BPF_ALU:
                case BPF_ALU64:
                        if (cls == BPF_ALU) {
                                dst = (uint32_t)dst;
                                src = (uint32_t)src;
                        }
                        switch (op) {
                        case BPF_MOV: dst = src; break;
                        case BPF_AND: dst &= src; break;
                        case BPF_RSH: dst >>= src; break;
                        default: fail_msg("insn %zu: ALU op 0x%x", pc, op);
                        }
                        r[in->dst_reg] = cls == BPF_ALU ? (uint32_t)dst : dst;
                        break;
                case BPF_JMP:
                case BPF_JMP32:
                        if (op == BPF_EXIT)
                                return (int)r[0];
                        if (cls == BPF_JMP32) {
                                dst = (uint32_t)dst;
                                src = (uint32_t)src;
                        }
                        switch (op) {
                        case BPF_JA: taken = true; break;
                        case BPF_JNE: taken = dst != src; break;
                        case BPF_JEQ: taken = dst == src; break;
                        case BPF_JSET: taken = (dst & src) != 0; break;
                        default: fail_msg("insn %zu: JMP op 0x%x", pc, op);
                        }
                        if (taken)
                                pc = (size_t)((ptrdiff_t)pc + in->off);
                        break;
                default:
                        fail_msg("insn %zu: class %d", pc, cls);
                }
        }
        fail_msg("ran off the end of the program");
        return -1;
}

#define C BPF_DEVCG_DEV_CHAR
#define B BPF_DEVCG_DEV_BLOCK
#define R BPF_DEVCG_ACC_READ
#define W BPF_DEVCG_ACC_WRITE
#define M BPF_DEVCG_ACC_MKNOD

/* The original filter's answers, which the rewrite must keep for all but our devices. */
static void check_runc_answers(const struct bpf_insn *p, size_t n)
{
        assert_int_equal(run(p, n, C, R | W, 1, 3), 1);
        assert_int_equal(run(p, n, C, M, 1, 3), 1);
        assert_int_equal(run(p, n, C, R, 136, 42), 1);
        assert_int_equal(run(p, n, C, R | W, 5, 1), 1);
        assert_int_equal(run(p, n, C, M, 5, 1), 0); /* 5:1 is rw only */
        assert_int_equal(run(p, n, B, R, 1, 3), 0);
        assert_int_equal(run(p, n, C, R, 10, 200), 0);
        assert_int_equal(run(p, n, C, R, 8, 0), 0);
}

static void test_bpf_patch(void **state)
{
        const struct plan_devrule rules[] = {{195, 1}, {195, 3}};
        _cleanup_free_ struct bpf_insn *p = NULL;
        _cleanup_free_ struct plan_devrule *got = NULL;
        struct bpf_insn orig[128];
        size_t norig, np = 0, ngot = 0;

        (void)state;
        norig = runc_filter(runc_default, ARRAY_SIZE(runc_default), orig);
        check_runc_answers(orig, norig);
        assert_int_equal(run(orig, norig, C, R, 195, 1), 0);

        assert_int_equal(cgroup_bpf_patch(orig, norig, rules, 2, &p, &np, NULL), 0);
        /* one prologue (header + a block per rule), then the original, unchanged */
        assert_int_equal(np, 9 + 2 * 4 + norig);
        assert_memory_equal(p + np - norig, orig, norig * sizeof(*orig));
        assert_int_equal(p[0].imm, CGROUP_BPF_MARKER);

        check_runc_answers(p, np);
        assert_int_equal(run(p, np, C, R, 195, 1), 1);
        assert_int_equal(run(p, np, C, W, 195, 1), 1);
        assert_int_equal(run(p, np, C, R | W, 195, 3), 1);
        assert_int_equal(run(p, np, C, 0, 195, 3), 1);
        assert_int_equal(run(p, np, C, M, 195, 1), 0);     /* never mknod */
        assert_int_equal(run(p, np, C, R | M, 195, 1), 0); /* not even with r */
        assert_int_equal(run(p, np, C, R | 8, 195, 1), 0); /* unknown access bits */
        assert_int_equal(run(p, np, B, R, 195, 1), 0);     /* char only */
        assert_int_equal(run(p, np, C, R, 195, 2), 0);
        assert_int_equal(run(p, np, C, R, 196, 1), 0);
        assert_int_equal(run(p, np, C, R, 195, 0x10001), 0);

        assert_int_equal(cgroup_bpf_prologue_parse(p, np, &got, &ngot), 9 + 2 * 4);
        assert_int_equal(ngot, 2);
        assert_int_equal(got[0].major, 195);
        assert_int_equal(got[0].minor, 1);
        assert_int_equal(got[1].minor, 3);
        /* runc's program is not ours */
        free(got);
        got = NULL;
        assert_int_equal(cgroup_bpf_prologue_parse(orig, norig, &got, &ngot), 0);
        assert_null(got);
}

static void test_bpf_patch_twice(void **state)
{
        const struct plan_devrule first[] = {{195, 1}, {195, 3}};
        const struct plan_devrule again[] = {{195, 3}, {195, 1}, {195, 3}};
        const struct plan_devrule more[] = {{195, 2}, {195, 1}, {4095, 1048575}};
        _cleanup_free_ struct bpf_insn *p1 = NULL, *p2 = NULL, *p3 = NULL;
        _cleanup_free_ struct plan_devrule *got = NULL;
        struct bpf_insn orig[128];
        size_t norig, n1 = 0, n2 = 0, n3 = 0, ngot = 0;

        (void)state;
        norig = runc_filter(runc_default, ARRAY_SIZE(runc_default), orig);
        assert_int_equal(cgroup_bpf_patch(orig, norig, first, 2, &p1, &n1, NULL), 0);
        /* Everything already allowed: nothing to do, nothing returned. */
        assert_int_equal(cgroup_bpf_patch(p1, n1, again, 3, &p2, &n2, NULL), 1);
        assert_null(p2);
        /* New rules merge into the one prologue: no second prologue. */
        assert_int_equal(cgroup_bpf_patch(p1, n1, more, 3, &p3, &n3, NULL), 0);
        assert_int_equal(n3, 9 + 4 * 4 + norig);
        assert_memory_equal(p3 + n3 - norig, orig, norig * sizeof(*orig));
        assert_int_equal(cgroup_bpf_prologue_parse(p3, n3, &got, &ngot), 9 + 4 * 4);
        assert_int_equal(ngot, 4);
        assert_int_equal(got[0].minor, 1);
        assert_int_equal(got[1].minor, 3);
        assert_int_equal(got[2].minor, 2);
        assert_int_equal(got[3].major, 4095);
        assert_int_equal(got[3].minor, 1048575);
        check_runc_answers(p3, n3);
        assert_int_equal(run(p3, n3, C, R, 195, 1), 1);
        assert_int_equal(run(p3, n3, C, R, 195, 2), 1);
        assert_int_equal(run(p3, n3, C, R, 195, 3), 1);
        assert_int_equal(run(p3, n3, C, R, 4095, 1048575), 1);
        assert_int_equal(run(p3, n3, C, M, 195, 2), 0);
        assert_int_equal(run(p3, n3, C, R, 195, 4), 0);
}

static void test_bpf_prologue_lookalike(void **state)
{
        const struct plan_devrule rules[] = {{195, 1}};
        _cleanup_free_ struct bpf_insn *p = NULL, *q = NULL;
        _cleanup_free_ struct plan_devrule *got = NULL;
        struct bpf_insn orig[128];
        size_t norig, np = 0, nq = 0, ngot = 0;

        (void)state;
        norig = runc_filter(runc_default, ARRAY_SIZE(runc_default), orig);
        assert_int_equal(cgroup_bpf_patch(orig, norig, rules, 1, &p, &np, NULL), 0);
        /* Anything off in the prologue: not taken for ours, a second one is added. */
        p[10].off = 1;
        assert_int_equal(cgroup_bpf_prologue_parse(p, np, &got, &ngot), 0);
        assert_int_equal(cgroup_bpf_patch(p, np, rules, 1, &q, &nq, NULL), 0);
        assert_int_equal(nq, 9 + 4 + np);
        free(q);
        q = NULL;
        p[10].off = 2;
        p[0].imm = 0;
        assert_int_equal(cgroup_bpf_prologue_parse(p, np, &got, &ngot), 0);
        p[0].imm = CGROUP_BPF_MARKER;
        p[5].off = 100; /* jumps beyond the blocks */
        assert_int_equal(cgroup_bpf_prologue_parse(p, np, &got, &ngot), 0);
        p[5].off = -3;
        assert_int_equal(cgroup_bpf_prologue_parse(p, np, &got, &ngot), 0);
        assert_int_equal(cgroup_bpf_prologue_parse(p, 8, &got, &ngot), 0);
}

static void test_bpf_patch_refused(void **state)
{
        const struct plan_devrule rules[] = {{195, 1}};
        struct bpf_insn call[] = {
                INSN(BPF_JMP | BPF_CALL, 0, 0, 0, 15 /* get_current_uid_gid */),
                INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1),
                INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
        };
        struct bpf_insn map[] = {
                INSN(BPF_LD | BPF_IMM | BPF_DW, 2, BPF_PSEUDO_MAP_FD, 0, 7),
                INSN(0, 0, 0, 0, 0),
                INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1),
                INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
        };
        struct bpf_insn blinded[] = {
                INSN(BPF_ALU64 | BPF_MOV | BPF_K, 11, 0, 0, 0x1234),
                INSN(BPF_ALU64 | BPF_XOR | BPF_K, 11, 0, 0, 0x1235),
                INSN(BPF_ALU64 | BPF_MOV | BPF_X, 0, 11, 0, 0),
                INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
        };
        struct bpf_insn imm64[] = {
                /* a plain 64-bit immediate (src_reg 0) loads again as it is */
                INSN(BPF_LD | BPF_IMM | BPF_DW, 0, 0, 0, 1),
                INSN(0, 0, 0, 0, 0),
                INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
        };
        struct nvcr_err err = {0};
        struct bpf_insn *p = NULL;
        size_t np = 0;

        (void)state;
        assert_int_equal(cgroup_bpf_patch(call, 3, rules, 1, &p, &np, &err), -ENOTSUP);
        assert_non_null(strstr(err.msg, "instruction 0 is a call"));
        assert_int_equal(cgroup_bpf_patch(map, 4, rules, 1, &p, &np, &err), -ENOTSUP);
        assert_non_null(strstr(err.msg, "references a map"));
        assert_int_equal(cgroup_bpf_patch(blinded, 4, rules, 1, &p, &np, &err), -ENOTSUP);
        assert_non_null(strstr(err.msg, "net.core.bpf_jit_harden"));
        assert_null(p);
        assert_int_equal(cgroup_bpf_patch(imm64, 3, rules, 1, &p, &np, &err), 0);
        assert_int_equal(np, 9 + 4 + 3);
        free(p);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_proc_hybrid),
                cmocka_unit_test(test_proc_comounted_and_colons),
                cmocka_unit_test(test_proc_v2_only),
                cmocka_unit_test(test_proc_no_devices),
                cmocka_unit_test(test_proc_dotdot_elsewhere),
                cmocka_unit_test(test_proc_bad),
                cmocka_unit_test(test_path_check),
                cmocka_unit_test(test_mi_hybrid),
                cmocka_unit_test(test_mi_v2),
                cmocka_unit_test(test_mi_root_not_slash),
                cmocka_unit_test(test_mi_shortest_root_and_hidden),
                cmocka_unit_test(test_mi_escapes),
                cmocka_unit_test(test_mi_bad),
                cmocka_unit_test(test_bpf_patch),
                cmocka_unit_test(test_bpf_patch_twice),
                cmocka_unit_test(test_bpf_prologue_lookalike),
                cmocka_unit_test(test_bpf_patch_refused),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
