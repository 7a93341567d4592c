/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The helper sandbox (sandbox.h). Why each step is there:
 *
 *  - pid namespace, program is pid 1: a fresh procfs shows only the helper,
 *    so /proc/1/root, /proc/1/cwd and friends lead back into the sandbox,
 *    never to the host (CVE-2025-23267: ldconfig followed image symlinks
 *    through /proc/1/root to the host). When pid 1 dies, the kernel kills
 *    everything else in the namespace.
 *  - net namespace: no network for image code (CVE-2024-0137); ipc and uts:
 *    nothing of the host's to see or change.
 *  - mount namespace, everything private: no mount of ours propagates back
 *    into the container's or the host's namespace. pivot_root (not chroot)
 *    and detaching the old root leave no path out of the rootfs.
 *  - nodev,nosuid on every mount of the rootfs, empty tmpfs over /dev, /sys
 *    and /proc: the helper runs outside the container's device cgroup, so a
 *    device node from the image or the host's /dev would be a device grant
 *    (CVE-2024-0136).
 *  - capabilities, bounding set, securebits, no_new_privs: uid 0 in the
 *    sandbox is no stronger than any other uid, and exec cannot regain it.
 *  - seccomp allow-list, rlimits, wall-clock limit: a hostile image gets a
 *    bounded amount of a small kernel surface.
 *  - fds 0-2 only and an empty environment: nothing of ours leaks in.
 *
 * The child is created with a raw clone() so that it is pid 1 of the new pid
 * namespace without an intermediate process. It then makes only system calls
 * (no malloc, stdio or locks, which a raw clone of a multi-threaded process
 * may find held) and ends in exec or _exit. Failures before exec travel to
 * the parent over a close-on-exec pipe; end of file on it means exec worked.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/securebits.h>
#include <poll.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "apply/sandbox.h"
#include "core/err.h"
#include "core/macro.h"

#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef SECCOMP_SET_MODE_FILTER
#define SECCOMP_SET_MODE_FILTER 1
#endif

/* struct mount_attr and its flags, whatever the libc headers have. */
struct sb_mount_attr {
        uint64_t attr_set;
        uint64_t attr_clr;
        uint64_t propagation;
        uint64_t userns_fd;
};
#define SB_MOUNT_ATTR_NOSUID 0x00000002ULL
#define SB_MOUNT_ATTR_NODEV 0x00000004ULL

#define CLONE_FLAGS (CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWUTS)
#define CLONE_FLAGS_JOINING (CLONE_NEWNS | CLONE_NEWPID)
#define JOINED_NS (CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWUTS)
#define MASK_FLAGS (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)
#define SECUREBITS                                                                                 \
        (SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_KEEP_CAPS_LOCKED |                          \
         SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED)
#define NLIMITS 5

#define SEALED (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

enum { REPORT_ERROR = 1, REPORT_MISSING = 2 };

/* What the child sends before exec when it cannot get there. */
struct report {
        int kind;
        int code;
        char msg[256];
};

struct child_ctx {
        const struct sandbox_config *cfg;
        struct sock_fprog prog;
        char *const *argv;
        char *const *envp;
        int in_r, out_w, rep_w, exec_fd;
        unsigned long max_fd; /* for the fd loop on kernels without close_range */
        struct {
                int resource;
                struct rlimit lim;
        } limits[NLIMITS];
};

/* ------------------------------------------------------------ in the child */

static void append(char *dst, size_t cap, size_t *len, const char *s)
{
        while (s != NULL && *s != '\0' && *len + 1 < cap)
                dst[(*len)++] = *s++;
        dst[*len] = '\0';
}

static _Noreturn void child_report(int fd, int kind, int code, const char *what, const char *path,
                                   const char *tail)
{
        struct report r;
        size_t len = 0;

        memset(&r, 0, sizeof(r));
        r.kind = kind;
        r.code = code;
        append(r.msg, sizeof(r.msg), &len, what);
        if (path != NULL) {
                append(r.msg, sizeof(r.msg), &len, " ");
                append(r.msg, sizeof(r.msg), &len, path);
        }
        append(r.msg, sizeof(r.msg), &len, tail);
        (void)!write(fd, &r, sizeof(r));
        _exit(127);
}

