/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nvcr_require_check on a hand-built inventory: CUDA 12.4, driver 550.54.15,
 * GPU 0 a "Tesla" of arch 9.0, GPU 1 a "Quadro" of arch 8.0 with one MIG
 * device. Selections are built by hand as well.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nvcr.h"

#define HINT ", please update your driver to a newer version, or use an earlier cuda container"

struct fixture {
        char cuda[32];
        char driver[32];
        char arch[2][16];
        char brand[2][32];
        struct nvcr_mig mig;
        struct nvcr_gpu gpus[2];
        struct nvcr_inventory inv;
        /* selection storage */
        const struct nvcr_gpu *sel_gpus[2];
        const struct nvcr_mig *sel_migs[1];
        const struct nvcr_gpu *sel_parents[1];
        struct nvcr_selection sel;
};

static int fx_setup(void **state)
{
        struct fixture *fx = calloc(1, sizeof(*fx));

        assert_non_null(fx);
        strcpy(fx->cuda, "12.4");
        strcpy(fx->driver, "550.54.15");
        strcpy(fx->arch[0], "9.0");
        strcpy(fx->arch[1], "8.0");
        strcpy(fx->brand[0], "Tesla");
        strcpy(fx->brand[1], "Quadro");
        for (unsigned i = 0; i < 2; i++) {
                fx->gpus[i].index = i;
                fx->gpus[i].minor = i;
                fx->gpus[i].arch = fx->arch[i];
                fx->gpus[i].brand = fx->brand[i];
        }
        fx->mig.gi = 1;
        fx->gpus[1].mig_enabled = true;
        fx->gpus[1].nmigs = 1;
        fx->gpus[1].migs = &fx->mig;
        fx->inv.cuda_version = fx->cuda;
        fx->inv.driver_version = fx->driver;
        fx->inv.ngpus = 2;
        fx->inv.gpus = fx->gpus;
        fx->sel.gpus = fx->sel_gpus;
        fx->sel.migs = fx->sel_migs;
        fx->sel.mig_parents = fx->sel_parents;
        *state = fx;
        return 0;
}

static int fx_teardown(void **state)
{
        free(*state);
        return 0;
}

/* Selects these GPU indices (no MIG device). */
static const struct nvcr_selection *sel_gpus(struct fixture *fx, size_t n, const unsigned *idx)
{
        fx->sel.ngpus = n;
        for (size_t i = 0; i < n; i++)
                fx->sel_gpus[i] = &fx->gpus[idx[i]];
        fx->sel.nmigs = 0;
        return &fx->sel;
}

static const struct nvcr_selection *sel_none(struct fixture *fx)
{
        return sel_gpus(fx, 0, NULL);
}

static const struct nvcr_selection *sel_gpu(struct fixture *fx, unsigned i)
{
        return sel_gpus(fx, 1, &i);
}

static const struct nvcr_selection *sel_both(struct fixture *fx)
{
        static const unsigned both[] = {0, 1};

        return sel_gpus(fx, 2, both);
}

static int check_n(const struct nvcr_inventory *inv, const struct nvcr_selection *sel,
                   const char *const *exprs, size_t n, struct nvcr_err *err)
{
        memset(err, 0, sizeof(*err));
        return nvcr_require_check(inv, sel, exprs, n, err);
}

static void expect_ok_n(const struct nvcr_inventory *inv, const struct nvcr_selection *sel,
                        const char *const *exprs, size_t n)
{
        struct nvcr_err err;
        int r = check_n(inv, sel, exprs, n, &err);

        if (r != 0)
                print_error("'%s'...: %d %s\n", n > 0 && exprs[0] ? exprs[0] : "", r, err.msg);
        assert_int_equal(r, 0);
        assert_int_equal(err.code, 0);
        assert_string_equal(err.msg, "");
}

static void expect_ok(const struct nvcr_inventory *inv, const struct nvcr_selection *sel,
                      const char *expr)
{
        expect_ok_n(inv, sel, &expr, 1);
}

static void expect_unsat_n(const struct nvcr_inventory *inv, const struct nvcr_selection *sel,
                           const char *const *exprs, size_t n, const char *msg)
{
        struct nvcr_err err;
        int r = check_n(inv, sel, exprs, n, &err);

        if (r != -EPERM)
                print_error("'%s'...: %d %s\n", exprs[0], r, err.msg);
        assert_int_equal(r, -EPERM);
        assert_int_equal(err.code, EPERM);
        assert_string_equal(err.msg, msg);
}

