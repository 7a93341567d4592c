/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the ld.so.cache parser: caches written by the real ldconfig
 * (NVCR_LDCACHE_DATA, made by tests/unit/ldcache-data.sh), their corrupt
 * variants, and buffers built here byte by byte.
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

#include "core/fileio.h"
#include "core/macro.h"
#include "driver/ldcache.h"

#define LIB64 "/usr/lib/x86_64-linux-gnu"
#define LIB32 "/usr/lib/i386-linux-gnu"
#define LIBX32 "/usr/libx32"
#define HWCAP_V3 LIB64 "/glibc-hwcaps/x86-64-v3/libcuda.so.580.1.2"

/* Flags of the two classes on the machine the tests run on, for hand-built caches. */
#if defined(__x86_64__)
#define NATIVE_FLAGS 0x0303
#define COMPAT_FLAGS 0x0003
#elif defined(__aarch64__)
#define NATIVE_FLAGS 0x0a03
#define COMPAT_FLAGS 0x0903
#else
#define NATIVE_FLAGS 0x0503
#define COMPAT_FLAGS 0x0003 /* no 32-bit class there: matches nothing */
#endif

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HOST_ENDIAN_FLAG 2
#define OTHER_ENDIAN_FLAG 3
#else
#define HOST_ENDIAN_FLAG 3
#define OTHER_ENDIAN_FLAG 2
#endif

/* ------------------------------------------------------------------ helpers */

static void cachep(struct ldcache **c)
{
        ldcache_free(*c);
}

#define _cleanup_cache_ _cleanup_(cachep)

/* The files of ldcache-data.sh describe an x86-64 host. */
static void require_x86_64(void)
{
#if !defined(__x86_64__)
        skip();
#endif
}

static const char *data_dir(void)
{
        const char *d = getenv("NVCR_LDCACHE_DATA");

        if (d == NULL || *d == '\0')
                fail_msg("NVCR_LDCACHE_DATA is not set: run tests/unit/ldcache-data.sh OUTDIR "
                         "and export NVCR_LDCACHE_DATA=OUTDIR");
        return d != NULL ? d : "";
}

static int load(const char *name, struct ldcache **ret, struct nvcr_err *err)
{
        _cleanup_close_ int fd = -EBADF;
        char path[4096];

        (void)snprintf(path, sizeof(path), "%s/%s", data_dir(), name);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                fail_msg("open %s: %s (run tests/unit/ldcache-data.sh first)", path,
                         strerror(errno));
        return ldcache_load_fd(fd, ret, err);
}

static struct ldcache *load_ok(const char *name)
{
        struct nvcr_err err = { 0 };
        struct ldcache *c = NULL;
        int r = load(name, &c, &err);

        if (r < 0)
                fail_msg("%s: %d %s", name, r, err.msg);
        assert_non_null(c);
        return c;
}

static char *read_data(const char *name, size_t *len)
{
        struct nvcr_err err = { 0 };
        char path[4096];
        char *buf = NULL;

        (void)snprintf(path, sizeof(path), "%s/%s", data_dir(), name);
        if (read_file_at(AT_FDCWD, path, 1 << 20, &buf, len, &err) < 0)
                fail_msg("%s", err.msg);
        return buf;
}

/* The path of the first entry of class `cls` named exactly `name`. */
static const char *lookup(const struct ldcache *c, const char *name, enum ldcache_class cls)
{
        const struct ldcache_entry *e;
        size_t pos = 0;

        while ((e = ldcache_next(c, name, cls, &pos)) != NULL)
                if (strcmp(e->name, name) == 0)
                        return e->path;
        return NULL;
}

/* The entry with this path, whatever its class. */
static const struct ldcache_entry *by_path(const struct ldcache *c, const char *path)
{
        for (size_t i = 0; i < c->nentries; i++)
                if (strcmp(c->entries[i].path, path) == 0)
                        return &c->entries[i];
        fail_msg("no entry for %s", path);
        return NULL;
}

static int32_t flags_of(const struct ldcache *c, const char *path)
{
        const struct ldcache_entry *e = by_path(c, path);

        return e != NULL ? e->flags : -1;
}

