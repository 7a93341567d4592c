/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer entry: elf_parse on arbitrary bytes must fail cleanly or return a bounded soname. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "driver/elf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct elf_info info = { 0 };
        struct nvcr_err err = { 0 };

        if (elf_parse(data, size, &info, &err) == 0) {
                /* The soname was copied out of the image, so it is shorter than the image. */
                if (info.soname != NULL && strlen(info.soname) >= size)
                        abort();
                elf_info_clear(&info);
        } else if (err.code == 0 || err.msg[0] == '\0') {
                abort();
        }
        return 0;
}
