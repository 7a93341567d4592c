/* SPDX-License-Identifier: Apache-2.0 */
#include "core/testpoint.h"

#ifdef NVCR_TEST_HOOKS
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void test_pause(const char *point)
{
        const char *spec = getenv("NVCR_TEST_PAUSE");
        const char *colon;
        char path[4096];
        size_t n = strlen(point);
        int fd;

        if (spec == NULL || (colon = strchr(spec, ':')) == NULL ||
            (size_t)(colon - spec) != n || strncmp(spec, point, n) != 0)
                return;
        (void)snprintf(path, sizeof(path), "%s/paused", colon + 1);
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd >= 0)
                (void)close(fd);
        (void)snprintf(path, sizeof(path), "%s/resume", colon + 1);
        for (int i = 0; i < 10000 && access(path, F_OK) != 0; i++) {
                struct timespec ts = {0, 1000000};
                (void)nanosleep(&ts, NULL);
        }
}
#else
/* Keeps the translation unit non-empty in release builds. */
typedef int testpoint_unused;
#endif
