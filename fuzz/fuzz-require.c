/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer entry: nvcr_require_check on the input split into expressions at
 * '\n', against a fixed inventory of two GPUs (one with a MIG device),
 * evaluated with no device, each GPU, both, and the MIG device. Every call
 * must succeed or fail with one of the documented errors and a message, and
 * the answer must not depend on evaluating a GPU twice.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nvcr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_INPUT_EXPRS 40 /* a few past the library's limit of 32 */

static char cuda[] = "12.4";
static char driver[] = "550.54.15";
static char arch0[] = "9.0", arch1[] = "8.0";
static char brand0[] = "Tesla", brand1[] = "Quadro";

static int check(const struct nvcr_inventory *inv, const struct nvcr_selection *sel,
                 const char *const *exprs, size_t n)
{
        struct nvcr_err err = { 0 };
        int r = nvcr_require_check(inv, sel, exprs, n, &err);

        if (r == 0) {
                if (err.code != 0)
                        abort();
                return r;
        }
        if (err.code != -r || err.msg[0] == '\0' ||
            strnlen(err.msg, sizeof(err.msg)) == sizeof(err.msg))
                abort();
        switch (r) {
        case -EINVAL:
                if (strncmp(err.msg, "invalid expression", 18) != 0)
                        abort();
                break;
        case -EPERM:
                if (strncmp(err.msg, "unsatisfied condition: ", 23) != 0)
                        abort();
                break;
        case -E2BIG:
                if (n <= 32)
                        abort();
                break;
        default:
                abort();
        }
        return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct nvcr_mig mig = { .gi = 1 };
        struct nvcr_gpu gpus[2] = {
                { .index = 0, .arch = arch0, .brand = brand0 },
                { .index = 1, .minor = 1, .arch = arch1, .brand = brand1, .mig_enabled = true,
                  .nmigs = 1, .migs = &mig },
        };
        struct nvcr_inventory inv = {
                .cuda_version = cuda, .driver_version = driver, .ngpus = 2, .gpus = gpus,
        };
        const struct nvcr_gpu *g0[] = { &gpus[0] }, *g1[] = { &gpus[1] };
        const struct nvcr_gpu *both[] = { &gpus[0], &gpus[1] };
        const struct nvcr_gpu *twice[] = { &gpus[0], &gpus[1], &gpus[1] };
        const struct nvcr_mig *migs[] = { &mig };
        struct nvcr_selection s_g0 = { .ngpus = 1, .gpus = g0 };
        struct nvcr_selection s_g1 = { .ngpus = 1, .gpus = g1 };
        struct nvcr_selection s_both = { .ngpus = 2, .gpus = both };
        struct nvcr_selection s_twice = { .ngpus = 3, .gpus = twice };
        struct nvcr_selection s_mig = { .nmigs = 1, .migs = migs, .mig_parents = g1 };
        struct nvcr_selection s_none = { 0 };
        const char *exprs[MAX_INPUT_EXPRS];
        size_t n = 0;
        char *text;
        int r0, r1, r2, rb;

        text = malloc(size + 1);
        if (text == NULL)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        /* One expression per line; an embedded NUL ends the input. */
        for (char *p = text; n < MAX_INPUT_EXPRS;) {
                char *nl = strchr(p, '\n');

                exprs[n++] = p;
                if (nl == NULL)
                        break;
                *nl = '\0';
                p = nl + 1;
        }

        r0 = check(&inv, NULL, exprs, n);
        if (check(&inv, &s_none, exprs, n) != r0)
                abort();
        r1 = check(&inv, &s_g0, exprs, n);
        r2 = check(&inv, &s_g1, exprs, n);
        rb = check(&inv, &s_both, exprs, n);
        /* Syntax and the limit do not depend on the devices. */
        if ((r0 == -EINVAL || r0 == -E2BIG) && (r1 != r0 || r2 != r0 || rb != r0))
                abort();
        /* Both GPUs: satisfied exactly when each one is. */
        if ((rb == 0) != (r1 == 0 && r2 == 0))
                abort();
        if (check(&inv, &s_twice, exprs, n) != rb)
                abort();
        /* A MIG device is its parent GPU. */
        if (check(&inv, &s_mig, exprs, n) != r2)
                abort();
        /* Unknown facts only make more expressions hold. */
        inv.cuda_version = NULL;
        inv.driver_version = NULL;
        if (r0 == 0 && check(&inv, NULL, exprs, n) != 0)
                abort();
        free(text);
        return 0;
}