/* Unsatisfied, with the message naming `clause`. */
static void expect_unsat(const struct nvcr_inventory *inv, const struct nvcr_selection *sel,
                         const char *expr, const char *clause)
{
        char msg[NVCR_ERR_MSG_MAX];

        (void)snprintf(msg, sizeof(msg), "unsatisfied condition: %s", clause);
        expect_unsat_n(inv, sel, &expr, 1, msg);
}

/* Unsatisfied, with the message being the expression itself (one clause). */
static void expect_no(const struct nvcr_inventory *inv, const struct nvcr_selection *sel,
                      const char *expr)
{
        char msg[NVCR_ERR_MSG_MAX];

        (void)snprintf(msg, sizeof(msg), "unsatisfied condition: %s%s", expr,
                       strncmp(expr, "cuda>=", 6) == 0 ? HINT : "");
        expect_unsat_n(inv, sel, &expr, 1, msg);
}

static void expect_invalid_n(const struct nvcr_inventory *inv, const struct nvcr_selection *sel,
                             const char *const *exprs, size_t n)
{
        struct nvcr_err err;
        int r = check_n(inv, sel, exprs, n, &err);

        if (r != -EINVAL)
                print_error("'%s'...: %d %s\n", n > 0 && exprs && exprs[0] ? exprs[0] : "", r,
                            err.msg);
        assert_int_equal(r, -EINVAL);
        assert_int_equal(err.code, EINVAL);
        assert_true(strncmp(err.msg, "invalid expression", strlen("invalid expression")) == 0);
        assert_true(err.msg[18] == '\0' || err.msg[18] == ':');
}

static void expect_invalid(const struct nvcr_inventory *inv, const struct nvcr_selection *sel,
                           const char *expr)
{
        expect_invalid_n(inv, sel, &expr, 1);
}

/* ------------------------------------------------------------------ tests */

static void test_ops(void **state)
{
        struct fixture *fx = *state;
        const struct nvcr_inventory *inv = &fx->inv;

        /* cuda is 12.4 */
        expect_ok(inv, NULL, "cuda=12.4");
        expect_no(inv, NULL, "cuda=12.5");
        expect_ok(inv, NULL, "cuda!=12.5");
        expect_no(inv, NULL, "cuda!=12.4");
        expect_ok(inv, NULL, "cuda<12.5");
        expect_no(inv, NULL, "cuda<12.4");
        expect_no(inv, NULL, "cuda<12.3");
        expect_ok(inv, NULL, "cuda<=12.4");
        expect_ok(inv, NULL, "cuda<=12.5");
        expect_no(inv, NULL, "cuda<=12.3");
        expect_ok(inv, NULL, "cuda>12.3");
        expect_no(inv, NULL, "cuda>12.4");
        expect_no(inv, NULL, "cuda>12.5");
        expect_ok(inv, NULL, "cuda>=12.4");
        expect_ok(inv, NULL, "cuda>=12.3");
        expect_no(inv, NULL, "cuda>=12.5");
        expect_ok(inv, NULL, "cuda>=12");
        expect_ok(inv, NULL, "cuda>12");
        expect_no(inv, NULL, "cuda>=13");
        expect_ok(inv, NULL, "cuda<13");
        /* driver is 550.54.15 */
        expect_ok(inv, NULL, "driver=550.54.15");
        expect_ok(inv, NULL, "driver>=550");
        expect_ok(inv, NULL, "driver<551");
        expect_no(inv, NULL, "driver<550");
        expect_no(inv, NULL, "driver>550.54.15");
        expect_ok(inv, NULL, "driver>550.54.14");
        expect_ok(inv, NULL, "driver>550.54.9"); /* 15 > 9 */
        expect_ok(inv, NULL, "driver=550.054.015"); /* leading zeros */
        expect_ok(inv, NULL, "driver>=0");
}

