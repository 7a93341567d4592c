/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The edits handed to the runtime started early (apply/early-start.h); apart
 * from early-start.c because it serialises the spec (json-c), which the
 * runtime's front, which starts runc, is built without.
 */
#include "apply/early-start.h"
#include "core/err.h"
#include "core/macro.h"
#include "core/testpoint.h"

int early_start_feed(struct early_start *e, const struct oci_spec *spec, struct nvcr_err *err)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        int r;

        r = spec_serialize(spec, &buf, &len, err);
        /* A test holds us here until runc has the FIFO open: the pipe's path. */
        test_pause("early-start-feed");
        if (r >= 0)
                r = spec_fifo_feed(&e->fifo, buf, len, e->pidfd, err);
        if (r < 0)
                early_start_abort(e, err);
        return r;
}

int early_start_feed_unchanged(struct early_start *e, const char *buf, size_t len,
                               struct nvcr_err *err)
{
        int r = spec_fifo_feed_unchanged(&e->fifo, buf, len, e->pidfd, err);

        if (r < 0)
                early_start_abort(e, err);
        return r;
}
