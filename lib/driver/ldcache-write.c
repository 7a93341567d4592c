/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ld.so.cache writer. Layout written (host byte order, as ldconfig does;
 * see ldcache.c for the reader's view and glibc's sysdeps/generic/dl-cache.h):
 *
 *   0   "glibc-ld.so.cache" "1.1"
 *   20  u32 nlibs, u32 len_strings, u8 flags (byte order), u8 pad[3],
 *       u32 extension_offset, u32 unused[3]
 *   48  nlibs x { i32 flags; u32 key, value; u32 osversion; u64 hwcap; }
 *       string table (offsets count from byte 0 of the file)
 *       extension directory at a 4-byte boundary:
 *       { u32 magic; u32 count; count x { u32 tag, flags, offset, size } }
 *       then the generator string and the glibc-hwcaps array (u32 string
 *       offsets, 4-byte aligned).
 *
 * Entries from an existing cache are hostile input: every string is copied
 * and checked, identical strings are stored once (a hostile cache can point
 * a million entries at one 60 MiB string), duplicates are dropped through a
 * hash table (linear, whatever the input), and the image size is bounded.
 * Sorting uses a merge sort of our own: stable (equal entries keep their
 * priority order, which the loader relies on) and well defined even if a
 * comparison were inconsistent.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/macro.h"
#include "driver/ldcache-write.h"

#define NEW_MAGIC "glibc-ld.so.cache1.1"
#define HDR_SIZE 48u
#define ENTRY_SIZE 24u
#define EXT_MAGIC 0xEAA42174u /* (uint32_t)-358342284, glibc's cache_extension_magic */
#define EXT_TAG_GENERATOR 0u
#define EXT_TAG_GLIBC_HWCAPS 1u
#define HWCAP_EXTENSION (UINT64_C(1) << 62) /* DL_CACHE_HWCAP_EXTENSION */
#define NO_STR UINT32_MAX

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ENDIAN_FLAGS 0x02u
#else
#define ENDIAN_FLAGS 0x03u
#endif

#define FLAG_ELF 0x0001
#define FLAG_ELF_LIBC6 0x0003

struct went {
        uint32_t key, path; /* offsets into the string store */
        uint32_t subdir;    /* glibc-hwcaps subdirectory name, NO_STR for none */
        int32_t flags;
        uint64_t hwcap; /* legacy hwcap; 0 for glibc-hwcaps entries */
        unsigned bits;  /* popcount of hwcap, as ldconfig's bits_hwcap */
};

struct htab {
        uint32_t *slot; /* value + 1; 0 = empty */
        size_t cap;     /* power of two */
        size_t used;
};

struct ldcache_builder {
        struct went *e;
        size_t n, cap;
        char *strs; /* NUL-terminated strings, back to back: the future string table */
        size_t slen, scap;
        struct htab strtab; /* string offset by content */
        struct htab enttab; /* entry index by (key, path, flags, subdir, hwcap) */
};

int ldcache_libcmp(const char *p1, const char *p2)
{
        /* glibc's algorithm on plain char, as the loader compiled for this architecture sees it. */
        while (*p1 != '\0') {
                if (*p1 >= '0' && *p1 <= '9') {
                        long v1, v2;

                        if (!(*p2 >= '0' && *p2 <= '9'))
                                return 1;
                        v1 = *p1++ - '0';
                        v2 = *p2++ - '0';
                        /* Bounded: more than 18 digits would overflow a long; keys never have 10. */
                        for (int i = 0; *p1 >= '0' && *p1 <= '9'; i++, p1++)
                                if (i < 17)
                                        v1 = v1 * 10 + (*p1 - '0');
                        for (int i = 0; *p2 >= '0' && *p2 <= '9'; i++, p2++)
                                if (i < 17)
                                        v2 = v2 * 10 + (*p2 - '0');
                        if (v1 != v2)
                                return v1 < v2 ? -1 : 1;
                } else if (*p2 >= '0' && *p2 <= '9') {
                        return -1;
                } else if (*p1 != *p2) {
                        return *p1 - *p2;
                } else {
                        p1++;
                        p2++;
                }
        }
        return *p1 - *p2;
}

