/* SPDX-License-Identifier: Apache-2.0 */
/* Driver capability names, as NVIDIA_DRIVER_CAPABILITIES and the CLI flags spell them. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "core/macro.h"

static const struct {
        const char *name;
        unsigned cap;
} cap_names[] = {
        {"compute", NVCR_CAP_COMPUTE}, {"utility", NVCR_CAP_UTILITY},
        {"video", NVCR_CAP_VIDEO},     {"graphics", NVCR_CAP_GRAPHICS},
        {"display", NVCR_CAP_DISPLAY}, {"ngx", NVCR_CAP_NGX},
        {"compat32", NVCR_CAP_COMPAT32}, {"all", NVCR_CAP_ALL},
};

static int cap_lookup(const char *tok, size_t len, unsigned *ret)
{
        for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++) {
                if (strlen(cap_names[i].name) == len && strncmp(cap_names[i].name, tok, len) == 0) {
                        *ret = cap_names[i].cap;
                        return 0;
                }
        }
        return -EINVAL;
}

int nvcr_caps_parse(const char *list, unsigned *ret, struct nvcr_err *err)
{
        unsigned caps = 0, c;
        const char *p = list;

        while (*p != '\0') {
                const char *end = strchr(p, ',');
                size_t len = end ? (size_t)(end - p) : strlen(p);
                const char *s = p;

                /* Whitespace around names is trimmed; empty tokens are skipped. */
                while (len > 0 && isspace((unsigned char)*s)) {
                        s++;
                        len--;
                }
                while (len > 0 && isspace((unsigned char)s[len - 1]))
                        len--;
                if (len > 0) {
                        if (cap_lookup(s, len, &c) < 0)
                                return nvcr_err_set(err, EINVAL, "unknown capability: %.*s",
                                                    (int)len, s);
                        caps |= c;
                }
                p = end ? end + 1 : p + strlen(p);
        }
        *ret = caps;
        return 0;
}
