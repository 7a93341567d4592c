/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The safe-path layer on a tree built under /tmp for each test:
 *
 *   T/outside/secret           a file beside the root that must stay unreachable
 *   T/root/usr/lib/libx.so.1   a file
 *   T/root/usr/lib/up -> ../../usr/lib
 *   T/root/lib  -> usr/lib      relative link
 *   T/root/abs  -> /usr/lib     absolute link: resolves inside the root
 *   T/root/esc  -> ../../../../../../etc    ".." clamps at the root: root/etc
 *   T/root/esc2 -> ../outside   would reach T/outside if ".." escaped
 *   T/root/proc-link -> /proc/self/root/etc  magic-link text, read inside the root
 *   T/root/loop1 <-> loop2, T/root/self -> self   loops
 *   T/root/file-link -> usr/lib/libx.so.1
 *   T/root/dangling -> nowhere
 *
 * Every case runs twice: through openat2 and through the user-space walk
 * (in_root_force_fallback). The test names say which.
 */
#include <dirent.h>
#include <errno.h>
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

#include "core/macro.h"
#include "safepath/in-root.h"

#define LIBX_CONTENT "libx: the real one\n"
#define SECRET_CONTENT "outside the root\n"

struct tree {
        char top[64];       /* T */
        char root[PATH_MAX]; /* canonical T/root */
        int rootfd;
        int fallback;
        int nfds; /* open fds at setup: every call must give back what it opened */
};

static const int mode_openat2 = 0, mode_fallback = 1;

static int count_fds(void)
{
        DIR *d = opendir("/proc/self/fd");
        struct dirent *e;
        int n = 0;

        assert_non_null(d);
        while ((e = readdir(d)) != NULL)
                if (e->d_name[0] != '.')
                        n++;
        (void)closedir(d);
        return n - 1; /* the directory's own fd */
}

static void write_text(const char *dir, const char *name, const char *text)
{
        char path[PATH_MAX];
        FILE *f;

        (void)snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "we");
        assert_non_null(f);
        assert_int_equal(fputs(text, f) >= 0, 1);
        assert_int_equal(fclose(f), 0);
}

static void make_link(const char *root, const char *name, const char *target)
{
        char path[PATH_MAX];

        (void)snprintf(path, sizeof(path), "%s/%s", root, name);
        assert_int_equal(symlink(target, path), 0);
}

static void make_dir(const char *parent, const char *name)
{
        char path[PATH_MAX];

        (void)snprintf(path, sizeof(path), "%s/%s", parent, name);
        assert_int_equal(mkdir(path, 0755), 0);
}

static int tree_setup(void **state)
{
        struct tree *t = calloc(1, sizeof(*t));
        char path[PATH_MAX];

        assert_non_null(t);
        t->fallback = *(const int *)*state;
        strcpy(t->top, "/tmp/nvcr-test-in-root-XXXXXX");
        assert_non_null(mkdtemp(t->top));
        make_dir(t->top, "outside");
        write_text(t->top, "outside/secret", SECRET_CONTENT);
        make_dir(t->top, "root");
        (void)snprintf(path, sizeof(path), "%s/root", t->top);
        assert_non_null(realpath(path, t->root));
        make_dir(t->root, "usr");
        make_dir(t->root, "usr/lib");
        write_text(t->root, "usr/lib/libx.so.1", LIBX_CONTENT);
        make_link(t->root, "usr/lib/up", "../../usr/lib");
        make_link(t->root, "lib", "usr/lib");
        make_link(t->root, "abs", "/usr/lib");
        make_link(t->root, "esc", "../../../../../../etc");
        make_link(t->root, "esc2", "../outside");
        make_link(t->root, "proc-link", "/proc/self/root/etc");
        make_link(t->root, "loop1", "loop2");
        make_link(t->root, "loop2", "loop1");
        make_link(t->root, "self", "self");
        make_link(t->root, "file-link", "usr/lib/libx.so.1");
        make_link(t->root, "dangling", "nowhere");
        t->rootfd = open(t->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        assert_true(t->rootfd >= 0);
        in_root_force_fallback(t->fallback);
        t->nfds = count_fds();
        *state = t;
        return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)flag;
        (void)ftw;
        return remove(path);
}

