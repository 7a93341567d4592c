/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Container edits carried into config.json the way a CDI runtime does it,
 * so runc itself makes the mounts and device nodes and owns the device
 * cgroup rules (they survive runc or systemd re-applying cgroups, which the
 * legacy hook's rules do not):
 *   env          process.env: a KEY= already there is replaced, else appended
 *   deviceNodes  linux.devices (same path replaced) and an allow rule in
 *                linux.resources.devices; type/major/minor/mode not given
 *                are read from the host node (hostPath, else path)
 *   mounts       appended to mounts
 *   hooks        appended to hooks.<hookName>
 */
#ifndef NVCR_CDI_APPLY_SPEC_H
#define NVCR_CDI_APPLY_SPEC_H

#include "cdi/edits.h"
#include "oci/spec.h"

int cdi_apply_to_spec(struct oci_spec *spec, const struct cdi_edits *e, struct nvcr_err *err);

/*
 * Removes the legacy prestart hook (nvidia-container-runtime-hook or
 * nvidia-container-toolkit, by basename: Docker's --gpus adds one) from the
 * document: in the spec modes the GPU comes from the edits, not from it.
 * Returns the number removed.
 */
int spec_remove_gpu_hooks(struct oci_spec *spec, struct nvcr_err *err);

#endif
