/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The file ("procfs-gpus"):
 *   nvcr-procfs-gpus 1
 *   proc <the procfs path>
 *   boot <boot id>
 *   g \t<dir name>\t<dir identity>\t<information identity>\t<minor or "-">\t<bus id>\t<=model or ->\t<=uuid or ->
 * in bus-id order. An identity is cache_identity's.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/fileio.h"
#include "core/macro.h"
#include "core/strv.h"
#include "driver/cache-dir.h"
#include "driver/gpus-cache.h"

#define FORMAT "nvcr-procfs-gpus 1"
#define NAME "procfs-gpus"
#define GPUS "driver/nvidia/gpus"
#define FILE_MAX (256u * 1024u)

static int identity(int procfd, const char *path, char id[CACHE_ID_MAX])
{
        struct stat st;

        if (fstatat(procfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -1;
        cache_identity(&st, id);
        return 0;
}

char *gpus_cache_header(struct nvcr_ctx *ctx, int procfd)
{
        _cleanup_free_ char *boot = NULL;
        char *h = NULL;

        if (read_file_at(procfd, "sys/kernel/random/boot_id", 256, &boot, NULL, NULL) < 0)
                return NULL;
        boot[strcspn(boot, "\n")] = '\0';
        if (asprintf(&h, "%s\nproc %s\nboot %s\n", FORMAT, nvcr_ctx_get(ctx, NVCR_SET_PROC),
                     boot) < 0)
                return NULL;
        return h;
}

/* The names under gpus/. */
static int listing(int procfd, char ***ret)
{
        _cleanup_close_ int fd = openat(procfd, GPUS, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_(strv_freep) char **v = NULL;
        DIR *d;
        struct dirent *de;

        if (fd < 0)
                return -ENOENT;
        d = fdopendir(fd);
        if (d == NULL)
                return -ENOENT;
        (void)steal_fd(&fd);
        while ((de = readdir(d)) != NULL)
                if (de->d_name[0] != '.' && strv_push(&v, de->d_name) < 0) {
                        (void)closedir(d);
                        return -ENOMEM;
                }
        (void)closedir(d);
        *ret = steal_ptr(&v);
        return 0;
}

static bool listed(char **names, const char *name)
{
        for (char **n = names; n && *n; n++)
                if (strcmp(*n, name) == 0)
                        return true;
        return false;
}

static char *field(char **p)
{
        char *f = *p, *tab;

        if (f == NULL)
                return NULL;
        tab = strchr(f, '\t');
        if (tab != NULL) {
                *tab = '\0';
                *p = tab + 1;
        } else {
                *p = NULL;
        }
        return f;
}

/* "=value" or "-" (none). */
static int opt_value(const char *f, char **ret)
{
        *ret = NULL;
        if (f == NULL || (f[0] != '=' && strcmp(f, "-") != 0))
                return -ENOENT;
        if (f[0] == '=' && (*ret = strdup(f + 1)) == NULL)
                return -ENOMEM;
        return 0;
}

static int load_line(int procfd, char *line, char **names, struct procfs_gpu *g)
{
        char *p = line, *f[8], path[512], id[CACHE_ID_MAX], *end;
        unsigned long minor;

        for (int i = 0; i < 8; i++)
                if ((f[i] = field(&p)) == NULL)
                        return -ENOENT;
        if (p != NULL || strcmp(f[0], "g ") != 0 || !listed(names, f[1]) ||
            strchr(f[1], '/') != NULL)
                return -ENOENT;
        (void)snprintf(path, sizeof(path), GPUS "/%s", f[1]);
        if (identity(procfd, path, id) < 0 || strcmp(id, f[2]) != 0)
                return -ENOENT;
        (void)snprintf(path, sizeof(path), GPUS "/%s/information", f[1]);
        if (identity(procfd, path, id) < 0 || strcmp(id, f[3]) != 0)
                return -ENOENT;
        *g = (struct procfs_gpu){0};
        if (strcmp(f[4], "-") != 0) {
                errno = 0;
                minor = strtoul(f[4], &end, 10);
                if (errno || *end || minor > 0xfffff)
                        return -ENOENT;
                g->minor = (unsigned)minor;
                g->has_minor = true;
        }
        g->proc_dir = strdup(f[1]);
        g->bus_id = strdup(f[5]);
        if (g->proc_dir == NULL || g->bus_id == NULL || opt_value(f[6], &g->model) < 0 ||
            opt_value(f[7], &g->uuid) < 0) {
                procfs_gpu_clear(g);
                return -ENOENT;
        }
        return 0;
}

int gpus_cache_load(struct nvcr_ctx *ctx, int procfd, const char *head, struct procfs_gpu **ret,
                    size_t *ret_n)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_(strv_freep) char **names = NULL;
        struct procfs_gpu *v = NULL;
        size_t n = 0, hlen;
        char *line, *save = NULL;
        int r = 0;

        if (cache_read_text(ctx, NAME, FILE_MAX, &text) < 0)
                return -ENOENT;
        if (listing(procfd, &names) < 0)
                return -ENOENT;
        hlen = strlen(head);
        if (strncmp(text, head, hlen) != 0)
                return -ENOENT;
        for (line = strtok_r(text + hlen, "\n", &save); line && r == 0;
             line = strtok_r(NULL, "\n", &save)) {
                struct procfs_gpu *nv = reallocarray(v, n + 1, sizeof(*v));

                if (nv == NULL) {
                        r = -ENOMEM;
                        break;
                }
                v = nv;
                r = load_line(procfd, line, names, &v[n]);
                if (r == 0)
                        n++;
        }
        /* Every GPU procfs lists now, and no other. */
        if (r < 0 || n != strv_len((const char *const *)names)) {
                procfs_gpus_free(v, n);
                return -ENOENT;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

void gpus_cache_store(struct nvcr_ctx *ctx, int procfd, const char *head,
                      const struct procfs_gpu *v, size_t n)
{
        _cleanup_free_ char *text = NULL;
        char path[512], did[CACHE_ID_MAX], iid[CACHE_ID_MAX];
        size_t len = 0;
        FILE *f;

        f = open_memstream(&text, &len);
        if (f == NULL)
                return;
        fputs(head, f);
        for (size_t i = 0; i < n; i++) {
                const struct procfs_gpu *g = &v[i];
                int a, b;

                (void)snprintf(path, sizeof(path), GPUS "/%s", g->proc_dir);
                a = identity(procfd, path, did);
                (void)snprintf(path, sizeof(path), GPUS "/%s/information", g->proc_dir);
                b = identity(procfd, path, iid);
                if (a < 0 || b < 0 || !cache_field_ok(g->proc_dir) || !cache_field_ok(g->bus_id) ||
                    (g->model && !cache_field_ok(g->model)) ||
                    (g->uuid && !cache_field_ok(g->uuid)) || strchr(g->proc_dir, '/')) {
                        (void)fclose(f);
                        return;
                }
                fprintf(f, "g \t%s\t%s\t%s\t", g->proc_dir, did, iid);
                if (g->has_minor)
                        fprintf(f, "%u", g->minor);
                else
                        fputs("-", f);
                fprintf(f, "\t%s\t%s%s\t%s%s\n", g->bus_id, g->model ? "=" : "-",
                        g->model ? g->model : "", g->uuid ? "=" : "-", g->uuid ? g->uuid : "");
        }
        if (fclose(f) != 0)
                return;
        cache_write_text(ctx, NAME, text, len, "GPU list");
}
