/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.json handed over through a FIFO, so that the low-level runtime can
 * be started before our edits to it are made (apply/early-start.h).
 *
 * Why: runc spends its first 1.5-4 ms (Go runtime, flag parsing) before it
 * opens <bundle>/config.json, and reads it once, front to back, with a
 * streaming decoder. Making the edits of a GPU container takes us ~0.6 ms.
 * With a FIFO standing in for config.json while runc starts, the two
 * overlap, and the edits cost a start nothing.
 *
 * How, on the bundle directory:
 *   1. a FIFO is made beside config.json (".config.json.fifo.PID") and
 *      opened read-write: the pipe then lives as long as we hold it, and an
 *      open for reading never blocks (a lone reader of a FIFO waits for a
 *      writer); an inotify watch reports the reader's open;
 *   2. renameat2(RENAME_EXCHANGE) swaps it with config.json: config.json is
 *      the FIFO, the original file sits under the FIFO's name;
 *   3. the caller starts the runtime and makes the edits;
 *   4. spec_fifo_feed writes the final bytes to a new regular file and into
 *      the pipe, waits until the runtime has opened the FIFO (or has exited),
 *      renames the regular file over config.json, and only then closes the
 *      pipe: the runtime reads the bytes and then the end. Any later reader
 *      of config.json (a hook, the engine) finds the regular file; the
 *      original is removed;
 *   5. or, should our part fail: the runtime is killed while it still waits
 *      for the end of the file (it has done nothing yet), and
 *      spec_fifo_restore puts the original back, byte for byte (the same
 *      inode).
 * Nothing blocks for ever: every wait also watches the runtime's exit.
 * Only for a runtime known to read config.json this way (runc); see
 * early-start.h.
 */
#ifndef NVCR_OCI_SPEC_FIFO_H
#define NVCR_OCI_SPEC_FIFO_H

#include <stddef.h>

#include "nvcr.h"

struct spec_fifo {
        int dirfd;      /* the bundle (not owned) */
        int fd;         /* the FIFO, read-write */
        int watch;      /* inotify: the FIFO opened by someone else */
        char saved[64]; /* the original config.json's name meanwhile; "" = none */
};

#define SPEC_FIFO_INIT {.dirfd = -1, .fd = -1, .watch = -1}

/*
 * Steps 1 and 2. On failure (-errno, err set) nothing has changed: the
 * filesystem may not do FIFOs or the exchange (the caller then writes
 * config.json as usual).
 */
int spec_fifo_swap_in(struct spec_fifo *f, int bundlefd, struct nvcr_err *err);

/*
 * Step 4: `buf` becomes config.json, for the runtime (through the pipe) and
 * for the bundle. `pidfd`: the runtime's; its exit ends the wait (it then
 * failed on its own and says why). Returns 0, the FIFO gone; -errno with
 * err when config.json could not be put in place: the pipe is still held
 * (the runtime has not seen the end of the file), for the caller to kill
 * the runtime and spec_fifo_restore.
 */
int spec_fifo_feed(struct spec_fifo *f, const char *buf, size_t len, int pidfd,
                   struct nvcr_err *err);

/*
 * Step 5: the original config.json back in place, fds closed; -errno with
 * err when the rename failed (the original then stays under f->saved's
 * name, which the message gives). Idempotent.
 */
int spec_fifo_restore(struct spec_fifo *f, struct nvcr_err *err);

#endif
