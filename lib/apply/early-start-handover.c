/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "apply/early-start.h"
#include "core/err.h"
#include "core/macro.h"

#define SAVED_PREFIX ".config.json.fifo."

static int set_cloexec(int fd, bool on)
{
        int fl = fcntl(fd, F_GETFD);

        if (fl < 0)
                return -errno;
        fl = on ? fl | FD_CLOEXEC : fl & ~FD_CLOEXEC;
        return fcntl(fd, F_SETFD, fl) < 0 ? -errno : 0;
}

int early_start_hand_over(struct early_start *e, char *buf, size_t size)
{
        const int fds[] = {e->pidfd, e->fifo.fd, e->fifo.dirfd};
        int n, r = 0;

        n = snprintf(buf, size, "%s=pid=%d,pidfd=%d,fifo=%d,bundle=%d,saved=%s", EARLY_START_ENV,
                     (int)e->pid, e->pidfd, e->fifo.fd, e->fifo.dirfd, e->fifo.saved);
        if (n < 0 || (size_t)n >= size)
                return -ENAMETOOLONG;
        /*
         * runc was spawned while these were still close-on-exec, so it holds
         * none of them; only the exec of the full runtime keeps them.
         */
        for (size_t i = 0; i < ARRAY_SIZE(fds) && r == 0; i++)
                r = set_cloexec(fds[i], false);
        if (r < 0)
                for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
                        (void)set_cloexec(fds[i], true);
        return r;
}

/* "key=N," at *p: N (>= 0), *p moved past it; -1 when it is not there. */
static long take_num(const char **p, const char *key)
{
        size_t k = strlen(key);
        char *end;
        long v;

        if (strncmp(*p, key, k) != 0 || (*p)[k] != '=')
                return -1;
        errno = 0;
        v = strtol(*p + k + 1, &end, 10);
        if (errno != 0 || end == *p + k + 1 || *end != ',' || v < 0 || v > INT32_MAX)
                return -1;
        *p = end + 1;
        return v;
}

/* The pid a pidfd refers to (its fdinfo), -1 when fd is no pidfd. */
static long pidfd_pid(int fd)
{
        char path[64], line[256];
        long pid = -1;
        FILE *f;

        (void)snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
        f = fopen(path, "re");
        if (f == NULL)
                return -1;
        while (fgets(line, sizeof(line), f) != NULL)
                if (strncmp(line, "Pid:", 4) == 0)
                        pid = strtol(line + 4, NULL, 10);
        (void)fclose(f);
        return pid;
}

int early_start_take_over(struct early_start *e, struct nvcr_err *err)
{
        const char *v = getenv(EARLY_START_ENV), *p;
        long pid, pidfd, fifo, bundle;
        struct stat st;
        siginfo_t si = {0};

        if (v == NULL)
                return 0;
        p = v;
        pid = take_num(&p, "pid");
        pidfd = pid > 0 ? take_num(&p, "pidfd") : -1;
        fifo = pidfd >= 0 ? take_num(&p, "fifo") : -1;
        bundle = fifo >= 0 ? take_num(&p, "bundle") : -1;
        if (bundle < 0 || strncmp(p, "saved=", 6) != 0 ||
            strncmp(p + 6, SAVED_PREFIX, strlen(SAVED_PREFIX)) != 0 ||
            strlen(p + 6) >= sizeof(e->fifo.saved) || strchr(p + 6, '/') != NULL)
                return nvcr_err_set(err, EINVAL, "%s='%s': not a state the front hands over",
                                    EARLY_START_ENV, v);
        /*
         * Only what our front made: a running child of ours with its pidfd,
         * a FIFO, and the original config.json in a directory. Anything else
         * is refused before a descriptor is used.
         */
        if (pidfd_pid((int)pidfd) != pid ||
            waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
                return nvcr_err_set(err, ECHILD, "%s: pid %ld is not a child started by the front",
                                    EARLY_START_ENV, pid);
        if (fstat((int)fifo, &st) < 0 || !S_ISFIFO(st.st_mode))
                return nvcr_err_set(err, EBADF, "%s: descriptor %ld is not the FIFO",
                                    EARLY_START_ENV, fifo);
        if (fstat((int)bundle, &st) < 0 || !S_ISDIR(st.st_mode) ||
            fstatat((int)bundle, p + 6, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
                return nvcr_err_set(err, EBADF, "%s: no bundle with the original config.json %s",
                                    EARLY_START_ENV, p + 6);
        e->pid = (pid_t)pid;
        e->pidfd = (int)pidfd;
        e->fifo.fd = (int)fifo;
        e->fifo.dirfd = e->bundlefd = (int)bundle;
        (void)snprintf(e->fifo.saved, sizeof(e->fifo.saved), "%s", p + 6);
        (void)set_cloexec(e->pidfd, true);
        (void)set_cloexec(e->fifo.fd, true);
        (void)set_cloexec(e->bundlefd, true);
        (void)unsetenv(EARLY_START_ENV);
        return 1;
}
