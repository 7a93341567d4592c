/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/fileio.h"
#include "core/macro.h"
#include "plan/masks.h"

char *masks_rewrite_params(const char *text)
{
        static const char key[] = "ModifyDeviceFiles:";
        char *out = strdup(text);

        if (out == NULL)
                return NULL;
        for (char *line = out; line != NULL && *line != '\0';) {
                char *nl = strchr(line, '\n');

                if (strncmp(line, key, sizeof(key) - 1) == 0) {
                        char *v = line + sizeof(key) - 1;

                        while (*v == ' ' || *v == '\t')
                                v++;
                        /* Any value becomes 0: the container must never manage nodes. */
                        for (; *v >= '0' && *v <= '9'; v++)
                                *v = '0';
                }
                line = nl ? nl + 1 : NULL;
        }
        return out;
}

int masks_add_procfs(struct nvcr_plan *p, const char *procdir, bool with_files,
                     struct nvcr_err *err)
{
        static const char *const files[] = {"params", "version", "registry"};
        _cleanup_free_ char *hostdir = NULL;
        _cleanup_close_ int dfd = -EBADF;
        struct plan_tmpfs *m;

        /* PROC_DRIVER_DIR without its "/proc", under the configured procfs. */
        if (asprintf(&hostdir, "%s/driver/nvidia", procdir) < 0)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        /* A spec's plan only names the mask: the hook copies params when the container starts. */
        if (!with_files)
                return plan_add_mask(p, PROC_DRIVER_DIR, 0555, hostdir, err) ? 0 : -ENOMEM;
        dfd = open(hostdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return nvcr_err_setsys(err, errno, "%s: cannot open the driver's procfs", hostdir);
        m = plan_add_mask(p, PROC_DRIVER_DIR, 0555, hostdir, err);
        if (m == NULL)
                return -ENOMEM;
        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                _cleanup_free_ char *text = NULL, *fixed = NULL;
                size_t len = 0;
                int r = read_file_at(dfd, files[i], 1 << 20, &text, &len, err);

                if (r == -ENOENT)
                        continue; /* older drivers have no registry, for one */
                if (r < 0)
                        return nvcr_err_wrap(err, "%s", hostdir);
                if (strcmp(files[i], "params") == 0) {
                        fixed = masks_rewrite_params(text);
                        if (fixed == NULL)
                                return nvcr_err_set(err, ENOMEM, "out of memory");
                        len = strlen(fixed);
                }
                r = plan_mask_add_file(m, files[i], fixed ? fixed : text, len, 0444, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int masks_add_app_profile(struct nvcr_plan *p, const struct nvcr_selection *sel,
                          struct nvcr_err *err)
{
        _cleanup_free_ char *conf = NULL;
        unsigned long long mask = 0;
        struct plan_tmpfs *m;
        int n;

        /* One bit per visible GPU minor: EGL/Vulkan then ignore the others. */
        for (size_t i = 0; sel != NULL && i < sel->ngpus; i++)
                if (sel->gpus[i]->minor < 64)
                        mask |= 1ull << sel->gpus[i]->minor;
        n = asprintf(&conf,
                     "{\"profiles\":[{\"name\":\"_container_\",\"settings\":"
                     "[\"EGLVisibleDGPUDevices\",0x%llx]}],"
                     "\"rules\":[{\"pattern\":[],\"profile\":\"_container_\"}]}\n",
                     mask);
        if (n < 0)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        m = plan_add_mask(p, APP_PROFILE_DIR, 0555, NULL, err);
        if (m == NULL)
                return -ENOMEM;
        return plan_mask_add_file(m, "10-container.conf", conf, (size_t)n, 0444, err);
}
