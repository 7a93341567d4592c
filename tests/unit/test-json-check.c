/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json_well_formed (the runtime front's check before handing config.json to
 * runc untouched): what it accepts, what it refuses, and that everything it
 * accepts json-c's strict parser accepts too (the front must never be looser).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "core/json-check.h"
#include "core/json-strict.h"

static bool ok(const char *s)
{
        return json_well_formed(s, strlen(s), 64);
}

/* Both checks agree on s (json-c strict, the same depth). */
static void agree(const char *s, bool expect)
{
        struct nvcr_err err = {0};
        struct json_object *o = NULL;
        bool strict = json_parse_strict(s, strlen(s), 64, "t", &o, &err) == 0;

        json_putp(&o);
        if (ok(s) != expect || (expect && !strict)) {
                print_error("%s: check %d, json-c %d, expected %d\n", s, ok(s), strict, expect);
                fail();
        }
}

static void test_accepts(void **state)
{
        (void)state;
        agree("{}", true);
        agree(" [ ] ", true);
        agree("{\"a\":[1,-2.5e+3,0,true,false,null,\"x\\u00e9\\n\"],\"b\":{\"c\":{}}}", true);
        agree("\"str\"", true);
        agree("0", true);
        agree("{\"ociVersion\":\"1.0.2\",\"process\":{\"env\":[\"PATH=/bin\"]}}\n", true);
}

static void test_refuses(void **state)
{
        (void)state;
        const char *bad[] = {
                "", " ", "{", "{\"ociVersion\": \"1.0.2\", \"process\": {", "[1,]", "{\"a\":1,}",
                "{\"a\" 1}", "{a:1}", "[01]", "[1.]", "[.5]", "[1e]", "[-]", "[tru]", "[nul]",
                "\"\\x\"", "\"\\u12g4\"", "\"tab\there\"", "{} {}", "[1] x", "'s'", "[NaN]",
        };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                agree(bad[i], false);
        assert_false(json_well_formed("[\"a\0\"]", 6, 64));
}

static void test_depth(void **state)
{
        char deep[300];

        (void)state;
        memset(deep, '[', 64);
        memset(deep + 64, ']', 64);
        deep[128] = '\0';
        agree(deep, true);
        memset(deep, '[', 65);
        memset(deep + 65, ']', 65);
        deep[130] = '\0';
        assert_false(ok(deep));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_accepts),
                cmocka_unit_test(test_refuses),
                cmocka_unit_test(test_depth),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