/* Every entry of the class lies in `dir`, and there are `count` of them. */
static void check_class(const struct ldcache *c, enum ldcache_class cls, const char *dir,
                        size_t count)
{
        const struct ldcache_entry *e;
        size_t pos = 0, n = 0;

        while ((e = ldcache_next(c, "", cls, &pos)) != NULL) {
                assert_int_equal(strncmp(e->path, dir, strlen(dir)), 0);
                assert_int_equal(e->path[strlen(dir)], '/');
                assert_null(strchr(e->path + strlen(dir) + 1, '/'));
                n++;
        }
        assert_int_equal(n, count);
}

/* What every cache ldcache-data.sh made from its tree must give. */
static void check_fixture(const struct ldcache *c)
{
        assert_int_equal(c->nentries, 8);
        assert_string_equal(lookup(c, "libcuda.so.1", LDCACHE_NATIVE), LIB64 "/libcuda.so.1");
        assert_string_equal(lookup(c, "libcuda.so.1", LDCACHE_COMPAT32), LIB32 "/libcuda.so.1");
        assert_string_equal(lookup(c, "libnvidia-ml.so.1", LDCACHE_NATIVE),
                            LIB64 "/libnvidia-ml.so.1");
        /* FLAG_ELF (no DT_NEEDED libc.so.6) is accepted, as i386 ld.so does */
        assert_string_equal(lookup(c, "libnvidia-ml.so.1", LDCACHE_COMPAT32),
                            LIB32 "/libnvidia-ml.so.1");
        assert_string_equal(lookup(c, "libz.so.1", LDCACHE_NATIVE), LIB64 "/libz.so.1");
        assert_null(lookup(c, "libz.so.1", LDCACHE_COMPAT32));
        assert_null(lookup(c, "libcuda.so", LDCACHE_NATIVE));

        assert_int_equal(flags_of(c, LIB64 "/libcuda.so.1"), 0x0303);
        assert_int_equal(flags_of(c, LIB32 "/libcuda.so.1"), 0x0003);
        assert_int_equal(flags_of(c, LIB32 "/libnvidia-ml.so.1"), 0x0001);
        assert_int_equal(flags_of(c, LIBX32 "/libcuda.so.1"), 0x0803);
        assert_int_equal(flags_of(c, HWCAP_V3), 0x0303);

        check_class(c, LDCACHE_NATIVE, LIB64, 4);
        check_class(c, LDCACHE_COMPAT32, LIB32, 2);
}

static void expect_error(int r, const struct nvcr_err *err, int code, const char *substr)
{
        assert_int_equal(r, -code);
        assert_int_equal(err->code, code);
        if (strstr(err->msg, substr) == NULL)
                fail_msg("message \"%s\" lacks \"%s\"", err->msg, substr);
}

/* ------------------------------------------------------ hand-built caches */

struct fake {
        int32_t flags;
        const char *name;
        const char *path;
        uint64_t hwcap;
};

static void put32(unsigned char *p, uint32_t v)
{
        memcpy(p, &v, sizeof(v));
}

static void put64(unsigned char *p, uint64_t v)
{
        memcpy(p, &v, sizeof(v));
}

static size_t put_str(unsigned char *base, size_t off, const char *s)
{
        memcpy(base + off, s, strlen(s) + 1);
        return off + strlen(s) + 1;
}

/* A new-format section at `h`, strings after its entries; returns its size. */
static size_t put_new(unsigned char *h, const struct fake *f, uint32_t n)
{
        size_t str = 48 + (size_t)n * 24;

        memset(h, 0, str);
        memcpy(h, "glibc-ld.so.cache1.1", 20);
        put32(h + 20, n);
        h[28] = HOST_ENDIAN_FLAG;
        for (uint32_t i = 0; i < n; i++) {
                unsigned char *e = h + 48 + (size_t)i * 24;

                put32(e, (uint32_t)f[i].flags);
                put32(e + 4, (uint32_t)str);
                str = put_str(h, str, f[i].name);
                put32(e + 8, (uint32_t)str);
                str = put_str(h, str, f[i].path);
                put64(e + 16, f[i].hwcap);
        }
        put32(h + 24, (uint32_t)(str - 48 - (size_t)n * 24));
        return str;
}

/*
 * An old-format cache; with `hidden` (n entries), a new section at the next
 * 8-byte boundary after the old entries, as ldconfig -c compat writes it.
 */