static void test_version_compare(void **state)
{
        struct fixture *fx = *state;
        const struct nvcr_inventory *inv = &fx->inv;

        /* Numeric per component, not lexical. */
        expect_no(inv, NULL, "cuda>=12.10");
        expect_ok(inv, NULL, "cuda<12.10");
        expect_ok(inv, NULL, "cuda>9");
        expect_ok(inv, NULL, "cuda>9.9");
        strcpy(fx->cuda, "9.0");
        expect_ok(inv, NULL, "cuda<10");
        expect_no(inv, NULL, "cuda>=10");
        expect_ok(inv, NULL, "cuda>=9");

        /* Trailing .0 components do not count. */
        strcpy(fx->cuda, "12");
        expect_ok(inv, NULL, "cuda=12.0");
        expect_ok(inv, NULL, "cuda=12.0.0");
        expect_ok(inv, NULL, "cuda=12.00.000");
        expect_no(inv, NULL, "cuda!=12.0");
        expect_no(inv, NULL, "cuda<12.0");
        expect_ok(inv, NULL, "cuda<=12.0.0");
        expect_ok(inv, NULL, "cuda>=12.0.0");
        expect_no(inv, NULL, "cuda=12.0.1");
        expect_ok(inv, NULL, "cuda<12.0.1");
        expect_no(inv, NULL, "cuda>=12.0.1");
        strcpy(fx->cuda, "12.0");
        expect_ok(inv, NULL, "cuda=12");
        expect_no(inv, NULL, "cuda>12");
        strcpy(fx->cuda, "12.0.1");
        expect_ok(inv, NULL, "cuda>12");
        expect_ok(inv, NULL, "cuda>12.0");
        expect_no(inv, NULL, "cuda=12");
        expect_ok(inv, NULL, "cuda!=12.0");
        expect_no(inv, NULL, "cuda<=12");
        expect_ok(inv, NULL, "cuda<12.1");

        /* Components of any length: no overflow. */
        strcpy(fx->cuda, "12.4");
        expect_no(inv, NULL, "cuda>=99999999999999999999999999999");
        expect_ok(inv, NULL, "cuda<12.99999999999999999999999999999");
        strcpy(fx->cuda, "18446744073709551617");
        expect_ok(inv, NULL, "cuda>18446744073709551616");
        expect_ok(inv, NULL, "cuda=0018446744073709551617.0");
}

static void test_names_any_case(void **state)
{
        struct fixture *fx = *state;
        const struct nvcr_inventory *inv = &fx->inv;
        const struct nvcr_selection *sel = sel_gpu(fx, 0);

        expect_ok(inv, sel, "CUDA>=12");
        expect_ok(inv, sel, "Driver>=550");
        expect_ok(inv, sel, "ARCH=9.0");
        expect_ok(inv, sel, "bRaNd=tesla");
        expect_no(inv, sel, "ArCh<9");
}

static void test_or_and(void **state)
{
        struct fixture *fx = *state;
        const struct nvcr_inventory *inv = &fx->inv;

        /* Clauses are ORed. */
        expect_ok(inv, NULL, "cuda>=13 driver>=550");
        expect_ok(inv, NULL, "driver>=550 cuda>=13");
        expect_unsat(inv, NULL, "cuda>=13 driver>=560", "cuda>=13" HINT);
        /* Terms are ANDed. */
        expect_ok(inv, NULL, "cuda>=12,driver>=550");
        expect_no(inv, NULL, "cuda>=12,driver>=560");
        expect_no(inv, NULL, "driver>=560,cuda>=12");
        expect_ok(inv, NULL, "cuda>=12,driver>=550,driver<551,cuda<12.5");
        /* Both. */
        expect_ok(inv, NULL, "cuda>=13,driver>=550 cuda>=12,driver>=551 cuda>=12,driver<551");
        expect_unsat(inv, NULL, "driver>=551,cuda>=12 cuda>=13,driver>=550 cuda>12.4",
                     "driver>=551,cuda>=12");
        /* Any run of spaces and tabs separates clauses. */
        expect_ok(inv, NULL, "  cuda>=13 \t\t driver>=550  ");
        expect_ok(inv, NULL, "cuda>=13\tdriver>=550");
        /* A real CUDA image's NVIDIA_REQUIRE_CUDA. */
        expect_ok(inv, sel_gpu(fx, 0),
                  "cuda>=12.4 brand=tesla,driver>=470,driver<471 brand=unknown,driver>=470,"
                  "driver<471 brand=nvidia,driver>=470,driver<471");
        /* An expression without any clause asks for nothing. */
        expect_ok(inv, NULL, "");
        expect_ok(inv, NULL, " \t ");
}

