/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cdihook/hook.h"
#include "core/err.h"
#include "core/macro.h"
#include "core/path-clean.h"
#include "core/strv.h"
#include "oci/spec.h"
#include "oci/state.h"
#include "safepath/in-root-create.h"

__attribute__((format(printf, 3, 0))) static void vmsg(const struct hook_ctx *h,
                                                        const char *level, const char *fmt,
                                                        va_list ap)
{
        fprintf(stderr, "%s: %s: %s", h->prog, h->name ? h->name : "", level);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
}

void hook_warn(const struct hook_ctx *h, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vmsg(h, "warning: ", fmt, ap);
        va_end(ap);
}

void hook_debug(const struct hook_ctx *h, const char *fmt, ...)
{
        va_list ap;

        if (!h->debug)
                return;
        va_start(ap, fmt);
        vmsg(h, "debug: ", fmt, ap);
        va_end(ap);
}

int hook_fail(const struct hook_ctx *h, const struct nvcr_err *err)
{
        fprintf(stderr, "%s: %s: %s\n", h->prog, h->name, err->msg[0] ? err->msg : "failed");
        return 1;
}

void hook_ctx_clear(struct hook_ctx *h)
{
        if (h->rootfd >= 0)
                (void)close(h->rootfd);
        h->rootfd = -1;
        free(h->rootpath);
        h->rootpath = NULL;
        strv_free(h->links);
        strv_free(h->link_targets);
        h->links = h->link_targets = NULL;
        if (h->mask_tree >= 0)
                (void)close(h->mask_tree);
        h->mask_tree = -1;
}

