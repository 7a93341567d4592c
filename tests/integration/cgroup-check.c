/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Device cgroup rules against the real kernel (run as root by cgroup.bats).
 *
 *   cgroup-check v2 CGDIR TMPDIR VARIANT   VARIANT: multi multi2 single override none
 *                                                   helper helper2 rollback blinded
 *                                                   discover
 * (exit 77: the variant needs what this build or machine lacks)
 *   cgroup-check v1 CGDIR TMPDIR
 *
 * CGDIR is created (v2: under a cgroup2 mount, v1: under the devices
 * hierarchy) and removed at the end, also on failure. A child process is
 * moved into it and opens or mknods device nodes on request, so that the
 * kernel's device checks are made for a task inside the cgroup:
 *  - a node whose major has no driver (195 where no NVIDIA module is loaded,
 *    else a major for local use that /proc/devices does not list) fails
 *    with ENXIO once past the cgroup check and with EPERM when the cgroup
 *    denies it, which tells the two apart;
 *  - v2 starts from a filter built the way runc 1.1 builds its default one
 *    (deny all; allow c 1:3 1:5 1:7 1:8 1:9 5:0 5:1 5:2 136:* rwm).
 * Prints "ok: …" or "FAIL: …" per check; exit 0 all passed, 1 a check
 * failed, 2 the test could not be set up.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "apply/cgroup-parse.h"
#include "apply/cgroup.h"
#include "core/macro.h"

static int failures;
static unsigned tmaj = 195; /* a char major without a driver */
static pid_t child = -1;
static int child_sock = -1;
static char cgdir[PATH_MAX];
static char submount[PATH_MAX]; /* a tmpfs we mounted inside the cgroup tree */
static char subcg[PATH_MAX];
static char tmpdir[PATH_MAX];
static char harden_saved[16]; /* net.core.bpf_jit_harden to put back */

static void cleanup(void)
{
        if (harden_saved[0] != '\0') {
                FILE *f = fopen("/proc/sys/net/core/bpf_jit_harden", "w");

                if (f != NULL) {
                        fputs(harden_saved, f);
                        fclose(f);
                }
                harden_saved[0] = '\0';
        }
        if (child > 0) {
                kill(child, SIGKILL);
                waitpid(child, NULL, 0);
                child = -1;
        }
        if (submount[0] != '\0') {
                (void)umount2(submount, MNT_DETACH);
                submount[0] = '\0';
        }
        if (subcg[0] != '\0') {
                (void)rmdir(subcg);
                subcg[0] = '\0';
        }
        if (cgdir[0] != '\0') {
                /* The attached programs go away with the cgroup. */
                if (rmdir(cgdir) < 0 && errno != ENOENT)
                        fprintf(stderr, "cgroup-check: rmdir %s: %s\n", cgdir, strerror(errno));
                cgdir[0] = '\0';
        }
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
        va_list ap;

        printf("SETUP: ");
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
        fflush(stdout);
        cleanup();
        exit(2);
}

