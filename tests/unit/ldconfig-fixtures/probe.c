/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A fake ldconfig for tests/unit/test-ldconfig.c, built there with
 * `cc -static`. Run as the host ldconfig ("@/path", from the memfd) or as the
 * image's own (/sbin/ldconfig in the rootfs), it tries what a hostile one
 * would try and writes what it saw to /out/result as key=value lines:
 * "ok" for a call that worked, "E<errno>" for one that failed.
 *
 * /etc/probe.conf in the rootfs (optional) tells it more:
 *   canary=<host path>   try to create it through /proc/1/root, /proc/self/root
 *   exit=<n>             exit status
 *   say=<text>           written to stderr before exiting
 *   spin=1               burn CPU forever
 *   sleep=1              sleep forever
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static char out[65536];
static size_t outlen;

static void put(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(const char *key, const char *fmt, ...)
{
        va_list ap;
        int n;

        n = snprintf(out + outlen, sizeof(out) - outlen, "%s=", key);
        if (n > 0)
                outlen += (size_t)n;
        va_start(ap, fmt);
        n = vsnprintf(out + outlen, sizeof(out) - outlen, fmt, ap);
        va_end(ap);
        if (n > 0)
                outlen += (size_t)n;
        if (outlen + 1 < sizeof(out))
                out[outlen++] = '\n';
}

/* Record "ok" or "E<errno>" for a call returning -1 on failure. */
static void res(const char *key, long r)
{
        if (r < 0)
                put(key, "E%d", errno);
        else
                put(key, "ok");
}

static void put_link(const char *key, const char *path)
{
        char buf[4096];
        ssize_t n = readlink(path, buf, sizeof(buf) - 1);

        if (n < 0) {
                put(key, "E%d", errno);
                return;
        }
        buf[n] = '\0';
        put(key, "%s", buf);
}

static void put_status(void)
{
        static const char *const keys[] = {"Uid",    "Gid",    "Groups", "CapInh",     "CapPrm",
                                           "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp",
                                           "SigBlk", "SigIgn"};
        char line[512], key[64];
        FILE *f = fopen("/proc/self/status", "re");

        if (f == NULL) {
                put("status", "E%d", errno);
                return;
        }
        put("status", "ok");
        while (fgets(line, sizeof(line), f) != NULL) {
                char *colon = strchr(line, ':'), *v;

                if (colon == NULL)
                        continue;
                *colon = '\0';
                for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
                        if (strcmp(line, keys[i]) != 0)
                                continue;
                        v = colon + 1;
                        while (*v == ' ' || *v == '\t')
                                v++;
                        v[strcspn(v, "\n")] = '\0';
                        /* "4242\t4242\t..." -> "4242 4242 ..." */
                        for (char *p = v; *p; p++)
                                if (*p == '\t')
                                        *p = ' ';
                        snprintf(key, sizeof(key), "status_%s", keys[i]);
                        put(key, "%s", v);
                }
        }
        fclose(f);
}

/* Mount points (field 5 of mountinfo) and the options of "/" (field 6). */
static void put_mounts(void)
{
        char line[4096], points[8192] = "", rootopts[512] = "";
        FILE *f = fopen("/proc/self/mountinfo", "re");

        if (f == NULL) {
                put("mountpoints", "E%d", errno);
                return;
        }
        while (fgets(line, sizeof(line), f) != NULL) {
                char *field[6], *save = NULL, *tok = strtok_r(line, " ", &save);
                int n = 0;

                while (tok != NULL && n < 6) {
                        field[n++] = tok;
                        tok = strtok_r(NULL, " ", &save);
                }
                if (n < 6)
                        continue;
                if (points[0] != '\0')
                        strncat(points, " ", sizeof(points) - strlen(points) - 1);
                strncat(points, field[4], sizeof(points) - strlen(points) - 1);
                if (strcmp(field[4], "/") == 0)
                        snprintf(rootopts, sizeof(rootopts), "%s", field[5]);
        }
        fclose(f);
        put("mountpoints", "%s", points);
        put("rootopts", "%s", rootopts);
}

static void conf(const char *name, char *val, size_t cap)
{
        char line[4096];
        size_t len = strlen(name);
        FILE *f = fopen("/etc/probe.conf", "re");

        val[0] = '\0';
        if (f == NULL)
                return;
        while (fgets(line, sizeof(line), f) != NULL) {
                if (strncmp(line, name, len) == 0 && line[len] == '=') {
                        line[strcspn(line, "\n")] = '\0';
                        snprintf(val, cap, "%s", line + len + 1);
                }
        }
        fclose(f);
}

static void try_create(const char *key, const char *prefix, const char *path)
{
        char p[4096];
        int fd;

        snprintf(p, sizeof(p), "%s%s", prefix, path);
        fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        res(key, fd);
        if (fd >= 0) {
                (void)!write(fd, "pwned\n", 6);
                close(fd);
        }
}

