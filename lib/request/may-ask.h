/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Whether a container may ask for a GPU, from config.json's bytes alone,
 * before (or without) parsing them.
 *
 * Why: the runtime's front (cmd/runtime/front.c) hands a container that
 * cannot be asking for anything straight to runc, without json-c, the
 * driver or the plan; and a create that may ask starts runc early
 * (apply/early-start.h). The answer must never be "no" for a container
 * that asks: it is "no" only when none of the names that any way of asking
 * uses appears in the bytes (the NVIDIA_* and CUDA_VERSION variables, the
 * device-list mount root, the CDI annotation prefixes, the configured swarm
 * resource variables), and when the bytes hold no JSON \u escape (which
 * could spell one of those names in other bytes). A "yes" for a container
 * that asks for nothing only costs the full parse.
 */
#ifndef NVCR_REQUEST_MAY_ASK_H
#define NVCR_REQUEST_MAY_ASK_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"

/* `cfg` NULL: the defaults (annotation prefix "cdi.k8s.io/", no swarm resource). */
bool request_may_ask_for_gpu(const char *buf, size_t len, const struct nvcr_config *cfg);

#endif