static void check(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(bool ok, const char *fmt, ...)
{
        va_list ap;

        printf("%s: ", ok ? "ok" : "FAIL");
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
        fflush(stdout);
        if (!ok)
                failures++;
}

static const char *ename(int e)
{
        const char *n = e == 0 ? "success" : strerrorname_np(e);

        return n != NULL ? n : "?";
}

static void write_file(const char *path, const char *text)
{
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        ssize_t w;

        if (fd < 0)
                die("open %s: %s", path, strerror(errno));
        w = write(fd, text, strlen(text));
        if (w < 0 || (size_t)w != strlen(text))
                die("write \"%s\" to %s: %s", text, path, strerror(errno));
        close(fd);
}

/* ------------------------------------------------------------ the child */

struct req {
        char op;   /* 'o' open, 'm' mknod */
        int flags; /* open flags */
        unsigned major, minor;
        char path[PATH_MAX];
};

static int child_do(const struct req *q)
{
        int fd;

        if (q->op == 'o') {
                fd = open(q->path, q->flags | O_CLOEXEC | O_NOCTTY);
                if (fd < 0)
                        return errno;
                close(fd);
                return 0;
        }
        if (mknod(q->path, S_IFCHR | 0600, makedev(q->major, q->minor)) < 0)
                return errno;
        (void)unlink(q->path);
        return 0;
}

static void start_child(void)
{
        int sv[2];

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                die("socketpair: %s", strerror(errno));
        child = fork();
        if (child < 0)
                die("fork: %s", strerror(errno));
        if (child == 0) {
                struct req q;

                (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
                close(sv[0]);
                while (recv(sv[1], &q, sizeof(q), 0) == (ssize_t)sizeof(q)) {
                        int e = child_do(&q);

                        if (send(sv[1], &e, sizeof(e), 0) != (ssize_t)sizeof(e))
                                break;
                }
                _exit(0);
        }
        close(sv[1]);
        child_sock = sv[0];
}

static int ask(char op, const char *path, int flags, unsigned major, unsigned minor)
{
        struct req q = {.op = op, .flags = flags, .major = major, .minor = minor};
        int e = -1;

        (void)snprintf(q.path, sizeof(q.path), "%s", path);
        if (send(child_sock, &q, sizeof(q), 0) != (ssize_t)sizeof(q) ||
            recv(child_sock, &e, sizeof(e), 0) != (ssize_t)sizeof(e))
                die("talking to the child: %s", strerror(errno));
        return e;
}

static void move_child(const char *dir)
{
        char path[PATH_MAX + 32], pid[32];

        (void)snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
        (void)snprintf(pid, sizeof(pid), "%d", (int)child);
        write_file(path, pid);
}

/* What the child gets opening `path` read-write; the name says which node it is. */
static void expect_open(const char *name, const char *path, int want)
{
        int e = ask('o', path, O_RDWR, 0, 0);
        struct stat st;

        if (stat(path, &st) < 0)
                die("stat %s: %s", path, strerror(errno));
        check(e == want, "open(%s) [%s, c %u:%u] in the cgroup: %s (want %s)", path, name,
              major(st.st_rdev), minor(st.st_rdev), ename(e), ename(want));
}

static void expect_mknod(unsigned major, unsigned minor, int want)
{
        char path[PATH_MAX];
        int e;

        (void)snprintf(path, sizeof(path), "%s/mknod-%u-%u", tmpdir, major, minor);
        e = ask('m', path, 0, major, minor);
        check(e == want, "mknod c %u:%u in the cgroup: %s (want %s)", major, minor, ename(e),
              ename(want));
}

/* ------------------------------------------------------------ device nodes */

/*
 * 195 (NVIDIA) unless a driver has it, else one of the majors devices.txt
 * keeps for local use (60-63, 120-127) that /proc/devices does not list.
 */
static void choose_major(void)
{
        static const unsigned cand[] = {195, 60, 61, 62, 63, 120, 121, 122, 123, 124, 125, 126, 127};
        char line[256];
        bool used[256] = {false}, chr = false;
        FILE *f = fopen("/proc/devices", "r");

        if (f == NULL)
                die("/proc/devices: %s", strerror(errno));
        while (fgets(line, sizeof(line), f) != NULL) {
                unsigned m;

                if (strncmp(line, "Character", 9) == 0)
                        chr = true;
                else if (strncmp(line, "Block", 5) == 0)
                        chr = false;
                else if (chr && sscanf(line, "%u", &m) == 1 && m < 256)
                        used[m] = true;
        }
        fclose(f);
        for (size_t i = 0; i < ARRAY_SIZE(cand); i++)
                if (!used[cand[i]]) {
                        tmaj = cand[i];
                        return;
                }
        die("no free char major to test with");
}

static char node_a[PATH_MAX], node_b[PATH_MAX], node_c[PATH_MAX], node_d[PATH_MAX];

static void make_node(char *out, const char *name, unsigned major, unsigned minor)
{
        int fd, e;

        (void)snprintf(out, PATH_MAX, "%s/%s", tmpdir, name);
        (void)unlink(out);
        if (mknod(out, S_IFCHR | 0666, makedev(major, minor)) < 0)
                die("mknod %s: %s", out, strerror(errno));
        /* Outside the test cgroup nothing restricts us: no driver means ENXIO. */
        fd = open(out, O_RDWR | O_CLOEXEC | O_NOCTTY);
        e = fd < 0 ? errno : 0;
        if (fd >= 0)
                close(fd);
        if (e != ENXIO)
                die("opening %s (c %u:%u) outside the cgroup gives %s, not ENXIO: this test needs "
                    "a major without a driver",
                    out, major, minor, ename(e));
}

static void make_nodes(void)
{
        make_node(node_a, "nodeA", tmaj, 1);
        make_node(node_b, "nodeB", tmaj, 2);
        make_node(node_c, "nodeC", tmaj, 3);
        make_node(node_d, "nodeD", tmaj, 4);
}

/* ------------------------------------------------------------ BPF helpers */

#include "common/runc-devfilter.h"

static const struct rule runc_default[] = {
        {'c', 1, 3, "rwm", 1}, {'c', 1, 5, "rwm", 1}, {'c', 1, 7, "rwm", 1},
        {'c', 1, 8, "rwm", 1}, {'c', 1, 9, "rwm", 1}, {'c', 5, 0, "rwm", 1},
        {'c', 5, 1, "rwm", 1}, {'c', 5, 2, "rwm", 1}, {'c', 136, -1, "rwm", 1},
};

/* A second program: every char device but the test major. */
static struct rule no_major[] = {
        {'c', -1, -1, "rwm", 1},
        {'c', 195, -1, "rwm", 0}, /* major set in main */
};

static size_t runc_len;

static int load(const struct bpf_insn *insns, size_t n, const char *what)
{
        static char log[65536];
        LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_buf = log, .log_size = sizeof(log),
                    .log_level = 1);
        int fd = bpf_prog_load(BPF_PROG_TYPE_CGROUP_DEVICE, "test_filter", "Apache", insns, n,
                               &opts);

        if (fd < 0)
                die("loading %s: %s\n%s", what, strerror(-fd), log);
        return fd;
}

static int load_runc(void)
{
        struct bpf_insn insns[256];

        runc_len = runc_filter(runc_default, ARRAY_SIZE(runc_default), insns);
        return load(insns, runc_len, "the runc-like filter");
}

static void attach(int progfd, int cgfd, unsigned flags)
{
        int r = bpf_prog_attach(progfd, cgfd, BPF_CGROUP_DEVICE, flags);

        if (r < 0)
                die("attaching a device program (flags 0x%x): %s", flags, strerror(-r));
}

static __u32 prog_len_by_id(__u32 id)
{
        struct bpf_prog_info info;
        __u32 len = sizeof(info);
        int fd = bpf_prog_get_fd_by_id(id);

        if (fd < 0)
                die("bpf_prog_get_fd_by_id(%u): %s", id, strerror(-fd));
        memset(&info, 0, sizeof(info));
        if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
                die("bpf_obj_get_info_by_fd: %s", strerror(errno));
        close(fd);
        return info.xlated_prog_len / (__u32)sizeof(struct bpf_insn);
}

static __u32 query(int cgfd, __u32 *ids, __u32 *flags)
{
        __u32 cnt = 16;
        int r = bpf_prog_query(cgfd, BPF_CGROUP_DEVICE, 0, flags, ids, &cnt);

        if (r < 0)
                die("bpf_prog_query: %s", strerror(-r));
        return cnt;
}

static int open_dir(const char *path, int flags)
{
        int fd = open(path, flags | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0)
                die("open %s: %s", path, strerror(errno));
        return fd;
}

static int allow_v2(int cgpath_fd, const struct plan_devrule *rules, size_t n,
                    struct nvcr_err *err)
{
        nvcr_err_clear(err);
        return cgroup_v2_allow(cgpath_fd, rules, n, err);
}

/* ------------------------------------------------------------ v2 scenarios */

/* Filled in main with the test major: A and C, then B. */
static struct plan_devrule rules_ac[2], rules_b[1];

static void v2_standard(int cgfd, int cgpath_fd, unsigned flags, bool two)
{
        struct nvcr_err err = {0};
        __u32 ids[16], before[16], qflags = 0, n, nbefore;
        const char *mode = flags == BPF_F_ALLOW_MULTI  ? "BPF_F_ALLOW_MULTI"
                           : flags == 0                ? "no flags"
                                                       : "BPF_F_ALLOW_OVERRIDE";
        size_t plen;
        int r;

        nbefore = query(cgfd, before, &qflags);
        check(nbefore == (two ? 2u : 1u) && qflags == flags,
              "before: %u program(s) attached with flags 0x%x (%s)", nbefore, qflags, mode);
        expect_open("/dev/null, allowed by the runtime", "/dev/null", 0);
        expect_open("A", node_a, EPERM);
        expect_open("B", node_b, EPERM);

        r = allow_v2(cgpath_fd, rules_ac, ARRAY_SIZE(rules_ac), &err);
        check(r == 0, "cgroup_v2_allow(A, C) = %d %s", r, err.msg);
        expect_open("/dev/null, still allowed", "/dev/null", 0);
        expect_open("/dev/zero, still allowed", "/dev/zero", 0);
        expect_open("A, allowed now", node_a, ENXIO);
        expect_open("C, allowed now", node_c, ENXIO);
        expect_open("B, not in the rules", node_b, EPERM);
        expect_mknod(tmaj, 1, EPERM);
        expect_mknod(1, 3, 0); /* the runtime's own 'm' rule still answers */
        expect_mknod(tmaj, 2, EPERM);
        n = query(cgfd, ids, &qflags);
        check(n == nbefore && qflags == flags,
              "after: %u program(s) with flags 0x%x: replaced, not added", n, qflags);
        for (__u32 i = 0; i < n && i < nbefore; i++) {
                check(ids[i] != before[i], "program %u: id %u replaced by id %u", i, before[i],
                      ids[i]);
                plen = runc_len;
                if (two && i == 1) {
                        struct bpf_insn tmp[64];

                        plen = runc_filter(no_major, ARRAY_SIZE(no_major), tmp);
                }
                if (!two || i == 0)
                        check(prog_len_by_id(ids[i]) == 9 + 2 * 4 + plen,
                              "program id %u: %u instructions = prologue with 2 rules + the "
                              "original %zu",
                              ids[i], prog_len_by_id(ids[i]), plen);
        }

        /* A second run with more rules keeps the first ones, in the same prologue. */
        memcpy(before, ids, sizeof(ids));
        r = allow_v2(cgpath_fd, rules_b, ARRAY_SIZE(rules_b), &err);
        check(r == 0, "second cgroup_v2_allow(B) = %d %s", r, err.msg);
        expect_open("B, allowed by the second run", node_b, ENXIO);
        expect_open("A, kept from the first run", node_a, ENXIO);
        expect_open("C, kept from the first run", node_c, ENXIO);
        expect_open("D, never allowed", node_d, EPERM);
        expect_mknod(tmaj, 2, EPERM);
        n = query(cgfd, ids, &qflags);
        check(n == nbefore, "after the second run: %u program(s)", n);
        if (n >= 1 && !two)
                check(prog_len_by_id(ids[0]) == 9 + 3 * 4 + runc_len,
                      "one prologue with 3 rules (%u instructions, not a second prologue)",
                      prog_len_by_id(ids[0]));

        /* Rules already there: nothing is reloaded. */
        memcpy(before, ids, sizeof(ids));
        r = allow_v2(cgpath_fd, rules_ac, ARRAY_SIZE(rules_ac), &err);
        check(r == 0, "third cgroup_v2_allow with known rules = %d %s", r, err.msg);
        n = query(cgfd, ids, &qflags);
        check(n == nbefore && memcmp(ids, before, n * sizeof(*ids)) == 0,
              "known rules leave the attached program(s) as they are");
        expect_open("A", node_a, ENXIO);
}

static bool v1_devices_mounted(void)
{
        char line[4096];
        bool found = false;
        FILE *f = fopen("/proc/self/mountinfo", "r");

        if (f == NULL)
                die("mountinfo: %s", strerror(errno));
        while (fgets(line, sizeof(line), f) != NULL) {
                const char *t = strstr(line, " - cgroup ");
                const char *opts = t != NULL ? strrchr(line, ' ') : NULL;

                if (opts != NULL && (strstr(opts, ",devices") != NULL || strstr(opts, " devices")))
                        found = true;
        }
        fclose(f);
        return found;
}

/*
 * cgroup_open_for_pid on the child through the real /proc: the v1 devices
 * hierarchy where it is mounted (this machine: the v1 scenario checks that
 * one), else our v2 cgroup, which cgroup_allow_devices then opens too.
 */
static void v2_real_pid(void)
{
        const struct plan_devrule rules_d[] = {{tmaj, 4}};
        struct nvcr_err err = {0};
        enum cgroup_version ver = 0;
        bool v1 = v1_devices_mounted();
        struct stat a, b;
        int fd = -1, r;

        r = cgroup_open_for_pid("/proc", child, &fd, &ver, &err);
        check(r == 0 && ver == (v1 ? CGROUP_V1 : CGROUP_V2),
              "cgroup_open_for_pid(child) = %d, v%d (want v%d: the v1 devices hierarchy is %s) %s",
              r, (int)ver, v1 ? 1 : 2, v1 ? "mounted" : "not mounted", err.msg);
        if (r < 0 || v1) {
                if (fd >= 0)
                        close(fd);
                return;
        }
        if (fstat(fd, &a) < 0 || stat(cgdir, &b) < 0)
                die("stat: %s", strerror(errno));
        check(a.st_ino == b.st_ino && a.st_dev == b.st_dev, "it is %s", cgdir);
        close(fd);
        r = cgroup_allow_devices(child, rules_d, 1, &err);
        check(r == 0, "cgroup_allow_devices(child, D) = %d %s", r, err.msg);
        expect_open("D, allowed now", node_d, ENXIO);
}

/* The program at `bad` cannot be rebuilt: an error naming it, and nothing changed. */
static void v2_refused(int cgfd, int cgpath_fd, __u32 bad, const char *want1, const char *want2)
{
        struct nvcr_err err = {0};
        __u32 ids[16], before[16], qflags = 0, n, nbefore;
        char idstr[32];
        int r;

        nbefore = query(cgfd, before, &qflags);
        r = allow_v2(cgpath_fd, rules_ac, ARRAY_SIZE(rules_ac), &err);
        (void)snprintf(idstr, sizeof(idstr), "id %u", before[bad]);
        check(r < 0 && strstr(err.msg, idstr) != NULL && strstr(err.msg, want1) != NULL &&
                      strstr(err.msg, want2) != NULL && strstr(err.msg, cgdir) != NULL,
              "cgroup_v2_allow fails naming the program, the cause and the cgroup: %d \"%s\"", r,
              err.msg);
        n = query(cgfd, ids, &qflags);
        check(n == nbefore && memcmp(ids, before, n * sizeof(*ids)) == 0,
              "the original program(s) are attached again, in their places (%u)", n);
        expect_open("A, still denied", node_a, EPERM);
}

/*
 * Both replacements are loaded, then the second original program goes away
 * before the attachments (paused there through the test hook): attaching the
 * second fails, and the first, already attached, must be undone.
 */
static void v2_rollback(int cgfd, int cgpath_fd)
{
#ifndef NVCR_TEST_HOOKS
        (void)cgfd;
        (void)cgpath_fd;
        printf("SKIP: the rollback test needs a build with -Dtest_hooks=true\n");
        cleanup();
        exit(77);
#else
        struct nvcr_err err = {0};
        struct bpf_insn insns[64];
        __u32 ids[16], before[16], qflags = 0, n;
        char dir[PATH_MAX], spec[PATH_MAX + 32], idstr[32];
        int prog1, prog2, status = 0, r;
        pid_t helper;

        prog1 = load_runc();
        attach(prog1, cgfd, BPF_F_ALLOW_MULTI);
        prog2 = load(insns, runc_filter(no_major, ARRAY_SIZE(no_major), insns),
                     "the second filter");
        attach(prog2, cgfd, BPF_F_ALLOW_MULTI);
        if (query(cgfd, before, &qflags) != 2)
                die("two programs expected");
        (void)snprintf(dir, sizeof(dir), "%s/pause", tmpdir);
        if (mkdir(dir, 0700) < 0)
                die("mkdir %s: %s", dir, strerror(errno));
        helper = fork();
        if (helper < 0)
                die("fork: %s", strerror(errno));
        if (helper == 0) {
                char paused[PATH_MAX + 16], resume[PATH_MAX + 16];
                int ok = 1, fd;

                (void)snprintf(paused, sizeof(paused), "%s/paused", dir);
                (void)snprintf(resume, sizeof(resume), "%s/resume", dir);
                for (int i = 0; i < 5000 && access(paused, F_OK) != 0; i++)
                        usleep(1000);
                if (access(paused, F_OK) == 0 &&
                    bpf_prog_detach2(prog2, cgfd, BPF_CGROUP_DEVICE) == 0)
                        ok = 0;
                fd = open(resume, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
                if (fd >= 0)
                        close(fd);
                _exit(ok);
        }
        (void)snprintf(spec, sizeof(spec), "cgroup-v2-attach:%s", dir);
        setenv("NVCR_TEST_PAUSE", spec, 1);
        r = allow_v2(cgpath_fd, rules_ac, ARRAY_SIZE(rules_ac), &err);
        unsetenv("NVCR_TEST_PAUSE");
        if (waitpid(helper, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
                die("the helper did not detach the second program while cgroup_v2_allow paused");
        (void)snprintf(idstr, sizeof(idstr), "id %u", before[1]);
        check(r < 0 && strstr(err.msg, idstr) != NULL &&
                      strstr(err.msg, "no longer attached") != NULL,
              "attaching over the detached program fails naming it: %d \"%s\"", r, err.msg);
        n = query(cgfd, ids, &qflags);
        check(n == 1 && ids[0] == before[0],
              "the first program's replacement was undone: %u program(s), id %u (was %u)", n,
              n > 0 ? ids[0] : 0, before[0]);
        expect_open("A, denied as before", node_a, EPERM);
        expect_open("/dev/null, allowed as before", "/dev/null", 0);
#endif
}

static void set_harden(const char *value)
{
        FILE *f = fopen("/proc/sys/net/core/bpf_jit_harden", "r+");

        if (f == NULL)
                die("/proc/sys/net/core/bpf_jit_harden: %s", strerror(errno));
        if (harden_saved[0] == '\0' && fgets(harden_saved, sizeof(harden_saved), f) == NULL)
                die("reading bpf_jit_harden");
        rewind(f);
        if (fputs(value, f) < 0 || fclose(f) != 0)
                die("writing bpf_jit_harden: %s", strerror(errno));
}

static void restore_harden(void)
{
        char saved[sizeof(harden_saved)];

        memcpy(saved, harden_saved, sizeof(saved));
        set_harden(saved);
        harden_saved[0] = '\0';
}

/*
 * Discovery of a v2 cgroup: this machine's devices controller is v1, which
 * cgroup_open_for_pid prefers; a procfs stand-in whose <pid>/cgroup and
 * mountinfo lack it makes the v2 path run against the real cgroup2 mount.
 */
static void v2_discover(const char *cgname)
{
        char fake[PATH_MAX], path[PATH_MAX + 64], line[4096], mountline[4096] = "";
        struct nvcr_err err = {0};
        enum cgroup_version ver = 0;
        struct stat a, b;
        int fd = -1, r;
        FILE *f;

        f = fopen("/proc/self/mountinfo", "r");
        if (f == NULL)
                die("mountinfo: %s", strerror(errno));
        while (fgets(line, sizeof(line), f) != NULL)
                if (strstr(line, " - cgroup2 ") != NULL)
                        memcpy(mountline, line, sizeof(line));
        fclose(f);
        if (mountline[0] == '\0')
                die("no cgroup2 mount");
        (void)snprintf(fake, sizeof(fake), "%s/fakeproc", tmpdir);
        (void)snprintf(path, sizeof(path), "mkdir -p %s/self %s/4242", fake, fake);
        if (system(path) != 0)
                die("%s failed", path);
        (void)snprintf(path, sizeof(path), "%s/self/fdinfo", fake);
        (void)unlink(path);
        if (symlink("/proc/self/fdinfo", path) < 0)
                die("symlink %s: %s", path, strerror(errno));

#define WRITE_FAKE(name, ...)                                                                     \
        do {                                                                                       \
                (void)snprintf(path, sizeof(path), "%s/%s", fake, name);                           \
                f = fopen(path, "w");                                                              \
                if (f == NULL)                                                                     \
                        die("%s: %s", path, strerror(errno));                                      \
                fprintf(f, __VA_ARGS__);                                                           \
                fclose(f);                                                                         \
        } while (0)

        /* A devices line with no devices mount: v2 decides. */
        WRITE_FAKE("4242/cgroup", "5:devices:/elsewhere\n0::/%s\n", cgname);
        WRITE_FAKE("self/mountinfo", "%s", mountline);
        r = cgroup_open_for_pid(fake, 4242, &fd, &ver, &err);
        check(r == 0 && ver == CGROUP_V2 && err.msg[0] == '\0',
              "cgroup_open_for_pid finds the v2 cgroup, leaving no message: %d v%d \"%s\"", r,
              (int)ver, err.msg);
        if (r == 0) {
                if (fstat(fd, &a) < 0 || stat(cgdir, &b) < 0)
                        die("stat: %s", strerror(errno));
                check(a.st_ino == b.st_ino && a.st_dev == b.st_dev, "it is %s", cgdir);
                check((fcntl(fd, F_GETFL) & O_PATH) != 0, "an O_PATH fd");
                close(fd);
        }

        WRITE_FAKE("4242/cgroup", "0::/../%s\n", cgname);
        r = cgroup_open_for_pid(fake, 4242, &fd, &ver, &err);
        check(r == -EINVAL && strstr(err.msg, "..") != NULL, "\"..\" is refused: %d %s", r,
              err.msg);

        WRITE_FAKE("4242/cgroup", "0::/%s/missing\n", cgname);
        r = cgroup_open_for_pid(fake, 4242, &fd, &ver, &err);
        check(r == -ENOENT && strstr(err.msg, "missing") != NULL,
              "a missing cgroup is ENOENT naming it: %d %s", r, err.msg);

        /* mountinfo claiming a cgroup2 mount where there is none: the magic check. */
        WRITE_FAKE("4242/cgroup", "0::/\n");
        {
                struct stat st;
                int id = 0, n = 0;
                char rest[4096];

                if (stat(tmpdir, &st) < 0)
                        die("stat %s: %s", tmpdir, strerror(errno));
                (void)sscanf(mountline, "%d %n", &id, &n);
                (void)snprintf(rest, sizeof(rest), "%d 1 %u:%u / %s rw - cgroup2 cgroup2 rw\n", id,
                               major(st.st_dev), minor(st.st_dev), tmpdir);
                WRITE_FAKE("self/mountinfo", "%s", rest);
        }
        r = cgroup_open_for_pid(fake, 4242, &fd, &ver, &err);
        check(r == -EXDEV && strstr(err.msg, "is not a cgroup2 filesystem") != NULL,
              "a mount that is not cgroup2 is refused: %d %s", r, err.msg);

        /* The right mount point, but another mount id: mounted over. */
        {
                int id = 0, n = 0;

                (void)sscanf(mountline, "%d %n", &id, &n);
                WRITE_FAKE("self/mountinfo", "%d %s", id + 100000, mountline + n);
        }
        r = cgroup_open_for_pid(fake, 4242, &fd, &ver, &err);
        check(r == -EXDEV && strstr(err.msg, "mountinfo says") != NULL,
              "a mount id that does not match is refused: %d %s", r, err.msg);
#undef WRITE_FAKE
}

/* Beneath the mount: no crossing into another mount (openat2 and the walk). */
static void v2_no_xdev(int mntfd, const char *cgname)
{
        struct nvcr_err err = {0};
        char rel[PATH_MAX];
        int fd;

        (void)snprintf(subcg, sizeof(subcg), "%s/sub", cgdir);
        if (mkdir(subcg, 0755) < 0)
                die("mkdir %s: %s", subcg, strerror(errno));
        (void)snprintf(rel, sizeof(rel), "%s/sub", cgname);
        for (int walk = 0; walk <= 1; walk++) {
                fd = cgroup_open_beneath(mntfd, rel, walk, &err);
                check(fd >= 0, "%s opens the sub-cgroup %s", walk ? "the walk" : "openat2", rel);
                if (fd >= 0)
                        close(fd);
        }
        if (mount("nvcr-test", subcg, "tmpfs", 0, NULL) < 0)
                die("mount tmpfs on %s: %s", subcg, strerror(errno));
        memcpy(submount, subcg, sizeof(submount));
        for (int walk = 0; walk <= 1; walk++) {
                fd = cgroup_open_beneath(mntfd, rel, walk, &err);
                check(fd == -EXDEV, "%s refuses a mount over %s: %d %s",
                      walk ? "the walk" : "openat2", rel, fd, err.msg);
                if (fd >= 0)
                        close(fd);
        }
        fd = cgroup_open_beneath(mntfd, "../x", false, &err);
        check(fd < 0, "openat2 refuses \"..\": %d %s", fd, err.msg);
        if (fd >= 0)
                close(fd);
        (void)umount2(submount, MNT_DETACH);
        submount[0] = '\0';
        (void)rmdir(subcg);
        subcg[0] = '\0';
}

static int run_v2(const char *variant)
{
        int cgfd, cgpath_fd, prog1;
        const char *cgname = strrchr(cgdir, '/') + 1;
        char parent[PATH_MAX];
        struct nvcr_err err = {0};
        __u32 ids[16], qflags;
        int r;

        cgfd = open_dir(cgdir, O_RDONLY);
        cgpath_fd = open_dir(cgdir, O_PATH);
        make_nodes();
        start_child();
        move_child(cgdir);

        if (strcmp(variant, "multi") == 0 || strcmp(variant, "multi2") == 0) {
                bool two = strcmp(variant, "multi2") == 0;
                struct bpf_insn insns[64];

                prog1 = load_runc();
                attach(prog1, cgfd, BPF_F_ALLOW_MULTI);
                if (two) {
                        int prog2 = load(insns, runc_filter(no_major, ARRAY_SIZE(no_major), insns),
                                     "the second filter");
                        attach(prog2, cgfd, BPF_F_ALLOW_MULTI);
                }
                v2_standard(cgfd, cgpath_fd, BPF_F_ALLOW_MULTI, two);
                if (!two)
                        v2_real_pid();
        } else if (strcmp(variant, "single") == 0 || strcmp(variant, "override") == 0) {
                unsigned flags = variant[0] == 's' ? 0 : BPF_F_ALLOW_OVERRIDE;

                prog1 = load_runc();
                attach(prog1, cgfd, flags);
                v2_standard(cgfd, cgpath_fd, flags, false);
        } else if (strcmp(variant, "none") == 0) {
                expect_open("A, no program attached", node_a, ENXIO);
                r = allow_v2(cgpath_fd, rules_ac, ARRAY_SIZE(rules_ac), &err);
                check(r == 0 && err.code == 0 && err.msg[0] == '\0',
                      "no program attached: cgroup_v2_allow does nothing and succeeds (%d)", r);
                check(query(cgfd, ids, &qflags) == 0, "and attaches nothing");
        } else if (strcmp(variant, "helper") == 0) {
                /* A filter calling a helper (get_current_uid_gid) cannot be rebuilt. */
                struct bpf_insn insns[] = {
                        INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_current_uid_gid),
                        INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0),
                        INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
                };

                prog1 = load(insns, ARRAY_SIZE(insns), "a filter calling a helper");
                attach(prog1, cgfd, BPF_F_ALLOW_MULTI);
                v2_refused(cgfd, cgpath_fd, 0, "is a call", "cannot be rebuilt");
        } else if (strcmp(variant, "helper2") == 0) {
                /* The second of two cannot be rebuilt: the first is not touched either. */
                struct bpf_insn insns[] = {
                        INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_current_uid_gid),
                        INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1),
                        INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
                };

                prog1 = load_runc();
                attach(prog1, cgfd, BPF_F_ALLOW_MULTI);
                attach(load(insns, ARRAY_SIZE(insns), "a filter calling a helper"), cgfd,
                       BPF_F_ALLOW_MULTI);
                v2_refused(cgfd, cgpath_fd, 1, "is a call", "cannot be rebuilt");
        } else if (strcmp(variant, "rollback") == 0) {
                v2_rollback(cgfd, cgpath_fd);
        } else if (strcmp(variant, "blinded") == 0) {
                /* With bpf_jit_harden=2 the kernel keeps only the blinded program. */
                set_harden("2");
                prog1 = load_runc();
                restore_harden();
                attach(prog1, cgfd, BPF_F_ALLOW_MULTI);
                v2_refused(cgfd, cgpath_fd, 0, "constant blinding", "bpf_jit_harden");
        } else if (strcmp(variant, "discover") == 0) {
                int mntfd;

                (void)snprintf(parent, sizeof(parent), "%s", cgdir);
                *strrchr(parent, '/') = '\0';
                mntfd = open_dir(parent, O_PATH);
                v2_discover(cgname);
                v2_no_xdev(mntfd, cgname);
                close(mntfd);
        } else {
                die("unknown variant %s", variant);
        }
        close(cgfd);
        close(cgpath_fd);
        return 0;
}

