/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one error convention of the project: a failing function returns a
 * negative errno and fills the caller-owned struct nvcr_err (which may be
 * NULL) with a message saying what failed, on which path, and why. The
 * message lives in a fixed buffer, so dropping an error costs nothing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"

int nvcr_err_set(struct nvcr_err *err, int code, const char *fmt, ...)
{
        va_list ap;

        if (code < 0)
                code = -code;
        if (code == 0)
                code = EIO;
        if (err == NULL)
                return -code;
        err->code = code;
        va_start(ap, fmt);
        (void)vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
        return -code;
}

int nvcr_err_setsys(struct nvcr_err *err, int code, const char *fmt, ...)
{
        char buf[NVCR_ERR_MSG_MAX];
        va_list ap;

        if (code < 0)
                code = -code;
        if (code == 0)
                code = EIO;
        if (err == NULL)
                return -code;
        va_start(ap, fmt);
        (void)vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        err->code = code;
        (void)snprintf(err->msg, sizeof(err->msg), "%s: %s", buf, strerror(code));
        return -code;
}

int nvcr_err_wrap(struct nvcr_err *err, const char *fmt, ...)
{
        char ctx[NVCR_ERR_MSG_MAX];
        char old[NVCR_ERR_MSG_MAX];
        va_list ap;

        if (err == NULL)
                return -EIO;
        if (err->code == 0)
                err->code = EIO;
        va_start(ap, fmt);
        (void)vsnprintf(ctx, sizeof(ctx), fmt, ap);
        va_end(ap);
        memcpy(old, err->msg, sizeof(old));
        (void)snprintf(err->msg, sizeof(err->msg), "%s: %s", ctx, old);
        return -err->code;
}

void nvcr_err_clear(struct nvcr_err *err)
{
        if (err == NULL)
                return;
        err->code = 0;
        err->msg[0] = '\0';
}
