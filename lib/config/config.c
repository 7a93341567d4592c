/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.toml into struct nvcr_config (features.md §4.5; the reference is
 * the NVIDIA Container Toolkit's internal/config). One table of known keys
 * drives the defaults and the decoding; anything else in the file is
 * ignored. The file is host configuration (security.md §4 item 22): when we
 * run as root it must be a root-owned regular file that only root can write.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "core/userns.h"
#include "config/toml.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/macro.h"
#include "core/strv.h"

enum kind {
        K_BOOL = 0,
        K_STRING,
        K_STRV,
        K_MODE,
        K_CUDA_COMPAT,
        K_LOG_LEVEL,
};

#define CLI "nvidia-container-cli"
#define RT "nvidia-container-runtime"
#define OFF(m) offsetof(struct nvcr_config, m)

static const char *const def_runtimes[] = { "runc", "crun", NULL };
static const char *const def_annotation_prefixes[] = { "cdi.k8s.io/", NULL };
static const char *const def_spec_dirs[] = { "/etc/cdi", "/var/run/cdi", NULL };
static const char *const def_empty[] = { NULL };

static const struct key {
        const char *table; /* NULL = the root */
        const char *key;
        enum kind kind;
        size_t off;
        bool def_bool;
        const char *def_str;
        const char *const *def_strv;
} keys[] = {
        { NULL, "accept-nvidia-visible-devices-as-volume-mounts", K_BOOL,
          OFF(accept_nvidia_visible_devices_as_volume_mounts), false, NULL, NULL },
        { NULL, "accept-nvidia-visible-devices-envvar-when-unprivileged", K_BOOL,
          OFF(accept_nvidia_visible_devices_envvar_when_unprivileged), true, NULL, NULL },
        { NULL, "disable-require", K_BOOL, OFF(disable_require), false, NULL, NULL },
        { NULL, "supported-driver-capabilities", K_STRING, OFF(supported_driver_capabilities),
          false, "compat32,compute,display,graphics,ngx,utility,video", NULL },
        { NULL, "swarm-resource", K_STRING, OFF(swarm_resource), false, "", NULL },

        { CLI, "debug", K_STRING, OFF(cli.debug), false, "", NULL },
        { CLI, "environment", K_STRV, OFF(cli.environment), false, NULL, def_empty },
        { CLI, "ldcache", K_STRING, OFF(cli.ldcache), false, "", NULL },
        { CLI, "ldconfig", K_STRING, OFF(cli.ldconfig), false, "@/sbin/ldconfig", NULL },
        { CLI, "load-kmods", K_BOOL, OFF(cli.load_kmods), true, NULL, NULL },
        { CLI, "no-cgroups", K_BOOL, OFF(cli.no_cgroups), false, NULL, NULL },
        { CLI, "no-pivot", K_BOOL, OFF(cli.no_pivot), false, NULL, NULL },
        { CLI, "path", K_STRING, OFF(cli.path), false, "", NULL },
        { CLI, "root", K_STRING, OFF(cli.root), false, "", NULL },
        { CLI, "user", K_STRING, OFF(cli.user), false, "", NULL },

        { RT, "debug", K_STRING, OFF(runtime.debug), false, "/dev/null", NULL },
        { RT, "log-level", K_LOG_LEVEL, OFF(runtime.log_level), false, "info", NULL },
        { RT, "mode", K_MODE, OFF(runtime.mode), false, NULL, NULL },
        { RT, "runtimes", K_STRV, OFF(runtime.runtimes), false, NULL, def_runtimes },
        { RT ".modes.cdi", "annotation-prefixes", K_STRV, OFF(runtime.cdi.annotation_prefixes),
          false, NULL, def_annotation_prefixes },
        { RT ".modes.cdi", "default-kind", K_STRING, OFF(runtime.cdi.default_kind), false,
          "nvidia.com/gpu", NULL },
        { RT ".modes.cdi", "spec-dirs", K_STRV, OFF(runtime.cdi.spec_dirs), false, NULL,
          def_spec_dirs },
        { RT ".modes.csv", "mount-spec-path", K_STRING, OFF(runtime.csv.mount_spec_path), false,
          "/etc/nvidia-container-runtime/host-files-for-container.d", NULL },
        { RT ".modes.csv", "compat-container-root", K_STRING,
          OFF(runtime.csv.compat_container_root), false, "", NULL },
        { RT ".modes.jit-cdi", "nvcdi-feature-flags", K_STRV,
          OFF(runtime.jit_cdi.nvcdi_feature_flags), false, NULL, def_empty },
        { RT ".modes.jit-cdi", "nvcdi-disable-hooks", K_STRV,
          OFF(runtime.jit_cdi.nvcdi_disable_hooks), false, NULL, def_empty },
        { RT ".modes.legacy", "cuda-compat-mode", K_CUDA_COMPAT,
          OFF(runtime.legacy.cuda_compat_mode), false, NULL, NULL },

        { "nvidia-container-runtime-hook", "path", K_STRING, OFF(hook.path), false,
          "nvidia-container-runtime-hook", NULL },
        { "nvidia-container-runtime-hook", "skip-mode-detection", K_BOOL,
          OFF(hook.skip_mode_detection), false, NULL, NULL },
        { "nvidia-ctk", "path", K_STRING, OFF(ctk.path), false, "nvidia-ctk", NULL },

        { "features", "allow-cuda-compat-libs-from-container", K_BOOL,
          OFF(features.allow_cuda_compat_libs_from_container), false, NULL, NULL },
        { "features", "allow-ldconfig-from-container", K_BOOL,
          OFF(features.allow_ldconfig_from_container), false, NULL, NULL },
        { "features", "allow-unknown-oci-spec-fields", K_BOOL,
          OFF(features.allow_unknown_oci_spec_fields), false, NULL, NULL },
        { "features", "disable-cuda-compat-lib-hook", K_BOOL,
          OFF(features.disable_cuda_compat_lib_hook), false, NULL, NULL },
        { "features", "disable-imex-channel-creation", K_BOOL,
          OFF(features.disable_imex_channel_creation), false, NULL, NULL },
        { "features", "ignore-imex-channel-requests", K_BOOL,
          OFF(features.ignore_imex_channel_requests), false, NULL, NULL },
        { "features", "no-additional-gids-for-device-nodes", K_BOOL,
          OFF(features.no_additional_gids_for_device_nodes), false, NULL, NULL },
};

static const char *const mode_names[] = {
        [NVCR_MODE_AUTO] = "auto",   [NVCR_MODE_LEGACY] = "legacy",
        [NVCR_MODE_CDI] = "cdi",     [NVCR_MODE_JIT_CDI] = "jit-cdi",
        [NVCR_MODE_CSV] = "csv",
};

static const char *const cuda_compat_names[] = {
        [NVCR_CUDA_COMPAT_LDCONFIG] = "ldconfig",
        [NVCR_CUDA_COMPAT_DISABLED] = "disabled",
        [NVCR_CUDA_COMPAT_HOOK] = "hook",
        [NVCR_CUDA_COMPAT_MOUNT] = "mount",
};

/* logrus.ParseLevel, which lower-cases first. */
static const char *const log_levels[] = {
        "panic", "fatal", "error", "warn", "warning", "info", "debug", "trace",
};

const char *config_default_path(void)
{
        return NVCR_CONFIG_DEFAULT_PATH;
}

const char *config_mode_name(enum nvcr_config_mode mode)
{
        return (size_t)mode < ARRAY_SIZE(mode_names) ? mode_names[mode] : "?";
}

const char *config_cuda_compat_mode_name(enum nvcr_cuda_compat_mode mode)
{
        return (size_t)mode < ARRAY_SIZE(cuda_compat_names) ? cuda_compat_names[mode] : "?";
}

static void *field(struct nvcr_config *cfg, const struct key *k)
{
        return (char *)cfg + k->off;
}

void config_free(struct nvcr_config *cfg)
{
        if (cfg == NULL)
                return;
        for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
                const struct key *k = &keys[i];

                if (k->kind == K_STRING || k->kind == K_LOG_LEVEL)
                        free(*(char **)field(cfg, k));
                else if (k->kind == K_STRV)
                        toml_strv_free(*(char ***)field(cfg, k));
        }
        memset(cfg, 0, sizeof(*cfg));
}

