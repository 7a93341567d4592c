/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `nvidia-container-cli list`: the host paths a GPU container would get, one
 * per line, in the reference's order: driver devices, GPU nodes, MIG access
 * files, IMEX channels, MIG config/monitor files, binaries, libraries,
 * 32-bit libraries, IPCs, firmware.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "core/macro.h"

struct list_opts {
        char *devices;     /* NULL = no devices listed */
        char *mig_config;
        char *mig_monitor;
        char *imex;
        bool libs, bins, ipcs, firmwares, compat32;
        bool no_persistenced, no_fabricmanager;
};

enum {
        OPT_COMPAT32 = 0x100,
        OPT_HELP,
        OPT_MIG_CONFIG,
        OPT_MIG_MONITOR,
        OPT_IMEX,
        OPT_NO_PERSISTENCED,
        OPT_NO_FABRICMANAGER,
};

static int parse_list_args(struct cli *cli, struct list_opts *o)
{
        static const struct option opts[] = {
                {"device", required_argument, NULL, 'd'},
                {"libraries", no_argument, NULL, 'l'},
                {"binaries", no_argument, NULL, 'b'},
                {"ipcs", no_argument, NULL, 'i'},
                {"firmwares", no_argument, NULL, 'f'},
                {"compat32", no_argument, NULL, OPT_COMPAT32},
                {"mig-config", required_argument, NULL, OPT_MIG_CONFIG},
                {"mig-monitor", required_argument, NULL, OPT_MIG_MONITOR},
                {"imex-channel", required_argument, NULL, OPT_IMEX},
                {"no-persistenced", no_argument, NULL, OPT_NO_PERSISTENCED},
                {"no-fabricmanager", no_argument, NULL, OPT_NO_FABRICMANAGER},
                {"help", no_argument, NULL, OPT_HELP},
                {NULL, 0, NULL, 0},
        };
        int c, r = 0, selecting = 0;

        optind = 1;
        while (r == 0 && (c = getopt_long(cli->argc, cli->argv, "+d:lbif", opts, NULL)) != -1) {
                selecting += c != OPT_IMEX && c != OPT_NO_PERSISTENCED &&
                             c != OPT_NO_FABRICMANAGER;
                switch (c) {
                case 'd': r = cli_join(&o->devices, optarg); break;
                case 'l': o->libs = true; break;
                case 'b': o->bins = true; break;
                case 'i': o->ipcs = true; break;
                case 'f': o->firmwares = true; break;
                case OPT_COMPAT32: o->compat32 = true; break;
                case OPT_MIG_CONFIG: r = cli_join(&o->mig_config, optarg); break;
                case OPT_MIG_MONITOR: r = cli_join(&o->mig_monitor, optarg); break;
                case OPT_IMEX: r = cli_join(&o->imex, optarg); break;
                case OPT_NO_PERSISTENCED: o->no_persistenced = true; break;
                case OPT_NO_FABRICMANAGER: o->no_fabricmanager = true; break;
                case OPT_HELP:
                        printf("Usage: %s list [OPTION...]\n"
                               "Query the driver and list the components required in a "
                               "container.\n\n"
                               "  -d, --device=ID            Device UUID(s) or index(es) to list\n"
                               "  -l, --libraries            List driver libraries\n"
                               "  -b, --binaries             List driver binaries\n"
                               "  -i, --ipcs                 List driver ipcs\n"
                               "  -f, --firmwares            List driver firmwares\n"
                               "      --compat32             Enable 32bits compatibility\n"
                               "      --mig-config=ID        Enable configuration of MIG devices\n"
                               "      --mig-monitor=ID       Enable monitoring of MIG devices\n"
                               "      --imex-channel=CHANNEL IMEX channel ID(s) to list\n"
                               "      --no-persistenced      Don't include the NVIDIA persistenced "
                               "socket\n"
                               "      --no-fabricmanager     Don't include the NVIDIA fabricmanager "
                               "socket\n"
                               "  -?, --help                 Give this help list\n",
                               PROG);
                        return -1;
                default:
                        return cli_usage_error("list", "unrecognized option '%s'",
                                               cli->argv[optind - 1]);
                }
        }
        if (r != 0)
                return cli_usage_error("list", "out of memory");
        if (optind < cli->argc)
                return cli_usage_error("list", "unexpected argument: %s", cli->argv[optind]);
        /* Nothing chosen: everything, as `--device=all --compat32 -l -b -i -f`. */
        if (selecting == 0) {
                r = cli_join(&o->devices, "all") | cli_join(&o->mig_config, "all") |
                    cli_join(&o->mig_monitor, "all");
                o->compat32 = o->libs = o->bins = o->ipcs = o->firmwares = true;
        }
        return r == 0 ? 0 : cli_usage_error("list", "out of memory");
}

static void print_files(const struct nvcr_inventory *inv, enum nvcr_file_kind kind,
                        const struct list_opts *o)
{
        for (size_t i = 0; i < inv->nfiles; i++) {
                const char *p = inv->files[i].path;

                if (inv->files[i].kind != kind)
                        continue;
                if (kind == NVCR_FILE_IPC && o->no_persistenced &&
                    strstr(p, "/nvidia-persistenced/") != NULL)
                        continue;
                if (kind == NVCR_FILE_IPC && o->no_fabricmanager &&
                    strstr(p, "/nvidia-fabricmanager/") != NULL)
                        continue;
                printf("%s\n", p);
        }
}

