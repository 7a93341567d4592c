/* SPDX-License-Identifier: Apache-2.0 */
/*
 * elf_parse on images crafted here (64- and 32-bit, every test runs for both
 * classes), then damaged one field at a time; elf_read_fd on the system libc
 * and on temporary files.
 */
#include <elf.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/err.h"
#include "core/macro.h"
#include "driver/elf.h"

#define BASE 0x10000u /* p_vaddr of the one PT_LOAD segment, which maps the whole file */
#define STRTAB "\0libx.so.1\0libother.so\0"
#define SONAME_OFF 1u
#define OTHER_OFF 11u

enum { DYN_STRTAB, DYN_STRSZ, DYN_SONAME, DYN_NULL, DYN_N };

/* A small shared object: Ehdr, PT_LOAD + PT_DYNAMIC, dynamic section, strtab. */
struct img {
        int cls;
        uint8_t b[512];
        size_t len;
        size_t ph_off, dyn_off, str_off;
        size_t dynsz; /* size of one dynamic entry */
};

static void set_dyn(struct img *m, size_t i, uint64_t tag, uint64_t val)
{
        if (m->cls == 64) {
                Elf64_Dyn d = { .d_tag = (Elf64_Sxword)tag, .d_un.d_val = val };

                memcpy(m->b + m->dyn_off + i * sizeof(d), &d, sizeof(d));
        } else {
                Elf32_Dyn d = { .d_tag = (Elf32_Sword)tag, .d_un.d_val = (Elf32_Word)val };

                memcpy(m->b + m->dyn_off + i * sizeof(d), &d, sizeof(d));
        }
}

static void set_phdr(struct img *m, size_t i, uint32_t type, uint64_t off, uint64_t vaddr,
                     uint64_t filesz)
{
        if (m->cls == 64) {
                Elf64_Phdr p = { .p_type = type, .p_offset = off, .p_vaddr = vaddr,
                                 .p_paddr = vaddr, .p_filesz = filesz, .p_memsz = filesz,
                                 .p_flags = PF_R, .p_align = 8 };

                memcpy(m->b + m->ph_off + i * sizeof(p), &p, sizeof(p));
        } else {
                Elf32_Phdr p = { .p_type = type, .p_offset = (Elf32_Off)off,
                                 .p_vaddr = (Elf32_Addr)vaddr, .p_paddr = (Elf32_Addr)vaddr,
                                 .p_filesz = (Elf32_Word)filesz, .p_memsz = (Elf32_Word)filesz,
                                 .p_flags = PF_R, .p_align = 4 };

                memcpy(m->b + m->ph_off + i * sizeof(p), &p, sizeof(p));
        }
}

static void set_ehdr(struct img *m, uint64_t phoff, uint16_t phentsize, uint16_t phnum)
{
        unsigned char ident[EI_NIDENT] = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3 };

        ident[EI_CLASS] = m->cls == 64 ? ELFCLASS64 : ELFCLASS32;
        ident[EI_DATA] = ELFDATA2LSB;
        ident[EI_VERSION] = EV_CURRENT;
        if (m->cls == 64) {
                Elf64_Ehdr e = { .e_type = ET_DYN, .e_machine = EM_X86_64,
                                 .e_version = EV_CURRENT, .e_phoff = phoff,
                                 .e_ehsize = sizeof(e), .e_phentsize = phentsize,
                                 .e_phnum = phnum };

                memcpy(e.e_ident, ident, EI_NIDENT);
                memcpy(m->b, &e, sizeof(e));
        } else {
                Elf32_Ehdr e = { .e_type = ET_DYN, .e_machine = EM_386, .e_version = EV_CURRENT,
                                 .e_phoff = (Elf32_Off)phoff, .e_ehsize = sizeof(e),
                                 .e_phentsize = phentsize, .e_phnum = phnum };

                memcpy(e.e_ident, ident, EI_NIDENT);
                memcpy(m->b, &e, sizeof(e));
        }
}

static uint16_t phentsize(const struct img *m)
{
        return m->cls == 64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
}

