/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nvidia-ctk cdi generate | list
 *
 * generate: the spec of this host's GPUs, from the same plan the other paths
 * use (cdi/generate.c), one device per GPU and name strategy plus `all` (the
 * union), written to stdout or atomically to --output. list: the qualified
 * names the spec dirs resolve, as the reference prints them.
 *
 * Flags are parsed as urfave/cli does: "--flag value", "--flag=value", one
 * or two dashes; repeatable flags also take comma lists.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cdi/generate.h"
#include "cdi/registry.h"
#include "cdi/spec.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/macro.h"
#include "core/strv.h"
#include "oci/state.h"
#include "ctk.h"

/* ------------------------------------------------------------ flags */

struct flag {
        const char *name;  /* without dashes */
        const char *alias; /* NULL or a second name */
        bool is_bool;
};

/*
 * Matches argv[*i] against flags; returns the index of the flag, -1 for a
 * non-flag argument, -2 for an unknown flag or a missing value (reported).
 * *value is the value (or "true" for a bool flag given bare).
 */
static int next_flag(const struct flag *flags, int argc, char **argv, int *i, const char **value)
{
        const char *a = argv[*i], *eq;
        size_t n;

        if (a[0] != '-' || a[1] == '\0')
                return -1;
        a += a[1] == '-' ? 2 : 1;
        eq = strchr(a, '=');
        n = eq != NULL ? (size_t)(eq - a) : strlen(a);
        for (int k = 0; flags[k].name != NULL; k++) {
                bool match = (strlen(flags[k].name) == n && strncmp(flags[k].name, a, n) == 0) ||
                             (flags[k].alias != NULL && strlen(flags[k].alias) == n &&
                              strncmp(flags[k].alias, a, n) == 0);

                if (!match)
                        continue;
                if (eq != NULL)
                        *value = eq + 1;
                else if (flags[k].is_bool)
                        *value = "true";
                else if (*i + 1 < argc)
                        *value = argv[++*i];
                else {
                        ctk_error("flag needs an argument: %s", argv[*i]);
                        return -2;
                }
                return k;
        }
        ctk_error("flag provided but not defined: %s", argv[*i]);
        return -2;
}

static bool parse_bool(const char *v, bool *ret)
{
        if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0 || strcmp(v, "t") == 0 ||
            strcmp(v, "T") == 0 || strcmp(v, "TRUE") == 0 || strcmp(v, "True") == 0)
                *ret = true;
        else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0 || strcmp(v, "f") == 0 ||
                 strcmp(v, "F") == 0 || strcmp(v, "FALSE") == 0 || strcmp(v, "False") == 0)
                *ret = false;
        else
                return false;
        return true;
}

/* Appends each comma-separated item of v (a urfave StringSlice flag). */
static int push_list(char ***list, const char *v)
{
        _cleanup_free_ char *copy = strdup(v);
        char *save = NULL;

        if (copy == NULL)
                return -ENOMEM;
        for (char *t = strtok_r(copy, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save))
                if (strv_push(list, t) < 0)
                        return -ENOMEM;
        return 0;
}

/* ------------------------------------------------------------ generate */

static void ctk_lib_log(void *ud, enum nvcr_log_level level, const char *file, int line,
                        const char *msg)
{
        (void)ud;
        (void)file;
        (void)line;
        switch (level) {
        case NVCR_LOG_ERROR:
                ctk_error("%s", msg);
                break;
        case NVCR_LOG_WARNING:
                ctk_warn("%s", msg);
                break;
        case NVCR_LOG_INFO:
                ctk_info("%s", msg);
                break;
        case NVCR_LOG_DEBUG:
        default:
                ctk_debug("%s", msg);
                break;
        }
}

static bool same_strv(char *const *a, char *const *b)
{
        size_t i = 0;

        for (; a != NULL && b != NULL && a[i] != NULL && b[i] != NULL; i++)
                if (strcmp(a[i], b[i]) != 0)
                        return false;
        return (a == NULL || a[i] == NULL) && (b == NULL || b[i] == NULL);
}