int config_defaults(struct nvcr_config *ret, struct nvcr_err *err)
{
        struct nvcr_config cfg;

        memset(&cfg, 0, sizeof(cfg));
        for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
                const struct key *k = &keys[i];
                void *f = field(&cfg, k);

                switch (k->kind) {
                case K_BOOL:
                        *(bool *)f = k->def_bool;
                        break;
                case K_STRING:
                case K_LOG_LEVEL:
                        *(char **)f = strdup(k->def_str);
                        if (*(char **)f == NULL)
                                goto oom;
                        break;
                case K_STRV:
                        *(char ***)f = strv_copy(k->def_strv);
                        if (*(char ***)f == NULL)
                                goto oom;
                        break;
                case K_MODE:
                        *(enum nvcr_config_mode *)f = NVCR_MODE_AUTO;
                        break;
                case K_CUDA_COMPAT:
                        *(enum nvcr_cuda_compat_mode *)f = NVCR_CUDA_COMPAT_LDCONFIG;
                        break;
                default:
                        break;
                }
        }
        *ret = cfg;
        return 0;
oom:
        config_free(&cfg);
        return nvcr_err_set(err, ENOMEM, "out of memory");
}

static int bad_value(const struct toml_doc *doc, const struct key *k, const struct toml_node *n,
                     const char *expected, struct nvcr_err *err)
{
        return nvcr_err_set(err, EINVAL, "%s:%u: %s%s%s: invalid value \"%.64s\" (expected %s)",
                            doc->name, n->line, k->table != NULL ? k->table : "",
                            k->table != NULL ? "." : "", k->key, n->str, expected);
}

