/* SPDX-License-Identifier: Apache-2.0 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/userns.h"

bool in_user_namespace(void)
{
        unsigned long a, b, n;
        bool init_ns = false;
        FILE *f = fopen("/proc/self/uid_map", "re");

        /* The initial namespace maps all of 0..2^32-2 onto itself. */
        if (f == NULL)
                return false;
        init_ns = fscanf(f, "%lu %lu %lu", &a, &b, &n) == 3 && a == 0 && b == 0 &&
                  n == 4294967295ul;
        (void)fclose(f);
        return !init_ns;
}

/*
 * Inside a user namespace (LXC's unprivileged mount hook) the host's root is
 * not mapped: its files show the overflow uid. Such an owner is accepted
 * there - nobody inside the namespace can be that uid - while the mode checks
 * still apply.
 */
bool uid_is_unmapped_root(uid_t uid)
{
        char buf[128] = "";
        unsigned long overflow = 65534;
        FILE *f;

        if (!in_user_namespace())
                return false;
        f = fopen("/proc/sys/kernel/overflowuid", "re");
        if (f != NULL) {
                if (fgets(buf, sizeof(buf), f) != NULL)
                        overflow = strtoul(buf, NULL, 10);
                (void)fclose(f);
        }
        return uid == (uid_t)overflow;
}
