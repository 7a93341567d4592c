/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nvidia-container-runtime: an OCI runtime shim around runc/crun. On
 * `create` (and `run`) of a container that asks for a GPU it adds our
 * prestart hook to the bundle's config.json, then execs the low-level runtime
 * with the same arguments; everything else is passed straight through.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "apply/early-start.h"
#include "apply/post-create.h"
#include "apply/shim.h"
#include "build-config.h"
#include "config/config.h"
#include "core/macro.h"
#include "core/timing.h"
#include "oci/state.h"
#include "runtime/args.h"
#include "nvcr.h"

#define PROG "nvidia-container-runtime"


/* Our hook: the configured name looked up in PATH, else beside this binary. */
/* `name` on PATH, else beside this executable (a packaged install keeps them together). */
static char *find_helper(const char *configured, const char *name)
{
        char *r = runtime_find_program(configured);

        return r != NULL ? r : runtime_find_beside_self(name);
}

/*
 * Starts argv (a runtime command line); its pid or -errno. posix_spawn:
 * glibc's is a vfork-style clone, no copy of our address space at every
 * container start.
 */
static pid_t spawn(char **argv)
{
        pid_t pid;
        int r = posix_spawn(&pid, argv[0], NULL, NULL, argv, environ);

        return r != 0 ? -r : pid;
}

