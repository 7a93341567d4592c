/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ld.so.cache parser. The layouts, as glibc's ldconfig writes them in host
 * byte order (elf/cache.c, sysdeps/generic/dl-cache.h):
 *
 *   old  "ld.so-1.7.0" pad u32 nlibs, then nlibs × { i32 flags; u32 key, value; }
 *        key and value count from the first byte after the entries.
 *   new  "glibc-ld.so.cache" "1.1" u32 nlibs u32 len_strings u8 flags u8 pad[3]
 *        u32 extension_offset u32 unused[3] (48 bytes), then nlibs ×
 *        { i32 flags; u32 key, value; u32 osversion; u64 hwcap; } (24 bytes)
 *        key and value count from the first byte of the new header.
 *
 * "ldconfig -c compat" writes the old layout and hides a new one at the start
 * of the old string table, at the next 8-byte boundary; as in ld.so, the new
 * section wins when it is there.
 *
 * The parser copies the whole image once and points the entries into the
 * copy. A string is valid when its offset lies inside the image and a NUL
 * follows it inside the image; a single scan for the last NUL makes that an
 * O(1) check, so a hostile cache cannot make parsing quadratic.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/fileio.h"
#include "core/macro.h"
#include "driver/ldcache.h"

#define OLD_MAGIC "ld.so-1.7.0"
#define OLD_NLIBS_OFF 12u /* char magic[11], then the u32 aligned to 4 */
#define OLD_HDR_SIZE 16u
#define OLD_ENTRY_SIZE 12u

#define NEW_MAGIC "glibc-ld.so.cache"
#define NEW_VERSION "1.1"
#define NEW_VERSION_OFF 17u
#define NEW_NLIBS_OFF 20u
#define NEW_FLAGS_OFF 28u
#define NEW_HDR_SIZE 48u
#define NEW_ENTRY_SIZE 24u
#define NEW_HWCAP_OFF 16u
#define NEW_ALIGN 8u /* __alignof__(struct cache_file_new): the u64 hwcap of its entries */

#define MAX_CACHE_SIZE ((size_t)64 << 20)

/* Byte order recorded in the flags of the new header (glibc 2.32+; older ones leave 0). */
#define ENDIAN_MASK 0x03u
#define ENDIAN_UNSET 0x00u
#define ENDIAN_LITTLE 0x02u
#define ENDIAN_BIG 0x03u
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ENDIAN_HOST ENDIAN_LITTLE
#else
#define ENDIAN_HOST ENDIAN_BIG
#endif

#define FLAG_TYPE_MASK 0x00ff
#define FLAG_ELF 0x0001
#define FLAG_ELF_LIBC6 0x0003
#define FLAG_ARCH_MASK 0xff00

/* The architecture field (flags & 0xff00) of each class; ARCH_NONE: the class does not exist. */
#define ARCH_NONE (-1)
#if defined(__x86_64__) && !defined(__ILP32__)
#define ARCH_NATIVE 0x0300   /* FLAG_X8664_LIB64 */
#define ARCH_COMPAT32 0x0000 /* i386 has no architecture flag */
#elif defined(__aarch64__) && !defined(__ILP32__)
#define ARCH_NATIVE 0x0a00   /* FLAG_AARCH64_LIB64 */
#define ARCH_COMPAT32 0x0900 /* FLAG_ARM_LIBHF */
#elif defined(__powerpc64__)
#define ARCH_NATIVE 0x0500 /* FLAG_POWERPC_LIB64 */
#define ARCH_COMPAT32 ARCH_NONE
#else
#error "ldcache: unsupported architecture"
#endif

/* Where the entries of the section in use lie, and what their offsets count from. */
struct layout {
        size_t entries;
        size_t nlibs;
        size_t entry_size;
        size_t strings;
        bool is_new;
};

static uint32_t rd32(const char *p)
{
        uint32_t v;

        memcpy(&v, p, sizeof(v));
        return v;
}

static int32_t rd_i32(const char *p)
{
        int32_t v;

        memcpy(&v, p, sizeof(v));
        return v;
}

static uint64_t rd64(const char *p)
{
        uint64_t v;

        memcpy(&v, p, sizeof(v));
        return v;
}

/* True when the first min(len, strlen(magic)) bytes are the magic's. */
static bool starts_like(const char *p, size_t len, const char *magic)
{
        size_t n = strlen(magic);

        return memcmp(p, magic, len < n ? len : n) == 0;
}

static int truncated_header(size_t len, size_t need, struct nvcr_err *err)
{
        return nvcr_err_set(err, EINVAL, "truncated cache header (file has %zu bytes, needs %zu)",
                            len, need);
}