/* The index of s in names[0..n), or -1. */
static int lookup(const char *const *names, size_t n, const char *s, bool icase)
{
        for (size_t i = 0; i < n; i++)
                if (icase ? strcasecmp(names[i], s) == 0 : strcmp(names[i], s) == 0)
                        return (int)i;
        return -1;
}

static int apply_key(const struct toml_doc *doc, const struct key *k, struct nvcr_config *cfg,
                     struct nvcr_err *err)
{
        const struct toml_node *n = NULL;
        void *f = field(cfg, k);
        char **strv = NULL;
        char *s;
        int r, i;

        switch (k->kind) {
        case K_BOOL:
                r = toml_get_bool(doc, k->table, k->key, (bool *)f, err);
                return r < 0 ? r : 0;
        case K_STRV:
                r = toml_get_string_array(doc, k->table, k->key, &strv, err);
                if (r <= 0)
                        return r;
                toml_strv_free(*(char ***)f);
                *(char ***)f = strv;
                return 0;
        case K_STRING:
        case K_LOG_LEVEL:
        case K_MODE:
        case K_CUDA_COMPAT:
        default:
                break;
        }

        r = toml_get_string(doc, k->table, k->key, (const char **)&s, err);
        if (r <= 0)
                return r;
        r = toml_get(doc, k->table, k->key, &n, err);
        if (r <= 0)
                return r < 0 ? r : -EIO;
        switch (k->kind) {
        case K_MODE:
                i = lookup(mode_names, ARRAY_SIZE(mode_names), s, false);
                if (i < 0)
                        return bad_value(doc, k, n, "legacy, cdi, jit-cdi, csv or auto", err);
                *(enum nvcr_config_mode *)f = (enum nvcr_config_mode)i;
                return 0;
        case K_CUDA_COMPAT:
                i = lookup(cuda_compat_names, ARRAY_SIZE(cuda_compat_names), s, false);
                if (i < 0)
                        return bad_value(doc, k, n, "disabled, hook, ldconfig or mount", err);
                *(enum nvcr_cuda_compat_mode *)f = (enum nvcr_cuda_compat_mode)i;
                return 0;
        case K_LOG_LEVEL:
                i = lookup(log_levels, ARRAY_SIZE(log_levels), s, true);
                if (i < 0)
                        return bad_value(doc, k, n,
                                         "debug, info, warn, warning, error, fatal, panic or "
                                         "trace",
                                         err);
                s = (char *)log_levels[i];
                break;
        case K_BOOL:
        case K_STRING:
        case K_STRV:
        default:
                break;
        }
        s = strdup(s);
        if (s == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        free(*(char **)f);
        *(char **)f = s;
        return 0;
}

/* The reference refuses a container-relative ldconfig unless a feature allows it. */
static int check_ldconfig(const struct toml_doc *doc, const struct nvcr_config *cfg,
                          struct nvcr_err *err)
{
        const struct toml_node *n = NULL;
        int r;

