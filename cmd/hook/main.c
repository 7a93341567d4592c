/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nvidia-container-runtime-hook [-debug] [-config FILE] prestart|poststart|poststop
 *
 * The OCI prestart hook (Docker's --gpus, the runtime shim's legacy mode,
 * podman's hooks.d): reads the OCI state on stdin and gives the container its
 * GPUs through the library. poststart and poststop do nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apply/prestart.h"
#include "cli.h"
#include "config/config.h"

#define HOOK "nvidia-container-runtime-hook"

static void usage(FILE *f)
{
        fprintf(f, "Usage: %s [-debug] [-config FILE] prestart|poststart|poststop\n", HOOK);
}

/* Go's flag syntax, as the reference: -name, --name, -name=value, -name value. */
static int flag_is(const char *arg, const char *name, const char **value)
{
        size_t n = strlen(name);

        if (arg[0] != '-')
                return 0;
        arg += arg[1] == '-' ? 2 : 1;
        if (strncmp(arg, name, n) != 0)
                return 0;
        if (arg[n] == '=') {
                *value = arg + n + 1;
                return 1;
        }
        return arg[n] == '\0' ? 2 : 0;
}

int main(int argc, char **argv)
{
        const char *config_path = NULL, *cmd = NULL, *phase = "initialization", *v = NULL;
        struct nvcr_config cfg;
        struct nvcr_ctx *ctx = NULL;
        struct nvcr_err err = {0};
        bool debug = false;
        int i, r;

        /*
         * Nothing from the environment. runc and crun start a prestart hook
         * with the hook entry's env, or their own when it has none, never
         * the image's (tests/integration/runtime-hook.bats checks that an
         * image's LD_PRELOAD is not loaded by us either way); what the engine
         * passes (dockerd's own environment under --gpus) must not steer the
         * hook either, so only -config chooses the configuration file
         * (CVE-2025-23266 was a hook that trusted what it was given).
         */
        (void)clearenv();
        (void)setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
        for (i = 1; i < argc && argv[i][0] == '-'; i++) {
                if ((r = flag_is(argv[i], "config", &v)) != 0) {
                        if (r == 2 && ++i >= argc) {
                                usage(stderr);
                                return 2;
                        }
                        config_path = r == 1 ? v : argv[i];
                } else if (flag_is(argv[i], "debug", &v) == 2) {
                        debug = true;
                } else if (flag_is(argv[i], "help", &v) == 2 || flag_is(argv[i], "h", &v) == 2) {
                        usage(stdout);
                        return 0;
                } else {
                        fprintf(stderr, "flag provided but not defined: %s\n", argv[i]);
                        usage(stderr);
                        return 2;
                }
        }
        if (i < argc)
                cmd = argv[i];
        if (cmd == NULL || (strcmp(cmd, "prestart") != 0 && strcmp(cmd, "poststart") != 0 &&
                            strcmp(cmd, "poststop") != 0)) {
                usage(stderr);
                return 2;
        }
        if (strcmp(cmd, "prestart") != 0)
                return 0;

        /* A missing default file means the defaults; a named one must be there. */
        if (config_path != NULL && access(config_path, F_OK) < 0) {
                fprintf(stderr, "%s: config error: couldn't open required configuration file %s\n",
                        HOOK, config_path);
                return 1;
        }
        if (config_load(config_path ? config_path : config_default_path(), &cfg, &err) < 0) {
                fprintf(stderr, "%s: config error: %s\n", HOOK, err.msg);
                return 1;
        }
        r = nvcr_ctx_new(&ctx, &err);
        if (r >= 0) {
                nvcr_ctx_set_log(ctx, cli_log, NULL);
                if (debug)
                        (void)cli_log_open("/dev/stderr");
                else if (cfg.cli.debug && cfg.cli.debug[0])
                        (void)cli_log_open(cfg.cli.debug);
                r = prestart_configure_ctx(ctx, &cfg, &err);
        }
        if (r >= 0)
                r = prestart_run(ctx, &cfg, STDIN_FILENO, &phase, &err);
        /* Messages as the reference's hook shows them (from its CLI). */
        if (r < 0)
                (void)cli_fail(phase, &err);
        nvcr_ctx_free(ctx);
        config_free(&cfg);
        return r < 0 ? 1 : 0;
}
