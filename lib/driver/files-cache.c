/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The file (one per set of capabilities asked for, "driver-files-<caps>"):
 *   nvcr-driver-files 1
 *   <header lines: root, version, caps, ld.so.cache and its identity, …>
 *   d <identity> <directory>
 *   f <kind> <caps> <identity> <path>\t<soname or "">
 *   w <a warning of the search, logged again at each hit>
 * An identity is cache_identity's, or "-" for nothing there.
 */
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
#include "driver/files-cache.h"
#include "safepath/in-root.h"

#define FORMAT "nvcr-driver-files 1"
#define FILE_MAX (1u << 20)
#define SIG_MAX CACHE_ID_MAX

/* The identity of `path` inside the driver root, "-" when nothing is there. */
static void path_sig(const struct driver_search *s, const char *path, char sig[SIG_MAX])
{
        struct stat st;
        int r;

        if (strcmp(s->root, "/") == 0) {
                /* The host's own tree: a plain stat resolves as openat2 in "/" would. */
                r = stat(path, &st);
        } else {
                int fd = in_root_open(s->rootfd, path, O_PATH, NULL);

                r = fd < 0 ? -1 : fstat(fd, &st);
                if (fd >= 0)
                        (void)close(fd);
        }
        if (r < 0)
                (void)snprintf(sig, SIG_MAX, "-");
        else
                cache_identity(&st, sig);
}

int files_cache_watch(struct driver_search *s, const char *dir)
{
        char sig[SIG_MAX];
        char *line;

        for (size_t i = 0; i < s->nwatched; i++)
                if (strcmp(strchr(s->watched[i], ' ') + 1, dir) == 0)
                        return 0;
        /* Its identity before anything in it is looked at: a change during the search shows. */
        path_sig(s, dir, sig);
        if (asprintf(&line, "%s %s", sig, dir) < 0)
                return -ENOMEM;
        if (strv_push(&s->watched, line) < 0) {
                free(line);
                return -ENOMEM;
        }
        free(line);
        s->nwatched++;
        return 0;
}

int files_cache_watch_parent(struct driver_search *s, const char *path)
{
        const char *slash = strrchr(path, '/');
        _cleanup_free_ char *dir = NULL;

        if (slash == NULL)
                return 0;
        dir = slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
        return dir == NULL ? -ENOMEM : files_cache_watch(s, dir);
}

char *files_cache_header(const struct driver_search *s)
{
        const char *ldcache = nvcr_ctx_get(s->ctx, NVCR_SET_LDCACHE);
        char sig[SIG_MAX], *h = NULL;
        _cleanup_free_ char *paths = NULL, *fw = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&paths, &len);

        if (f == NULL)
                return NULL;
        for (size_t i = 0; i < s->ctx->nlib_search_paths; i++)
                fprintf(f, "%s%s", i ? ":" : "", s->ctx->lib_search_paths[i]);
        if (fclose(f) != 0)
                return NULL;
        fw = driver_firmware_path(s);
        path_sig(s, ldcache, sig);
        if (asprintf(&h, "%s\nroot %s\nversion %s\ncaps %x\nldcache %s %s\nsearch %s\n"
                         "firmware-path %s\n",
                     FORMAT, s->root, s->version, s->caps, sig, ldcache, paths,
                     fw ? fw : "") < 0)
                return NULL;
        return h;
}

static int append_file(struct nvcr_inventory *inv, const char *path, const char *soname,
                       unsigned caps, enum nvcr_file_kind kind)
{
        struct nvcr_driver_file *n = reallocarray(inv->files, inv->nfiles + 1, sizeof(*n));

        if (n == NULL)
                return -ENOMEM;
        inv->files = n;
        n[inv->nfiles] = (struct nvcr_driver_file){.path = strdup(path),
                                                   .soname = soname[0] ? strdup(soname) : NULL,
                                                   .caps = caps,
                                                   .kind = kind};
        if (n[inv->nfiles].path == NULL || (soname[0] && n[inv->nfiles].soname == NULL)) {
                free(n[inv->nfiles].path);
                free(n[inv->nfiles].soname);
                return -ENOMEM;
        }
        inv->nfiles++;
        return 0;
}