/* errno is read before the call, i.e. right after the failed one. */
#define child_fail(c, what, path) child_report((c)->rep_w, REPORT_ERROR, errno, what, path, NULL)

static void move_above_stdio(struct child_ctx *c, int *fd)
{
        int n;

        if (*fd < 0 || *fd > STDERR_FILENO)
                return;
        n = fcntl(*fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
        if (n < 0)
                child_fail(c, "moving a pipe above stdio", NULL);
        *fd = n;
}

/*
 * 0 is an empty pipe (end of file at once), 1 and 2 the caller's capture
 * pipe. Every other fd is marked close-on-exec, so the program starts with
 * 0-2 only; the report pipe and the memfd stay usable until the exec itself
 * (execveat on a close-on-exec memfd works for ELF binaries).
 */
static void child_fds(struct child_ctx *c)
{
        move_above_stdio(c, &c->rep_w);
        move_above_stdio(c, &c->in_r);
        move_above_stdio(c, &c->out_w);
        move_above_stdio(c, &c->exec_fd);
        if (dup2(c->in_r, STDIN_FILENO) < 0 || dup2(c->out_w, STDOUT_FILENO) < 0 ||
            dup2(c->out_w, STDERR_FILENO) < 0)
                child_fail(c, "setting up stdio", NULL);
        if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
                return;
        if (errno != ENOSYS && errno != EINVAL)
                child_fail(c, "close_range", NULL);
        for (unsigned long fd = 3; fd < c->max_fd; fd++) {
                if (fcntl((int)fd, F_SETFD, FD_CLOEXEC) < 0 && errno != EBADF)
                        child_fail(c, "marking fds close-on-exec", NULL);
        }
}

static void child_enter_rootfs(const struct child_ctx *c)
{
        const char *root = c->cfg->rootfs;

        /* Nothing below may propagate into the container's or the host's mounts. */
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                child_fail(c, "making all mounts private", NULL);
        /*
         * pivot_root needs a mount point; recursive, because the driver
         * files already bound into the rootfs are what ldconfig must see.
         */
        if (mount(root, root, NULL, MS_BIND | MS_REC, NULL) < 0)
                child_fail(c, "bind-mounting the rootfs", root);
        if (chdir(root) < 0)
                child_fail(c, "entering the rootfs", root);
        if (c->cfg->no_pivot) {
                /* For roots pivot_root refuses (initramfs): the rootfs covers "/". */
                if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
                        child_fail(c, "moving the rootfs onto / (no-pivot)", root);
                if (chroot(".") < 0)
                        child_fail(c, "chroot into the rootfs", root);
        } else {
                if (syscall(SYS_pivot_root, ".", ".") < 0)
                        child_fail(c, "pivot_root into the rootfs", root);
                /* The old root is stacked on "."; detached, no path leads to it. */
                if (umount2(".", MNT_DETACH) < 0)
                        child_fail(c, "detaching the old root", NULL);
        }
        if (chdir("/") < 0)
                child_fail(c, "chdir to /", NULL);
}

/*
 * nodev and nosuid on every mount under the new root, added without
 * touching the other flags (read-only driver binds stay read-only, which a
 * MS_REMOUNT would not guarantee). Kernels before 5.12 lack mount_setattr:
 * a host binary then runs without it (it opens only what ldconfig opens),
 * image code does not run at all.
 */
static void child_harden_mounts(const struct child_ctx *c)
{
        struct sb_mount_attr attr = {.attr_set = SB_MOUNT_ATTR_NODEV | SB_MOUNT_ATTR_NOSUID};

        if (syscall(SYS_mount_setattr, AT_FDCWD, "/", AT_RECURSIVE, &attr, sizeof(attr)) == 0)
                return;
        if (errno == ENOSYS && c->exec_fd >= 0)
                return;
        child_fail(c, "making the rootfs mounts nodev,nosuid (mount_setattr)", NULL);
}

/*
 * Hide /proc, /sys or /dev of the rootfs. Only where the image has that
 * directory: we never create anything in it. A symlink or a file there is
 * refused rather than followed: we cannot tell what it would hide.
 */
static void child_mask(const struct child_ctx *c, const char *dir, bool fresh_proc)
{
        int fd = open(dir, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC), r;

        if (fd < 0 && errno == ENOENT)
                return;
        if (fd < 0)
                child_report(c->rep_w, REPORT_ERROR, errno, "refusing to run: cannot mask", dir,
                             " of the rootfs (a symlink or not a directory)");
        /* Mount on the directory just checked (through the cwd), not on a path looked up again. */
        if (fchdir(fd) < 0)
                child_fail(c, "entering", dir);
        if (fresh_proc) {
                /* subset=pid (5.8): pid directories only, no /proc/sys and the like. */
                r = mount("proc", ".", "proc", MASK_FLAGS, "subset=pid");
                if (r < 0 && errno == EINVAL)
                        r = mount("proc", ".", "proc", MASK_FLAGS, NULL);
                /*
                 * In a user namespace (LXC's hook) the kernel allows a new
                 * procfs only while a fully visible one is mounted, and the
                 * old root is gone: the stricter empty tmpfs then (ldconfig
                 * needs no procfs).
                 */
                if (r < 0 && errno == EPERM)
                        r = mount("tmpfs", ".", "tmpfs", MASK_FLAGS, "mode=0555");
        } else {
                r = mount("tmpfs", ".", "tmpfs", MASK_FLAGS, "mode=0555");
        }
        if (r < 0)
                child_fail(c, fresh_proc ? "mounting a fresh procfs on" : "mounting a tmpfs over",
                           dir);
        (void)close(fd);
        if (chdir("/") < 0)
                child_fail(c, "chdir to /", NULL);
}

/*
 * In a user namespace whose setgroups is "deny" (unshare -r, some LXC setups)
 * the group list cannot change. That is acceptable only when it holds
 * nothing beyond the gid we switch to and the overflow gid of unmapped groups.
 */
static bool groups_harmless(gid_t gid)
{
        gid_t groups[32];
        long n = syscall(SYS_getgroups, (long)ARRAY_SIZE(groups), groups);

        if (n < 0)
                return false;
        for (long i = 0; i < n; i++)
                if (groups[i] != gid && groups[i] != 65534)
                        return false;
        return true;
}

static void child_drop_privileges(const struct child_ctx *c)
{
        struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
        struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
        const struct sandbox_config *cfg = c->cfg;

        memset(data, 0, sizeof(data));
        /* Empty bounding set: an exec as uid 0 can gain nothing (needs CAP_SETPCAP, so first). */
        for (unsigned long cap = 0; cap < 64; cap++) {
                if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
                        child_fail(c, "dropping the capability bounding set", NULL);
        }
        /* uid 0 gains no capabilities by exec; none can be kept or raised later. */
        if (prctl(PR_SET_SECUREBITS, SECUREBITS, 0, 0, 0) < 0)
                child_fail(c, "setting securebits", NULL);
        /* Raw system calls: glibc's wrappers would signal threads that a clone does not have. */
        if (syscall(SYS_setgroups, 0, NULL) < 0 && !(errno == EPERM && groups_harmless(cfg->gid)))
                child_fail(c, "dropping supplementary groups", NULL);
        if (syscall(SYS_setresgid, cfg->gid, cfg->gid, cfg->gid) < 0)
                child_fail(c, "setting the gid", NULL);
        if (syscall(SYS_setresuid, cfg->uid, cfg->uid, cfg->uid) < 0)
                child_fail(c, "setting the uid", NULL);
        /* A uid change clears them for non-root; uid 0 keeps them unless told. */
        if (syscall(SYS_capset, &hdr, data) < 0)
                child_fail(c, "clearing capabilities", NULL);
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                child_fail(c, "clearing ambient capabilities", NULL);
        /* A credential change resets the parent-death signal: set it again. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
                child_fail(c, "setting the parent-death signal", NULL);
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                child_fail(c, "setting no_new_privs", NULL);
}

/*
 * The caller's signal handlers must not run in the child (the parent blocked
 * every signal around clone), and the program must start with default
 * dispositions and nothing blocked: exec keeps ignored signals and the mask.
 */
static void child_signals(const struct child_ctx *c)
{
        struct sigaction sa;
        sigset_t none;

        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = SIG_DFL;
        for (int sig = 1; sig < NSIG; sig++) {
                if (sig != SIGKILL && sig != SIGSTOP)
                        (void)sigaction(sig, &sa, NULL); /* glibc's internal ones: EINVAL */
        }
        (void)sigemptyset(&none);
        if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
                child_fail(c, "unblocking signals", NULL);
}

static _Noreturn void child_main(struct child_ctx *c)
{
        const struct sandbox_config *cfg = c->cfg;
        struct stat st;

        /* Dies with us: an orphan would have nobody to bound its wall time. */
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        if (cfg->join_ns && setns(cfg->ns_pidfd, JOINED_NS) < 0)
                child_fail(c, "joining the container's net, ipc and uts namespaces", NULL);
        child_fds(c);
        child_signals(c);
        child_enter_rootfs(c);
        child_harden_mounts(c);
        child_mask(c, "/dev", false);
        child_mask(c, "/sys", false);
        /*
         * A fresh procfs only for our own (host) binary: image code gets no
         * procfs at all, not even one of its own namespace.
         */
        child_mask(c, "/proc", cfg->proc == SANDBOX_PROC_FRESH);
        child_drop_privileges(c);
        /* Existence as the program's uid would see it, inside the rootfs. */
        if (c->exec_fd < 0 && cfg->missing_ok && stat(cfg->exec_path, &st) < 0 && errno == ENOENT)
                child_report(c->rep_w, REPORT_MISSING, ENOENT, cfg->exec_path, NULL, NULL);
        /* Last, right before exec: under ASan nothing may map memory after RLIMIT_AS. */
        for (size_t i = 0; i < NLIMITS; i++) {
                if (setrlimit((__rlimit_resource_t)c->limits[i].resource, &c->limits[i].lim) < 0)
                        child_fail(c, "setting rlimits", NULL);
        }
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0U, &c->prog) < 0 &&
            (errno != ENOSYS || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &c->prog, 0, 0) < 0))
                child_fail(c, "loading the seccomp filter", NULL);
        if (c->exec_fd >= 0)
                (void)syscall(SYS_execveat, c->exec_fd, "", c->argv, c->envp, AT_EMPTY_PATH);
        else
                (void)syscall(SYS_execve, cfg->exec_path, c->argv, c->envp);
        child_fail(c, "executing", cfg->display);
}

