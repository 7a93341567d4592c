/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.toml written back, and `--set` settings applied (the reference's
 * cmd/nvidia-ctk/config). The table below follows the shipped file's order;
 * defaults come from config_defaults, so there is one source for them.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config-write.h"
#include "config/toml.h"
#include "core/err.h"
#include "core/macro.h"
#include "core/strv.h"

enum wkind { W_BOOL, W_STRING, W_STRV, W_MODE, W_CUDA_COMPAT, W_LOG_LEVEL };

/* When the value is the default: */
enum wdefault {
        D_WRITE = 0, /* written all the same */
        D_COMMENT,   /* "#key = <example>", as the shipped file has it */
        D_OMIT,      /* left out (omitempty) */
};

#define CLI "nvidia-container-cli"
#define RT "nvidia-container-runtime"
#define OFF(m) offsetof(struct nvcr_config, m)

static const struct wkey {
        const char *table; /* NULL = the root */
        const char *key;
        enum wkind kind;
        size_t off;
        enum wdefault def;
        const char *example; /* D_COMMENT: the value shown, TOML text */
} wkeys[] = {
        { NULL, "accept-nvidia-visible-devices-as-volume-mounts", W_BOOL,
          OFF(accept_nvidia_visible_devices_as_volume_mounts), D_COMMENT, "false" },
        { NULL, "accept-nvidia-visible-devices-envvar-when-unprivileged", W_BOOL,
          OFF(accept_nvidia_visible_devices_envvar_when_unprivileged), D_COMMENT, "true" },
        { NULL, "disable-require", W_BOOL, OFF(disable_require), D_WRITE, NULL },
        { NULL, "supported-driver-capabilities", W_STRING, OFF(supported_driver_capabilities),
          D_WRITE, NULL },
        { NULL, "swarm-resource", W_STRING, OFF(swarm_resource), D_COMMENT,
          "\"DOCKER_RESOURCE_GPU\"" },

        { CLI, "debug", W_STRING, OFF(cli.debug), D_COMMENT,
          "\"/var/log/nvidia-container-toolkit.log\"" },
        { CLI, "environment", W_STRV, OFF(cli.environment), D_WRITE, NULL },
        { CLI, "ldcache", W_STRING, OFF(cli.ldcache), D_COMMENT, "\"/etc/ld.so.cache\"" },
        { CLI, "ldconfig", W_STRING, OFF(cli.ldconfig), D_WRITE, NULL },
        { CLI, "load-kmods", W_BOOL, OFF(cli.load_kmods), D_WRITE, NULL },
        { CLI, "no-cgroups", W_BOOL, OFF(cli.no_cgroups), D_COMMENT, "false" },
        { CLI, "no-pivot", W_BOOL, OFF(cli.no_pivot), D_OMIT, NULL },
        { CLI, "path", W_STRING, OFF(cli.path), D_COMMENT, "\"/usr/bin/nvidia-container-cli\"" },
        { CLI, "root", W_STRING, OFF(cli.root), D_COMMENT, "\"/run/nvidia/driver\"" },
        { CLI, "user", W_STRING, OFF(cli.user), D_COMMENT, "\"root:video\"" },

        { RT, "debug", W_STRING, OFF(runtime.debug), D_COMMENT,
          "\"/var/log/nvidia-container-runtime.log\"" },
        { RT, "log-level", W_LOG_LEVEL, OFF(runtime.log_level), D_WRITE, NULL },
        { RT, "mode", W_MODE, OFF(runtime.mode), D_WRITE, NULL },
        { RT, "runtimes", W_STRV, OFF(runtime.runtimes), D_WRITE, NULL },
        { RT ".modes.cdi", "annotation-prefixes", W_STRV, OFF(runtime.cdi.annotation_prefixes),
          D_WRITE, NULL },
        { RT ".modes.cdi", "default-kind", W_STRING, OFF(runtime.cdi.default_kind), D_WRITE,
          NULL },
        { RT ".modes.cdi", "spec-dirs", W_STRV, OFF(runtime.cdi.spec_dirs), D_WRITE, NULL },
        { RT ".modes.csv", "mount-spec-path", W_STRING, OFF(runtime.csv.mount_spec_path),
          D_WRITE, NULL },
        { RT ".modes.csv", "compat-container-root", W_STRING,
          OFF(runtime.csv.compat_container_root), D_OMIT, NULL },
        { RT ".modes.jit-cdi", "nvcdi-feature-flags", W_STRV,
          OFF(runtime.jit_cdi.nvcdi_feature_flags), D_OMIT, NULL },
        { RT ".modes.jit-cdi", "nvcdi-disable-hooks", W_STRV,
          OFF(runtime.jit_cdi.nvcdi_disable_hooks), D_OMIT, NULL },
        { RT ".modes.legacy", "cuda-compat-mode", W_CUDA_COMPAT,
          OFF(runtime.legacy.cuda_compat_mode), D_WRITE, NULL },

        { "nvidia-container-runtime-hook", "path", W_STRING, OFF(hook.path), D_WRITE, NULL },
        { "nvidia-container-runtime-hook", "skip-mode-detection", W_BOOL,
          OFF(hook.skip_mode_detection), D_WRITE, NULL },
        { "nvidia-ctk", "path", W_STRING, OFF(ctk.path), D_WRITE, NULL },

        { "features", "allow-cuda-compat-libs-from-container", W_BOOL,
          OFF(features.allow_cuda_compat_libs_from_container), D_OMIT, NULL },
        { "features", "allow-ldconfig-from-container", W_BOOL,
          OFF(features.allow_ldconfig_from_container), D_OMIT, NULL },
        { "features", "allow-unknown-oci-spec-fields", W_BOOL,
          OFF(features.allow_unknown_oci_spec_fields), D_OMIT, NULL },
        { "features", "disable-cuda-compat-lib-hook", W_BOOL,
          OFF(features.disable_cuda_compat_lib_hook), D_OMIT, NULL },
        { "features", "disable-imex-channel-creation", W_BOOL,
          OFF(features.disable_imex_channel_creation), D_OMIT, NULL },
        { "features", "ignore-imex-channel-requests", W_BOOL,
          OFF(features.ignore_imex_channel_requests), D_OMIT, NULL },
        { "features", "no-additional-gids-for-device-nodes", W_BOOL,
          OFF(features.no_additional_gids_for_device_nodes), D_OMIT, NULL },
};

