/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/strv.h"

size_t strv_len(const char *const *v)
{
        size_t n = 0;

        while (v != NULL && v[n] != NULL)
                n++;
        return n;
}

char **strv_copy(const char *const *v)
{
        size_t n = strv_len(v);
        char **out;

        if (v == NULL)
                return NULL;
        out = calloc(n + 1, sizeof(*out));
        if (out == NULL)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                out[i] = strdup(v[i]);
                if (out[i] == NULL) {
                        strv_free(out);
                        errno = ENOMEM;
                        return NULL;
                }
        }
        return out;
}

int strv_push(char ***v, const char *s)
{
        size_t n = strv_len((const char *const *)*v);
        char *copy = strdup(s);
        char **nv;

        if (copy == NULL)
                return -ENOMEM;
        nv = realloc(*v, (n + 2) * sizeof(*nv));
        if (nv == NULL) {
                free(copy);
                return -ENOMEM;
        }
        nv[n] = copy;
        nv[n + 1] = NULL;
        *v = nv;
        return 0;
}

void strv_free(char **v)
{
        for (size_t i = 0; v != NULL && v[i] != NULL; i++)
                free(v[i]);
        free(v);
}

void strv_freep(char ***v)
{
        strv_free(*v);
        *v = NULL;
}
