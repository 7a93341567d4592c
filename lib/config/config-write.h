/* SPDX-License-Identifier: Apache-2.0 */
/*
 * struct nvcr_config back to config.toml (nvidia-ctk config), in the layout
 * of the file the reference ships: the keys it comments out are written as
 * "#key = <example>" while they hold their default, the optional ones
 * (no-pivot, the jit-cdi lists, [features]) only when set. What
 * config_write produces, config_parse reads back to the same struct.
 */
#ifndef NVCR_CONFIG_CONFIG_WRITE_H
#define NVCR_CONFIG_CONFIG_WRITE_H

#include "config/config.h"
#include "nvcr.h"

/* *ret = the TOML text, for free(). -ENOMEM. */
int config_write(const struct nvcr_config *cfg, char **ret, struct nvcr_err *err);

/*
 * Applies one `nvidia-ctk config --set` setting, "key=value" or a bare
 * "key" (a boolean set to true). The key is the TOML path, e.g.
 * "nvidia-container-cli.load-kmods". Booleans take Go's strconv.ParseBool
 * spellings (1 t T TRUE true True, 0 f F FALSE false False); a list is split
 * on `list_sep` (NULL = ","), or on "," when the value has no `list_sep`;
 * the enums (mode, cuda-compat-mode, log-level) must be one of their values.
 * An unknown key or a bad value: -EINVAL naming it.
 */
int config_set(struct nvcr_config *cfg, const char *setting, const char *list_sep,
               struct nvcr_err *err);

/* The checks config_parse makes across keys (a host-relative ldconfig). */
int config_check(const struct nvcr_config *cfg, struct nvcr_err *err);

#endif