static size_t put_old(unsigned char *buf, const struct fake *f, uint32_t n,
                      const struct fake *hidden)
{
        size_t strings = 16 + (size_t)n * 12;
        size_t str = strings;

        memset(buf, 0, strings);
        memcpy(buf, "ld.so-1.7.0", 11);
        put32(buf + 12, n);
        if (hidden != NULL) {
                str = (strings + 7) & ~(size_t)7;
                memset(buf + strings, 0, str - strings);
                str += put_new(buf + str, hidden, n);
        }
        for (uint32_t i = 0; i < n; i++) {
                unsigned char *e = buf + 16 + (size_t)i * 12;

                put32(e, (uint32_t)f[i].flags);
                put32(e + 4, (uint32_t)(str - strings));
                str = put_str(buf, str, f[i].name);
                put32(e + 8, (uint32_t)(str - strings));
                str = put_str(buf, str, f[i].path);
        }
        return str;
}

static const struct fake two[] = {
        { NATIVE_FLAGS, "libcuda.so.1", "/new/lib64/libcuda.so.1", 0 },
        { COMPAT_FLAGS, "libcuda.so.1", "/new/lib32/libcuda.so.1", 0 },
};

static const struct fake two_old[] = {
        { NATIVE_FLAGS, "libcuda.so.1", "/old/lib64/libcuda.so.1", 0 },
        { COMPAT_FLAGS, "libcuda.so.1", "/old/lib32/libcuda.so.1", 0 },
};

static int parse(const unsigned char *buf, size_t len, struct ldcache **c, struct nvcr_err *err)
{
        return ldcache_parse(buf, len, c, err);
}

/* ------------------------------------------------------- real ldconfig data */

static void test_new_format(void **state)
{
        _cleanup_cache_ struct ldcache *c = NULL;
        const struct ldcache_entry *hw;

        (void)state;
        require_x86_64();
        c = load_ok("new.cache");
        check_fixture(c);
        hw = by_path(c, HWCAP_V3);
        assert_non_null(hw);
        assert_true(hw->hwcap != 0);
}

static void test_compat_format(void **state)
{
        _cleanup_cache_ struct ldcache *c = NULL;
        const struct ldcache_entry *hw;

        (void)state;
        require_x86_64();
        c = load_ok("compat.cache");
        check_fixture(c);
        /* the hidden new section was used: it alone records hwcap */
        hw = by_path(c, HWCAP_V3);
        assert_non_null(hw);
        assert_true(hw->hwcap != 0);
}

static void test_old_format(void **state)
{
        const char *files[] = { "old.cache", "compat-oldonly.cache" };

        (void)state;
        require_x86_64();
        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                _cleanup_cache_ struct ldcache *c = load_ok(files[i]);

                for (size_t j = 0; j < c->nentries; j++)
                        assert_int_equal(c->entries[j].hwcap, 0);
                /* the hwcaps entry is listed, sorted before libcuda.so.1, and must be skipped */
                assert_false(ldcache_entry_matches(by_path(c, HWCAP_V3), LDCACHE_NATIVE));
                check_fixture(c);
        }
}

static void test_prefix_order(void **state)
{
        static const char *const expected[] = {
                "libz.so.1", "libnvidia-ml.so.1", "libcudadebugger.so.1", "libcuda.so.1"
        };
        _cleanup_cache_ struct ldcache *c = NULL;
        const struct ldcache_entry *e;
        size_t pos = 0, last = 0, n = 0;

        (void)state;
        require_x86_64();
        c = load_ok("new.cache");
        while ((e = ldcache_next(c, "libcuda", LDCACHE_NATIVE, &pos)) != NULL) {
                assert_true(pos > last);
                assert_ptr_equal(e, &c->entries[pos - 1]);
                last = pos;
                assert_string_equal(e->name, n == 0 ? "libcudadebugger.so.1" : "libcuda.so.1");
                n++;
        }
        assert_int_equal(n, 2);
        assert_int_equal(pos, c->nentries);
        assert_null(ldcache_next(c, "libcuda", LDCACHE_NATIVE, &pos));

        /* NULL and "" both match everything, in cache order */
        pos = 0;
        for (n = 0; (e = ldcache_next(c, NULL, LDCACHE_NATIVE, &pos)) != NULL; n++) {
                assert_true(n < ARRAY_SIZE(expected));
                assert_string_equal(e->name, expected[n]);
        }
        assert_int_equal(n, ARRAY_SIZE(expected));

        pos = 0;
        assert_null(ldcache_next(c, "libnothere", LDCACHE_NATIVE, &pos));
        assert_int_equal(pos, c->nentries);
        pos = 0;
        e = ldcache_next(c, "libcuda.so.1", LDCACHE_COMPAT32, &pos);
        assert_non_null(e);
        assert_string_equal(e->path, LIB32 "/libcuda.so.1");
        assert_null(ldcache_next(c, "libcuda.so.1", LDCACHE_COMPAT32, &pos));
        assert_null(ldcache_next(NULL, "lib", LDCACHE_NATIVE, &pos));
}