/* ------------------------------------------------------------ v1 */

static void v1_devices_list(const char *want)
{
        char path[PATH_MAX + 32], buf[4096] = "", line[128];
        ssize_t n;
        int fd;

        (void)snprintf(path, sizeof(path), "%s/devices.list", cgdir);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                die("open %s: %s", path, strerror(errno));
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        buf[n > 0 ? n : 0] = '\0';
        (void)snprintf(line, sizeof(line), "%s\n", want);
        check(strstr(buf, line) != NULL, "devices.list has \"%s\"", want);
}

static int run_v1(void)
{
        const struct plan_devrule rules_d[] = {{tmaj, 4}};
        char want[64];
        char path[PATH_MAX + 32];
        struct nvcr_err err = {0};
        enum cgroup_version ver = 0;
        struct stat a, b;
        int fd = -1, r;

        (void)snprintf(path, sizeof(path), "%s/devices.deny", cgdir);
        write_file(path, "a");
        (void)snprintf(path, sizeof(path), "%s/devices.allow", cgdir);
        write_file(path, "c 1:3 rwm");
        write_file(path, "c 1:5 rwm");
        make_nodes();
        start_child();
        move_child(cgdir);

        expect_open("/dev/null, allowed by the runtime", "/dev/null", 0);
        expect_open("A", node_a, EPERM);
        expect_open("B", node_b, EPERM);

        /* (c) the child's cgroup, found from /proc */
        r = cgroup_open_for_pid("/proc", child, &fd, &ver, &err);
        check(r == 0 && ver == CGROUP_V1, "cgroup_open_for_pid(child) = %d, v%d %s", r, (int)ver,
              err.msg);
        if (r < 0)
                die("cannot go on without the cgroup fd");
        if (fstat(fd, &a) < 0 || stat(cgdir, &b) < 0)
                die("stat: %s", strerror(errno));
        check(a.st_ino == b.st_ino && a.st_dev == b.st_dev, "it is %s", cgdir);

        r = cgroup_v1_allow(fd, rules_ac, ARRAY_SIZE(rules_ac), &err);
        check(r == 0, "cgroup_v1_allow(A, C) = %d %s", r, err.msg);
        (void)snprintf(want, sizeof(want), "c %u:1 rw", tmaj);
        v1_devices_list(want);
        (void)snprintf(want, sizeof(want), "c %u:3 rw", tmaj);
        v1_devices_list(want);
        expect_open("/dev/null, still allowed", "/dev/null", 0);
        expect_open("A, allowed now", node_a, ENXIO);
        expect_open("C, allowed now", node_c, ENXIO);
        expect_open("B, not in the rules", node_b, EPERM);
        expect_mknod(tmaj, 1, EPERM);
        expect_mknod(1, 3, 0);

        r = cgroup_v1_allow(fd, rules_b, ARRAY_SIZE(rules_b), &err);
        check(r == 0, "second cgroup_v1_allow(B) = %d %s", r, err.msg);
        expect_open("B, allowed by the second run", node_b, ENXIO);
        expect_open("A, kept", node_a, ENXIO);
        close(fd);

        /* Both steps for a pid. */
        r = cgroup_allow_devices(child, rules_d, 1, &err);
        check(r == 0, "cgroup_allow_devices(child, D) = %d %s", r, err.msg);
        expect_open("D, allowed now", node_d, ENXIO);
        expect_mknod(tmaj, 4, EPERM);

        /* A directory without devices.allow: the error names the file. */
        fd = open_dir(tmpdir, O_PATH);
        nvcr_err_clear(&err);
        r = cgroup_v1_allow(fd, rules_d, 1, &err);
        (void)snprintf(path, sizeof(path), "%s/devices.allow", tmpdir);
        check(r == -ENOENT && strstr(err.msg, path) != NULL,
              "no devices.allow: %d \"%s\" names %s", r, err.msg, path);
        close(fd);
        return 0;
}

