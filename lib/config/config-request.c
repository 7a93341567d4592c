/* SPDX-License-Identifier: Apache-2.0 */
#include "config/config-request.h"

void config_env_knobs(const struct nvcr_config *cfg, struct container_env_knobs *knobs)
{
        container_env_knobs_init(knobs);
        knobs->accept_envvar_unprivileged =
                cfg->accept_nvidia_visible_devices_envvar_when_unprivileged;
        knobs->accept_volume_mounts = cfg->accept_nvidia_visible_devices_as_volume_mounts;
        knobs->swarm_resource =
                cfg->swarm_resource && cfg->swarm_resource[0] ? cfg->swarm_resource : NULL;
        knobs->supported_caps = cfg->supported_driver_capabilities;
        knobs->disable_require = cfg->disable_require;
        knobs->ignore_imex_requests = cfg->features.ignore_imex_channel_requests;
}

enum nvcr_compat_mode config_compat_mode(const struct nvcr_config *cfg)
{
        switch (cfg->runtime.legacy.cuda_compat_mode) {
        case NVCR_CUDA_COMPAT_DISABLED:
                return NVCR_COMPAT_DISABLED;
        case NVCR_CUDA_COMPAT_MOUNT:
                return cfg->features.allow_cuda_compat_libs_from_container ? NVCR_COMPAT_MOUNT
                                                                            : NVCR_COMPAT_LDCONFIG;
        case NVCR_CUDA_COMPAT_HOOK:
        case NVCR_CUDA_COMPAT_LDCONFIG:
        default:
                return NVCR_COMPAT_LDCONFIG;
        }
}
