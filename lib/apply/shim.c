/* SPDX-License-Identifier: Apache-2.0 */
#include <unistd.h>

#include "apply/oci-spec-hook.h"
#include "apply/shim.h"
#include "config/config-request.h"
#include "core/err.h"
#include "core/macro.h"
#include "oci/spec.h"
#include "request/container-env.h"

static int wants_gpu(const struct nvcr_config *cfg, const struct oci_spec *spec, bool *ret,
                     struct nvcr_err *err)
{
        struct container_env_knobs knobs;
        struct container_request creq = {0};
        int r;

        config_env_knobs(cfg, &knobs);
        r = container_request_compute((const char *const *)spec->env, spec->nenv, spec->mounts,
                                      spec->nmounts, spec->privileged, &knobs, &creq, err);
        /*
         * A request that does not parse (unsupported capabilities, MIG
         * devices unprivileged) still gets the hook: it reports the error
         * when the container starts, where the reference reports it too.
         */
        *ret = r < 0 || creq.gpu_container;
        container_request_free(&creq);
        nvcr_err_clear(err);
        return 0;
}

int shim_prepare_bundle(const struct nvcr_config *cfg, const char *bundle, const char *hook_path,
                        const char *config_path, struct nvcr_err *err)
{
        _cleanup_close_ int bfd = spec_open_bundle(bundle, err);
        struct oci_spec *spec = NULL;
        bool gpu = false;
        int r;

        if (bfd < 0)
                return bfd;
        r = spec_load(bfd, bundle, &spec, err);
        if (r >= 0)
                r = wants_gpu(cfg, spec, &gpu, err);
        /* void, empty or unset: config.json stays byte for byte. */
        if (r >= 0 && gpu)
                r = spec_add_gpu_hook(spec, hook_path, config_path, err);
        if (r == 1)
                r = spec_write_atomic(bfd, spec, err) < 0 ? -err->code : 1;
        spec_free(spec);
        return r;
}
