/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nvidia-ctk: one file per command group, each a thin layer over the
 * library. Messages follow the reference tool's logger: on a terminal
 * "ERRO[0000] msg", otherwise time="…" level=error msg="…", on stderr.
 */
#ifndef NVCR_CTK_H
#define NVCR_CTK_H

#include <stdbool.h>

struct ctk_global {
        bool debug;              /* --debug, -d */
        bool quiet;              /* --quiet: errors only */
        const char *config_path; /* --config: config.toml, NULL = default */
};

/* argv[0] is the group's name ("cdi", "runtime", …); returns the exit status. */
int ctk_cdi(const struct ctk_global *g, int argc, char **argv);
int ctk_runtime(const struct ctk_global *g, int argc, char **argv);
int ctk_system(const struct ctk_global *g, int argc, char **argv);
int ctk_config(const struct ctk_global *g, int argc, char **argv);

void ctk_log_init(const struct ctk_global *g);
void ctk_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ctk_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ctk_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ctk_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
