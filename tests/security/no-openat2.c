/* SPDX-License-Identifier: Apache-2.0 */
/*
 * no-openat2 PROGRAM ARG...: runs PROGRAM with openat2(2) failing with ENOSYS,
 * as on a kernel older than 5.6, so the suite exercises the safe-path
 * layer's fallback walk (security.md §3 (d), §4 item 18). A seccomp filter
 * is inherited by every child and kept across exec.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
        scmp_filter_ctx ctx;

        if (argc < 2) {
                fprintf(stderr, "usage: no-openat2 PROGRAM [ARG...]\n");
                return 2;
        }
        ctx = seccomp_init(SCMP_ACT_ALLOW);
        if (ctx == NULL || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(openat2), 0) < 0 ||
            seccomp_load(ctx) < 0) {
                fprintf(stderr, "no-openat2: cannot load the seccomp filter\n");
                return 2;
        }
        seccomp_release(ctx);
        execvp(argv[1], argv + 1);
        perror(argv[1]);
        return 127;
}
