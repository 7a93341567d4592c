/* SPDX-License-Identifier: Apache-2.0 */
/* TOML basic strings and keys for the drop-ins we write. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"

char *engine_toml_quote(const char *s)
{
        size_t n = strlen(s);
        char *out = malloc(n * 6 + 3), *p = out;

        if (out == NULL)
                return NULL;
        *p++ = '"';
        for (; *s != '\0'; s++) {
                unsigned char c = (unsigned char)*s;

                if (c == '"' || c == '\\') {
                        *p++ = '\\';
                        *p++ = (char)c;
                } else if (c < 0x20 || c == 0x7f) {
                        p += sprintf(p, "\\u%04x", c);
                } else {
                        *p++ = (char)c;
                }
        }
        *p++ = '"';
        *p = '\0';
        return out;
}
