/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nvidia-ctk config [--config-file F] [--set K[=V]]… [--in-place | --output F]
 * nvidia-ctk config default [--output F]
 * (lib/config/config-write.c; writes go through lib/engine's atomic writer).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config-write.h"
#include "config/config.h"
#include "core/macro.h"
#include "ctk.h"
#include "engine/engine.h"

static void usage(FILE *f)
{
        fputs("NAME:\n   nvidia-ctk config - Interact with the NVIDIA Container Toolkit "
              "configuration\n\nUSAGE:\n   nvidia-ctk config command [command options] "
              "[arguments...]\n\nCOMMANDS:\n"
              "   default, generate-default  Generate the default NVIDIA Container Toolkit "
              "configuration file\n\nOPTIONS:\n"
              "   --config-file value, --config value, -c value  Specify the config file to "
              "modify.\n"
              "   --set value [ --set value ]    Set a config value using the pattern "
              "'key[=value]'. Specifying only 'key' is equivalent to 'key=true' for boolean "
              "settings. This flag can be specified multiple times, but only the last value "
              "for a specific config option is applied. If the config option is a list, "
              "values are split on --set-list-separator.\n"
              "   --set-list-separator value     Specify a separator for lists applied using "
              "the set command. (default: \",\")\n"
              "   --in-place, -i                 Modify the config file in-place (default: "
              "false)\n"
              "   --output value, -o value       Specify the output file to write to; If not "
              "specified, the output is written to stdout\n"
              "   --help, -h                     show help\n",
              f);
}

/* To stdout, or atomically to path. */
static int emit(const char *path, const char *buf)
{
        struct nvcr_err err = { 0 };

        if (path == NULL || *path == '\0') {
                fputs(buf, stdout);
                return fflush(stdout) == 0 ? 0 : 1;
        }
        if (engine_write_config(path, buf, strlen(buf), &err) < 0) {
                ctk_error("failed to write output: %s", err.msg);
                return 1;
        }
        return 0;
}

static int cmd_default(int argc, char **argv)
{
        static const struct option lo[] = {
                { "output", required_argument, NULL, 'o' },
                { "help", no_argument, NULL, 'h' },
                { 0 },
        };
        _cleanup_(config_free) struct nvcr_config cfg = { 0 };
        _cleanup_free_ char *out = NULL;
        struct nvcr_err err = { 0 };
        const char *output = NULL;
        int c;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+o:h", lo, NULL)) != -1) {
                switch (c) {
                case 'o':
                        output = optarg;
                        break;
                case 'h':
                        fputs("NAME:\n   nvidia-ctk config default - Generate the default "
                              "NVIDIA Container Toolkit configuration file\n\nOPTIONS:\n"
                              "   --output value, -o value  Specify the output file to write "
                              "to; If not specified, the output is written to stdout\n",
                              stdout);
                        return 0;
                case '?':
                default:
                        fprintf(stderr, "Incorrect Usage: flag provided but not defined: %s\n",
                                argv[optind - 1]);
                        return 1;
                }
        }
        if (config_defaults(&cfg, &err) < 0 || config_write(&cfg, &out, &err) < 0) {
                ctk_error("unable to generate the default config: %s", err.msg);
                return 1;
        }
        return emit(output, out);
}

int ctk_config(const struct ctk_global *g, int argc, char **argv)
{
        static const struct option lo[] = {
                { "config-file", required_argument, NULL, 'c' },
                { "config", required_argument, NULL, 'c' },
                { "set", required_argument, NULL, 's' },
                { "set-list-separator", required_argument, NULL, 'S' },
                { "in-place", optional_argument, NULL, 'i' },
                { "output", required_argument, NULL, 'o' },
                { "help", no_argument, NULL, 'h' },
                { 0 },
        };
        _cleanup_(config_free) struct nvcr_config cfg = { 0 };
        _cleanup_free_ const char **sets = calloc((size_t)argc + 1, sizeof(char *));
        _cleanup_free_ char *out = NULL;
        const char *path = g->config_path, *sep = ",", *output = NULL;
        struct nvcr_err err = { 0 };
        bool in_place = false;
        size_t nsets = 0;
        int c;

        if (sets == NULL) {
                ctk_error("out of memory");
                return 1;
        }
        if (argc >= 2 && (strcmp(argv[1], "default") == 0 ||
                          strcmp(argv[1], "generate-default") == 0))
                return cmd_default(argc - 1, argv + 1);
        if (path == NULL)
                path = getenv("NVIDIA_CTK_CONFIG_FILE_PATH");
        if (path == NULL || *path == '\0')
                path = config_default_path();
        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+c:io:h", lo, NULL)) != -1) {
                switch (c) {
                case 'c':
                        path = optarg;
                        break;
                case 's':
                        sets[nsets++] = optarg;
                        break;
                case 'S':
                        sep = optarg;
                        break;
                case 'i':
                        in_place = optarg == NULL || strcmp(optarg, "true") == 0 ||
                                   strcmp(optarg, "1") == 0;
                        break;
                case 'o':
                        output = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                case '?':
                default:
                        fprintf(stderr, "Incorrect Usage: flag provided but not defined: %s\n\n",
                                argv[optind - 1]);
                        usage(stderr);
                        return 1;
                }
        }
        if (optind < argc) {
                ctk_error("No help topic for '%s'", argv[optind]);
                return 1;
        }
        if (in_place && output != NULL && *output != '\0') {
                ctk_error("invalid flags: --in-place and --output cannot be used together");
                return 1;
        }
        if (config_load(path, &cfg, &err) < 0) {
                ctk_error("unable to load or create config: %s", err.msg);
                return 1;
        }
        /* In order: the last --set of a key wins. */
        for (size_t i = 0; i < nsets; i++)
                if (config_set(&cfg, sets[i], sep, &err) < 0) {
                        ctk_error("unable to set config value: %s", err.msg);
                        return 1;
                }
        if (config_check(&cfg, &err) < 0) {
                ctk_error("invalid config: %s", err.msg);
                return 1;
        }
        if (config_write(&cfg, &out, &err) < 0) {
                ctk_error("unable to write the config: %s", err.msg);
                return 1;
        }
        return emit(in_place ? path : output, out);
}
