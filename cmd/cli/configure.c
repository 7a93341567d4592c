/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `nvidia-container-cli configure [OPTIONS] ROOTFS`: give a live container
 * the selected GPUs and driver capabilities (features.md §1.4). Parses the
 * options into a request; the library does the rest: inventory, device
 * selection, requirements, plan, and applying it.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "config/config-request.h"
#include "core/macro.h"

#define MAX_REQUIRES 32

struct configure_opts {
        struct nvcr_request req;
        char *devices;
        char *imex;
        char *requires[MAX_REQUIRES];
        size_t nrequires;
        bool dry_run;
        bool json;
        bool compat_mode_set; /* --cuda-compat-mode or --no-cntlibs given */
};

enum {
        OPT_COMPAT32 = 0x100,
        OPT_MIG_CONFIG,
        OPT_MIG_MONITOR,
        OPT_IMEX,
        OPT_NO_CGROUPS,
        OPT_NO_DEVBIND,
        OPT_NO_PERSISTENCED,
        OPT_NO_FABRICMANAGER,
        OPT_NO_GSP_FIRMWARE,
        OPT_NO_CNTLIBS,
        OPT_COMPAT_MODE,
        OPT_DRY_RUN,
        OPT_FORMAT,
        OPT_ALLOW_CONTAINER_LDCONFIG,
        OPT_HELP,
};

static void print_help(void)
{
        printf("Usage: %s configure [OPTION...] ROOTFS\n"
               "Configure a container with GPU support by exposing device drivers to it.\n\n"
               "  -p, --pid=PID              Container PID\n"
               "  -d, --device=ID            Device UUID(s) or index(es) to isolate\n"
               "  -r, --require=EXPR         Check container requirements\n"
               "  -l, --ldconfig=PATH        Path to the ldconfig binary (@ = on the host)\n"
               "  -c, --compute              Enable compute capability\n"
               "  -u, --utility              Enable utility capability\n"
               "  -v, --video                Enable video capability\n"
               "  -g, --graphics             Enable graphics capability\n"
               "  -D, --display              Enable display capability\n"
               "  -n, --ngx                  Enable ngx capability\n"
               "      --compat32             Enable 32bits compatibility\n"
               "      --mig-config=ID        Enable configuration of MIG devices\n"
               "      --mig-monitor=ID       Enable monitoring of MIG devices\n"
               "      --imex-channel=CHANNEL IMEX channel ID(s) to inject\n"
               "      --no-cgroups           Don't use cgroup enforcement\n"
               "      --no-devbind           Don't bind mount devices\n"
               "      --no-persistenced      Don't include the NVIDIA persistenced socket\n"
               "      --no-fabricmanager     Don't include the NVIDIA fabricmanager socket\n"
               "      --no-gsp-firmware      Don't include GSP firmware\n"
               "      --cuda-compat-mode=MODE  CUDA forward compatibility: ldconfig (default), "
               "mount, disabled\n"
               "      --no-cntlibs           Same as --cuda-compat-mode=disabled\n"
               "      --allow-container-ldconfig  Allow an --ldconfig path inside the container "
               "(run sandboxed)\n"
               "      --dry-run              Print the plan and change nothing\n"
               "      --format=FORMAT        Plan output with --dry-run: text (default), json\n"
               "  -?, --help                 Give this help list\n",
               PROG);
}

static int parse_pid(const char *arg, pid_t *ret)
{
        char *end;
        long v;

        errno = 0;
        v = strtol(arg, &end, 10);
        if (arg[0] < '0' || arg[0] > '9' || *end != '\0' || errno != 0 || v <= 0 ||
            v > 4194304)
                return -1;
        *ret = (pid_t)v;
        return 0;
}

static int parse_compat_mode(const char *arg, enum nvcr_compat_mode *ret)
{
        if (strcmp(arg, "ldconfig") == 0)
                *ret = NVCR_COMPAT_LDCONFIG;
        else if (strcmp(arg, "mount") == 0)
                *ret = NVCR_COMPAT_MOUNT;
        else if (strcmp(arg, "disabled") == 0)
                *ret = NVCR_COMPAT_DISABLED;
        else
                return -1;
        return 0;
}

