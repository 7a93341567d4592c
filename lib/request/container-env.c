/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NVIDIA_* environment of a container (plus its volume mounts and privilege)
 * turned into a request: the rules of the reference toolkit's
 * internal/config/image and cmd/nvidia-container-runtime-hook
 * (features.md §4.3).
 *
 * Decisions where the reference notes are silent:
 *  - a name repeated in process.env: the last entry wins (what execve's
 *    environment and getenv-after-append give the process);
 *  - NVIDIA_REQUIRE_* keep env order (the reference iterates a Go map);
 *    an empty NVIDIA_REQUIRE_* value is no requirement;
 *  - device lists: "void" anywhere in the list wins over everything, then
 *    "none" anywhere (driver only);
 *  - volume mounts (when accepted) that request devices replace the
 *    environment's device list entirely; with none, the environment is used
 *    (under the unprivileged rule). IMEX channels follow the same rule;
 *  - "all" in NVIDIA_IMEX_CHANNELS is dropped (legacy mode ignores it); the
 *    remaining ids must be decimal and < 2^20;
 *  - NVIDIA_DRIVER_CAPABILITIES that holds only commas/blanks counts as empty.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/macro.h"
#include "core/path-clean.h"
#include "request/container-env.h"

#define ENV_VISIBLE "NVIDIA_VISIBLE_DEVICES"
#define ENV_CAPS "NVIDIA_DRIVER_CAPABILITIES"
#define ENV_REQUIRE_PREFIX "NVIDIA_REQUIRE_"
#define ENV_REQUIRE_JETPACK "NVIDIA_REQUIRE_JETPACK"
#define ENV_REQUIRE_CUDA "NVIDIA_REQUIRE_CUDA"
#define ENV_DISABLE_REQUIRE "NVIDIA_DISABLE_REQUIRE"
#define ENV_MIG_CONFIG "NVIDIA_MIG_CONFIG_DEVICES"
#define ENV_MIG_MONITOR "NVIDIA_MIG_MONITOR_DEVICES"
#define ENV_IMEX "NVIDIA_IMEX_CHANNELS"
#define ENV_CUDA_VERSION "CUDA_VERSION"
#define IMEX_CHANNEL_MAX (1u << 20)

void container_env_knobs_init(struct container_env_knobs *knobs)
{
        *knobs = (struct container_env_knobs){
                .accept_envvar_unprivileged = true,
                .supported_caps = CONTAINER_SUPPORTED_CAPS_DEFAULT,
        };
}

/* ------------------------------------------------------------ string lists */

struct strv {
        char **v;
        size_t n, cap;
};

static void strv_clear(struct strv *s)
{
        for (size_t i = 0; i < s->n; i++)
                free(s->v[i]);
        free(s->v);
        *s = (struct strv){ 0 };
}