int main(int argc, char **argv)
{
        char canary[2048], val[256], args[4096] = "";
        int escapes = 0, nfds = 0, fd, n;
        struct rlimit rl;

        /* Before anything opens a file: every fd >= 3 was inherited. */
        for (int i = 3; i < 1024; i++) {
                fd = openat(i, "pwned-fd", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
                if (fd >= 0)
                        escapes++;
        }
        for (int i = 3; i < 1024; i++)
                if (close(i) == 0)
                        nfds++;
        put("ran", "1");
        put("fd_escapes", "%d", escapes);
        put("fds", "%d", nfds);
        n = 0;
        for (char **e = environ; e != NULL && *e != NULL; e++)
                n++;
        put("environ", "%d", n);
        for (int i = 0; i < argc; i++) {
                strncat(args, argv[i], sizeof(args) - strlen(args) - 2);
                strncat(args, i + 1 < argc ? " " : "", sizeof(args) - strlen(args) - 1);
        }
        put("argv", "%s", args);
        put("pid", "%d", (int)getpid());
        put("getuid", "%u", (unsigned)getuid());
        put("getgid", "%u", (unsigned)getgid());

        put_link("exe", "/proc/self/exe");
        fd = open("/proc/self/exe", O_WRONLY | O_CLOEXEC);
        res("exe_wronly", fd);
        if (fd >= 0) {
                res("exe_write", write(fd, "\177ELFpwned", 10));
                close(fd);
        }
        fd = open("/proc/self/exe", O_RDWR | O_CLOEXEC);
        res("exe_rdwr", fd);
        if (fd >= 0)
                close(fd);
        put_link("proc1_root", "/proc/1/root");
        put_link("ns_net", "/proc/self/ns/net");
        put_link("ns_pid", "/proc/self/ns/pid");
        put_link("ns_mnt", "/proc/self/ns/mnt");
        put_link("ns_ipc", "/proc/self/ns/ipc");
        put_link("ns_uts", "/proc/self/ns/uts");
        put_status();
        put_mounts();

        getrlimit(RLIMIT_CPU, &rl);
        put("rlimit_cpu", "%llu", (unsigned long long)rl.rlim_cur);
        getrlimit(RLIMIT_AS, &rl);
        put("rlimit_as", "%llu", (unsigned long long)rl.rlim_cur);
        getrlimit(RLIMIT_NOFILE, &rl);
        put("rlimit_nofile", "%llu", (unsigned long long)rl.rlim_cur);
        getrlimit(RLIMIT_FSIZE, &rl);
        put("rlimit_fsize", "%llu", (unsigned long long)rl.rlim_cur);
        getrlimit(RLIMIT_CORE, &rl);
        put("rlimit_core", "%llu", (unsigned long long)rl.rlim_cur);

        /* Host devices: /dev of the rootfs and a device node the image ships. */
        fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        res("dev_null", fd);
        fd = open("/imagedev/null", O_RDWR | O_CLOEXEC);
        res("image_dev_null", fd);
        fd = open("/usr/lib/x86_64-linux-gnu/libbar.so.1.0", O_WRONLY | O_CLOEXEC);
        res("ro_bind_write", fd);
        res("sys_class", open("/sys/class", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        res("proc_self_status", open("/proc/self/status", O_RDONLY | O_CLOEXEC));
        res("socket_inet", socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        res("socket_unix", socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        res("mount", mount("none", "/out", "tmpfs", 0, NULL));
        res("mknod", mknod("/out/node", S_IFCHR | 0666, makedev(1, 3)));
        res("unshare_user", unshare(CLONE_NEWUSER));
        res("chroot", chroot("/out"));
        {
                pid_t p = fork();

                if (p == 0)
                        _exit(0);
                res("fork", p);
        }

        conf("canary", canary, sizeof(canary));
        if (canary[0] != '\0') {
                try_create("canary_proc1", "/proc/1/root", canary);
                try_create("canary_procself", "/proc/self/root", canary);
                try_create("canary_plain", "", canary);
        }

        fd = open("/out/result", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return 100;
        if (write(fd, out, outlen) != (ssize_t)outlen)
                return 101;
        close(fd);

        conf("say", val, sizeof(val));
        if (val[0] != '\0') {
                /* An escape sequence: it must not reach a terminal through our messages. */
                dprintf(2, "\033[31m%s\n", val);
        }
        conf("spin", val, sizeof(val));
        if (val[0] != '\0')
                for (volatile unsigned long i = 0;; i++)
                        ;
        conf("sleep", val, sizeof(val));
        if (val[0] != '\0') {
                for (;;) {
                        struct timespec ts = {1, 0};

                        nanosleep(&ts, NULL);
                }
        }
        conf("exit", val, sizeof(val));
        return val[0] != '\0' ? atoi(val) : 0;
}
