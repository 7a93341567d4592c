/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nvidia-container-cli: global options, then a command (info, list). Global
 * options must precede the command, as with the reference's argp parser.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build-config.h"
#include "apply/prestart.h"
#include "cli.h"

enum {
        OPT_NO_CREATE_IMEX = 0x100,
        OPT_USAGE,
        OPT_PROC_ROOT,
        OPT_SYS_ROOT,
        OPT_DEV_ROOT,
        OPT_CACHE_DIR,
        OPT_LIB_SEARCH,
};

static const struct option global_options[] = {
        {"debug", required_argument, NULL, 'd'},
        {"load-kmods", no_argument, NULL, 'k'},
        {"no-pivot", no_argument, NULL, 'n'},
        {"user", optional_argument, NULL, 'u'},
        {"root", required_argument, NULL, 'r'},
        {"ldcache", required_argument, NULL, 'l'},
        {"no-create-imex-channels", no_argument, NULL, OPT_NO_CREATE_IMEX},
        {"help", no_argument, NULL, '?'},
        {"usage", no_argument, NULL, OPT_USAGE},
        {"version", no_argument, NULL, 'V'},
        /* Ours: every host input path is a setting (tests point them at a simulated host). */
        {"proc-root", required_argument, NULL, OPT_PROC_ROOT},
        {"sys-root", required_argument, NULL, OPT_SYS_ROOT},
        {"dev-root", required_argument, NULL, OPT_DEV_ROOT},
        {"cache-dir", required_argument, NULL, OPT_CACHE_DIR},
        {"library-search-path", required_argument, NULL, OPT_LIB_SEARCH},
        {NULL, 0, NULL, 0},
};

static void print_help(void)
{
        printf("Usage: %s [OPTION...] COMMAND [ARG...]\n"
               "Command line utility for manipulating NVIDIA GPU containers.\n\n"
               "  Commands:\n"
               "    info        Report information about the driver and devices\n"
               "    list        List driver components\n"
               "    configure   Configure a container with GPU support\n\n"
               "  Options:\n"
               "  -d, --debug=FILE           Log debug information\n"
               "  -k, --load-kmods           Load kernel modules\n"
               "  -l, --ldcache=FILE         Path to the system's DSO cache\n"
               "  -n, --no-pivot             Do not use pivot_root\n"
               "      --no-create-imex-channels  Don't automatically create IMEX channel device nodes\n"
               "  -r, --root=PATH            Path to the driver root directory\n"
               "  -u, --user[=UID[:GID]]     User and group to use for privilege separation\n"
               "      --proc-root=PATH       Host procfs (default /proc)\n"
               "      --sys-root=PATH        Host sysfs (default /sys)\n"
               "      --dev-root=PATH        Host device directory (default <root>/dev)\n"
               "      --cache-dir=PATH       NVML answer cache (default "
               "/run/nvidia-container-toolkit, empty: off)\n"
               "      --library-search-path=DIR  Extra driver library directory (repeatable)\n"
               "  -?, --help                 Give this help list\n"
               "      --usage                Give a short usage message\n"
               "  -V, --version              Print program version\n",
               PROG);
}

static void print_version(void)
{
        printf("cli-version: %s\n", NVCR_VERSION);
        printf("lib-version: %s\n", nvcr_version());
        printf("build date: %s\n", __DATE__ " " __TIME__);
        printf("build revision: %s\n", NVCR_BUILD_REVISION);
        printf("build compiler: %s\n", NVCR_BUILD_COMPILER);
        printf("build platform: %s\n", NVCR_BUILD_PLATFORM);
        printf("build flags: %s\n", NVCR_BUILD_FLAGS);
}

static int set(struct cli *cli, enum nvcr_setting key, const char *value)
{
        struct nvcr_err err = {0};

        if (nvcr_ctx_set(cli->ctx, key, value, &err) < 0)
                return cli_fail("input", &err);
        return 0;
}

/* -u alone means "the current user", as in the reference. */
static int set_user(struct cli *cli, const char *arg)
{
        char buf[64];

        if (arg == NULL) {
                (void)snprintf(buf, sizeof(buf), "%u:%u", geteuid(), getegid());
                arg = buf;
        }
        if (strspn(arg, "0123456789:") != strlen(arg) || arg[0] == ':' || arg[0] == '\0')
                return cli_usage_error(NULL, "invalid user: %s", arg);
        return set(cli, NVCR_SET_NVML_USER, arg);
}