int32_t ldcache_flags_for_elf(int elf_class, uint16_t machine)
{
#if defined(__x86_64__) && !defined(__ILP32__)
        /* sysdeps/unix/sysv/linux/x86/readelflib.c: x86-64 objects are always libc6. */
        if (elf_class == 64 && machine == 62 /* EM_X86_64 */)
                return 0x0300 | FLAG_ELF_LIBC6;
        /*
         * i386: ldconfig says libc6 when the object needs libc.so.6 (all of
         * them in practice) and plain ELF otherwise; the i386 loader accepts
         * both, so libc6 is what we record.
         */
        if (elf_class == 32 && machine == 3 /* EM_386 */)
                return FLAG_ELF_LIBC6;
#elif defined(__aarch64__) && !defined(__ILP32__)
        if (elf_class == 64 && machine == 183 /* EM_AARCH64 */)
                return 0x0a00 | FLAG_ELF_LIBC6;
#elif defined(__powerpc64__)
        if (elf_class == 64 && machine == 21 /* EM_PPC64 */)
                return 0x0500 | FLAG_ELF_LIBC6;
#endif
        (void)elf_class;
        (void)machine;
        return 0;
}

/* FNV-1a, 64 bits. */
static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
        const unsigned char *c = p;

        for (size_t i = 0; i < n; i++) {
                h ^= c[i];
                h *= UINT64_C(0x100000001b3);
        }
        return h;
}

#define HASH_INIT UINT64_C(0xcbf29ce484222325)

static int htab_grow(struct htab *t, struct ldcache_builder *b,
                     uint64_t (*hash)(const struct ldcache_builder *, uint32_t))
{
        size_t ncap = t->cap ? t->cap * 2 : 64;
        uint32_t *ns = calloc(ncap, sizeof(*ns));

        if (ns == NULL)
                return -ENOMEM;
        for (size_t i = 0; i < t->cap; i++) {
                size_t j;

                if (t->slot[i] == 0)
                        continue;
                j = (size_t)hash(b, t->slot[i] - 1) & (ncap - 1);
                while (ns[j] != 0)
                        j = (j + 1) & (ncap - 1);
                ns[j] = t->slot[i];
        }
        free(t->slot);
        t->slot = ns;
        t->cap = ncap;
        return 0;
}

static uint64_t str_hash(const struct ldcache_builder *b, uint32_t off)
{
        const char *s = b->strs + off;

        return hash_bytes(HASH_INIT, s, strlen(s));
}

static uint64_t ent_hash(const struct ldcache_builder *b, uint32_t idx)
{
        const struct went *e = &b->e[idx];
        uint64_t h = HASH_INIT;

        h = hash_bytes(h, &e->key, sizeof(e->key));
        h = hash_bytes(h, &e->path, sizeof(e->path));
        h = hash_bytes(h, &e->subdir, sizeof(e->subdir));
        h = hash_bytes(h, &e->flags, sizeof(e->flags));
        return hash_bytes(h, &e->hwcap, sizeof(e->hwcap));
}

/* The offset of string s[0..len) in the store, added once. */
static int intern(struct ldcache_builder *b, const char *s, size_t len, uint32_t *ret,
                  struct nvcr_err *err)
{
        uint64_t h = hash_bytes(HASH_INIT, s, len);
        size_t j;

