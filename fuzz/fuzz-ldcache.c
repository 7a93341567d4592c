/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer entry: ldcache_parse on arbitrary bytes must fail cleanly, or
 * give entries whose strings lie, NUL included, inside the cache's own copy
 * of the image; iterating both classes must visit only matching entries.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "driver/ldcache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_string(const struct ldcache *c, const char *s)
{
        const char *end = c->strings + c->strings_len;

        if (s == NULL || s < c->strings || s >= end || memchr(s, '\0', (size_t)(end - s)) == NULL)
                abort();
}

static void walk(const struct ldcache *c, enum ldcache_class cls)
{
        const struct ldcache_entry *e;
        size_t pos = 0, last = 0;

        while ((e = ldcache_next(c, "", cls, &pos)) != NULL) {
                if (pos <= last || pos > c->nentries || e != &c->entries[pos - 1] ||
                    !ldcache_entry_matches(e, cls))
                        abort();
                check_string(c, e->name);
                check_string(c, e->path);
                last = pos;
        }
        if (pos != c->nentries)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct nvcr_err err = { 0 };
        struct ldcache *c = NULL;

        if (ldcache_parse(data, size, &c, &err) < 0) {
                if (c != NULL || err.code == 0 || err.msg[0] == '\0')
                        abort();
                return 0;
        }
        if (c == NULL)
                abort();
        for (size_t i = 0; i < c->nentries; i++) {
                check_string(c, c->entries[i].name);
                check_string(c, c->entries[i].path);
        }
        walk(c, LDCACHE_NATIVE);
        walk(c, LDCACHE_COMPAT32);
        ldcache_free(c);
        return 0;
}
