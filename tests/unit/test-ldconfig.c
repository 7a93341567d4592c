/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ldconfig in its sandbox (lib/apply/ldconfig.c, sandbox.c, memfd-exec.c).
 * Needs root (skipped otherwise) and a C compiler with a static libc: the
 * fixtures are built at run time from tests/unit/ldconfig-fixtures/
 * ($NVCR_LDCONFIG_FIXTURES):
 *
 *   W/bin/probe          probe.c, static: a fake ldconfig that tries what a
 *                        hostile one would and reports to /out/result
 *   W/libfoo.so.1.2.3    soname libfoo.so.1 (libbar.so.1.0: libbar.so.1)
 *
 * Each test builds a rootfs R under W. "Hostile" rootfs also carry what runc
 * would have set up and worse: the test's own (host) procfs on R/proc, sysfs
 * on R/sys, a tmpfs with a real /dev/null node on R/dev and a device node the
 * image ships (R/imagedev/null). A host canary directory C lives outside R.
 * Everything the sandbox should hide is therefore really there: a sandbox
 * that forgot a step lets the probe reach it, and the test fails.
 *
 * The whole process runs in a private mount namespace (main), so no test
 * mount reaches the host.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <grp.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "apply/ldconfig.h"
#include "apply/memfd-exec.h"
#include "apply/sandbox.h"
#include "core/macro.h"

#define LIBDIR "/usr/lib/x86_64-linux-gnu"
#define ZEROCAPS "0000000000000000"

struct world {
        bool root;
        char dir[PATH_MAX];    /* W */
        char probe[PATH_MAX];  /* W/bin/probe */
        char libfoo[PATH_MAX]; /* W/libfoo.so.1.2.3 */
        char libbar[PATH_MAX]; /* W/libbar.so.1.0 */
};

static struct world g;

struct fx {
        char rootfs[PATH_MAX]; /* R */
        char canary[PATH_MAX]; /* C, outside R */
        char shared[PATH_MAX]; /* a shared tmpfs R lives in (fx_shared) */
        char peer[PATH_MAX];   /* a bind of it, a peer that would see propagated mounts */
        bool hostile;
};

/* ------------------------------------------------------------ helpers */

static void pathf(char *buf, size_t cap, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void pathf(char *buf, size_t cap, const char *fmt, ...)
{
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(buf, cap, fmt, ap);
        va_end(ap);
        assert_true(n > 0 && (size_t)n < cap);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        size_t len = strlen(text);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, len), (ssize_t)len);
        assert_int_equal(fchmod(fd, mode), 0);
        assert_int_equal(close(fd), 0);
}

/* The whole file, NUL-terminated; NULL when it does not exist. */
static char *read_file(const char *path, size_t *len)
{
        char *buf = NULL;
        size_t cap = 0, n = 0;
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd < 0) {
                assert_int_equal(errno, ENOENT);
                return NULL;
        }
        for (;;) {
                ssize_t r;

                if (n + 4096 + 1 > cap) {
                        cap = (n + 4096 + 1) * 2;
                        buf = realloc(buf, cap);
                        assert_non_null(buf);
                }
                r = read(fd, buf + n, cap - n - 1);
                assert_true(r >= 0);
                if (r == 0)
                        break;
                n += (size_t)r;
        }
        (void)close(fd);
        buf[n] = '\0';
        if (len)
                *len = n;
        return buf;
}

static void copy_file(const char *src, const char *dst, mode_t mode)
{
        size_t len;
        char *data = read_file(src, &len);
        int fd;

        assert_non_null(data);
        fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, data, len), (ssize_t)len);
        assert_int_equal(fchmod(fd, mode), 0);
        assert_int_equal(close(fd), 0);
        free(data);
}

/* The value of "key=" in the probe's report (static buffer), NULL if absent. */
static const char *kv(const char *text, const char *key)
{
        static char val[4096];
        size_t klen = strlen(key);

        for (const char *p = text; p != NULL && *p != '\0';) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t)(nl - p) : strlen(p);

                if (len > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
                        size_t vlen = len - klen - 1;

                        assert_true(vlen < sizeof(val));
                        memcpy(val, p + klen + 1, vlen);
                        val[vlen] = '\0';
                        return val;
                }
                p = nl ? nl + 1 : NULL;
        }
        return NULL;
}

#define assert_kv(text, key, want)                                                                 \
        do {                                                                                       \
                const char *_v = kv(text, key);                                                    \
                if (_v == NULL || strcmp(_v, want) != 0)                                           \
                        print_error("%s: got \"%s\", want \"%s\"\n", key, _v ? _v : "(absent)",   \
                                    want);                                                         \
                assert_non_null(_v);                                                               \
                assert_string_equal(_v, want);                                                     \
        } while (0)

/* A call that must have failed (any errno). */
#define assert_kv_failed(text, key)                                                                \
        do {                                                                                       \
                const char *_v = kv(text, key);                                                    \
                if (_v == NULL || _v[0] != 'E')                                                    \
                        print_error("%s: got \"%s\", want a failure\n", key,                  \
                                    _v ? _v : "(absent)");                                         \
                assert_non_null(_v);                                                               \
                assert_int_equal(_v[0], 'E');                                                      \
        } while (0)

static int count_entries(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        int n = 0;

        assert_non_null(d);
        while ((e = readdir(d)) != NULL)
                if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                        n++;
        (void)closedir(d);
        return n;
}

static int count_fds(void)
{
        return count_entries("/proc/self/fd") - 1; /* the directory's own fd */
}

static void own_ns(const char *name, char *buf, size_t cap)
{
        char path[64];
        ssize_t n;

        pathf(path, sizeof(path), "/proc/self/ns/%s", name);
        n = readlink(path, buf, cap - 1);
        assert_true(n > 0);
        buf[n] = '\0';
}

static void mkdir_in(const struct fx *f, const char *rel, mode_t mode)
{
        char p[PATH_MAX];

        pathf(p, sizeof(p), "%s/%s", f->rootfs, rel);
        assert_int_equal(mkdir(p, mode), 0);
        assert_int_equal(chmod(p, mode), 0);
}

static void write_in(const struct fx *f, const char *rel, const char *text)
{
        char p[PATH_MAX];

        pathf(p, sizeof(p), "%s/%s", f->rootfs, rel);
        write_file(p, text, 0644);
}

static char *read_in(const struct fx *f, const char *rel)
{
        char p[PATH_MAX];

        pathf(p, sizeof(p), "%s/%s", f->rootfs, rel);
        return read_file(p, NULL);
}

/* ------------------------------------------------------------ fixtures */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)flag;
        (void)ftw;
        (void)remove(path);
        return 0;
}