static void test_hwcap_skipped(void **state)
{
        _cleanup_cache_ struct ldcache *c = NULL;
        const struct ldcache_entry *e;
        size_t pos = 0, nhw = 0;

        (void)state;
        require_x86_64();
        c = load_ok("new.cache");
        for (size_t i = 0; i < c->nentries; i++) {
                if (c->entries[i].hwcap == 0)
                        continue;
                nhw++;
                assert_false(ldcache_entry_matches(&c->entries[i], LDCACHE_NATIVE));
                assert_false(ldcache_entry_matches(&c->entries[i], LDCACHE_COMPAT32));
        }
        assert_int_equal(nhw, 1);
        while ((e = ldcache_next(c, "libcuda.so.1", LDCACHE_NATIVE, &pos)) != NULL)
                assert_int_equal(e->hwcap, 0);
}

struct bad_case {
        const char *file;
        const char *msg;
};

static const struct bad_case bad_cases[] = {
        { "bad/empty.cache", "unsupported file format (empty file)" },
        { "bad/short-magic.cache", "truncated cache header (file has 10 bytes, needs 48)" },
        { "bad/bad-magic.cache", "unsupported file format" },
        { "bad/bad-version.cache", "cache version is not 1.1" },
        { "bad/new-big-endian.cache", "unsupported byte order" },
        { "bad/new-cut-header.cache", "truncated cache header (file has 30 bytes, needs 48)" },
        { "bad/new-header-only.cache", "truncated cache (8 entries need 240 bytes, file has 48)" },
        { "bad/new-cut-entries.cache",
          "truncated cache (8 entries need 240 bytes, file has 106)" },
        { "bad/new-cut-strings.cache", "entry 0: name offset 0x" },
        { "bad/new-no-nul.cache", "is not NUL-terminated" },
        { "bad/new-nlibs-huge.cache", "(4294967295 entries need 103079215128 bytes, file has" },
        { "bad/new-name-oob.cache", "entry 1: name offset 0x7fffffff out of bounds" },
        { "bad/new-path-oob.cache", "entry 2: path offset 0x" },
        { "bad/compat-cut-old.cache", "truncated cache (8 entries need 112 bytes, file has 33)" },
        { "bad/compat-cut-new-header.cache", "truncated cache header" },
        { "bad/compat-cut-new-entries.cache", "truncated cache (8 entries need" },
        { "bad/compat-nlibs-huge.cache", "(2147483647 entries need 25769803780 bytes" },
        { "bad/compat-new-nlibs-huge.cache", "(4294967295 entries need" },
        { "bad/old-cut-entries.cache", "truncated cache (8 entries need 112 bytes, file has 56)" },
        { "bad/old-cut-strings.cache", "entry 0: " },
        { "bad/old-nlibs-huge.cache", "(4294967295 entries need 51539607556 bytes" },
        { "bad/old-name-oob.cache", "entry 0: name offset 0xffffffff out of bounds" },
};

static void test_corrupt_files(void **state)
{
        (void)state;
        require_x86_64();
        for (size_t i = 0; i < ARRAY_SIZE(bad_cases); i++) {
                struct nvcr_err err = { 0 };
                struct ldcache *c = NULL;
                int r = load(bad_cases[i].file, &c, &err);

                if (r != -EINVAL || strstr(err.msg, bad_cases[i].msg) == NULL)
                        fail_msg("%s: got %d \"%s\", want -EINVAL \"%s\"", bad_cases[i].file, r,
                                 err.msg, bad_cases[i].msg);
                assert_null(c);
        }
}

