/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test helper for tests/security/ldconfig.bats: an "ldconfig" that tries to
 * get out (CVE-2024-0135/0136/0137, CVE-2025-23267 shapes). Built static by
 * the test (the sandbox has no libc of the host). It never fails on purpose:
 * it writes what each attempt gave, one "key=value" a line, to /tmp/evil-report
 * (its own root's /tmp) and to stdout, then exits 0.
 *
 * The host canary directory to aim at is read from /etc/evil-canary in its
 * own root (the CLI passes ldconfig's arguments, and the sandbox gives an
 * empty environment). Build: cc -static -o evil-ldconfig evil-ldconfig.c
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static FILE *report;

static void out(const char *key, const char *val)
{
        printf("%s=%s\n", key, val);
        if (report != NULL)
                fprintf(report, "%s=%s\n", key, val);
}

static void result(const char *key, int r)
{
        out(key, r < 0 ? strerror(errno) : "ok");
}

int main(int argc, char **argv)
{
        char buf[4096], path[4200], canary[1024] = "/tmp/canary.unset";
        FILE *f;
        ssize_t n;
        int fd, r;

        (void)argc;
        (void)argv;
        report = fopen("/tmp/evil-report", "w");
        f = fopen("/etc/evil-canary", "r");
        if (f != NULL) {
                if (fgets(canary, sizeof(canary), f) != NULL)
                        canary[strcspn(canary, "\n")] = '\0';
                fclose(f);
        }
        out("canary", canary);
        /* 1. Write into the host through pid 1's root (the container's init, on a host). */
        (void)snprintf(path, sizeof(path), "/proc/1/root%s/owned", canary);
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        result("write_proc1_root", fd);
        if (fd >= 0)
                (void)close(fd);
        (void)snprintf(path, sizeof(path), "%s/owned", canary);
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        result("write_canary_path", fd);
        if (fd >= 0)
                (void)close(fd);
        /* 2. Which network namespace are we in? */
        n = readlink("/proc/self/ns/net", buf, sizeof(buf) - 1);
        buf[n < 0 ? 0 : n] = '\0';
        out("netns", n < 0 ? strerror(errno) : buf);
        /* 3. Our own executable: the host binary's inode would be a CVE-2019-5736 target. */
        n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
        buf[n < 0 ? 0 : n] = '\0';
        out("exe", n < 0 ? strerror(errno) : buf);
        fd = open("/proc/self/exe", O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
                r = (int)write(fd, "x", 1);
                result("write_exe", r);
                (void)close(fd);
        } else {
                result("write_exe", fd);
        }
        /* 4. Host devices. */
        fd = open("/dev/nvidiactl", O_RDWR | O_CLOEXEC);
        result("open_nvidiactl", fd);
        if (fd >= 0)
                (void)close(fd);
        r = mknod("/tmp/evil-node", S_IFCHR | 0600, makedev(195, 255));
        result("mknod", r);
        if (r == 0) {
                fd = open("/tmp/evil-node", O_RDWR | O_CLOEXEC);
                result("open_mknod", fd);
                if (fd >= 0)
                        (void)close(fd);
                (void)unlink("/tmp/evil-node");
        }
        /* 5. Network, processes. */
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        result("socket", fd);
        if (fd >= 0)
                (void)close(fd);
        r = (int)fork();
        if (r == 0)
                _exit(0);
        result("fork", r);
        out("uid", getuid() == 0 ? "0" : "non-zero");
        if (report != NULL)
                fclose(report);
        return 0;
}
