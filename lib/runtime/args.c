/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/macro.h"
#include "runtime/args.h"

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

void runtime_args_parse(int argc, char **argv, struct runtime_args *a)
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

const char *runtime_config_path(void)
{
        const char *env = getenv("NVIDIA_CTK_CONFIG_FILE_PATH");

        return env != NULL && env[0] == '/' ? env : config_default_path();
}
