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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "apply/shim.h"
#include "build-config.h"
#include "config/config.h"
#include "core/macro.h"
#include "oci/state.h"
#include "nvcr.h"

#define PROG "nvidia-container-runtime"

struct args {
        int cmd;            /* index of create/run in argv, 0 = none */
        const char *bundle; /* NULL = cwd */
        const char *log;    /* --log FILE */
        bool log_json;      /* --log-format=json */
        bool version;
};

/* Global runtime options that take a value (runc and crun): skip it. */
static bool takes_value(const char *a)
{
        static const char *const with_value[] = {"--root", "--log", "--log-format", "--criu",
                                                 "--rootless", "--cgroup-manager"};

        for (size_t i = 0; i < sizeof(with_value) / sizeof(with_value[0]); i++)
                if (strcmp(a, with_value[i]) == 0)
                        return true;
        return false;
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
                        if (strcmp(s, "create") == 0 || strcmp(s, "run") == 0)
                                a->cmd = i;
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
        char *runtime = NULL, *hook, msg[2048], cwd[PATH_MAX];
        int r;

        parse_args(argc, argv, &a);
        if (config_load(config_path, &cfg, &err) < 0) {
                report(&a, err.msg);
                return 1;
        }
        for (char **rt = cfg.runtime.runtimes; rt && *rt && runtime == NULL; rt++)
                runtime = find_program(*rt);
        if (runtime == NULL) {
                report(&a, "error locating a low-level runtime (runtimes in the config: none "
                           "found)");
                return 1;
        }
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
                _cleanup_free_ char *cdi_hook = find_helper("nvidia-cdi-hook", "nvidia-cdi-hook");
                const char *phase = "";
                struct shim_paths paths;

                hook = find_helper(cfg.hook.path, "nvidia-container-runtime-hook");
                paths = (struct shim_paths){
                        .hook = hook,
                        .cdi_hook = cdi_hook,
                        .config = access(config_path, F_OK) == 0 ? config_path : NULL,
                };
                r = shim_prepare_bundle(&cfg, bundle, &paths, &phase, &err);
                free(hook);
                if (r < 0) {
                        (void)snprintf(msg, sizeof(msg), "error modifying OCI spec: %s%s%s",
                                       phase[0] ? phase : "", phase[0] ? " error: " : "",
                                       err.msg);
                        report(&a, msg);
                        return 1;
                }
        }
        config_free(&cfg);
        argv[0] = runtime;
        execv(runtime, argv);
        (void)snprintf(msg, sizeof(msg), "exec %s: %s", runtime, strerror(errno));
        report(&a, msg);
        return 1;
}