/* Every string of a parsed cache lies, NUL included, inside its image. */
static void check_inside(const struct ldcache *c)
{
        const char *end = c->strings + c->strings_len;

        for (size_t i = 0; i < c->nentries; i++) {
                const char *s[] = { c->entries[i].name, c->entries[i].path };

                for (size_t j = 0; j < ARRAY_SIZE(s); j++) {
                        assert_true(s[j] >= c->strings && s[j] < end);
                        assert_non_null(memchr(s[j], '\0', (size_t)(end - s[j])));
                }
        }
}

/*
 * Every prefix of a real cache shorter than its string table is rejected;
 * the rest (cut in the extension data) parse. Under ASan this also proves
 * that no cut reads out of bounds.
 */
static void test_all_truncations(void **state)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, strings_end;
        uint32_t n, len_strings;

        (void)state;
        require_x86_64();
        buf = read_data("new.cache", &len);
        memcpy(&n, buf + 20, sizeof(n));
        memcpy(&len_strings, buf + 24, sizeof(len_strings));
        strings_end = 48 + (size_t)n * 24 + len_strings;
        assert_true(strings_end <= len);
        for (size_t cut = 0; cut <= len; cut++) {
                struct nvcr_err err = { 0 };
                _cleanup_cache_ struct ldcache *c = NULL;
                int r = ldcache_parse(buf, cut, &c, &err);

                if (cut < strings_end) {
                        assert_int_equal(r, -EINVAL);
                        assert_true(err.msg[0] != '\0');
                        assert_null(c);
                } else {
                        if (r < 0)
                                fail_msg("cut at %zu of %zu: %s", cut, len, err.msg);
                        assert_int_equal(c->nentries, n);
                        check_inside(c);
                }
        }
}

/* Single-byte corruption anywhere: an error or an in-bounds cache, never a bad read. */
static void test_byte_flips(void **state)
{
        const char *files[] = { "new.cache", "compat.cache", "old.cache" };
        const unsigned char values[] = { 0x00, 0xff, 0x7f, 0x80 };

        (void)state;
        require_x86_64();
        for (size_t f = 0; f < ARRAY_SIZE(files); f++) {
                size_t len = 0;
                _cleanup_free_ char *buf = read_data(files[f], &len);

                for (size_t i = 0; i < len; i++) {
                        char saved = buf[i];

                        for (size_t v = 0; v < ARRAY_SIZE(values); v++) {
                                _cleanup_cache_ struct ldcache *c = NULL;
                                struct nvcr_err err = { 0 };

                                buf[i] = (char)values[v];
                                if (ldcache_parse(buf, len, &c, &err) < 0)
                                        assert_true(err.code == EINVAL && err.msg[0] != '\0');
                                else
                                        check_inside(c);
                        }
                        buf[i] = saved;
                }
        }
}

static void test_parse_matches_load(void **state)
{
        _cleanup_cache_ struct ldcache *a = NULL;
        _cleanup_cache_ struct ldcache *b = NULL;
        struct nvcr_err err = { 0 };
        size_t len = 0;
        char *buf;

        (void)state;
        require_x86_64();
        a = load_ok("compat.cache");
        buf = read_data("compat.cache", &len);
        assert_int_equal(ldcache_parse(buf, len, &b, &err), 0);
        /* the entries must not point into the caller's buffer */
        memset(buf, 'X', len);
        free(buf);
        assert_int_equal(a->nentries, b->nentries);
        for (size_t i = 0; i < a->nentries; i++) {
                assert_string_equal(a->entries[i].name, b->entries[i].name);
                assert_string_equal(a->entries[i].path, b->entries[i].path);
                assert_int_equal(a->entries[i].flags, b->entries[i].flags);
                assert_int_equal(a->entries[i].hwcap, b->entries[i].hwcap);
        }
        check_fixture(b);
}

/* ----------------------------------------------------------- fd loading */

static void test_load_fd_too_big(void **state)
{
        struct nvcr_err err = { 0 };
        struct ldcache *c = NULL;
        FILE *f = tmpfile();

        (void)state;
        assert_non_null(f);
        /* sparse: costs no disk */
        assert_int_equal(ftruncate(fileno(f), ((off_t)64 << 20) + 1), 0);
        assert_int_equal(ldcache_load_fd(fileno(f), &c, &err), -EFBIG);
        assert_int_equal(err.code, EFBIG);
        assert_null(c);
        (void)fclose(f);
}