static const char *const log_levels[] = {
        "panic", "fatal", "error", "warn", "warning", "info", "debug", "trace",
};

static const void *cfield(const struct nvcr_config *cfg, const struct wkey *k)
{
        return (const char *)cfg + k->off;
}

static void *field(struct nvcr_config *cfg, const struct wkey *k)
{
        return (char *)cfg + k->off;
}

static bool strv_eq(char *const *a, char *const *b)
{
        size_t i;

        for (i = 0; a[i] != NULL && b[i] != NULL; i++)
                if (strcmp(a[i], b[i]) != 0)
                        return false;
        return a[i] == NULL && b[i] == NULL;
}

static bool is_default(const struct nvcr_config *cfg, const struct nvcr_config *def,
                       const struct wkey *k)
{
        const void *a = cfield(cfg, k), *b = cfield(def, k);

        switch (k->kind) {
        case W_BOOL:
                return *(const bool *)a == *(const bool *)b;
        case W_STRING:
        case W_LOG_LEVEL:
                return strcmp(*(char *const *)a, *(char *const *)b) == 0;
        case W_STRV:
                return strv_eq(*(char **const *)a, *(char **const *)b);
        case W_MODE:
                return *(const enum nvcr_config_mode *)a == *(const enum nvcr_config_mode *)b;
        case W_CUDA_COMPAT:
        default:
                return *(const enum nvcr_cuda_compat_mode *)a ==
                       *(const enum nvcr_cuda_compat_mode *)b;
        }
}

/* A TOML basic string; control characters as \uXXXX (the parser takes them back). */
static void put_string(FILE *f, const char *s)
{
        fputc('"', f);
        for (; *s != '\0'; s++) {
                unsigned char c = (unsigned char)*s;

                if (c == '"' || c == '\\')
                        fprintf(f, "\\%c", c);
                else if (c == '\n')
                        fputs("\\n", f);
                else if (c == '\t')
                        fputs("\\t", f);
                else if (c < 0x20 || c == 0x7f)
                        fprintf(f, "\\u%04x", c);
                else
                        fputc(c, f);
        }
        fputc('"', f);
}