/*
 * dst += src without repeats: the same GPU appears once per name strategy,
 * and `all` must carry its nodes once (a node twice is an error for runc).
 */
static int union_edits(struct cdi_edits *dst, const struct cdi_edits *src, struct nvcr_err *err)
{
        int r = 0;

        for (size_t i = 0; r >= 0 && i < src->nenv; i++) {
                bool seen = false;

                for (size_t j = 0; j < dst->nenv && !seen; j++)
                        seen = strcmp(dst->env[j], src->env[i]) == 0;
                if (!seen)
                        r = cdi_edits_add_env(dst, src->env[i], err);
        }
        for (size_t i = 0; r >= 0 && i < src->nnodes; i++) {
                bool seen = false;

                for (size_t j = 0; j < dst->nnodes && !seen; j++)
                        seen = strcmp(dst->nodes[j].path, src->nodes[i].path) == 0;
                if (!seen)
                        r = cdi_edits_add_node(dst, &src->nodes[i], err);
        }
        for (size_t i = 0; r >= 0 && i < src->nmounts; i++) {
                bool seen = false;

                for (size_t j = 0; j < dst->nmounts && !seen; j++)
                        seen = strcmp(dst->mounts[j].container_path,
                                      src->mounts[i].container_path) == 0;
                if (!seen)
                        r = cdi_edits_add_mount(dst, &src->mounts[i], err);
        }
        for (size_t i = 0; r >= 0 && i < src->nhooks; i++) {
                const struct cdi_hook *h = &src->hooks[i];
                bool seen = false;

                for (size_t j = 0; j < dst->nhooks && !seen; j++)
                        seen = strcmp(dst->hooks[j].hook_name, h->hook_name) == 0 &&
                               strcmp(dst->hooks[j].path, h->path) == 0 &&
                               same_strv(dst->hooks[j].args, h->args);
                if (!seen)
                        r = cdi_edits_add_hook(dst, h, err);
        }
        return r;
}

/* The generated edits as a spec: kind, one device per name, then `all`. */
static int build_spec(struct cdi_generated *gen, const char *kind, bool all_device,
                      struct cdi_spec *spec, struct nvcr_err *err)
{
        size_t n = gen->ndevices + (all_device ? 1 : 0);

        memset(spec, 0, sizeof(*spec));
        spec->kind = strdup(kind);
        spec->devices = calloc(n + 1, sizeof(*spec->devices));
        if (spec->kind == NULL || spec->devices == NULL)
                return -ENOMEM;
        /* Ownership moves from gen to spec. */
        spec->edits = gen->common;
        memset(&gen->common, 0, sizeof(gen->common));
        for (size_t i = 0; i < gen->ndevices; i++) {
                spec->devices[i].name = steal_ptr(&gen->devices[i].name);
                spec->devices[i].edits = gen->devices[i].edits;
                memset(&gen->devices[i].edits, 0, sizeof(gen->devices[i].edits));
                spec->ndevices++;
        }
        if (all_device && gen->ndevices > 0) {
                struct cdi_spec_device *all = &spec->devices[spec->ndevices];
                int r;

                all->name = strdup("all");
                if (all->name == NULL)
                        return -ENOMEM;
                spec->ndevices++;
                for (size_t i = 0; i + 1 < spec->ndevices; i++)
                        if ((r = union_edits(&all->edits, &spec->devices[i].edits, err)) < 0)
                                return r;
        }
        return 0;
}

/* mkdir -p of the directory part of path (the CDI library's WriteSpec does). */
static int make_parents(const char *path)
{
        _cleanup_free_ char *d = strdup(path);

        if (d == NULL)
                return -ENOMEM;
        for (char *p = d + 1; *p != '\0'; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(d, 0755) < 0 && errno != EEXIST)
                        return neg_errno();
                *p = '/';
        }
        return 0;
}

