/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Finding and opening a process's device cgroup (security.md §4 item 21).
 *
 * The cgroup path comes from /proc/<pid>/cgroup and the cgroupfs mounts from
 * our own mountinfo; both are kernel text, but the path names are chosen by
 * whoever made the cgroups, and a process outside our cgroup namespace shows
 * "/../..". So: no "." or ".." components, the mount point fd is checked to
 * be the mount mountinfo described (mount id, device, fstatfs magic), and the
 * cgroup directory is opened beneath it with no symlinks, no magic links and
 * no mount crossing. Nothing here writes; the v1/v2 files do that on the fd.
 */
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "apply/cgroup-parse.h"
#include "apply/cgroup.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/macro.h"

/* mountinfo of a Kubernetes node with thousands of mounts stays far below. */
#define MOUNTINFO_MAX (64u << 20)
#define PROC_CGROUP_MAX (1u << 20)

void cgroup_paths_done(struct cgroup_paths *p)
{
        free(p->devices);
        free(p->unified);
        p->devices = p->unified = NULL;
}

void cgroup_mount_done(struct cgroup_mount *m)
{
        free(m->root);
        free(m->mountpoint);
        m->root = m->mountpoint = NULL;
}

int cgroup_path_check(const char *path, struct nvcr_err *err)
{
        const char *p = path;

        if (path[0] != '/')
                return nvcr_err_set(err, EINVAL, "cgroup path \"%s\" is not absolute", path);
        if (strcmp(path, "/") == 0)
                return 0;
        while (*p == '/') {
                const char *c = p + 1;
                size_t len = strcspn(c, "/");

                if (len == 0 || (len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
                        return nvcr_err_set(err, EINVAL,
                                            "cgroup path \"%s\" has an empty, \".\" or \"..\" "
                                            "component (a cgroup outside our cgroup namespace?)",
                                            path);
                p = c + len;
        }
        return 0;
}

/* Whether the comma-separated `list` holds `word` as a whole element. */
static bool list_has(const char *list, size_t len, const char *word)
{
        size_t wlen = strlen(word);
        const char *end = list + len;

        while (list < end) {
                const char *comma = memchr(list, ',', (size_t)(end - list));
                size_t elen = comma != NULL ? (size_t)(comma - list) : (size_t)(end - list);

                if (elen == wlen && memcmp(list, word, wlen) == 0)
                        return true;
                list += elen + 1;
        }
        return false;
}

static bool all_digits(const char *s, size_t len)
{
        if (len == 0)
                return false;
        for (size_t i = 0; i < len; i++)
                if (!isdigit((unsigned char)s[i]))
                        return false;
        return true;
}

int cgroup_parse_proc(const char *text, struct cgroup_paths *ret, struct nvcr_err *err)
{
        _cleanup_free_ char *devices = NULL, *unified = NULL;
        const char *line = text;
        unsigned lineno = 0;

        while (*line != '\0') {
                const char *nl = strchr(line, '\n');
                size_t len = nl != NULL ? (size_t)(nl - line) : strlen(line);
                const char *c1, *c2, *path;
                size_t idlen, ctllen, plen;
                char **slot = NULL;
                char *copy;
                int r;

                lineno++;
                if (len == 0)
                        goto next;
                /* "ID:CONTROLLERS:PATH"; the path itself may hold ':'. */
                c1 = memchr(line, ':', len);
                c2 = c1 != NULL ? memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - line)) : NULL;
                if (c2 == NULL)
                        return nvcr_err_set(err, EINVAL,
                                            "cgroup line %u \"%.*s\": not ID:CONTROLLERS:PATH",
                                            lineno, (int)len, line);
                idlen = (size_t)(c1 - line);
                ctllen = (size_t)(c2 - c1 - 1);
                path = c2 + 1;
                plen = len - (size_t)(path - line);
                if (!all_digits(line, idlen) || plen == 0 || path[0] != '/')
                        return nvcr_err_set(err, EINVAL,
                                            "cgroup line %u \"%.*s\": bad hierarchy id or path",
                                            lineno, (int)len, line);
                if (idlen == 1 && line[0] == '0') {
                        /* Hierarchy 0 is the unified one and has no controller list. */
                        if (ctllen != 0)
                                return nvcr_err_set(err, EINVAL,
                                                    "cgroup line %u \"%.*s\": hierarchy 0 "
                                                    "with controllers",
                                                    lineno, (int)len, line);
                        slot = &unified;
                } else if (list_has(c1 + 1, ctllen, "devices")) {
                        slot = &devices;
                }
                if (slot == NULL)
                        goto next;
                if (*slot != NULL)
                        return nvcr_err_set(err, EINVAL,
                                            "cgroup line %u \"%.*s\": a second %s hierarchy",
                                            lineno, (int)len, line,
                                            slot == &unified ? "unified" : "devices");
                copy = strndup(path, plen);
                if (copy == NULL)
                        return nvcr_err_set(err, ENOMEM, "out of memory");
                *slot = copy;
                r = cgroup_path_check(copy, err);
                if (r < 0)
                        return nvcr_err_wrap(err, "cgroup line %u", lineno);
        next:
                if (nl == NULL)
                        break;
                line = nl + 1;
        }
        ret->devices = steal_ptr(&devices);
        ret->unified = steal_ptr(&unified);
        return 0;
}

