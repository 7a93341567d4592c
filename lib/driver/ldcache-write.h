/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ld.so.cache writer: builds a "glibc-ld.so.cache1.1" image (the format
 * ldcache.c reads, and the only one glibc's loader uses since 2.32) from
 * entries added in priority order. The loader binary-searches the entries,
 * so they are sorted exactly as glibc's ldconfig sorts them (elf/cache.c
 * compare(): key descending by _dl_cache_libcmp, then flags descending,
 * glibc-hwcaps entries first by subdirectory name, then legacy hwcap);
 * entries that compare equal keep the order in which they were added, as
 * ldconfig's sorted insertion does, and the loader takes the first usable
 * one. Used by the CDI hooks to update a container's cache in-process
 * instead of running ldconfig.
 */
#ifndef NVCR_DRIVER_LDCACHE_WRITE_H
#define NVCR_DRIVER_LDCACHE_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "driver/ldcache.h"
#include "nvcr.h"

/* The largest image we write (as large as the reader accepts). */
#define LDCACHE_WRITE_MAX ((size_t)64 << 20)
/* Longest key or path kept (ldconfig never makes longer ones). */
#define LDCACHE_STR_MAX 4096u

struct ldcache_builder;

/*
 * glibc's _dl_cache_libcmp: names compare character by character, except
 * that runs of digits compare by value (libfoo.so.10 > libfoo.so.9). Keys
 * with a digit run longer than 9 are refused by the builder, so the values
 * here never overflow (glibc's int arithmetic would).
 */
int ldcache_libcmp(const char *p1, const char *p2);

/*
 * The cache flags glibc's ldconfig gives an ELF shared object of this class
 * and machine on the architecture we were built for (x86-64: 0x0303, i386:
 * 0x0003; aarch64: 0x0a03); 0 for one the loader of this architecture
 * cannot use.
 */
int32_t ldcache_flags_for_elf(int elf_class, uint16_t machine);

int ldcache_builder_new(struct ldcache_builder **ret, struct nvcr_err *err);
void ldcache_builder_free(struct ldcache_builder *b);
static inline void ldcache_builder_freep(struct ldcache_builder **b)
{
        ldcache_builder_free(*b);
}

/*
 * Appends an entry (strings are copied). `hwcap` is the value of the cache
 * entry: 0, a legacy hwcap mask, or a glibc-hwcaps reference (bit 62 set;
 * the subdirectory name is then taken from ".../glibc-hwcaps/NAME/" in
 * `path`, as ldconfig put it there). Returns 0 when added, 1 when an equal
 * entry (key, path, flags, hwcap) is already there (the earlier one stays),
 * -EINVAL when the entry is unusable: an empty key or one with '/', a digit
 * run longer than 9, a key or path longer than LDCACHE_STR_MAX, a path not
 * absolute, a glibc-hwcaps reference without its subdirectory in the path.
 */
int ldcache_builder_add(struct ldcache_builder *b, const char *key, const char *path,
                        int32_t flags, uint64_t hwcap, struct nvcr_err *err);

/*
 * Appends the entries of a parsed (hostile) cache in their order, skipping
 * the unusable ones and the duplicates. *skipped (may be NULL) counts the
 * unusable ones.
 */
int ldcache_builder_add_cache(struct ldcache_builder *b, const struct ldcache *c,
                              size_t *skipped, struct nvcr_err *err);

size_t ldcache_builder_count(const struct ldcache_builder *b);

/*
 * The cache image: header, sorted entries, string table and the extension
 * directory (generator string `generator`, may be NULL; glibc-hwcaps
 * subdirectory names when an entry refers to one). -EFBIG when it would
 * exceed LDCACHE_WRITE_MAX. Caller frees *ret.
 */
int ldcache_builder_serialize(const struct ldcache_builder *b, const char *generator,
                              char **ret, size_t *ret_len, struct nvcr_err *err);

#endif