static int write_output(const char *path, const char *text, size_t len, struct nvcr_err *err)
{
        _cleanup_free_ char *dcopy = strdup(path), *bcopy = strdup(path);
        _cleanup_close_ int dfd = -EBADF;
        const char *dir, *base;
        int r;

        if (dcopy == NULL || bcopy == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        dir = dirname(dcopy);
        base = basename(bcopy);
        if ((r = make_parents(path)) < 0)
                return nvcr_err_setsys(err, -r, "failed to create the directory of %s", path);
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return nvcr_err_setsys(err, errno, "failed to open %s", dir);
        return write_file_atomic_at(dfd, base, text, len, 0644, err);
}

enum {
        G_OUTPUT,
        G_FORMAT,
        G_MODE,
        G_DRIVER_ROOT,
        G_DEV_ROOT,
        G_LIB_SEARCH,
        G_CONFIG_SEARCH,
        G_HOOK_PATH,
        G_LDCONFIG,
        G_VENDOR,
        G_CLASS,
        G_NAME_STRATEGY,
        G_DEVICE_ID,
        G_NO_ALL,
        G_PROC_ROOT,
        G_SYS_ROOT,
        G_CACHE_DIR,
        G_LDCACHE,
        G_HELP,
};

static const struct flag generate_flags[] = {
        [G_OUTPUT] = {"output", NULL, false},
        [G_FORMAT] = {"format", NULL, false},
        [G_MODE] = {"mode", "discovery-mode", false},
        [G_DRIVER_ROOT] = {"driver-root", NULL, false},
        [G_DEV_ROOT] = {"dev-root", NULL, false},
        [G_LIB_SEARCH] = {"library-search-path", NULL, false},
        [G_CONFIG_SEARCH] = {"config-search-path", NULL, false},
        [G_HOOK_PATH] = {"nvidia-cdi-hook-path", "nvidia-ctk-path", false},
        [G_LDCONFIG] = {"ldconfig-path", NULL, false},
        [G_VENDOR] = {"vendor", "cdi-vendor", false},
        [G_CLASS] = {"class", "cdi-class", false},
        [G_NAME_STRATEGY] = {"device-name-strategy", NULL, false},
        [G_DEVICE_ID] = {"device-id", NULL, false},
        [G_NO_ALL] = {"no-all-device", NULL, true},
        /* Hidden: the simulated host of the tests. */
        [G_PROC_ROOT] = {"proc-root", NULL, false},
        [G_SYS_ROOT] = {"sys-root", NULL, false},
        [G_CACHE_DIR] = {"cache-dir", NULL, false},
        [G_LDCACHE] = {"ldcache", NULL, false},
        [G_HELP] = {"help", "h", true},
        {NULL, NULL, false},
};

static void generate_usage(void)
{
        fputs("NAME:\n   nvidia-ctk cdi generate - Generate CDI specifications for use with CDI-enabled "
              "runtimes\n\nUSAGE:\n   nvidia-ctk cdi generate [command options]\n\nOPTIONS:\n"
              "   --output value                 Specify the file to output the generated CDI "
              "specification to. If this is '' the specification is output to STDOUT\n"
              "   --format value                 The output format for the generated spec [json | "
              "yaml]. This overrides the format defined by the output file extension (if "
              "specified). (default: \"yaml\")\n"
              "   --mode value                   The mode to use when discovering the available "
              "entities. One of [auto | nvml]. (default: \"auto\")\n"
              "   --dev-root value               Specify the root where `/dev` is located. If this "
              "is not specified, the driver-root is assumed.\n"
              "   --device-name-strategy value   Specify the strategy for generating device names. "
              "If this is specified multiple times, the devices will be duplicated for each "
              "strategy. One of [index | uuid | type-index] (default: \"index\", \"uuid\")\n"
              "   --driver-root value            Specify the NVIDIA GPU driver root to use when "
              "discovering the entities that should be included in the CDI specification. "
              "(default: \"/\")\n"
              "   --library-search-path value    Specify the path to search for libraries when "
              "discovering the entities that should be included in the CDI specification.\n"
              "   --nvidia-cdi-hook-path value   Specify the path to use for the nvidia-cdi-hook "
              "in the generated CDI specification. (default: \"/usr/bin/nvidia-cdi-hook\")\n"
              "   --ldconfig-path value          Specify the path to use for ldconfig in the "
              "generated CDI specification\n"
              "   --vendor value, --cdi-vendor value  the vendor string to use for the generated "
              "CDI specification (default: \"nvidia.com\")\n"
              "   --class value, --cdi-class value    the class string to use for the generated "
              "CDI specification (default: \"gpu\")\n"
              "   --no-all-device                Don't generate an `all` device for the resultant "
              "spec (default: false)\n"
              "   --help, -h                     show help\n",
              stdout);
}

static int cdi_generate_cmd(int argc, char **argv)
{
        struct nvcr_err err = {0};
        const char *output = NULL, *format = NULL, *vendor = "nvidia.com", *klass = "gpu";
        const char *hook_path = "/usr/bin/nvidia-cdi-hook", *ldconfig = NULL;
        _cleanup_free_ char *clean_hook = NULL;
        __attribute__((cleanup(strv_freep))) char **strategies = NULL;
        __attribute__((cleanup(strv_freep))) char **lib_paths = NULL;
        const char *settings[NVCR_SET__MAX] = {0};
        struct cdi_generate_opts o = {0};
        struct cdi_generated gen = {0};
        struct cdi_spec spec = {0};
        struct nvcr_ctx *ctx = NULL;
        enum cdi_format fmt = CDI_FORMAT_YAML;
        _cleanup_free_ char *text = NULL, *kind = NULL, *path = NULL;
        bool all_device = true;
        size_t len = 0;
        int r;

        for (int i = 1; i < argc; i++) {
                const char *v = NULL;
                int k = next_flag(generate_flags, argc, argv, &i, &v);

                if (k == -1) {
                        ctk_error("unexpected argument: %s", argv[i]);
                        return 1;
                }
                if (k < 0)
                        return 1;
                switch (k) {
                case G_OUTPUT: output = v; break;
                case G_FORMAT: format = v; break;
                case G_MODE:
                        if (strcmp(v, "auto") != 0 && strcmp(v, "nvml") != 0) {
                                ctk_error("invalid discovery mode: %s (this implementation "
                                          "supports auto and nvml)", v);
                                return 1;
                        }
                        break;
                case G_DRIVER_ROOT: settings[NVCR_SET_ROOT] = v; break;
                case G_DEV_ROOT: settings[NVCR_SET_DEV] = v; break;
                case G_PROC_ROOT: settings[NVCR_SET_PROC] = v; break;
                case G_SYS_ROOT: settings[NVCR_SET_SYS] = v; break;
                case G_CACHE_DIR: settings[NVCR_SET_CACHE_DIR] = v; break;
                case G_LDCACHE: settings[NVCR_SET_LDCACHE] = v; break;
                case G_LIB_SEARCH:
                        if (push_list(&lib_paths, v) < 0)
                                return 1;
                        break;
                case G_CONFIG_SEARCH: break; /* graphics configs come from the plan */
                case G_HOOK_PATH: hook_path = v; break;
                case G_LDCONFIG: ldconfig = v; break;
                case G_VENDOR: vendor = v; break;
                case G_CLASS: klass = v; break;
                case G_NAME_STRATEGY:
                        if (push_list(&strategies, v) < 0)
                                return 1;
                        break;
                case G_DEVICE_ID:
                        if (strcmp(v, "all") != 0) {
                                ctk_error("--device-id %s: only 'all' is supported", v);
                                return 1;
                        }
                        break;
                case G_NO_ALL:
                        if (!parse_bool(v, &all_device)) {
                                ctk_error("invalid boolean value \"%s\" for --no-all-device", v);
                                return 1;
                        }
                        all_device = !all_device;
                        break;
                case G_HELP:
                default:
                        generate_usage();
                        return 0;
                }
        }
        for (size_t i = 0; strategies != NULL && strategies[i] != NULL; i++) {
                if (strcmp(strategies[i], "index") == 0)
                        o.name_strategies |= CDI_NAMES_INDEX;
                else if (strcmp(strategies[i], "uuid") == 0)
                        o.name_strategies |= CDI_NAMES_UUID;
                else if (strcmp(strategies[i], "type-index") == 0)
                        o.name_strategies |= CDI_NAMES_TYPE_INDEX;
                else {
                        ctk_error("invalid device name strategy: %s", strategies[i]);
                        return 1;
                }
        }
        if (format != NULL) {
                if (strcasecmp(format, "json") == 0)
                        fmt = CDI_FORMAT_JSON;
                else if (strcasecmp(format, "yaml") != 0) {
                        ctk_error("invalid output format: %s", format);
                        return 1;
                }
        }
        if (asprintf(&kind, "%s/%s", vendor, klass) < 0) {
                kind = NULL;
                return 1;
        }
        if (cdi_validate_kind(kind, &err) < 0) {
                ctk_error("%s", err.msg);
                return 1;
        }
        if (output != NULL && output[0] != '\0') {
                const char *dot = strrchr(output, '.');
                const char *ext = dot != NULL && strchr(dot, '/') == NULL ? dot : "";

                /* As the reference saves: .json and .yaml decide the encoding
                   (the CDI library writes by extension); any other name gets
                   the format's extension appended. */
                if (strcmp(ext, ".json") == 0 || strcmp(ext, ".yaml") == 0) {
                        fmt = strcmp(ext, ".json") == 0 ? CDI_FORMAT_JSON : CDI_FORMAT_YAML;
                        path = strdup(output);
                } else if (asprintf(&path, "%s.%s", output,
                                    fmt == CDI_FORMAT_JSON ? "json" : "yaml") < 0) {
                        path = NULL;
                }
                if (path == NULL)
                        return 1;
        }
        /* The operator's path, as Go's filepath.Abs would clean it: the
           spec itself may hold no ".." (its readers refuse one). */
        {
                char cwd[4096];

                if (oci_path_abs_lexical(getcwd(cwd, sizeof(cwd)), hook_path, &clean_hook,
                                         &err) < 0) {
                        ctk_error("--nvidia-cdi-hook-path: %s", err.msg);
                        return 1;
                }
        }
        o.hook_path = clean_hook;
        o.ldconfig_path = ldconfig;

        if (nvcr_ctx_new(&ctx, &err) < 0) {
                ctk_error("%s", err.msg);
                return 1;
        }
        nvcr_ctx_set_log(ctx, ctk_lib_log, NULL);
        r = 0;
        for (int s = 0; r >= 0 && s < NVCR_SET__MAX; s++)
                if (settings[s] != NULL)
                        r = nvcr_ctx_set(ctx, (enum nvcr_setting)s, settings[s], &err);
        for (size_t i = 0; r >= 0 && lib_paths != NULL && lib_paths[i] != NULL; i++)
                r = nvcr_ctx_set(ctx, NVCR_SET_LIB_SEARCH_PATH, lib_paths[i], &err);
        if (r >= 0)
                r = cdi_generate(ctx, &o, &gen, &err);
        if (r < 0) {
                ctk_error("failed to generate CDI spec: %s", err.msg);
                nvcr_ctx_free(ctx);
                return 1;
        }
        nvcr_ctx_free(ctx);
        r = build_spec(&gen, kind, all_device, &spec, &err);
        cdi_generated_clear(&gen);
        if (r >= 0 && spec.ndevices == 0)
                r = nvcr_err_set(&err, ENODEV, "no NVIDIA devices found");
        if (r >= 0 && (spec.cdi_version = strdup(cdi_spec_min_version(&spec))) == NULL)
                r = -ENOMEM;
        /* What podman would refuse, we refuse to write (a driver path with "..", say). */
        if (r >= 0)
                r = cdi_spec_validate(&spec, "generated spec", &err);
        if (r >= 0)
                r = cdi_spec_to_text(&spec, fmt, &text, &len, &err);
        if (r >= 0)
                ctk_info("Generated CDI spec with version %s", spec.cdi_version);
        cdi_spec_clear(&spec);
        if (r < 0) {
                ctk_error("failed to create CDI spec: %s", err.msg[0] ? err.msg : "out of memory");
                return 1;
        }
        if (path == NULL) {
                if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0) {
                        ctk_error("failed to write the CDI spec to stdout");
                        return 1;
                }
                return 0;
        }
        if (write_output(path, text, len, &err) < 0) {
                ctk_error("failed to save CDI spec: %s", err.msg);
                return 1;
        }
        return 0;
}

