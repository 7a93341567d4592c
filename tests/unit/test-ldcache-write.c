/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the ld.so.cache writer: glibc's name comparison, round trips
 * through our reader, ldconfig's sort order (a cache written by the real
 * ldconfig, re-sorted by us, keeps its order), duplicates, hostile input
 * and glibc-hwcaps entries.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/macro.h"
#include "driver/ldcache-write.h"
#include "driver/ldcache.h"

#if defined(__x86_64__)
#define NATIVE_FLAGS 0x0303
#elif defined(__aarch64__)
#define NATIVE_FLAGS 0x0a03
#else
#define NATIVE_FLAGS 0x0503
#endif

static void test_libcmp(void **state)
{
        (void)state;
        assert_int_equal(ldcache_libcmp("libfoo.so.1", "libfoo.so.1"), 0);
        assert_true(ldcache_libcmp("libfoo.so.10", "libfoo.so.9") > 0);
        assert_true(ldcache_libcmp("libfoo.so.9", "libfoo.so.10") < 0);
        assert_true(ldcache_libcmp("libfoo.so.1", "libfoo.so") > 0);
        assert_true(ldcache_libcmp("libfoo.so", "libfoo.so.1") < 0);
        /* digits after any other character */
        assert_true(ldcache_libcmp("liba1", "libaz") > 0);
        assert_true(ldcache_libcmp("libb", "liba") > 0);
        /* leading zeros compare by value, as in glibc */
        assert_int_equal(ldcache_libcmp("lib01", "lib1"), 0);
        /* long digit runs stay defined */
        assert_true(ldcache_libcmp("lib99999999999999999999999", "lib1") > 0);
}

static char *serialize(struct ldcache_builder *b, size_t *len)
{
        struct nvcr_err err = {0};
        char *img = NULL;

        assert_int_equal(ldcache_builder_serialize(b, "test", &img, len, &err), 0);
        return img;
}

static struct ldcache *reparse(struct ldcache_builder *b)
{
        struct nvcr_err err = {0};
        struct ldcache *c = NULL;
        size_t len = 0;
        char *img = serialize(b, &len);

        assert_int_equal(ldcache_parse(img, len, &c, &err), 0);
        free(img);
        return c;
}

static void test_roundtrip_and_order(void **state)
{
        _cleanup_(ldcache_builder_freep) struct ldcache_builder *b = NULL;
        _cleanup_(ldcache_freep) struct ldcache *c = NULL;
        struct nvcr_err err = {0};

        (void)state;
        assert_int_equal(ldcache_builder_new(&b, &err), 0);
        /* priority order: the first entry of a key wins in the loader */
        assert_int_equal(ldcache_builder_add(b, "libcuda.so.1", "/compat/libcuda.so.1",
                                             NATIVE_FLAGS, 0, &err), 0);
        assert_int_equal(ldcache_builder_add(b, "libc.so.6", "/lib/libc.so.6", NATIVE_FLAGS, 0,
                                             &err), 0);
        assert_int_equal(ldcache_builder_add(b, "libcuda.so.1", "/drv/libcuda.so.1",
                                             NATIVE_FLAGS, 0, &err), 0);
        assert_int_equal(ldcache_builder_add(b, "libcuda.so.1", "/lib32/libcuda.so.1", 0x0003, 0,
                                             &err), 0);
        assert_int_equal(ldcache_builder_add(b, "libcuda.so", "/drv/libcuda.so", NATIVE_FLAGS, 0,
                                             &err), 0);
        assert_int_equal(ldcache_builder_add(b, "libz.so.1", "/lib/libz.so.1", NATIVE_FLAGS, 0,
                                             &err), 0);
        /* a duplicate is dropped, the earlier one stays */
        assert_int_equal(ldcache_builder_add(b, "libcuda.so.1", "/drv/libcuda.so.1",
                                             NATIVE_FLAGS, 0, &err), 1);
        assert_int_equal(ldcache_builder_count(b), 6);
        c = reparse(b);
        assert_int_equal(c->nentries, 6);
        /* descending by name; same name: flags descending, then priority order */
        assert_string_equal(c->entries[0].name, "libz.so.1");
        assert_string_equal(c->entries[1].path, "/compat/libcuda.so.1");
        assert_string_equal(c->entries[2].path, "/drv/libcuda.so.1");
        assert_string_equal(c->entries[3].path, "/lib32/libcuda.so.1");
        assert_int_equal(c->entries[3].flags, 0x0003);
        assert_string_equal(c->entries[4].name, "libcuda.so");
        assert_string_equal(c->entries[5].name, "libc.so.6");
        for (size_t i = 0; i + 1 < c->nentries; i++)
                assert_true(ldcache_libcmp(c->entries[i].name, c->entries[i + 1].name) >= 0);
}