/* ------------------------------------------------------------ in the parent */

static void seccomp_releasep(scmp_filter_ctx *ctx)
{
        if (*ctx != NULL)
                seccomp_release(*ctx);
}

static int allow(scmp_filter_ctx ctx, const char *name, struct nvcr_err *err)
{
        int nr = seccomp_syscall_resolve_name(name), r;

        /* Unknown here (e.g. "open" on arm64): a pseudo number, nothing to allow. */
        if (nr == __NR_SCMP_ERROR || nr < 0)
                return 0;
        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
        if (r < 0)
                return nvcr_err_setsys(err, -r, "seccomp: allowing %s", name);
        return 0;
}

/*
 * The filter is compiled here, in the parent: libseccomp allocates, which the
 * child must not. The child loads the finished BPF program.
 */
static int build_filter(const struct sandbox_config *cfg, struct sock_filter **ret, size_t *nret,
                        struct nvcr_err *err)
{
        __attribute__((cleanup(seccomp_releasep))) scmp_filter_ctx ctx = NULL;
        _cleanup_free_ struct sock_filter *prog = NULL;
        _cleanup_close_ int fd = -EBADF;
        off_t size;
        ssize_t n;
        int r;

        ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
        if (ctx == NULL)
                return nvcr_err_set(err, ENOMEM, "seccomp_init failed");
        for (const char *const *s = cfg->syscalls; s != NULL && *s != NULL; s++) {
                r = allow(ctx, *s, err);
                if (r < 0)
                        return r;
        }
        /* What the sandbox itself needs after loading the filter. */
        r = allow(ctx, cfg->exec_fd >= 0 ? "execveat" : "execve", err);
        if (r >= 0)
                r = allow(ctx, "write", err);
        if (r >= 0)
                r = allow(ctx, "exit_group", err);
        if (r < 0)
                return r;
        fd = memfd_create("nvcr-seccomp", MFD_CLOEXEC);
        if (fd < 0)
                return nvcr_err_setsys(err, errno, "seccomp: memfd_create");
        r = seccomp_export_bpf(ctx, fd);
        if (r < 0)
                return nvcr_err_setsys(err, -r, "seccomp: exporting the filter");
        size = lseek(fd, 0, SEEK_END);
        if (size <= 0 || size % (off_t)sizeof(struct sock_filter) != 0 ||
            size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS)
                return nvcr_err_set(err, EINVAL, "seccomp: bad filter size %jd", (intmax_t)size);
        prog = malloc((size_t)size);
        if (prog == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        n = pread(fd, prog, (size_t)size, 0);
        if (n != size)
                return nvcr_err_setsys(err, n < 0 ? errno : EIO, "seccomp: reading the filter");
        *nret = (size_t)size / sizeof(struct sock_filter);
        *ret = steal_ptr(&prog);
        return 0;
}

static void set_limit(struct child_ctx *c, size_t i, int resource, rlim_t want)
{
        struct rlimit cur;

        /* Never above the current hard limit: raising it would need CAP_SYS_RESOURCE. */
        if (getrlimit((__rlimit_resource_t)resource, &cur) == 0 && cur.rlim_max != RLIM_INFINITY &&
            cur.rlim_max < want)
                want = cur.rlim_max;
        c->limits[i].resource = resource;
        c->limits[i].lim.rlim_cur = want;
        c->limits[i].lim.rlim_max = want;
}

/*
 * RLIMIT_FSIZE is 1 MiB as in the reference. The largest file ldconfig writes
 * is ld.so.cache: a few hundred KiB even for CUDA images with thousands of
 * libraries; a bigger one fails with SIGXFSZ/EFBIG, reported, not truncated.
 */
static void set_limits(struct child_ctx *c, unsigned cpu_s)
{
        struct rlimit nofile;

        set_limit(c, 0, RLIMIT_CPU, cpu_s);
        set_limit(c, 1, RLIMIT_AS, (rlim_t)SANDBOX_AS_BYTES);
        set_limit(c, 2, RLIMIT_NOFILE, SANDBOX_NOFILE);
        set_limit(c, 3, RLIMIT_FSIZE, (rlim_t)SANDBOX_FSIZE_BYTES);
        /* No core dump of image-influenced memory through the host's core_pattern. */
        set_limit(c, 4, RLIMIT_CORE, 0);
        c->max_fd = 65536;
        if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY &&
            nofile.rlim_cur < (1u << 20))
                c->max_fd = (unsigned long)nofile.rlim_cur;
}