int main(int argc, char **argv)
{
        if (argc < 4 || (strcmp(argv[1], "v2") == 0 && argc != 5) ||
            (strcmp(argv[1], "v1") == 0 && argc != 4)) {
                fprintf(stderr, "usage: cgroup-check v2 CGDIR TMPDIR VARIANT | v1 CGDIR TMPDIR\n");
                return 2;
        }
        if (geteuid() != 0)
                die("needs root");
        setvbuf(stdout, NULL, _IOLBF, 0);
        choose_major();
        rules_ac[0] = (struct plan_devrule){tmaj, 1};
        rules_ac[1] = (struct plan_devrule){tmaj, 3};
        rules_b[0] = (struct plan_devrule){tmaj, 2};
        no_major[1].major = (int)tmaj;
        if (mkdir(argv[2], 0755) < 0)
                die("mkdir %s: %s", argv[2], strerror(errno));
        (void)snprintf(cgdir, sizeof(cgdir), "%s", argv[2]);
        (void)snprintf(tmpdir, sizeof(tmpdir), "%s", argv[3]);
        if (strcmp(argv[1], "v2") == 0)
                run_v2(argv[4]);
        else if (strcmp(argv[1], "v1") == 0)
                run_v1();
        else
                die("unknown mode %s", argv[1]);
        cleanup();
        printf("%s: %d check(s) failed\n", failures ? "FAILED" : "PASSED", failures);
        return failures ? 1 : 0;
}