/* The nlibs entries of entry_size bytes from `start` must fit in the file. */
static int check_entries(size_t len, size_t start, uint32_t nlibs, size_t entry_size,
                         struct nvcr_err *err)
{
        uint64_t need = (uint64_t)start + (uint64_t)nlibs * entry_size;

        if (need > len)
                return nvcr_err_set(err, EINVAL,
                                    "truncated cache (%" PRIu32 " entries need %" PRIu64
                                    " bytes, file has %zu)",
                                    nlibs, need, len);
        return 0;
}

/* The new header at `base` (0, or inside the old string table). */
static int new_layout(const char *p, size_t len, size_t base, struct layout *lay,
                      struct nvcr_err *err)
{
        unsigned endian;
        uint32_t nlibs;
        int r;

        if (len - base < NEW_HDR_SIZE)
                return truncated_header(len, base + NEW_HDR_SIZE, err);
        if (memcmp(p + base + NEW_VERSION_OFF, NEW_VERSION, strlen(NEW_VERSION)) != 0)
                return nvcr_err_set(err, EINVAL,
                                    "unsupported file format (cache version is not " NEW_VERSION
                                    ")");
        endian = (unsigned char)p[base + NEW_FLAGS_OFF] & ENDIAN_MASK;
        if (endian != ENDIAN_UNSET && endian != ENDIAN_HOST)
                return nvcr_err_set(err, EINVAL, "unsupported byte order (cache flags 0x%02x)",
                                    (unsigned char)p[base + NEW_FLAGS_OFF]);
        nlibs = rd32(p + base + NEW_NLIBS_OFF);
        r = check_entries(len, base + NEW_HDR_SIZE, nlibs, NEW_ENTRY_SIZE, err);
        if (r < 0)
                return r;
        *lay = (struct layout){ .entries = base + NEW_HDR_SIZE,
                                .nlibs = nlibs,
                                .entry_size = NEW_ENTRY_SIZE,
                                .strings = base,
                                .is_new = true };
        return 0;
}

/*
 * An old header, followed either by its string table alone or by a new
 * section. As ld.so does, the new section is used only when its full magic
 * and version are there; a partial one leaves the old section in use.
 */
static int old_layout(const char *p, size_t len, struct layout *lay, struct nvcr_err *err)
{
        size_t magic_len = strlen(NEW_MAGIC NEW_VERSION);
        size_t end, base;
        uint32_t nlibs;
        int r;

        if (len < OLD_HDR_SIZE)
                return truncated_header(len, OLD_HDR_SIZE, err);
        nlibs = rd32(p + OLD_NLIBS_OFF);
        r = check_entries(len, OLD_HDR_SIZE, nlibs, OLD_ENTRY_SIZE, err);
        if (r < 0)
                return r;
        end = OLD_HDR_SIZE + (size_t)nlibs * OLD_ENTRY_SIZE;
        base = (end + NEW_ALIGN - 1) & ~(size_t)(NEW_ALIGN - 1);
        if (base <= len && len - base >= magic_len &&
            memcmp(p + base, NEW_MAGIC NEW_VERSION, magic_len) == 0)
                return new_layout(p, len, base, lay, err);
        *lay = (struct layout){ .entries = OLD_HDR_SIZE,
                                .nlibs = nlibs,
                                .entry_size = OLD_ENTRY_SIZE,
                                .strings = end,
                                .is_new = false };
        return 0;
}

static int detect_layout(const char *p, size_t len, struct layout *lay, struct nvcr_err *err)
{
        if (len == 0)
                return nvcr_err_set(err, EINVAL, "unsupported file format (empty file)");
        if (starts_like(p, len, OLD_MAGIC))
                return old_layout(p, len, lay, err);
        if (starts_like(p, len, NEW_MAGIC))
                return new_layout(p, len, 0, lay, err);
        return nvcr_err_set(err, EINVAL, "unsupported file format");
}

/* Offset just past the last NUL of the image, 0 when it has none. */
static size_t nul_limit(const char *p, size_t len)
{
        while (len > 0 && p[len - 1] != '\0')
                len--;
        return len;
}

/*
 * Resolves a key or value offset. It must lie inside the image, and before
 * its last NUL (nul_end), so that the string ends inside the image.
 */
static int resolve(const struct ldcache *c, size_t base, size_t nul_end, uint32_t off, size_t idx,
                   const char *what, const char **ret, struct nvcr_err *err)
{
        size_t pos;

        if (off >= c->strings_len - base)
                return nvcr_err_set(err, EINVAL,
                                    "entry %zu: %s offset 0x%" PRIx32
                                    " out of bounds (file has %zu bytes)",
                                    idx, what, off, c->strings_len);
        pos = base + off;
        if (pos >= nul_end)
                return nvcr_err_set(err, EINVAL, "entry %zu: %s at 0x%zx is not NUL-terminated",
                                    idx, what, pos);
        *ret = c->strings + pos;
        return 0;
}

