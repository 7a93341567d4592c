/* SPDX-License-Identifier: Apache-2.0 */
/* Placeholder until the hooks land (replaced in this issue). */
#include <stdio.h>

#include "cdihook/cdihook.h"

int cdi_hook_main(int argc, char **argv, const char *prog, bool debug)
{
        (void)debug;
        fprintf(stderr, "%s: %s: not available in this build\n", prog, argc > 1 ? argv[1] : "");
        return 1;
}
