/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer entry: the procfs parsers on one NUL-terminated copy of the input.
 * Each must either succeed with consistent results or fail with a message.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "driver/procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_failed(int r, const struct nvcr_err *err)
{
        if (r >= 0 || err->code != -r || err->msg[0] == '\0')
                abort();
}

static void fuzz_information(const char *text)
{
        struct procfs_gpu g = { 0 };
        struct nvcr_err err = { 0 };
        char *again = NULL;
        int r;

        r = procfs_parse_information(text, &g, &err);
        if (r < 0) {
                check_failed(r, &err);
                return;
        }
        /* A normalised bus id normalises to itself. */
        if (g.bus_id == NULL || procfs_normalize_bus_id(g.bus_id, &again, NULL) < 0 ||
            strcmp(again, g.bus_id) != 0)
                abort();
        free(again);
        procfs_gpu_clear(&g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct procfs_majors majors;
        struct nvcr_err err = { 0 };
        char *text, *s = NULL;
        unsigned minor;
        int r;

        text = malloc(size + 1);
        if (text == NULL)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';

        r = procfs_parse_version(text, &s, &err);
        if (r == 0 && (s == NULL || strlen(s) == 0))
                abort();
        if (r < 0)
                check_failed(r, &err);
        free(s);
        fuzz_information(text);
        r = procfs_parse_devices(text, &majors, &err);
        if (r < 0)
                check_failed(r, &err);
        r = procfs_parse_cap_minor(text, &minor, &err);
        if (r < 0)
                check_failed(r, &err);
        s = NULL;
        if (procfs_normalize_bus_id(text, &s, NULL) == 0 && strlen(s) != 16)
                abort();
        free(s);
        free(text);
        return 0;
}