static void build(struct img *m, int cls)
{
        size_t ehsz = cls == 64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);

        memset(m, 0, sizeof(*m));
        m->cls = cls;
        m->dynsz = cls == 64 ? sizeof(Elf64_Dyn) : sizeof(Elf32_Dyn);
        m->ph_off = ehsz;
        m->dyn_off = m->ph_off + 2 * phentsize(m);
        m->str_off = m->dyn_off + DYN_N * m->dynsz;
        m->len = m->str_off + sizeof(STRTAB) - 1;
        assert_true(m->len <= sizeof(m->b));
        set_ehdr(m, m->ph_off, phentsize(m), 2);
        set_phdr(m, 0, PT_LOAD, 0, BASE, m->len);
        set_phdr(m, 1, PT_DYNAMIC, m->dyn_off, BASE + m->dyn_off, DYN_N * m->dynsz);
        set_dyn(m, DYN_STRTAB, DT_STRTAB, BASE + m->str_off);
        set_dyn(m, DYN_STRSZ, DT_STRSZ, sizeof(STRTAB) - 1);
        set_dyn(m, DYN_SONAME, DT_SONAME, SONAME_OFF);
        set_dyn(m, DYN_NULL, DT_NULL, 0);
        memcpy(m->b + m->str_off, STRTAB, sizeof(STRTAB) - 1);
}

static int cls_of(void **state)
{
        return *(const int *)*state;
}

/* Parses the image from a deliberately misaligned copy, as an mmap never would. */
static int parse(const struct img *m, size_t len, struct elf_info *info, struct nvcr_err *err)
{
        uint8_t *buf = malloc(len + 1);
        int r;

        assert_non_null(buf);
        memcpy(buf + 1, m->b, len);
        r = elf_parse(buf + 1, len, info, err);
        free(buf);
        return r;
}

static void expect_soname(const struct img *m, const char *want)
{
        struct elf_info info = { 0 };
        struct nvcr_err err = { 0 };

        assert_int_equal(parse(m, m->len, &info, &err), 0);
        assert_int_equal(info.elf_class, m->cls);
        assert_int_equal(info.type, ET_DYN);
        assert_int_equal(info.machine, m->cls == 64 ? EM_X86_64 : EM_386);
        if (want == NULL)
                assert_null(info.soname);
        else
                assert_string_equal(info.soname, want);
        elf_info_clear(&info);
        assert_null(info.soname);
}

/* Fails with -ENOEXEC, a message starting with `msg`, and `info` untouched. */
static void expect_error_len(const struct img *m, size_t len, const char *msg)
{
        struct elf_info info = { .elf_class = 77 };
        struct nvcr_err err = { 0 };

        assert_int_equal(parse(m, len, &info, &err), -ENOEXEC);
        assert_int_equal(err.code, ENOEXEC);
        if (strncmp(err.msg, msg, strlen(msg)) != 0)
                fail_msg("message '%s' does not start with '%s'", err.msg, msg);
        assert_int_equal(info.elf_class, 77);
        assert_null(info.soname);
}

static void expect_error(const struct img *m, const char *msg)
{
        expect_error_len(m, m->len, msg);
}

/* ------------------------------------------------------------ good images */

static void test_soname(void **state)
{
        struct img m;

        build(&m, cls_of(state));
        expect_soname(&m, "libx.so.1");
        /* Another offset into the table. */
        set_dyn(&m, DYN_SONAME, DT_SONAME, OTHER_OFF);
        expect_soname(&m, "libother.so");
        /* Offset 0 is the empty string: no usable soname. */
        set_dyn(&m, DYN_SONAME, DT_SONAME, 0);
        expect_soname(&m, NULL);
}

static void test_no_soname(void **state)
{
        struct img m;

        build(&m, cls_of(state));
        set_dyn(&m, DYN_SONAME, DT_DEBUG, SONAME_OFF);
        expect_soname(&m, NULL);
        /* Entries after DT_NULL do not count. */
        build(&m, cls_of(state));
        set_dyn(&m, DYN_STRSZ, DT_NULL, 0);
        expect_soname(&m, NULL);
        /* No PT_DYNAMIC at all, e.g. a static executable. */
        build(&m, cls_of(state));
        set_phdr(&m, 1, PT_NOTE, m.dyn_off, BASE + m.dyn_off, DYN_N * m.dynsz);
        expect_soname(&m, NULL);
        /* No program headers, with a bogus table offset that must not be used. */
        build(&m, cls_of(state));
        set_ehdr(&m, 0xfffffff0u, 0, 0);
        expect_soname(&m, NULL);
        /* An empty dynamic section. */
        build(&m, cls_of(state));
        set_phdr(&m, 1, PT_DYNAMIC, m.dyn_off, BASE + m.dyn_off, 0);
        expect_soname(&m, NULL);
}