static int strv_pushn(struct strv *s, const char *p, size_t len, struct nvcr_err *err)
{
        char *copy;

        if (s->n == s->cap) {
                size_t ncap = s->cap ? s->cap * 2 : 8;
                char **nv = reallocarray(s->v, ncap, sizeof(*nv));

                if (nv == NULL)
                        return nvcr_err_set(err, ENOMEM, "out of memory");
                s->v = nv;
                s->cap = ncap;
        }
        copy = strndup(p, len);
        if (copy == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        s->v[s->n++] = copy;
        return 0;
}

/* Appends the whitespace-trimmed, non-empty tokens of a comma list. */
static int strv_split(struct strv *s, const char *list, struct nvcr_err *err)
{
        const char *p = list;

        for (;;) {
                const char *end = strchrnul(p, ',');
                const char *b = p, *e = end;
                int r;

                while (b < e && isspace((unsigned char)*b))
                        b++;
                while (e > b && isspace((unsigned char)e[-1]))
                        e--;
                if (e > b) {
                        r = strv_pushn(s, b, (size_t)(e - b), err);
                        if (r < 0)
                                return r;
                }
                if (*end == '\0')
                        return 0;
                p = end + 1;
        }
}

static bool strv_has(const struct strv *s, const char *word)
{
        for (size_t i = 0; i < s->n; i++)
                if (strcmp(s->v[i], word) == 0)
                        return true;
        return false;
}

static int strv_join(const struct strv *s, char **ret, struct nvcr_err *err)
{
        size_t len = 1, o = 0;
        char *out;

        for (size_t i = 0; i < s->n; i++)
                len += strlen(s->v[i]) + 1;
        out = malloc(len);
        if (out == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < s->n; i++) {
                size_t l = strlen(s->v[i]);

                if (i > 0)
                        out[o++] = ',';
                memcpy(out + o, s->v[i], l);
                o += l;
        }
        out[o] = '\0';
        *ret = out;
        return 0;
}

/* ------------------------------------------------------------- environment */

/* Length of the NAME of "NAME=VALUE", 0 when the entry is malformed. */
static size_t env_name_len(const char *entry)
{
        const char *eq = entry != NULL ? strchr(entry, '=') : NULL;

        return eq != NULL ? (size_t)(eq - entry) : 0;
}

/* The value of the last entry named `name`, NULL when unset. */
static const char *env_get(const char *const *env, size_t nenv, const char *name)
{
        size_t len = strlen(name);

        for (size_t i = nenv; i-- > 0;) {
                if (env_name_len(env[i]) == len && strncmp(env[i], name, len) == 0)
                        return env[i] + len + 1;
        }
        return NULL;
}

static bool env_nonempty(const char *const *env, size_t nenv, const char *name)
{
        const char *v = env_get(env, nenv, name);

        return v != NULL && v[0] != '\0';
}

/* Go's strconv.ParseBool true values; anything else (invalid included) is false. */
static bool parse_bool_true(const char *v)
{
        static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };

        if (v == NULL)
                return false;
        for (size_t i = 0; i < ARRAY_SIZE(yes); i++)
                if (strcmp(v, yes[i]) == 0)
                        return true;
        return false;
}

/* ------------------------------------------------------------------ mounts */

/* Go's filepath.Clean for an absolute path; NULL for a relative one (or no memory). */
static char *clean_abs(const char *path)
{
        char *out = NULL;

        if (path == NULL || path[0] != '/' || path_clean(NULL, path, PATH_DOTDOT_POP, &out, NULL) < 0)
                return NULL;
        return out;
}

static bool valid_imex_channel(const char *s)
{
        unsigned long v = 0;

        if (*s == '\0' || strlen(s) > 7)
                return false;
        for (const char *p = s; *p != '\0'; p++) {
                if (!isdigit((unsigned char)*p))
                        return false;
                v = v * 10 + (unsigned long)(*p - '0');
        }
        return v < IMEX_CHANNEL_MAX;
}

/*
 * Volume-mount requests: a /dev/null bind at
 * /var/run/nvidia-container-devices/<id> asks for device <id>, one at
 * …/imex/<ch> for IMEX channel <ch>. Deeper paths (…/cdi/…) are not for
 * this mode and are skipped.
 */
static int requests_from_mounts(const struct oci_mount *mounts, size_t nmounts,
                                struct strv *devices, struct strv *imex, struct nvcr_err *err)
{
        static const char root[] = CONTAINER_DEVICES_MOUNT_ROOT "/";
        static const char imex_prefix[] = "imex/";
        int r;

