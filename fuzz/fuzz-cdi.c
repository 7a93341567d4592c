/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer entry: the input as a CDI spec, read as YAML (the first byte
 * odd) or JSON. A parse must succeed or fail with "<name>:" leading the
 * message and a documented errno; an accepted spec must validate, write
 * out as JSON and YAML, and read back from either into the same text
 * (the writer's quoting and the reader's scalar rules must agree).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cdi/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_err(int r, const struct nvcr_err *err, const char *name)
{
        if (err->code != -r || err->msg[0] == '\0' ||
            strnlen(err->msg, sizeof(err->msg)) == sizeof(err->msg))
                abort();
        if (r != -EINVAL && r != -EFBIG && r != -ENOMEM)
                abort();
        if (strncmp(err->msg, name, strlen(name)) != 0)
                abort();
}

static char *text(const struct cdi_spec *s, enum cdi_format f)
{
        struct nvcr_err err = {0};
        char *t = NULL;
        int r = cdi_spec_to_text(s, f, &t, NULL, &err);

        /* Only a string that is not UTF-8 cannot be YAML. */
        if (r < 0 && !(r == -EILSEQ && f == CDI_FORMAT_YAML))
                abort();
        return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        enum cdi_format fmt = size > 0 && (data[0] & 1) ? CDI_FORMAT_YAML : CDI_FORMAT_JSON;
        const char *name = fmt == CDI_FORMAT_YAML ? "fuzz.yaml" : "fuzz.json";
        struct nvcr_err err = {0};
        struct cdi_spec s, back;
        char *json, *yaml, *again;
        int r;

        if (size > 0)
                data++, size--;
        r = cdi_spec_parse((const char *)data, size, fmt, name, &s, &err);
        if (r < 0) {
                check_err(r, &err, name);
                if (s.kind != NULL || s.ndevices != 0)
                        abort();
                return 0;
        }
        if (cdi_spec_validate(&s, name, &err) < 0)
                abort();
        json = text(&s, CDI_FORMAT_JSON);
        yaml = text(&s, CDI_FORMAT_YAML);
        if (cdi_spec_parse(json, strlen(json), CDI_FORMAT_JSON, "j", &back, &err) < 0)
                abort();
        again = text(&back, CDI_FORMAT_JSON);
        if (strcmp(json, again) != 0)
                abort();
        free(again);
        cdi_spec_clear(&back);
        if (yaml != NULL) {
                if (cdi_spec_parse(yaml, strlen(yaml), CDI_FORMAT_YAML, "y", &back, &err) < 0)
                        abort();
                again = text(&back, CDI_FORMAT_JSON);
                if (strcmp(json, again) != 0)
                        abort();
                free(again);
                cdi_spec_clear(&back);
        }
        free(json);
        free(yaml);
        cdi_spec_clear(&s);
        return 0;
}