static void test_odd_but_valid(void **state)
{
        struct img m;

        /* Without DT_STRSZ the string ends at the end of the segment. */
        build(&m, cls_of(state));
        set_dyn(&m, DYN_STRSZ, DT_DEBUG, 0);
        expect_soname(&m, "libx.so.1");
        /* The first DT_SONAME wins (here the one replacing DT_STRSZ, before the original). */
        build(&m, cls_of(state));
        set_dyn(&m, DYN_STRSZ, DT_SONAME, OTHER_OFF);
        expect_soname(&m, "libother.so");
        /* The string table in the second of two PT_LOADs. */
        build(&m, cls_of(state));
        set_ehdr(&m, m.ph_off, phentsize(&m), 3);
        memmove(m.b + m.dyn_off + phentsize(&m), m.b + m.dyn_off, m.len - m.dyn_off);
        m.dyn_off += phentsize(&m);
        m.str_off += phentsize(&m);
        m.len += phentsize(&m);
        set_phdr(&m, 0, PT_LOAD, 0, BASE, m.str_off);
        set_phdr(&m, 1, PT_DYNAMIC, m.dyn_off, BASE + m.dyn_off, DYN_N * m.dynsz);
        set_phdr(&m, 2, PT_LOAD, m.str_off, 0x80000, m.len - m.str_off);
        set_dyn(&m, DYN_STRTAB, DT_STRTAB, 0x80000);
        expect_soname(&m, "libx.so.1");
        /* A trailing partial dynamic entry is ignored. */
        build(&m, cls_of(state));
        set_phdr(&m, 1, PT_DYNAMIC, m.dyn_off, BASE + m.dyn_off, DYN_N * m.dynsz - 1);
        expect_soname(&m, "libx.so.1");
        /* The PT_DYNAMIC before the PT_LOAD that holds the strings. */
        build(&m, cls_of(state));
        set_phdr(&m, 1, PT_LOAD, 0, BASE, m.len);
        set_phdr(&m, 0, PT_DYNAMIC, m.dyn_off, BASE + m.dyn_off, DYN_N * m.dynsz);
        expect_soname(&m, "libx.so.1");
}

/* ------------------------------------------------------------- bad images */

static void test_ident(void **state)
{
        struct img m;

        build(&m, cls_of(state));
        expect_error_len(&m, 0, "not an ELF file");
        expect_error_len(&m, 3, "not an ELF file");
        expect_error_len(&m, 8, "truncated ELF identification");
        m.b[EI_DATA] = ELFDATA2MSB;
        expect_error(&m, "unsupported byte order");
        m.b[EI_DATA] = 7;
        expect_error(&m, "corrupt ELF identification");
        build(&m, cls_of(state));
        m.b[EI_CLASS] = ELFCLASSNONE;
        expect_error(&m, "unsupported ELF class 0");
        m.b[EI_CLASS] = 3;
        expect_error(&m, "unsupported ELF class 3");
        build(&m, cls_of(state));
        m.b[EI_VERSION] = 0;
        expect_error(&m, "unsupported ELF version 0");
        build(&m, cls_of(state));
        m.b[1] = 'e';
        expect_error(&m, "not an ELF file");
}

static void test_program_headers(void **state)
{
        struct img m;

        build(&m, cls_of(state));
        expect_error_len(&m, m.ph_off - 1, "truncated ELF header");
        set_ehdr(&m, m.ph_off, phentsize(&m), PN_XNUM);
        expect_error(&m, "unsupported ELF: PN_XNUM");
        set_ehdr(&m, m.ph_off, (uint16_t)(phentsize(&m) + 8), 2);
        expect_error(&m, "corrupt ELF: program header size");
        set_ehdr(&m, m.ph_off, 0, 2);
        expect_error(&m, "corrupt ELF: program header size 0");
        set_ehdr(&m, m.len, phentsize(&m), 2);
        expect_error(&m, "truncated ELF: 2 program headers");
        set_ehdr(&m, m.ph_off, phentsize(&m), 0xfffe);
        expect_error(&m, "truncated ELF: 65534 program headers");
        /* An offset that wraps around when the table size is added. */
        set_ehdr(&m, m.cls == 64 ? UINT64_MAX - 8 : UINT32_MAX - 8, phentsize(&m), 2);
        expect_error(&m, "truncated ELF: 2 program headers");
}

