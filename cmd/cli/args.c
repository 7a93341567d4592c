/* SPDX-License-Identifier: Apache-2.0 */
/* Option helpers shared by the commands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_join(char **dst, const char *arg)
{
        char *n;

        if (*dst == NULL)
                n = strdup(arg);
        else if (asprintf(&n, "%s,%s", *dst, arg) < 0)
                n = NULL;
        if (n == NULL)
                return -1;
        free(*dst);
        *dst = n;
        return 0;
}
