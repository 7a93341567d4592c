/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "apply/request-plan.h"
#include "config/config-request.h"
#include "core/err.h"
#include "core/macro.h"
#include "core/timing.h"

int request_plan_build(struct nvcr_ctx *ctx, const struct nvcr_config *cfg,
                       const struct container_request *creq, const char *rootfs, pid_t pid,
                       struct nvcr_plan **ret, const char **phase, struct nvcr_err *err)
{
        struct nvcr_inventory *inv = NULL;
        struct nvcr_selection *sel = NULL;
        const char *const *requires = (const char *const *)creq->requires;
        struct nvcr_request req;
        unsigned inv_flags = NVCR_INV_FILES;
        int r;

        *ret = NULL;
        memset(&req, 0, sizeof(req));
        container_request_to_nvcr(creq, &req);
        req.rootfs = rootfs;
        req.pid = pid;
        req.ldconfig = cfg->cli.ldconfig && cfg->cli.ldconfig[0] ? cfg->cli.ldconfig : NULL;
        req.compat_mode = config_compat_mode(cfg);
        req.flags = (cfg->cli.no_cgroups ? NVCR_REQ_NO_CGROUPS : 0u) |
                    (cfg->cli.no_pivot ? NVCR_REQ_NO_PIVOT : 0u) |
                    (cfg->features.allow_ldconfig_from_container
                             ? NVCR_REQ_ALLOW_CONTAINER_LDCONFIG
                             : 0u) |
                    (pid == 0 ? NVCR_REQ_FOR_SPEC : 0u);
        /* Only for a GPU container, and only what its capabilities use. */
        timing_mark("request made");
        if (cfg->cli.load_kmods)
                nvcr_load_kmods_for(ctx, req.caps);
        if ((req.devices && nvcr_devices_need_nvml(req.devices)) ||
            nvcr_requires_need_nvml(requires, creq->nrequires))
                inv_flags |= NVCR_INV_NVML;
        *phase = "detection";
        timing_mark("kmods checked");
        r = nvcr_inventory_load_caps(ctx, inv_flags, req.caps, &inv, err);
        timing_mark("inventory loaded");
        if (r >= 0) {
                *phase = "device";
                r = nvcr_select_devices(inv, req.devices ? req.devices : "", &sel, err);
        }
        if (r >= 0) {
                *phase = "requirement";
                r = nvcr_require_check(inv, sel, requires, creq->nrequires, err);
        }
        if (r >= 0)
                r = nvcr_plan_build(ctx, inv, sel, &req, ret, phase, err);
        nvcr_selection_free(sel);
        nvcr_inventory_free(inv);
        return r;
}