static void test_multiple_expressions(void **state)
{
        struct fixture *fx = *state;
        const struct nvcr_inventory *inv = &fx->inv;
        const char *ok[] = {"cuda>=12", "driver>=550", "cuda<13 driver>=999", ""};
        const char *second[] = {"cuda>=12", "driver>=560 cuda>=13", "cuda>=99"};
        const char *first[] = {"cuda>=99 driver>=999", "driver>=560"};

        expect_ok_n(inv, NULL, ok, 4);
        /* The first failing expression is reported. */
        expect_unsat_n(inv, NULL, second, 3, "unsatisfied condition: driver>=560");
        expect_unsat_n(inv, NULL, first, 2, "unsatisfied condition: cuda>=99" HINT);
        /* No expression at all. */
        expect_ok_n(inv, NULL, NULL, 0);
        expect_ok_n(inv, sel_both(fx), ok, 0);
}

static void test_brand(void **state)
{
        struct fixture *fx = *state;
        const struct nvcr_inventory *inv = &fx->inv;
        const struct nvcr_selection *sel = sel_gpu(fx, 0); /* Tesla */

        expect_ok(inv, sel, "brand=Tesla");
        expect_ok(inv, sel, "brand=tesla");
        expect_ok(inv, sel, "brand=TESLA");
        expect_no(inv, sel, "brand!=tesla");
        expect_no(inv, sel, "brand=quadro");
        expect_ok(inv, sel, "brand!=Quadro");
        expect_no(inv, sel, "brand=tes");       /* whole strings, no prefix */
        expect_no(inv, sel, "brand=teslax");
        expect_no(inv, sel, "brand=\xc3\xa9"); /* non-ASCII bytes are just bytes */
        expect_no(inv, sel, "brand=tesla=x");  /* the value is what follows the operator */
        expect_ok(inv, sel, "brand=quadro brand=tesla");
        expect_ok(inv, sel_gpu(fx, 1), "brand=quadro brand=tesla");
        expect_no(inv, sel_both(fx), "brand=tesla");
        /* Ordering operators do not apply to brands. */
        expect_invalid(inv, sel, "brand<tesla");
        expect_invalid(inv, sel, "brand<=tesla");
        expect_invalid(inv, sel, "brand>tesla");
        expect_invalid(inv, sel, "brand>=tesla");
        expect_invalid(inv, NULL, "brand<tesla");
}

static void test_arch_per_gpu(void **state)
{
        struct fixture *fx = *state;
        const struct nvcr_inventory *inv = &fx->inv;

        /* GPU 0 is 9.0, GPU 1 is 8.0: every selected GPU must satisfy it. */
        expect_ok(inv, sel_both(fx), "arch>=8.0");
        expect_no(inv, sel_both(fx), "arch>=9.0");
        expect_ok(inv, sel_gpu(fx, 0), "arch>=9.0");
        expect_no(inv, sel_gpu(fx, 1), "arch>=9.0");
        expect_no(inv, sel_both(fx), "arch=9");
        expect_no(inv, sel_both(fx), "arch<9");
        expect_ok(inv, sel_both(fx), "arch<=9 arch>10");
        /* Each GPU may satisfy another clause. */
        expect_ok(inv, sel_both(fx), "arch>=9.0 brand=quadro");
        expect_unsat(inv, sel_both(fx), "arch>=9.0 brand=tesla", "arch>=9.0");
        expect_ok(inv, sel_both(fx), "arch=9.0,brand=tesla arch=8.0,brand=quadro");
        expect_no(inv, sel_both(fx), "arch=9.0,brand=quadro");
        /* cuda/driver are the same for every GPU. */
        expect_ok(inv, sel_both(fx), "cuda>=12.4,driver>=550");
        expect_no(inv, sel_both(fx), "cuda>=12.5");
}