static void rm_tree(const char *dir)
{
        /* FTW_MOUNT: never into something still mounted there. */
        (void)nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

static int fx_setup(void **state, bool hostile, bool shared)
{
        struct fx *f = calloc(1, sizeof(*f));
        char p[PATH_MAX];

        if (f == NULL)
                return -1;
        *state = f;
        if (!g.root)
                return 0;
        f->hostile = hostile;
        if (shared) {
                /* Propagation as on a systemd host, where / is shared. */
                pathf(f->shared, sizeof(f->shared), "%s/shared-XXXXXX", g.dir);
                assert_non_null(mkdtemp(f->shared));
                assert_int_equal(mount("tmpfs", f->shared, "tmpfs", 0, "mode=0755"), 0);
                assert_int_equal(mount(NULL, f->shared, NULL, MS_SHARED, NULL), 0);
                pathf(f->peer, sizeof(f->peer), "%s/peer-XXXXXX", g.dir);
                assert_non_null(mkdtemp(f->peer));
                assert_int_equal(mount(f->shared, f->peer, NULL, MS_BIND, NULL), 0);
                pathf(f->rootfs, sizeof(f->rootfs), "%s/r-XXXXXX", f->shared);
        } else {
                pathf(f->rootfs, sizeof(f->rootfs), "%s/r-XXXXXX", g.dir);
        }
        assert_non_null(mkdtemp(f->rootfs));
        assert_int_equal(chmod(f->rootfs, 0755), 0);
        pathf(f->canary, sizeof(f->canary), "/tmp/nvcr-canary-XXXXXX");
        assert_non_null(mkdtemp(f->canary));
        assert_int_equal(chmod(f->canary, 0777), 0);

        mkdir_in(f, "etc", 0755);
        mkdir_in(f, "usr", 0755);
        mkdir_in(f, "usr/lib", 0755);
        mkdir_in(f, &LIBDIR[1], 0755);
        mkdir_in(f, "sbin", 0755);
        mkdir_in(f, "out", 0777);
        pathf(p, sizeof(p), "%s%s/libfoo.so.1.2.3", f->rootfs, LIBDIR);
        copy_file(g.libfoo, p, 0644);
        pathf(p, sizeof(p), "canary=%s/pwned\n", f->canary);
        write_in(f, "etc/probe.conf", p);
        if (shared) {
                /* Something for every mask to cover. */
                mkdir_in(f, "proc", 0555);
                mkdir_in(f, "sys", 0555);
                mkdir_in(f, "dev", 0755);
        }
        if (!hostile)
                return 0;

        /* What the sandbox must hide, really there. */
        mkdir_in(f, "proc", 0555);
        mkdir_in(f, "sys", 0555);
        mkdir_in(f, "dev", 0755);
        mkdir_in(f, "imagedev", 0755);
        pathf(p, sizeof(p), "%s/proc", f->rootfs);
        assert_int_equal(mount("proc", p, "proc", 0, NULL), 0);
        pathf(p, sizeof(p), "%s/sys", f->rootfs);
        assert_int_equal(mount("sysfs", p, "sysfs", MS_RDONLY, NULL), 0);
        pathf(p, sizeof(p), "%s/dev", f->rootfs);
        assert_int_equal(mount("tmpfs", p, "tmpfs", 0, "mode=0755"), 0);
        pathf(p, sizeof(p), "%s/dev/null", f->rootfs);
        assert_int_equal(mknod(p, S_IFCHR | 0666, makedev(1, 3)), 0);
        pathf(p, sizeof(p), "%s/imagedev/null", f->rootfs);
        assert_int_equal(mknod(p, S_IFCHR | 0666, makedev(1, 3)), 0);
        /* The image's node works outside the sandbox: its failing inside means something. */
        {
                int fd = open(p, O_RDWR | O_CLOEXEC);

                assert_true(fd >= 0);
                (void)close(fd);
        }
        /* A driver library bound read-only into the rootfs, as the injection does. */
        pathf(p, sizeof(p), "%s%s/libbar.so.1.0", f->rootfs, LIBDIR);
        write_file(p, "", 0644);
        assert_int_equal(mount(g.libbar, p, NULL, MS_BIND, NULL), 0);
        assert_int_equal(mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL), 0);
        return 0;
}

static int fx_plain(void **state)
{
        return fx_setup(state, false, false);
}

static int fx_hostile(void **state)
{
        return fx_setup(state, true, false);
}

static int fx_shared(void **state)
{
        return fx_setup(state, false, true);
}

static int fx_teardown(void **state)
{
        struct fx *f = *state;
        char p[PATH_MAX];

        if (f == NULL)
                return 0;
        if (f->rootfs[0] != '\0') {
                if (f->hostile) {
                        static const char *const mnts[] = {
                                "proc", "sys", "dev", "usr/lib/x86_64-linux-gnu/libbar.so.1.0"};

                        for (size_t i = 0; i < ARRAY_SIZE(mnts); i++) {
                                (void)snprintf(p, sizeof(p), "%s/%s", f->rootfs, mnts[i]);
                                (void)umount2(p, MNT_DETACH);
                        }
                }
                rm_tree(f->rootfs);
        }
        if (f->canary[0] != '\0')
                rm_tree(f->canary);
        if (f->peer[0] != '\0') {
                (void)umount2(f->peer, MNT_DETACH);
                (void)rmdir(f->peer);
        }
        if (f->shared[0] != '\0') {
                (void)umount2(f->shared, MNT_DETACH);
                (void)rmdir(f->shared);
        }
        free(f);
        return 0;
}

static int world_setup(void **state)
{
        const char *src = getenv("NVCR_LDCONFIG_FIXTURES");
        char cmd[8192], dir[PATH_MAX];

        (void)state;
        if (!g.root)
                return 0;
        if (src == NULL || src[0] == '\0') {
                print_error("NVCR_LDCONFIG_FIXTURES is not set\n");
                return -1;
        }
        (void)snprintf(g.dir, sizeof(g.dir), "/tmp/nvcr-ldc-XXXXXX");
        if (mkdtemp(g.dir) == NULL)
                return -1;
        (void)snprintf(dir, sizeof(dir), "%s/bin", g.dir);
        if (mkdir(dir, 0755) < 0)
                return -1;
        (void)snprintf(g.probe, sizeof(g.probe), "%s/probe", dir);
        (void)snprintf(g.libfoo, sizeof(g.libfoo), "%s/libfoo.so.1.2.3", g.dir);
        (void)snprintf(g.libbar, sizeof(g.libbar), "%s/libbar.so.1.0", g.dir);
        (void)snprintf(cmd, sizeof(cmd),
                       "cc -static -O1 -o '%s' '%s/probe.c' && chmod 0755 '%s' && "
                       "cc -shared -fPIC -Wl,-soname,libfoo.so.1 -o '%s' '%s/libfoo.c' && "
                       "cc -shared -fPIC -Wl,-soname,libbar.so.1 -o '%s' '%s/libfoo.c'",
                       g.probe, src, g.probe, g.libfoo, src, g.libbar, src);
        if (system(cmd) != 0) {
                print_error("building the fixtures failed: %s\n", cmd);
                return -1;
        }
        return 0;
}

