/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.json handed over through a FIFO, so that the low-level runtime can
 * be started before our edits to it are made (apply/early-start.h).
 *
 * Why: runc spends its first 1.5-4 ms (Go runtime, flag parsing) before it
 * opens <bundle>/config.json, and reads it once with a streaming decoder.
 * Making the edits of a GPU container takes us ~0.6 ms. With a FIFO
 * standing in for config.json while runc starts, the two overlap.
 *
 * How, on the bundle directory:
 *   1. a FIFO is made beside config.json (".config.json.fifo.PID") and
 *      opened read-write: the pipe then lives as long as we hold it, and an
 *      open for reading never waits (a lone reader of a FIFO waits for a
 *      writer);
 *   2. renameat2(RENAME_EXCHANGE) swaps it with config.json: config.json is
 *      the FIFO, the original file sits under the FIFO's name;
 *   3. the caller starts the runtime and makes the edits;
 *   4. spec_fifo_feed puts the final bytes into the pipe, then a regular
 *      file with the same bytes over config.json (the FIFO loses its last
 *      name), and removes the original. A runtime that opened config.json
 *      before that reads the pipe; one that opens it after, the file; both
 *      get the same bytes, and so does anyone who reads config.json later;
 *   5. the pipe is held until the runtime has read all of it or has exited
 *      (spec_fifo_drained): a reader that waits for the end of the file
 *      gets it, and one still in the middle of opening the FIFO when it
 *      lost its name finds a writer and the bytes (closing earlier could
 *      leave that one waiting for a writer for ever);
 *   6. or, should our part fail before 4: the runtime is killed while it
 *      still waits for the bytes (it has done nothing yet), and
 *      spec_fifo_restore puts the original back, byte for byte (the same
 *      inode).
 * Should we be killed between 2 and 4, the pipe loses its writer: runc reads
 * an incomplete document and fails; config.json is then the FIFO and the
 * original stays under ".config.json.fifo.PID" (the engine removes the
 * bundle of a failed create).
 * No inotify: closing an inotify instance waits for an SRCU grace period
 * (14-20 ms on the GPU host), longer than the whole create.
 */
#ifndef NVCR_OCI_SPEC_FIFO_H
#define NVCR_OCI_SPEC_FIFO_H

#include <stdbool.h>
#include <stddef.h>

#include "nvcr.h"

struct spec_fifo {
        int dirfd;      /* the bundle (not owned) */
        int fd;         /* the FIFO, read-write; -1 once let go */
        char saved[64]; /* the original config.json's name meanwhile; "" = none */
};

#define SPEC_FIFO_INIT {.dirfd = -1, .fd = -1}

/*
 * Steps 1 and 2. On failure (-errno, err set) nothing has changed: the
 * filesystem may not do FIFOs or the exchange (the caller then writes
 * config.json as usual).
 */
int spec_fifo_swap_in(struct spec_fifo *f, int bundlefd, struct nvcr_err *err);

/*
 * Step 4: `buf` becomes config.json, for the runtime and in the bundle.
 * Bytes that do not fit in the pipe wait for the runtime to read; `pidfd`
 * (the runtime's) ends that wait when it exits. Returns 0: config.json is
 * the new file, the pipe still held (step 5); -errno with err: config.json
 * is still the FIFO with an incomplete document in it, for the caller to
 * kill the runtime and spec_fifo_restore.
 */
int spec_fifo_feed(struct spec_fifo *f, const char *buf, size_t len, int pidfd,
                   struct nvcr_err *err);

/*
 * Step 4 when nothing was edited: `buf` (the original's bytes) into the
 * pipe, and the original file itself back in config.json's place.
 */
int spec_fifo_feed_unchanged(struct spec_fifo *f, const char *buf, size_t len, int pidfd,
                             struct nvcr_err *err);

/* Step 5: whether the pipe is empty (then let go) or already let go. */
bool spec_fifo_drained(struct spec_fifo *f);

/* Lets the pipe go (the runtime has exited). */
void spec_fifo_close(struct spec_fifo *f);

/*
 * Step 6: the original config.json back in place, the pipe let go; -errno
 * with err when the rename failed (the original then stays under the name
 * the message gives). Idempotent.
 */
int spec_fifo_restore(struct spec_fifo *f, struct nvcr_err *err);

#endif
