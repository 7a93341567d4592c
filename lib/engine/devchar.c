/* SPDX-License-Identifier: Apache-2.0 */
/* /dev/char links for the NVIDIA device nodes (see devchar.h for why). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "core/err.h"
#include "core/macro.h"
#include "core/strv.h"
#include "engine/devchar.h"

/* Absolute and normalised: realpath when it exists, else made absolute by hand. */
static char *abs_path(const char *p)
{
        char *r = realpath(p, NULL);
        _cleanup_free_ char *cwd = NULL;

        if (r != NULL || p[0] == '/')
                return r != NULL ? r : strdup(p);
        cwd = getcwd(NULL, 0);
        if (cwd == NULL || asprintf(&r, "%s/%s", cwd, p) < 0)
                return NULL;
        return r;
}

char *devchar_relpath(const char *from, const char *to)
{
        size_t common = 0, i;
        char *out, *o;
        size_t ups = 0;

        /* The longest common prefix that ends at a component boundary. */
        for (i = 0;; i++) {
                bool fe = from[i] == '\0' || from[i] == '/';
                bool te = to[i] == '\0' || to[i] == '/';

                if (fe && te)
                        common = i;
                if (from[i] == '\0' || to[i] == '\0' || from[i] != to[i])
                        break;
        }
        for (i = common; from[i] != '\0'; i++)
                if (from[i] == '/' && from[i + 1] != '\0' && from[i + 1] != '/')
                        ups++;
        while (to[common] == '/')
                common++;
        out = malloc(ups * 3 + strlen(to + common) + 2);
        if (out == NULL)
                return NULL;
        o = out;
        for (i = 0; i < ups; i++)
                o = stpcpy(o, "../");
        o = stpcpy(o, to + common);
        if (o == out)
                strcpy(out, ".");
        else if (o[-1] == '/')
                o[-1] = '\0';
        return out;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The char devices of dir whose names start with prefix ("" = all), as "sub/name". */
static int list_nodes(const char *dev, const char *sub, const char *prefix, char ***nodes,
                      struct nvcr_err *err)
{
        _cleanup_free_ char *path = NULL;
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *e;

        if (asprintf(&path, "%s%s%s", dev, *sub != '\0' ? "/" : "", sub) < 0) {
                path = NULL;
                return nvcr_err_set(err, ENOMEM, "out of memory");
        }
        d = opendir(path);
        if (d == NULL) {
                if (errno == ENOENT && *sub != '\0')
                        return 0;
                return nvcr_err_setsys(err, errno, "cannot list %s", path);
        }
        while ((e = readdir(d)) != NULL) {
                _cleanup_free_ char *rel = NULL;
                struct stat st;

                if (strncmp(e->d_name, prefix, strlen(prefix)) != 0 || e->d_name[0] == '.')
                        continue;
                if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                    !S_ISCHR(st.st_mode))
                        continue;
                if (asprintf(&rel, "%s%s%s", sub, *sub != '\0' ? "/" : "", e->d_name) < 0) {
                        rel = NULL;
                        return nvcr_err_set(err, ENOMEM, "out of memory");
                }
                if (strv_push(nodes, rel) < 0)
                        return nvcr_err_set(err, ENOMEM, "out of memory");
        }
        return 0;
}