static void put_value(FILE *f, const struct nvcr_config *cfg, const struct wkey *k)
{
        const void *v = cfield(cfg, k);

        switch (k->kind) {
        case W_BOOL:
                fputs(*(const bool *)v ? "true" : "false", f);
                break;
        case W_STRING:
        case W_LOG_LEVEL:
                put_string(f, *(char *const *)v);
                break;
        case W_STRV: {
                char *const *l = *(char **const *)v;

                fputc('[', f);
                for (size_t i = 0; l[i] != NULL; i++) {
                        if (i > 0)
                                fputs(", ", f);
                        put_string(f, l[i]);
                }
                fputc(']', f);
                break;
        }
        case W_MODE:
                put_string(f, config_mode_name(*(const enum nvcr_config_mode *)v));
                break;
        case W_CUDA_COMPAT:
        default:
                put_string(f, config_cuda_compat_mode_name(*(const enum nvcr_cuda_compat_mode *)v));
                break;
        }
}

static void fclose_memp(FILE **f)
{
        if (*f != NULL)
                fclose(*f);
}

int config_write(const struct nvcr_config *cfg, char **ret, struct nvcr_err *err)
{
        _cleanup_(config_free) struct nvcr_config def = { 0 };
        _cleanup_(fclose_memp) FILE *f = NULL;
        _cleanup_free_ char *out = NULL;
        const char *table = NULL;
        size_t len = 0;
        int r;

        r = config_defaults(&def, err);
        if (r < 0)
                return r;
        f = open_memstream(&out, &len);
        if (f == NULL)
                return nvcr_err_setsys(err, errno, "open_memstream failed");
        for (size_t i = 0; i < ARRAY_SIZE(wkeys); i++) {
                const struct wkey *k = &wkeys[i];
                bool dflt = is_default(cfg, &def, k);

                if (dflt && k->def == D_OMIT)
                        continue;
                /* A table's header comes with its first line, so that a
                   table of omitted keys ([features]) is not written at all. */
                if (k->table != NULL && (table == NULL || strcmp(table, k->table) != 0)) {
                        fprintf(f, "\n[%s]\n", k->table);
                        table = k->table;
                }
                if (dflt && k->def == D_COMMENT) {
                        fprintf(f, "#%s = %s\n", k->key, k->example);
                        continue;
                }
                fprintf(f, "%s = ", k->key);
                put_value(f, cfg, k);
                fputc('\n', f);
        }
        if (fclose(steal_ptr(&f)) != 0)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        *ret = steal_ptr(&out);
        return 0;
}

/* ------------------------------------------------------------------ --set */

static const struct wkey *find_key(const char *name, size_t n)
{
        for (size_t i = 0; i < ARRAY_SIZE(wkeys); i++) {
                const struct wkey *k = &wkeys[i];
                size_t tl = k->table != NULL ? strlen(k->table) : 0;

                if (k->table == NULL) {
                        if (strlen(k->key) == n && memcmp(name, k->key, n) == 0)
                                return k;
                        continue;
                }
                if (n == tl + 1 + strlen(k->key) && memcmp(name, k->table, tl) == 0 &&
                    name[tl] == '.' && memcmp(name + tl + 1, k->key, n - tl - 1) == 0)
                        return k;
        }
        return NULL;
}

/* strconv.ParseBool */
static int parse_bool(const char *s, bool *ret)
{
        static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
        static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };

        for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
                if (strcmp(s, yes[i]) == 0) {
                        *ret = true;
                        return 0;
                }
                if (strcmp(s, no[i]) == 0) {
                        *ret = false;
                        return 0;
                }
        }
        return -EINVAL;
}

