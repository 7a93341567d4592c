/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Container engine configuration files, as `nvidia-ctk runtime configure`
 * edits them (features.md §5): Docker's daemon.json, a containerd drop-in
 * plus the `imports` of its main config.toml, a CRI-O drop-in.
 *
 * The editors are pure (buffer in, buffer out) so that they can be unit
 * tested; engine_read_config/engine_write_config do the file side.
 */
#ifndef NVCR_ENGINE_ENGINE_H
#define NVCR_ENGINE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>

#include "nvcr.h"

#define ENGINE_DOCKER_CONFIG "/etc/docker/daemon.json"
#define ENGINE_CONTAINERD_CONFIG "/etc/containerd/config.toml"
#define ENGINE_CONTAINERD_DROPIN "/etc/containerd/conf.d/99-nvidia.toml"
#define ENGINE_CRIO_CONFIG "/etc/crio/crio.conf"
#define ENGINE_CRIO_DROPIN "/etc/crio/crio.conf.d/99-nvidia.toml"

/* The largest configuration file we read. */
#define ENGINE_MAX_CONFIG (4 * 1024 * 1024)

struct engine_runtime {
        const char *name;    /* "nvidia" */
        const char *path;    /* the runtime executable */
        bool set_as_default; /* also the engine's default runtime */
        bool enable_cdi;     /* turn the engine's CDI support on */
};

/*
 * Docker: `in` (len bytes; NULL or only white space = a missing or empty
 * file) must be a JSON object. Adds runtimes.<name> = {"args": [], "path":
 * …} (replacing one of that name), "default-runtime" and "features": {"cdi":
 * true} when asked, keeps every other key in its place, and returns the
 * result indented by 4 spaces as Go's json.MarshalIndent writes it, with a
 * trailing newline. Invalid JSON: -EINVAL "<name>:<line>:<col>: …".
 */
int engine_docker_update(const char *name, const char *in, size_t len,
                         const struct engine_runtime *rt, char **ret, struct nvcr_err *err);

/*
 * containerd (config version 2, the CRI plugin "io.containerd.grpc.v1.cri"):
 * the drop-in. The runtime copies the settings and options of the main
 * config's default runtime (main_cfg, NULL = none; skipped when our TOML
 * subset cannot parse it), BinaryName and runtime_type replaced.
 */
int engine_containerd_dropin(const struct engine_runtime *rt, const char *main_cfg,
                             size_t main_len, char **ret, struct nvcr_err *err);

/*
 * containerd's main config.toml `in` (NULL = missing): makes sure its
 * top-level `imports` covers `dropin` (the path itself or a glob matching
 * it). When one must be added it is `import` (the reference adds
 * the glob "<dropin dir>/" "*.toml"): the existing array is extended in place, or an
 * `imports = [...]` line is added after the last top-level key; a
 * missing file becomes "version = 2" + imports. Everything else is kept byte
 * for byte; this is a line-level edit, so TOML our parser does not know is
 * fine. *ret = NULL when nothing needs to change.
 */
int engine_containerd_imports(const char *name, const char *in, size_t len, const char *dropin,
                              const char *import, char **ret, struct nvcr_err *err);

/* CRI-O: the drop-in. */
int engine_crio_dropin(const struct engine_runtime *rt, char **ret, struct nvcr_err *err);

/* TOML basic string for s (quotes included), for the drop-ins. */
char *engine_toml_quote(const char *s);

/*
 * Reads a configuration file: *ret = NULL (and 0) when it does not exist.
 * A symlink is followed (as the reference, which uses os.ReadFile and
 * os.WriteFile); *ret_target gets the file that is really read and to be
 * written (the link's final target), so that the link itself is kept.
 * Not a regular file: -EINVAL.
 */
int engine_read_config(const char *path, char **ret, size_t *ret_len, char **ret_target,
                       struct nvcr_err *err);

/*
 * Writes path atomically: missing parent directories created (0755), a
 * temporary file in the same directory, written, fsync'd, given the mode
 * and owner of the file it replaces (0644 root for a new one), renamed over
 * path, directory fsync'd. On any failure nothing is left behind and the
 * old file is untouched.
 */
int engine_write_config(const char *path, const char *buf, size_t len, struct nvcr_err *err);

#endif
