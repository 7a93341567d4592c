/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Minimal ELF reader. Every field is read byte by byte as little endian from
 * an offset that was bounds-checked first, so the image may be misaligned,
 * truncated or hostile: the worst outcome is an -ENOEXEC naming the problem.
 * 32- and 64-bit images share one code path; the class only changes the
 * offsets and widths of the fields, taken from <elf.h>'s structures.
 */
#include <elf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "core/err.h"
#include "core/macro.h"
#include "driver/elf.h"

struct elf_image {
        const uint8_t *p;
        size_t len;
        bool is64;
};

/* The span of a file-backed region, already checked to lie inside the image. */
struct region {
        uint64_t off;
        uint64_t size;
};

static uint64_t read_le(const uint8_t *p, size_t n)
{
        uint64_t v = 0;

        while (n-- > 0)
                v = v << 8 | p[n];
        return v;
}

/*
 * Field `f` of the structure `T` (Ehdr, Phdr, Dyn) at image offset `base`, in
 * the image's class. The caller has checked that the whole structure fits.
 */
#define FIELD(img, base, T, f)                                                                     \
        ((img)->is64 ? read_le((img)->p + (base) + offsetof(Elf64_##T, f),                        \
                               sizeof(((Elf64_##T *)NULL)->f))                                     \
                     : read_le((img)->p + (base) + offsetof(Elf32_##T, f),                        \
                               sizeof(((Elf32_##T *)NULL)->f)))
#define SIZEOF(img, T) ((img)->is64 ? sizeof(Elf64_##T) : sizeof(Elf32_##T))

/* True when [off, off + size) lies inside the image, without overflowing. */
static bool in_image(const struct elf_image *img, uint64_t off, uint64_t size)
{
        return off <= img->len && size <= img->len - off;
}

static int check_ident(const uint8_t *p, size_t len, struct nvcr_err *err)
{
        if (len < SELFMAG || memcmp(p, ELFMAG, SELFMAG) != 0)
                return nvcr_err_set(err, ENOEXEC, "not an ELF file");
        if (len < EI_NIDENT)
                return nvcr_err_set(err, ENOEXEC, "truncated ELF identification");
        if (p[EI_CLASS] != ELFCLASS32 && p[EI_CLASS] != ELFCLASS64)
                return nvcr_err_set(err, ENOEXEC, "unsupported ELF class %u", p[EI_CLASS]);
        if (p[EI_DATA] == ELFDATA2MSB)
                return nvcr_err_set(err, ENOEXEC, "unsupported byte order (big endian)");
        if (p[EI_DATA] != ELFDATA2LSB)
                return nvcr_err_set(err, ENOEXEC, "corrupt ELF identification: byte order %u",
                                    p[EI_DATA]);
        if (p[EI_VERSION] != EV_CURRENT)
                return nvcr_err_set(err, ENOEXEC, "unsupported ELF version %u", p[EI_VERSION]);
        return 0;
}

/* The program header table, checked to lie inside the image. */
struct phdrs {
        uint64_t off;
        uint64_t num;
        uint64_t entsize;
};

static int read_phdrs(const struct elf_image *img, struct phdrs *ret, struct nvcr_err *err)
{
        uint64_t off = FIELD(img, 0, Ehdr, e_phoff);
        uint64_t entsize = FIELD(img, 0, Ehdr, e_phentsize);
        uint64_t num = FIELD(img, 0, Ehdr, e_phnum);

        /* PN_XNUM moves the real count to section 0's sh_info; no library does that. */
        if (num == PN_XNUM)
                return nvcr_err_set(err, ENOEXEC, "unsupported ELF: PN_XNUM program headers");
        if (num == 0) {
                /* No program headers, so no PT_DYNAMIC: the other fields do not matter. */
                *ret = (struct phdrs){ 0 };
                return 0;
        }
        if (entsize != SIZEOF(img, Phdr))
                return nvcr_err_set(err, ENOEXEC, "corrupt ELF: program header size %llu",
                                    (unsigned long long)entsize);
        /* num < 0xffff and entsize <= 56, so the product cannot overflow. */
        if (!in_image(img, off, num * entsize))
                return nvcr_err_set(err, ENOEXEC,
                                    "truncated ELF: %llu program headers at offset %llu",
                                    (unsigned long long)num, (unsigned long long)off);
        *ret = (struct phdrs){ .off = off, .num = num, .entsize = entsize };
        return 0;
}

static uint64_t phdr_at(const struct phdrs *ph, uint64_t i)
{
        return ph->off + i * ph->entsize;
}

/* The first PT_DYNAMIC segment; false when there is none. */
static bool find_dynamic(const struct elf_image *img, const struct phdrs *ph, struct region *ret)
{
        for (uint64_t i = 0; i < ph->num; i++) {
                uint64_t base = phdr_at(ph, i);

                if (FIELD(img, base, Phdr, p_type) != PT_DYNAMIC)
                        continue;
                ret->off = FIELD(img, base, Phdr, p_offset);
                ret->size = FIELD(img, base, Phdr, p_filesz);
                return true;
        }
        return false;
}

/* A PT_INTERP segment: the file is run through a dynamic loader. */
static bool has_interp(const struct elf_image *img, const struct phdrs *ph)
{
        for (uint64_t i = 0; i < ph->num; i++)
                if (FIELD(img, phdr_at(ph, i), Phdr, p_type) == PT_INTERP)
                        return true;
        return false;
}

/* What the dynamic section says about the string table and the soname. */
struct dyn_info {
        uint64_t strtab, strsz, soname;
        bool has_strtab, has_strsz, has_soname;
};

/* Records the first occurrence of each tag: later ones are not what ld.so uses. */
static void record_dyn(struct dyn_info *d, uint64_t tag, uint64_t val)
{
        if (tag == DT_STRTAB && !d->has_strtab) {
                d->strtab = val;
                d->has_strtab = true;
        } else if (tag == DT_STRSZ && !d->has_strsz) {
                d->strsz = val;
                d->has_strsz = true;
        } else if (tag == DT_SONAME && !d->has_soname) {
                d->soname = val;
                d->has_soname = true;
        }
}

static int read_dynamic(const struct elf_image *img, struct region dyn, struct dyn_info *ret,
                        struct nvcr_err *err)
{
        uint64_t entsize = SIZEOF(img, Dyn);
        struct dyn_info d = { 0 };

        if (!in_image(img, dyn.off, dyn.size))
                return nvcr_err_set(err, ENOEXEC,
                                    "truncated ELF: dynamic section at offset %llu, %llu bytes, "
                                    "beyond the end of the file (%zu bytes)",
                                    (unsigned long long)dyn.off, (unsigned long long)dyn.size,
                                    img->len);
        for (uint64_t i = 0; i < dyn.size / entsize; i++) {
                uint64_t base = dyn.off + i * entsize;
                uint64_t tag = FIELD(img, base, Dyn, d_tag);

                if (tag == DT_NULL)
                        break;
                record_dyn(&d, tag, FIELD(img, base, Dyn, d_un.d_val));
        }
        *ret = d;
        return 0;
}

/*
 * The file-backed bytes of the PT_LOAD segment that maps `addr`, from addr's
 * file offset (addr - p_vaddr + p_offset) to the end of the segment.
 */
static int addr_to_region(const struct elf_image *img, const struct phdrs *ph, uint64_t addr,
                          struct region *ret, struct nvcr_err *err)
{
        for (uint64_t i = 0; i < ph->num; i++) {
                uint64_t base = phdr_at(ph, i);
                uint64_t vaddr = FIELD(img, base, Phdr, p_vaddr);
                uint64_t off = FIELD(img, base, Phdr, p_offset);
                uint64_t filesz = FIELD(img, base, Phdr, p_filesz);

                if (FIELD(img, base, Phdr, p_type) != PT_LOAD || addr < vaddr ||
                    addr - vaddr >= filesz)
                        continue;
                /* ld.so would fault on such a segment: the file was cut short. */
                if (!in_image(img, off, filesz))
                        return nvcr_err_set(err, ENOEXEC,
                                            "truncated ELF: segment at offset %llu, %llu bytes, "
                                            "beyond the end of the file (%zu bytes)",
                                            (unsigned long long)off,
                                            (unsigned long long)filesz, img->len);
                ret->off = off + (addr - vaddr);
                ret->size = filesz - (addr - vaddr);
                return 0;
        }
        return nvcr_err_set(err, ENOEXEC,
                            "corrupt ELF: DT_STRTAB address 0x%llx not in any PT_LOAD segment",
                            (unsigned long long)addr);
}

/* Copies the NUL-terminated string at `off` of the string table; NULL if empty. */
static int read_string(const struct elf_image *img, struct region strtab, uint64_t off,
                       char **ret, struct nvcr_err *err)
{
        const uint8_t *s, *nul;
        char *copy;

        if (off >= strtab.size)
                return nvcr_err_set(err, ENOEXEC,
                                    "corrupt ELF: DT_SONAME offset %llu outside the string "
                                    "table (%llu bytes)",
                                    (unsigned long long)off, (unsigned long long)strtab.size);
        s = img->p + strtab.off + off;
        nul = memchr(s, '\0', (size_t)(strtab.size - off));
        if (nul == NULL)
                return nvcr_err_set(err, ENOEXEC, "corrupt ELF: DT_SONAME not NUL-terminated");
        if (nul == s) {
                *ret = NULL;
                return 0;
        }
        copy = strndup((const char *)s, (size_t)(nul - s));
        if (copy == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        *ret = copy;
        return 0;
}

static int read_soname(const struct elf_image *img, const struct phdrs *ph, char **ret,
                       struct nvcr_err *err)
{
        struct region dyn = {0}, strtab = {0};
        struct dyn_info d = {0};
        int r;

        *ret = NULL;
        if (!find_dynamic(img, ph, &dyn))
                return 0;
        r = read_dynamic(img, dyn, &d, err);
        if (r < 0)
                return r;
        if (!d.has_soname)
                return 0;
        if (!d.has_strtab)
                return nvcr_err_set(err, ENOEXEC, "corrupt ELF: DT_SONAME without DT_STRTAB");
        r = addr_to_region(img, ph, d.strtab, &strtab, err);
        if (r < 0)
                return r;
        if (d.has_strsz && d.strsz < strtab.size)
                strtab.size = d.strsz;
        return read_string(img, strtab, d.soname, ret, err);
}

int elf_parse(const void *buf, size_t len, struct elf_info *ret, struct nvcr_err *err)
{
        struct elf_image img = { .p = buf, .len = len };
        struct phdrs ph = {0};
        char *soname;
        int r;

        r = check_ident(img.p, len, err);
        if (r < 0)
                return r;
        img.is64 = img.p[EI_CLASS] == ELFCLASS64;
        if (len < SIZEOF(&img, Ehdr))
                return nvcr_err_set(err, ENOEXEC, "truncated ELF header");
        r = read_phdrs(&img, &ph, err);
        if (r < 0)
                return r;
        r = read_soname(&img, &ph, &soname, err);
        if (r < 0)
                return r;
        *ret = (struct elf_info){
                .elf_class = img.is64 ? 64 : 32,
                .machine = (uint16_t)FIELD(&img, 0, Ehdr, e_machine),
                .type = (uint16_t)FIELD(&img, 0, Ehdr, e_type),
                .soname = soname,
                .has_interp = has_interp(&img, &ph),
        };
        return 0;
}

int elf_read_fd(int fd, struct elf_info *ret, struct nvcr_err *err)
{
        struct stat st;
        void *map;
        int r;

        if (fstat(fd, &st) < 0)
                return nvcr_err_setsys(err, errno, "stat failed");
        if (!S_ISREG(st.st_mode))
                return nvcr_err_set(err, EINVAL, "not a regular file");
        if (st.st_size <= 0)
                return nvcr_err_set(err, ENOEXEC, "not an ELF file: empty");
        if ((uintmax_t)st.st_size > SIZE_MAX)
                return nvcr_err_set(err, EFBIG, "file too large to map");
        /*
         * The file must not shrink while mapped (SIGBUS): these are driver
         * files of the host or of an image being set up, not live-edited.
         */
        map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED)
                return nvcr_err_setsys(err, errno, "mmap failed");
        r = elf_parse(map, (size_t)st.st_size, ret, err);
        (void)munmap(map, (size_t)st.st_size);
        return r;
}

void elf_info_clear(struct elf_info *info)
{
        if (info == NULL)
                return;
        free(info->soname);
        *info = (struct elf_info){ 0 };
}
