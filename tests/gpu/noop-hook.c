/* SPDX-License-Identifier: Apache-2.0 */
/*
 * noop-hook: the cheapest possible OCI hook, the floor the configure hook is
 * measured against (bench/configure.sh). Reads the state runc writes on stdin
 * to its end, as a real hook does, and exits 0. Built static by
 * scripts/build-carry.sh.
 */
#include <unistd.h>

int main(void)
{
        char buf[4096];

        while (read(0, buf, sizeof(buf)) > 0)
                ;
        return 0;
}