        if (cfg->cli.ldconfig[0] == '@' || cfg->features.allow_ldconfig_from_container)
                return 0;
        r = toml_get(doc, CLI, "ldconfig", &n, err);
        if (r <= 0)
                return r < 0 ? r : -EIO;
        return nvcr_err_set(err, EINVAL,
                            "%s:%u: " CLI ".ldconfig: \"%.64s\" is not a host path (does not "
                            "start with '@'; see features.allow-ldconfig-from-container)",
                            doc->name, n->line, cfg->cli.ldconfig);
}

int config_parse(const char *name, const char *buf, size_t len, struct nvcr_config *ret,
                 struct nvcr_err *err)
{
        _cleanup_toml_ struct toml_doc *doc = NULL;
        struct nvcr_config cfg;
        int r;

        memset(ret, 0, sizeof(*ret));
        r = toml_parse(name, buf, len, &doc, err);
        if (r < 0)
                return r;
        r = config_defaults(&cfg, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
                r = apply_key(doc, &keys[i], &cfg, err);
                if (r < 0)
                        goto fail;
        }
        r = check_ldconfig(doc, &cfg, err);
        if (r < 0)
                goto fail;
        *ret = cfg;
        return 0;
fail:
        config_free(&cfg);
        return r;
}

int config_load(const char *path, struct nvcr_config *ret, struct nvcr_err *err)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        struct stat st;
        int r;

        memset(ret, 0, sizeof(*ret));
        if (path == NULL)
                path = config_default_path();
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
        if (fd < 0) {
                if (errno == ENOENT)
                        return config_defaults(ret, err);
                if (errno == ELOOP)
                        return nvcr_err_set(err, EPERM, "%s: refusing a symlinked configuration",
                                            path);
                return nvcr_err_setsys(err, errno, "%s: cannot open", path);
        }
        if (fstat(fd, &st) < 0)
                return nvcr_err_setsys(err, errno, "%s: cannot stat", path);
        if (!S_ISREG(st.st_mode))
                return nvcr_err_set(err, EPERM, "%s: not a regular file", path);
        if (geteuid() == 0) {
                if (st.st_uid != 0 && !uid_is_unmapped_root(st.st_uid))
                        return nvcr_err_set(err, EPERM, "%s: not owned by root (uid %u)", path,
                                            (unsigned)st.st_uid);
                if (st.st_mode & (S_IWGRP | S_IWOTH))
                        return nvcr_err_set(err, EPERM,
                                            "%s: writable by group or others (mode %04o)", path,
                                            (unsigned)(st.st_mode & 07777));
        }
        r = read_fd_all(fd, TOML_MAX_INPUT + 1, &buf, &len, err);
        if (r == -EFBIG)
                return nvcr_err_set(err, EFBIG, "%s: larger than %d bytes", path,
                                    TOML_MAX_INPUT);
        if (r < 0)
                return nvcr_err_wrap(err, "%s", path);
        return config_parse(path, buf, len, ret, err);
}
