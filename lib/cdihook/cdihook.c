/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nvidia-cdi-hook / nvidia-ctk hook: dispatch to one hook by name.
 *
 * A hook runs as root, started by the runtime inside the container's mount
 * namespace. Its environment is whatever the runtime passed: runc 1.1 hands
 * a hook without "env" the container's own environment, so LD_PRELOAD or
 * PATH from the image may be there. By the time we run, the dynamic loader
 * has already acted on it (which is why every hook we put in a spec carries
 * an explicit env); what we can still do is never look at it again, nor
 * hand it to anything: the environment is cleared before anything else.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdihook/cdihook.h"
#include "cdihook/hook.h"
#include "nvcr.h"
#include "safepath/in-root-create.h"

struct hook_entry {
        const char *name;
        int (*run)(struct hook_ctx *h, int argc, char **argv);
        const char *summary;
        bool hidden;
};

static int hook_noop(struct hook_ctx *h, int argc, char **argv)
{
        (void)h;
        (void)argc;
        (void)argv;
        return 0;
}

static const struct hook_entry hooks[] = {
        {"create-symlinks", hook_create_symlinks,
         "A hook to create symlinks in the container.", false},
        {"update-ldcache", hook_update_ldcache,
         "Update ldcache in a container by running ldconfig", false},
        {"enable-cuda-compat", hook_enable_cuda_compat,
         "This hook allows for the CUDA Forward Compatibility libraries in a container to "
         "be used.",
         false},
        {"disable-device-node-modification", hook_disable_device_node_modification,
         "Ensure that the /proc/driver/nvidia/params file present in the container does "
         "not allow device node modifications.",
         false},
        {"update-application-profile", hook_update_application_profile,
         "Limit the GPUs that EGL and Vulkan see to those of the container.", false},
        {"chmod", hook_chmod, "Set the permissions of folders in the container by running chmod",
         false},
        {"noop", hook_noop, "A no-op hook", true},
};

static void usage(FILE *f, const char *prog)
{
        fprintf(f, "NAME:\n   %s - A collection of hooks that may be injected into an OCI spec\n\n"
                   "USAGE:\n   %s command [command options]\n\nCOMMANDS:\n",
                prog, prog);
        for (size_t i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++)
                if (!hooks[i].hidden)
                        fprintf(f, "   %-34s %s\n", hooks[i].name, hooks[i].summary);
        fputs("   help, h                            Shows a list of commands or help for one "
              "command\n",
              f);
}

/* argv[0] is the hook's name; argv[argc] is NULL. */
static int run_one(struct hook_ctx *h, int argc, char **argv)
{
        if (argc < 1) {
                fprintf(stderr, "%s: an empty hook in a --then chain\n", h->prog);
                return 1;
        }
        for (size_t i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++) {
                if (strcmp(argv[0], hooks[i].name) != 0)
                        continue;
                h->name = hooks[i].name;
                h->summary = hooks[i].summary;
                return hooks[i].run(h, argc, argv);
        }
        /* As the reference: an unknown hook (one from a newer spec) only warns. */
        fprintf(stderr, "%s: warning: unknown hook \"%s\" ignored\n", h->prog, argv[0]);
        return 0;
}

/*
 * "A args… --then B args…": several hooks in one process, the OCI state read
 * once. The runtime's jit-cdi edits use one such chain instead of four
 * createContainer hooks: every process runc starts costs a fork and an exec
 * at each container start. The first failing hook stops the chain. argv[0]
 * is the first hook's name; argv[argc] is NULL.
 */
static int run_chain(struct hook_ctx *h, int argc, char **argv)
{
        int r = 0;

        for (int i = 0; i < argc && r == 0;) {
                int end = i;

                while (end < argc && strcmp(argv[end], "--then") != 0)
                        end++;
                argv[end < argc ? end : argc] = NULL;
                r = run_one(h, end - i, argv + i);
                i = end + 1;
        }
        return r;
}

int cdi_hook_main(int argc, char **argv, const char *prog, bool debug)
{
        struct hook_ctx h = {
                .prog = prog, .debug = debug, .rootfd = -1, .mask_tree = -1};
        int r;

        /* Never trust the environment (see above), nor hand it on. */
        (void)clearenv();
        if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "h") == 0 ||
            strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
                if (argc > 2 && (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "h") == 0)) {
                        /* "help HOOK": the hook's own help. */
                        char *sub[] = {argv[0], argv[2], (char *)"--help", NULL};

                        return cdi_hook_main(3, sub, prog, debug);
                }
                usage(argc < 2 ? stderr : stdout, prog);
                return argc < 2 ? 1 : 0;
        }
        r = run_chain(&h, argc - 1, argv + 1);
        hook_ctx_clear(&h);
        return r;
}

int cdi_hook_run_before_create(int argc, char **argv, const char *prog, int rootfd,
                               const struct cdi_hook_file *files, size_t nfiles, int *mask_tree,
                               long *params_fstype)
{
        struct hook_ctx h = {.prog = prog,
                             .rootfd = rootfd,
                             .before_create = true,
                             .files = files,
                             .nfiles = nfiles,
                             .mask_tree = -1};
        struct nvcr_err err = {0};
        int r;

        *mask_tree = -1;
        if (fd_path(rootfd, &h.rootpath, &err) < 0) {
                fprintf(stderr, "%s: the container's rootfs: %s\n", prog, err.msg);
                return 1;
        }
        r = run_chain(&h, argc, argv);
        if (r == 0) {
                *mask_tree = h.mask_tree;
                *params_fstype = h.params_fstype;
                h.mask_tree = -1;
        }
        h.rootfd = -1; /* borrowed */
        hook_ctx_clear(&h);
        return r;
}
