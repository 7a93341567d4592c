/* SPDX-License-Identifier: Apache-2.0 */
/* Placeholder until the command group lands (replaced in this issue). */
#include "ctk.h"

int ctk_config(const struct ctk_global *g, int argc, char **argv)
{
        (void)g;
        (void)argc;
        ctk_error("%s: not available in this build", argv[0]);
        return 1;
}