/* Its exit status, 128+N for signal N; -errno. */
static int wait_child(pid_t pid)
{
        int status;

        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Runs argv to its end: its exit status or -errno. */
static int run_wait(char **argv)
{
        pid_t pid = spawn(argv);

        return pid < 0 ? pid : wait_child(pid);
}

/*
 * jit-cdi without a hook process (apply/post-create.h): `<runtime> create`
 * as a child, the hook chain's work in the rootfs while it runs, the params
 * mask once it has returned. Should our part fail, the container is
 * deleted again (`<runtime> delete --force`, with the same global
 * options), so a failed create leaves nothing, as when a createContainer
 * hook fails inside runc.
 */
static int create_then_finish(const struct runtime_args *a, char **argv, struct post_create *post,
                              struct early_start *early)
{
        struct nvcr_err err = {0}, berr = {0};
        char msg[2048];
        pid_t pid = early->pid > 0 ? early->pid : spawn(argv);
        int r, before;

        /* Started early with the hook chain in config.json: nothing of ours is left. */
        if (pid > 0 && post->argv == NULL) {
                early_start_settle(early);
                return wait_child(pid);
        }
        if (pid < 0) {
                (void)snprintf(msg, sizeof(msg), "cannot run %s: %s", argv[0], strerror(-pid));
                runtime_report(a, PROG, msg);
                return 1;
        }
        timing_mark("create started");
        before = post_create_before(post, &berr);
        timing_mark("rootfs done");
        early_start_settle(early);
        r = wait_child(pid);
        timing_mark("create returned");
        if (r != 0) {
                if (before < 0) {
                        (void)snprintf(msg, sizeof(msg), "error setting up the GPU in %s: %s",
                                       post->rootfs, berr.msg);
                        runtime_report(a, PROG, msg);
                }
                if (r < 0) {
                        (void)snprintf(msg, sizeof(msg), "waiting for %s: %s", argv[0],
                                       strerror(-r));
                        runtime_report(a, PROG, msg);
                        return 1;
                }
                return r; /* the runtime said why */
        }
        if (before < 0) {
                err = berr;
                r = before;
        } else {
                r = post_create_read_pid(a->pid_file, &pid, &err);
                if (r >= 0)
                        r = post_create_after(post, pid, &err);
        }
        if (r >= 0)
                return 0;
        (void)snprintf(msg, sizeof(msg), "error finishing the GPU setup of container %s: %s",
                       a->id, err.msg);
        runtime_report(a, PROG, msg);
        {
                char **del = calloc((size_t)a->cmd + 4, sizeof(*del));

                if (del != NULL) {
                        for (int i = 0; i < a->cmd; i++)
                                del[i] = argv[i];
                        del[a->cmd] = (char *)"delete";
                        del[a->cmd + 1] = (char *)"--force";
                        del[a->cmd + 2] = (char *)a->id;
                        (void)run_wait(del);
                        free(del);
                }
        }
        return 1;
}

/*
 * An error before config.json's edits were handed over: a runtime the front
 * started early is killed and config.json put back first (nothing is left).
 */
static int give_up(const struct runtime_args *a, struct early_start *early, const char *msg)
{
        struct nvcr_err err = {0};

        if (early->pid > 0)
                early_start_abort(early, &err);
        if (early->bundlefd >= 0)
                (void)close(early->bundlefd);
        early->bundlefd = -1;
        if (err.msg[0] != '\0') {
                char full[2300];

                (void)snprintf(full, sizeof(full), "%s; %s", msg, err.msg);
                runtime_report(a, PROG, full);
        } else {
                runtime_report(a, PROG, msg);
        }
        return 1;
}

int main(int argc, char **argv)
{
        struct runtime_args a = {0};
        struct nvcr_config cfg;
        struct nvcr_err err = {0};
        const char *config_path = runtime_config_path();
        char *runtime = NULL, msg[2048], cwd[PATH_MAX];
        struct post_create post = POST_CREATE_INIT; /* jit-cdi's chain, when this create runs it (shim.h) */
        struct early_start early = EARLY_START_INIT; /* runc started before the edits (early-start.h) */
        int r;

        timing_mark("full runtime started");
        runtime_args_parse(argc, argv, &a);
        /* runc already started by the front (cmd/runtime/front.c), waiting for config.json. */
        r = early_start_take_over(&early, &err);
        if (r < 0) {
                runtime_report(&a, PROG, err.msg);
                return 1;
        }
        if (r > 0 && !(a.cmd > 0 && a.create && a.id != NULL))
                return give_up(&a, &early, "the front started the runtime early for no create");
        if (config_load(config_path, &cfg, &err) < 0)
                return give_up(&a, &early, err.msg);
        timing_mark("config.toml read");
        for (char **rt = cfg.runtime.runtimes; rt && *rt && runtime == NULL; rt++)
                runtime = runtime_find_program(*rt);
        if (runtime == NULL)
                return give_up(&a, &early, "error locating a low-level runtime (runtimes in the "
                                           "config: none found)");
        timing_mark("runtime found");
        argv[0] = runtime;
        if (a.version) {
                printf("NVIDIA Container Runtime version %s\ncommit: %s\n\n", NVCR_VERSION,
                       NVCR_BUILD_REVISION);
                fflush(stdout);
        }
        if (a.cmd > 0) {
                _cleanup_free_ char *bundle = NULL;
                const char *here = getcwd(cwd, sizeof(cwd));

                /*
                 * runc resolves --bundle (default: the current directory)
                 * lexically against the current directory; so do we, so
                 * that the config.json we edit is the one runc reads.
                 */
                if (oci_path_abs_lexical(here, a.bundle != NULL ? a.bundle : ".", &bundle,
                                         &err) < 0) {
                        (void)snprintf(msg, sizeof(msg), "error modifying OCI spec: %s", err.msg);
                        return give_up(&a, &early, msg);
                }
                const char *phase = "";
                struct shim_paths paths = {
                        .locate = find_helper,
                        .hook_name = cfg.hook.path,
                        .config = access(config_path, F_OK) == 0 ? config_path : NULL,
                };

                if (early.pid > 0 || (a.create && a.id && early_start_suits(runtime)))
                        early.argv = argv;
                /* Only create with --pid-file lets us find the container afterwards. */
                r = shim_prepare_bundle(&cfg, bundle, &paths,
                                        a.create && a.pid_file && a.id ? &post : NULL,
                                        early.argv != NULL ? &early : NULL, &phase, &err);
                shim_paths_clear(&paths);
                if (r < 0) {
                        (void)snprintf(msg, sizeof(msg), "error modifying OCI spec: %s%s%s",
                                       phase[0] ? phase : "", phase[0] ? " error: " : "",
                                       err.msg);
                        runtime_report(&a, PROG, msg);
                        return 1;
                }
        }
        config_free(&cfg);
        timing_mark("exec runtime");
        if (post.argv != NULL || early.pid > 0) {
                r = create_then_finish(&a, argv, &post, &early);
                early_start_clear(&early);
                post_create_clear(&post);
                return r;
        }
        timing_flush();
        execv(runtime, argv);
        (void)snprintf(msg, sizeof(msg), "exec %s: %s", runtime, strerror(errno));
        runtime_report(&a, PROG, msg);
        return 1;
}
