/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sandbox for helpers that read or write image content (DESIGN.md §4,
 * security.md §2.6, §2.8, §2.9, §4 items 8, 14, 18).
 *
 * sandbox_run() clones a child that is pid 1 of fresh pid, mount, ipc, net
 * and uts namespaces. The child makes every mount private, bind-mounts the
 * rootfs onto itself, pivot_root()s into it (MS_MOVE + chroot with no_pivot),
 * marks every mount of the new root nodev,nosuid, and hides /proc, /sys and
 * /dev (where the rootfs has them) behind empty read-only tmpfs - or, for
 * /proc, a fresh read-only procfs of the new pid namespace when asked. Then
 * rlimits, an empty bounding set, no capabilities, the given uid/gid with no
 * supplementary groups, no_new_privs, a seccomp allow-list, fds 0-2 only
 * (stdin: an empty pipe; stdout and stderr: a pipe the caller reads) and an
 * empty environment, and it execs the program.
 *
 * The child only makes system calls between clone and exec: no malloc, no
 * stdio, no locks, so it is safe in a multi-threaded caller and under ASan.
 */
#ifndef NVCR_APPLY_SANDBOX_H
#define NVCR_APPLY_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "nvcr.h"

#define SANDBOX_CPU_S 10u                    /* RLIMIT_CPU */
#define SANDBOX_AS_BYTES (2ull << 30)        /* RLIMIT_AS */
#define SANDBOX_NOFILE 64u                   /* RLIMIT_NOFILE */
#define SANDBOX_FSIZE_BYTES (1ull << 20)     /* RLIMIT_FSIZE (see sandbox.c) */
#define SANDBOX_TIMEOUT_MS 30000u            /* wall clock, then SIGKILL */
#define SANDBOX_OUTPUT_TAIL 400u             /* bytes of stdout+stderr kept */

enum sandbox_proc {
        SANDBOX_PROC_EMPTY, /* an empty read-only tmpfs over /proc */
        SANDBOX_PROC_FRESH, /* a read-only procfs of the new pid namespace */
};

struct sandbox_config {
        const char *rootfs; /* absolute, in the caller's mount namespace */
        bool no_pivot;      /* MS_MOVE + chroot instead of pivot_root */
        uid_t uid;
        gid_t gid;
        /*
         * What to run, one of the two: exec_fd >= 0 is a sealed host binary
         * (memfd-exec.h; an unsealed fd is refused), run with
         * execveat(AT_EMPTY_PATH); or exec_path (exec_fd -1), resolved
         * inside the sandbox after pivot_root.
         */
        int exec_fd;
        const char *exec_path;
        bool missing_ok;          /* exec_path that does not exist: result.missing */
        const char *display;      /* the program's name in messages */
        const char *const *argv;  /* NULL-terminated, argv[0] included */
        /*
         * The seccomp allow-list, syscall names (NULL-terminated); names
         * this architecture lacks are skipped. The sandbox adds the exec
         * call it needs itself (execveat for exec_fd, execve for a path).
         * Everything else fails with EPERM.
         */
        const char *const *syscalls;
        enum sandbox_proc proc;
        /*
         * join_ns: instead of fresh net, ipc and uts namespaces, join those
         * of the process of ns_pidfd (the container's init). Its network is
         * the container's own, so nothing is reachable that the container
         * could not reach anyway, and a fresh network namespace (the
         * costliest part of the sandbox: ~1 ms) is not made per start.
         * Pid and mount namespaces are always fresh.
         */
        bool join_ns;
        int ns_pidfd;
        unsigned cpu_s;      /* 0 = SANDBOX_CPU_S */
        unsigned timeout_ms; /* 0 = SANDBOX_TIMEOUT_MS */
};

struct sandbox_result {
        bool missing; /* exec_path did not exist (only with missing_ok) */
        int status;   /* waitpid() status of the program */
        /*
         * The end of what the program wrote to stdout and stderr, control
         * characters replaced, line breaks as "; ", NUL-terminated (room
         * for every byte of the tail to be a line break).
         */
        char output[2 * SANDBOX_OUTPUT_TAIL + 4];
};

/*
 * Runs the program and waits for it. Returns 0 when it ran (or was missing);
 * the caller judges result->status (sandbox_check_status). A negative errno
 * means the sandbox could not be set up (nothing ran) or the program ran past
 * the wall-clock limit (-ETIMEDOUT, killed).
 */
int sandbox_run(const struct sandbox_config *cfg, struct sandbox_result *result,
                struct nvcr_err *err);

/*
 * 0 for exit status 0; otherwise -EIO with "process <display> failed with
 * error code: N" or "process <display> was killed by signal N (name)",
 * followed by the program's last output.
 */
int sandbox_check_status(const char *display, const struct sandbox_result *result,
                         struct nvcr_err *err);

#endif