        if ((b->strtab.used + 1) * 2 > b->strtab.cap &&
            htab_grow(&b->strtab, b, str_hash) < 0)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        for (j = (size_t)h & (b->strtab.cap - 1); b->strtab.slot[j] != 0;
             j = (j + 1) & (b->strtab.cap - 1)) {
                const char *o = b->strs + b->strtab.slot[j] - 1;

                if (strncmp(o, s, len) == 0 && o[len] == '\0') {
                        *ret = b->strtab.slot[j] - 1;
                        return 0;
                }
        }
        if (b->slen + len + 1 > LDCACHE_WRITE_MAX)
                return nvcr_err_set(err, EFBIG, "ld.so.cache strings exceed %zu bytes",
                                    LDCACHE_WRITE_MAX);
        if (b->slen + len + 1 > b->scap) {
                size_t ncap = b->scap ? b->scap : 4096;
                char *ns;

                while (ncap < b->slen + len + 1)
                        ncap *= 2;
                ns = realloc(b->strs, ncap);
                if (ns == NULL)
                        return nvcr_err_set(err, ENOMEM, "out of memory");
                b->strs = ns;
                b->scap = ncap;
        }
        memcpy(b->strs + b->slen, s, len);
        b->strs[b->slen + len] = '\0';
        *ret = (uint32_t)b->slen;
        b->strtab.slot[j] = (uint32_t)b->slen + 1;
        b->strtab.used++;
        b->slen += len + 1;
        return 0;
}

int ldcache_builder_new(struct ldcache_builder **ret, struct nvcr_err *err)
{
        *ret = calloc(1, sizeof(**ret));
        return *ret ? 0 : nvcr_err_set(err, ENOMEM, "out of memory");
}

void ldcache_builder_free(struct ldcache_builder *b)
{
        if (b == NULL)
                return;
        free(b->e);
        free(b->strs);
        free(b->strtab.slot);
        free(b->enttab.slot);
        free(b);
}

size_t ldcache_builder_count(const struct ldcache_builder *b)
{
        return b->n;
}

/* A key the loader can look up and we can compare without overflow. */
static bool key_ok(const char *key, size_t len)
{
        size_t run = 0;

        if (len == 0 || len > LDCACHE_STR_MAX || strchr(key, '/') != NULL)
                return false;
        for (size_t i = 0; i < len; i++) {
                run = (key[i] >= '0' && key[i] <= '9') ? run + 1 : 0;
                if (run > 9)
                        return false;
        }
        return true;
}

/* "…/glibc-hwcaps/NAME/file": NAME, as ldconfig recorded it in the path. */
static bool hwcaps_subdir(const char *path, const char **name, size_t *len)
{
        static const char marker[] = "/glibc-hwcaps/";
        const char *p = strstr(path, marker), *end;

        if (p == NULL)
                return false;
        p += sizeof(marker) - 1;
        end = strchr(p, '/');
        if (end == NULL || end == p || strchr(end + 1, '/') != NULL || end[1] == '\0')
                return false;
        *name = p;
        *len = (size_t)(end - p);
        return true;
}

int ldcache_builder_add(struct ldcache_builder *b, const char *key, const char *path,
                        int32_t flags, uint64_t hwcap, struct nvcr_err *err)
{
        size_t klen = strlen(key), plen = strlen(path), j;
        struct went e = {.subdir = NO_STR, .flags = flags};
        int r;

        if (!key_ok(key, klen))
                return nvcr_err_set(err, EINVAL, "ld.so.cache: unusable key \"%.64s\"", key);
        if (path[0] != '/' || plen > LDCACHE_STR_MAX)
                return nvcr_err_set(err, EINVAL, "ld.so.cache: unusable path for %s", key);
        if ((hwcap >> 32) == (HWCAP_EXTENSION >> 32)) {
                const char *name;
                size_t nlen;

                if (!hwcaps_subdir(path, &name, &nlen))
                        return nvcr_err_set(err, EINVAL,
                                            "ld.so.cache: %s: glibc-hwcaps entry outside a "
                                            "glibc-hwcaps directory",
                                            path);
                r = intern(b, name, nlen, &e.subdir, err);
                if (r < 0)
                        return r;
        } else {
                e.hwcap = hwcap;
                e.bits = (unsigned)__builtin_popcountll(hwcap);
        }
        if ((r = intern(b, key, klen, &e.key, err)) < 0 ||
            (r = intern(b, path, plen, &e.path, err)) < 0)
                return r;
        if ((b->n + 1) * ENTRY_SIZE + HDR_SIZE > LDCACHE_WRITE_MAX)
                return nvcr_err_set(err, EFBIG, "ld.so.cache: too many entries");
        if (b->n == b->cap) {
                size_t ncap = b->cap ? b->cap * 2 : 256;
                struct went *ne = reallocarray(b->e, ncap, sizeof(*ne));

                if (ne == NULL)
                        return nvcr_err_set(err, ENOMEM, "out of memory");
                b->e = ne;
                b->cap = ncap;
        }
        b->e[b->n] = e;
        if ((b->enttab.used + 1) * 2 > b->enttab.cap &&
            htab_grow(&b->enttab, b, ent_hash) < 0)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        for (j = (size_t)ent_hash(b, (uint32_t)b->n) & (b->enttab.cap - 1);
             b->enttab.slot[j] != 0; j = (j + 1) & (b->enttab.cap - 1)) {
                const struct went *o = &b->e[b->enttab.slot[j] - 1];

                if (o->key == e.key && o->path == e.path && o->subdir == e.subdir &&
                    o->flags == e.flags && o->hwcap == e.hwcap)
                        return 1;
        }
        b->enttab.slot[j] = (uint32_t)b->n + 1;
        b->enttab.used++;
        b->n++;
        return 0;
}