/* "f <kind> <caps> <identity> <path>\t<soname>": appended when the file is still the one found. */
static int load_file(const struct driver_search *s, char *line, struct nvcr_inventory *inv)
{
        char sig[SIG_MAX], *field[4], *p = line, *path, *tab, *end;
        unsigned long kind, caps;

        for (int i = 0; i < 4; i++) {
                field[i] = p;
                p = strchr(p, ' ');
                if (p == NULL)
                        return -ENOENT;
                *p++ = '\0';
        }
        path = p;
        tab = strchr(path, '\t');
        if (strcmp(field[0], "f") != 0 || tab == NULL || path[0] != '/')
                return -ENOENT;
        *tab = '\0';
        errno = 0;
        kind = strtoul(field[1], &end, 10);
        if (errno || *end || (kind != NVCR_FILE_LIB && kind != NVCR_FILE_LIB32 &&
                              kind != NVCR_FILE_BIN && kind != NVCR_FILE_FIRMWARE))
                return -ENOENT;
        caps = strtoul(field[2], &end, 16);
        if (errno || *end || caps > NVCR_CAP_ALL)
                return -ENOENT;
        path_sig(s, path, sig);
        if (strcmp(sig, field[3]) != 0 || strcmp(sig, "-") == 0)
                return -ENOENT;
        return append_file(inv, path, tab + 1, (unsigned)caps, (enum nvcr_file_kind)kind);
}

/* "d <identity> <directory>": the directory is as it was when searched. */
static int check_dir(const struct driver_search *s, char *line)
{
        char sig[SIG_MAX], *sp;

        if (strncmp(line, "d ", 2) != 0 || (sp = strchr(line + 2, ' ')) == NULL)
                return -ENOENT;
        *sp = '\0';
        path_sig(s, sp + 1, sig);
        return strcmp(sig, line + 2) == 0 ? 0 : -ENOENT;
}

static void cache_name(const struct driver_search *s, char name[64])
{
        (void)snprintf(name, 64, "driver-files-%x", s->caps);
}

int files_cache_load(struct driver_search *s, const char *head, struct nvcr_inventory *inv)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_(strv_freep) char **warnings = NULL;
        size_t hlen, first = inv->nfiles;
        char name[64], *line, *save = NULL;
        int r = 0;

        cache_name(s, name);
        if (cache_read_text(s->ctx, name, FILE_MAX, &text) < 0)
                return -ENOENT;
        hlen = strlen(head);
        if (strncmp(text, head, hlen) != 0)
                return -ENOENT;
        for (line = strtok_r(text + hlen, "\n", &save); line && r == 0;
             line = strtok_r(NULL, "\n", &save))
                if (line[0] == 'w' && line[1] == ' ')
                        r = strv_push(&warnings, line + 2) < 0 ? -ENOMEM : 0;
                else
                        r = line[0] == 'd' ? check_dir(s, line) : load_file(s, line, inv);
        if (r < 0) {
                /* A miss: what was appended goes again. */
                for (size_t i = first; i < inv->nfiles; i++) {
                        free(inv->files[i].path);
                        free(inv->files[i].soname);
                }
                inv->nfiles = first;
                return -ENOENT;
        }
        log_debug(s->ctx, "driver files from the cache (%zu)", inv->nfiles - first);
        for (char **w = warnings; w && *w; w++)
                log_warn(s->ctx, "%s", *w);
        return 0;
}

void files_cache_store(struct driver_search *s, const char *head,
                       const struct nvcr_inventory *inv, size_t from)
{
        _cleanup_free_ char *text = NULL;
        char name[64], sig[SIG_MAX];
        size_t len = 0;
        FILE *f;

        f = open_memstream(&text, &len);
        if (f == NULL)
                return;
        fputs(head, f);
        for (size_t i = 0; i < s->nwatched; i++) {
                if (!cache_field_ok(s->watched[i])) {
                        (void)fclose(f);
                        return;
                }
                fprintf(f, "d %s\n", s->watched[i]);
        }
        for (size_t i = from; i < inv->nfiles; i++) {
                const struct nvcr_driver_file *d = &inv->files[i];

                if (d->kind == NVCR_FILE_IPC)
                        continue;
                path_sig(s, d->path, sig);
                if (!cache_field_ok(d->path) || (d->soname && !cache_field_ok(d->soname)) ||
                    strcmp(sig, "-") == 0) {
                        (void)fclose(f);
                        log_debug(s->ctx, "driver files not cached: %s", d->path);
                        return;
                }
                fprintf(f, "f %u %x %s %s\t%s\n", (unsigned)d->kind, d->caps, sig, d->path,
                        d->soname ? d->soname : "");
        }
        for (char **w = s->warnings; w && *w; w++)
                if (!strchr(*w, '\n'))
                        fprintf(f, "w %s\n", *w);
        if (fclose(f) != 0)
                return;
        cache_name(s, name);
        cache_write_text(s->ctx, name, text, len, "driver files");
}
