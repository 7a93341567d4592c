/* SPDX-License-Identifier: Apache-2.0 */
/* nvidia-cdi-hook: the CDI createContainer hooks (lib/cdihook). */
#include <stdbool.h>
#include <string.h>

#include "cdihook/cdihook.h"

int main(int argc, char **argv)
{
        bool debug = false;

        /* Global flag of the reference's hook binary: --debug/-d before the hook name. */
        if (argc > 1 && (strcmp(argv[1], "--debug") == 0 || strcmp(argv[1], "-d") == 0)) {
                debug = true;
                argv[1] = argv[0];
                argc--;
                argv++;
        }
        return cdi_hook_main(argc, argv, "nvidia-cdi-hook", debug);
}
