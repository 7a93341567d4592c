/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `<runtime> create` started before the GPU edits to config.json are made;
 * config.json reaches it through a FIFO once they are (oci/spec-fifo.h).
 *
 * Why: for a GPU container, nvidia-container-runtime's work before runc
 * may start (config.json parsed, modules, driver files, the plan and the
 * edits, config.json written) is ~0.8 ms, all of it on the start's
 * critical path. runc itself needs 1.5-4 ms after its exec before it opens
 * config.json (the Go runtime, its flags). Started as soon as config.json's
 * bytes say the container may ask for a GPU, runc does that while we parse
 * and make the edits: they no longer lengthen a start.
 *
 * Only for runc (the program's name is runc or docker-runc): it opens
 * config.json once and reads it to the end with a streaming decoder; it
 * does nothing before that which would outlive being killed. Other
 * runtimes, whose way of reading it we have not checked, get config.json
 * written first, as before. NVCR_EARLY_START=0 in the engine's
 * environment turns it off (to compare, in bench/runtime.sh).
 */
#ifndef NVCR_APPLY_EARLY_START_H
#define NVCR_APPLY_EARLY_START_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "nvcr.h"
#include "oci/spec-fifo.h"
#include "oci/spec.h"

struct early_start {
        char *const *argv; /* the runtime's create command line, argv[0] its path */
        int bundlefd;      /* the bundle (not owned; set by shim_prepare_bundle) */
        pid_t pid;         /* > 0 once started */
        int pidfd;
        struct spec_fifo fifo;
};

#define EARLY_START_INIT {.bundlefd = -1, .pidfd = -1, .fifo = SPEC_FIFO_INIT}

/* Whether the runtime at `path` may be started early (see above). */
bool early_start_suits(const char *path);

/*
 * Whether config.json's bytes may ask for a GPU (they name a way to ask
 * for one): only then is the runtime started early.
 */
bool early_start_may_need(const char *buf, size_t len);

/*
 * Puts the FIFO in config.json's place and starts e->argv. 1: started;
 * 0: not started and nothing changed (no FIFO here, no pidfd: the caller
 * writes config.json and starts the runtime as usual).
 */
int early_start_begin(struct early_start *e);

/*
 * The edited document becomes config.json, for the started runtime and in
 * the bundle. -errno with err: the runtime was killed before it read the
 * end, and the original config.json is back (early_start_abort).
 */
int early_start_feed(struct early_start *e, const struct oci_spec *spec, struct nvcr_err *err);

/* Nothing was edited: the original config.json, bytes and file, for the runtime. */
int early_start_feed_unchanged(struct early_start *e, const char *buf, size_t len,
                               struct nvcr_err *err);

/*
 * Our part failed after the start: the runtime, which is still waiting for
 * the end of config.json and so has done nothing, is killed and reaped, and
 * the original config.json put back. Should that fail, err's message says
 * so after its own.
 */
void early_start_abort(struct early_start *e, struct nvcr_err *err);

/*
 * Before waiting for the runtime: holds the FIFO until the runtime has read
 * all of it or has exited (oci/spec-fifo.h, step 5). Call it after our own
 * work during create; it returns at once in the common case.
 */
void early_start_settle(struct early_start *e);

/* Lets the FIFO go, closes the pidfd (the caller waits for e->pid as for any child). */
void early_start_clear(struct early_start *e);

#endif