static void test_dynamic_out_of_file(void **state)
{
        const char *msg = "truncated ELF: dynamic section";
        struct img m;

        build(&m, cls_of(state));
        set_phdr(&m, 1, PT_DYNAMIC, m.len, BASE, m.dynsz);
        expect_error(&m, msg);
        set_phdr(&m, 1, PT_DYNAMIC, m.len + 1, BASE, 0);
        expect_error(&m, msg);
        set_phdr(&m, 1, PT_DYNAMIC, m.dyn_off, BASE, m.len);
        expect_error(&m, msg);
        set_phdr(&m, 1, PT_DYNAMIC, m.cls == 64 ? UINT64_MAX - 4 : UINT32_MAX - 4, BASE, 16);
        expect_error(&m, msg);
        set_phdr(&m, 1, PT_DYNAMIC, m.dyn_off, BASE, m.cls == 64 ? UINT64_MAX : UINT32_MAX);
        expect_error(&m, msg);
}

static void test_strtab_out_of_range(void **state)
{
        struct img m;

        build(&m, cls_of(state));
        set_dyn(&m, DYN_STRTAB, DT_DEBUG, 0);
        expect_error(&m, "corrupt ELF: DT_SONAME without DT_STRTAB");
        /* Before, after, and at the end of the only PT_LOAD. */
        set_dyn(&m, DYN_STRTAB, DT_STRTAB, BASE - 1);
        expect_error(&m, "corrupt ELF: DT_STRTAB address 0xffff not in any PT_LOAD segment");
        set_dyn(&m, DYN_STRTAB, DT_STRTAB, BASE + m.len);
        expect_error(&m, "corrupt ELF: DT_STRTAB address");
        set_dyn(&m, DYN_STRTAB, DT_STRTAB, m.cls == 64 ? UINT64_MAX : UINT32_MAX);
        expect_error(&m, "corrupt ELF: DT_STRTAB address");
        /* The PT_LOAD holding the strings ends, or even starts, past the end of the file. */
        build(&m, cls_of(state));
        set_phdr(&m, 0, PT_LOAD, 0, BASE, m.len + 1);
        expect_error(&m, "truncated ELF: segment at offset 0");
        set_phdr(&m, 0, PT_LOAD, m.len + 4096, BASE, m.len);
        expect_error(&m, "truncated ELF: segment at offset");
        set_phdr(&m, 0, PT_LOAD, m.cls == 64 ? UINT64_MAX - 4 : UINT32_MAX - 4, BASE, m.len);
        expect_error(&m, "truncated ELF: segment at offset");
        /* Only a PT_NOTE maps the address. */
        build(&m, cls_of(state));
        set_phdr(&m, 0, PT_NOTE, 0, BASE, m.len);
        expect_error(&m, "corrupt ELF: DT_STRTAB address");
}

static void test_soname_out_of_range(void **state)
{
        struct img m;

        build(&m, cls_of(state));
        set_dyn(&m, DYN_SONAME, DT_SONAME, sizeof(STRTAB) - 1);
        expect_error(&m, "corrupt ELF: DT_SONAME offset 23 outside the string table (23 bytes)");
        set_dyn(&m, DYN_SONAME, DT_SONAME, m.cls == 64 ? UINT64_MAX : UINT32_MAX);
        expect_error(&m, "corrupt ELF: DT_SONAME offset");
        /* DT_STRSZ cuts the name before its NUL. */
        build(&m, cls_of(state));
        set_dyn(&m, DYN_STRSZ, DT_STRSZ, 5);
        expect_error(&m, "corrupt ELF: DT_SONAME not NUL-terminated");
        /* No DT_STRSZ and no NUL before the end of the file. */
        build(&m, cls_of(state));
        set_dyn(&m, DYN_STRSZ, DT_DEBUG, 0);
        m.b[m.len - 1] = 'x';
        m.b[m.len - 13] = 'x';
        expect_error(&m, "corrupt ELF: DT_SONAME not NUL-terminated");
}

