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

/*
 * Across execve, from the runtime's front (cmd/runtime/front.c), which
 * starts runc early, to the full runtime, which makes the edits and feeds
 * them (the front is built without json-c and the driver code, so that it
 * starts in microseconds; see docs/architecture.md). The state travels in
 * EARLY_START_ENV: runc's pid, its pidfd, the FIFO and the bundle as
 * inherited descriptors, and the original config.json's name.
 */
#define EARLY_START_ENV "NVCR_EARLY_START_STATE"

/*
 * In the front, after early_start_begin: lets the three descriptors survive
 * the exec and writes "NAME=VALUE" for the full runtime's environment into
 * buf. -ENAMETOOLONG / -errno (then nothing changed).
 */
int early_start_hand_over(struct early_start *e, char *buf, size_t size);

/*
 * In the full runtime, first thing: takes over what the front started, and
 * removes EARLY_START_ENV from the environment. 1: e holds it (pid, pidfd,
 * fifo, bundlefd, all close-on-exec again; the bundle fd is the caller's to
 * close); 0: nothing was handed over; -errno with err: the value does not
 * describe a runtime the front started (a child of ours, its pidfd, a FIFO
 * and the original config.json in a directory): nothing is taken, nothing
 * touched.
 */
int early_start_take_over(struct early_start *e, struct nvcr_err *err);

#endif
