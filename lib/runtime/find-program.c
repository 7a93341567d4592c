/* SPDX-License-Identifier: Apache-2.0 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/args.h"

char *runtime_find_program(const char *name)
{
        const char *path = getenv("PATH");
        char buf[PATH_MAX];

        if (strchr(name, '/') != NULL)
                return access(name, X_OK) == 0 ? realpath(name, NULL) : NULL;
        if (path == NULL || path[0] == '\0')
                path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        for (const char *p = path; *p;) {
                const char *c = strchr(p, ':');
                size_t n = c ? (size_t)(c - p) : strlen(p);

                if (n > 0 && snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, p, name) < (int)sizeof(buf) &&
                    access(buf, X_OK) == 0)
                        return realpath(buf, NULL);
                p += n + (c != NULL);
        }
        return NULL;
}

char *runtime_find_beside_self(const char *name)
{
        char self[PATH_MAX], buf[PATH_MAX + 64];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

        if (n <= 0)
                return NULL;
        self[n] = '\0';
        *strrchr(self, '/') = '\0';
        if (snprintf(buf, sizeof(buf), "%s/%s", self, name) >= (int)sizeof(buf))
                return NULL;
        return access(buf, X_OK) == 0 ? strdup(buf) : NULL;
}