int ldcache_builder_add_cache(struct ldcache_builder *b, const struct ldcache *c,
                              size_t *skipped, struct nvcr_err *err)
{
        size_t bad = 0;

        for (size_t i = 0; c != NULL && i < c->nentries; i++) {
                const struct ldcache_entry *e = &c->entries[i];
                struct nvcr_err ignored = {0};
                int r = ldcache_builder_add(b, e->name, e->path, e->flags, e->hwcap, &ignored);

                if (r == -EINVAL) {
                        bad++;
                        continue;
                }
                if (r < 0)
                        return nvcr_err_set(err, -r, "%s", ignored.msg);
        }
        if (skipped != NULL)
                *skipped = bad;
        return 0;
}

/* glibc's elf/cache.c compare(): < 0 when a comes first in the file. */
static int entry_cmp(const struct ldcache_builder *b, const struct went *a, const struct went *c)
{
        int res = ldcache_libcmp(b->strs + c->key, b->strs + a->key);

        if (res != 0)
                return res;
        if (a->flags != c->flags)
                return a->flags < c->flags ? 1 : -1;
        if ((a->subdir != NO_STR) != (c->subdir != NO_STR))
                return a->subdir != NO_STR ? -1 : 1;
        if (a->subdir != NO_STR && a->subdir != c->subdir) {
                res = strcmp(b->strs + a->subdir, b->strs + c->subdir);
                if (res != 0)
                        return res;
        }
        if (a->bits != c->bits)
                return c->bits > a->bits ? 1 : -1;
        if (a->hwcap != c->hwcap)
                return c->hwcap > a->hwcap ? 1 : -1;
        return 0;
}

/* Stable bottom-up merge sort of the index array v (n entries), tmp as scratch. */
static void sort_indices(const struct ldcache_builder *b, uint32_t *v, uint32_t *tmp, size_t n)
{
        for (size_t w = 1; w < n; w *= 2) {
                for (size_t lo = 0; lo < n; lo += 2 * w) {
                        size_t mid = lo + w < n ? lo + w : n;
                        size_t hi = lo + 2 * w < n ? lo + 2 * w : n;
                        size_t i = lo, j = mid, k = lo;

                        while (i < mid && j < hi)
                                tmp[k++] = entry_cmp(b, &b->e[v[j]], &b->e[v[i]]) < 0 ? v[j++]
                                                                                     : v[i++];
                        while (i < mid)
                                tmp[k++] = v[i++];
                        while (j < hi)
                                tmp[k++] = v[j++];
                }
                memcpy(v, tmp, n * sizeof(*v));
        }
}

static void put32(char *p, uint32_t v)
{
        memcpy(p, &v, sizeof(v));
}

static void put64(char *p, uint64_t v)
{
        memcpy(p, &v, sizeof(v));
}