static int world_teardown(void **state)
{
        (void)state;
        if (g.root && g.dir[0] != '\0')
                rm_tree(g.dir);
        return 0;
}

#define NEED_ROOT()                                                                                \
        do {                                                                                       \
                if (!g.root)                                                                       \
                        skip();                                                                    \
        } while (0)

static const char *host_ldconfig(void)
{
        return access("/sbin/ldconfig.real", X_OK) == 0 ? "/sbin/ldconfig.real" : "/sbin/ldconfig";
}

/* ------------------------------------------------------------ prepare */

static void test_prepare_default(void **state)
{
        struct ldconfig_exec e;
        struct nvcr_err err = {0};
        int seals;

        (void)state;
        NEED_ROOT();
        assert_int_equal(ldconfig_prepare(NULL, false, &e, &err), 0);
        assert_true(e.from_host);
        assert_string_equal(e.path, host_ldconfig());
        assert_true(e.memfd >= 0);
        /* Sealed for good: no write, no resize, no more seal changes. */
        seals = fcntl(e.memfd, F_GET_SEALS);
        assert_true(seals >= 0);
        assert_int_equal(seals & (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE),
                         F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
        assert_int_equal(pwrite(e.memfd, "x", 1, 0), -1);
        assert_int_equal(errno, EPERM);
        assert_int_equal(ftruncate(e.memfd, 0), -1);
        assert_int_equal(fcntl(e.memfd, F_ADD_SEALS, 0), -1);
        assert_true(fcntl(e.memfd, F_GETFD) & FD_CLOEXEC);
        {
                struct stat st;

                assert_int_equal(fstat(e.memfd, &st), 0);
                assert_int_equal(st.st_mode & 07777, 0555);
        }
        /* "@/sbin/ldconfig" is normalised like the default. */
        ldconfig_exec_clear(&e);
        assert_int_equal(e.memfd, -1);
        assert_null(e.path);
        assert_int_equal(ldconfig_prepare("@/sbin/ldconfig", false, &e, &err), 0);
        assert_string_equal(e.path, host_ldconfig());
        ldconfig_exec_clear(&e);
        ldconfig_exec_clear(&e); /* twice is fine */
}

static void expect_prepare_error(const char *spec, bool allow, int code, const char *needle)
{
        struct ldconfig_exec e;
        struct nvcr_err err = {0};
        int r = ldconfig_prepare(spec, allow, &e, &err);

        if (r != -code || strstr(err.msg, needle) == NULL)
                print_error("%s: r=%d msg=\"%s\"\n", spec, r, err.msg);
        assert_int_equal(r, -code);
        assert_int_equal(err.code, code);
        assert_non_null(strstr(err.msg, needle));
        assert_true(e.memfd < 0);
        assert_null(e.path);
        ldconfig_exec_clear(&e);
}

static void test_prepare_errors(void **state)
{
        char dir[PATH_MAX], p[PATH_MAX], spec[PATH_MAX + 1];
        struct ldconfig_exec e;
        struct nvcr_err err = {0};

        (void)state;
        NEED_ROOT();
        pathf(dir, sizeof(dir), "%s/bad", g.dir);
        (void)mkdir(dir, 0755);

        expect_prepare_error("@/nonexistent/ldconfig", false, ENOENT, "/nonexistent/ldconfig");
        expect_prepare_error("@relative/ldconfig", false, EINVAL, "not absolute");
        expect_prepare_error("@", false, EINVAL, "not absolute");
        expect_prepare_error("", true, EINVAL, "not absolute");
        expect_prepare_error("/sbin/ldconfig", false, EPERM, "refusing");
        expect_prepare_error("@/tmp", false, EPERM, "not a regular file");
        /* A dynamically linked host binary would load the image's ld.so. */
        expect_prepare_error("@/bin/true", false, EPERM, "dynamically linked");

        pathf(p, sizeof(p), "%s/world-writable", dir);
        copy_file(g.probe, p, 0757);
        pathf(spec, sizeof(spec), "@%s", p);
        expect_prepare_error(spec, false, EPERM, "writable by others");

        pathf(p, sizeof(p), "%s/group-writable", dir);
        copy_file(g.probe, p, 0775);
        pathf(spec, sizeof(spec), "@%s", p);
        expect_prepare_error(spec, false, EPERM, "writable by its group");

        pathf(p, sizeof(p), "%s/not-root", dir);
        copy_file(g.probe, p, 0755);
        assert_int_equal(chown(p, 1234, 1234), 0);
        pathf(spec, sizeof(spec), "@%s", p);
        expect_prepare_error(spec, false, EPERM, "owned by uid 1234");

        pathf(p, sizeof(p), "%s/script", dir);
        write_file(p, "#!/bin/sh\nexit 0\n", 0755);
        pathf(spec, sizeof(spec), "@%s", p);
        expect_prepare_error(spec, false, ENOEXEC, "script");

        pathf(p, sizeof(p), "%s/empty", dir);
        write_file(p, "", 0755);
        pathf(spec, sizeof(spec), "@%s", p);
        expect_prepare_error(spec, false, EPERM, "size");

        /* A symlink is followed; what it leads to passes the checks. */
        pathf(p, sizeof(p), "%s/link", dir);
        assert_int_equal(symlink(g.probe, p), 0);
        pathf(spec, sizeof(spec), "@%s", p);
        assert_int_equal(ldconfig_prepare(spec, false, &e, &err), 0);
        assert_true(e.from_host && e.memfd >= 0);
        ldconfig_exec_clear(&e);

        /* A symlink to a world-writable file is not. */
        pathf(p, sizeof(p), "%s/link-ww", dir);
        pathf(spec, sizeof(spec), "%s/world-writable", dir);
        assert_int_equal(symlink(spec, p), 0);
        pathf(spec, sizeof(spec), "@%s", p);
        expect_prepare_error(spec, false, EPERM, "writable by others");

        /* The container's own, when allowed: nothing opened on the host. */
        assert_int_equal(ldconfig_prepare("/sbin/ldconfig", true, &e, &err), 0);
        assert_false(e.from_host);
        assert_true(e.memfd < 0);
        assert_string_equal(e.path, "/sbin/ldconfig");
        ldconfig_exec_clear(&e);
}

/* ------------------------------------------------------------ the real ldconfig */

static void run_real(struct fx *f, bool no_pivot)
{
        const char *dirs[] = {LIBDIR};
        struct ldconfig_exec e;
        struct nvcr_err err = {0};
        char p[PATH_MAX], cmd[PATH_MAX + 64], line[1024];
        struct stat st;
        bool listed = false, bar_listed = false;
        FILE *pp;
        int r, nfds = count_fds();

        assert_int_equal(ldconfig_prepare(NULL, false, &e, &err), 0);
        r = ldconfig_run(&e, f->rootfs, dirs, 1, 0, 0, no_pivot, &err);
        if (r != 0)
                print_error("ldconfig_run: %d %s\n", r, err.msg);
        assert_int_equal(r, 0);
        ldconfig_exec_clear(&e);
        /* Nothing of ours left open. */
        assert_int_equal(count_fds(), nfds);

        pathf(p, sizeof(p), "%s/etc/ld.so.cache", f->rootfs);
        assert_int_equal(lstat(p, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_true(st.st_size > 0);
        pathf(cmd, sizeof(cmd), "%s -p -C '%s'", host_ldconfig(), p);
        pp = popen(cmd, "r");
        assert_non_null(pp);
        while (fgets(line, sizeof(line), pp) != NULL) {
                if (strstr(line, "libfoo.so.1 (") != NULL &&
                    strstr(line, "=> " LIBDIR "/libfoo.so.1") != NULL)
                        listed = true;
                if (strstr(line, "libbar.so.1 (") != NULL)
                        bar_listed = true;
        }
        assert_int_equal(pclose(pp), 0);
        assert_true(listed);
        /* The bound driver library is seen through the recursive bind. */
        assert_int_equal(bar_listed, f->hostile);
        if (f->hostile) {
                pathf(p, sizeof(p), "%s%s/libbar.so.1", f->rootfs, LIBDIR);
                assert_int_equal(lstat(p, &st), 0);
                assert_true(S_ISLNK(st.st_mode));
        }

        pathf(p, sizeof(p), "%s%s/libfoo.so.1", f->rootfs, LIBDIR);
        assert_int_equal(lstat(p, &st), 0);
        assert_true(S_ISLNK(st.st_mode));
        assert_int_equal(readlink(p, line, sizeof(line)), (ssize_t)strlen("libfoo.so.1.2.3"));
        assert_memory_equal(line, "libfoo.so.1.2.3", strlen("libfoo.so.1.2.3"));
}

static void test_real_ldconfig(void **state)
{
        NEED_ROOT();
        run_real(*state, false);
}

static void test_real_ldconfig_no_pivot(void **state)
{
        NEED_ROOT();
        run_real(*state, true);
}

/* Hostile rootfs, and a second run over the cache the first one wrote. */
static void test_real_ldconfig_hostile(void **state)
{
        NEED_ROOT();
        run_real(*state, false);
        run_real(*state, false);
}

static void test_bad_dirs(void **state)
{
        struct fx *f = *state;
        const char *rel[] = {"usr/lib"}, *opt[] = {"-r/"};
        struct ldconfig_exec e;
        struct nvcr_err err = {0};

        NEED_ROOT();
        assert_int_equal(ldconfig_prepare(NULL, false, &e, &err), 0);
        assert_int_equal(ldconfig_run(&e, f->rootfs, rel, 1, 0, 0, false, &err), -EINVAL);
        assert_int_equal(ldconfig_run(&e, f->rootfs, opt, 1, 0, 0, false, &err), -EINVAL);
        assert_int_equal(ldconfig_run(&e, "relative/rootfs", NULL, 0, 0, 0, false, &err), -EINVAL);
        ldconfig_exec_clear(&e);
}

/* ------------------------------------------------------------ (a) the host probe */

static void run_host_probe(struct fx *f, uid_t uid, gid_t gid, bool no_pivot)
{
        const char *dirs[] = {LIBDIR};
        struct ldconfig_exec e;
        struct nvcr_err err = {0};
        char spec[PATH_MAX + 1], want[PATH_MAX + 128], ns[128], *out, *before, *after;
        static const char *const nss[] = {"net", "pid", "mnt", "ipc", "uts"};
        static const gid_t extra[] = {0, 27, 44};
        sigset_t usr1, old_mask;
        void (*old_pipe)(int);
        gid_t groups[64];
        size_t blen, alen;
        int leak_dir, leak_root, r, ngroups;

        /* Inherited fds, groups and environment the probe must not see. */
        ngroups = getgroups((int)ARRAY_SIZE(groups), groups);
        assert_true(ngroups >= 0);
        assert_int_equal(setgroups(ARRAY_SIZE(extra), extra), 0);
        leak_dir = open(f->canary, O_RDONLY | O_DIRECTORY);
        leak_root = open("/", O_PATH);
        assert_true(leak_dir >= 0 && leak_root >= 0);
        assert_int_equal(setenv("NVCR_PROBE_SECRET", "host-secret", 1), 0);
        old_pipe = signal(SIGPIPE, SIG_IGN);
        (void)sigemptyset(&usr1);
        (void)sigaddset(&usr1, SIGUSR1);
        assert_int_equal(sigprocmask(SIG_BLOCK, &usr1, &old_mask), 0);
        before = read_file(g.probe, &blen);
        assert_non_null(before);

        pathf(spec, sizeof(spec), "@%s", g.probe);
        assert_int_equal(ldconfig_prepare(spec, false, &e, &err), 0);
        r = ldconfig_run(&e, f->rootfs, dirs, 1, uid, gid, no_pivot, &err);
        if (r != 0)
                print_error("ldconfig_run: %d %s\n", r, err.msg);
        assert_int_equal(r, 0);
        ldconfig_exec_clear(&e);
        (void)close(leak_dir);
        (void)close(leak_root);
        (void)unsetenv("NVCR_PROBE_SECRET");
        assert_int_equal(setgroups((size_t)ngroups, groups), 0);
        (void)signal(SIGPIPE, old_pipe);
        assert_int_equal(sigprocmask(SIG_SETMASK, &old_mask, NULL), 0);

        out = read_in(f, "out/result");
        assert_non_null(out);
        assert_kv(out, "ran", "1");
        /* It ran from the sealed memfd, which it cannot write. */
        assert_non_null(kv(out, "exe"));
        assert_memory_equal(kv(out, "exe"), "/memfd:", 7);
        assert_kv_failed(out, "exe_wronly");
        assert_kv_failed(out, "exe_rdwr");
        assert_null(kv(out, "exe_write"));
        after = read_file(g.probe, &alen);
        assert_non_null(after);
        assert_int_equal(alen, blen);
        assert_memory_equal(after, before, blen);
        free(before);
        free(after);
        /* argv as documented, nothing inherited. */
        pathf(want, sizeof(want), "%s -f /etc/ld.so.conf -C /etc/ld.so.cache %s", g.probe, LIBDIR);
        assert_kv(out, "argv", want);
        assert_kv(out, "fd_escapes", "0");
        assert_kv(out, "fds", "0");
        assert_kv(out, "environ", "0");
        /* pid 1 of its own namespaces; its procfs leads back into the sandbox. */
        assert_kv(out, "pid", "1");
        assert_kv(out, "proc1_root", "/");
        assert_kv(out, "proc_self_status", "ok");
        /*
         * Only the rootfs and our masks are mounted (the old root is gone),
         * and the rootfs is nodev,nosuid.
         */
        {
                char *points = strdup(kv(out, "mountpoints")), *save = NULL;
                const char *opts = kv(out, "rootopts");
                int n = 0;

                assert_non_null(opts);
                assert_non_null(strstr(opts, "nodev"));
                assert_non_null(strstr(opts, "nosuid"));
                assert_non_null(points);
                for (char *tok = strtok_r(points, " ", &save); tok != NULL;
                     tok = strtok_r(NULL, " ", &save), n++) {
                        bool known = strcmp(tok, "/") == 0 || strcmp(tok, "/proc") == 0 ||
                                     strcmp(tok, "/sys") == 0 || strcmp(tok, "/dev") == 0 ||
                                     strcmp(tok, LIBDIR "/libbar.so.1.0") == 0;

                        if (!known)
                                print_error("unexpected mount point %s\n", tok);
                        assert_true(known);
                }
                /* the rootfs, its proc/sys/dev (as runc leaves them), our three masks */
                assert_int_equal(n, 8); /* and the bound library */
                free(points);
        }
        for (size_t i = 0; i < ARRAY_SIZE(nss); i++) {
                char key[16];
                const char *v;

                pathf(key, sizeof(key), "ns_%s", nss[i]);
                own_ns(nss[i], ns, sizeof(ns));
                v = kv(out, key);
                assert_non_null(v);
                assert_memory_equal(v, nss[i], strlen(nss[i])); /* "net:[...]": it could read it */
                assert_string_not_equal(v, ns);
        }
        /* Credentials. */
        pathf(want, sizeof(want), "%u %u %u %u", uid, uid, uid, uid);
        assert_kv(out, "status_Uid", want);
        pathf(want, sizeof(want), "%u %u %u %u", gid, gid, gid, gid);
        assert_kv(out, "status_Gid", want);
        assert_kv(out, "status_Groups", "");
        assert_kv(out, "status_CapInh", ZEROCAPS);
        assert_kv(out, "status_CapPrm", ZEROCAPS);
        assert_kv(out, "status_CapEff", ZEROCAPS);
        assert_kv(out, "status_CapBnd", ZEROCAPS);
        assert_kv(out, "status_CapAmb", ZEROCAPS);
        assert_kv(out, "status_NoNewPrivs", "1");
        assert_kv(out, "status_Seccomp", "2");
        /* The caller ignores SIGPIPE and blocks SIGUSR1: none of it is inherited. */
        assert_kv(out, "status_SigBlk", ZEROCAPS);
        assert_kv(out, "status_SigIgn", ZEROCAPS);
        /* rlimits. */
        assert_kv(out, "rlimit_cpu", "10");
        assert_kv(out, "rlimit_as", "2147483648");
        assert_kv(out, "rlimit_nofile", "64");
        assert_kv(out, "rlimit_fsize", "1048576");
        assert_kv(out, "rlimit_core", "0");
        /* nodev,nosuid added, read-only kept (uid 0 passes the mode bits: EROFS). */
        if (uid == 0)
                assert_kv(out, "ro_bind_write", "E30");
        else
                assert_kv_failed(out, "ro_bind_write");
        /* Devices: /dev is an empty tmpfs, the image's own node is nodev. */
        assert_kv(out, "dev_null", "E2");
        assert_kv(out, "image_dev_null", "E13");
        assert_kv(out, "sys_class", "E2");
        /* The seccomp allow-list. */
        assert_kv(out, "socket_inet", "E1");
        assert_kv(out, "socket_unix", "E1");
        assert_kv(out, "mount", "E1");
        assert_kv(out, "mknod", "E1");
        assert_kv(out, "unshare_user", "E1");
        assert_kv(out, "chroot", "E1");
        assert_kv(out, "fork", "E1");
        /* The host canary: /proc/1/root is the sandbox, so the path does not exist. */
        assert_kv_failed(out, "canary_proc1");
        assert_kv_failed(out, "canary_procself");
        assert_kv_failed(out, "canary_plain");
        assert_int_equal(count_entries(f->canary), 0);
        free(out);
}

static void test_host_probe_root(void **state)
{
        NEED_ROOT();
        run_host_probe(*state, 0, 0, false);
}

static void test_host_probe_user(void **state)
{
        NEED_ROOT();
        run_host_probe(*state, 4242, 4343, false);
}

static void test_host_probe_no_pivot(void **state)
{
        NEED_ROOT();
        run_host_probe(*state, 0, 0, true);
}

/*
 * Joining the container's net, ipc and uts namespaces (what a container start
 * does) instead of fresh ones: the probe sees exactly those, and still a
 * fresh pid and mount namespace of its own.
 */
static void test_host_probe_join_ns(void **state)
{
        static const char *const joined[] = {"net", "ipc", "uts"};
        static const char *const fresh[] = {"pid", "mnt"};
        const char *dirs[] = {LIBDIR};
        struct fx *f = *state;
        struct ldconfig_exec e = {.memfd = -1};
        struct nvcr_err err = {0};
        char spec[PATH_MAX + 1], path[64], want[128], ns[128], *out;
        int sync[2], pidfd, status;
        pid_t pid;
        char c;

        NEED_ROOT();
        assert_int_equal(pipe(sync), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                /* The "container": its own net, ipc and uts namespaces. */
                if (unshare(CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) < 0)
                        _exit(1);
                if (write(sync[1], "x", 1) != 1)
                        _exit(1);
                pause();
                _exit(0);
        }
        (void)close(sync[1]);
        assert_int_equal(read(sync[0], &c, 1), 1);
        (void)close(sync[0]);
        pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        assert_true(pidfd >= 0);

        pathf(spec, sizeof(spec), "@%s", g.probe);
        assert_int_equal(ldconfig_prepare(spec, false, &e, &err), 0);
        e.join_ns = true;
        e.ns_pidfd = pidfd;
        assert_int_equal(ldconfig_run(&e, f->rootfs, dirs, 1, 0, 0, false, &err), 0);
        ldconfig_exec_clear(&e);
        out = read_in(f, "out/result");
        assert_non_null(out);
        for (size_t i = 0; i < ARRAY_SIZE(joined); i++) {
                ssize_t n;

                pathf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, joined[i]);
                n = readlink(path, want, sizeof(want) - 1);
                assert_true(n > 0);
                want[n] = '\0';
                pathf(path, sizeof(path), "ns_%s", joined[i]);
                assert_kv(out, path, want);
        }
        for (size_t i = 0; i < ARRAY_SIZE(fresh); i++) {
                pathf(path, sizeof(path), "ns_%s", fresh[i]);
                own_ns(fresh[i], ns, sizeof(ns));
                assert_non_null(kv(out, path));
                assert_string_not_equal(kv(out, path), ns);
        }
        assert_kv(out, "pid", "1");
        assert_kv(out, "socket_inet", "E1");
        free(out);
        (void)kill(pid, SIGKILL);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        (void)close(pidfd);
}

/* ------------------------------------------------------------ (b) the image's own */

static void test_container_probe(void **state)
{
        struct fx *f = *state;
        const char *dirs[] = {LIBDIR};
        struct ldconfig_exec e;
        struct nvcr_err err = {0};
        char p[PATH_MAX], *out;
        int leak_dir, r;

        NEED_ROOT();
        pathf(p, sizeof(p), "%s/sbin/ldconfig", f->rootfs);
        copy_file(g.probe, p, 0755);
        leak_dir = open(f->canary, O_RDONLY | O_DIRECTORY);
        assert_true(leak_dir >= 0);

        assert_int_equal(ldconfig_prepare("/sbin/ldconfig", true, &e, &err), 0);
        r = ldconfig_run(&e, f->rootfs, dirs, 1, 0, 0, false, &err);
        if (r != 0)
                print_error("ldconfig_run: %d %s\n", r, err.msg);
        assert_int_equal(r, 0);
        ldconfig_exec_clear(&e);
        (void)close(leak_dir);

        out = read_in(f, "out/result");
        assert_non_null(out);
        assert_kv(out, "ran", "1");
        assert_kv(out, "argv", "/sbin/ldconfig -f /etc/ld.so.conf -C /etc/ld.so.cache " LIBDIR);
        assert_kv(out, "fd_escapes", "0");
        assert_kv(out, "fds", "0");
        assert_kv(out, "environ", "0");
        assert_kv(out, "pid", "1");
        assert_kv(out, "getuid", "0");
        /* No procfs at all for image code: not the host's, not its own. */
        assert_kv(out, "exe", "E2");
        assert_kv(out, "exe_wronly", "E2");
        assert_kv(out, "proc1_root", "E2");
        assert_kv(out, "proc_self_status", "E2");
        assert_kv(out, "ns_net", "E2");
        assert_kv(out, "status", "E2");
        /* No host device (CVE-2024-0136), no network (CVE-2024-0137). */
        assert_kv(out, "dev_null", "E2");
        assert_kv(out, "image_dev_null", "E13");
        assert_kv(out, "ro_bind_write", "E30");
        assert_kv(out, "sys_class", "E2");
        assert_kv(out, "socket_inet", "E1");
        assert_kv(out, "socket_unix", "E1");
        assert_kv(out, "mount", "E1");
        assert_kv(out, "mknod", "E1");
        assert_kv(out, "unshare_user", "E1");
        assert_kv(out, "fork", "E1");
        assert_kv(out, "rlimit_cpu", "10");
        assert_kv(out, "rlimit_fsize", "1048576");
        assert_kv_failed(out, "canary_proc1");
        assert_kv_failed(out, "canary_procself");
        assert_int_equal(count_entries(f->canary), 0);
        free(out);
}

static void test_container_missing(void **state)
{
        struct fx *f = *state;
        const char *dirs[] = {LIBDIR};
        struct ldconfig_exec e;
        struct nvcr_err err = {0};
        char p[PATH_MAX];
        struct stat st;

        NEED_ROOT();
        assert_int_equal(ldconfig_prepare("/sbin/ldconfig", true, &e, &err), 0);
        assert_int_equal(ldconfig_run(&e, f->rootfs, dirs, 1, 0, 0, false, &err), 0);
        ldconfig_exec_clear(&e);
        /* Nothing ran: no cache. */
        pathf(p, sizeof(p), "%s/etc/ld.so.cache", f->rootfs);
        assert_int_equal(lstat(p, &st), -1);

        /* A dangling link leading out of the rootfs is missing too, inside. */
        pathf(p, sizeof(p), "%s/sbin/ldconfig", f->rootfs);
        assert_int_equal(symlink(g.probe, p), 0);
        assert_int_equal(ldconfig_prepare("/sbin/ldconfig", true, &e, &err), 0);
        assert_int_equal(ldconfig_run(&e, f->rootfs, dirs, 1, 0, 0, false, &err), 0);
        ldconfig_exec_clear(&e);
        assert_null(read_in(f, "out/result"));
}

/* ------------------------------------------------------------ (c) symlinks out of the rootfs */

static void test_symlinks_to_host(void **state)
{
        struct fx *f = *state;
        const char *dirs[] = {LIBDIR};
        struct ldconfig_exec e;
        struct nvcr_err err = {0};
        char p[PATH_MAX], t[PATH_MAX + 64];
        struct stat st;
        int r;

        NEED_ROOT();
        /*
         * C holds a conf naming C/lib (through the same link), which holds
         * libbar.so.1.0: an ldconfig that reached C would create
         * C/lib/libbar.so.1 on the host.
         */
        pathf(p, sizeof(p), "%s/lib", f->canary);
        assert_int_equal(mkdir(p, 0755), 0);
        pathf(p, sizeof(p), "%s/lib/libbar.so.1.0", f->canary);
        copy_file(g.libbar, p, 0644);
        pathf(p, sizeof(p), "%s/evil.conf", f->canary);
        pathf(t, sizeof(t), "/proc/1/root%s/lib\n", f->canary);
        write_file(p, t, 0644);
        pathf(t, sizeof(t), "include /etc/ld.so.conf.d/*.conf\ninclude /proc/1/root%s/*.conf\n",
              f->canary);
        write_in(f, "etc/ld.so.conf", t);
        pathf(p, sizeof(p), "%s/etc/ld.so.conf.d", f->rootfs);
        pathf(t, sizeof(t), "/proc/1/root%s", f->canary);
        assert_int_equal(symlink(t, p), 0);
        pathf(p, sizeof(p), "%s/etc/ld.so.cache", f->rootfs);
        pathf(t, sizeof(t), "/proc/1/root%s/x", f->canary);
        assert_int_equal(symlink(t, p), 0);

        assert_int_equal(ldconfig_prepare(NULL, false, &e, &err), 0);
        r = ldconfig_run(&e, f->rootfs, dirs, 1, 0, 0, false, &err);
        if (r != 0)
                print_error("ldconfig_run: %d %s\n", r, err.msg);
        assert_int_equal(r, 0);
        ldconfig_exec_clear(&e);

        /* The host directory is as it was. */
        assert_int_equal(count_entries(f->canary), 2);
        pathf(p, sizeof(p), "%s/lib", f->canary);
        assert_int_equal(count_entries(p), 1);
        /* The cache went into the rootfs, replacing the link. */
        pathf(p, sizeof(p), "%s/etc/ld.so.cache", f->rootfs);
        assert_int_equal(lstat(p, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        pathf(p, sizeof(p), "%s%s/libfoo.so.1", f->rootfs, LIBDIR);
        assert_int_equal(lstat(p, &st), 0);
        assert_true(S_ISLNK(st.st_mode));
}

/*
 * The same through a host process the sandboxed uid could reach if /proc
 * were the host's: a uid-4242 process without capabilities whose cwd is C.
 * Only a procfs of the sandbox's own pid namespace (or none) keeps
 * /proc/<its pid>/cwd from leading to C.
 */
static void test_symlinks_to_host_user(void **state)
{
        struct fx *f = *state;
        const char *dirs[] = {LIBDIR};
        struct ldconfig_exec e;
        struct nvcr_err err = {0};
        char p[PATH_MAX], t[PATH_MAX + 64], c;
        int sync[2], r, status;
        pid_t helper;

        NEED_ROOT();
        pathf(p, sizeof(p), "%s/lib", f->canary);
        assert_int_equal(mkdir(p, 0777), 0);
        assert_int_equal(chmod(p, 0777), 0);
        pathf(p, sizeof(p), "%s/lib/libbar.so.1.0", f->canary);
        copy_file(g.libbar, p, 0644);
        assert_int_equal(pipe(sync), 0);
        helper = fork();
        assert_true(helper >= 0);
        if (helper == 0) {
                (void)close(sync[0]);
                if (setgroups(0, NULL) < 0 || setresgid(4343, 4343, 4343) < 0 ||
                    setresuid(4242, 4242, 4242) < 0 || prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0 ||
                    chdir(f->canary) < 0)
                        _exit(1);
                (void)!write(sync[1], "x", 1);
                for (;;)
                        (void)pause();
        }
        (void)close(sync[1]);
        assert_int_equal(read(sync[0], &c, 1), 1);
        (void)close(sync[0]);
        /* It is reachable from outside the sandbox, as uid 4242 would reach it. */
        pathf(p, sizeof(p), "/proc/%d/cwd", (int)helper);
        assert_int_equal(readlink(p, t, sizeof(t)), (ssize_t)strlen(f->canary));

        /* The conf names the library directory through the same link. */
        pathf(p, sizeof(p), "%s/evil.conf", f->canary);
        pathf(t, sizeof(t), "/proc/%d/cwd/lib\n", (int)helper);
        write_file(p, t, 0644);
        pathf(t, sizeof(t), "include /etc/ld.so.conf.d/*.conf\ninclude /proc/%d/cwd/*.conf\n",
              (int)helper);
        write_in(f, "etc/ld.so.conf", t);
        pathf(p, sizeof(p), "%s/etc/ld.so.conf.d", f->rootfs);
        pathf(t, sizeof(t), "/proc/%d/cwd", (int)helper);
        assert_int_equal(symlink(t, p), 0);
        pathf(p, sizeof(p), "%s/etc", f->rootfs);
        assert_int_equal(chown(p, 4242, 4343), 0);
        pathf(p, sizeof(p), "%s%s", f->rootfs, LIBDIR);
        assert_int_equal(chown(p, 4242, 4343), 0);

        assert_int_equal(ldconfig_prepare(NULL, false, &e, &err), 0);
        r = ldconfig_run(&e, f->rootfs, dirs, 1, 4242, 4343, false, &err);
        ldconfig_exec_clear(&e);
        (void)kill(helper, SIGKILL);
        assert_int_equal(waitpid(helper, &status, 0), helper);
        if (r != 0)
                print_error("ldconfig_run: %d %s\n", r, err.msg);
        assert_int_equal(r, 0);

        pathf(p, sizeof(p), "%s/lib", f->canary);
        assert_int_equal(count_entries(p), 1);
        assert_int_equal(count_entries(f->canary), 2);
        pathf(p, sizeof(p), "%s%s/libfoo.so.1", f->rootfs, LIBDIR);
        assert_int_equal(access(p, F_OK), 0);
}

/*
 * Mounts made in the sandbox never reach the caller's namespace, even from
 * inside a shared mount (security.md §4 item 15): the caller's mount table
 * is the same before and after.
 */
static void test_no_mount_propagation(void **state)
{
        struct fx *f = *state;
        char *before, *after;

        NEED_ROOT();
        before = read_file("/proc/self/mountinfo", NULL);
        assert_non_null(before);
        assert_non_null(strstr(before, " shared:"));
        run_real(f, false);
        after = read_file("/proc/self/mountinfo", NULL);
        assert_non_null(after);
        if (strcmp(before, after) != 0)
                print_error("mountinfo before:\n%s\nafter:\n%s\n", before, after);
        assert_string_equal(before, after);
        free(before);
        free(after);
}

/* ------------------------------------------------------------ failures */

static void test_exit_code_and_output(void **state)
{
        struct fx *f = *state;
        const char *dirs[] = {LIBDIR};
        struct ldconfig_exec e;
        struct nvcr_err err = {0};
        char p[PATH_MAX];
        int r;

        NEED_ROOT();
        pathf(p, sizeof(p), "%s/sbin/ldconfig", f->rootfs);
        copy_file(g.probe, p, 0755);
        write_in(f, "etc/probe.conf", "exit=3\nsay=boom from the image\n");
        assert_int_equal(ldconfig_prepare("/sbin/ldconfig", true, &e, &err), 0);
        r = ldconfig_run(&e, f->rootfs, dirs, 1, 0, 0, false, &err);
        ldconfig_exec_clear(&e);
        assert_int_equal(r, -EIO);
        assert_int_equal(err.code, EIO);
        assert_non_null(strstr(err.msg, "process /sbin/ldconfig failed with error code: 3"));
        assert_non_null(strstr(err.msg, "?[31mboom from the image"));
        assert_null(strchr(err.msg, '\033'));
        assert_null(strchr(err.msg, '\n'));
}

static void test_symlinked_proc_refused(void **state)
{
        struct fx *f = *state;
        const char *dirs[] = {LIBDIR};
        struct ldconfig_exec e;
        struct nvcr_err err = {0};
        char p[PATH_MAX];
        int r;

        NEED_ROOT();
        /* A /proc we cannot mask without following it: refuse, run nothing. */
        pathf(p, sizeof(p), "%s/proc", f->rootfs);
        assert_int_equal(symlink("/etc", p), 0);
        assert_int_equal(ldconfig_prepare(NULL, false, &e, &err), 0);
        r = ldconfig_run(&e, f->rootfs, dirs, 1, 0, 0, false, &err);
        ldconfig_exec_clear(&e);
        assert_true(r < 0);
        assert_non_null(strstr(err.msg, "cannot mask"));
        assert_non_null(strstr(err.msg, "/proc"));
        pathf(p, sizeof(p), "%s/etc/ld.so.cache", f->rootfs);
        assert_int_equal(access(p, F_OK), -1);
}

static void sandbox_probe_cfg(struct sandbox_config *cfg, const struct fx *f,
                              const char *const *argv)
{
        memset(cfg, 0, sizeof(*cfg));
        cfg->rootfs = f->rootfs;
        cfg->exec_fd = -1;
        cfg->exec_path = "/sbin/ldconfig";
        cfg->display = "/sbin/ldconfig";
        cfg->argv = argv;
        cfg->syscalls = ldconfig_syscalls;
        cfg->proc = SANDBOX_PROC_EMPTY;
}

static void test_sandbox_cpu_limit(void **state)
{
        struct fx *f = *state;
        const char *argv[] = {"/sbin/ldconfig", NULL};
        struct sandbox_config cfg;
        struct sandbox_result res;
        struct nvcr_err err = {0};
        char p[PATH_MAX];
        struct timespec t0, t1;

        NEED_ROOT();
        pathf(p, sizeof(p), "%s/sbin/ldconfig", f->rootfs);
        copy_file(g.probe, p, 0755);
        write_in(f, "etc/probe.conf", "spin=1\n");
        sandbox_probe_cfg(&cfg, f, argv);
        cfg.cpu_s = 1;
        (void)clock_gettime(CLOCK_MONOTONIC, &t0);
        assert_int_equal(sandbox_run(&cfg, &res, &err), 0);
        (void)clock_gettime(CLOCK_MONOTONIC, &t1);
        assert_true(WIFSIGNALED(res.status));
        assert_int_equal(WTERMSIG(res.status), SIGKILL);
        assert_true(t1.tv_sec - t0.tv_sec < 10);
        assert_int_equal(sandbox_check_status("/sbin/ldconfig", &res, &err), -EIO);
        assert_non_null(strstr(err.msg, "process /sbin/ldconfig was killed by signal 9"));
        assert_non_null(strstr(err.msg, "CPU time limit"));
}

static void test_sandbox_wall_clock(void **state)
{
        struct fx *f = *state;
        const char *argv[] = {"/sbin/ldconfig", NULL};
        const char *calls[128];
        struct sandbox_config cfg;
        struct sandbox_result res;
        struct nvcr_err err = {0};
        char p[PATH_MAX];
        size_t n = 0;
        int nfds = count_fds();

        NEED_ROOT();
        for (const char *const *s = ldconfig_syscalls; *s != NULL; s++) {
                assert_true(n + 3 < ARRAY_SIZE(calls));
                calls[n++] = *s;
        }
        calls[n++] = "nanosleep";
        calls[n++] = "clock_nanosleep";
        calls[n] = NULL;
        pathf(p, sizeof(p), "%s/sbin/ldconfig", f->rootfs);
        copy_file(g.probe, p, 0755);
        write_in(f, "etc/probe.conf", "sleep=1\n");
        sandbox_probe_cfg(&cfg, f, argv);
        cfg.syscalls = calls;
        cfg.timeout_ms = 1500;
        assert_int_equal(sandbox_run(&cfg, &res, &err), -ETIMEDOUT);
        assert_non_null(strstr(err.msg, "wall-clock limit"));
        assert_int_equal(count_fds(), nfds);
        /* Reaped: no child of ours is left. */
        assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
        assert_int_equal(errno, ECHILD);
}

/* Only sealed copies run from an fd: never the host file itself. */
static void test_sandbox_unsealed_fd(void **state)
{
        struct fx *f = *state;
        const char *argv[] = {"probe", NULL};
        struct sandbox_config cfg;
        struct sandbox_result res;
        struct nvcr_err err = {0};
        int fd;

        NEED_ROOT();
        fd = open(g.probe, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        sandbox_probe_cfg(&cfg, f, argv);
        cfg.exec_path = NULL;
        cfg.exec_fd = fd;
        assert_int_equal(sandbox_run(&cfg, &res, &err), -EPERM);
        assert_non_null(strstr(err.msg, "unsealed"));
        /* Both an fd and a path (a zeroed config has fd 0) is a mistake. */
        cfg.exec_path = "/sbin/ldconfig";
        assert_int_equal(sandbox_run(&cfg, &res, &err), -EINVAL);
        (void)close(fd);
        assert_null(read_in(f, "out/result"));
}

/* ------------------------------------------------------------ main */

#define T(f, setup) cmocka_unit_test_setup_teardown(f, setup, fx_teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
                T(test_prepare_default, fx_plain),
                T(test_prepare_errors, fx_plain),
                T(test_real_ldconfig, fx_plain),
                T(test_real_ldconfig_no_pivot, fx_plain),
                T(test_real_ldconfig_hostile, fx_hostile),
                T(test_no_mount_propagation, fx_shared),
                T(test_bad_dirs, fx_plain),
                T(test_host_probe_root, fx_hostile),
                T(test_host_probe_user, fx_hostile),
                T(test_host_probe_no_pivot, fx_hostile),
                T(test_host_probe_join_ns, fx_hostile),
                T(test_container_probe, fx_hostile),
                T(test_container_missing, fx_hostile),
                T(test_symlinks_to_host, fx_hostile),
                T(test_symlinks_to_host_user, fx_hostile),
                T(test_exit_code_and_output, fx_plain),
                T(test_symlinked_proc_refused, fx_plain),
                T(test_sandbox_cpu_limit, fx_plain),
                T(test_sandbox_wall_clock, fx_plain),
                T(test_sandbox_unsealed_fd, fx_plain),
        };

        g.root = geteuid() == 0;
        if (g.root) {
                /* Nothing mounted here may reach the host's mount table. */
                if (unshare(CLONE_NEWNS) < 0 ||
                    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                        perror("test-ldconfig: private mount namespace");
                        return 1;
                }
        }
        return cmocka_run_group_tests(tests, world_setup, world_teardown);
}