/*
 * mountinfo escapes space, tab, newline and backslash as \ooo (the kernel's
 * mangle()); anything else after a backslash, and a NUL, is malformed.
 */
static int unescape(const char *s, size_t len, char **ret)
{
        _cleanup_free_ char *out = malloc(len + 1);
        size_t o = 0;

        if (out == NULL)
                return -ENOMEM;
        for (size_t i = 0; i < len; i++) {
                unsigned v;

                if (s[i] != '\\') {
                        out[o++] = s[i];
                        continue;
                }
                if (len - i < 4)
                        return -EINVAL;
                if (s[i + 1] < '0' || s[i + 1] > '3' || s[i + 2] < '0' || s[i + 2] > '7' ||
                    s[i + 3] < '0' || s[i + 3] > '7')
                        return -EINVAL;
                v = (unsigned)(s[i + 1] - '0') * 64 + (unsigned)(s[i + 2] - '0') * 8 +
                    (unsigned)(s[i + 3] - '0');
                if (v == 0)
                        return -EINVAL;
                out[o++] = (char)v;
                i += 3;
        }
        out[o] = '\0';
        *ret = steal_ptr(&out);
        return 0;
}

#define MI_FIELDS_MAX 64

struct mi_line {
        int mnt_id;
        unsigned dev_major, dev_minor;
        const char *f[MI_FIELDS_MAX]; /* fields, not NUL-terminated */
        size_t flen[MI_FIELDS_MAX];
        size_t nf;
        size_t sep; /* index of "-" */
};

/* Splits one mountinfo line and checks its shape. */
static int mi_split(const char *line, size_t len, struct mi_line *m)
{
        const char *p = line, *end = line + len;
        char num[32];
        int n = 0;

        m->nf = 0;
        m->sep = 0;
        while (p < end) {
                const char *sp = memchr(p, ' ', (size_t)(end - p));
                size_t flen = sp != NULL ? (size_t)(sp - p) : (size_t)(end - p);

                if (m->nf == MI_FIELDS_MAX)
                        return -EINVAL;
                m->f[m->nf] = p;
                m->flen[m->nf] = flen;
                if (m->sep == 0 && m->nf >= 6 && flen == 1 && p[0] == '-')
                        m->sep = m->nf;
                m->nf++;
                p += flen + (sp != NULL ? 1 : 0);
                if (sp != NULL && p == end)
                        return -EINVAL; /* trailing space */
        }
        /* id parent maj:min root mountpoint options [optional…] - fstype source superopts */
        if (m->sep == 0 || m->nf != m->sep + 4)
                return -EINVAL;
        /* Only the source may be empty (mount -t tmpfs "" /x shows "tmpfs  rw"). */
        for (size_t i = 0; i < m->nf; i++)
                if (m->flen[i] == 0 && i != m->sep + 2)
                        return -EINVAL;
        if (!all_digits(m->f[0], m->flen[0]) || m->flen[0] > 9 ||
            !all_digits(m->f[1], m->flen[1]) || m->flen[2] >= sizeof(num))
                return -EINVAL;
        m->mnt_id = atoi(m->f[0]);
        memcpy(num, m->f[2], m->flen[2]);
        num[m->flen[2]] = '\0';
        if (sscanf(num, "%u:%u%n", &m->dev_major, &m->dev_minor, &n) != 2 ||
            (size_t)n != m->flen[2] || !isdigit((unsigned char)num[0]))
                return -EINVAL;
        return 0;
}

