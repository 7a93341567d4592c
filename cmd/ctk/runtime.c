/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nvidia-ctk runtime configure: register our runtime with an engine
 * (lib/engine does the editing; this file maps the reference's flags).
 */
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/macro.h"
#include "ctk.h"
#include "engine/engine.h"

enum engine { E_DOCKER, E_CONTAINERD, E_CRIO };

struct opts {
        enum engine engine;
        const char *engine_name;
        const char *config;
        const char *dropin;
        bool dropin_set;
        bool dry_run;
        struct engine_runtime rt;
};

static void usage(FILE *f)
{
        fputs("NAME:\n   nvidia-ctk runtime configure - Add a runtime to the specified container "
              "engine\n\nUSAGE:\n   nvidia-ctk runtime configure [command options]\n\n"
              "OPTIONS:\n"
              "   --dry-run                          update the runtime configuration as required "
              "but don't write changes to disk (default: false)\n"
              "   --runtime value                    the target runtime engine; one of "
              "[containerd, crio, docker] (default: \"docker\")\n"
              "   --config value                     path to the config file for the target "
              "runtime\n"
              "   --config-source value              the source to retrieve the container "
              "runtime configuration; one of [file, command] (default: \"file\")\n"
              "   --executable-path value            The path to the runtime executable (not "
              "used)\n"
              "   --config-mode value                the config mode for runtimes that support "
              "multiple configuration mechanisms (default: \"config-file\")\n"
              "   --oci-hook-path value              the path to the OCI runtime hook to create "
              "if --config-mode=oci-hook is specified\n"
              "   --nvidia-runtime-name value        specify the name of the NVIDIA runtime that "
              "will be added (default: \"nvidia\")\n"
              "   --nvidia-runtime-path value, --runtime-path value  specify the path to the "
              "NVIDIA runtime executable\n"
              "   --nvidia-runtime-hook-path value   specify the path to the NVIDIA Container "
              "Runtime hook executable\n"
              "   --nvidia-set-as-default, --set-as-default  set the NVIDIA runtime as the "
              "default runtime (default: false)\n"
              "   --cdi.enabled, --enable-cdi        Enable CDI in the configured runtime "
              "(default: false)\n"
              "   --drop-in-config value             path to a drop-in config for the target "
              "runtime (containerd: \"" ENGINE_CONTAINERD_DROPIN "\", crio: \"" ENGINE_CRIO_DROPIN
              "\")\n"
              "   --help, -h                         show help\n",
              f);
}

/* A urfave/cli boolean: --flag, or --flag=true|false. */
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

enum {
        O_RUNTIME = 256,
        O_CONFIG,
        O_DROPIN,
        O_SOURCE,
        O_EXEC,
        O_MODE,
        O_HOOK,
        O_NAME,
        O_PATH,
        O_RT_HOOK,
        O_DEFAULT,
        O_CDI,
        O_DRY,
};

static int parse(int argc, char **argv, struct opts *o)
{
        static const struct option lo[] = {
                { "runtime", required_argument, NULL, O_RUNTIME },
                { "config", required_argument, NULL, O_CONFIG },
                { "drop-in-config", required_argument, NULL, O_DROPIN },
                { "config-source", required_argument, NULL, O_SOURCE },
                { "executable-path", required_argument, NULL, O_EXEC },
                { "config-mode", required_argument, NULL, O_MODE },
                { "oci-hook-path", required_argument, NULL, O_HOOK },
                { "nvidia-runtime-name", required_argument, NULL, O_NAME },
                { "nvidia-runtime-path", required_argument, NULL, O_PATH },
                { "runtime-path", required_argument, NULL, O_PATH },
                { "nvidia-runtime-hook-path", required_argument, NULL, O_RT_HOOK },
                { "nvidia-set-as-default", optional_argument, NULL, O_DEFAULT },
                { "set-as-default", optional_argument, NULL, O_DEFAULT },
                { "cdi.enabled", optional_argument, NULL, O_CDI },
                { "enable-cdi", optional_argument, NULL, O_CDI },
                { "dry-run", optional_argument, NULL, O_DRY },
                { "help", no_argument, NULL, 'h' },
                { 0 },
        };
        const char *path = NULL;
        int c;

        o->engine_name = "docker";
        o->rt.name = "nvidia";
        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+h", lo, NULL)) != -1) {
                switch (c) {
                case O_RUNTIME:
                        o->engine_name = optarg;
                        break;
                case O_CONFIG:
                        o->config = optarg;
                        break;
                case O_DROPIN:
                        o->dropin = optarg;
                        o->dropin_set = true;
                        break;
                case O_SOURCE:
                        /* "command" asks the engine for its merged config; we edit
                           files at the line level and need only the file. */
                        if (strcmp(optarg, "file") != 0 && strcmp(optarg, "command") != 0 &&
                            strcmp(optarg, "auto") != 0) {
                                ctk_error("unrecognized config source: %s", optarg);
                                return -1;
                        }
                        break;
                case O_MODE:
                        if (strcmp(optarg, "config-file") != 0 && strcmp(optarg, "config") != 0) {
                                ctk_error("unsupported config-mode \"%s\" (only config-file)",
                                          optarg);
                                return -1;
                        }
                        break;
                case O_EXEC:
                case O_HOOK:
                case O_RT_HOOK:
                        /* Accepted for compatibility: the config-file mode uses none. */
                        break;
                case O_NAME:
                        o->rt.name = optarg;
                        break;
                case O_PATH:
                        path = optarg;
                        break;
                case O_DEFAULT:
                        if (parse_bool("nvidia-set-as-default", optarg, &o->rt.set_as_default) < 0)
                                return -1;
                        break;
                case O_CDI:
                        if (parse_bool("cdi.enabled", optarg, &o->rt.enable_cdi) < 0)
                                return -1;
                        break;
                case O_DRY:
                        if (parse_bool("dry-run", optarg, &o->dry_run) < 0)
                                return -1;
                        break;
                case 'h':
                        usage(stdout);
                        return 1;
                case '?':
                default:
                        fprintf(stderr, "Incorrect Usage: flag provided but not defined: %s\n\n",
                                argv[optind - 1]);
                        usage(stderr);
                        return -1;
                }
        }
        if (optind < argc) {
                ctk_error("unexpected argument: %s", argv[optind]);
                return -1;
        }
        if (strcmp(o->engine_name, "docker") == 0) {
                o->engine = E_DOCKER;
        } else if (strcmp(o->engine_name, "containerd") == 0) {
                o->engine = E_CONTAINERD;
        } else if (strcmp(o->engine_name, "crio") == 0) {
                o->engine = E_CRIO;
        } else {
                ctk_error("unrecognized runtime '%s'", o->engine_name);
                return -1;
        }
        if (o->rt.name[0] == '\0') {
                ctk_error("the NVIDIA runtime name must not be empty");
                return -1;
        }
        if (path == NULL)
                path = o->engine == E_DOCKER ? "nvidia-container-runtime"
                                             : "/usr/bin/nvidia-container-runtime";
        o->rt.path = path;
        if (o->config == NULL)
                o->config = o->engine == E_DOCKER       ? ENGINE_DOCKER_CONFIG
                            : o->engine == E_CONTAINERD ? ENGINE_CONTAINERD_CONFIG
                                                        : ENGINE_CRIO_CONFIG;
        if (!o->dropin_set)
                o->dropin = o->engine == E_CONTAINERD ? ENGINE_CONTAINERD_DROPIN
                            : o->engine == E_CRIO     ? ENGINE_CRIO_DROPIN
                                                      : NULL;
        if (o->engine == E_DOCKER && o->dropin_set && o->dropin[0] != '\0') {
                ctk_error("--drop-in-config is not supported for docker");
                return -1;
        }
        if (o->engine != E_DOCKER && o->dropin[0] == '\0') {
                /* Rewriting the engine's main TOML would need a full TOML
                   round trip; the drop-in keeps the administrator's file. */
                ctk_error("an empty --drop-in-config (editing %s itself) is not supported",
                          o->config);
                return -1;
        }
        return 0;
}