static void test_unusable_entries(void **state)
{
        _cleanup_(ldcache_builder_freep) struct ldcache_builder *b = NULL;
        struct nvcr_err err = {0};
        char longkey[LDCACHE_STR_MAX + 8];

        (void)state;
        assert_int_equal(ldcache_builder_new(&b, &err), 0);
        assert_int_equal(ldcache_builder_add(b, "", "/x", NATIVE_FLAGS, 0, &err), -EINVAL);
        assert_int_equal(ldcache_builder_add(b, "../x.so", "/x", NATIVE_FLAGS, 0, &err), -EINVAL);
        assert_int_equal(ldcache_builder_add(b, "libx.so.12345678901", "/x", NATIVE_FLAGS, 0,
                                             &err),
                         -EINVAL);
        assert_int_equal(ldcache_builder_add(b, "libx.so.1", "relative", NATIVE_FLAGS, 0, &err),
                         -EINVAL);
        memset(longkey, 'a', sizeof(longkey) - 1);
        longkey[sizeof(longkey) - 1] = '\0';
        assert_int_equal(ldcache_builder_add(b, longkey, "/x", NATIVE_FLAGS, 0, &err), -EINVAL);
        /* a glibc-hwcaps reference needs its subdirectory in the path */
        assert_int_equal(ldcache_builder_add(b, "libx.so.1", "/lib/libx.so.1", NATIVE_FLAGS,
                                             UINT64_C(1) << 62, &err),
                         -EINVAL);
        assert_int_equal(ldcache_builder_count(b), 0);
}

static void test_hwcaps(void **state)
{
        _cleanup_(ldcache_builder_freep) struct ldcache_builder *b = NULL;
        _cleanup_(ldcache_freep) struct ldcache *c = NULL;
        struct nvcr_err err = {0};

        (void)state;
        assert_int_equal(ldcache_builder_new(&b, &err), 0);
        assert_int_equal(ldcache_builder_add(b, "libx.so.1", "/lib/libx.so.1", NATIVE_FLAGS, 0,
                                             &err), 0);
        assert_int_equal(ldcache_builder_add(b, "libx.so.1",
                                             "/lib/glibc-hwcaps/x86-64-v3/libx.so.1.2",
                                             NATIVE_FLAGS, (UINT64_C(1) << 62) | 7, &err), 0);
        assert_int_equal(ldcache_builder_add(b, "libx.so.1",
                                             "/lib/glibc-hwcaps/x86-64-v2/libx.so.1.2",
                                             NATIVE_FLAGS, (UINT64_C(1) << 62) | 3, &err), 0);
        c = reparse(b);
        assert_int_equal(c->nentries, 3);
        /* hwcaps entries first, by subdirectory name; indices renumbered */
        assert_string_equal(c->entries[0].path, "/lib/glibc-hwcaps/x86-64-v2/libx.so.1.2");
        assert_true((c->entries[0].hwcap >> 62) == 1);
        assert_string_equal(c->entries[1].path, "/lib/glibc-hwcaps/x86-64-v3/libx.so.1.2");
        assert_string_equal(c->entries[2].path, "/lib/libx.so.1");
        assert_int_equal(c->entries[2].hwcap, 0);
        assert_int_equal((uint32_t)c->entries[0].hwcap != (uint32_t)c->entries[1].hwcap, 1);
}

