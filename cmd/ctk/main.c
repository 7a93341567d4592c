/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nvidia-ctk [--debug] [--quiet] [--config FILE] COMMAND …
 *   hook      the nvidia-cdi-hook subcommands (same code, lib/cdihook)
 *   runtime   configure an engine (docker, containerd, crio)
 *   cdi       generate, list
 *   system    create-dev-char-symlinks
 *   config    show or edit config.toml
 *   info      version
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build-config.h"
#include "cdihook/cdihook.h"
#include "ctk.h"

static void usage(FILE *f)
{
        fputs("NAME:\n   NVIDIA Container Toolkit CLI - Tools to configure the NVIDIA Container "
              "Toolkit\n\nUSAGE:\n   nvidia-ctk [global options] command [command options] "
              "[arguments...]\n\nCOMMANDS:\n"
              "   hook     A collection of hooks that may be injected into an OCI spec\n"
              "   runtime  A collection of runtime-related utilities for the NVIDIA Container "
              "Toolkit\n"
              "   info     Provide information about the system\n"
              "   cdi      Provide tools for interacting with Container Device Interface "
              "specifications\n"
              "   system   A collection of system-related utilities for the NVIDIA Container "
              "Toolkit\n"
              "   config   Interact with the NVIDIA Container Toolkit configuration\n"
              "   help, h  Shows a list of commands or help for one command\n\n"
              "GLOBAL OPTIONS:\n"
              "   --debug, -d    Enable debug-level logging (default: false)\n"
              "   --quiet        Suppress all output except for errors; overrides --debug "
              "(default: false)\n"
              "   --config value Specify the config file to use\n"
              "   --help, -h     show help\n"
              "   --version, -v  print the version\n",
              f);
}

static void version(void)
{
        printf("NVIDIA Container Toolkit CLI version %s\ncommit: %s\n", NVCR_VERSION,
               NVCR_BUILD_REVISION);
}

int main(int argc, char **argv)
{
        struct ctk_global g = {0};
        int i;

        for (i = 1; i < argc && argv[i][0] == '-'; i++) {
                const char *a = argv[i];

                if (strcmp(a, "--debug") == 0 || strcmp(a, "-d") == 0) {
                        g.debug = true;
                } else if (strcmp(a, "--quiet") == 0) {
                        g.quiet = true;
                } else if (strcmp(a, "--config") == 0 && i + 1 < argc) {
                        g.config_path = argv[++i];
                } else if (strncmp(a, "--config=", 9) == 0) {
                        g.config_path = a + 9;
                } else if (strcmp(a, "--version") == 0 || strcmp(a, "-v") == 0) {
                        version();
                        return 0;
                } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
                        usage(stdout);
                        return 0;
                } else {
                        fprintf(stderr, "Incorrect Usage: flag provided but not defined: %s\n\n",
                                a);
                        usage(stderr);
                        return 1;
                }
        }
        ctk_log_init(&g);
        if (i >= argc) {
                usage(stdout);
                return 0;
        }
        argc -= i;
        argv += i;
        if (strcmp(argv[0], "hook") == 0)
                return cdi_hook_main(argc, argv, "nvidia-ctk hook", g.debug);
        if (strcmp(argv[0], "runtime") == 0)
                return ctk_runtime(&g, argc, argv);
        if (strcmp(argv[0], "cdi") == 0)
                return ctk_cdi(&g, argc, argv);
        if (strcmp(argv[0], "system") == 0)
                return ctk_system(&g, argc, argv);
        if (strcmp(argv[0], "config") == 0)
                return ctk_config(&g, argc, argv);
        if (strcmp(argv[0], "info") == 0) {
                version();
                return 0;
        }
        if (strcmp(argv[0], "help") == 0 || strcmp(argv[0], "h") == 0) {
                usage(stdout);
                return 0;
        }
        fprintf(stderr, "No help topic for '%s'\n", argv[0]);
        return 3;
}