/* ------------------------------------------------------------ list */

static const struct flag list_flags[] = {
        {"spec-dir", NULL, false},
        {"help", "h", true},
        {NULL, NULL, false},
};

static int cdi_list_cmd(int argc, char **argv)
{
        __attribute__((cleanup(strv_freep))) char **dirs = NULL;
        __attribute__((cleanup(strv_freep))) char **names = NULL;
        struct nvcr_err err = {0};
        struct cdi_registry reg;
        size_t n = 0;
        int r;

        for (int i = 1; i < argc; i++) {
                const char *v = NULL;
                int k = next_flag(list_flags, argc, argv, &i, &v);

                if (k == -1) {
                        ctk_error("unexpected argument: %s", argv[i]);
                        return 1;
                }
                if (k < 0)
                        return 1;
                if (k == 1) {
                        puts("NAME:\n   nvidia-ctk cdi list - List the available CDI devices\n\n"
                             "USAGE:\n   nvidia-ctk cdi list [command options]\n\nOPTIONS:\n"
                             "   --spec-dir value [ --spec-dir value ]  specify the directories "
                             "to scan for CDI specifications (default: \"/etc/cdi\", "
                             "\"/var/run/cdi\")\n   --help, -h  show help");
                        return 0;
                }
                if (push_list(&dirs, v) < 0)
                        return 1;
        }
        r = cdi_registry_load(&reg, (const char *const *)dirs, &err);
        if (r >= 0)
                r = cdi_registry_list(&reg, &names, &n, &err);
        if (r < 0) {
                ctk_error("failed to list CDI devices: %s", err.msg);
                cdi_registry_clear(&reg);
                return 1;
        }
        for (size_t i = 0; i < reg.nerrors; i++)
                ctk_warn("%s", reg.errors[i].msg);
        cdi_registry_clear(&reg);
        ctk_info("Found %zu CDI devices", n);
        for (size_t i = 0; i < n; i++)
                printf("%s\n", names[i]);
        return fflush(stdout) == 0 ? 0 : 1;
}

static void cdi_usage(FILE *f)
{
        fputs("NAME:\n   nvidia-ctk cdi - Provide tools for interacting with Container Device "
              "Interface specifications\n\nUSAGE:\n   nvidia-ctk cdi command [command options] "
              "[arguments...]\n\nCOMMANDS:\n"
              "   generate  Generate CDI specifications for use with CDI-enabled runtimes\n"
              "   list      List the available CDI devices\n"
              "   help, h   Shows a list of commands or help for one command\n\n"
              "OPTIONS:\n   --help, -h  show help\n",
              f);
}

int ctk_cdi(const struct ctk_global *g, int argc, char **argv)
{
        (void)g;
        if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "h") == 0 ||
            strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
                cdi_usage(stdout);
                return 0;
        }
        if (strcmp(argv[1], "generate") == 0)
                return cdi_generate_cmd(argc - 1, argv + 1);
        if (strcmp(argv[1], "list") == 0)
                return cdi_list_cmd(argc - 1, argv + 1);
        fprintf(stderr, "No help topic for '%s'\n", argv[1]);
        return 3;
}