/* Hand-made old-format cache: n entries, all pointing at one long string. */
static char *hostile_cache(uint32_t n, size_t strlen_, size_t *len)
{
        size_t hdr = 16, ent = 12, size = hdr + n * ent + strlen_ + 1;
        char *p = calloc(1, size);

        assert_non_null(p);
        memcpy(p, "ld.so-1.7.0", 11);
        memcpy(p + 12, &n, 4);
        for (uint32_t i = 0; i < n; i++) {
                int32_t flags = NATIVE_FLAGS;
                uint32_t zero = 0;

                memcpy(p + hdr + i * ent, &flags, 4);
                memcpy(p + hdr + i * ent + 4, &zero, 4);
                memcpy(p + hdr + i * ent + 8, &zero, 4);
        }
        p[hdr + n * ent] = '/';
        memset(p + hdr + n * ent + 1, 'a', strlen_ - 1);
        *len = size;
        return p;
}

static void test_hostile_existing(void **state)
{
        _cleanup_(ldcache_builder_freep) struct ldcache_builder *b = NULL;
        _cleanup_(ldcache_freep) struct ldcache *old = NULL, *c = NULL;
        struct nvcr_err err = {0};
        size_t len = 0, skipped = 99;
        char *img = hostile_cache(100000, 4000, &len);

        (void)state;
        assert_int_equal(ldcache_parse(img, len, &old, &err), 0);
        free(img);
        assert_int_equal(ldcache_builder_new(&b, &err), 0);
        /* key "/aaaa…" has a '/': all 100000 unusable, nothing blows up */
        assert_int_equal(ldcache_builder_add_cache(b, old, &skipped, &err), 0);
        assert_int_equal(skipped, 100000);
        assert_int_equal(ldcache_builder_count(b), 0);
        c = reparse(b);
        assert_int_equal(c->nentries, 0);
}

static void test_many_duplicates(void **state)
{
        _cleanup_(ldcache_builder_freep) struct ldcache_builder *b = NULL;
        struct nvcr_err err = {0};
        size_t len = 0;
        char *img;

        (void)state;
        assert_int_equal(ldcache_builder_new(&b, &err), 0);
        for (int i = 0; i < 200000; i++)
                assert_true(ldcache_builder_add(b, "libsame.so.1", "/lib/libsame.so.1",
                                                NATIVE_FLAGS, 0, &err) >= 0);
        assert_int_equal(ldcache_builder_count(b), 1);
        img = serialize(b, &len);
        assert_true(len < 200);
        free(img);
}

/* The host's cache, written by the real ldconfig, keeps its order when we re-sort it. */
static void test_real_cache_order(void **state)
{
        _cleanup_(ldcache_builder_freep) struct ldcache_builder *b = NULL;
        _cleanup_(ldcache_freep) struct ldcache *host = NULL, *c = NULL;
        _cleanup_close_ int fd = open("/etc/ld.so.cache", O_RDONLY | O_CLOEXEC);
        struct nvcr_err err = {0};
        size_t skipped = 0;

        (void)state;
        if (fd < 0 || ldcache_load_fd(fd, &host, &err) < 0 || host->nentries == 0)
                skip();
        assert_int_equal(ldcache_builder_new(&b, &err), 0);
        /* add in reverse: the order must come from the sort, not from the input */
        for (size_t i = host->nentries; i-- > 0;) {
                const struct ldcache_entry *e = &host->entries[i];

                assert_true(ldcache_builder_add(b, e->name, e->path, e->flags, e->hwcap, &err) >=
                            0);
        }
        (void)skipped;
        c = reparse(b);
        assert_int_equal(c->nentries, host->nentries);
        for (size_t i = 0; i < c->nentries; i++) {
                int same_key = strcmp(c->entries[i].name, host->entries[i].name) == 0;

                if (!same_key)
                        fail_msg("entry %zu: %s, ldconfig has %s", i, c->entries[i].name,
                                 host->entries[i].name);
                assert_int_equal(c->entries[i].flags, host->entries[i].flags);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_libcmp),
                cmocka_unit_test(test_roundtrip_and_order),
                cmocka_unit_test(test_unusable_entries),
                cmocka_unit_test(test_hwcaps),
                cmocka_unit_test(test_hostile_existing),
                cmocka_unit_test(test_many_duplicates),
                cmocka_unit_test(test_real_cache_order),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
