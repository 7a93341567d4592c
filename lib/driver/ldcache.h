/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ld.so.cache parser: the new "glibc-ld.so.cache1.1" format, and the old
 * "ld.so-1.7.0" format (alone, or followed by a new section, which then wins).
 * The cache comes from the driver root, which may be a foreign tree, so the
 * parser bounds-checks every offset and never trusts a count.
 */
#ifndef NVCR_DRIVER_LDCACHE_H
#define NVCR_DRIVER_LDCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "nvcr.h"

/* Which word size of the native architecture an entry is for. */
enum ldcache_class {
        LDCACHE_NATIVE = 0, /* x86-64 on x86_64, aarch64 on aarch64, ppc64le on ppc64le */
        LDCACHE_COMPAT32,   /* i386 on x86_64, armhf on aarch64 (none on ppc64le) */
};

struct ldcache_entry {
        const char *name; /* the key, e.g. "libcuda.so.1" */
        const char *path; /* the value, e.g. "/usr/lib/x86_64-linux-gnu/libcuda.so.1" */
        int32_t flags;    /* glibc's flags: type in 0x00ff, architecture in 0xff00 */
        uint64_t hwcap;
};

struct ldcache {
        size_t nentries;
        struct ldcache_entry *entries; /* in cache order; strings point into `strings` */
        char *strings;
        size_t strings_len;
};

/* Parses a cache image of `len` bytes. Errors: -EINVAL "unsupported file format", "truncated …". */
int ldcache_parse(const void *buf, size_t len, struct ldcache **ret, struct nvcr_err *err);
/* Reads and parses the cache from an open fd (at most 64 MiB). */
int ldcache_load_fd(int fd, struct ldcache **ret, struct nvcr_err *err);
void ldcache_free(struct ldcache *c);
static inline void ldcache_freep(struct ldcache **c)
{
        ldcache_free(*c);
}

/*
 * True when `e` is an ELF library of the given class for the architecture we
 * were built for, and not a hwcap subdirectory entry (hwcap != 0).
 */
int ldcache_entry_matches(const struct ldcache_entry *e, enum ldcache_class cls);

/*
 * Iterates the entries of class `cls` whose name starts with `prefix`, in
 * cache order: start with *pos = 0; returns the next match and advances *pos,
 * or NULL when there is none left.
 */
const struct ldcache_entry *ldcache_next(const struct ldcache *c, const char *prefix,
                                         enum ldcache_class cls, size_t *pos);

#endif
