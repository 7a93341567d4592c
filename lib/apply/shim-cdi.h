/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The runtime shim's cdi mode (features.md §4.4): the CDI device names a
 * container asks for, from NVIDIA_VISIBLE_DEVICES (qualified names as they
 * are, bare ids prefixed with default-kind) and from annotations under the
 * configured prefixes (cdi.k8s.io/…: comma lists of qualified names),
 * resolved from spec-dirs into edits and written into config.json.
 */
#ifndef NVCR_APPLY_SHIM_CDI_H
#define NVCR_APPLY_SHIM_CDI_H

#include "config/config.h"
#include "oci/spec.h"

/* True when an annotation of the spec carries CDI devices. */
bool shim_cdi_annotated(const struct nvcr_config *cfg, const struct oci_spec *spec);

/* `devices`: the request's device list, NULL when only annotations ask. Returns 1 (edited). */
int shim_cdi(const struct nvcr_config *cfg, struct oci_spec *spec, const char *devices,
             struct nvcr_err *err);

#endif
