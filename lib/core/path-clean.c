/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/macro.h"
#include "core/path-clean.h"

int path_clean(const char *base, const char *path, enum path_dotdot dd, char **ret,
               const char **bad)
{
        _cleanup_free_ char *out = NULL;
        size_t blen = 0, plen = strlen(path), o = 0;

        if (path[0] != '/') {
                if (base == NULL || base[0] != '/')
                        return -EINVAL;
                blen = strlen(base);
        }
        if (blen > SIZE_MAX / 2 || plen > SIZE_MAX / 2)
                return -ENAMETOOLONG;
        out = malloc(blen + plen + 3);
        if (out == NULL)
                return -ENOMEM;
        /* Walk base (if used) then path, name by name. */
        for (int part = 0; part < 2; part++) {
                const char *s = part == 0 ? (path[0] == '/' ? "" : base) : path;

                while (*s != '\0') {
                        const char *e;
                        size_t n;

                        while (*s == '/')
                                s++;
                        if (*s == '\0')
                                break;
                        e = strchrnul(s, '/');
                        n = (size_t)(e - s);
                        if (n == 2 && s[0] == '.' && s[1] == '.') {
                                if (dd == PATH_DOTDOT_REFUSE) {
                                        if (bad != NULL)
                                                *bad = part == 0 ? base : path;
                                        return -EINVAL;
                                }
                                while (o > 0 && out[o - 1] != '/')
                                        o--;
                                if (o > 0)
                                        o--;
                        } else if (!(n == 1 && s[0] == '.')) {
                                out[o++] = '/';
                                memcpy(out + o, s, n);
                                o += n;
                        }
                        s = e;
                }
        }
        if (o == 0)
                out[o++] = '/';
        out[o] = '\0';
        *ret = steal_ptr(&out);
        return 0;
}