static int split_list(const char *value, const char *sep, char ***ret)
{
        _cleanup_(strv_freep) char **l = calloc(1, sizeof(char *));
        const char *p = value;
        size_t sl;

        if (l == NULL)
                return -ENOMEM;
        if (sep == NULL || *sep == '\0' || strstr(value, sep) == NULL)
                sep = ",";
        sl = strlen(sep);
        if (*value != '\0') {
                for (;;) {
                        const char *e = strstr(p, sep);
                        _cleanup_free_ char *item = e != NULL ? strndup(p, (size_t)(e - p))
                                                              : strdup(p);

                        if (item == NULL || strv_push(&l, item) < 0)
                                return -ENOMEM;
                        if (e == NULL)
                                break;
                        p = e + sl;
                }
        }
        *ret = steal_ptr(&l);
        return 0;
}

static int bad(const char *key, size_t n, const char *value, const char *expected,
               struct nvcr_err *err)
{
        return nvcr_err_set(err, EINVAL, "invalid value \"%.64s\" for %.*s (expected %s)", value,
                            (int)n, key, expected);
}

int config_set(struct nvcr_config *cfg, const char *setting, const char *list_sep,
               struct nvcr_err *err)
{
        const char *eq = strchr(setting, '=');
        size_t n = eq != NULL ? (size_t)(eq - setting) : strlen(setting);
        const char *value = eq != NULL ? eq + 1 : NULL;
        const struct wkey *k = find_key(setting, n);
        void *f;
        char *s;

        if (k == NULL)
                return nvcr_err_set(err, EINVAL, "invalid config option: unknown key \"%.*s\"",
                                    (int)n, setting);
        f = field(cfg, k);
        if (value == NULL) {
                if (k->kind != W_BOOL)
                        return nvcr_err_set(err, EINVAL,
                                            "invalid format: expected [option-key]=[option-value]; "
                                            "received %s",
                                            setting);
                *(bool *)f = true;
                return 0;
        }
        switch (k->kind) {
        case W_BOOL:
                if (parse_bool(value, (bool *)f) < 0)
                        return bad(setting, n, value, "a boolean: true or false", err);
                return 0;
        case W_STRV: {
                char **l = NULL;

                if (split_list(value, list_sep, &l) < 0)
                        return nvcr_err_set(err, ENOMEM, "out of memory");
                strv_free(*(char ***)f);
                *(char ***)f = l;
                return 0;
        }
        case W_MODE:
                for (int i = NVCR_MODE_AUTO; i <= NVCR_MODE_CSV; i++)
                        if (strcmp(value, config_mode_name((enum nvcr_config_mode)i)) == 0) {
                                *(enum nvcr_config_mode *)f = (enum nvcr_config_mode)i;
                                return 0;
                        }
                return bad(setting, n, value, "legacy, cdi, jit-cdi, csv or auto", err);
        case W_CUDA_COMPAT:
                for (int i = NVCR_CUDA_COMPAT_LDCONFIG; i <= NVCR_CUDA_COMPAT_MOUNT; i++)
                        if (strcmp(value, config_cuda_compat_mode_name(
                                                  (enum nvcr_cuda_compat_mode)i)) == 0) {
                                *(enum nvcr_cuda_compat_mode *)f = (enum nvcr_cuda_compat_mode)i;
                                return 0;
                        }
                return bad(setting, n, value, "disabled, hook, ldconfig or mount", err);
        case W_LOG_LEVEL:
                for (size_t i = 0; i < ARRAY_SIZE(log_levels); i++)
                        if (strcasecmp(value, log_levels[i]) == 0) {
                                s = strdup(log_levels[i]);
                                goto set_string;
                        }
                return bad(setting, n, value,
                           "debug, info, warn, warning, error, fatal, panic or trace", err);
        case W_STRING:
        default:
                s = strdup(value);
                goto set_string;
        }
set_string:
        if (s == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        free(*(char **)f);
        *(char **)f = s;
        return 0;
}

int config_check(const struct nvcr_config *cfg, struct nvcr_err *err)
{
        if (cfg->cli.ldconfig[0] != '@' && !cfg->features.allow_ldconfig_from_container)
                return nvcr_err_set(err, EINVAL,
                                    CLI ".ldconfig: \"%.64s\" is not a host path (does not start "
                                        "with '@'; see features.allow-ldconfig-from-container)",
                                    cfg->cli.ldconfig);
        return 0;
}