static void print_cap_node(const char *devdir, bool has, unsigned minor)
{
        char path[4096];
        struct stat st;

        /* The "dev" nvcaps style: the access file has a device node too. */
        if (!has)
                return;
        (void)snprintf(path, sizeof(path), "%s/nvidia-caps/nvidia-cap%u", devdir, minor);
        if (stat(path, &st) == 0 && S_ISCHR(st.st_mode))
                printf("/dev/nvidia-caps/nvidia-cap%u\n", minor);
}

static void print_devices(const struct cli *cli, const struct nvcr_inventory *inv,
                          const struct nvcr_selection *sel, bool mig_all)
{
        const char *devdir = nvcr_ctx_get(cli->ctx, NVCR_SET_DEV);

        for (size_t i = 0; i < inv->ndevs; i++)
                printf("%s\n", inv->devs[i].path);
        for (size_t i = 0; i < sel->ngpus; i++)
                printf("%s\n", sel->gpus[i]->node.path);
        if (mig_all)
                return;
        for (size_t i = 0; i < sel->nmigs; i++) {
                const struct nvcr_mig *m = sel->migs[i];

                printf("%s/access\n", m->gi_caps_path);
                print_cap_node(devdir, m->has_gi_cap_minor, m->gi_cap_minor);
                printf("%s/access\n", m->ci_caps_path);
                print_cap_node(devdir, m->has_ci_cap_minor, m->ci_cap_minor);
        }
}

static int print_imex(const char *list, struct nvcr_err *err)
{
        _cleanup_free_ char *copy = strdup(list);
        char *save = NULL;

        if (copy == NULL)
                return -1;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                char *end;
                unsigned long v = strtoul(t, &end, 10);

                if (*t == '\0' || *end != '\0' || v >= (1ul << 20)) {
                        (void)snprintf(err->msg, sizeof(err->msg),
                                       "unsupported IMEX channel value: %s", t);
                        return -1;
                }
                printf("/dev/nvidia-caps-imex-channels/channel%lu\n", v);
        }
        return 0;
}

/* Only "all" is supported for --mig-config/--mig-monitor, as in the reference. */
static int check_mig_opt(const char *val, const struct nvcr_selection *sel,
                         struct nvcr_err *err)
{
        if (val == NULL)
                return 0;
        if (strcasecmp(val, "all") != 0) {
                (void)snprintf(err->msg, sizeof(err->msg),
                               "only 'all' devices are currently supported");
                return -1;
        }
        if (sel != NULL && sel->nmigs > 0 && !sel->all) {
                (void)snprintf(err->msg, sizeof(err->msg),
                               "cannot be used with specific MIG devices selected");
                return -1;
        }
        return 0;
}

static void print_mig_caps(const char *file, const struct nvcr_selection *sel)
{
        if (file == NULL)
                return;
        printf("%s\n", file);
        for (size_t i = 0; sel && i < sel->ngpus; i++)
                if (sel->gpus[i]->mig_caps_path)
                        printf("%s\n", sel->gpus[i]->mig_caps_path);
}

static int list_inventory(struct cli *cli, struct list_opts *o, struct nvcr_inventory *inv)
{
        struct nvcr_selection *sel = NULL;
        struct nvcr_err err = {0};
        int r = 0;

        if (nvcr_select_devices(inv, o->devices ? o->devices : "", &sel, &err) < 0)
                return cli_fail("device", &err);
        if (check_mig_opt(o->mig_config, sel, &err) < 0)
                r = cli_fail("mig-config", &err);
        else if (check_mig_opt(o->mig_monitor, sel, &err) < 0)
                r = cli_fail("mig-monitor", &err);
        if (r == 0 && o->devices)
                print_devices(cli, inv, sel, o->mig_config || o->mig_monitor);
        if (r == 0 && o->imex && print_imex(o->imex, &err) < 0)
                r = cli_fail("input", &err);
        if (r == 0 && o->mig_config)
                print_mig_caps(inv->mig_config_path, sel);
        if (r == 0 && o->mig_monitor)
                print_mig_caps(inv->mig_monitor_path, sel);
        if (r == 0 && o->bins)
                print_files(inv, NVCR_FILE_BIN, o);
        if (r == 0 && o->libs)
                print_files(inv, NVCR_FILE_LIB, o);
        if (r == 0 && o->libs && o->compat32)
                print_files(inv, NVCR_FILE_LIB32, o);
        if (r == 0 && o->ipcs)
                print_files(inv, NVCR_FILE_IPC, o);
        if (r == 0 && o->firmwares)
                print_files(inv, NVCR_FILE_FIRMWARE, o);
        nvcr_selection_free(sel);
        return r;
}

int cli_list(struct cli *cli)
{
        struct list_opts o = {0};
        struct nvcr_inventory *inv = NULL;
        struct nvcr_err err = {0};
        unsigned flags = NVCR_INV_FILES;
        int r;

        r = parse_list_args(cli, &o);
        if (r < 0) {
                r = 0; /* --help printed */
        } else if (r == 0) {
                if (o.devices && nvcr_devices_need_nvml(o.devices))
                        flags |= NVCR_INV_NVML;
                if (nvcr_inventory_load(cli->ctx, flags, &inv, &err) < 0)
                        r = cli_fail("detection", &err);
                else
                        r = list_inventory(cli, &o, inv);
        }
        nvcr_inventory_free(inv);
        free(o.devices);
        free(o.mig_config);
        free(o.mig_monitor);
        free(o.imex);
        if (r == 0 && fflush(stdout) != 0)
                r = 1;
        return r;
}