static int parse_global(struct cli *cli, int argc, char **argv, int *done)
{
        const char *debug = getenv("NVC_DEBUG_FILE");
        int c, r = 0;

        opterr = 0;
        while (r == 0 && (c = getopt_long(argc, argv, "+d:knu::r:l:?V", global_options, NULL)) != -1) {
                switch (c) {
                case 'd': debug = optarg; break;
                case 'k': cli->load_kmods = true; break;
                case 'n': cli->no_pivot = true; break;
                case 'u': r = set_user(cli, optarg); break;
                case 'r': r = set(cli, NVCR_SET_ROOT, optarg); break;
                case 'l': r = set(cli, NVCR_SET_LDCACHE, optarg); break;
                case OPT_NO_CREATE_IMEX: cli->no_create_imex_channels = true; break;
                case OPT_PROC_ROOT: r = set(cli, NVCR_SET_PROC, optarg); break;
                case OPT_SYS_ROOT: r = set(cli, NVCR_SET_SYS, optarg); break;
                case OPT_DEV_ROOT: r = set(cli, NVCR_SET_DEV, optarg); break;
                case OPT_CACHE_DIR: r = set(cli, NVCR_SET_CACHE_DIR, optarg); break;
                case OPT_LIB_SEARCH: r = set(cli, NVCR_SET_LIB_SEARCH_PATH, optarg); break;
                case 'V': print_version(); *done = 1; return 0;
                case OPT_USAGE:
                        printf("Usage: %s [-knV?] [-d FILE] [-l FILE] [-r PATH] [-u[UID[:GID]]] "
                               "COMMAND [ARG...]\n", PROG);
                        *done = 1;
                        return 0;
                case '?':
                        if (optopt == 0 && strcmp(argv[optind - 1], "-?") != 0 &&
                            strcmp(argv[optind - 1], "--help") != 0)
                                return cli_usage_error(NULL, "unrecognized option '%s'",
                                                       argv[optind - 1]);
                        if (optopt != 0 && optopt != '?')
                                return cli_usage_error(NULL, "invalid option -- '%c'", optopt);
                        print_help();
                        *done = 1;
                        return 0;
                default:
                        return cli_usage_error(NULL, "unrecognized option '%s'", argv[optind - 1]);
                }
        }
        if (r != 0)
                return r;
        if (debug != NULL && cli_log_open(debug) < 0)
                fprintf(stderr, "%s: warning: cannot open debug file %s\n", PROG, debug);
        return 0;
}

static int run_command(struct cli *cli)
{
        if (strcmp(cli->argv[0], "info") == 0)
                return cli_info(cli);
        if (strcmp(cli->argv[0], "list") == 0)
                return cli_list(cli);
        if (strcmp(cli->argv[0], "configure") == 0)
                return cli_configure(cli);
        return cli_usage_error(NULL, "unknown command: %s", cli->argv[0]);
}

int main(int argc, char **argv)
{
        struct cli cli = {0};
        struct nvcr_err err = {0};
        int done = 0, r;

        if (nvcr_ctx_new(&cli.ctx, &err) < 0)
                return cli_fail("initialization", &err);
        nvcr_ctx_set_log(cli.ctx, cli_log, NULL);
        /*
         * config.toml's [nvidia-container-cli] root, ldcache and user are the
         * defaults (a driver container's root, say); options override them.
         */
        if (config_load(config_default_path(), &cli.cfg, &err) < 0 ||
            prestart_configure_ctx(cli.ctx, &cli.cfg, &err) < 0) {
                nvcr_ctx_free(cli.ctx);
                config_free(&cli.cfg);
                return cli_fail("input", &err);
        }
        r = parse_global(&cli, argc, argv, &done);
        if (r == 0 && !done) {
                if (optind >= argc) {
                        r = cli_usage_error(NULL, "missing command");
                } else {
                        cli.argc = argc - optind;
                        cli.argv = argv + optind;
                        /* configure loads what its capabilities need, once parsed. */
                        if (cli.load_kmods && strcmp(cli.argv[0], "configure") != 0)
                                nvcr_load_kmods(cli.ctx);
                        r = run_command(&cli);
                }
        }
        nvcr_ctx_free(cli.ctx);
        config_free(&cli.cfg);
        return r == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