static size_t align4(size_t v)
{
        return (v + 3u) & ~(size_t)3u;
}

int ldcache_builder_serialize(const struct ldcache_builder *b, const char *generator,
                              char **ret, size_t *ret_len, struct nvcr_err *err)
{
        _cleanup_free_ uint32_t *order = NULL, *tmp = NULL, *subdirs = NULL;
        _cleanup_free_ char *img = NULL;
        size_t nsub = 0, strings, ext, gen_off, gen_len, hw_off, total, nsect;
        char *sect;

        order = calloc(b->n + 1, sizeof(*order));
        tmp = calloc(b->n + 1, sizeof(*tmp));
        subdirs = calloc(b->n + 1, sizeof(*subdirs));
        if (order == NULL || tmp == NULL || subdirs == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < b->n; i++)
                order[i] = (uint32_t)i;
        sort_indices(b, order, tmp, b->n);

        /* The glibc-hwcaps subdirectories, in order of first use (few: linear search). */
        for (size_t i = 0; i < b->n; i++) {
                uint32_t s = b->e[order[i]].subdir;
                size_t k = 0;

                if (s == NO_STR)
                        continue;
                while (k < nsub && subdirs[k] != s)
                        k++;
                if (k == nsub)
                        subdirs[nsub++] = s;
        }

        strings = HDR_SIZE + b->n * ENTRY_SIZE;
        ext = align4(strings + b->slen);
        nsect = (generator ? 1u : 0u) + (nsub ? 1u : 0u);
        gen_off = ext + 8 + nsect * 16;
        gen_len = generator ? strlen(generator) : 0;
        hw_off = align4(gen_off + gen_len);
        total = nsect ? hw_off + nsub * 4 : strings + b->slen;
        if (total > LDCACHE_WRITE_MAX)
                return nvcr_err_set(err, EFBIG, "ld.so.cache would exceed %zu bytes",
                                    LDCACHE_WRITE_MAX);
        img = calloc(1, total);
        if (img == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");

        memcpy(img, NEW_MAGIC, strlen(NEW_MAGIC));
        put32(img + 20, (uint32_t)b->n);
        put32(img + 24, (uint32_t)b->slen);
        img[28] = (char)ENDIAN_FLAGS;
        put32(img + 32, nsect ? (uint32_t)ext : 0);
        for (size_t i = 0; i < b->n; i++) {
                const struct went *e = &b->e[order[i]];
                char *p = img + HDR_SIZE + i * ENTRY_SIZE;
                uint64_t hwcap = e->hwcap;

                if (e->subdir != NO_STR) {
                        uint32_t k = 0;

                        while (subdirs[k] != e->subdir)
                                k++;
                        hwcap = HWCAP_EXTENSION | k;
                }
                put32(p, (uint32_t)e->flags);
                put32(p + 4, (uint32_t)(strings + e->key));
                put32(p + 8, (uint32_t)(strings + e->path));
                put32(p + 12, 0); /* osversion: no longer written or checked by glibc */
                put64(p + 16, hwcap);
        }
        memcpy(img + strings, b->strs, b->slen);
        if (nsect) {
                put32(img + ext, EXT_MAGIC);
                put32(img + ext + 4, (uint32_t)nsect);
                sect = img + ext + 8;
                if (generator) {
                        put32(sect, EXT_TAG_GENERATOR);
                        put32(sect + 8, (uint32_t)gen_off);
                        put32(sect + 12, (uint32_t)gen_len);
                        memcpy(img + gen_off, generator, gen_len);
                        sect += 16;
                }
                if (nsub) {
                        put32(sect, EXT_TAG_GLIBC_HWCAPS);
                        put32(sect + 8, (uint32_t)hw_off);
                        put32(sect + 12, (uint32_t)(nsub * 4));
                        for (size_t k = 0; k < nsub; k++)
                                put32(img + hw_off + k * 4, (uint32_t)(strings + subdirs[k]));
                }
        }
        *ret = steal_ptr(&img);
        *ret_len = total;
        return 0;
}
