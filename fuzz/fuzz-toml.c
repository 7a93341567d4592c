/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer entry: the input as config.toml. toml_parse must succeed or fail
 * with "<name>:..." in the message; a parsed tree is walked (every node
 * checked for its invariants) and decoded as a configuration with
 * config_parse, whose answer must be a success or a documented error.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/toml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "fuzz.toml"

static void check_err(int r, const struct nvcr_err *err)
{
        if (err->code != -r || err->msg[0] == '\0' ||
            strnlen(err->msg, sizeof(err->msg)) == sizeof(err->msg))
                abort();
        if (r != -EINVAL && r != -EFBIG && r != -ENOMEM)
                abort();
        if (strncmp(err->msg, NAME ":", strlen(NAME ":")) != 0)
                abort();
}

static size_t walk(const struct toml_node *n, unsigned depth, unsigned max_line)
{
        size_t count = 1;

        if (depth > TOML_MAX_DEPTH || n->line > max_line)
                abort();
        switch (n->type) {
        case TOML_TABLE:
                for (size_t i = 0; i < n->nitems; i++) {
                        const struct toml_node *c = n->items[i];

                        if (c->key == NULL || toml_child(n, c->key) != c)
                                abort(); /* keys are unique */
                        count += walk(c, c->type == TOML_TABLE ? depth + 1 : depth, max_line);
                }
                break;
        case TOML_ARRAY:
                for (size_t i = 0; i < n->nitems; i++) {
                        const struct toml_node *e = n->items[i];

                        if (e->key != NULL || e->type == TOML_ARRAY || e->type == TOML_TABLE)
                                abort();
                        count += walk(e, depth, max_line);
                }
                break;
        case TOML_STRING:
                if (n->str == NULL || n->nitems != 0)
                        abort();
                break;
        case TOML_INT:
        case TOML_BOOL:
                if (n->nitems != 0)
                        abort();
                break;
        default:
                abort();
        }
        return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct nvcr_err err = { 0 };
        struct toml_doc *doc = NULL;
        struct nvcr_config cfg;
        unsigned lines = 1;
        int r, rc;

        for (size_t i = 0; i < size; i++)
                lines += data[i] == '\n';
        r = toml_parse(NAME, (const char *)data, size, &doc, &err);
        if (r < 0) {
                check_err(r, &err);
                if (doc != NULL)
                        abort();
        } else {
                const char *s;
                char **v = NULL;
                bool b;

                if (err.code != 0 || doc == NULL || doc->root.type != TOML_TABLE)
                        abort();
                if (walk(&doc->root, 0, lines) > 1 + TOML_MAX_KEYS + TOML_MAX_ELEMS)
                        abort();
                (void)toml_get_string(doc, "nvidia-container-cli", "ldconfig", &s, NULL);
                (void)toml_get_bool(doc, "a.b.c", "d", &b, NULL);
                if (toml_get_string_array(doc, "nvidia-container-runtime", "runtimes", &v, NULL) >
                    0)
                        toml_strv_free(v);
                toml_free(doc);
        }

        memset(&err, 0, sizeof(err));
        rc = config_parse(NAME, (const char *)data, size, &cfg, &err);
        if (rc < 0) {
                check_err(rc, &err);
        } else {
                /* Every parse that config_parse accepts, toml_parse accepts. */
                if (r < 0 || cfg.cli.ldconfig == NULL || cfg.runtime.runtimes == NULL)
                        abort();
                config_free(&cfg);
        }
        return 0;
}
