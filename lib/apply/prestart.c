/* SPDX-License-Identifier: Apache-2.0 */
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apply/prestart.h"
#include "apply/request-plan.h"
#include "config/config-request.h"
#include "core/err.h"
#include "core/macro.h"
#include "oci/spec.h"
#include "oci/state.h"
#include "request/container-env.h"

/* "root:video", "0:44", "65534" -> "UID[:GID]" digits for NVCR_SET_NVML_USER. */
static int numeric_user(const char *spec, char *buf, size_t size, struct nvcr_err *err)
{
        _cleanup_free_ char *copy = strdup(spec);
        char *group, *end;
        unsigned long uid, gid;

        if (copy == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        group = strchr(copy, ':');
        if (group != NULL)
                *group++ = '\0';
        uid = strtoul(copy, &end, 10);
        if (copy[0] == '\0' || *end != '\0') {
                struct passwd *pw = getpwnam(copy);

                if (pw == NULL)
                        return nvcr_err_set(err, EINVAL, "nvidia-container-cli.user: unknown user %s",
                                            copy);
                uid = pw->pw_uid;
        }
        if (group == NULL) {
                (void)snprintf(buf, size, "%lu", uid);
                return 0;
        }
        gid = strtoul(group, &end, 10);
        if (group[0] == '\0' || *end != '\0') {
                struct group *gr = getgrnam(group);

                if (gr == NULL)
                        return nvcr_err_set(err, EINVAL, "nvidia-container-cli.user: unknown group %s",
                                            group);
                gid = gr->gr_gid;
        }
        (void)snprintf(buf, size, "%lu:%lu", uid, gid);
        return 0;
}

int prestart_configure_ctx(struct nvcr_ctx *ctx, const struct nvcr_config *cfg,
                           struct nvcr_err *err)
{
        char user[64];
        int r;

        if (cfg->cli.root && cfg->cli.root[0] &&
            (r = nvcr_ctx_set(ctx, NVCR_SET_ROOT, cfg->cli.root, err)) < 0)
                return r;
        if (cfg->cli.ldcache && cfg->cli.ldcache[0] &&
            (r = nvcr_ctx_set(ctx, NVCR_SET_LDCACHE, cfg->cli.ldcache, err)) < 0)
                return r;
        if (cfg->cli.user && cfg->cli.user[0]) {
                if ((r = numeric_user(cfg->cli.user, user, sizeof(user), err)) < 0 ||
                    (r = nvcr_ctx_set(ctx, NVCR_SET_NVML_USER, user, err)) < 0)
                        return r;
        }
        return 0;
}

struct prestart {
        struct oci_state *state;
        struct oci_spec *spec;
        struct container_request creq;
        struct nvcr_plan *plan;
        int bundlefd;
};

static void prestart_clear(struct prestart *p)
{
        nvcr_plan_free(p->plan);
        container_request_free(&p->creq);
        spec_free(p->spec);
        oci_state_free(p->state);
        if (p->bundlefd >= 0)
                (void)close(p->bundlefd);
}

static int run(struct prestart *p, struct nvcr_ctx *ctx, const struct nvcr_config *cfg,
               int state_fd, const char **phase, struct nvcr_err *err)
{
        struct container_env_knobs knobs;
        int r;

        *phase = "input";
        if ((r = oci_state_read_fd(state_fd, &p->state, err)) < 0)
                return r;
        *phase = "container";
        p->bundlefd = spec_open_bundle(p->state->bundle, err);
        if (p->bundlefd < 0)
                return p->bundlefd;
        if ((r = spec_load(p->bundlefd, p->state->bundle, &p->spec, err)) < 0)
                return r;
        config_env_knobs(cfg, &knobs);
        *phase = "input";
        r = container_request_compute((const char *const *)p->spec->env, p->spec->nenv,
                                      p->spec->mounts, p->spec->nmounts, p->spec->privileged,
                                      &knobs, &p->creq, err);
        if (r < 0 || !p->creq.gpu_container)
                return r; /* void, empty or unset: not ours to touch */
        r = request_plan_build(ctx, cfg, &p->creq, p->spec->rootfs, p->state->pid, &p->plan,
                               phase, err);
        if (r < 0)
                return r;
        return nvcr_plan_apply(ctx, p->plan, phase, err);
}

int prestart_run(struct nvcr_ctx *ctx, const struct nvcr_config *cfg, int state_fd,
                 const char **phase, struct nvcr_err *err)
{
        struct prestart p = {.bundlefd = -1};
        const char *ignored;
        int r;

        if (phase == NULL)
                phase = &ignored;
        r = run(&p, ctx, cfg, state_fd, phase, err);
        prestart_clear(&p);
        return r < 0 ? r : 0;
}