        for (size_t i = 0; i < nmounts; i++) {
                _cleanup_free_ char *src = clean_abs(mounts[i].source);
                _cleanup_free_ char *dst = clean_abs(mounts[i].destination);
                const char *id;

                if (src == NULL || dst == NULL || strcmp(src, "/dev/null") != 0 ||
                    strncmp(dst, root, sizeof(root) - 1) != 0)
                        continue;
                id = dst + sizeof(root) - 1;
                if (strncmp(id, imex_prefix, sizeof(imex_prefix) - 1) == 0) {
                        id += sizeof(imex_prefix) - 1;
                        if (strchr(id, '/') != NULL)
                                continue;
                        if (!valid_imex_channel(id))
                                return nvcr_err_set(err, EINVAL,
                                                    "invalid IMEX channel '%s' in mount %s", id,
                                                    mounts[i].destination);
                        r = strv_pushn(imex, id, strlen(id), err);
                } else {
                        if (*id == '\0' || strchr(id, '/') != NULL)
                                continue;
                        r = strv_pushn(devices, id, strlen(id), err);
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ----------------------------------------------------------------- devices */

enum dev_kind {
        DEV_VOID = 0, /* not a GPU container */
        DEV_NONE,     /* driver only */
        DEV_LIST,
};

/*
 * The device list from NVIDIA_VISIBLE_DEVICES, or from the swarm resource
 * variables when any of them is set.
 */
static int devices_from_env(const char *const *env, size_t nenv,
                            const struct container_env_knobs *knobs, bool legacy,
                            struct strv *out, struct nvcr_err *err)
{
        struct strv names = { 0 };
        bool set = false;
        int r = 0;

        if (knobs->swarm_resource != NULL) {
                r = strv_split(&names, knobs->swarm_resource, err);
                if (r < 0)
                        goto out;
        }
        for (size_t i = 0; i < names.n; i++) {
                const char *v = env_get(env, nenv, names.v[i]);

                if (v == NULL)
                        continue;
                set = true;
                r = strv_split(out, v, err);
                if (r < 0)
                        goto out;
        }
        if (!set) {
                const char *v = env_get(env, nenv, ENV_VISIBLE);

                if (v != NULL) {
                        set = true;
                        r = strv_split(out, v, err);
                        if (r < 0)
                                goto out;
                }
        }
        /* Unset (not empty) in a legacy CUDA image: all GPUs. */
        if (!set && legacy)
                r = strv_pushn(out, "all", 3, err);
out:
        strv_clear(&names);
        return r;
}

static enum dev_kind devices_kind(const struct strv *devs)
{
        if (devs->n == 0 || strv_has(devs, "void"))
                return DEV_VOID;
        if (strv_has(devs, "none"))
                return DEV_NONE;
        return DEV_LIST;
}

/* ------------------------------------------------------------ capabilities */

static int caps_from_env(const char *value, bool legacy, unsigned supported,
                         const char *supported_str, unsigned *ret, struct nvcr_err *err)
{
        struct strv toks = { 0 };
        unsigned caps = 0;
        int r = 0;

        if (value == NULL && legacy) {
                *ret = supported;
                return 0;
        }
        *ret = supported & (NVCR_CAP_UTILITY | NVCR_CAP_COMPUTE);
        if (value == NULL)
                return 0;
        r = strv_split(&toks, value, err);
        if (r < 0)
                goto out;
        for (size_t i = 0; i < toks.n; i++) {
                unsigned c = 0;

                if (strcmp(toks.v[i], "all") == 0) {
                        caps |= supported;
                        continue;
                }
                if (nvcr_caps_parse(toks.v[i], &c, NULL) < 0 || (c & ~supported) != 0) {
                        r = nvcr_err_set(err, EINVAL,
                                         "unsupported capabilities found in '%s' (allowed '%s')",
                                         value, supported_str);
                        goto out;
                }
                caps |= c;
        }
        if (toks.n > 0)
                *ret = caps;
out:
        strv_clear(&toks);
        return r;
}

/* ------------------------------------------------------------ requirements */

/* "MAJ.MIN" of a semver-ish CUDA_VERSION ("10.2.89" → "10.2", "11" → "11.0"). */
static int cuda_major_minor(const char *version, char *buf, size_t size, struct nvcr_err *err)
{
        unsigned long parts[3] = { 0, 0, 0 };
        const char *p = version;
        size_t nparts = 0;

        if (p == NULL)
                return nvcr_err_set(err, EINVAL, "no CUDA_VERSION");
        if (*p == 'v')
                p++;
        while (nparts < 3) {
                const char *start = p;
                unsigned long v = 0;

                while (isdigit((unsigned char)*p)) {
                        v = v * 10 + (unsigned long)(*p - '0');
                        p++;
                        if (p - start > 10)
                                goto invalid;
                }
                if (p == start || (*start == '0' && p - start > 1) || v > UINT32_MAX)
                        goto invalid;
                parts[nparts++] = v;
                if (*p != '.')
                        break;
                p++;
        }
        if (*p != '\0') {
                /* Prerelease/build suffixes only after MAJ.MIN.PATCH (Go semver). */
                if (nparts != 3 || (*p != '-' && *p != '+') || p[1] == '\0')
                        goto invalid;
                for (const char *q = p + 1; *q != '\0'; q++)
                        if (!isalnum((unsigned char)*q) && strchr(".-+", *q) == NULL)
                                goto invalid;
        }
        (void)snprintf(buf, size, "%lu.%lu", parts[0], parts[1]);
        return 0;
invalid:
        return nvcr_err_set(err, EINVAL, "invalid " ENV_CUDA_VERSION " '%s': failed to get version",
                            version);
}

static bool is_require_name(const char *entry, size_t nlen)
{
        static const char pfx[] = ENV_REQUIRE_PREFIX;
        static const char jet[] = ENV_REQUIRE_JETPACK;

        if (nlen < sizeof(pfx) - 1 || strncmp(entry, pfx, sizeof(pfx) - 1) != 0)
                return false;
        return !(nlen >= sizeof(jet) - 1 && strncmp(entry, jet, sizeof(jet) - 1) == 0);
}

static int requirements(const char *const *env, size_t nenv, bool legacy, struct strv *out,
                        struct nvcr_err *err)
{
        int r;

        for (size_t i = 0; i < nenv; i++) {
                size_t nlen = env_name_len(env[i]);
                bool later = false;

                if (nlen == 0 || !is_require_name(env[i], nlen))
                        continue;
                /* The last entry of a repeated name is the one that counts. */
                for (size_t j = i + 1; j < nenv && !later; j++)
                        later = env_name_len(env[j]) == nlen &&
                                strncmp(env[j], env[i], nlen + 1) == 0;
                if (later || env[i][nlen + 1] == '\0')
                        continue;
                r = strv_pushn(out, env[i] + nlen + 1, strlen(env[i] + nlen + 1), err);
                if (r < 0)
                        return r;
        }
        if (legacy) {
                char mm[64], expr[80];

                r = cuda_major_minor(env_get(env, nenv, ENV_CUDA_VERSION), mm, sizeof(mm), err);
                if (r < 0)
                        return r;
                (void)snprintf(expr, sizeof(expr), "cuda>=%s", mm);
                r = strv_pushn(out, expr, strlen(expr), err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* -------------------------------------------------------------------- MIG */

static int mig_devices(const char *const *env, size_t nenv, const char *name, const char *what,
                       bool privileged, char **ret, struct nvcr_err *err)
{
        const char *v = env_get(env, nenv, name);

        *ret = NULL;
        if (v == NULL)
                return 0;
        if (!privileged)
                return nvcr_err_set(err, EPERM, "cannot set %s in non privileged container",
                                    what);
        if (v[0] == '\0')
                return 0;
        *ret = strdup(v);
        return *ret != NULL ? 0 : nvcr_err_set(err, ENOMEM, "out of memory");
}

/* ------------------------------------------------------------------- IMEX */

static int imex_from_env(const char *value, struct strv *out, struct nvcr_err *err)
{
        struct strv toks = { 0 };
        int r;

        r = strv_split(&toks, value, err);
        if (r < 0)
                goto out;
        if (strv_has(&toks, "void") || strv_has(&toks, "none"))
                goto out;
        for (size_t i = 0; i < toks.n; i++) {
                if (strcmp(toks.v[i], "all") == 0)
                        continue;
                if (!valid_imex_channel(toks.v[i])) {
                        r = nvcr_err_set(err, EINVAL, "invalid IMEX channel '%s' in " ENV_IMEX,
                                         toks.v[i]);
                        goto out;
                }
                r = strv_pushn(out, toks.v[i], strlen(toks.v[i]), err);
                if (r < 0)
                        goto out;
        }
out:
        strv_clear(&toks);
        return r;
}

/* ------------------------------------------------------------------ public */

void container_request_free(struct container_request *req)
{
        if (req == NULL)
                return;
        free(req->devices);
        for (size_t i = 0; i < req->nrequires; i++)
                free(req->requires[i]);
        free(req->requires);
        free(req->mig_config);
        free(req->mig_monitor);
        free(req->imex_channels);
        *req = (struct container_request){ 0 };
}

struct compute_state {
        struct strv mount_devs, mount_imex, env_devs, imex, reqs;
        struct container_request req;
};

static void compute_state_clear(struct compute_state *s)
{
        strv_clear(&s->mount_devs);
        strv_clear(&s->mount_imex);
        strv_clear(&s->env_devs);
        strv_clear(&s->imex);
        strv_clear(&s->reqs);
        container_request_free(&s->req);
}

int container_request_compute(const char *const *env, size_t nenv,
                              const struct oci_mount *mounts, size_t nmounts, bool privileged,
                              const struct container_env_knobs *knobs,
                              struct container_request *ret, struct nvcr_err *err)
{
        __attribute__((cleanup(compute_state_clear))) struct compute_state s = { 0 };
        struct container_env_knobs defaults;
        const struct strv *devs;
        const char *supported_str;
        unsigned supported = 0;
        bool legacy, env_allowed;
        enum dev_kind kind;
        int r;

        *ret = (struct container_request){ 0 };
        if (knobs == NULL) {
                container_env_knobs_init(&defaults);
                knobs = &defaults;
        }
        legacy = env_nonempty(env, nenv, ENV_CUDA_VERSION) &&
                 !env_nonempty(env, nenv, ENV_REQUIRE_CUDA);
        env_allowed = privileged || knobs->accept_envvar_unprivileged;

        /* Devices: volume mounts first (when accepted), else the environment. */
        if (knobs->accept_volume_mounts) {
                r = requests_from_mounts(mounts, nmounts, &s.mount_devs, &s.mount_imex, err);
                if (r < 0)
                        return r;
        }
        if (s.mount_devs.n > 0) {
                devs = &s.mount_devs;
                s.req.from_mounts = true;
        } else {
                if (env_allowed) {
                        r = devices_from_env(env, nenv, knobs, legacy, &s.env_devs, err);
                        if (r < 0)
                                return r;
                }
                devs = &s.env_devs;
        }
        kind = devices_kind(devs);
        if (kind == DEV_VOID)
                return 0; /* not a GPU container: nothing else is looked at */
        s.req.gpu_container = true;
        if (kind == DEV_LIST) {
                r = strv_join(devs, &s.req.devices, err);
                if (r < 0)
                        return r;
        }

        r = mig_devices(env, nenv, ENV_MIG_CONFIG, "MIG_CONFIG_DEVICES", privileged,
                        &s.req.mig_config, err);
        if (r < 0)
                return r;
        r = mig_devices(env, nenv, ENV_MIG_MONITOR, "MIG_MONITOR_DEVICES", privileged,
                        &s.req.mig_monitor, err);
        if (r < 0)
                return r;

        if (!knobs->ignore_imex_requests) {
                const char *v = env_get(env, nenv, ENV_IMEX);

                if (s.mount_imex.n > 0) {
                        r = strv_join(&s.mount_imex, &s.req.imex_channels, err);
                } else if (v != NULL && env_allowed) {
                        r = imex_from_env(v, &s.imex, err);
                        if (r == 0 && s.imex.n > 0)
                                r = strv_join(&s.imex, &s.req.imex_channels, err);
                }
                if (r < 0)
                        return r;
        }

        supported_str = knobs->supported_caps != NULL ? knobs->supported_caps
                                                      : CONTAINER_SUPPORTED_CAPS_DEFAULT;
        if (nvcr_caps_parse(supported_str, &supported, NULL) < 0)
                return nvcr_err_set(err, EINVAL, "invalid supported-driver-capabilities '%s'",
                                    supported_str);
        r = caps_from_env(env_get(env, nenv, ENV_CAPS), legacy, supported, supported_str,
                          &s.req.caps, err);
        if (r < 0)
                return r;

        if (!knobs->disable_require && !parse_bool_true(env_get(env, nenv, ENV_DISABLE_REQUIRE))) {
                r = requirements(env, nenv, legacy, &s.reqs, err);
                if (r < 0)
                        return r;
                s.req.requires = steal_ptr(&s.reqs.v);
                s.req.nrequires = s.reqs.n;
                s.reqs = (struct strv){ 0 };
        }
        *ret = s.req;
        s.req = (struct container_request){ 0 };
        return 0;
}

void container_request_to_nvcr(const struct container_request *creq, struct nvcr_request *req)
{
        *req = (struct nvcr_request){ 0 };
        req->devices = creq->devices;
        req->caps = creq->caps;
        req->mig_config = creq->mig_config;
        req->mig_monitor = creq->mig_monitor;
        req->imex_channels = creq->imex_channels;
}
