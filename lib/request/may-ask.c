/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <string.h>

#include "core/macro.h"
#include "request/container-env.h"
#include "request/may-ask.h"

static bool has(const char *buf, size_t len, const char *s, size_t n)
{
        return n > 0 && memmem(buf, len, s, n) != NULL;
}

bool request_may_ask_for_gpu(const char *buf, size_t len, const struct nvcr_config *cfg)
{
        /*
         * NVIDIA_: NVIDIA_VISIBLE_DEVICES and every other knob a request
         * may set (NVIDIA_DRIVER_CAPABILITIES alone still makes a "none"
         * or "void" container ours to judge). CUDA_VERSION: a legacy CUDA
         * image without NVIDIA_VISIBLE_DEVICES gets all GPUs. \u: an
         * escaped letter could spell any of them.
         */
        static const char *const always[] = {"NVIDIA_", "CUDA_VERSION",
                                             CONTAINER_DEVICES_MOUNT_ROOT, "\\u"};

        for (size_t i = 0; i < ARRAY_SIZE(always); i++)
                if (has(buf, len, always[i], strlen(always[i])))
                        return true;
        if (cfg == NULL)
                return has(buf, len, "cdi.k8s.io/", strlen("cdi.k8s.io/"));
        for (char **p = cfg->runtime.cdi.annotation_prefixes; p != NULL && *p != NULL; p++)
                if (has(buf, len, *p, strlen(*p)))
                        return true;
        /* swarm-resource: variable names, comma-separated, blanks around them ignored. */
        for (const char *s = cfg->swarm_resource; s != NULL && *s != '\0';) {
                const char *e = strchrnul(s, ','), *b = s, *end = e;

                while (b < end && isspace((unsigned char)*b))
                        b++;
                while (end > b && isspace((unsigned char)end[-1]))
                        end--;
                if (has(buf, len, b, (size_t)(end - b)))
                        return true;
                s = *e ? e + 1 : e;
        }
        return false;
}