static bool mi_is(const struct mi_line *m, size_t i, const char *s)
{
        return m->flen[i] == strlen(s) && memcmp(m->f[i], s, m->flen[i]) == 0;
}

static bool mi_wanted(const struct mi_line *m, enum cgroup_version ver)
{
        size_t last = m->nf - 1;

        switch (ver) {
        case CGROUP_V1:
                return mi_is(m, m->sep + 1, "cgroup") && list_has(m->f[last], m->flen[last], "devices");
        case CGROUP_V2:
                return mi_is(m, m->sep + 1, "cgroup2");
        default:
                return false;
        }
}

/* Where `root` (a hierarchy path) holds `path`: the rest of path, else NULL. */
static const char *under_root(const char *path, const char *root)
{
        size_t rlen = strlen(root);

        if (strcmp(root, "/") == 0)
                return path + 1;
        if (strncmp(path, root, rlen) != 0 || (path[rlen] != '/' && path[rlen] != '\0'))
                return NULL;
        return path[rlen] == '/' ? path + rlen + 1 : path + rlen;
}

struct candidate {
        struct mi_line m;
        char *root;
        char *mp;
        bool hidden;
};

static void candidates_free(struct candidate **c)
{
        /* The array ends with an entry whose mp is NULL. */
        for (struct candidate *p = *c; p != NULL && p->mp != NULL; p++) {
                free(p->root);
                free(p->mp);
        }
        free(*c);
}

int cgroup_find_mount(const char *mountinfo, enum cgroup_version ver, const char *cgpath,
                      struct cgroup_mount *ret, char **ret_rel, struct nvcr_err *err)
{
        _cleanup_(candidates_free) struct candidate *cand = NULL;
        const char *kind = ver == CGROUP_V1 ? "cgroup v1 devices" : "cgroup2";
        const char *line = mountinfo;
        struct candidate *best = NULL;
        size_t ncand = 0;
        unsigned lineno = 0;
        const char *rest = NULL;
        char *rel;
        int r;