static int parse_entries(struct ldcache *c, const struct layout *lay, struct nvcr_err *err)
{
        size_t nul_end = nul_limit(c->strings, c->strings_len);

        for (size_t i = 0; i < lay->nlibs; i++) {
                const char *raw = c->strings + lay->entries + i * lay->entry_size;
                struct ldcache_entry *e = &c->entries[i];
                int r;

                e->flags = rd_i32(raw);
                e->hwcap = lay->is_new ? rd64(raw + NEW_HWCAP_OFF) : 0;
                r = resolve(c, lay->strings, nul_end, rd32(raw + 4), i, "name", &e->name, err);
                if (r < 0)
                        return r;
                r = resolve(c, lay->strings, nul_end, rd32(raw + 8), i, "path", &e->path, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Parses the heap image *image of len bytes, taking it over on success. */
static int parse_image(char **image, size_t len, struct ldcache **ret, struct nvcr_err *err)
{
        _cleanup_(ldcache_freep) struct ldcache *c = NULL;
        struct layout lay;
        int r;

        r = detect_layout(*image, len, &lay, err);
        if (r < 0)
                return r;
        c = calloc(1, sizeof(*c));
        if (c == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        c->strings = steal_ptr(image);
        c->strings_len = len;
        /* nlibs is bounded by the file size: check_entries() saw them all fit */
        c->entries = calloc(lay.nlibs > 0 ? lay.nlibs : 1, sizeof(*c->entries));
        if (c->entries == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        c->nentries = lay.nlibs;
        r = parse_entries(c, &lay, err);
        if (r < 0)
                return r;
        *ret = steal_ptr(&c);
        return 0;
}

int ldcache_parse(const void *buf, size_t len, struct ldcache **ret, struct nvcr_err *err)
{
        _cleanup_free_ char *image = NULL;

        if (len == 0)
                return nvcr_err_set(err, EINVAL, "unsupported file format (empty file)");
        image = malloc(len);
        if (image == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        memcpy(image, buf, len);
        return parse_image(&image, len, ret, err);
}

int ldcache_load_fd(int fd, struct ldcache **ret, struct nvcr_err *err)
{
        _cleanup_free_ char *image = NULL;
        size_t len = 0;
        int r;

        r = read_fd_all(fd, MAX_CACHE_SIZE, &image, &len, err);
        if (r < 0)
                return r;
        return parse_image(&image, len, ret, err);
}

void ldcache_free(struct ldcache *c)
{
        if (c == NULL)
                return;
        free(c->entries);
        free(c->strings);
        free(c);
}

static int class_arch(enum ldcache_class cls)
{
        switch (cls) {
        case LDCACHE_NATIVE:
                return ARCH_NATIVE;
        case LDCACHE_COMPAT32:
                return ARCH_COMPAT32;
        default:
                return ARCH_NONE;
        }
}

/*
 * Entries of glibc-hwcaps subdirectories carry hwcap != 0 in the new format
 * only: the old format lists them too, with nothing to tell them apart but
 * their directory, and sorts them before the baseline library of the same
 * name. Their path gives them away in both formats.
 */
static bool is_hwcap_entry(const struct ldcache_entry *e)
{
        return e->hwcap != 0 || (e->path != NULL && strstr(e->path, "/glibc-hwcaps/") != NULL);
}

int ldcache_entry_matches(const struct ldcache_entry *e, enum ldcache_class cls)
{
        int type = e->flags & FLAG_TYPE_MASK;
        int arch = class_arch(cls);

        if (arch == ARCH_NONE || is_hwcap_entry(e))
                return 0;
        if (type != FLAG_ELF_LIBC6 && type != FLAG_ELF)
                return 0;
        return (e->flags & FLAG_ARCH_MASK) == arch;
}

const struct ldcache_entry *ldcache_next(const struct ldcache *c, const char *prefix,
                                         enum ldcache_class cls, size_t *pos)
{
        size_t plen;

        if (c == NULL || pos == NULL)
                return NULL;
        if (prefix == NULL)
                prefix = "";
        plen = strlen(prefix);
        while (*pos < c->nentries) {
                const struct ldcache_entry *e = &c->entries[(*pos)++];

                if (strncmp(e->name, prefix, plen) == 0 && ldcache_entry_matches(e, cls))
                        return e;
        }
        return NULL;
}