static void test_mig_by_parent(void **state)
{
        struct fixture *fx = *state;
        const struct nvcr_inventory *inv = &fx->inv;
        const struct nvcr_selection *sel;

        /* The MIG device of GPU 1 alone (as a caller could pass it). */
        sel = sel_none(fx);
        fx->sel.nmigs = 1;
        fx->sel_migs[0] = &fx->mig;
        fx->sel_parents[0] = &fx->gpus[1];
        expect_no(inv, sel, "arch>=9.0");
        expect_ok(inv, sel, "arch>=8.0");
        expect_ok(inv, sel, "brand=quadro");
        expect_no(inv, sel, "brand=tesla");

        /* With GPU 0 selected too: both must satisfy it. */
        fx->sel.ngpus = 1;
        fx->sel_gpus[0] = &fx->gpus[0];
        expect_no(inv, sel, "arch>=9.0");
        expect_no(inv, sel, "brand=tesla");
        expect_ok(inv, sel, "brand=tesla brand=quadro");
        expect_ok(inv, sel, "arch>=8");

        /* With its parent selected as well, as nvcr_select_devices does. */
        fx->sel.ngpus = 2;
        fx->sel_gpus[1] = &fx->gpus[1];
        expect_no(inv, sel, "arch>=9.0");
        expect_ok(inv, sel, "arch<10");
}

static void test_empty_selection(void **state)
{
        struct fixture *fx = *state;
        const struct nvcr_inventory *inv = &fx->inv;
        const struct nvcr_selection *none = sel_none(fx);

        /* No device: arch and brand hold, cuda and driver are still evaluated. */
        expect_ok(inv, NULL, "arch>=100");
        expect_ok(inv, none, "arch>=100");
        expect_ok(inv, NULL, "brand=nothing");
        expect_ok(inv, none, "brand!=tesla,arch<1");
        expect_no(inv, NULL, "cuda>=13");
        expect_no(inv, none, "cuda>=13");
        expect_no(inv, none, "driver>=999");
        expect_no(inv, none, "arch>=100,driver>=999");
        expect_ok(inv, none, "arch>=100,driver>=550");
        /* Syntax is still checked. */
        expect_invalid(inv, none, "arch>=x");
        expect_invalid(inv, none, "brand>x");
}

static void test_null_facts(void **state)
{
        struct fixture *fx = *state;
        struct nvcr_inventory *inv = &fx->inv;

        inv->cuda_version = NULL;
        inv->driver_version = NULL;
        fx->gpus[0].arch = NULL;
        fx->gpus[0].brand = NULL;
        expect_ok(inv, sel_gpu(fx, 0), "cuda>=99,driver>=999,arch>=99,brand=x,cuda<1");
        expect_ok(inv, sel_gpu(fx, 0), "cuda=1,driver!=0,arch=1,brand!=x");
        /* GPU 1 still has its facts. */
        expect_no(inv, sel_both(fx), "arch>=9.0");
        expect_ok(inv, sel_both(fx), "cuda>=99,arch>=8.0");
        /* No inventory at all. */
        expect_ok(NULL, NULL, "cuda>=99,driver>=999");
        expect_invalid(NULL, NULL, "cuda>=x");
        /* A fact that is no version counts as unknown. */
        inv->cuda_version = fx->cuda;
        strcpy(fx->cuda, "12.4-beta");
        expect_ok(inv, NULL, "cuda>=99");
        strcpy(fx->cuda, "");
        expect_ok(inv, NULL, "cuda=1");
        fx->gpus[1].arch = fx->arch[1];
        strcpy(fx->arch[1], "sm_80");
        expect_ok(inv, sel_gpu(fx, 1), "arch>=9.0");
}

