/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nvidia-ctk system create-dev-char-symlinks: /dev/char/MAJ:MIN links for
 * the NVIDIA device nodes. udev makes these for every device it knows; the
 * NVIDIA nodes are made by the driver or by us (mknod), so they have none,
 * and runc's systemd cgroup driver, which re-applies device rules by their
 * /dev/char path, then drops the GPU from running containers (features.md
 * §6 item 2).
 */
#ifndef NVCR_ENGINE_DEVCHAR_H
#define NVCR_ENGINE_DEVCHAR_H

#include <stdbool.h>

#include "nvcr.h"

enum devchar_action {
        DEVCHAR_CREATE,  /* no link yet */
        DEVCHAR_REPLACE, /* a link to something else */
        DEVCHAR_KEEP,    /* already right */
        DEVCHAR_SKIP,    /* not a symlink at that name: left alone */
};

/* Called for each node, before the change (dry_run: instead of it). */
typedef void (*devchar_report_fn)(void *userdata, enum devchar_action action, const char *link,
                                  const char *target);

/*
 * For every character device dev_dir/nvidia* (nvidiactl, nvidiaN, nvidia-uvm,
 * nvidia-uvm-tools, nvidia-modeset, nvidia-nvswitch*) and those in
 * dev_dir/nvidia-caps and dev_dir/nvidia-caps-imex-channels, makes
 * char_dir/MAJ:MIN a symlink to it, relative as the kernel's own (e.g.
 * "../nvidia0"). char_dir is created (0755) when missing. A right link is
 * kept, a wrong one replaced atomically (a new link renamed over it: the
 * name is never followed); anything else at the name is left alone. With
 * dry_run nothing is changed. *ret_count (may be NULL) = the nodes found.
 */
int devchar_create_links(const char *dev_dir, const char *char_dir, bool dry_run,
                         devchar_report_fn report, void *userdata, unsigned *ret_count,
                         struct nvcr_err *err);

/* The relative path from directory `from` to `to`, both absolute and normalised. */
char *devchar_relpath(const char *from, const char *to);

#endif
