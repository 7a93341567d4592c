/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The container's ld.so.cache, updated in-process. Running ldconfig costs a
 * fork, an exec and a scan of every configured directory on each container
 * start; here only the given folders are scanned and merged in front of
 * the entries the image's cache already has.
 *
 * Everything in the rootfs is hostile: directories are opened through the
 * safe-path layer, a directory entry is opened O_PATH|O_NOFOLLOW (a
 * symlink is resolved inside the rootfs) and read only once it is known to
 * be a regular file (reopened through /proc/self/fd, so a FIFO or device
 * node swapped in is never opened for reading); ELF headers go through the
 * bounds-checked reader; the existing cache through the bounds-checked
 * parser and the writer's own checks.
 */
#include <ctype.h>
#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cdihook/ldcache-update.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/macro.h"
#include "core/strv.h"
#include "driver/elf.h"
#include "driver/ldcache-write.h"
#include "driver/ldcache.h"
#include "safepath/in-root-create.h"
#include "safepath/in-root.h"

#define CACHE_DIR "/etc"
#define CACHE_NAME "ld.so.cache"
#define CONF_MAX 65536u
#define GENERATOR "nvidia-cdi-hook (nvcr) update-ldcache"

int ldconf_check_folder(const char *folder, char **ret, struct nvcr_err *err)
{
        if (folder[0] != '/')
                return nvcr_err_set(err, EINVAL, "folder %s: not an absolute path", folder);
        for (const char *p = folder; *p; p++)
                if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p) || *p == '#' ||
                    *p == '=')
                        return nvcr_err_set(err, EINVAL,
                                            "folder \"%s\": characters an ld.so.conf file cannot "
                                            "hold",
                                            folder);
        return hook_clean_path(folder, ret, err);
}

static atomic_uint tmp_counter;

/*
 * No fsync: the rootfs of a container being created is rebuilt (and this
 * hook rerun) on its next start, so durability buys nothing and an fsync
 * on the overlay's upper filesystem can cost more than the whole hook.
 */
int hook_write_atomic(int dirfd, const char *name, const void *buf, size_t len, unsigned mode,
                      struct nvcr_err *err)
{
        char tmp[64];
        _cleanup_close_ int fd = -EBADF;
        const char *p = buf;
        int r;

        (void)snprintf(tmp, sizeof(tmp), ".nvcr-tmp-%d-%u", (int)getpid(),
                       atomic_fetch_add(&tmp_counter, 1));
        fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                    (mode_t)mode);
        if (fd < 0)
                return nvcr_err_setsys(err, errno, "cannot create a temporary file for %s", name);
        for (size_t off = 0; off < len;) {
                ssize_t n = write(fd, p + off, len - off);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        r = nvcr_err_setsys(err, n < 0 ? errno : EIO, "cannot write %s", name);
                        goto fail;
                }
                off += (size_t)n;
        }
        if (fchmod(fd, (mode_t)mode) < 0) {
                r = nvcr_err_setsys(err, errno, "cannot chmod %s", name);
                goto fail;
        }
        /* rename replaces whatever is at `name` (a planted symlink too) and never follows it. */
        if (renameat(dirfd, tmp, dirfd, name) < 0) {
                r = nvcr_err_setsys(err, errno, "cannot replace %s", name);
                goto fail;
        }
        return 0;
fail:
        (void)unlinkat(dirfd, tmp, 0);
        return r;
}

/* ------------------------------------------------------------ conf files */

int ldconf_write(struct hook_ctx *h, const char *name, char *const *folders,
                 struct nvcr_err *err)
{
        _cleanup_close_ int etc = -EBADF, confd = -EBADF;
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        FILE *f;
        int r;