static int tree_teardown(void **state)
{
        struct tree *t = *state;
        int leaked = count_fds() - t->nfds;

        in_root_force_fallback(0);
        (void)close(t->rootfd);
        assert_int_equal(nftw(t->top, rm_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
        free(t);
        if (leaked != 0)
                fail_msg("%d file descriptors leaked", leaked);
        return 0;
}

/* ---------------------------------------------------------------- helpers */

static const char *mode_name(const struct tree *t)
{
        return t->fallback ? "fallback" : "openat2";
}

/* Opens path with flags; it must succeed. The caller closes the fd. */
static int open_ok(const struct tree *t, const char *path, int flags)
{
        struct nvcr_err err = {0};
        int fd = in_root_open(t->rootfd, path, flags, &err);

        if (fd < 0)
                fail_msg("[%s] open %s: %d %s", mode_name(t), path, fd, err.msg);
        assert_int_equal(err.code, 0);
        return fd;
}

static void expect_open_fails(const struct tree *t, const char *path, int flags, int code)
{
        struct nvcr_err err = {0};
        int fd = in_root_open(t->rootfd, path, flags, &err);

        if (fd >= 0) {
                char buf[PATH_MAX], proc[64];
                ssize_t n;

                (void)snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
                n = readlink(proc, buf, sizeof(buf) - 1);
                buf[n > 0 ? n : 0] = '\0';
                (void)close(fd);
                fail_msg("[%s] open %s succeeded (%s), expected %s", mode_name(t), path, buf,
                         strerror(code));
        }
        if (fd != -code)
                fail_msg("[%s] open %s: got %s (%s), expected %s", mode_name(t), path,
                         strerror(-fd), err.msg, strerror(code));
        assert_int_equal(err.code, code);
        assert_true(err.msg[0] != '\0');
}

/* The content of a file opened O_RDONLY through the layer. */
static void expect_content(const struct tree *t, const char *path, const char *want)
{
        char buf[256];
        int fd = open_ok(t, path, O_RDONLY);
        ssize_t n = read(fd, buf, sizeof(buf) - 1);

        assert_true(n >= 0);
        buf[n] = '\0';
        (void)close(fd);
        assert_string_equal(buf, want);
}

static void expect_resolve(const struct tree *t, const char *path, const char *want)
{
        struct nvcr_err err = {0};
        char *got = NULL;
        int r = in_root_resolve(t->rootfd, t->root, path, &got, &err);

        if (r < 0)
                fail_msg("[%s] resolve %s: %d %s", mode_name(t), path, r, err.msg);
        if (strcmp(got, want) != 0) {
                char msg[2 * PATH_MAX];

                (void)snprintf(msg, sizeof(msg), "[%s] resolve %s: got %s, expected %s",
                               mode_name(t), path, got, want);
                free(got);
                fail_msg("%s", msg);
        }
        free(got);
}

static void expect_resolve_fails(const struct tree *t, const char *path, int code)
{
        struct nvcr_err err = {0};
        char *got = NULL;
        int r = in_root_resolve(t->rootfd, t->root, path, &got, &err);

        if (r >= 0) {
                char msg[2 * PATH_MAX];

                (void)snprintf(msg, sizeof(msg), "[%s] resolve %s gave %s", mode_name(t), path,
                               got ? got : "(null)");
                free(got);
                fail_msg("%s", msg);
        }
        assert_null(got);
        if (r != -code)
                fail_msg("[%s] resolve %s: got %s (%s), expected %s", mode_name(t), path,
                         strerror(-r), err.msg, strerror(code));
}

/* The fd refers to T/root/<rel> (or the root itself for rel == ""). */
static void expect_fd_is(const struct tree *t, int fd, const char *rel)
{
        char want[PATH_MAX], got[PATH_MAX], proc[64];
        ssize_t n;

        (void)snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        n = readlink(proc, got, sizeof(got) - 1);
        assert_true(n > 0);
        got[n] = '\0';
        (void)snprintf(want, sizeof(want), "%s%s", t->root, rel);
        assert_string_equal(got, want);
}

static void expect_path(int fd, const char *want)
{
        char got[PATH_MAX], proc[64];
        ssize_t n;

        (void)snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        n = readlink(proc, got, sizeof(got) - 1);
        assert_true(n > 0);
        got[n] = '\0';
        assert_string_equal(got, want);
}

/* ------------------------------------------------------------------ tests */

static void test_plain_file(void **state)
{
        const struct tree *t = *state;
        struct stat st;
        int fd;

        expect_content(t, "/usr/lib/libx.so.1", LIBX_CONTENT);
        expect_content(t, "usr/lib/libx.so.1", LIBX_CONTENT);
        expect_content(t, "//usr///lib/./libx.so.1", LIBX_CONTENT);
        expect_resolve(t, "/usr/lib/libx.so.1", "/usr/lib/libx.so.1");
        expect_resolve(t, "usr/lib", "/usr/lib");
        expect_resolve(t, "/", "/");

        fd = open_ok(t, "/usr/lib", O_PATH);
        assert_int_equal(fstat(fd, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        expect_fd_is(t, fd, "/usr/lib");
        (void)close(fd);

        fd = open_ok(t, "/usr/lib", O_RDONLY | O_DIRECTORY);
        expect_fd_is(t, fd, "/usr/lib");
        (void)close(fd);

        /* O_CLOEXEC is always added. */
        fd = open_ok(t, "/usr/lib/libx.so.1", O_RDONLY);
        assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
        (void)close(fd);

        expect_open_fails(t, "/usr/lib/missing", O_RDONLY, ENOENT);
        expect_open_fails(t, "/missing/libx.so.1", O_RDONLY, ENOENT);
        /* An empty path is nothing, not the root (as open(2) has it). */
        expect_open_fails(t, "", O_PATH, ENOENT);
        expect_resolve_fails(t, "/usr/lib/missing", ENOENT);
}

static void test_relative_link(void **state)
{
        const struct tree *t = *state;

        expect_content(t, "/lib/libx.so.1", LIBX_CONTENT);
        expect_resolve(t, "/lib/libx.so.1", "/usr/lib/libx.so.1");
        expect_resolve(t, "/lib", "/usr/lib");
        /* A link with ".." inside it, followed again. */
        expect_resolve(t, "/usr/lib/up/up/up/libx.so.1", "/usr/lib/libx.so.1");
        expect_content(t, "/lib/up/libx.so.1", LIBX_CONTENT);
        /* ".." after a link is taken from the link's target (usr/lib/.. = usr). */
        expect_resolve(t, "/lib/../lib/libx.so.1", "/usr/lib/libx.so.1");
        expect_resolve(t, "/lib/..", "/usr");
        /* A link to a file as the last component. */
        expect_content(t, "/file-link", LIBX_CONTENT);
        expect_resolve(t, "/file-link", "/usr/lib/libx.so.1");
        expect_open_fails(t, "/dangling", O_RDONLY, ENOENT);
        expect_resolve_fails(t, "/dangling", ENOENT);
}

static void test_absolute_link(void **state)
{
        const struct tree *t = *state;

        /* /usr/lib of the tree, never the host's. */
        expect_resolve(t, "/abs/libx.so.1", "/usr/lib/libx.so.1");
        expect_resolve(t, "abs", "/usr/lib");
        expect_content(t, "/abs/libx.so.1", LIBX_CONTENT);
        /* The host's /usr/lib has entries the tree lacks. */
        expect_open_fails(t, "/abs/os-release", O_RDONLY, ENOENT);
        /* An absolute link reached deep in the walk restarts at the tree's root. */
        expect_resolve(t, "/usr/lib/up/../../abs/up/libx.so.1", "/usr/lib/libx.so.1");
}

static void test_escape_clamped(void **state)
{
        const struct tree *t = *state;
        int fd;

        /* root/esc -> ../../../../../../etc is root/etc: absent, never the host's /etc. */
        expect_open_fails(t, "/esc", O_RDONLY, ENOENT);
        expect_open_fails(t, "/esc/passwd", O_RDONLY, ENOENT);
        expect_open_fails(t, "/esc/hostname", O_PATH, ENOENT);
        expect_resolve_fails(t, "/esc/passwd", ENOENT);
        /* T/outside exists beside the root: still not reachable. */
        expect_open_fails(t, "/esc2/secret", O_RDONLY, ENOENT);
        expect_open_fails(t, "../outside/secret", O_RDONLY, ENOENT);
        expect_open_fails(t, "/usr/../../outside/secret", O_RDONLY, ENOENT);

        /* With root/etc present the link lands there. */
        make_dir(t->root, "etc");
        write_text(t->root, "etc/passwd", "root:x:0:0:tree:/:/bin/sh\n");
        expect_content(t, "/esc/passwd", "root:x:0:0:tree:/:/bin/sh\n");
        expect_resolve(t, "/esc/passwd", "/etc/passwd");
        fd = open_ok(t, "/esc", O_PATH);
        expect_fd_is(t, fd, "/etc");
        (void)close(fd);
}

static void test_dotdot_clamped(void **state)
{
        const struct tree *t = *state;
        int fd;

        expect_content(t, "../../../usr/lib/libx.so.1", LIBX_CONTENT);
        expect_content(t, "/../../../../usr/lib/libx.so.1", LIBX_CONTENT);
        expect_resolve(t, "/usr/../../../../usr/lib/libx.so.1", "/usr/lib/libx.so.1");
        expect_resolve(t, "../../..", "/");
        expect_resolve(t, "/..", "/");
        fd = open_ok(t, "/../..", O_PATH | O_DIRECTORY);
        expect_fd_is(t, fd, "");
        (void)close(fd);
}

static void test_magic_link_text(void **state)
{
        const struct tree *t = *state;

        /* "/proc/self/root/etc" read as text inside the tree: root/proc is absent. */
        expect_open_fails(t, "/proc-link", O_RDONLY, ENOENT);
        expect_open_fails(t, "/proc-link/passwd", O_RDONLY, ENOENT);
        expect_resolve_fails(t, "/proc-link/passwd", ENOENT);
}

/*
 * A tree that really holds magic links: /proc itself as the root.
 * self/root is the host's "/" for the kernel; through this layer it must not
 * be (openat2 refuses magic links, the walk reads "/" as text = /proc).
 */
static void test_real_magic_links(void **state)
{
        const struct tree *t = *state;
        static const char *const paths[] = {
                "self/root/etc/passwd", "thread-self/root/etc/passwd",
                "self/cwd", "self/exe", "1/root/etc/passwd",
        };
        int procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
        char fdpath[64];

        assert_true(procfd >= 0);
        for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
                struct nvcr_err err = {0};
                int fd = in_root_open(procfd, paths[i], O_RDONLY, &err);

                if (fd >= 0) {
                        (void)close(fd);
                        (void)close(procfd);
                        fail_msg("[%s] /proc/%s was opened through a magic link", mode_name(t),
                                 paths[i]);
                }
                /* EACCES: pid 1 may be out of reach (another user namespace). */
                if (fd != -ELOOP && fd != -ENOENT && fd != -EXDEV && fd != -EACCES) {
                        (void)close(procfd);
                        fail_msg("[%s] /proc/%s: unexpected %s (%s)", mode_name(t), paths[i],
                                 strerror(-fd), err.msg);
                }
        }
        /* The kernel refuses magic links; the walk reads self/root as "/" = the tree's root. */
        {
                int fd = in_root_open(procfd, "self/root/etc/passwd", O_RDONLY, NULL);

                if (fd >= 0)
                        (void)close(fd);
                assert_int_equal(fd, t->fallback ? -ENOENT : -ELOOP);
                /* "/version" of the tree, i.e. /proc/version, not the host's "/version". */
                fd = in_root_open(procfd, "self/root/version", O_RDONLY, NULL);
                if (fd >= 0) {
                        assert_true(t->fallback);
                        expect_path(fd, "/proc/version");
                        (void)close(fd);
                } else {
                        assert_int_equal(fd, -ELOOP);
                }
        }
        /* An fd magic link: /proc/self/fd/N points at the tree's file. */
        {
                int target = open_ok(t, "/usr/lib/libx.so.1", O_RDONLY);
                int fd;

                (void)snprintf(fdpath, sizeof(fdpath), "self/fd/%d", target);
                fd = in_root_open(procfd, fdpath, O_RDONLY, NULL);
                (void)close(target);
                if (fd >= 0) {
                        (void)close(fd);
                        (void)close(procfd);
                        fail_msg("[%s] /proc/%s was followed", mode_name(t), fdpath);
                }
        }
        (void)close(procfd);
}

static void test_loops(void **state)
{
        const struct tree *t = *state;

        expect_open_fails(t, "/loop1", O_RDONLY, ELOOP);
        expect_open_fails(t, "/loop2/x", O_PATH, ELOOP);
        expect_open_fails(t, "/self", O_RDONLY, ELOOP);
        expect_open_fails(t, "/usr/lib/../../self/libx.so.1", O_RDONLY, ELOOP);
        expect_resolve_fails(t, "/loop1", ELOOP);
}

static void test_not_a_directory(void **state)
{
        const struct tree *t = *state;

        expect_open_fails(t, "/usr/lib/libx.so.1/foo", O_RDONLY, ENOTDIR);
        expect_open_fails(t, "/usr/lib/libx.so.1/foo", O_PATH, ENOTDIR);
        expect_open_fails(t, "/file-link/foo", O_RDONLY, ENOTDIR);
        expect_open_fails(t, "/usr/lib/libx.so.1/..", O_RDONLY, ENOTDIR);
        expect_open_fails(t, "/usr/lib/libx.so.1", O_RDONLY | O_DIRECTORY, ENOTDIR);
        expect_open_fails(t, "/usr/lib/libx.so.1", O_PATH | O_DIRECTORY, ENOTDIR);
        expect_open_fails(t, "/file-link", O_PATH | O_DIRECTORY, ENOTDIR);
        expect_resolve_fails(t, "/usr/lib/libx.so.1/foo", ENOTDIR);
}

static void test_nofollow(void **state)
{
        const struct tree *t = *state;
        struct stat st;
        int fd;

        /* O_PATH|O_NOFOLLOW gives the link itself... */
        fd = open_ok(t, "/lib", O_PATH | O_NOFOLLOW);
        assert_int_equal(fstat(fd, &st), 0);
        assert_true(S_ISLNK(st.st_mode));
        expect_fd_is(t, fd, "/lib");
        (void)close(fd);
        /* ...links before the last component are still followed... */
        fd = open_ok(t, "/lib/libx.so.1", O_RDONLY | O_NOFOLLOW);
        expect_fd_is(t, fd, "/usr/lib/libx.so.1");
        (void)close(fd);
        /* ...and opening a link for reading with O_NOFOLLOW is ELOOP, as open(2) has it. */
        expect_open_fails(t, "/file-link", O_RDONLY | O_NOFOLLOW, ELOOP);
}

static void test_create_refused(void **state)
{
        const struct tree *t = *state;
        struct nvcr_err err = {0};
        char path[PATH_MAX];

        assert_int_equal(in_root_open(t->rootfd, "/usr/lib/new", O_WRONLY | O_CREAT, &err),
                         -EINVAL);
        assert_int_equal(err.code, EINVAL);
        assert_non_null(strstr(err.msg, "/usr/lib/new"));
        /* Even when the file exists. */
        assert_int_equal(in_root_open(t->rootfd, "/usr/lib/libx.so.1", O_RDWR | O_CREAT, NULL),
                         -EINVAL);
        assert_int_equal(in_root_open(t->rootfd, "/usr/lib", O_RDWR | O_TMPFILE, NULL), -EINVAL);
        (void)snprintf(path, sizeof(path), "%s/usr/lib/new", t->root);
        assert_int_equal(access(path, F_OK), -1);
        assert_int_equal(errno, ENOENT);
        /* O_DIRECTORY alone shares bits with O_TMPFILE: it must not be refused. */
        (void)close(open_ok(t, "/usr/lib", O_RDONLY | O_DIRECTORY));
}

static void test_fallback_fd_reads(void **state)
{
        const struct tree *t = *state;
        char buf[64];
        ssize_t n;
        int fd;

        /* Whatever the mode, an O_RDONLY fd is a real readable fd, not O_PATH. */
        fd = open_ok(t, "/abs/libx.so.1", O_RDONLY);
        assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
        assert_int_equal(fcntl(fd, F_GETFL) & O_PATH, 0);
        n = pread(fd, buf, sizeof(buf) - 1, 0);
        assert_int_equal(n, (ssize_t)strlen(LIBX_CONTENT));
        buf[n] = '\0';
        assert_string_equal(buf, LIBX_CONTENT);
        expect_fd_is(t, fd, "/usr/lib/libx.so.1");
        (void)close(fd);

        /* And O_PATH gives an O_PATH fd. */
        fd = open_ok(t, "/lib/libx.so.1", O_PATH);
        assert_true(fcntl(fd, F_GETFL) & O_PATH);
        assert_int_equal(read(fd, buf, 1), -1);
        assert_int_equal(errno, EBADF);
        (void)close(fd);
}

/* The errno comes back even when nobody asks for the message. */
static void test_errno_without_err(void **state)
{
        const struct tree *t = *state;
        char *got = NULL;

        assert_int_equal(in_root_open(t->rootfd, "/usr/lib/missing", O_RDONLY, NULL), -ENOENT);
        assert_int_equal(in_root_open(t->rootfd, "/esc/passwd", O_PATH, NULL), -ENOENT);
        assert_int_equal(in_root_open(t->rootfd, "/loop1", O_RDONLY, NULL), -ELOOP);
        assert_int_equal(in_root_open(t->rootfd, "/usr/lib/libx.so.1/x", O_RDONLY, NULL),
                         -ENOTDIR);
        assert_int_equal(in_root_resolve(t->rootfd, t->root, "/dangling", &got, NULL), -ENOENT);
        assert_null(got);
}

/* A trailing slash asks for a directory. */
static void test_trailing_slash(void **state)
{
        const struct tree *t = *state;
        int fd;

        expect_open_fails(t, "/usr/lib/libx.so.1/", O_RDONLY, ENOTDIR);
        expect_open_fails(t, "/file-link/", O_PATH, ENOTDIR);
        fd = open_ok(t, "/lib/", O_PATH);
        expect_fd_is(t, fd, "/usr/lib");
        (void)close(fd);
        fd = open_ok(t, "/abs//", O_RDONLY | O_DIRECTORY);
        expect_fd_is(t, fd, "/usr/lib");
        (void)close(fd);
        /* The slash makes the last link followed even with O_NOFOLLOW. */
        fd = open_ok(t, "/lib/", O_PATH | O_NOFOLLOW);
        expect_fd_is(t, fd, "/usr/lib");
        (void)close(fd);
        expect_resolve(t, "/lib/", "/usr/lib");
        expect_resolve(t, "/usr/lib/up/", "/usr/lib");
}

static void test_resolve_root_with_slash(void **state)
{
        const struct tree *t = *state;
        char root[PATH_MAX + 1], *got = NULL;

        /* A trailing slash on the root path changes nothing. */
        (void)snprintf(root, sizeof(root), "%s/", t->root);
        assert_int_equal(in_root_resolve(t->rootfd, root, "/abs/libx.so.1", &got, NULL), 0);
        assert_string_equal(got, "/usr/lib/libx.so.1");
        free(got);
        got = NULL;
        assert_int_equal(in_root_resolve(t->rootfd, root, "/", &got, NULL), 0);
        assert_string_equal(got, "/");
        free(got);
}

#define BOTH(f)                                                                                    \
        {#f " [openat2]", f, tree_setup, tree_teardown, (void *)&mode_openat2},                    \
        {                                                                                          \
                #f " [fallback]", f, tree_setup, tree_teardown, (void *)&mode_fallback             \
        }

int main(void)
{
        const struct CMUnitTest tests[] = {
                BOTH(test_plain_file),
                BOTH(test_relative_link),
                BOTH(test_absolute_link),
                BOTH(test_escape_clamped),
                BOTH(test_dotdot_clamped),
                BOTH(test_magic_link_text),
                BOTH(test_real_magic_links),
                BOTH(test_loops),
                BOTH(test_not_a_directory),
                BOTH(test_nofollow),
                BOTH(test_create_refused),
                BOTH(test_fallback_fd_reads),
                BOTH(test_errno_without_err),
                BOTH(test_trailing_slash),
                BOTH(test_resolve_root_with_slash),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
