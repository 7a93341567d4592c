/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Minimal ELF reader: class, machine and DT_SONAME of a shared object. Reads
 * only the headers it needs, bounds-checks every offset (files may come from
 * a hostile container image in later uses), never executes anything.
 */
#ifndef NVCR_DRIVER_ELF_H
#define NVCR_DRIVER_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nvcr.h"

struct elf_info {
        int elf_class;    /* 32 or 64 */
        uint16_t machine; /* e_machine, e.g. EM_X86_64 */
        uint16_t type;    /* e_type, ET_DYN for libraries */
        char *soname;     /* DT_SONAME, NULL when the file has none (or an empty one) */
        bool has_interp;  /* a PT_INTERP segment: run through a dynamic loader */
};

/*
 * Parses an in-memory image (any alignment). -ENOEXEC "not an ELF file",
 * "truncated …", "corrupt …", "unsupported …" (big endian, PN_XNUM). The
 * soname is returned as found: callers that build paths from it must check it.
 */
int elf_parse(const void *buf, size_t len, struct elf_info *ret, struct nvcr_err *err);
/*
 * Maps the file read-only and parses it. -EINVAL "not a regular file", -ENOEXEC
 * for an empty file. Messages do not name the file: the caller wraps them.
 */
int elf_read_fd(int fd, struct elf_info *ret, struct nvcr_err *err);
void elf_info_clear(struct elf_info *info);

#endif