static void test_truncated_everywhere(void **state)
{
        struct img m;

        /* Every strict prefix of the image is rejected, each by a bounds check. */
        build(&m, cls_of(state));
        for (size_t len = 0; len < m.len; len++) {
                struct elf_info info = { 0 };
                struct nvcr_err err = { 0 };

                if (parse(&m, len, &info, &err) != -ENOEXEC)
                        fail_msg("prefix of %zu bytes was not rejected", len);
        }
        expect_soname(&m, "libx.so.1");
}

/* ---------------------------------------------------------------- files */

static void test_read_libc(void **state)
{
        _cleanup_close_ int fd = -EBADF;
        struct elf_info info = { 0 };
        struct nvcr_err err = { 0 };

        (void)state;
#if defined(__x86_64__)
        fd = open("/usr/lib/x86_64-linux-gnu/libc.so.6", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                skip();
        assert_int_equal(elf_read_fd(fd, &info, &err), 0);
        assert_int_equal(info.elf_class, 64);
        assert_int_equal(info.machine, EM_X86_64);
        assert_int_equal(info.type, ET_DYN);
        assert_string_equal(info.soname, "libc.so.6");
        elf_info_clear(&info);
#else
        skip();
#endif
}

/* A temporary file holding `len` bytes of `buf`, already unlinked. */
static int tmpfile_with(const void *buf, size_t len)
{
        char path[] = "/tmp/nvcr-test-elf-XXXXXX";
        int fd = mkstemp(path);

        assert_true(fd >= 0);
        assert_int_equal(unlink(path), 0);
        assert_int_equal(write(fd, buf, len), (ssize_t)len);
        return fd;
}

static void test_read_files(void **state)
{
        struct elf_info info = { .elf_class = 77 };
        struct nvcr_err err = { 0 };
        struct img m;
        int fd;

        build(&m, cls_of(state));
        fd = tmpfile_with(m.b, m.len);
        assert_int_equal(elf_read_fd(fd, &info, &err), 0);
        assert_int_equal(info.elf_class, m.cls);
        assert_string_equal(info.soname, "libx.so.1");
        elf_info_clear(&info);
        close(fd);

        info.elf_class = 77;
        fd = tmpfile_with("", 0);
        assert_int_equal(elf_read_fd(fd, &info, &err), -ENOEXEC);
        assert_string_equal(err.msg, "not an ELF file: empty");
        close(fd);

        fd = tmpfile_with("#!/bin/sh\n", 10);
        assert_int_equal(elf_read_fd(fd, &info, &err), -ENOEXEC);
        assert_string_equal(err.msg, "not an ELF file");
        close(fd);
        assert_int_equal(info.elf_class, 77);
}

static void test_read_not_regular(void **state)
{
        struct elf_info info = { .elf_class = 77 };
        struct nvcr_err err = { 0 };
        int fd;

        (void)state;
        fd = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(elf_read_fd(fd, &info, &err), -EINVAL);
        assert_string_equal(err.msg, "not a regular file");
        close(fd);
        fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(elf_read_fd(fd, &info, &err), -EINVAL);
        close(fd);
        assert_int_equal(elf_read_fd(-1, &info, &err), -EBADF);
        assert_int_equal(info.elf_class, 77);
        elf_info_clear(NULL);
}

static const int class64 = 64, class32 = 32;

#define BOTH(t) cmocka_unit_test_prestate(t, (void *)&class64), \
                cmocka_unit_test_prestate(t, (void *)&class32)

int main(void)
{
        const struct CMUnitTest tests[] = {
                BOTH(test_soname),
                BOTH(test_no_soname),
                BOTH(test_odd_but_valid),
                BOTH(test_ident),
                BOTH(test_program_headers),
                BOTH(test_dynamic_out_of_file),
                BOTH(test_strtab_out_of_range),
                BOTH(test_soname_out_of_range),
                BOTH(test_truncated_everywhere),
                BOTH(test_read_files),
                cmocka_unit_test(test_read_libc),
                cmocka_unit_test(test_read_not_regular),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
