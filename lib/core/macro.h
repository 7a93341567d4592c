/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Cleanup helpers and small macros used everywhere in the library.
 *
 * Every resource a function acquires lives in a variable declared with one of
 * the _cleanup_ attributes, initialised where it is declared, so that every
 * early return releases it. Ownership is handed over with steal_ptr/steal_fd.
 */
#ifndef NVCR_CORE_MACRO_H
#define NVCR_CORE_MACRO_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_closedir_ _cleanup_(closedirp)
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void freep(void *p)
{
        free(*(void **)p);
}

static inline void closep(const int *fd)
{
        if (*fd >= 0)
                (void)close(*fd);
}

static inline void fclosep(FILE **f)
{
        if (*f != NULL)
                (void)fclose(*f);
}

static inline void closedirp(DIR **d)
{
        if (*d != NULL)
                (void)closedir(*d);
}

#define steal_ptr(pp)                                                                              \
        __extension__({                                                                                         \
                __typeof__(*(pp)) _t = *(pp);                                                      \
                *(pp) = NULL;                                                                      \
                _t;                                                                                \
        })

#define steal_fd(fp)                                                                               \
        __extension__({                                                                                         \
                int _t = *(fp);                                                                    \
                *(fp) = -EBADF;                                                                    \
                _t;                                                                                \
        })

/* Negative errno of the last failed libc call, never 0. */
static inline int neg_errno(void)
{
        return errno > 0 ? -errno : -EIO;
}

#endif