static void test_messages(void **state)
{
        struct fixture *fx = *state;
        const struct nvcr_inventory *inv = &fx->inv;
        const char *two[] = {"cuda>=12", "cuda>=13.1"};
        const char *cuda131 = "cuda>=13.1";
        struct nvcr_err err;

        expect_unsat_n(inv, NULL, &cuda131, 1,
                       "unsatisfied condition: cuda>=13.1, please update your driver to a "
                       "newer version, or use an earlier cuda container");
        expect_unsat_n(inv, NULL, two, 2,
                       "unsatisfied condition: cuda>=13.1, please update your driver to a "
                       "newer version, or use an earlier cuda container");
        /* Only the first clause, as written. */
        expect_unsat(inv, NULL, "cuda>=13.1 brand=quadro,driver>=999", "cuda>=13.1" HINT);
        expect_unsat(inv, NULL, "cuda>=13.1,driver>=500 driver>=999",
                     "cuda>=13.1,driver>=500" HINT);
        expect_unsat(inv, NULL, "driver>=999 cuda>=13", "driver>=999");
        expect_unsat(inv, NULL, "driver>=500,cuda>=13", "driver>=500,cuda>=13");
        expect_unsat(inv, NULL, "Driver>=0999.0 cuda>=13", "Driver>=0999.0");
        /* The hint only for "cuda>=" as given. */
        expect_unsat(inv, NULL, "CUDA>=13", "CUDA>=13");
        expect_unsat(inv, NULL, "Cuda>=13", "Cuda>=13");
        expect_unsat(inv, NULL, "cuda>13", "cuda>13");
        expect_unsat(inv, NULL, "cuda=13", "cuda=13");
        expect_unsat(inv, NULL, "cuda<=12", "cuda<=12");
        /* Leading blanks are not a clause; a tab ends one. */
        expect_unsat(inv, NULL, "  cuda>=13 driver>=999", "cuda>=13" HINT);
        expect_unsat(inv, NULL, "\tdriver>=999\tcuda>=13", "driver>=999");
        expect_unsat(inv, NULL, "cuda>=13\tdriver>=999", "cuda>=13" HINT);

        /* The named invalid term. */
        memset(&err, 0, sizeof(err));
        assert_int_equal(nvcr_require_check(inv, NULL, (const char *[]){"cuda>=1 foo>1"}, 1, &err),
                         -EINVAL);
        assert_string_equal(err.msg, "invalid expression: foo>1");

        /* err may be NULL. */
        assert_int_equal(nvcr_require_check(inv, NULL, &cuda131, 1, NULL), -EPERM);
        assert_int_equal(nvcr_require_check(inv, NULL, (const char *[]){"x"}, 1, NULL), -EINVAL);
        assert_int_equal(nvcr_require_check(inv, NULL, (const char *[]){"cuda>1"}, 1, NULL), 0);
}

static void test_invalid(void **state)
{
        struct fixture *fx = *state;
        const struct nvcr_inventory *inv = &fx->inv;
        static const char *const bad[] = {
                /* unknown or missing name */
                "foo>1", "cud>=1", "cudax>=1", "cuda_>=1", ">=12", "=12", "gpu=0",
                /* missing or bad operator */
                "cuda", "cuda12", "cuda==12", "cuda=>12", "cuda=<12", "cuda<>12", "cuda!12",
                "cuda=!12", "cuda!==12", "cuda>>12", "cuda!", "cuda~12",
                /* missing value */
                "cuda>=", "cuda=", "brand=", "brand!=",
                /* versions: digits and dots only, no empty component */
                "cuda>=abc", "cuda>=12a", "cuda>=a12", "cuda>=1..2", "cuda>=.1", "cuda>=1.",
                "cuda>=.", "cuda>=-1", "cuda>=+1", "cuda>=1,2", "cuda>=0x10", "cuda>=1e3",
                "driver>=550.54.15-1", "arch>=9.0a", "arch>=sm_90", "cuda>=12<13",
                "cuda>=\xc3\xa9",
                /* spaces inside a term */
                "cuda >= 12", "cuda >=12", "cuda>= 12",
                /* empty terms */
                "cuda>=12,", ",cuda>=12", "cuda>=12,,driver>=1", ",", ",,", "cuda>=1 ,",
                "cuda>=1 driver>=1,", "cuda>=1\t,driver>=1",
                /* control characters (space and tab are the only blanks) */
                "cuda>=12\n", "cuda>=12\r", "cuda>=12\ndriver>=1", "cuda>=\x01", "\x1f",
                "cuda>=12\x7f", "brand=te\x1bsla", "cuda>=12\v", "cuda>=12\f",
                /* brand takes = and != only */
                "brand<tesla", "brand>x",
                /* a valid clause does not excuse an invalid one */
                "cuda>=1 foo", "foo cuda>=1", "cuda>=1,foo=1",
        };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                expect_invalid(inv, NULL, bad[i]);
                expect_invalid(inv, sel_both(fx), bad[i]);
        }
        /* A NULL expression. */
        expect_invalid_n(inv, NULL, (const char *[]){"cuda>=1", NULL}, 2);
        expect_invalid_n(inv, NULL, NULL, 1);
}

