/* SPDX-License-Identifier: Apache-2.0 */
/* NULL-terminated string vectors (argv/env style), owned copies. */
#ifndef NVCR_CORE_STRV_H
#define NVCR_CORE_STRV_H

#include <stddef.h>

/* A deep copy; NULL for NULL. Sets errno = ENOMEM and returns NULL on failure
   (distinguish from a NULL input by checking v). */
char **strv_copy(const char *const *v);
size_t strv_len(const char *const *v);
/* Appends a copy of s; returns 0 or -ENOMEM (v unchanged then). */
int strv_push(char ***v, const char *s);
void strv_free(char **v);
void strv_freep(char ***v);

#endif