static int write_or_print(const struct opts *o, const char *path, const char *buf)
{
        struct nvcr_err err = { 0 };

        if (o->dry_run) {
                fputs(buf, stdout);
                return 0;
        }
        if (engine_write_config(path, buf, strlen(buf), &err) < 0) {
                ctk_error("unable to flush config: %s", err.msg);
                return -1;
        }
        ctk_info("Wrote updated config to %s", path);
        return 0;
}

static int configure_docker(const struct opts *o)
{
        _cleanup_free_ char *in = NULL, *target = NULL, *out = NULL;
        struct nvcr_err err = { 0 };
        size_t len = 0;

        if (engine_read_config(o->config, &in, &len, &target, &err) < 0 ||
            engine_docker_update(target, in, len, &o->rt, &out, &err) < 0) {
                ctk_error("unable to load config for runtime docker: %s", err.msg);
                return -1;
        }
        return write_or_print(o, target, out);
}

static int configure_containerd(const struct opts *o)
{
        _cleanup_free_ char *dropin = NULL, *in = NULL, *target = NULL, *out = NULL,
                            *dir = NULL, *import = NULL, *abs = NULL;
        const char *dropin_path;
        struct nvcr_err err = { 0 };
        size_t len = 0;

        /* containerd resolves a relative import against the main config's
           directory, not ours: name the drop-in by its absolute path. */
        if (o->dropin[0] == '/') {
                dir = strdup(o->dropin);
        } else {
                _cleanup_free_ char *cwd = getcwd(NULL, 0);

                if (cwd != NULL && asprintf(&abs, "%s/%s", cwd, o->dropin) < 0)
                        abs = NULL;
                dir = abs != NULL ? strdup(abs) : NULL;
        }
        dropin_path = abs != NULL ? abs : o->dropin;
        if (dir == NULL || asprintf(&import, "%s/*.toml", dirname(dir)) < 0) {
                import = NULL;
                ctk_error("out of memory");
                return -1;
        }
        if (engine_read_config(o->config, &in, &len, &target, &err) < 0 ||
            engine_containerd_dropin(&o->rt, in, len, &dropin, &err) < 0 ||
            engine_containerd_imports(target, in, len, dropin_path, import, &out, &err) < 0) {
                ctk_error("unable to load config for runtime containerd: %s", err.msg);
                return -1;
        }
        if (write_or_print(o, o->dropin, dropin) < 0)
                return -1;
        if (out == NULL) {
                ctk_debug("%s already imports %s", target, o->dropin);
                return 0;
        }
        if (o->dry_run) {
                ctk_info("%s would import %s", target, import);
                return 0;
        }
        /* The drop-in is in place first: an import of a missing file is
           an error for containerd, a drop-in nobody imports is not. */
        if (engine_write_config(target, out, strlen(out), &err) < 0) {
                ctk_error("unable to update the imports of %s: %s", target, err.msg);
                return -1;
        }
        ctk_info("Updated %s to import %s", target, import);
        return 0;
}

