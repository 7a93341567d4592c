/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NVML-free discovery from the NVIDIA kernel module's procfs files. The
 * parsers work on NUL-terminated text and never trust it: every number is
 * range-checked, every line may be missing, and nothing is read past the
 * terminating NUL. The readers open files relative to the proc directory fd
 * and report paths relative to it.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/fileio.h"
#include "core/macro.h"
#include "core/ctx.h"
#include "driver/gpus-cache.h"
#include "driver/procfs.h"

/* All the files read here are a few hundred bytes; anything larger is not ours. */
#define PROCFS_FILE_MAX (64u * 1024u)
#define PROCFS_GPUS_MAX 1024u
#define PROCFS_MIGS_MAX 1024u
#define PROCFS_VERSION_MAX 64u

#define GPUS_DIR "driver/nvidia/gpus"
#define CAPS_DIR "driver/nvidia/capabilities"
/* MIG capability paths are bind-mounted by their host path, whatever procfd is. */
#define HOST_CAPS_DIR "/proc/" CAPS_DIR

/* A line of text: start and length, without the '\n'. */
struct span {
        const char *p;
        size_t len;
};

static bool is_blank(char c)
{
        return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

static struct span span_trim(struct span s)
{
        while (s.len > 0 && is_blank(s.p[0])) {
                s.p++;
                s.len--;
        }
        while (s.len > 0 && is_blank(s.p[s.len - 1]))
                s.len--;
        return s;
}

static bool span_eq(struct span s, const char *lit)
{
        return s.len == strlen(lit) && memcmp(s.p, lit, s.len) == 0;
}

/* Yields the lines of `*cursor` one at a time; false at the end of the text. */
static bool next_line(const char **cursor, struct span *ret)
{
        const char *p = *cursor;
        const char *nl;

        if (*p == '\0')
                return false;
        nl = strchr(p, '\n');
        ret->p = p;
        ret->len = nl != NULL ? (size_t)(nl - p) : strlen(p);
        *cursor = nl != NULL ? nl + 1 : p + ret->len;
        return true;
}

/* Splits "Key:<blanks>value" at the first ':'; false when there is none. */
static bool split_key_value(struct span line, struct span *key, struct span *value)
{
        const char *colon = memchr(line.p, ':', line.len);

        if (colon == NULL)
                return false;
        *key = span_trim((struct span){ line.p, (size_t)(colon - line.p) });
        *value = span_trim((struct span){ colon + 1, line.len - (size_t)(colon - line.p) - 1 });
        return true;
}

/* Decimal digits only (no sign, no blanks), at most UINT_MAX. */
static bool parse_uint(struct span s, unsigned *ret)
{
        unsigned long long v = 0;

        if (s.len == 0)
                return false;
        for (size_t i = 0; i < s.len; i++) {
                if (!is_digit(s.p[i]))
                        return false;
                v = v * 10 + (unsigned)(s.p[i] - '0');
                if (v > UINT_MAX)
                        return false;
        }
        *ret = (unsigned)v;
        return true;
}

/* ------------------------------------------------------------------ version */

/* "580.159.04": digit groups separated by single dots, at least one dot. */
static bool is_version_token(struct span t)
{
        bool dot = false;

        if (t.len == 0 || t.len > PROCFS_VERSION_MAX || !is_digit(t.p[0]) ||
            !is_digit(t.p[t.len - 1]))
                return false;
        for (size_t i = 0; i < t.len; i++) {
                if (t.p[i] == '.') {
                        if (t.p[i - 1] == '.')
                                return false;
                        dot = true;
                } else if (!is_digit(t.p[i])) {
                        return false;
                }
        }
        return dot;
}

/* The first version-looking whitespace-separated token of `s`. */
static bool find_version_token(struct span s, struct span *ret)
{
        size_t i = 0;

        while (i < s.len) {
                size_t start;

                while (i < s.len && is_blank(s.p[i]))
                        i++;
                start = i;
                while (i < s.len && !is_blank(s.p[i]))
                        i++;
                *ret = (struct span){ s.p + start, i - start };
                if (is_version_token(*ret))
                        return true;
        }
        return false;
}

int procfs_parse_version(const char *text, char **ret, struct nvcr_err *err)
{
        static const char prefix[] = "NVRM version:";
        struct span line, tok;
        char *v;

        while (next_line(&text, &line)) {
                line = span_trim(line);
                if (line.len < sizeof(prefix) - 1 || memcmp(line.p, prefix, sizeof(prefix) - 1))
                        continue;
                line.p += sizeof(prefix) - 1;
                line.len -= sizeof(prefix) - 1;
                if (!find_version_token(line, &tok))
                        continue;
                v = strndup(tok.p, tok.len);
                if (v == NULL)
                        return nvcr_err_set(err, ENOMEM, "out of memory");
                *ret = v;
                return 0;
        }
        return nvcr_err_set(err, EINVAL, "no NVRM version found");
}

int procfs_read_version(int procfd, char **ret, struct nvcr_err *err)
{
        static const char path[] = "driver/nvidia/version";
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_file_at(procfd, path, PROCFS_FILE_MAX, &text, NULL, err);
        if (r < 0)
                return r;
        r = procfs_parse_version(text, ret, err);
        if (r < 0)
                return nvcr_err_wrap(err, "%s", path);
        return 0;
}

/* ------------------------------------------------------------------ bus ids */

/* Consumes up to `max` hex digits from *p; returns how many (0: none or too many). */
static size_t take_hex(const char **p, size_t max, unsigned *ret)
{
        unsigned v = 0;
        size_t n = 0;

        for (;;) {
                char c = (*p)[n];
                unsigned d;

                if (is_digit(c))
                        d = (unsigned)(c - '0');
                else if (c >= 'a' && c <= 'f')
                        d = (unsigned)(c - 'a') + 10;
                else if (c >= 'A' && c <= 'F')
                        d = (unsigned)(c - 'A') + 10;
                else
                        break;
                if (++n > max)
                        return 0;
                v = v << 4 | d;
        }
        *p += n;
        *ret = v;
        return n;
}

static bool take_char(const char **p, char c)
{
        if (**p != c)
                return false;
        (*p)++;
        return true;
}

struct pci_addr {
        unsigned domain, bus, dev, fn;
};

/* "[domain:]bus:dev.fn": 1-8 hex digit domain, 1-2 hex bus and device, 1 digit function. */
static bool parse_bus_id(const char *p, struct pci_addr *ret)
{
        unsigned a, b;
        size_t na, nb;

        na = take_hex(&p, 8, &a);
        if (na == 0 || !take_char(&p, ':'))
                return false;
        nb = take_hex(&p, 8, &b);
        if (nb == 0 || nb > 2)
                return false;
        if (take_char(&p, ':')) {
                ret->domain = a;
                ret->bus = b;
                if (take_hex(&p, 2, &ret->dev) == 0)
                        return false;
        } else {
                if (na > 2)
                        return false;
                ret->domain = 0;
                ret->bus = a;
                ret->dev = b;
        }
        if (ret->dev > 0x1f || !take_char(&p, '.') || *p < '0' || *p > '7' || p[1] != '\0')
                return false;
        ret->fn = (unsigned)(*p - '0');
        return true;
}

int procfs_normalize_bus_id(const char *in, char **ret, struct nvcr_err *err)
{
        char buf[sizeof("ffffffff:ff:1f.7")];
        struct pci_addr a;
        char *s;

        if (!parse_bus_id(in, &a))
                return nvcr_err_set(err, EINVAL, "invalid PCI bus id '%s'", in);
        (void)snprintf(buf, sizeof(buf), "%08x:%02x:%02x.%x", a.domain, a.bus, a.dev, a.fn);
        s = strdup(buf);
        if (s == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        *ret = s;
        return 0;
}

/* -------------------------------------------------------------- information */

/* Bounds what an error message quotes of untrusted text. */
static int quote_len(struct span s)
{
        return s.len > 64 ? 64 : (int)s.len;
}

/* Keeps the first occurrence of a key: the kernel writes each key once. */
static int set_field(char **field, struct span value)
{
        if (*field != NULL)
                return 0;
        *field = strndup(value.p, value.len);
        return *field != NULL ? 0 : -ENOMEM;
}

static void gpu_clearp(struct procfs_gpu *g)
{
        procfs_gpu_clear(g);
}

static int set_bus_id(struct procfs_gpu *g, struct span value, struct nvcr_err *err)
{
        _cleanup_free_ char *raw = NULL;
        int r;

        raw = strndup(value.p, value.len);
        if (raw == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        r = procfs_normalize_bus_id(raw, &g->bus_id, err);
        if (r < 0)
                return nvcr_err_wrap(err, "Bus Location");
        return 0;
}

static int set_minor(struct procfs_gpu *g, struct span value, struct nvcr_err *err)
{
        if (!parse_uint(value, &g->minor))
                return nvcr_err_set(err, EINVAL, "invalid Device Minor '%.*s'", quote_len(value),
                                    value.p);
        g->has_minor = true;
        return 0;
}

static int parse_information_line(struct procfs_gpu *g, struct span line, struct nvcr_err *err)
{
        struct span key, value;

        if (!split_key_value(line, &key, &value))
                return 0;
        if (span_eq(key, "Bus Location"))
                return g->bus_id == NULL ? set_bus_id(g, value, err) : 0;
        if (span_eq(key, "Device Minor"))
                return !g->has_minor ? set_minor(g, value, err) : 0;
        if ((span_eq(key, "Model") && set_field(&g->model, value) < 0) ||
            (span_eq(key, "GPU UUID") && set_field(&g->uuid, value) < 0))
                return nvcr_err_set(err, ENOMEM, "out of memory");
        return 0;
}

int procfs_parse_information(const char *text, struct procfs_gpu *ret, struct nvcr_err *err)
{
        _cleanup_(gpu_clearp) struct procfs_gpu g = { 0 };
        struct span line;
        int r;

        while (next_line(&text, &line)) {
                r = parse_information_line(&g, line, err);
                if (r < 0)
                        return r;
        }
        if (g.bus_id == NULL)
                return nvcr_err_set(err, EINVAL, "no Bus Location found");
        *ret = g;
        g = (struct procfs_gpu){ 0 };
        return 0;
}

void procfs_gpu_clear(struct procfs_gpu *g)
{
        if (g == NULL)
                return;
        free(g->proc_dir);
        free(g->bus_id);
        free(g->model);
        free(g->uuid);
        *g = (struct procfs_gpu){ 0 };
}

void procfs_gpus_free(struct procfs_gpu *gpus, size_t n)
{
        if (gpus == NULL)
                return;
        for (size_t i = 0; i < n; i++)
                procfs_gpu_clear(&gpus[i]);
        free(gpus);
}

/* ---------------------------------------------------------------- directories */

/* Opens a directory for listing; -errno without a message, the caller words it. */
static int open_dir_at(int dirfd, const char *path, DIR **ret)
{
        _cleanup_close_ int fd = -EBADF;
        DIR *d;

        fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return neg_errno();
        d = fdopendir(fd);
        if (d == NULL)
                return neg_errno();
        (void)steal_fd(&fd);
        *ret = d;
        return 0;
}

/* Next entry other than "." and ".."; NULL at the end or on error (errno set, else 0). */
static const struct dirent *next_entry(DIR *d)
{
        const struct dirent *de;

        for (;;) {
                errno = 0;
                de = readdir(d);
                if (de == NULL)
                        return NULL;
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        return de;
        }
}

static bool entry_is_dir(DIR *d, const struct dirent *de)
{
        struct stat st;

        if (de->d_type == DT_DIR)
                return true;
        if (de->d_type != DT_UNKNOWN && de->d_type != DT_LNK)
                return false;
        return fstatat(dirfd(d), de->d_name, &st, 0) == 0 && S_ISDIR(st.st_mode);
}

/* ---------------------------------------------------------------------- gpus */

struct gpu_vec {
        struct procfs_gpu *v;
        size_t n, cap;
};

static void gpu_vec_done(struct gpu_vec *vec)
{
        procfs_gpus_free(vec->v, vec->n);
}

static int gpu_vec_push(struct gpu_vec *vec, struct procfs_gpu *g, struct nvcr_err *err)
{
        if (vec->n >= PROCFS_GPUS_MAX)
                return nvcr_err_set(err, E2BIG, "more than %u GPUs under %s", PROCFS_GPUS_MAX,
                                    GPUS_DIR);
        if (vec->n == vec->cap) {
                size_t cap = vec->cap == 0 ? 8 : vec->cap * 2;
                struct procfs_gpu *v = reallocarray(vec->v, cap, sizeof(*v));

                if (v == NULL)
                        return nvcr_err_set(err, ENOMEM, "out of memory");
                vec->v = v;
                vec->cap = cap;
        }
        vec->v[vec->n++] = *g;
        *g = (struct procfs_gpu){ 0 };
        return 0;
}

static int read_gpu(int procfd, const char *name, struct procfs_gpu *ret, struct nvcr_err *err)
{
        _cleanup_(gpu_clearp) struct procfs_gpu g = { 0 };
        _cleanup_free_ char *text = NULL;
        char path[PATH_MAX];
        int r;

        r = snprintf(path, sizeof(path), GPUS_DIR "/%s/information", name);
        if (r < 0 || (size_t)r >= sizeof(path))
                return nvcr_err_set(err, ENAMETOOLONG, "%s/%s: name too long", GPUS_DIR, name);
        r = read_file_at(procfd, path, PROCFS_FILE_MAX, &text, NULL, err);
        if (r < 0)
                return r;
        r = procfs_parse_information(text, &g, err);
        if (r < 0)
                return nvcr_err_wrap(err, "%s", path);
        g.proc_dir = strdup(name);
        if (g.proc_dir == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        *ret = g;
        g = (struct procfs_gpu){ 0 };
        return 0;
}

static int gpu_cmp(const void *a, const void *b)
{
        const struct procfs_gpu *x = a, *y = b;

        return strcmp(x->bus_id, y->bus_id);
}

/* Two directories claiming one PCI address would make bus-id selection ambiguous. */
static int check_unique(const struct gpu_vec *vec, struct nvcr_err *err)
{
        for (size_t i = 1; i < vec->n; i++)
                if (strcmp(vec->v[i - 1].bus_id, vec->v[i].bus_id) == 0)
                        return nvcr_err_set(err, EINVAL, "%s: %s and %s share bus id %s",
                                            GPUS_DIR, vec->v[i - 1].proc_dir, vec->v[i].proc_dir,
                                            vec->v[i].bus_id);
        return 0;
}

int procfs_read_gpus(int procfd, struct procfs_gpu **ret, size_t *ret_n, struct nvcr_err *err)
{
        _cleanup_(gpu_vec_done) struct gpu_vec vec = { 0 };
        _cleanup_closedir_ DIR *d = NULL;
        const struct dirent *de;
        int r;

        r = open_dir_at(procfd, GPUS_DIR, &d);
        if (r < 0)
                return nvcr_err_setsys(err, r, "open %s", GPUS_DIR);
        while ((de = next_entry(d)) != NULL) {
                struct procfs_gpu g = { 0 };

                if (!entry_is_dir(d, de))
                        continue;
                r = read_gpu(procfd, de->d_name, &g, err);
                if (r < 0)
                        return r;
                r = gpu_vec_push(&vec, &g, err);
                procfs_gpu_clear(&g);
                if (r < 0)
                        return r;
        }
        if (errno != 0)
                return nvcr_err_setsys(err, errno, "read directory %s", GPUS_DIR);
        if (vec.n > 1) /* qsort's base must not be NULL, even for 0 elements */
                qsort(vec.v, vec.n, sizeof(*vec.v), gpu_cmp);
        r = check_unique(&vec, err);
        if (r < 0)
                return r;
        *ret_n = vec.n;
        *ret = steal_ptr(&vec.v);
        vec.n = 0;
        return 0;
}

struct gpus_memo {
        struct procfs_gpu *v;
        size_t n;
};

static void gpus_memo_free(void *p)
{
        struct gpus_memo *m = p;

        if (m != NULL)
                procfs_gpus_free(m->v, m->n);
        free(m);
}

static int gpus_copy(const struct procfs_gpu *v, size_t n, struct procfs_gpu **ret)
{
        struct procfs_gpu *c = calloc(n ? n : 1, sizeof(*c));

        if (c == NULL)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                c[i] = (struct procfs_gpu){.minor = v[i].minor, .has_minor = v[i].has_minor};
                if ((v[i].proc_dir && !(c[i].proc_dir = strdup(v[i].proc_dir))) ||
                    (v[i].bus_id && !(c[i].bus_id = strdup(v[i].bus_id))) ||
                    (v[i].model && !(c[i].model = strdup(v[i].model))) ||
                    (v[i].uuid && !(c[i].uuid = strdup(v[i].uuid)))) {
                        procfs_gpus_free(c, i + 1);
                        return -ENOMEM;
                }
        }
        *ret = c;
        return 0;
}

int procfs_read_majors_once(struct nvcr_ctx *ctx, int procfd, struct procfs_majors *ret,
                            struct nvcr_err *err)
{
        struct procfs_majors *m = ctx->majors_memo;
        int r;

        if (m == NULL) {
                m = calloc(1, sizeof(*m));
                if (m == NULL)
                        return nvcr_err_set(err, ENOMEM, "out of memory");
                r = procfs_read_majors(procfd, m, err);
                if (r < 0) {
                        free(m);
                        return r;
                }
                ctx->majors_memo = m;
        }
        *ret = *m;
        return 0;
}

int procfs_read_gpus_once(struct nvcr_ctx *ctx, int procfd, struct procfs_gpu **ret,
                          size_t *ret_n, struct nvcr_err *err)
{
        struct gpus_memo *m = ctx->gpus_memo;
        int r;

        if (m == NULL) {
                _cleanup_free_ char *head = gpus_cache_header(ctx, procfd);

                m = calloc(1, sizeof(*m));
                if (m == NULL)
                        return nvcr_err_set(err, ENOMEM, "out of memory");
                r = head ? gpus_cache_load(ctx, procfd, head, &m->v, &m->n) : -ENOENT;
                if (r < 0) {
                        r = procfs_read_gpus(procfd, &m->v, &m->n, err);
                        if (r < 0) {
                                free(m);
                                return r;
                        }
                        if (head != NULL)
                                gpus_cache_store(ctx, procfd, head, m->v, m->n);
                }
                ctx->gpus_memo = m;
                ctx->gpus_memo_free = gpus_memo_free;
        }
        if (gpus_copy(m->v, m->n, ret) < 0)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        *ret_n = m->n;
        return 0;
}

/* ------------------------------------------------------------------- devices */

/* Splits "<major> <name>"; false for lines of another shape or majors out of range. */
static bool parse_device_line(struct span line, unsigned *major, struct span *name)
{
        size_t i = 0;

        line = span_trim(line);
        while (i < line.len && is_digit(line.p[i]))
                i++;
        if (i == line.len || !is_blank(line.p[i]))
                return false;
        /* Linux majors are 12 bits; anything else is not a device line. */
        if (!parse_uint((struct span){ line.p, i }, major) || *major > 0xfff)
                return false;
        *name = span_trim((struct span){ line.p + i, line.len - i });
        return true;
}

enum {
        DEV_FRONTEND,
        DEV_NVIDIA,
        DEV_UVM,
        DEV_CAPS,
        DEV_IMEX,
        DEV_NVSWITCH,
        DEV_NVLINK,
        DEV__MAX,
};

static const char *const device_names[DEV__MAX] = {
        [DEV_FRONTEND] = "nvidia-frontend",
        [DEV_NVIDIA] = "nvidia",
        [DEV_UVM] = "nvidia-uvm",
        [DEV_CAPS] = "nvidia-caps",
        [DEV_IMEX] = "nvidia-caps-imex-channels",
        [DEV_NVSWITCH] = "nvidia-nvswitch",
        [DEV_NVLINK] = "nvidia-nvlink",
};

static void record_device(unsigned found[DEV__MAX], unsigned major, struct span name)
{
        for (size_t i = 0; i < DEV__MAX; i++)
                if (found[i] == 0 && span_eq(name, device_names[i]))
                        found[i] = major;
}

int procfs_parse_devices(const char *text, struct procfs_majors *ret, struct nvcr_err *err)
{
        unsigned found[DEV__MAX] = { 0 };
        bool in_char = false, seen = false;
        struct span line, name;
        unsigned major;

        while (next_line(&text, &line)) {
                struct span t = span_trim(line);

                if (span_eq(t, "Character devices:")) {
                        in_char = seen = true;
                } else if (t.len > 0 && t.p[t.len - 1] == ':') {
                        /* "Block devices:" or any later section ends ours. */
                        in_char = false;
                } else if (in_char && parse_device_line(t, &major, &name)) {
                        record_device(found, major, name);
                }
        }
        if (!seen)
                return nvcr_err_set(err, EINVAL, "no Character devices section found");
        *ret = (struct procfs_majors){
                /* Newer drivers register the frontend; either name is the nvidia major. */
                .nvidia = found[DEV_FRONTEND] != 0 ? found[DEV_FRONTEND] : found[DEV_NVIDIA],
                .uvm = found[DEV_UVM],
                .caps = found[DEV_CAPS],
                .imex = found[DEV_IMEX],
                .nvswitch = found[DEV_NVSWITCH],
                .nvlink = found[DEV_NVLINK],
        };
        return 0;
}

int procfs_read_majors(int procfd, struct procfs_majors *ret, struct nvcr_err *err)
{
        static const char path[] = "devices";
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_file_at(procfd, path, PROCFS_FILE_MAX, &text, NULL, err);
        if (r < 0)
                return r;
        r = procfs_parse_devices(text, ret, err);
        if (r < 0)
                return nvcr_err_wrap(err, "%s", path);
        return 0;
}

/* ----------------------------------------------------------------------- mig */

int procfs_parse_cap_minor(const char *text, unsigned *ret, struct nvcr_err *err)
{
        struct span line, key, value;

        while (next_line(&text, &line)) {
                if (!split_key_value(line, &key, &value) || !span_eq(key, "DeviceFileMinor"))
                        continue;
                if (!parse_uint(value, ret))
                        return nvcr_err_set(err, EINVAL, "invalid DeviceFileMinor '%.*s'",
                                            quote_len(value), value.p);
                return 0;
        }
        return nvcr_err_set(err, EINVAL, "no DeviceFileMinor found");
}

/*
 * "gi<N>" / "ci<N>" with N in canonical decimal, so that the path we build
 * from N names the very directory we read.
 */
static bool parse_instance_name(const char *name, const char *prefix, unsigned *ret)
{
        size_t n = strlen(prefix);
        struct span digits;

        if (strncmp(name, prefix, n) != 0)
                return false;
        digits = (struct span){ name + n, strlen(name + n) };
        if (digits.len > 1 && digits.p[0] == '0')
                return false;
        return parse_uint(digits, ret);
}

/* An unreadable or malformed access file only means the minor is unknown. */
static void read_cap_minor_at(int dirfd, const char *path, unsigned *ret, bool *has)
{
        _cleanup_free_ char *text = NULL;

        *has = read_file_at(dirfd, path, PROCFS_FILE_MAX, &text, NULL, NULL) == 0 &&
               procfs_parse_cap_minor(text, ret, NULL) == 0;
}

struct mig_vec {
        struct nvcr_mig *v;
        size_t n, cap;
};

static void mig_vec_done(struct mig_vec *vec)
{
        procfs_migs_free(vec->v, vec->n);
}

static void mig_clear(struct nvcr_mig *m)
{
        free(m->uuid);
        free(m->gi_caps_path);
        free(m->ci_caps_path);
        *m = (struct nvcr_mig){ 0 };
}

static int mig_vec_push(struct mig_vec *vec, struct nvcr_mig *m, struct nvcr_err *err)
{
        if (vec->n >= PROCFS_MIGS_MAX)
                return nvcr_err_set(err, E2BIG, "more than %u MIG instances", PROCFS_MIGS_MAX);
        if (vec->n == vec->cap) {
                size_t cap = vec->cap == 0 ? 8 : vec->cap * 2;
                struct nvcr_mig *v = reallocarray(vec->v, cap, sizeof(*v));

                if (v == NULL)
                        return nvcr_err_set(err, ENOMEM, "out of memory");
                vec->v = v;
                vec->cap = cap;
        }
        vec->v[vec->n++] = *m;
        *m = (struct nvcr_mig){ 0 };
        return 0;
}

/* Where one GPU instance lives, and what we learned of it. */
struct gi_ctx {
        unsigned gpu_minor;
        unsigned gi;
        unsigned gi_cap_minor;
        bool has_gi_cap_minor;
        DIR *dir;
};

/* snprintf into a fresh heap string; NULL when out of memory. */
_printf_(1, 2) static char *fmt_dup(const char *fmt, ...)
{
        char buf[PATH_MAX];
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        if (r < 0 || (size_t)r >= sizeof(buf))
                return NULL;
        return strdup(buf);
}

static int add_ci(const struct gi_ctx *gi, const char *name, unsigned ci, struct mig_vec *vec,
                  struct nvcr_err *err)
{
        _cleanup_(mig_clear) struct nvcr_mig m = {
                .gi = gi->gi,
                .ci = ci,
                .gi_cap_minor = gi->gi_cap_minor,
                .has_gi_cap_minor = gi->has_gi_cap_minor,
        };
        char path[PATH_MAX];

        (void)snprintf(path, sizeof(path), "%s/access", name);
        read_cap_minor_at(dirfd(gi->dir), path, &m.ci_cap_minor, &m.has_ci_cap_minor);
        m.gi_caps_path = fmt_dup(HOST_CAPS_DIR "/gpu%u/mig/gi%u", gi->gpu_minor, gi->gi);
        if (m.gi_caps_path != NULL)
                m.ci_caps_path = fmt_dup("%s/ci%u", m.gi_caps_path, ci);
        if (m.ci_caps_path == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        return mig_vec_push(vec, &m, err);
}

static int read_gi(DIR *mig, const char *mig_path, const char *name, struct gi_ctx *gi,
                   struct mig_vec *vec, struct nvcr_err *err)
{
        _cleanup_closedir_ DIR *d = NULL;
        const struct dirent *de;
        unsigned ci;
        int r;

        r = open_dir_at(dirfd(mig), name, &d);
        if (r == -ENOENT) /* the instance was destroyed while we looked */
                return 0;
        if (r < 0)
                return nvcr_err_setsys(err, r, "open %s/%s", mig_path, name);
        gi->dir = d;
        read_cap_minor_at(dirfd(d), "access", &gi->gi_cap_minor, &gi->has_gi_cap_minor);
        while ((de = next_entry(d)) != NULL) {
                if (!parse_instance_name(de->d_name, "ci", &ci) || !entry_is_dir(d, de))
                        continue;
                r = add_ci(gi, de->d_name, ci, vec, err);
                if (r < 0)
                        return r;
        }
        if (errno != 0)
                return nvcr_err_setsys(err, errno, "read directory %s/%s", mig_path, name);
        return 0;
}

static int mig_cmp(const void *a, const void *b)
{
        const struct nvcr_mig *x = a, *y = b;

        if (x->gi != y->gi)
                return x->gi < y->gi ? -1 : 1;
        if (x->ci != y->ci)
                return x->ci < y->ci ? -1 : 1;
        return 0;
}

int procfs_read_migs(int procfd, unsigned gpu_minor, struct nvcr_mig **ret, size_t *ret_n,
                     struct nvcr_err *err)
{
        _cleanup_(mig_vec_done) struct mig_vec vec = { 0 };
        _cleanup_closedir_ DIR *d = NULL;
        const struct dirent *de;
        char path[PATH_MAX];
        int r;

        (void)snprintf(path, sizeof(path), CAPS_DIR "/gpu%u/mig", gpu_minor);
        r = open_dir_at(procfd, path, &d);
        if (r == -ENOENT || r == -ENOTDIR) {
                /* MIG was never enabled on this GPU (or the driver predates MIG). */
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }
        if (r < 0)
                return nvcr_err_setsys(err, r, "open %s", path);
        while ((de = next_entry(d)) != NULL) {
                struct gi_ctx gi = { .gpu_minor = gpu_minor };

                if (!parse_instance_name(de->d_name, "gi", &gi.gi) || !entry_is_dir(d, de))
                        continue;
                r = read_gi(d, path, de->d_name, &gi, &vec, err);
                if (r < 0)
                        return r;
        }
        if (errno != 0)
                return nvcr_err_setsys(err, errno, "read directory %s", path);
        if (vec.n > 1)
                qsort(vec.v, vec.n, sizeof(*vec.v), mig_cmp);
        *ret_n = vec.n;
        *ret = steal_ptr(&vec.v);
        vec.n = 0;
        return 0;
}

void procfs_migs_free(struct nvcr_mig *migs, size_t n)
{
        if (migs == NULL)
                return;
        for (size_t i = 0; i < n; i++)
                mig_clear(&migs[i]);
        free(migs);
}
