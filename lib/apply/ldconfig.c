/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ldconfig in the container (ldconfig.h): a sealed memfd copy of the host's
 * ldconfig by default, the image's own only when explicitly allowed, both
 * run in the sandbox of sandbox.h.
 *
 * The host binary is copied in ldconfig_prepare(), while we are still in the
 * host mount namespace: from then on nothing of the container can name the
 * host file, and what runs is the file that passed the checks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apply/ldconfig.h"
#include "apply/memfd-exec.h"
#include "apply/sandbox.h"
#include "core/err.h"
#include "core/macro.h"

#define HOST_LDCONFIG "/sbin/ldconfig"
#define HOST_LDCONFIG_REAL "/sbin/ldconfig.real"

/*
 * The seccomp allow-list. Derived with `strace -f` of glibc 2.36's static
 * ldconfig run as we run it (-f/-C, library dirs, an ld.so.conf with an
 * include glob, hwcaps subdirectories, stale and wrong soname links, an
 * existing cache and aux-cache, a missing directory); then widened to the
 * calls other glibc versions and architectures make for the same operations,
 * and to the error and abort() paths. No process creation, no sockets, no
 * ioctl, no mount or namespace calls, no ptrace, no credential changes.
 */
const char *const ldconfig_syscalls[] = {
        /* what strace showed */
        "arch_prctl", "brk", "chmod", "close", "exit_group", "fdatasync", "fsync", "getdents64",
        "getrandom", "lseek", "mkdir", "mmap", "mprotect", "munmap", "newfstatat", "openat",
        "prlimit64", "read", "readlink", "rename", "rseq", "set_robust_list", "set_tid_address",
        "symlink", "unlink", "write",
        /* the same operations, as older glibc (legacy calls) and arm64 (*at calls) make them */
        "open", "stat", "lstat", "fstat", "statx", "getdents", "access", "faccessat",
        "faccessat2", "mkdirat", "unlinkat", "symlinkat", "readlinkat", "renameat", "renameat2",
        "fchmod", "fchmodat", "getrlimit", "fcntl", "pread64", "readv", "writev",
        /* startup of older static glibc; clocks where the vDSO is not used */
        "uname", "getuid", "geteuid", "getgid", "getegid", "clock_gettime", "gettimeofday",
        "time",
        /* memory, error and abort() paths (signals reach only pid 1: itself) */
        "mremap", "madvise", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "getpid",
        "gettid", "tgkill", "exit",
        NULL,
};

static bool host_file_exists(const char *path)
{
        struct stat st;

        return stat(path, &st) == 0;
}

int ldconfig_prepare(const char *spec, bool allow_container, struct ldconfig_exec *ret,
                     struct nvcr_err *err)
{
        _cleanup_free_ char *path = NULL;
        bool host = true;
        const char *p;
        int fd = -1;

        ret->memfd = -1;
        ret->path = NULL;
        ret->from_host = false;
        ret->join_ns = false;
        ret->ns_pidfd = -1;
        if (spec == NULL) {
                p = host_file_exists(HOST_LDCONFIG_REAL) ? HOST_LDCONFIG_REAL : HOST_LDCONFIG;
        } else if (spec[0] == '@') {
                p = spec + 1;
                if (strcmp(p, HOST_LDCONFIG) == 0 && host_file_exists(HOST_LDCONFIG_REAL))
                        p = HOST_LDCONFIG_REAL;
        } else {
                p = spec;
                host = false;
        }
        if (p[0] != '/')
                return nvcr_err_set(err, EINVAL, "ldconfig path \"%s\" is not absolute", spec);
        /*
         * The image's own ldconfig is image code run by us as root
         * (CVE-2024-0136/0137): only on explicit request, and even then only
         * in the sandbox, never with host devices or network.
         */
        if (!host && !allow_container)
                return nvcr_err_set(err, EPERM,
                                    "refusing to run the container's ldconfig %s: only host "
                                    "binaries (\"@/path\") run unless "
                                    "allow-ldconfig-from-container is set",
                                    p);
        path = strdup(p);
        if (path == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        if (host) {
                fd = memfd_exec_open(path, "nvcr-ldconfig", err);
                if (fd < 0)
                        return fd;
        }
        ret->memfd = fd;
        ret->path = steal_ptr(&path);
        ret->from_host = host;
        return 0;
}

void ldconfig_exec_clear(struct ldconfig_exec *e)
{
        if (e == NULL)
                return;
        if (e->memfd >= 0)
                (void)close(e->memfd);
        free(e->path);
        e->memfd = -1;
        e->path = NULL;
        e->from_host = false;
        e->join_ns = false;
        e->ns_pidfd = -1;
}

int ldconfig_run(const struct ldconfig_exec *e, const char *rootfs, const char *const *dirs,
                 size_t ndirs, uid_t uid, gid_t gid, bool no_pivot, struct nvcr_err *err)
{
        _cleanup_free_ const char **argv = NULL;
        struct sandbox_config cfg;
        struct sandbox_result res;
        size_t n = 0;
        int r;

        if (e == NULL || e->path == NULL || (e->from_host && e->memfd < 0))
                return nvcr_err_set(err, EINVAL, "ldconfig_run: ldconfig was not prepared");
        if (ndirs > LDCONFIG_MAX_DIRS)
                return nvcr_err_set(err, E2BIG, "ldconfig: %zu library directories (at most %d)",
                                    ndirs, LDCONFIG_MAX_DIRS);
        for (size_t i = 0; i < ndirs; i++) {
                /* "-r/..." or "-C..." would be read as options by ldconfig. */
                if (dirs[i] == NULL || dirs[i][0] != '/')
                        return nvcr_err_set(err, EINVAL,
                                            "ldconfig: library directory \"%s\" is not absolute",
                                            dirs[i] ? dirs[i] : "(null)");
        }
        argv = calloc(ndirs + 6, sizeof(*argv));
        if (argv == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        argv[n++] = e->path;
        argv[n++] = "-f";
        argv[n++] = "/etc/ld.so.conf";
        argv[n++] = "-C";
        argv[n++] = "/etc/ld.so.cache";
        for (size_t i = 0; i < ndirs; i++)
                argv[n++] = dirs[i];
        argv[n] = NULL;

        memset(&cfg, 0, sizeof(cfg));
        cfg.rootfs = rootfs;
        cfg.no_pivot = no_pivot;
        cfg.uid = uid;
        cfg.gid = gid;
        cfg.exec_fd = e->from_host ? e->memfd : -1;
        cfg.exec_path = e->from_host ? NULL : e->path;
        /* As the reference: an image without ldconfig has no cache to update. */
        cfg.missing_ok = !e->from_host;
        cfg.display = e->path;
        cfg.argv = argv;
        cfg.syscalls = ldconfig_syscalls;
        /*
         * Our own binary gets a procfs of its pid namespace (pid 1 = itself,
         * /proc/1/root = the sandbox); image code gets none at all.
         */
        cfg.proc = e->from_host ? SANDBOX_PROC_FRESH : SANDBOX_PROC_EMPTY;
        /*
         * ldconfig takes milliseconds; an image can still make it block (a
         * symlink to a FIFO in a library directory): 10 s, then it is killed.
         */
        cfg.timeout_ms = 10000;
        cfg.join_ns = e->join_ns;
        cfg.ns_pidfd = e->ns_pidfd;
        r = sandbox_run(&cfg, &res, err);
        if (r < 0)
                return r;
        if (res.missing)
                return 0;
        return sandbox_check_status(e->path, &res, err);
}
