/* SPDX-License-Identifier: Apache-2.0 */
#ifndef NVCR_CORE_ERR_H
#define NVCR_CORE_ERR_H

#include <errno.h>

#include "nvcr.h"

/*
 * nvcr_err_set: record "<formatted message>" with errno `code` (sign ignored)
 * and return -code. nvcr_err_setsys appends ": strerror(code)".
 * nvcr_err_wrap prefixes "<context>: " to the message already recorded and
 * returns -err->code. All accept err == NULL.
 */
int nvcr_err_set(struct nvcr_err *err, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
int nvcr_err_setsys(struct nvcr_err *err, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
int nvcr_err_wrap(struct nvcr_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
