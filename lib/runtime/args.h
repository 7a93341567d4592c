/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nvidia-container-runtime's command line, as far as we read it: the
 * command (create/run or another, passed through), the options of create
 * we need, and where the engine reads errors (--log, --log-format). Shared
 * by the front (cmd/runtime/front.c) and the full runtime (cmd/runtime/main.c).
 */
#ifndef NVCR_RUNTIME_ARGS_H
#define NVCR_RUNTIME_ARGS_H

#include <stdbool.h>

struct runtime_args {
        int cmd;            /* index of create/run in argv, 0 = none */
        bool create;        /* the command is create (not run) */
        const char *pid_file; /* create --pid-file FILE */
        const char *id;     /* the container id: create's first positional argument */
        const char *bundle; /* NULL = cwd */
        const char *log;    /* --log FILE */
        bool log_json;      /* --log-format=json */
        bool version;
};

void runtime_args_parse(int argc, char **argv, struct runtime_args *a);

/*
 * config.toml's path: NVIDIA_CTK_CONFIG_FILE_PATH when absolute (the
 * engine's environment, host-controlled, never the container's: another
 * config file, as the reference allows), else the default.
 */
const char *runtime_config_path(void);

/*
 * The runtime's error, on stderr and where the engine reads it (--log, as
 * JSON with --log-format=json), prefixed with `prog`.
 */
void runtime_report(const struct runtime_args *a, const char *prog, const char *msg);

/* An absolute path, or the first executable match in PATH (realpath'd; caller frees). */
char *runtime_find_program(const char *name);

/* `name` in the directory of this executable (caller frees), NULL when not there. */
char *runtime_find_beside_self(const char *name);

#endif
