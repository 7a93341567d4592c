/* SPDX-License-Identifier: Apache-2.0 */
#ifndef NVCR_CLI_H
#define NVCR_CLI_H

#include <stdbool.h>

#include "config/config.h"
#include "nvcr.h"

#define PROG "nvidia-container-cli"

struct cli {
        struct nvcr_ctx *ctx;
        bool load_kmods;
        bool no_pivot;
        bool no_create_imex_channels;
        struct nvcr_config cfg; /* config.toml: defaults for what no option sets */
        int argc; /* the command's own arguments, argv[0] = command name */
        char **argv;
};

/* Prints "nvidia-container-cli: <phase> error: <msg>" once. Returns 1 (EXIT_FAILURE). */
int cli_fail(const char *phase, const struct nvcr_err *err);
/* Prints a usage error and the "Try …" hint the reference prints. Returns 1. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The library's log: warnings to stderr, everything to the --debug file. */
int cli_log_open(const char *path);
void cli_log(void *userdata, enum nvcr_log_level level, const char *file, int line,
             const char *msg);

/* Repeated options are comma-joined, as the reference does. -1 on ENOMEM. */
int cli_join(char **dst, const char *arg);

int cli_info(struct cli *cli);
int cli_list(struct cli *cli);
int cli_configure(struct cli *cli);

#endif