static void test_syntax_first(void **state)
{
        struct fixture *fx = *state;
        const struct nvcr_inventory *inv = &fx->inv;
        const char *unsat_then_bad[] = {"cuda>=99", "foo>1"};
        const char *unsat_then_brand[] = {"arch>=99", "brand<x"};
        const char *ok_then_bad[] = {"cuda>=1", "cuda>=1", "cuda>=1.x"};
        const char *unsat_then_ctrl[] = {"driver>=999", "cuda>=1\n"};

        expect_invalid_n(inv, NULL, unsat_then_bad, 2);
        expect_invalid_n(inv, sel_both(fx), unsat_then_brand, 2);
        expect_invalid_n(inv, NULL, ok_then_bad, 3);
        expect_invalid_n(inv, NULL, unsat_then_ctrl, 2);
        /* Inside one expression too: a satisfied first clause still checks the rest. */
        expect_invalid(inv, NULL, "cuda>=1 cuda>=x");
        expect_invalid(inv, NULL, "cuda>=99,cuda>=x");
}

static void test_limits(void **state)
{
        struct fixture *fx = *state;
        const struct nvcr_inventory *inv = &fx->inv;
        const char *many[33];
        char *big = malloc(4098);
        struct nvcr_err err;

        assert_non_null(big);
        for (size_t i = 0; i < 33; i++)
                many[i] = "cuda>=1";
        expect_ok_n(inv, NULL, many, 32);
        memset(&err, 0, sizeof(err));
        assert_int_equal(nvcr_require_check(inv, NULL, many, 33, &err), -E2BIG);
        assert_int_equal(err.code, E2BIG);
        assert_string_equal(err.msg, "too many requirements");
        /* Even when they would be invalid. */
        many[0] = "foo";
        assert_int_equal(nvcr_require_check(inv, NULL, many, 33, NULL), -E2BIG);
        assert_int_equal(nvcr_require_check(inv, NULL, many, SIZE_MAX, NULL), -E2BIG);

        /* 4096 bytes is the longest expression: 512 clauses of 8 bytes, the last blank a digit. */
        for (size_t i = 0; i < 4096; i++)
                big[i] = "cuda>=1 "[i % 8];
        big[4095] = '1';
        big[4096] = '\0';
        expect_ok(inv, NULL, big);
        for (size_t i = 0; i < 4096; i++)
                big[i] = "cuda=99 "[i % 8];
        big[4095] = '9';
        expect_unsat(inv, NULL, big, "cuda=99");
        big[4096] = '1';
        big[4097] = '\0';
        expect_invalid(inv, NULL, big);
        /* All blanks, too long. */
        memset(big, ' ', 4097);
        expect_invalid(inv, NULL, big);
        big[4096] = '\0';
        expect_ok(inv, NULL, big);
        /* One huge version component. */
        memcpy(big, "cuda<", 5);
        memset(big + 5, '9', 4091);
        expect_ok(inv, NULL, big);
        free(big);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_ops, fx_setup, fx_teardown),
                cmocka_unit_test_setup_teardown(test_version_compare, fx_setup, fx_teardown),
                cmocka_unit_test_setup_teardown(test_names_any_case, fx_setup, fx_teardown),
                cmocka_unit_test_setup_teardown(test_or_and, fx_setup, fx_teardown),
                cmocka_unit_test_setup_teardown(test_multiple_expressions, fx_setup, fx_teardown),
                cmocka_unit_test_setup_teardown(test_brand, fx_setup, fx_teardown),
                cmocka_unit_test_setup_teardown(test_arch_per_gpu, fx_setup, fx_teardown),
                cmocka_unit_test_setup_teardown(test_mig_by_parent, fx_setup, fx_teardown),
                cmocka_unit_test_setup_teardown(test_empty_selection, fx_setup, fx_teardown),
                cmocka_unit_test_setup_teardown(test_null_facts, fx_setup, fx_teardown),
                cmocka_unit_test_setup_teardown(test_messages, fx_setup, fx_teardown),
                cmocka_unit_test_setup_teardown(test_invalid, fx_setup, fx_teardown),
                cmocka_unit_test_setup_teardown(test_syntax_first, fx_setup, fx_teardown),
                cmocka_unit_test_setup_teardown(test_limits, fx_setup, fx_teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