static int parse_option(struct configure_opts *o, int c, const char *arg)
{
        struct nvcr_request *req = &o->req;

        switch (c) {
        case 'p':
                if (parse_pid(arg, &req->pid) < 0)
                        return cli_usage_error("configure", "invalid pid: %s", arg);
                return 0;
        case 'd': return cli_join(&o->devices, arg) < 0 ? cli_usage_error("configure", "oom") : 0;
        case 'r':
                if (o->nrequires == MAX_REQUIRES)
                        return cli_usage_error("configure", "too many requirements");
                o->requires[o->nrequires++] = (char *)arg;
                return 0;
        case 'l': req->ldconfig = arg; return 0;
        case 'c': req->caps |= NVCR_CAP_COMPUTE; return 0;
        case 'u': req->caps |= NVCR_CAP_UTILITY; return 0;
        case 'v': req->caps |= NVCR_CAP_VIDEO; return 0;
        case 'g': req->caps |= NVCR_CAP_GRAPHICS; return 0;
        case 'D': req->caps |= NVCR_CAP_DISPLAY; return 0;
        case 'n': req->caps |= NVCR_CAP_NGX; return 0;
        case OPT_COMPAT32: req->caps |= NVCR_CAP_COMPAT32; return 0;
        case OPT_MIG_CONFIG: req->mig_config = arg; return 0;
        case OPT_MIG_MONITOR: req->mig_monitor = arg; return 0;
        case OPT_IMEX: return cli_join(&o->imex, arg) < 0 ? cli_usage_error("configure", "oom") : 0;
        case OPT_NO_CGROUPS: req->flags |= NVCR_REQ_NO_CGROUPS; return 0;
        case OPT_NO_DEVBIND: req->flags |= NVCR_REQ_NO_DEVBIND; return 0;
        case OPT_NO_PERSISTENCED: req->flags |= NVCR_REQ_NO_PERSISTENCED; return 0;
        case OPT_NO_FABRICMANAGER: req->flags |= NVCR_REQ_NO_FABRICMANAGER; return 0;
        case OPT_NO_GSP_FIRMWARE: req->flags |= NVCR_REQ_NO_GSP_FIRMWARE; return 0;
        case OPT_NO_CNTLIBS:
                req->compat_mode = NVCR_COMPAT_DISABLED;
                o->compat_mode_set = true;
                return 0;
        case OPT_COMPAT_MODE:
                o->compat_mode_set = true;
                if (parse_compat_mode(arg, &req->compat_mode) < 0)
                        return cli_usage_error("configure", "invalid cuda-compat-mode: %s", arg);
                return 0;
        case OPT_ALLOW_CONTAINER_LDCONFIG:
                req->flags |= NVCR_REQ_ALLOW_CONTAINER_LDCONFIG;
                return 0;
        case OPT_DRY_RUN: o->dry_run = true; return 0;
        case OPT_FORMAT:
                if (strcmp(arg, "json") != 0 && strcmp(arg, "text") != 0)
                        return cli_usage_error("configure", "invalid format: %s", arg);
                o->json = strcmp(arg, "json") == 0;
                return 0;
        default:
                return cli_usage_error("configure", "unrecognized option");
        }
}