        r = cgroup_path_check(cgpath, err);
        if (r < 0)
                return r;
        while (*line != '\0') {
                const char *nl = strchr(line, '\n');
                size_t len = nl != NULL ? (size_t)(nl - line) : strlen(line);
                _cleanup_free_ char *root = NULL, *mp = NULL;
                struct candidate *grown;
                struct mi_line m;

                lineno++;
                if (mi_split(line, len, &m) < 0)
                        return nvcr_err_set(err, EINVAL, "mountinfo line %u \"%.*s\" is malformed",
                                            lineno, (int)len, line);
                r = unescape(m.f[4], m.flen[4], &mp);
                if (r == 0)
                        r = unescape(m.f[3], m.flen[3], &root);
                if (r == -ENOMEM)
                        return nvcr_err_set(err, ENOMEM, "out of memory");
                if (r < 0)
                        return nvcr_err_set(err, EINVAL,
                                            "mountinfo line %u \"%.*s\": bad escape sequence",
                                            lineno, (int)len, line);
                /* A later mount on the same mount point hides the earlier ones. */
                for (size_t i = 0; i < ncand; i++)
                        if (strcmp(cand[i].mp, mp) == 0)
                                cand[i].hidden = true;
                if (!mi_wanted(&m, ver))
                        goto next;
                grown = realloc(cand, (ncand + 2) * sizeof(*cand));
                if (grown == NULL)
                        return nvcr_err_set(err, ENOMEM, "out of memory");
                cand = grown;
                cand[ncand] = (struct candidate){.m = m,
                                                 .root = steal_ptr(&root),
                                                 .mp = steal_ptr(&mp)};
                cand[++ncand] = (struct candidate){0};
        next:
                if (nl == NULL)
                        break;
                line = nl + 1;
        }
        if (ncand == 0)
                return nvcr_err_set(err, ENOENT, "no %s mount in mountinfo", kind);
        for (size_t i = 0; i < ncand; i++) {
                const char *r_rest;

                /* A root outside our cgroup namespace ("/..") holds nothing we can name. */
                if (cand[i].hidden || cgroup_path_check(cand[i].root, NULL) < 0)
                        continue;
                r_rest = under_root(cgpath, cand[i].root);
                if (r_rest != NULL && (best == NULL || strlen(cand[i].root) < strlen(best->root))) {
                        best = &cand[i];
                        rest = r_rest;
                }
        }
        if (best == NULL || rest == NULL)
                return nvcr_err_set(err, EXDEV, "no %s mount holds the cgroup %s", kind, cgpath);
        rel = strdup(rest[0] != '\0' ? rest : ".");
        if (rel == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        ret->mnt_id = best->m.mnt_id;
        ret->dev_major = best->m.dev_major;
        ret->dev_minor = best->m.dev_minor;
        ret->root = steal_ptr(&best->root);
        ret->mountpoint = strdup(best->mp);
        if (ret->mountpoint == NULL) {
                free(rel);
                cgroup_mount_done(ret);
                return nvcr_err_set(err, ENOMEM, "out of memory");
        }
        *ret_rel = rel;
        return 0;
}

void cgroup_fd_path(int fd, char *buf, size_t size)
{
        char proc[64];
        ssize_t n;

        (void)snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        n = readlink(proc, buf, size - 1);
        if (n < 0)
                n = snprintf(buf, size, "?");
        buf[(size_t)n < size ? (size_t)n : size - 1] = '\0';
}

static int sys_openat2(int dirfd, const char *path, struct open_how *how)
{
        return (int)syscall(SYS_openat2, dirfd, path, how, sizeof(*how));
}

/*
 * Kernels without openat2 (< 5.6; only cgroup v1 matters there, BPF_F_REPLACE
 * is 5.6 too): each component opened with O_NOFOLLOW relative to the last fd,
 * "." and ".." never reach here (cgroup_path_check), and every step must stay
 * on the mount's device. This is as strict as the openat2 flags, not a string
 * resolution.
 */
static int open_walk(int mntfd, const char *rel, struct nvcr_err *err)
{
        _cleanup_close_ int cur = -EBADF;
        _cleanup_free_ char *copy = strdup(rel);
        struct stat root, st;
        char *save = NULL;

        if (copy == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        if (fstat(mntfd, &root) < 0)
                return nvcr_err_setsys(err, errno, "fstat of the cgroup mount");
        cur = openat(mntfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (cur < 0)
                return nvcr_err_setsys(err, errno, "reopening the cgroup mount");
        for (char *c = strtok_r(copy, "/", &save); c != NULL; c = strtok_r(NULL, "/", &save)) {
                int next;

                if (strcmp(c, ".") == 0 || strcmp(c, "..") == 0)
                        return nvcr_err_set(err, EINVAL, "%s: \".\" or \"..\" component", rel);
                next = openat(cur, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0)
                        return nvcr_err_setsys(err, errno, "%s: component %s", rel, c);
                closep(&cur);
                cur = next;
                if (fstat(cur, &st) < 0)
                        return nvcr_err_setsys(err, errno, "%s: fstat", rel);
                if (st.st_dev != root.st_dev)
                        return nvcr_err_set(err, EXDEV, "%s: component %s is another mount", rel,
                                            c);
        }
        return steal_fd(&cur);
}

int cgroup_open_beneath(int mntfd, const char *rel, bool force_walk, struct nvcr_err *err)
{
        struct open_how how = {
                .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS |
                           RESOLVE_NO_XDEV,
        };
        int fd;

        if (rel[0] == '/' || rel[0] == '\0')
                return nvcr_err_set(err, EINVAL, "cgroup path \"%s\" is not relative", rel);
        if (!force_walk) {
                fd = sys_openat2(mntfd, rel, &how);
                if (fd >= 0)
                        return fd;
                /* ENOSYS: no openat2 (< 5.6); EPERM: a seccomp filter refused the syscall. */
                if (errno != ENOSYS && errno != EPERM)
                        return nvcr_err_setsys(err, errno, "opening the cgroup %s", rel);
        }
        return open_walk(mntfd, rel, err);
}

/* The mount id of an fd, from procdir/self/fdinfo (since Linux 3.15). */
static int fd_mnt_id(int procfd, int fd, int *ret)
{
        _cleanup_free_ char *text = NULL;
        char path[64];
        const char *p;
        int r;

        (void)snprintf(path, sizeof(path), "self/fdinfo/%d", fd);
        r = read_file_at(procfd, path, 65536, &text, NULL, NULL);
        if (r < 0)
                return r;
        p = strstr(text, "mnt_id:");
        if (p == NULL || sscanf(p, "mnt_id: %d", ret) != 1)
                return -ENODATA;
        return 0;
}

/* Opens the mount point that mountinfo named and checks that it is that mount. */
static int open_mount(int procfd, const struct cgroup_mount *m, enum cgroup_version ver,
                      struct nvcr_err *err)
{
        const unsigned long magic = ver == CGROUP_V1 ? CGROUP_SUPER_MAGIC : CGROUP2_SUPER_MAGIC;
        _cleanup_close_ int fd = -EBADF;
        struct statfs sfs;
        struct stat st;
        int id = -1, r;

        fd = open(m->mountpoint, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return nvcr_err_setsys(err, errno, "opening the cgroup mount %s", m->mountpoint);
        if (fstatfs(fd, &sfs) < 0)
                return nvcr_err_setsys(err, errno, "fstatfs %s", m->mountpoint);
        if ((unsigned long)sfs.f_type != magic)
                return nvcr_err_set(err, EXDEV, "%s is not a %s filesystem (magic 0x%lx)",
                                    m->mountpoint, ver == CGROUP_V1 ? "cgroup" : "cgroup2",
                                    (unsigned long)sfs.f_type);
        if (fstat(fd, &st) < 0)
                return nvcr_err_setsys(err, errno, "fstat %s", m->mountpoint);
        if (major(st.st_dev) != m->dev_major || minor(st.st_dev) != m->dev_minor)
                return nvcr_err_set(err, EXDEV,
                                    "%s is device %u:%u, mountinfo says %u:%u (mounted over?)",
                                    m->mountpoint, major(st.st_dev), minor(st.st_dev),
                                    m->dev_major, m->dev_minor);
        r = fd_mnt_id(procfd, fd, &id);
        if (r < 0)
                return nvcr_err_setsys(err, r, "reading the mount id of %s", m->mountpoint);
        if (id != m->mnt_id)
                return nvcr_err_set(err, EXDEV, "%s is mount %d, mountinfo says %d (mounted over?)",
                                    m->mountpoint, id, m->mnt_id);
        return steal_fd(&fd);
}

int cgroup_open_for_pid(const char *procdir, pid_t pid, int *ret_fd, enum cgroup_version *ret_ver,
                        struct nvcr_err *err)
{
        _cleanup_free_ char *cgtext = NULL, *mitext = NULL, *rel = NULL;
        _cleanup_close_ int procfd = -EBADF, mntfd = -EBADF, fd = -EBADF;
        _cleanup_(cgroup_paths_done) struct cgroup_paths paths = {0};
        _cleanup_(cgroup_mount_done) struct cgroup_mount m = {0};
        enum cgroup_version ver = CGROUP_V1;
        size_t len = 0;
        char path[64];
        int r;

        if (pid <= 0)
                return nvcr_err_set(err, EINVAL, "invalid pid %d", (int)pid);
        procfd = open(procdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (procfd < 0)
                return nvcr_err_setsys(err, errno, "opening %s", procdir);
        (void)snprintf(path, sizeof(path), "%d/cgroup", (int)pid);
        r = read_file_at(procfd, path, PROC_CGROUP_MAX, &cgtext, &len, NULL);
        if (r < 0)
                return nvcr_err_setsys(err, r, "reading %s/%s%s", procdir, path,
                                       r == -ENOENT || r == -ESRCH ? " (has the process exited?)"
                                                                  : "");
        if (strlen(cgtext) != len)
                return nvcr_err_set(err, EINVAL, "%s/%s holds a NUL byte", procdir, path);
        r = cgroup_parse_proc(cgtext, &paths, err);
        if (r < 0)
                return nvcr_err_wrap(err, "%s/%s", procdir, path);
        r = read_file_at(procfd, "self/mountinfo", MOUNTINFO_MAX, &mitext, &len, NULL);
        if (r < 0)
                return nvcr_err_setsys(err, r, "reading %s/self/mountinfo", procdir);
        if (strlen(mitext) != len)
                return nvcr_err_set(err, EINVAL, "%s/self/mountinfo holds a NUL byte", procdir);
        r = -ENOENT;
        if (paths.devices != NULL) {
                r = cgroup_find_mount(mitext, CGROUP_V1, paths.devices, &m, &rel, err);
                /*
                 * ENOENT: the devices controller is not mounted, so v2 decides.
                 * EXDEV (mounted, but not the part holding the pid) is an error:
                 * falling back to v2 would leave the v1 rules unwritten.
                 */
                if (r < 0 && r != -ENOENT)
                        return nvcr_err_wrap(err, "pid %d", (int)pid);
        }
        if (r == -ENOENT) {
                nvcr_err_clear(err); /* not an error: v2 decides */
                if (paths.unified == NULL)
                        return nvcr_err_set(err, ENOENT,
                                            "pid %d has no mounted cgroup v1 devices hierarchy and "
                                            "no cgroup v2 one",
                                            (int)pid);
                ver = CGROUP_V2;
                r = cgroup_find_mount(mitext, CGROUP_V2, paths.unified, &m, &rel, err);
                if (r < 0)
                        return nvcr_err_wrap(err, "pid %d", (int)pid);
        }
        mntfd = open_mount(procfd, &m, ver, err);
        if (mntfd < 0)
                return mntfd;
        if (strcmp(rel, ".") == 0) {
                fd = steal_fd(&mntfd);
        } else {
                fd = cgroup_open_beneath(mntfd, rel, false, err);
                if (fd < 0)
                        return nvcr_err_wrap(err, "%s", m.mountpoint);
        }
        *ret_fd = steal_fd(&fd);
        *ret_ver = ver;
        return 0;
}

int cgroup_allow_devices(pid_t pid, const struct plan_devrule *rules, size_t n,
                         struct nvcr_err *err)
{
        _cleanup_close_ int fd = -EBADF;
        enum cgroup_version ver;
        int r;

        /* No rules (no-cgroups, or no device): leave the cgroup alone. */
        if (n == 0)
                return 0;
        r = cgroup_open_for_pid("/proc", pid, &fd, &ver, err);
        if (r < 0)
                return nvcr_err_wrap(err, "device cgroup of pid %d", (int)pid);
        switch (ver) {
        case CGROUP_V1:
                r = cgroup_v1_allow(fd, rules, n, err);
                break;
        case CGROUP_V2:
                r = cgroup_v2_allow(fd, rules, n, err);
                break;
        default:
                r = nvcr_err_set(err, EINVAL, "unknown cgroup version %d", (int)ver);
                break;
        }
        return r < 0 ? nvcr_err_wrap(err, "device cgroup of pid %d", (int)pid) : 0;
}