static int configure_crio(const struct opts *o)
{
        _cleanup_free_ char *dropin = NULL;
        struct nvcr_err err = { 0 };

        if (engine_crio_dropin(&o->rt, &dropin, &err) < 0) {
                ctk_error("unable to load config for runtime crio: %s", err.msg);
                return -1;
        }
        return write_or_print(o, o->dropin, dropin);
}

static int configure(int argc, char **argv)
{
        struct opts o = { 0 };
        int r;

        r = parse(argc, argv, &o);
        if (r != 0)
                return r < 0 ? 1 : 0;
        switch (o.engine) {
        case E_DOCKER:
                r = configure_docker(&o);
                break;
        case E_CONTAINERD:
                r = configure_containerd(&o);
                break;
        case E_CRIO:
        default:
                r = configure_crio(&o);
                break;
        }
        if (r < 0)
                return 1;
        if (!o.dry_run)
                ctk_info("It is recommended that %s daemon be restarted.", o.engine_name);
        return 0;
}

int ctk_runtime(const struct ctk_global *g, int argc, char **argv)
{
        (void)g;
        if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
            strcmp(argv[1], "help") == 0) {
                fputs("NAME:\n   nvidia-ctk runtime - A collection of runtime-related utilities "
                      "for the NVIDIA Container Toolkit\n\nUSAGE:\n   nvidia-ctk runtime "
                      "command [command options] [arguments...]\n\nCOMMANDS:\n   configure  Add "
                      "a runtime to the specified container engine\n",
                      argc < 2 ? stderr : stdout);
                return argc < 2 ? 1 : 0;
        }
        if (strcmp(argv[1], "configure") == 0)
                return configure(argc - 1, argv + 1);
        ctk_error("No help topic for '%s'", argv[1]);
        return 1;
}