static int parse_configure_args(struct cli *cli, struct configure_opts *o, bool *done)
{
        static const struct option opts[] = {
                {"pid", required_argument, NULL, 'p'},
                {"device", required_argument, NULL, 'd'},
                {"require", required_argument, NULL, 'r'},
                {"ldconfig", required_argument, NULL, 'l'},
                {"compute", no_argument, NULL, 'c'},
                {"utility", no_argument, NULL, 'u'},
                {"video", no_argument, NULL, 'v'},
                {"graphics", no_argument, NULL, 'g'},
                {"display", no_argument, NULL, 'D'},
                {"ngx", no_argument, NULL, 'n'},
                {"compat32", no_argument, NULL, OPT_COMPAT32},
                {"mig-config", required_argument, NULL, OPT_MIG_CONFIG},
                {"mig-monitor", required_argument, NULL, OPT_MIG_MONITOR},
                {"imex-channel", required_argument, NULL, OPT_IMEX},
                {"no-cgroups", no_argument, NULL, OPT_NO_CGROUPS},
                {"no-devbind", no_argument, NULL, OPT_NO_DEVBIND},
                {"no-persistenced", no_argument, NULL, OPT_NO_PERSISTENCED},
                {"no-fabricmanager", no_argument, NULL, OPT_NO_FABRICMANAGER},
                {"no-gsp-firmware", no_argument, NULL, OPT_NO_GSP_FIRMWARE},
                {"no-cntlibs", no_argument, NULL, OPT_NO_CNTLIBS},
                {"cuda-compat-mode", required_argument, NULL, OPT_COMPAT_MODE},
                {"allow-container-ldconfig", no_argument, NULL, OPT_ALLOW_CONTAINER_LDCONFIG},
                {"dry-run", no_argument, NULL, OPT_DRY_RUN},
                {"format", required_argument, NULL, OPT_FORMAT},
                {"help", no_argument, NULL, OPT_HELP},
                {NULL, 0, NULL, 0},
        };
        int c, r;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(cli->argc, cli->argv, "p:d:r:l:cuvgDn?", opts, NULL)) != -1) {
                if (c == OPT_HELP || (c == '?' && optopt == '?')) {
                        print_help();
                        *done = true;
                        return 0;
                }
                if (c == '?' || c == ':')
                        return cli_usage_error("configure", "unrecognized or incomplete option "
                                                            "'%s'",
                                               cli->argv[optind - 1]);
                r = parse_option(o, c, optarg);
                if (r != 0)
                        return r;
        }
        if (optind + 1 != cli->argc)
                return cli_usage_error("configure", optind < cli->argc
                                                            ? "too many arguments"
                                                            : "missing ROOTFS argument");
        o->req.rootfs = cli->argv[optind];
        /* What the options left open, from config.toml. */
        if (o->req.ldconfig == NULL && cli->cfg.cli.ldconfig && cli->cfg.cli.ldconfig[0])
                o->req.ldconfig = cli->cfg.cli.ldconfig;
        if (cli->cfg.features.allow_ldconfig_from_container)
                o->req.flags |= NVCR_REQ_ALLOW_CONTAINER_LDCONFIG;
        if (!o->compat_mode_set)
                o->req.compat_mode = config_compat_mode(&cli->cfg);
        o->req.devices = o->devices;
        o->req.imex_channels = o->imex;
        if (cli->no_pivot)
                o->req.flags |= NVCR_REQ_NO_PIVOT;
        return 0;
}

/* NVML is needed only for what procfs lacks: CUDA version, arch, brand, MIG UUIDs. */
static bool needs_nvml(const struct configure_opts *o)
{
        return (o->devices && nvcr_devices_need_nvml(o->devices)) ||
               nvcr_requires_need_nvml((const char *const *)o->requires, o->nrequires);
}

static void print_plan_text(const char *json)
{
        /* The JSON is the one format of the plan; text is the same, for people. */
        fputs(json, stdout);
        fputc('\n', stdout);
}

static int run(struct cli *cli, struct configure_opts *o)
{
        struct nvcr_inventory *inv = NULL;
        struct nvcr_selection *sel = NULL;
        struct nvcr_plan *plan = NULL;
        struct nvcr_err err = {0};
        const char *phase = "detection";
        _cleanup_free_ char *json = NULL;
        int r = 0;

        if (cli->load_kmods && !o->dry_run)
                nvcr_load_kmods_for(cli->ctx, o->req.caps);
        if (nvcr_inventory_load_caps(cli->ctx,
                                     NVCR_INV_FILES | (needs_nvml(o) ? NVCR_INV_NVML : 0),
                                     o->req.caps, &inv, &err) < 0)
                r = cli_fail("detection", &err);
        if (r == 0 && nvcr_select_devices(inv, o->devices ? o->devices : "", &sel, &err) < 0)
                r = cli_fail("device", &err);
        if (r == 0 &&
            nvcr_require_check(inv, sel, (const char *const *)o->requires, o->nrequires, &err) < 0)
                r = cli_fail("requirement", &err);
        if (r == 0 && nvcr_plan_build(cli->ctx, inv, sel, &o->req, &plan, &phase, &err) < 0)
                r = cli_fail(phase, &err);
        cli_log(NULL, NVCR_LOG_DEBUG, __FILE__, __LINE__, "inventory, selection and plan done");
        if (r == 0 && o->dry_run) {
                if (nvcr_plan_to_json(plan, &json, &err) < 0)
                        r = cli_fail("input", &err);
                else if (o->json)
                        printf("%s\n", json);
                else
                        print_plan_text(json);
        } else if (r == 0 && nvcr_plan_apply(cli->ctx, plan, &phase, &err) < 0) {
                r = cli_fail(phase, &err);
        }
        nvcr_plan_free(plan);
        nvcr_selection_free(sel);
        nvcr_inventory_free(inv);
        return r;
}

int cli_configure(struct cli *cli)
{
        struct configure_opts o = {0};
        bool done = false;
        int r;

        r = parse_configure_args(cli, &o, &done);
        if (r == 0 && !done)
                r = run(cli, &o);
        free(o.devices);
        free(o.imex);
        if (r == 0 && fflush(stdout) != 0)
                r = 1;
        return r;
}
