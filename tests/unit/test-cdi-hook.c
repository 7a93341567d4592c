/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the CDI hooks' plumbing: flag parsing in the reference's
 * style, lexical path cleaning, --folder checks, and the dispatcher's
 * answers that need no container (help, unknown hook, bad flags).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cdihook/cdihook.h"
#include "cdihook/hook.h"
#include "cdihook/ldcache-update.h"
#include "core/macro.h"
#include "core/strv.h"

static void test_flags(void **state)
{
        char **list = NULL;
        char *str = NULL;
        bool on = false, help = false;
        const struct hook_flag flags[] = {
                {.name = "link", .kind = HOOK_FLAG_LIST, .usage = "", .list = &list},
                {.name = "mode", .kind = HOOK_FLAG_STRING, .usage = "", .str = &str},
                {.name = "flag", .alias = "f", .kind = HOOK_FLAG_BOOL, .usage = "", .on = &on},
        };
        char *argv[] = {(char *)"h", (char *)"--link", (char *)"a::/b", (char *)"-link=c::/d",
                        (char *)"--mode=755", (char *)"-f", (char *)"--link", (char *)"e::/f"};
        struct nvcr_err err = {0};

        (void)state;
        assert_int_equal(hook_parse_flags(ARRAY_SIZE(argv), argv, flags, ARRAY_SIZE(flags),
                                          &help, &err),
                         0);
        assert_false(help);
        assert_int_equal(strv_len((const char *const *)list), 3);
        assert_string_equal(list[1], "c::/d");
        assert_string_equal(str, "755");
        assert_true(on);
        strv_free(list);
        list = NULL;

        char *bad1[] = {(char *)"h", (char *)"--nope"};
        assert_int_equal(hook_parse_flags(2, bad1, flags, ARRAY_SIZE(flags), &help, &err),
                         -EINVAL);
        assert_non_null(strstr(err.msg, "not defined"));
        char *bad2[] = {(char *)"h", (char *)"--link"};
        assert_int_equal(hook_parse_flags(2, bad2, flags, ARRAY_SIZE(flags), &help, &err),
                         -EINVAL);
        char *bad3[] = {(char *)"h", (char *)"positional"};
        assert_int_equal(hook_parse_flags(2, bad3, flags, ARRAY_SIZE(flags), &help, &err),
                         -EINVAL);
        char *bad4[] = {(char *)"h", (char *)"--flag=maybe"};
        assert_int_equal(hook_parse_flags(2, bad4, flags, ARRAY_SIZE(flags), &help, &err),
                         -EINVAL);
        char *h[] = {(char *)"h", (char *)"--help", (char *)"--nope"};
        assert_int_equal(hook_parse_flags(3, h, flags, ARRAY_SIZE(flags), &help, &err), 0);
        assert_true(help);
        strv_free(list);
}

static void check_clean(const char *in, const char *want)
{
        struct nvcr_err err = {0};
        char *out = NULL;

        assert_int_equal(hook_clean_path(in, &out, &err), 0);
        assert_string_equal(out, want);
        free(out);
}

static void test_clean_path(void **state)
{
        struct nvcr_err err = {0};
        char *out = NULL;

        (void)state;
        check_clean("/usr/lib/x", "/usr/lib/x");
        check_clean("usr//lib/./x/", "/usr/lib/x");
        check_clean("/../../../etc/passwd", "/etc/passwd");
        check_clean("/a/b/../../../c", "/c");
        check_clean("/a/..", "/");
        check_clean("/", "/");
        assert_int_equal(hook_clean_path("", &out, &err), -EINVAL);
        assert_int_equal(hook_clean_path("/a\nb", &out, &err), -EINVAL);
}

static void test_folder_check(void **state)
{
        struct nvcr_err err = {0};
        char *out = NULL;

        (void)state;
        assert_int_equal(ldconf_check_folder("/usr/lib/../lib/x86_64-linux-gnu/", &out, &err), 0);
        assert_string_equal(out, "/usr/lib/x86_64-linux-gnu");
        free(out);
        assert_int_equal(ldconf_check_folder("relative", &out, &err), -EINVAL);
        assert_int_equal(ldconf_check_folder("/a b", &out, &err), -EINVAL);
        assert_int_equal(ldconf_check_folder("/a#b", &out, &err), -EINVAL);
        assert_int_equal(ldconf_check_folder("/a\nb", &out, &err), -EINVAL);
        assert_int_equal(ldconf_check_folder("/a=libc6", &out, &err), -EINVAL);
}

/* cdi_hook_main clears the environment; cmocka reads its output format from it. */
static int run_hook(int argc, char **argv)
{
        int r = cdi_hook_main(argc, argv, "nvidia-cdi-hook", false);

        (void)setenv("CMOCKA_MESSAGE_OUTPUT", "TAP", 1);
        return r;
}

static void test_dispatch(void **state)
{
        char *unknown[] = {(char *)"nvidia-cdi-hook", (char *)"no-such-hook", NULL};
        char *noop[] = {(char *)"nvidia-cdi-hook", (char *)"noop", NULL};
        char *badflag[] = {(char *)"nvidia-cdi-hook", (char *)"create-symlinks",
                           (char *)"--bogus", NULL};
        char *badmode[] = {(char *)"nvidia-cdi-hook", (char *)"chmod", (char *)"--mode=rwx",
                           (char *)"--path=/x", NULL};
        char *badlink[] = {(char *)"nvidia-cdi-hook", (char *)"update-ldcache",
                           (char *)"--folder", (char *)"relative", NULL};

        (void)state;
        assert_int_equal(run_hook(2, unknown), 0);
        assert_int_equal(run_hook(2, noop), 0);
        assert_int_equal(run_hook(3, badflag), 1);
        assert_int_equal(run_hook(4, badmode), 1);
        assert_int_equal(run_hook(4, badlink), 1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_flags),
                cmocka_unit_test(test_clean_path),
                cmocka_unit_test(test_folder_check),
                cmocka_unit_test(test_dispatch),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