        f = open_memstream(&text, &len);
        if (f == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        fputs("# Written by nvidia-cdi-hook (nvcr) for the container's GPU libraries.\n", f);
        for (char *const *p = folders; p && *p; p++)
                fprintf(f, "%s\n", *p);
        if (fclose(f) != 0)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        confd = in_root_mkdir_p(h->rootfd, LDCONF_DIR, 0755, 0, 0, err);
        if (confd < 0)
                return nvcr_err_wrap(err, "cannot create %s in the container", LDCONF_DIR);
        r = hook_write_atomic(confd, name, text, len, 0644, err);
        if (r < 0)
                return nvcr_err_wrap(err, "%s/%s in the container", LDCONF_DIR, name);
        /* An image without /etc/ld.so.conf: the include a later ldconfig needs to see ours. */
        etc = in_root_open(h->rootfd, "/etc", O_PATH | O_DIRECTORY, err);
        if (etc < 0)
                return nvcr_err_wrap(err, "/etc in the container");
        if (faccessat(etc, "ld.so.conf", F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT) {
                static const char inc[] = "include /etc/ld.so.conf.d/*.conf\n";

                r = hook_write_atomic(etc, "ld.so.conf", inc, sizeof(inc) - 1, 0644, err);
                if (r < 0)
                        return nvcr_err_wrap(err, "/etc/ld.so.conf in the container");
        }
        return 0;
}

int ldconf_read(struct hook_ctx *h, const char *name, char ***ret, struct nvcr_err *err)
{
        _cleanup_free_ char *path = NULL, *text = NULL;
        _cleanup_close_ int fd = -EBADF, rfd = -EBADF;
        _cleanup_(strv_freep) char **v = NULL;
        struct nvcr_err ignored = {0};
        char proc[64], *save = NULL;
        struct stat st;
        int r;

        *ret = NULL;
        if (asprintf(&path, "%s/%s", LDCONF_DIR, name) < 0)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        fd = in_root_open(h->rootfd, path, O_PATH | O_NOFOLLOW, &ignored);
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return 0; /* not ours, or not there: nothing to put first */
        (void)snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        rfd = open(proc, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (rfd < 0)
                return 0;
        r = read_fd_all(rfd, CONF_MAX, &text, NULL, &ignored);
        if (r < 0)
                return 0;
        for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                _cleanup_free_ char *clean = NULL;

                if (l[0] != '/' || ldconf_check_folder(l, &clean, &ignored) < 0)
                        continue;
                if (strv_push(&v, clean) < 0)
                        return nvcr_err_set(err, ENOMEM, "out of memory");
        }
        *ret = steal_ptr(&v);
        return 0;
}

/* ------------------------------------------------------------ folder scan */

/* One library of a folder, as ldconfig's struct dlib_entry. */
struct dlib {
        char *name;
        char *soname;
        int32_t flags;
        bool is_link;
};

/* Parsed objects by inode: several names (links) usually lead to one file. */
struct parsed {
        dev_t dev;
        ino_t ino;
        int32_t flags; /* 0: not a library we can use */
        char *soname;
};

struct scan {
        struct hook_ctx *h;
        struct dlib *libs;
        size_t nlibs;
        char **pending; /* symlinks that did not resolve: tried again after the soname links */
        struct parsed *objs;
        size_t nobjs;
};

static void scan_clear(struct scan *s)
{
        for (size_t i = 0; i < s->nlibs; i++) {
                free(s->libs[i].name);
                free(s->libs[i].soname);
        }
        for (size_t i = 0; i < s->nobjs; i++)
                free(s->objs[i].soname);
        free(s->libs);
        free(s->objs);
        strv_free(s->pending);
}

/* ldconfig's file selection: "lib*.so*" or "ld-*.so*", not a prelink temporary. */
static bool is_dso_name(const char *n)
{
        size_t len = strlen(n);

        if ((strncmp(n, "lib", 3) != 0 && strncmp(n, "ld-", 3) != 0) || strstr(n, ".so") == NULL)
                return false;
        if (len >= 10 && strcmp(n + len - 10, ".#prelink#") == 0)
                return false;
        if (len >= 17 && memcmp(n + len - 17, ".#prelink#.", 11) == 0)
                return false;
        return true;
}

/* A soname we can use as a cache key and as a link name in the folder. */
static bool soname_ok(const char *s)
{
        return s[0] != '\0' && strchr(s, '/') == NULL && strcmp(s, ".") != 0 &&
               strcmp(s, "..") != 0 && strlen(s) <= 255;
}

/* The flags and soname of the regular file behind pathfd (cached by inode). */
static const struct parsed *parse_object(struct scan *s, int pathfd, const struct stat *st)
{
        struct elf_info info = {0};
        struct nvcr_err ignored = {0};
        _cleanup_close_ int fd = -EBADF;
        struct parsed *p, *np;
        char proc[64];

        for (size_t i = 0; i < s->nobjs; i++)
                if (s->objs[i].dev == st->st_dev && s->objs[i].ino == st->st_ino)
                        return &s->objs[i];
        np = reallocarray(s->objs, s->nobjs + 1, sizeof(*np));
        if (np == NULL)
                return NULL;
        s->objs = np;
        p = &s->objs[s->nobjs++];
        *p = (struct parsed){.dev = st->st_dev, .ino = st->st_ino};
        /* Reopened from the O_PATH fd: the very inode we checked is a regular file. */
        (void)snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pathfd);
        fd = open(proc, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0 || elf_read_fd(fd, &info, &ignored) < 0)
                return p;
        if (info.type == ET_DYN) {
                p->flags = ldcache_flags_for_elf(info.elf_class, info.machine);
                p->soname = steal_ptr(&info.soname);
        }
        elf_info_clear(&info);
        return p;
}

static int add_dlib(struct scan *s, const char *name, const char *soname, int32_t flags,
                    bool is_link)
{
        struct dlib *d, *nd;

        for (size_t i = 0; i < s->nlibs; i++) {
                d = &s->libs[i];
                if (strcmp(d->soname, soname) != 0)
                        continue;
                /* ldconfig: prefer a file to a link, otherwise the newer name. */
                if ((!is_link && d->is_link) ||
                    (is_link == d->is_link && ldcache_libcmp(d->name, name) < 0)) {
                        char *n = strdup(name);

                        if (n == NULL)
                                return -ENOMEM;
                        free(d->name);
                        d->name = n;
                        d->is_link = is_link;
                        d->flags = flags;
                }
                return 0;
        }
        nd = reallocarray(s->libs, s->nlibs + 1, sizeof(*nd));
        if (nd == NULL)
                return -ENOMEM;
        s->libs = nd;
        d = &s->libs[s->nlibs];
        *d = (struct dlib){.name = strdup(name), .soname = strdup(soname), .flags = flags,
                           .is_link = is_link};
        if (d->name == NULL || d->soname == NULL) {
                free(d->name);
                free(d->soname);
                return -ENOMEM;
        }
        s->nlibs++;
        return 0;
}

/*
 * Before create: the host file that folder/name will be once runc has made
 * its mounts, followed through the links create-symlinks made (a few hops:
 * libcuda.so -> libcuda.so.1 -> libcuda.so.<version>); *is_link when the
 * name itself is one of those links. *ret NULL: nothing runc or we put
 * there, the rootfs's own entry is what the container will see.
 */
static int view_source(const struct hook_ctx *h, const char *folder, const char *name,
                       const char **ret, bool *is_link)
{
        _cleanup_free_ char *path = NULL;
        struct nvcr_err ignored = {0};

        *ret = NULL;
        *is_link = false;
        if (asprintf(&path, "%s%s%s", folder, strcmp(folder, "/") ? "/" : "", name) < 0)
                return -ENOMEM;
        for (int hop = 0; hop < 8; hop++) {
                char **l = h->links;
                _cleanup_free_ char *next = NULL;
                const char *target;

                for (size_t i = 0; i < h->nfiles; i++)
                        if (strcmp(h->files[i].path, path) == 0) {
                                *ret = h->files[i].source;
                                return 0;
                        }
                while (l && *l && strcmp(*l, path) != 0)
                        l++;
                if (l == NULL || *l == NULL)
                        return 0;
                if (hop == 0)
                        *is_link = true;
                target = h->link_targets[l - h->links];
                if (target[0] == '/')
                        next = strdup(target);
                else if (asprintf(&next, "%.*s/%s", (int)(strrchr(path, '/') - path), path,
                                  target) < 0)
                        next = NULL;
                if (next == NULL)
                        return -ENOMEM;
                free(path);
                path = NULL;
                if (hook_clean_path(next, &path, &ignored) < 0)
                        return 0;
        }
        return 0;
}

/* Before create: whether runc mounts any file into the folder. */
static bool view_fills(const struct hook_ctx *h, const char *folder)
{
        size_t n = strlen(folder);

        for (size_t i = 0; i < h->nfiles; i++)
                if (strncmp(h->files[i].path, folder, n) == 0 && h->files[i].path[n] == '/' &&
                    strchr(h->files[i].path + n + 1, '/') == NULL)
                        return true;
        return false;
}

/* One directory entry, as ldconfig's search_dir() loop body. */
static int scan_entry(struct scan *s, int dfd, const char *folder, const struct dirent *de,
                      bool retry)
{
        _cleanup_close_ int pfd = -EBADF;
        _cleanup_free_ char *lpath = NULL;
        struct nvcr_err ignored = {0};
        const struct parsed *obj;
        const char *name = de->d_name, *soname;
        unsigned char type = de->d_type;
        bool is_link;
        struct stat st;

        if (!is_dso_name(name))
                return 0;
        if (s->h->before_create) {
                const char *src;
                int r = view_source(s->h, folder, name, &src, &is_link);

                if (r < 0)
                        return r;
                if (src != NULL) {
                        /* The host's file, which runc mounts there (a path of ours, not the image's). */
                        pfd = open(src, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                        goto opened;
                }
        }
        if (type == DT_UNKNOWN) {
                if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return 0;
                type = S_ISLNK(st.st_mode) ? DT_LNK : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
        }
        if (type == DT_REG) {
                is_link = false;
                pfd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        } else if (type == DT_LNK) {
                /* Followed inside the rootfs only: an absolute target is the rootfs's. */
                is_link = true;
                if (asprintf(&lpath, "%s/%s", folder, name) < 0)
                        return -ENOMEM;
                pfd = in_root_open(s->h->rootfd, lpath, O_PATH, &ignored);
                /*
                 * A development link to a soname link not made yet (create-symlinks
                 * ran first: libcuda.so -> libcuda.so.1): seen again once ours exist.
                 * ldconfig needs a second run for it.
                 */
                if (pfd == -ENOENT && !retry)
                        return strv_push(&s->pending, name);
        } else {
                return 0;
        }
opened:
        /* Directories (glibc-hwcaps and legacy platform subdirectories) are not descended into. */
        if (pfd < 0 || fstat(pfd, &st) < 0 || !S_ISREG(st.st_mode))
                return 0;
        obj = parse_object(s, pfd, &st);
        if (obj == NULL)
                return -ENOMEM;
        if (obj->flags == 0)
                return 0;
        soname = obj->soname ? obj->soname : name;
        if (!soname_ok(soname)) {
                hook_warn(s->h, "%s/%s: unusable soname, skipped", folder, name);
                return 0;
        }
        if (is_link && strcmp(name, soname) != 0) {
                /* Only SONAME -> file and the development link lib.so -> SONAME count as links. */
                size_t len = strlen(name);

                if (len < 3 || strcmp(name + len - 3, ".so") != 0 ||
                    strncmp(name, soname, len) != 0)
                        is_link = false;
        }
        if (is_link)
                soname = name;
        return add_dlib(s, name, soname, obj->flags, is_link);
}

/* Scans one folder into the builder; a missing folder is skipped, as ldconfig does. */
static int scan_folder(struct hook_ctx *h, struct ldcache_builder *b, const char *folder,
                       char *const *only, struct nvcr_err *err)
{
        struct scan s = {.h = h};
        _cleanup_closedir_ DIR *d = NULL;
        struct nvcr_err ignored = {0};
        struct dirent *de;
        int fd, r = 0;

        fd = in_root_open(h->rootfd, folder, O_RDONLY | O_DIRECTORY, &ignored);
        if (fd == -ENOENT && h->before_create && view_fills(h, folder)) {
                /* runc makes it for its mounts; we get there first. */
                int made = in_root_mkdir_p(h->rootfd, folder, 0755, 0, 0, err);

                if (made < 0)
                        return nvcr_err_wrap(err, "cannot create %s in the container", folder);
                (void)close(made);
                fd = in_root_open(h->rootfd, folder, O_RDONLY | O_DIRECTORY, err);
                if (fd < 0)
                        return nvcr_err_wrap(err, "%s in the container", folder);
        }
        if (fd < 0) {
                hook_debug(h, "%s: %s, skipped", folder, ignored.msg);
                return 0;
        }
        d = fdopendir(fd);
        if (d == NULL) {
                (void)close(fd);
                return nvcr_err_setsys(err, errno, "%s: cannot read the directory", folder);
        }
        if (only != NULL) {
                /* Just these names (type unknown: scan_entry stats them, never following). */
                for (char *const *n = only; *n && r >= 0; n++) {
                        struct dirent fake = {.d_type = DT_UNKNOWN};

                        if (strchr(*n, '/') != NULL || strlen(*n) >= sizeof(fake.d_name))
                                continue;
                        memcpy(fake.d_name, *n, strlen(*n) + 1);
                        r = scan_entry(&s, dirfd(d), folder, &fake, false);
                }
        } else {
                while ((de = readdir(d)) != NULL) {
                        r = scan_entry(&s, dirfd(d), folder, de, false);
                        if (r < 0)
                                break;
                }
        }
        for (size_t i = 0; i < s.nlibs && r >= 0; i++) {
                const struct dlib *l = &s.libs[i];

                /* ldconfig's soname link; a read-only folder only costs the link (as there). */
                if (!l->is_link && strcmp(l->name, l->soname) != 0 &&
                    in_root_symlink(dirfd(d), l->soname, l->name, 0, 0, &ignored) < 0)
                        hook_debug(h, "%s/%s: %s", folder, l->soname, ignored.msg);
        }
        for (char **p = s.pending; r >= 0 && p && *p; p++) {
                struct dirent fake = {.d_type = DT_LNK};

                if (strlen(*p) >= sizeof(fake.d_name))
                        continue;
                memcpy(fake.d_name, *p, strlen(*p) + 1);
                r = scan_entry(&s, dirfd(d), folder, &fake, true);
        }
        if (r < 0) {
                scan_clear(&s);
                return nvcr_err_set(err, -r, "%s: out of memory", folder);
        }
        for (size_t i = 0; i < s.nlibs && r >= 0; i++) {
                const struct dlib *l = &s.libs[i];
                _cleanup_free_ char *path = NULL;

                if (asprintf(&path, "%s%s%s", folder, strcmp(folder, "/") ? "/" : "",
                             l->soname) < 0) {
                        r = nvcr_err_set(err, ENOMEM, "out of memory");
                        break;
                }
                r = ldcache_builder_add(b, l->soname, path, l->flags, 0, err);
                if (r == -EINVAL) {
                        hook_warn(h, "%s: %s, skipped", path, err->msg);
                        nvcr_err_clear(err);
                        r = 0;
                }
        }
        hook_debug(h, "%s: %zu libraries", folder, s.nlibs);
        scan_clear(&s);
        return r < 0 ? r : 0;
}

/* ------------------------------------------------------------ the cache */

/* The container's existing cache, or NULL (with a warning saying why it is not merged). */
static struct ldcache *load_existing(struct hook_ctx *h)
{
        _cleanup_close_ int fd = -EBADF, rfd = -EBADF;
        struct ldcache *c = NULL;
        struct nvcr_err e = {0};
        char proc[64];
        struct stat st;

        fd = in_root_open(h->rootfd, CACHE_DIR "/" CACHE_NAME, O_PATH, &e);
        if (fd == -ENOENT)
                return NULL;
        if (fd < 0) {
                hook_warn(h, "%s/%s: %s; it is replaced", CACHE_DIR, CACHE_NAME, e.msg);
                return NULL;
        }
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                hook_warn(h, "%s/%s: not a regular file; it is replaced", CACHE_DIR, CACHE_NAME);
                return NULL;
        }
        (void)snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        rfd = open(proc, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (rfd < 0 || ldcache_load_fd(rfd, &c, &e) < 0) {
                hook_warn(h, "%s/%s: %s; it is replaced", CACHE_DIR, CACHE_NAME,
                          rfd < 0 ? "cannot open" : e.msg);
                return NULL;
        }
        return c;
}

static int build_image(struct hook_ctx *h, char *const *full, char *const *folders,
                       char *const *only, const struct ldcache *old, char **img, size_t *len,
                       struct nvcr_err *err)
{
        _cleanup_(ldcache_builder_freep) struct ldcache_builder *b = NULL;
        size_t skipped = 0;
        int r = ldcache_builder_new(&b, err);

        if (r < 0)
                return r;
        for (char *const *f = full; f && *f; f++)
                if ((r = scan_folder(h, b, *f, NULL, err)) < 0)
                        return r;
        for (char *const *f = folders; f && *f; f++)
                if ((r = scan_folder(h, b, *f, only, err)) < 0)
                        return r;
        if (old != NULL) {
                r = ldcache_builder_add_cache(b, old, &skipped, err);
                if (r < 0)
                        return r;
                if (skipped)
                        hook_warn(h, "%s/%s: %zu unusable entries dropped", CACHE_DIR,
                                  CACHE_NAME, skipped);
        }
        hook_debug(h, "ld.so.cache: %zu entries", ldcache_builder_count(b));
        return ldcache_builder_serialize(b, GENERATOR, img, len, err);
}

int ldcache_update_container(struct hook_ctx *h, char *const *full, char *const *folders,
                             char *const *only, struct nvcr_err *err)
{
        _cleanup_(ldcache_freep) struct ldcache *old = load_existing(h);
        _cleanup_free_ char *img = NULL;
        _cleanup_close_ int etc = -EBADF;
        size_t len = 0;
        int r;

        r = build_image(h, full, folders, only, old, &img, &len, err);
        if (r == -EFBIG && old != NULL) {
                /* A hostile cache too large to merge: ours alone still serves the libraries. */
                hook_warn(h, "%s/%s: %s; it is replaced", CACHE_DIR, CACHE_NAME, err->msg);
                nvcr_err_clear(err);
                r = build_image(h, full, folders, only, NULL, &img, &len, err);
        }
        if (r < 0)
                return nvcr_err_wrap(err, "ld.so.cache");
        etc = in_root_mkdir_p(h->rootfd, CACHE_DIR, 0755, 0, 0, err);
        if (etc < 0)
                return nvcr_err_wrap(err, "cannot create %s in the container", CACHE_DIR);
        r = hook_write_atomic(etc, CACHE_NAME, img, len, 0644, err);
        if (r < 0)
                return nvcr_err_wrap(err, "%s/%s in the container", CACHE_DIR, CACHE_NAME);
        return 0;
}
