/* SPDX-License-Identifier: Apache-2.0 */
/* `nvidia-container-cli info [--csv] [--format=text|csv|json]` */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

enum info_format { FMT_TEXT, FMT_CSV, FMT_JSON };

#define NA(s) ((s) ? (s) : "N/A")

static void print_text(const struct nvcr_inventory *inv)
{
        printf("%-15s %s\n", "NVRM version:", inv->driver_version);
        printf("%-15s %s\n", "CUDA version:", NA(inv->cuda_version));
        for (size_t i = 0; i < inv->ngpus; i++) {
                const struct nvcr_gpu *g = &inv->gpus[i];

                printf("\n");
                printf("%-15s %u\n", "Device Index:", g->index);
                printf("%-15s %u\n", "Device Minor:", g->minor);
                printf("%-15s %s\n", "Model:", NA(g->model));
                printf("%-15s %s\n", "Brand:", NA(g->brand));
                printf("%-15s %s\n", "GPU UUID:", NA(g->uuid));
                printf("%-15s %s\n", "Bus Location:", NA(g->bus_id));
                printf("%-15s %s\n", "Architecture:", NA(g->arch));
        }
}

static void print_csv(const struct nvcr_inventory *inv)
{
        printf("NVRM version,CUDA version\n");
        printf("%s,%s\n", inv->driver_version, NA(inv->cuda_version));
        printf("\nDevice Index,Device Minor,Model,Brand,GPU UUID,Bus Location,Architecture\n");
        for (size_t i = 0; i < inv->ngpus; i++) {
                const struct nvcr_gpu *g = &inv->gpus[i];

                printf("%u,%u,%s,%s,%s,%s,%s\n", g->index, g->minor, NA(g->model), NA(g->brand),
                       NA(g->uuid), NA(g->bus_id), NA(g->arch));
        }
}

static json_object *jstr(const char *s)
{
        return s ? json_object_new_string(s) : NULL; /* NULL serialises as null */
}

static json_object *gpu_json(const struct nvcr_gpu *g)
{
        json_object *o = json_object_new_object(), *migs = json_object_new_array();

        json_object_object_add(o, "index", json_object_new_int64(g->index));
        json_object_object_add(o, "minor", json_object_new_int64(g->minor));
        json_object_object_add(o, "model", jstr(g->model));
        json_object_object_add(o, "brand", jstr(g->brand));
        json_object_object_add(o, "uuid", jstr(g->uuid));
        json_object_object_add(o, "bus_location", jstr(g->bus_id));
        json_object_object_add(o, "architecture", jstr(g->arch));
        json_object_object_add(o, "mig_enabled", json_object_new_boolean(g->mig_enabled));
        for (size_t j = 0; j < g->nmigs; j++) {
                json_object *m = json_object_new_object();

                json_object_object_add(m, "gi", json_object_new_int64(g->migs[j].gi));
                json_object_object_add(m, "ci", json_object_new_int64(g->migs[j].ci));
                json_object_object_add(m, "uuid", jstr(g->migs[j].uuid));
                json_object_array_add(migs, m);
        }
        json_object_object_add(o, "mig_devices", migs);
        return o;
}

static void print_json(const struct nvcr_inventory *inv)
{
        json_object *o = json_object_new_object(), *gpus = json_object_new_array();
        json_object *missing = json_object_new_array();

        json_object_object_add(o, "nvrm_version", jstr(inv->driver_version));
        json_object_object_add(o, "cuda_version", jstr(inv->cuda_version));
        for (size_t i = 0; i < inv->ngpus; i++)
                json_object_array_add(gpus, gpu_json(&inv->gpus[i]));
        json_object_object_add(o, "devices", gpus);
        if (inv->missing & NVCR_MISSING_NVML)
                json_object_array_add(missing, json_object_new_string("nvml"));
        json_object_object_add(o, "missing", missing);
        if (inv->nvml_error)
                json_object_object_add(o, "nvml_error", jstr(inv->nvml_error));
        printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                                             JSON_C_TO_STRING_SPACED |
                                                             JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
}

static int parse_info_args(struct cli *cli, enum info_format *fmt)
{
        static const struct option opts[] = {
                {"csv", no_argument, NULL, 'c'},
                {"format", required_argument, NULL, 'f'},
                {"help", no_argument, NULL, 'h'},
                {NULL, 0, NULL, 0},
        };
        int c;

        optind = 1;
        while ((c = getopt_long(cli->argc, cli->argv, "+", opts, NULL)) != -1) {
                if (c == 'h') {
                        printf("Usage: %s info [OPTION...]\n"
                               "Report information about the driver and devices.\n\n"
                               "      --csv                  Output in CSV format\n"
                               "      --format=FORMAT        text (default), csv or json\n"
                               "  -?, --help                 Give this help list\n",
                               PROG);
                        return -1;
                }
                if (c == 'c') {
                        *fmt = FMT_CSV;
                } else if (c == 'f' && strcmp(optarg, "json") == 0) {
                        *fmt = FMT_JSON;
                } else if (c == 'f' && strcmp(optarg, "csv") == 0) {
                        *fmt = FMT_CSV;
                } else if (c == 'f' && strcmp(optarg, "text") == 0) {
                        *fmt = FMT_TEXT;
                } else if (c == 'f') {
                        return cli_usage_error("info", "unknown format: %s (text, csv, json)",
                                               optarg);
                } else {
                        return cli_usage_error("info", "unrecognized option '%s'",
                                               cli->argv[optind - 1]);
                }
        }
        if (optind < cli->argc)
                return cli_usage_error("info", "unexpected argument: %s", cli->argv[optind]);
        return 0;
}

int cli_info(struct cli *cli)
{
        enum info_format fmt = FMT_TEXT;
        struct nvcr_inventory *inv = NULL;
        struct nvcr_err err = {0};
        int r;

        r = parse_info_args(cli, &fmt);
        if (r != 0)
                return r < 0 ? 0 : r; /* < 0: --help printed */
        if (nvcr_inventory_load(cli->ctx, NVCR_INV_NVML, &inv, &err) < 0)
                return cli_fail("detection", &err);
        if (fmt == FMT_JSON)
                print_json(inv);
        else if (fmt == FMT_CSV)
                print_csv(inv);
        else
                print_text(inv);
        nvcr_inventory_free(inv);
        return fflush(stdout) == 0 ? 0 : 1;
}