static void test_load_fd_errors(void **state)
{
        struct nvcr_err err = { 0 };
        struct ldcache *c = NULL;
        FILE *f = tmpfile();

        (void)state;
        assert_int_equal(ldcache_load_fd(-1, &c, &err), -EBADF);
        assert_null(c);
        assert_non_null(f);
        assert_int_equal(ldcache_load_fd(fileno(f), &c, &err), -EINVAL);
        assert_string_equal(err.msg, "unsupported file format (empty file)");
        assert_null(c);
        (void)fclose(f);
        /* err may be NULL */
        assert_int_equal(ldcache_parse("junk", 4, &c, NULL), -EINVAL);
        ldcache_free(NULL);
}

/* ---------------------------------------------------- hand-built buffers */

static void test_hand_new(void **state)
{
        _cleanup_cache_ struct ldcache *c = NULL;
        struct nvcr_err err = { 0 };
        unsigned char buf[512];
        size_t len = put_new(buf, two, 2);

        (void)state;
        assert_int_equal(parse(buf, len, &c, &err), 0);
        assert_int_equal(c->nentries, 2);
        assert_string_equal(c->entries[0].name, "libcuda.so.1");
        assert_string_equal(c->entries[0].path, "/new/lib64/libcuda.so.1");
        assert_int_equal(c->entries[0].flags, NATIVE_FLAGS);
        assert_string_equal(c->entries[1].path, "/new/lib32/libcuda.so.1");
        assert_string_equal(lookup(c, "libcuda.so.1", LDCACHE_NATIVE), "/new/lib64/libcuda.so.1");
#if defined(__x86_64__) || defined(__aarch64__)
        assert_string_equal(lookup(c, "libcuda.so.1", LDCACHE_COMPAT32),
                            "/new/lib32/libcuda.so.1");
#else
        assert_null(lookup(c, "libcuda.so.1", LDCACHE_COMPAT32));
#endif
}

static void test_hand_empty_cache(void **state)
{
        _cleanup_cache_ struct ldcache *c = NULL;
        struct nvcr_err err = { 0 };
        unsigned char buf[64];
        size_t len = put_new(buf, NULL, 0), pos = 0;

        (void)state;
        assert_int_equal(parse(buf, len, &c, &err), 0);
        assert_int_equal(c->nentries, 0);
        assert_null(ldcache_next(c, "", LDCACHE_NATIVE, &pos));
}

static void test_hand_counts(void **state)
{
        struct nvcr_err err = { 0 };
        struct ldcache *c = NULL;
        unsigned char buf[512];
        size_t len;

        (void)state;
        /* nlibs * 24 overflows 32 bits: the check must not wrap */
        len = put_new(buf, NULL, 0);
        put32(buf + 20, UINT32_MAX);
        expect_error(parse(buf, len, &c, &err), &err, EINVAL,
                     "truncated cache (4294967295 entries need 103079215128 bytes, file has 48)");
        put32(buf + 20, 0x0aaaaaab); /* 0x0aaaaaab * 24 wraps to 8 in 32 bits */
        expect_error(parse(buf, len, &c, &err), &err, EINVAL, "truncated cache (178956971 entries");

        len = put_old(buf, two_old, 2, NULL);
        put32(buf + 12, UINT32_MAX);
        expect_error(parse(buf, len, &c, &err), &err, EINVAL,
                     "(4294967295 entries need 51539607556 bytes");
        put32(buf + 12, 3);
        expect_error(parse(buf, 16 + 3 * 12 - 1, &c, &err), &err, EINVAL,
                     "truncated cache (3 entries need 52 bytes, file has 51)");
        assert_null(c);
}

/* One old entry ends at 28: the 8-byte boundary where a new section could start is past the end. */
static void test_hand_old_unaligned(void **state)
{
        _cleanup_cache_ struct ldcache *c = NULL;
        struct nvcr_err err = { 0 };
        unsigned char buf[256];
        size_t len = put_old(buf, two_old, 1, NULL);

        (void)state;
        expect_error(parse(buf, 28, &c, &err), &err, EINVAL,
                     "entry 0: name offset 0x0 out of bounds (file has 28 bytes)");
        expect_error(parse(buf, 30, &c, &err), &err, EINVAL,
                     "entry 0: name at 0x1c is not NUL-terminated");
        assert_null(c);
        assert_int_equal(parse(buf, len, &c, &err), 0);
        assert_int_equal(c->nentries, 1);
        assert_string_equal(c->entries[0].path, "/old/lib64/libcuda.so.1");
}

