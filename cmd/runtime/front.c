/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nvidia-container-runtime: the program engines run for every runtime
 * command (create, start, state, kill, delete, …). This front decides,
 * from the command line, config.toml and config.json's bytes alone, whether
 * the container can need us; if it cannot, it execs the low-level runtime
 * (runc) in its own place at once. Only a create or run whose config.json
 * may ask for a GPU (request/may-ask.h) goes on to the full runtime
 * (cmd/runtime/main.c, nvidia-container-runtime-full), which parses
 * config.json, plans and edits it. For a runc create the front first
 * starts runc early (apply/early-start.h) and hands it over across the
 * exec, so that runc's own start overlaps the full runtime's.
 *
 * Why a front: on the VMs GPU hosts run on, every process that glibc
 * starts spends ~0.25-0.4 ms in glibc's start-up alone (its CPU feature
 * probing executes CPUID dozens of times, and each CPUID exits to the
 * hypervisor: ~3.6 us here). Engines call the runtime twice per container
 * (create, then start), so that was most of what we added to a start.
 * Built with musl where it is available (meson.build), the front starts in
 * ~10 us; it needs no json-c, no driver code.
 *
 * Anything the front is not sure of (its config or bundle cannot be read,
 * config.json is not well-formed JSON, --version, no low-level runtime
 * found) goes to the full runtime, which
 * says what is wrong in the reference's words: the front never reports an
 * error of its own besides failing to run the full runtime.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apply/early-start.h"
#include "build-config.h"
#include "config/config.h"
#include "core/err.h"
#include "core/json-check.h"
#include "core/macro.h"
#include "core/timing.h"
#include "oci/bundle.h"
#include "request/may-ask.h"
#include "runtime/args.h"

#define PROG "nvidia-container-runtime"
#define FULL "nvidia-container-runtime-full"

/* The full runtime: beside this program (a build tree, a relocated install), else where installed. */
static char *find_full(void)
{
        char *p = runtime_find_beside_self(FULL);

        if (p == NULL && access(NVCR_RUNTIME_FULL_PATH, X_OK) == 0)
                p = strdup(NVCR_RUNTIME_FULL_PATH);
        return p;
}

/*
 * execs the full runtime (`full`, from find_full: NULL when there is none;
 * freed here) with our command line; returns only on failure (reported).
 */
static int exec_full(const struct runtime_args *a, char **argv, struct early_start *early,
                     char *full)
{
        static char state[256];
        char msg[PATH_MAX + 128];
        int e = ENOENT;

        if (full != NULL) {
                argv[0] = full;
                if (early->pid > 0 && early_start_hand_over(early, state, sizeof(state)) == 0)
                        (void)putenv(state);
                else if (early->pid > 0)
                        early_start_abort(early, NULL); /* runc is killed; the full runtime redoes it */
                timing_mark("full runtime exec");
                timing_hand_over();
                execv(full, argv);
                e = errno;
        }
        if (early->pid > 0)
                early_start_abort(early, NULL);
        (void)snprintf(msg, sizeof(msg), "cannot run %s: %s", full != NULL ? full : FULL,
                       strerror(e));
        runtime_report(a, PROG, msg);
        free(full);
        return 1;
}

/* execs the low-level runtime in our place (what it does is the command's result). */
static int exec_runtime(const struct runtime_args *a, char *runtime, char **argv)
{
        char msg[PATH_MAX + 128];

        argv[0] = runtime;
        timing_mark("exec runtime");
        timing_flush();
        execv(runtime, argv);
        (void)snprintf(msg, sizeof(msg), "exec %s: %s", runtime, strerror(errno));
        runtime_report(a, PROG, msg);
        return 1;
}

int main(int argc, char **argv)
{
        struct runtime_args a = {0};
        struct nvcr_config cfg;
        struct nvcr_err err = {0};
        struct early_start early = EARLY_START_INIT;
        const char *config_path = runtime_config_path();
        char *runtime = NULL, *full, cwd[PATH_MAX];
        _cleanup_free_ char *bundle = NULL, *buf = NULL;
        _cleanup_close_ int bfd = -EBADF;
        const char *here;
        size_t len = 0;

        timing_mark("start");
        /* Only ever set by us, for the full runtime: never taken from the engine. */
        (void)unsetenv(EARLY_START_ENV);
        runtime_args_parse(argc, argv, &a);
        if (a.version || config_load(config_path, &cfg, &err) < 0)
                return exec_full(&a, argv, &early, find_full());
        timing_mark("front: config.toml read");
        for (char **rt = cfg.runtime.runtimes; rt && *rt && runtime == NULL; rt++)
                runtime = runtime_find_program(*rt);
        if (runtime == NULL)
                return exec_full(&a, argv, &early, find_full());
        timing_mark("front: runtime found");
        if (a.cmd == 0)
                return exec_runtime(&a, runtime, argv);
        /* create or run: the bundle as runc resolves it (oci/bundle.h). */
        here = getcwd(cwd, sizeof(cwd));
        if (oci_path_abs_lexical(here, a.bundle != NULL ? a.bundle : ".", &bundle, &err) < 0 ||
            (bfd = spec_open_bundle(bundle, &err)) < 0 ||
            spec_read(bfd, bundle, &buf, &len, &err) < 0)
                return exec_full(&a, argv, &early, find_full());
        timing_mark("front: config.json bytes read");
        /* Not well formed: the full runtime names the problem (runc would say "unexpected EOF"). */
        if (!request_may_ask_for_gpu(buf, len, &cfg) &&
            json_well_formed(buf, len, OCI_JSON_MAX_DEPTH))
                return exec_runtime(&a, runtime, argv);
        full = find_full();
        /* A runc create: runc starts now, the full runtime's start-up and work meanwhile. */
        if (full != NULL && a.create && a.id != NULL && early_start_suits(runtime)) {
                argv[0] = runtime;
                early.argv = argv;
                early.bundlefd = bfd;
                if (early_start_begin(&early) > 0)
                        bfd = -EBADF; /* handed over with the rest */
                else
                        early.bundlefd = -1;
        }
        return exec_full(&a, argv, &early, full);
}
