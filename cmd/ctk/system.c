/* SPDX-License-Identifier: Apache-2.0 */
/* nvidia-ctk system create-dev-char-symlinks (lib/engine/devchar.c). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/macro.h"
#include "ctk.h"
#include "engine/devchar.h"
#include "nvcr.h"

static void usage(FILE *f)
{
        fputs("NAME:\n   nvidia-ctk system create-dev-char-symlinks - A utility to create "
              "symlinks to possible /dev/nv* devices in /dev/char\n\nUSAGE:\n   nvidia-ctk "
              "system create-dev-char-symlinks [command options]\n\nOPTIONS:\n"
              "   --dev-char-path value  The path at which the symlinks will be created "
              "(default: \"/dev/char\")\n"
              "   --driver-root value    The path to the driver root. Driver device nodes "
              "are assumed to be at ${driver-root}/dev (default: \"/\")\n"
              "   --create-all           Create all possible /dev/char symlinks instead of "
              "limiting these to existing device nodes (default: false)\n"
              "   --load-kernel-modules  Load the NVIDIA kernel modules before creating "
              "symlinks (default: false)\n"
              "   --create-device-nodes  Create the NVIDIA control device nodes in the driver "
              "root if they do not exist (default: false)\n"
              "   --dry-run              If set, the command will not create any symlinks "
              "(default: false)\n"
              "   --help, -h             show help\n",
              f);
}

static int parse_bool(const char *flag, const char *arg, bool *ret)
{
        if (arg == NULL || strcmp(arg, "true") == 0 || strcmp(arg, "1") == 0) {
                *ret = true;
                return 0;
        }
        if (strcmp(arg, "false") == 0 || strcmp(arg, "0") == 0) {
                *ret = false;
                return 0;
        }
        ctk_error("invalid value \"%s\" for flag -%s: parse error", arg, flag);
        return -1;
}

static void report(void *userdata, enum devchar_action action, const char *link,
                   const char *target)
{
        bool dry_run = *(bool *)userdata;

        switch (action) {
        case DEVCHAR_CREATE:
                ctk_info("%s link %s => %s", dry_run ? "Would create" : "Creating", link, target);
                break;
        case DEVCHAR_REPLACE:
                ctk_info("%s link %s => %s", dry_run ? "Would replace" : "Replacing", link,
                         target);
                break;
        case DEVCHAR_KEEP:
                ctk_debug("Link %s => %s already exists", link, target);
                break;
        case DEVCHAR_SKIP:
        default:
                ctk_warn("%s exists and is not a symlink: left alone", link);
                break;
        }
}

static void kmods_log(void *userdata, enum nvcr_log_level level, const char *file, int line,
                      const char *msg)
{
        (void)userdata;
        (void)file;
        (void)line;
        if (level >= NVCR_LOG_WARNING)
                ctk_warn("%s", msg);
        else if (level == NVCR_LOG_INFO)
                ctk_info("%s", msg);
        else
                ctk_debug("%s", msg);
}

enum { O_DEVCHAR = 256, O_ROOT, O_ALL, O_KMODS, O_NODES, O_DRY };

static int create_dev_char_symlinks(int argc, char **argv)
{
        static const struct option lo[] = {
                { "dev-char-path", required_argument, NULL, O_DEVCHAR },
                { "driver-root", required_argument, NULL, O_ROOT },
                { "create-all", optional_argument, NULL, O_ALL },
                { "load-kernel-modules", optional_argument, NULL, O_KMODS },
                { "create-device-nodes", optional_argument, NULL, O_NODES },
                { "dry-run", optional_argument, NULL, O_DRY },
                { "help", no_argument, NULL, 'h' },
                { 0 },
        };
        const char *dev_char = "/dev/char", *root = "/";
        bool all = false, kmods = false, nodes = false, dry_run = false;
        _cleanup_free_ char *dev = NULL;
        struct nvcr_err err = { 0 };
        unsigned count = 0;
        int c, r = 0;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+h", lo, NULL)) != -1) {
                switch (c) {
                case O_DEVCHAR:
                        dev_char = optarg;
                        break;
                case O_ROOT:
                        root = optarg;
                        break;
                case O_ALL:
                        r = parse_bool("create-all", optarg, &all);
                        break;
                case O_KMODS:
                        r = parse_bool("load-kernel-modules", optarg, &kmods);
                        break;
                case O_NODES:
                        r = parse_bool("create-device-nodes", optarg, &nodes);
                        break;
                case O_DRY:
                        r = parse_bool("dry-run", optarg, &dry_run);
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
                if (r < 0)
                        return 1;
        }
        if (optind < argc) {
                ctk_error("unexpected argument: %s", argv[optind]);
                return 1;
        }
        if (asprintf(&dev, "%s/dev", strcmp(root, "/") == 0 ? "" : root) < 0) {
                dev = NULL;
                ctk_error("out of memory");
                return 1;
        }
        /* --create-all: links for the nodes a loaded driver has, which needs
           the nodes themselves: the same as --create-device-nodes. */
        if ((kmods || nodes || all) && !dry_run) {
                struct nvcr_ctx *ctx = NULL;

                if (nvcr_ctx_new(&ctx, &err) < 0 ||
                    nvcr_ctx_set(ctx, NVCR_SET_ROOT, root, &err) < 0 ||
                    nvcr_ctx_set(ctx, NVCR_SET_DEV, dev, &err) < 0) {
                        ctk_error("%s", err.msg);
                        nvcr_ctx_free(ctx);
                        return 1;
                }
                nvcr_ctx_set_log(ctx, kmods_log, NULL);
                /* Loads the modules and makes the missing nodes; failures warn. */
                nvcr_load_kmods(ctx);
                nvcr_ctx_free(ctx);
        }
        if (devchar_create_links(dev, dev_char, dry_run, report, &dry_run, &count, &err) < 0) {
                ctk_error("failed to create symlinks: %s", err.msg);
                return 1;
        }
        if (count == 0)
                ctk_warn("no NVIDIA device nodes found under %s", dev);
        return 0;
}

int ctk_system(const struct ctk_global *g, int argc, char **argv)
{
        (void)g;
        if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
            strcmp(argv[1], "help") == 0) {
                fputs("NAME:\n   nvidia-ctk system - A collection of system-related utilities "
                      "for the NVIDIA Container Toolkit\n\nUSAGE:\n   nvidia-ctk system command "
                      "[command options] [arguments...]\n\nCOMMANDS:\n"
                      "   create-dev-char-symlinks  A utility to create symlinks to possible "
                      "/dev/nv* devices in /dev/char\n",
                      argc < 2 ? stderr : stdout);
                return argc < 2 ? 1 : 0;
        }
        if (strcmp(argv[1], "create-dev-char-symlinks") == 0)
                return create_dev_char_symlinks(argc - 1, argv + 1);
        ctk_error("No help topic for '%s'", argv[1]);
        return 1;
}