static void test_hand_offsets(void **state)
{
        struct nvcr_err err = { 0 };
        struct ldcache *c = NULL;
        unsigned char buf[512];
        size_t len = put_new(buf, two, 2);
        uint32_t name0, path1;

        (void)state;
        memcpy(&name0, buf + 48 + 4, sizeof(name0));
        memcpy(&path1, buf + 48 + 24 + 8, sizeof(path1));
        put32(buf + 48 + 4, (uint32_t)len); /* one past the end */
        expect_error(parse(buf, len, &c, &err), &err, EINVAL, "entry 0: name offset 0x");
        assert_non_null(strstr(err.msg, "out of bounds"));
        put32(buf + 48 + 4, UINT32_MAX);
        expect_error(parse(buf, len, &c, &err), &err, EINVAL,
                     "entry 0: name offset 0xffffffff out of bounds");
        put32(buf + 48 + 4, name0);
        put32(buf + 48 + 24 + 8, (uint32_t)len - 1); /* the last NUL itself: an empty string */
        assert_int_equal(parse(buf, len, &c, &err), 0);
        assert_string_equal(c->entries[1].path, "");
        ldcache_free(c);
        c = NULL;
        /* drop the final NUL: the last path runs off the end */
        put32(buf + 48 + 24 + 8, path1);
        expect_error(parse(buf, len - 1, &c, &err), &err, EINVAL, "entry 1: path at 0x");
        assert_non_null(strstr(err.msg, "is not NUL-terminated"));
        assert_null(c);
}

static void test_hand_old_and_compat(void **state)
{
        struct nvcr_err err = { 0 };
        struct ldcache *c = NULL;
        unsigned char buf[1024];
        size_t len, new_at = (16 + 2 * 12 + 7) & ~(size_t)7;

        (void)state;
        len = put_old(buf, two_old, 2, NULL);
        assert_int_equal(parse(buf, len, &c, &err), 0);
        assert_string_equal(lookup(c, "libcuda.so.1", LDCACHE_NATIVE), "/old/lib64/libcuda.so.1");
        assert_int_equal(c->entries[0].hwcap, 0);
        ldcache_free(c);

        /* compat: the hidden new section wins */
        len = put_old(buf, two_old, 2, two);
        assert_memory_equal(buf + new_at, "glibc-ld.so.cache1.1", 20);
        assert_int_equal(parse(buf, len, &c, &err), 0);
        assert_string_equal(lookup(c, "libcuda.so.1", LDCACHE_NATIVE), "/new/lib64/libcuda.so.1");
        ldcache_free(c);

        /* an unknown version hidden there leaves the old section in use, as in ld.so */
        buf[new_at + 19] = '2';
        assert_int_equal(parse(buf, len, &c, &err), 0);
        assert_string_equal(lookup(c, "libcuda.so.1", LDCACHE_NATIVE), "/old/lib64/libcuda.so.1");
        ldcache_free(c);
        c = NULL;

        /* a complete magic with a cut header is a truncated new section */
        buf[new_at + 19] = '1';
        expect_error(parse(buf, new_at + 30, &c, &err), &err, EINVAL,
                     "truncated cache header (file has 70 bytes, needs 88)");
        assert_null(c);
}

