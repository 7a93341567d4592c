/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer entry: the input is a config.json. It is parsed with
 * spec_parse_buffer; a spec that parses must serialise and parse again to
 * the same extracted fields, and its env/mounts/privilege go through
 * container_request_compute under several knob sets. Every failure must
 * carry its errno and a message; a success must be self-consistent.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oci/spec.h"
#include "oci/state.h"
#include "request/container-env.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_err(int r, const struct nvcr_err *err)
{
        if (r >= 0 || err->code != -r || err->msg[0] == '\0' ||
            strnlen(err->msg, sizeof(err->msg)) == sizeof(err->msg))
                abort();
}

static void check_request(const struct oci_spec *spec, const struct container_env_knobs *knobs)
{
        struct container_request req;
        struct nvcr_request nr;
        struct nvcr_err err = { 0 };
        unsigned supported = NVCR_CAP_ALL;
        int r;

        r = container_request_compute((const char *const *)spec->env, spec->nenv, spec->mounts,
                                      spec->nmounts, spec->privileged, knobs, &req, &err);
        if (r < 0) {
                check_err(r, &err);
                if (r != -EINVAL && r != -EPERM && r != -ENOMEM)
                        abort();
                if (req.gpu_container || req.devices != NULL || req.requires != NULL)
                        abort();
                return;
        }
        if (knobs->supported_caps != NULL &&
            nvcr_caps_parse(knobs->supported_caps, &supported, NULL) < 0)
                abort();
        if (!req.gpu_container) {
                if (req.devices || req.caps || req.nrequires || req.mig_config ||
                    req.mig_monitor || req.imex_channels)
                        abort();
        } else {
                if ((req.caps & ~supported) != 0)
                        abort();
                if (req.devices != NULL && req.devices[0] == '\0')
                        abort();
                if ((req.mig_config || req.mig_monitor) && !spec->privileged)
                        abort();
                if (req.imex_channels && knobs->ignore_imex_requests)
                        abort();
                if (knobs->disable_require && req.nrequires != 0)
                        abort();
                for (size_t i = 0; i < req.nrequires; i++)
                        if (req.requires[i] == NULL || req.requires[i][0] == '\0')
                                abort();
        }
        container_request_to_nvcr(&req, &nr);
        if (nr.devices != req.devices || nr.caps != req.caps)
                abort();
        container_request_free(&req);
}

static bool same_fields(const struct oci_spec *a, const struct oci_spec *b)
{
        if (strcmp(a->rootfs, b->rootfs) != 0 || strcmp(a->oci_version, b->oci_version) != 0 ||
            a->nenv != b->nenv || a->privileged != b->privileged || a->nmounts != b->nmounts ||
            a->nannotations != b->nannotations || a->nprestart != b->nprestart ||
            a->ncreate_runtime != b->ncreate_runtime)
                return false;
        for (size_t i = 0; i < a->nenv; i++)
                if (strcmp(a->env[i], b->env[i]) != 0)
                        return false;
        for (size_t i = 0; i < a->nmounts; i++)
                if (strcmp(a->mounts[i].destination, b->mounts[i].destination) != 0)
                        return false;
        return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct container_env_knobs knobs;
        struct oci_spec *spec = NULL, *again = NULL;
        struct nvcr_err err = { 0 };
        char *text = NULL;
        size_t len = 0;
        int r;

        r = spec_parse_buffer((const char *)data, size, "/run/bundle", &spec, &err);
        if (r < 0) {
                check_err(r, &err);
                if (spec != NULL)
                        abort();
                return 0;
        }
        if (spec->rootfs[0] != '/' || strcmp(spec->rootfs, "/") == 0 ||
            strstr(spec->rootfs, "/../") != NULL || strstr(spec->rootfs, "//") != NULL)
                abort();
        for (size_t i = 0; i < spec->nenv; i++)
                if (spec->env[i][0] == '=' || strchr(spec->env[i], '=') == NULL)
                        abort();

        /* Round trip through the serialiser keeps every extracted field. */
        if (spec_serialize(spec, &text, &len, &err) < 0)
                abort();
        if (len <= OCI_SPEC_MAX) {
                if (spec_parse_buffer(text, len, "/run/bundle", &again, &err) < 0 ||
                    !same_fields(spec, again))
                        abort();
                spec_free(again);
        }
        free(text);

        container_env_knobs_init(&knobs);
        check_request(spec, &knobs);
        knobs.accept_envvar_unprivileged = false;
        knobs.accept_volume_mounts = true;
        knobs.swarm_resource = "DOCKER_RESOURCE_GPU,OTHER";
        check_request(spec, &knobs);
        knobs.supported_caps = "utility,compute";
        knobs.disable_require = true;
        knobs.ignore_imex_requests = true;
        check_request(spec, &knobs);
        spec_free(spec);
        return 0;
}
