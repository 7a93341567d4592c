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
#include "nvcr.h"

#define PROG "nvidia-container-runtime"

struct args {
        int cmd;            /* index of create/run in argv, 0 = none */
        bool create;        /* the command is create (not run) */
        const char *pid_file; /* create --pid-file FILE */
        const char *id;     /* the container id: create's first positional argument */
        const char *bundle; /* NULL = cwd */
        const char *log;    /* --log FILE */
        bool log_json;      /* --log-format=json */
        bool version;
};

static bool in_list(const char *a, const char *const *list, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(a, list[i]) == 0)
                        return true;
        return false;
}

/* Global runtime options that take a value (runc and crun): skip it. */
static bool takes_value(const char *a)
{
        static const char *const with_value[] = {"--root", "--log", "--log-format", "--criu",
                                                 "--rootless", "--cgroup-manager"};

        return in_list(a, with_value, ARRAY_SIZE(with_value));
}

/* Options of create/run that take a value (runc and crun), besides --bundle and --pid-file. */
static bool cmd_takes_value(const char *a)
{
        static const char *const with_value[] = {"--console-socket", "--preserve-fds",
                                                 "--config", "-f"};

        return in_list(a, with_value, ARRAY_SIZE(with_value));
}

static void parse_args(int argc, char **argv, struct args *a)
{
        for (int i = 1; i < argc; i++) {
                const char *s = argv[i];

                if (a->cmd == 0) {
                        if (strcmp(s, "--version") == 0 || strcmp(s, "-v") == 0)
                                a->version = true;
                        else if (strcmp(s, "--log") == 0 && i + 1 < argc)
                                a->log = argv[i + 1];
                        else if (strncmp(s, "--log=", 6) == 0)
                                a->log = s + 6;
                        else if (strcmp(s, "--log-format=json") == 0 ||
                                 (strcmp(s, "--log-format") == 0 && i + 1 < argc &&
                                  strcmp(argv[i + 1], "json") == 0))
                                a->log_json = true;
                        if (s[0] == '-') {
                                if (takes_value(s))
                                        i++;
                                continue;
                        }
                        if (strcmp(s, "create") == 0 || strcmp(s, "run") == 0) {
                                a->cmd = i;
                                a->create = s[0] == 'c';
                        }
                        else
                                return; /* another command: passed through */
                        continue;
                }
                if ((strcmp(s, "--bundle") == 0 || strcmp(s, "-b") == 0) && i + 1 < argc)
                        a->bundle = argv[++i];
                else if (strncmp(s, "--bundle=", 9) == 0)
                        a->bundle = s + 9;
                else if (strncmp(s, "-b=", 3) == 0)
                        a->bundle = s + 3;
                else if (strcmp(s, "--pid-file") == 0 && i + 1 < argc)
                        a->pid_file = argv[++i];
                else if (strncmp(s, "--pid-file=", 11) == 0)
                        a->pid_file = s + 11;
                else if (cmd_takes_value(s) && i + 1 < argc)
                        i++;
                else if (s[0] != '-' && a->id == NULL)
                        a->id = s;
        }
}

/* The runtime's error, on stderr and where the engine reads it (--log). */
static void report(const struct args *a, const char *msg)
{
        FILE *f;

        fprintf(stderr, "%s: %s\n", PROG, msg);
        if (a->log == NULL || (f = fopen(a->log, "ae")) == NULL)
                return;
        if (a->log_json) {
                char ts[64];
                time_t now = time(NULL);
                struct tm tm;

                (void)strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
                fprintf(f, "{\"level\":\"error\",\"msg\":\"");
                for (const char *p = msg; *p; p++) {
                        if (*p == '"' || *p == '\\')
                                fputc('\\', f);
                        fputc((unsigned char)*p >= 0x20 ? *p : ' ', f);
                }
                fprintf(f, "\",\"time\":\"%s\"}\n", ts);
        } else {
                fprintf(f, "%s: %s\n", PROG, msg);
        }
        (void)fclose(f);
}

/* An absolute path, or the first executable match in PATH. */
static char *find_program(const char *name)
{
        const char *path = getenv("PATH");
        char buf[PATH_MAX];

        if (strchr(name, '/') != NULL)
                return access(name, X_OK) == 0 ? realpath(name, NULL) : NULL;
        if (path == NULL || path[0] == '\0')
                path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        for (const char *p = path; *p;) {
                const char *c = strchr(p, ':');
                size_t n = c ? (size_t)(c - p) : strlen(p);

                if (n > 0 && snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, p, name) < (int)sizeof(buf) &&
                    access(buf, X_OK) == 0)
                        return realpath(buf, NULL);
                p += n + (c != NULL);
        }
        return NULL;
}

/* Our hook: the configured name looked up in PATH, else beside this binary. */
/* `name` on PATH, else beside this executable (a packaged install keeps them together). */
static char *find_helper(const char *configured, const char *name)
{
        char self[PATH_MAX], buf[PATH_MAX + 64];
        ssize_t n;
        char *r = find_program(configured);

        if (r != NULL)
                return r;
        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n <= 0)
                return NULL;
        self[n] = '\0';
        *strrchr(self, '/') = '\0';
        (void)snprintf(buf, sizeof(buf), "%s/%s", self, name);
        return access(buf, X_OK) == 0 ? strdup(buf) : NULL;
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
static int create_then_finish(const struct args *a, char **argv, struct post_create *post,
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
                report(a, msg);
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
                        report(a, msg);
                }
                if (r < 0) {
                        (void)snprintf(msg, sizeof(msg), "waiting for %s: %s", argv[0],
                                       strerror(-r));
                        report(a, msg);
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
        report(a, msg);
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

int main(int argc, char **argv)
{
        struct args a = {0};
        struct nvcr_config cfg;
        struct nvcr_err err = {0};
        /*
         * The engine's environment (host-controlled, never the container's)
         * may name another config file, as the reference allows.
         */
        const char *env_config = getenv("NVIDIA_CTK_CONFIG_FILE_PATH");
        const char *config_path = env_config && env_config[0] == '/' ? env_config
                                                                      : config_default_path();
        char *runtime = NULL, msg[2048], cwd[PATH_MAX];
        struct post_create post = POST_CREATE_INIT; /* jit-cdi's chain, when this create runs it (shim.h) */
        struct early_start early = EARLY_START_INIT; /* runc started before the edits (early-start.h) */
        int r;

        timing_mark("start");
        parse_args(argc, argv, &a);
        if (config_load(config_path, &cfg, &err) < 0) {
                report(&a, err.msg);
                return 1;
        }
        timing_mark("config.toml read");
        for (char **rt = cfg.runtime.runtimes; rt && *rt && runtime == NULL; rt++)
                runtime = find_program(*rt);
        if (runtime == NULL) {
                report(&a, "error locating a low-level runtime (runtimes in the config: none "
                           "found)");
                return 1;
        }
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
                        report(&a, msg);
                        return 1;
                }
                const char *phase = "";
                struct shim_paths paths = {
                        .locate = find_helper,
                        .hook_name = cfg.hook.path,
                        .config = access(config_path, F_OK) == 0 ? config_path : NULL,
                };

                if (a.create && a.id && early_start_suits(runtime))
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
                        report(&a, msg);
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
        report(&a, msg);
        return 1;
}