static int64_t now_ms(void)
{
        struct timespec t;

        (void)clock_gettime(CLOCK_MONOTONIC, &t);
        return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

struct tail {
        char buf[SANDBOX_OUTPUT_TAIL];
        size_t len;
        bool cut; /* something before buf was dropped */
};

static void tail_add(struct tail *t, const char *p, size_t n)
{
        if (n >= sizeof(t->buf)) {
                t->cut = t->cut || t->len > 0 || n > sizeof(t->buf);
                memcpy(t->buf, p + n - sizeof(t->buf), sizeof(t->buf));
                t->len = sizeof(t->buf);
                return;
        }
        if (t->len + n > sizeof(t->buf)) {
                size_t drop = t->len + n - sizeof(t->buf);

                memmove(t->buf, t->buf + drop, t->len - drop);
                t->len -= drop;
                t->cut = true;
        }
        memcpy(t->buf + t->len, p, n);
        t->len += n;
}

/*
 * The output may come from image code and ends up in our error message,
 * which a terminal may print: control and non-ASCII bytes become '?', line
 * breaks "; ".
 */
static void tail_render(const struct tail *t, char *out, size_t cap)
{
        size_t len = t->len, o = 0;

        while (len > 0 && (t->buf[len - 1] == '\n' || t->buf[len - 1] == '\r' ||
                           t->buf[len - 1] == ' ' || t->buf[len - 1] == '\t'))
                len--;
        out[0] = '\0';
        if (len == 0)
                return;
        if (t->cut)
                append(out, cap, &o, "...");
        for (size_t i = 0; i < len && o + 3 < cap; i++) {
                unsigned char ch = (unsigned char)t->buf[i];

                if (ch == '\n' || ch == '\r') {
                        if (o > 0 && out[o - 1] != ' ')
                                append(out, cap, &o, "; ");
                        continue;
                }
                out[o++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
        }
        out[o] = '\0';
}

struct waiter {
        pid_t pid;
        int pidfd, out_r, rep_r;
        struct tail tail;
        struct report rep;
        size_t rep_len;
        int status;
        bool exited;
};

/* Returns 1 on data, 0 on end of file (fd closed), -1 on nothing now. */
static int drain(int *fd, struct waiter *w, bool is_report)
{
        char buf[4096];
        ssize_t n;

        if (*fd < 0)
                return 0;
        n = read(*fd, buf, sizeof(buf));
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return -1;
        if (n <= 0) {
                (void)close(*fd);
                *fd = -EBADF;
                return 0;
        }
        if (!is_report) {
                tail_add(&w->tail, buf, (size_t)n);
        } else {
                size_t room = sizeof(w->rep) - w->rep_len, k = (size_t)n < room ? (size_t)n : room;

                memcpy((char *)&w->rep + w->rep_len, buf, k);
                w->rep_len += k;
        }
        return 1;
}

static int reap(struct waiter *w, int flags)
{
        pid_t r;

        do
                r = waitpid(w->pid, &w->status, flags);
        while (r < 0 && errno == EINTR);
        if (r == w->pid)
                w->exited = true;
        return r < 0 ? -errno : 0;
}

static int wait_child(struct waiter *w, unsigned timeout_ms, const char *display,
                      struct nvcr_err *err)
{
        int64_t deadline = now_ms() + timeout_ms;
        int r;

        for (;;) {
                struct pollfd p[3];
                nfds_t np = 0;
                int64_t left;
                int tmo;

                if (!w->exited) {
                        r = reap(w, WNOHANG);
                        if (r < 0)
                                return nvcr_err_setsys(err, -r, "waiting for %s", display);
                }
                if (w->exited) {
                        /*
                         * Its namespace died with it. Take what is buffered
                         * and stop: a copy of a write end that leaked into
                         * a fork of another thread must not keep us here.
                         */
                        (void)fcntl(w->out_r, F_SETFL, O_NONBLOCK);
                        (void)fcntl(w->rep_r, F_SETFL, O_NONBLOCK);
                        while (drain(&w->out_r, w, false) > 0)
                                ;
                        while (drain(&w->rep_r, w, true) > 0)
                                ;
                        return 0;
                }
                left = deadline - now_ms();
                if (left <= 0) {
                        (void)kill(w->pid, SIGKILL); /* still our unreaped child: no pid reuse */
                        (void)reap(w, 0);
                        return nvcr_err_set(err, ETIMEDOUT,
                                            "process %s ran past the %u s wall-clock limit and was "
                                            "killed",
                                            display, timeout_ms / 1000);
                }
                if (w->out_r >= 0)
                        p[np++] = (struct pollfd){.fd = w->out_r, .events = POLLIN};
                if (w->rep_r >= 0)
                        p[np++] = (struct pollfd){.fd = w->rep_r, .events = POLLIN};
                if (w->pidfd >= 0)
                        p[np++] = (struct pollfd){.fd = w->pidfd, .events = POLLIN};
                tmo = (int)(left < INT_MAX ? left : INT_MAX);
                /* Without a pidfd (before 5.3) nothing wakes us on exit: look every 10 ms. */
                if (w->pidfd < 0 && tmo > 10)
                        tmo = 10;
                r = poll(p, np, tmo);
                if (r < 0 && errno != EINTR)
                        return nvcr_err_setsys(err, errno, "waiting for %s", display);
                for (nfds_t i = 0; r > 0 && i < np; i++) {
                        if (p[i].revents == 0 || p[i].fd == w->pidfd)
                                continue;
                        (void)drain(p[i].fd == w->out_r ? &w->out_r : &w->rep_r, w,
                                    p[i].fd == w->rep_r);
                }
        }
}

static pid_t clone_child(long flags)
{
        /*
         * fork() semantics (no CLONE_VM, no new stack) plus the new
         * namespaces; the argument order of the raw call differs on s390.
         */
#if defined(__s390__) || defined(__CRIS__)
        return (pid_t)syscall(SYS_clone, 0L, flags | SIGCHLD, 0L, 0L, 0L);
#else
        return (pid_t)syscall(SYS_clone, flags | SIGCHLD, 0L, 0L, 0L, 0L);
#endif
}

static void close_pair(int p[2])
{
        for (int i = 0; i < 2; i++) {
                if (p[i] >= 0)
                        (void)close(p[i]);
                p[i] = -EBADF;
        }
}

static int check_config(const struct sandbox_config *cfg, struct nvcr_err *err)
{
        if (cfg->rootfs == NULL || cfg->rootfs[0] != '/')
                return nvcr_err_set(err, EINVAL, "sandbox: rootfs %s is not an absolute path",
                                    cfg->rootfs ? cfg->rootfs : "(null)");
        if (cfg->argv == NULL || cfg->argv[0] == NULL)
                return nvcr_err_set(err, EINVAL, "sandbox: no argv for %s", cfg->rootfs);
        if (cfg->exec_fd >= 0 && cfg->exec_path != NULL)
                return nvcr_err_set(err, EINVAL, "sandbox: both an fd and a path (%s) to run",
                                    cfg->exec_path);
        if (cfg->exec_fd < 0 && (cfg->exec_path == NULL || cfg->exec_path[0] != '/'))
                return nvcr_err_set(err, EINVAL, "sandbox: program path %s is not absolute",
                                    cfg->exec_path ? cfg->exec_path : "(null)");
        /*
         * An fd of a host file run from inside the container's context is
         * CVE-2024-0135: only sealed copies (memfd-exec.h) are run.
         */
        if (cfg->exec_fd >= 0) {
                int seals = fcntl(cfg->exec_fd, F_GET_SEALS);

                if (seals < 0 || (seals & SEALED) != SEALED)
                        return nvcr_err_set(err, EPERM,
                                            "sandbox: refusing to run %s from an unsealed fd",
                                            cfg->display ? cfg->display : cfg->argv[0]);
        }
        return 0;
}

int sandbox_run(const struct sandbox_config *cfg, struct sandbox_result *result,
                struct nvcr_err *err)
{
        static char *const empty_env[] = {NULL};
        _cleanup_free_ struct sock_filter *filter = NULL;
        _cleanup_close_ int pidfd = -EBADF;
        const char *display;
        struct child_ctx c;
        struct waiter w;
        int in[2] = {-EBADF, -EBADF}, out[2] = {-EBADF, -EBADF}, rep[2] = {-EBADF, -EBADF};
        size_t nfilter = 0;
        sigset_t all, old_mask;
        pid_t pid;
        int r;

        memset(result, 0, sizeof(*result));
        r = check_config(cfg, err);
        if (r < 0)
                return r;
        display = cfg->display ? cfg->display : cfg->exec_path ? cfg->exec_path : cfg->argv[0];
        r = build_filter(cfg, &filter, &nfilter, err);
        if (r < 0)
                return r;

        memset(&c, 0, sizeof(c));
        c.cfg = cfg;
        c.prog.len = (unsigned short)nfilter;
        c.prog.filter = filter;
        /* execve() takes non-const pointers but changes nothing. */
        c.argv = (char *const *)(uintptr_t)cfg->argv;
        c.envp = empty_env;
        c.exec_fd = cfg->exec_fd;
        set_limits(&c, cfg->cpu_s ? cfg->cpu_s : SANDBOX_CPU_S);

        if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(rep, O_CLOEXEC) < 0) {
                r = nvcr_err_setsys(err, errno, "sandbox for %s: pipe", display);
                close_pair(in);
                close_pair(out);
                close_pair(rep);
                return r;
        }
        /* Reading end of stdin: nothing ever writes, the program reads end of file. */
        (void)close(in[1]);
        in[1] = -EBADF;
        c.in_r = in[0];
        c.out_w = out[1];
        c.rep_w = rep[1];

        (void)sigfillset(&all);
        (void)pthread_sigmask(SIG_SETMASK, &all, &old_mask);
        pid = clone_child(cfg->join_ns ? CLONE_FLAGS_JOINING : CLONE_FLAGS);
        if (pid == 0)
                child_main(&c);
        r = pid < 0 ? errno : 0;
        (void)pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
        (void)close(in[0]);
        (void)close(out[1]);
        (void)close(rep[1]);
        if (pid < 0) {
                (void)close(out[0]);
                (void)close(rep[0]);
                return nvcr_err_setsys(err, r, "sandbox for %s: clone with new namespaces",
                                       display);
        }

        pidfd = (int)syscall(SYS_pidfd_open, pid, 0U);
        memset(&w, 0, sizeof(w));
        w.pid = pid;
        w.pidfd = pidfd;
        w.out_r = out[0];
        w.rep_r = rep[0];
        r = wait_child(&w, cfg->timeout_ms ? cfg->timeout_ms : SANDBOX_TIMEOUT_MS, display, err);
        if (w.out_r >= 0)
                (void)close(w.out_r);
        if (w.rep_r >= 0)
                (void)close(w.rep_r);
        tail_render(&w.tail, result->output, sizeof(result->output));
        if (r < 0)
                return r;
        result->status = w.status;
        if (w.rep_len == sizeof(w.rep) && w.rep.kind == REPORT_MISSING) {
                result->missing = true;
                return 0;
        }
        if (w.rep_len == sizeof(w.rep)) {
                w.rep.msg[sizeof(w.rep.msg) - 1] = '\0';
                return nvcr_err_setsys(err, w.rep.code, "sandbox for %s: %s", display, w.rep.msg);
        }
        if (w.rep_len != 0)
                return nvcr_err_set(err, EPROTO, "sandbox for %s: short report from the child",
                                    display);
        return 0;
}

int sandbox_check_status(const char *display, const struct sandbox_result *result,
                         struct nvcr_err *err)
{
        const char *sep = result->output[0] != '\0' ? ": " : "";
        int st = result->status;

        if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
                return 0;
        if (WIFEXITED(st))
                return nvcr_err_set(err, EIO, "process %s failed with error code: %d%s%s", display,
                                    WEXITSTATUS(st), sep, result->output);
        if (WIFSIGNALED(st)) {
                int sig = WTERMSIG(st);
                const char *name = strsignal(sig);

                /* The kernel sends SIGKILL at the hard RLIMIT_CPU (SIGXCPU is ignored by pid 1). */
                return nvcr_err_set(err, EIO, "process %s was killed by signal %d (%s%s)%s%s",
                                    display, sig, name ? name : "unknown",
                                    sig == SIGKILL || sig == SIGXCPU
                                            ? "; CPU time limit reached or killed from outside"
                                            : "",
                                    sep, result->output);
        }
        return nvcr_err_set(err, EIO, "process %s ended with wait status 0x%x", display,
                            (unsigned)st);
}
