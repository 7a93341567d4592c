/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nvcr_caps_parse: the capability list of NVIDIA_DRIVER_CAPABILITIES and of
 * the CLI's --compute/--utility/… flags.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "nvcr.h"

#define SENTINEL 0xdeadbeefu

static void test_single_names(void **state)
{
        static const struct {
                const char *name;
                unsigned cap;
        } names[] = {
                {"compute", NVCR_CAP_COMPUTE},   {"utility", NVCR_CAP_UTILITY},
                {"video", NVCR_CAP_VIDEO},       {"graphics", NVCR_CAP_GRAPHICS},
                {"display", NVCR_CAP_DISPLAY},   {"ngx", NVCR_CAP_NGX},
                {"compat32", NVCR_CAP_COMPAT32}, {"all", NVCR_CAP_ALL},
        };
        (void)state;

        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                struct nvcr_err err = {0};
                unsigned caps = SENTINEL;

                assert_int_equal(nvcr_caps_parse(names[i].name, &caps, &err), 0);
                assert_int_equal(caps, names[i].cap);
                assert_int_equal(err.code, 0);
        }
}

static void test_compute_utility(void **state)
{
        struct nvcr_err err = {0};
        unsigned caps = SENTINEL;
        (void)state;

        assert_int_equal(nvcr_caps_parse("compute,utility", &caps, &err), 0);
        assert_int_equal(caps, NVCR_CAP_COMPUTE | NVCR_CAP_UTILITY);
        /* Order and repetition do not matter. */
        caps = SENTINEL;
        assert_int_equal(nvcr_caps_parse("utility,compute,utility", &caps, &err), 0);
        assert_int_equal(caps, NVCR_CAP_COMPUTE | NVCR_CAP_UTILITY);
}

static void test_all(void **state)
{
        unsigned caps = SENTINEL;
        (void)state;

        assert_int_equal(nvcr_caps_parse("all", &caps, NULL), 0);
        assert_int_equal(caps, NVCR_CAP_ALL);
        assert_int_equal(caps, NVCR_CAP_COMPUTE | NVCR_CAP_UTILITY | NVCR_CAP_VIDEO |
                                       NVCR_CAP_GRAPHICS | NVCR_CAP_DISPLAY | NVCR_CAP_NGX |
                                       NVCR_CAP_COMPAT32);
        caps = SENTINEL;
        assert_int_equal(nvcr_caps_parse("compute,all", &caps, NULL), 0);
        assert_int_equal(caps, NVCR_CAP_ALL);
}

static void test_whitespace_and_empty_tokens(void **state)
{
        struct nvcr_err err = {0};
        unsigned caps = SENTINEL;
        (void)state;

        assert_int_equal(nvcr_caps_parse(" compute , ,video", &caps, &err), 0);
        assert_int_equal(caps, NVCR_CAP_COMPUTE | NVCR_CAP_VIDEO);
        caps = SENTINEL;
        assert_int_equal(nvcr_caps_parse(",,\tgraphics\t,\n,", &caps, &err), 0);
        assert_int_equal(caps, NVCR_CAP_GRAPHICS);
        caps = SENTINEL;
        assert_int_equal(nvcr_caps_parse("utility,", &caps, &err), 0);
        assert_int_equal(caps, NVCR_CAP_UTILITY);
        caps = SENTINEL;
        assert_int_equal(nvcr_caps_parse(",ngx", &caps, &err), 0);
        assert_int_equal(caps, NVCR_CAP_NGX);
}

static void test_empty(void **state)
{
        unsigned caps = SENTINEL;
        (void)state;

        assert_int_equal(nvcr_caps_parse("", &caps, NULL), 0);
        assert_int_equal(caps, 0);
        caps = SENTINEL;
        assert_int_equal(nvcr_caps_parse(" , ,, ", &caps, NULL), 0);
        assert_int_equal(caps, 0);
}

static void test_unknown(void **state)
{
        struct nvcr_err err = {0};
        unsigned caps = SENTINEL;
        (void)state;

        assert_int_equal(nvcr_caps_parse("compute,bogus,utility", &caps, &err), -EINVAL);
        assert_int_equal(err.code, EINVAL);
        assert_non_null(strstr(err.msg, "bogus"));
        /* The name is quoted trimmed and alone, not with the rest of the list. */
        assert_null(strstr(err.msg, "utility"));
        assert_null(strstr(err.msg, "compute"));
        /* Nothing is stored on failure. */
        assert_int_equal(caps, SENTINEL);

        /* NULL err is accepted. */
        assert_int_equal(nvcr_caps_parse("nope", &caps, NULL), -EINVAL);
        assert_int_equal(caps, SENTINEL);

        memset(&err, 0, sizeof(err));
        assert_int_equal(nvcr_caps_parse("  nope  ", &caps, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "nope"));
        /* Quoted trimmed: neither the leading nor the trailing blanks. */
        assert_null(strstr(err.msg, "  nope"));
        assert_null(strstr(err.msg, "nope "));
}

static void test_prefixes_are_not_names(void **state)
{
        static const char *const bad[] = {"comp", "computer", "al", "allx", "compute32",
                                          "compat", "video-", "util"};
        (void)state;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct nvcr_err err = {0};
                unsigned caps = SENTINEL;

                assert_int_equal(nvcr_caps_parse(bad[i], &caps, &err), -EINVAL);
                assert_non_null(strstr(err.msg, bad[i]));
                assert_int_equal(caps, SENTINEL);
        }
}

/* As in the reference (strcmp against the names): names are lower case only. */
static void test_case_sensitive(void **state)
{
        struct nvcr_err err = {0};
        unsigned caps = SENTINEL;
        (void)state;

        assert_int_equal(nvcr_caps_parse("Compute", &caps, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "Compute"));
        assert_int_equal(nvcr_caps_parse("ALL", &caps, NULL), -EINVAL);
        assert_int_equal(nvcr_caps_parse("utility,VIDEO", &caps, NULL), -EINVAL);
        assert_int_equal(caps, SENTINEL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_single_names),
                cmocka_unit_test(test_compute_utility),
                cmocka_unit_test(test_all),
                cmocka_unit_test(test_whitespace_and_empty_tokens),
                cmocka_unit_test(test_empty),
                cmocka_unit_test(test_unknown),
                cmocka_unit_test(test_prefixes_are_not_names),
                cmocka_unit_test(test_case_sensitive),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