static void test_hand_header(void **state)
{
        struct nvcr_err err = { 0 };
        struct ldcache *c = NULL;
        unsigned char buf[512];
        size_t len = put_new(buf, two, 2);

        (void)state;
        expect_error(parse((const unsigned char *)"hello, world", 12, &c, &err), &err, EINVAL,
                     "unsupported file format");
        expect_error(parse((const unsigned char *)"glibc", 5, &c, &err), &err, EINVAL,
                     "truncated cache header (file has 5 bytes, needs 48)");
        expect_error(parse((const unsigned char *)"ld.so-1.7.0", 11, &c, &err), &err, EINVAL,
                     "truncated cache header (file has 11 bytes, needs 16)");
        expect_error(parse(buf, 0, &c, &err), &err, EINVAL, "empty file");

        buf[28] = OTHER_ENDIAN_FLAG;
        expect_error(parse(buf, len, &c, &err), &err, EINVAL, "unsupported byte order");
        buf[28] = 1; /* glibc's "invalid" */
        expect_error(parse(buf, len, &c, &err), &err, EINVAL, "unsupported byte order");
        buf[28] = 0; /* written by glibc < 2.32: accepted */
        assert_int_equal(parse(buf, len, &c, &err), 0);
        ldcache_free(c);
        c = NULL;

        memcpy(buf + 17, "1.0", 3);
        expect_error(parse(buf, len, &c, &err), &err, EINVAL, "cache version is not 1.1");
        assert_null(c);
}

static void test_entry_matches(void **state)
{
        static const struct {
                int32_t flags;
                uint64_t hwcap;
                const char *path;
                int native, compat32;
        } cases[] = {
#if defined(__x86_64__)
                { 0x0303, 0, "/lib/libx.so", 1, 0 },
                { 0x0301, 0, "/lib/libx.so", 1, 0 }, /* FLAG_ELF */
                { 0x0302, 0, "/lib/libx.so", 0, 0 }, /* FLAG_ELF_LIBC5 */
                { 0x0300, 0, "/lib/libx.so", 0, 0 }, /* libc4, a.out era */
                { 0x0003, 0, "/lib/libx.so", 0, 1 },
                { 0x0001, 0, "/lib/libx.so", 0, 1 },
                { 0x0803, 0, "/lib/libx.so", 0, 0 }, /* x32 */
                { 0x0a03, 0, "/lib/libx.so", 0, 0 }, /* aarch64 */
                { 0x0903, 0, "/lib/libx.so", 0, 0 }, /* armhf */
                { 0x0303, 1ull << 62, "/lib/libx.so", 0, 0 },
                { 0x0003, 1, "/lib/libx.so", 0, 0 },
                { 0x0303, 0, "/lib/glibc-hwcaps/x86-64-v3/libx.so", 0, 0 },
#elif defined(__aarch64__)
                { 0x0a03, 0, "/lib/libx.so", 1, 0 },
                { 0x0903, 0, "/lib/libx.so", 0, 1 },
                { 0x0b03, 0, "/lib/libx.so", 0, 0 }, /* arm soft float */
                { 0x0303, 0, "/lib/libx.so", 0, 0 },
                { 0x0a03, 1ull << 62, "/lib/libx.so", 0, 0 },
#else
                { 0x0503, 0, "/lib/libx.so", 1, 0 },
                { 0x0003, 0, "/lib/libx.so", 0, 0 },
#endif
        };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                struct ldcache_entry e = { .name = "libx.so",
                                           .path = cases[i].path,
                                           .flags = cases[i].flags,
                                           .hwcap = cases[i].hwcap };

                if (ldcache_entry_matches(&e, LDCACHE_NATIVE) != cases[i].native ||
                    ldcache_entry_matches(&e, LDCACHE_COMPAT32) != cases[i].compat32)
                        fail_msg("case %zu: flags 0x%04x hwcap 0x%llx", i,
                                 (unsigned)cases[i].flags, (unsigned long long)cases[i].hwcap);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_new_format),
                cmocka_unit_test(test_compat_format),
                cmocka_unit_test(test_old_format),
                cmocka_unit_test(test_prefix_order),
                cmocka_unit_test(test_hwcap_skipped),
                cmocka_unit_test(test_corrupt_files),
                cmocka_unit_test(test_all_truncations),
                cmocka_unit_test(test_byte_flips),
                cmocka_unit_test(test_parse_matches_load),
                cmocka_unit_test(test_load_fd_too_big),
                cmocka_unit_test(test_load_fd_errors),
                cmocka_unit_test(test_hand_new),
                cmocka_unit_test(test_hand_empty_cache),
                cmocka_unit_test(test_hand_counts),
                cmocka_unit_test(test_hand_old_unaligned),
                cmocka_unit_test(test_hand_offsets),
                cmocka_unit_test(test_hand_old_and_compat),
                cmocka_unit_test(test_hand_header),
                cmocka_unit_test(test_entry_matches),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