static int mkdir_p(const char *dir, struct nvcr_err *err)
{
        _cleanup_free_ char *p = strdup(dir);

        if (p == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        for (char *s = p + 1;; s++) {
                bool end = *s == '\0';

                if (*s != '/' && !end)
                        continue;
                *s = '\0';
                if (mkdir(p, 0755) < 0 && errno != EEXIST)
                        return nvcr_err_setsys(err, errno, "cannot create directory %s", p);
                if (end)
                        return 0;
                *s = '/';
        }
}

/* One link: dfd/name -> target. */
static int place_link(int dfd, const char *char_dir, const char *name, const char *target,
                      bool dry_run, devchar_report_fn report, void *userdata,
                      struct nvcr_err *err)
{
        char cur[PATH_MAX], tmp[64], shown[PATH_MAX + 64];
        enum devchar_action action;
        ssize_t n = -1;
        struct stat st;

        (void)snprintf(shown, sizeof(shown), "%s/%s", char_dir, name);
        if (dfd >= 0)
                n = readlinkat(dfd, name, cur, sizeof(cur) - 1);
        if (n >= 0) {
                cur[n] = '\0';
                action = strcmp(cur, target) == 0 ? DEVCHAR_KEEP : DEVCHAR_REPLACE;
        } else if (dfd < 0 || errno == ENOENT) {
                action = DEVCHAR_CREATE;
        } else if (errno == EINVAL && fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
                action = DEVCHAR_SKIP;
        } else {
                return nvcr_err_setsys(err, errno, "cannot read %s", shown);
        }
        if (report != NULL)
                report(userdata, action, shown, target);
        if (dry_run || action == DEVCHAR_KEEP || action == DEVCHAR_SKIP)
                return 0;
        if (action == DEVCHAR_CREATE) {
                if (symlinkat(target, dfd, name) == 0)
                        return 0;
                if (errno != EEXIST)
                        return nvcr_err_setsys(err, errno, "cannot create %s", shown);
        }
        /* Replace: a new link renamed over the name, which rename never follows. */
        (void)snprintf(tmp, sizeof(tmp), ".%s.%d.tmp", name, (int)getpid());
        (void)unlinkat(dfd, tmp, 0);
        if (symlinkat(target, dfd, tmp) < 0)
                return nvcr_err_setsys(err, errno, "cannot create %s/%s", char_dir, tmp);
        if (renameat(dfd, tmp, dfd, name) < 0) {
                int e = errno;

                (void)unlinkat(dfd, tmp, 0);
                return nvcr_err_setsys(err, e, "cannot replace %s", shown);
        }
        return 0;
}

int devchar_create_links(const char *dev_dir, const char *char_dir, bool dry_run,
                         devchar_report_fn report, void *userdata, unsigned *ret_count,
                         struct nvcr_err *err)
{
        _cleanup_(strv_freep) char **nodes = calloc(1, sizeof(char *));
        _cleanup_free_ char *dev_abs = NULL, *char_abs = NULL;
        _cleanup_close_ int dfd = -EBADF;
        size_t count;
        int r;

        if (ret_count != NULL)
                *ret_count = 0;
        if (nodes == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        if ((r = list_nodes(dev_dir, "", "nvidia", &nodes, err)) < 0 ||
            (r = list_nodes(dev_dir, "nvidia-caps", "", &nodes, err)) < 0 ||
            (r = list_nodes(dev_dir, "nvidia-caps-imex-channels", "", &nodes, err)) < 0)
                return r;
        count = strv_len((const char *const *)nodes);
        qsort(nodes, count, sizeof(char *), cmp_str);

        if (!dry_run) {
                r = mkdir_p(char_dir, err);
                if (r < 0)
                        return r;
        }
        dfd = open(char_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 && !(dry_run && errno == ENOENT))
                return nvcr_err_setsys(err, errno, "cannot open %s", char_dir);
        dev_abs = abs_path(dev_dir);
        char_abs = abs_path(char_dir);
        if (dev_abs == NULL || char_abs == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");

        for (size_t i = 0; i < count; i++) {
                _cleanup_free_ char *node = NULL, *target = NULL;
                char name[32];
                struct stat st;

                if (asprintf(&node, "%s/%s", dev_abs, nodes[i]) < 0) {
                        node = NULL;
                        return nvcr_err_set(err, ENOMEM, "out of memory");
                }
                if (lstat(node, &st) < 0 || !S_ISCHR(st.st_mode))
                        continue;
                (void)snprintf(name, sizeof(name), "%u:%u", major(st.st_rdev), minor(st.st_rdev));
                target = devchar_relpath(char_abs, node);
                if (target == NULL)
                        return nvcr_err_set(err, ENOMEM, "out of memory");
                r = place_link(dfd, char_dir, name, target, dry_run, report, userdata, err);
                if (r < 0)
                        return r;
        }
        if (ret_count != NULL)
                *ret_count = (unsigned)count;
        return 0;
}