int hook_open_root(struct hook_ctx *h, struct nvcr_err *err)
{
        struct oci_state *st = NULL;
        struct oci_spec *spec = NULL;
        _cleanup_close_ int bundlefd = -EBADF;
        int r;

        /* A later hook of a chain: the state was read and the root opened once. */
        if (h->rootfd >= 0)
                return 0;
        r = oci_state_read_fd(STDIN_FILENO, &st, err);
        if (r < 0)
                return r;
        bundlefd = spec_open_bundle(st->bundle, err);
        if (bundlefd < 0) {
                oci_state_free(st);
                return bundlefd;
        }
        r = spec_load(bundlefd, st->bundle, &spec, err);
        oci_state_free(st);
        if (r < 0)
                return r;
        /* root.path comes from the runtime's own config: a host path we may open. */
        h->rootfd = open(spec->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (h->rootfd < 0) {
                r = nvcr_err_setsys(err, errno, "container rootfs %s", spec->rootfs);
                spec_free(spec);
                return r;
        }
        spec_free(spec);
        r = fd_path(h->rootfd, &h->rootpath, err);
        if (r < 0)
                return r;
        hook_debug(h, "container rootfs %s", h->rootpath);
        return 0;
}

static const struct hook_flag *find_flag(const struct hook_flag *flags, size_t n, const char *name,
                                         size_t len)
{
        for (size_t i = 0; i < n; i++) {
                if (strlen(flags[i].name) == len && strncmp(flags[i].name, name, len) == 0)
                        return &flags[i];
                if (flags[i].alias && strlen(flags[i].alias) == len &&
                    strncmp(flags[i].alias, name, len) == 0)
                        return &flags[i];
        }
        return NULL;
}

static int set_flag(const struct hook_flag *f, char *value, struct nvcr_err *err)
{
        switch (f->kind) {
        case HOOK_FLAG_STRING:
                *f->str = value;
                return 0;
        case HOOK_FLAG_LIST:
                if (strv_push(f->list, value) < 0)
                        return nvcr_err_set(err, ENOMEM, "out of memory");
                return 0;
        case HOOK_FLAG_BOOL:
                if (value == NULL || strcmp(value, "true") == 0 || strcmp(value, "1") == 0)
                        *f->on = true;
                else if (strcmp(value, "false") == 0 || strcmp(value, "0") == 0)
                        *f->on = false;
                else
                        return nvcr_err_set(err, EINVAL,
                                            "invalid boolean value \"%s\" for flag -%s", value,
                                            f->name);
                return 0;
        default:
                return nvcr_err_set(err, EINVAL, "flag -%s: bad kind", f->name);
        }
}

int hook_parse_flags(int argc, char **argv, const struct hook_flag *flags, size_t nflags,
                     bool *help, struct nvcr_err *err)
{
        *help = false;
        for (int i = 1; i < argc; i++) {
                char *a = argv[i], *name, *eq;
                const struct hook_flag *f;
                size_t len;
                int r;

                if (strcmp(a, "--") == 0) {
                        if (i + 1 < argc)
                                return nvcr_err_set(err, EINVAL,
                                                    "unexpected argument \"%s\"", argv[i + 1]);
                        break;
                }
                if (a[0] != '-' || a[1] == '\0')
                        return nvcr_err_set(err, EINVAL, "unexpected argument \"%s\"", a);
                name = a + (a[1] == '-' ? 2 : 1);
                eq = strchr(name, '=');
                len = eq ? (size_t)(eq - name) : strlen(name);
                if ((len == 4 && strncmp(name, "help", 4) == 0) ||
                    (len == 1 && name[0] == 'h')) {
                        *help = true;
                        return 0;
                }
                f = find_flag(flags, nflags, name, len);
                if (f == NULL)
                        return nvcr_err_set(err, EINVAL, "flag provided but not defined: -%.*s",
                                            (int)len, name);
                if (eq != NULL) {
                        r = set_flag(f, eq + 1, err);
                } else if (f->kind == HOOK_FLAG_BOOL) {
                        r = set_flag(f, NULL, err);
                } else {
                        if (i + 1 >= argc)
                                return nvcr_err_set(err, EINVAL, "flag needs an argument: -%s",
                                                    f->name);
                        r = set_flag(f, argv[++i], err);
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

static void print_help(const struct hook_ctx *h, const struct hook_flag *flags, size_t nflags)
{
        printf("NAME:\n   %s %s - %s\n\nUSAGE:\n   %s %s [command options]\n\nOPTIONS:\n",
               h->prog, h->name, h->summary ? h->summary : "", h->prog, h->name);
        for (size_t i = 0; i < nflags; i++) {
                char names[96];

                (void)snprintf(names, sizeof(names), "--%s%s%s%s", flags[i].name,
                               flags[i].alias ? ", --" : "", flags[i].alias ? flags[i].alias : "",
                               flags[i].kind == HOOK_FLAG_BOOL ? "" : " value");
                printf("   %-32s %s%s\n", names, flags[i].usage,
                       flags[i].kind == HOOK_FLAG_LIST ? " (accepts multiple inputs)" : "");
        }
        printf("   %-32s show help\n", "--help, -h");
}

bool hook_flags_done(struct hook_ctx *h, int argc, char **argv, const struct hook_flag *flags,
                     size_t nflags, int *status)
{
        struct nvcr_err err = {0};
        bool help = false;

        if (hook_parse_flags(argc, argv, flags, nflags, &help, &err) < 0) {
                *status = hook_fail(h, &err);
                return true;
        }
        if (help) {
                print_help(h, flags, nflags);
                *status = 0;
                return true;
        }
        return false;
}

int hook_clean_path(const char *path, char **ret, struct nvcr_err *err)
{
        size_t n = strlen(path);
        int r;

        if (n == 0)
                return nvcr_err_set(err, EINVAL, "empty path");
        if (memchr(path, '\n', n) != NULL)
                return nvcr_err_set(err, EINVAL, "path with a newline");
        /* Relative to the container's root; ".." never above it (Go's filepath.Join(root, p)). */
        r = path_clean("/", path, PATH_DOTDOT_POP, ret, NULL);
        if (r == -ENOMEM)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        if (r < 0)
                return nvcr_err_set(err, -r, "%s: path too long", path);
        return 0;
}
