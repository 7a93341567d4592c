/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nvcr_select_devices on a hand-built inventory: four GPUs in bus id order
 * whose minors differ from their indices, GPU 0 with three MIG devices
 * (with UUIDs, as after NVML) and GPU 3 with one MIG device without a UUID
 * (as when NVML was not asked).
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

#define UUID0 "GPU-e3b0c7b2-9fb4-4f77-923c-58bead90777d"
#define UUID1 "GPU-7fdf6170-9b01-47d3-b93b-2ad422a236bf"
#define UUID2 "GPU-7aacd94b-7e5e-4f44-a674-2207b3973ec2" /* shares "GPU-7" with UUID1 */
#define UUID3 "GPU-bc082ef0-141c-4ca6-bfbb-75281958d0bd"
#define MIG0 "MIG-47ed5c16-62ac-42e4-9aab-6e33b044014f" /* gpu 0 gi1/ci0 */
#define MIG1 "MIG-97012c9a-2a48-47c5-a571-27e63329a9c7" /* gpu 0 gi2/ci0 */
#define MIG2 "MIG-cc975b31-c58c-4890-8332-a04367bb3248" /* gpu 0 gi2/ci1 */

static const struct {
        const char *uuid, *bus;
        unsigned minor;
} gpu_facts[] = {
        {UUID0, "00000000:07:00.0", 4},
        {UUID1, "00000000:0f:00.0", 6},
        {UUID2, "00000000:47:00.0", 0},
        {UUID3, "00000001:4e:00.0", 2},
};

static char *xstrdup(const char *s)
{
        char *d = strdup(s);

        assert_non_null(d);
        return d;
}

static void set_mig(struct nvcr_mig *m, unsigned gi, unsigned ci, const char *uuid)
{
        m->gi = gi;
        m->ci = ci;
        m->uuid = uuid ? xstrdup(uuid) : NULL;
}

static int inv_setup(void **state)
{
        struct nvcr_inventory *inv = calloc(1, sizeof(*inv));

        assert_non_null(inv);
        inv->driver_version = xstrdup("580.159.04");
        inv->ngpus = sizeof(gpu_facts) / sizeof(gpu_facts[0]);
        inv->gpus = calloc(inv->ngpus, sizeof(*inv->gpus));
        assert_non_null(inv->gpus);
        for (size_t i = 0; i < inv->ngpus; i++) {
                struct nvcr_gpu *g = &inv->gpus[i];

                g->index = (unsigned)i;
                g->minor = gpu_facts[i].minor;
                g->uuid = xstrdup(gpu_facts[i].uuid);
                g->bus_id = xstrdup(gpu_facts[i].bus);
                g->model = xstrdup("NVIDIA H100 80GB HBM3");
        }
        inv->gpus[0].nmigs = 3;
        inv->gpus[0].migs = calloc(3, sizeof(struct nvcr_mig));
        assert_non_null(inv->gpus[0].migs);
        inv->gpus[0].mig_enabled = true;
        set_mig(&inv->gpus[0].migs[0], 1, 0, MIG0);
        set_mig(&inv->gpus[0].migs[1], 2, 0, MIG1);
        set_mig(&inv->gpus[0].migs[2], 2, 1, MIG2);
        inv->gpus[3].nmigs = 1;
        inv->gpus[3].migs = calloc(1, sizeof(struct nvcr_mig));
        assert_non_null(inv->gpus[3].migs);
        inv->gpus[3].mig_enabled = true;
        set_mig(&inv->gpus[3].migs[0], 1, 0, NULL);
        *state = inv;
        return 0;
}

static int inv_teardown(void **state)
{
        nvcr_inventory_free(*state);
        return 0;
}

/* Selects `list`, which must succeed. */
static struct nvcr_selection *select_ok(const struct nvcr_inventory *inv, const char *list)
{
        struct nvcr_selection *sel = NULL;
        struct nvcr_err err = {0};
        int r = nvcr_select_devices(inv, list, &sel, &err);

        if (r != 0)
                print_error("select '%s': %d %s\n", list ? list : "(null)", r, err.msg);
        assert_int_equal(r, 0);
        assert_non_null(sel);
        assert_int_equal(err.code, 0);
        return sel;
}

/* The selection holds exactly these GPU indices (in this order) and no MIG device. */
static void assert_gpus(const struct nvcr_inventory *inv, const struct nvcr_selection *sel,
                        const unsigned *idx, size_t n)
{
        assert_int_equal(sel->ngpus, n);
        for (size_t i = 0; i < n; i++) {
                assert_ptr_equal(sel->gpus[i], &inv->gpus[idx[i]]);
                assert_int_equal(sel->gpus[i]->index, idx[i]);
        }
}

#define ASSERT_GPUS(inv, sel, ...)                                                                 \
        do {                                                                                       \
                static const unsigned want_[] = {__VA_ARGS__};                                     \
                assert_gpus(inv, sel, want_, sizeof(want_) / sizeof(want_[0]));                    \
        } while (0)

static void expect_gpus(const struct nvcr_inventory *inv, const char *list, const unsigned *idx,
                        size_t n)
{
        struct nvcr_selection *sel = select_ok(inv, list);

        assert_gpus(inv, sel, idx, n);
        assert_int_equal(sel->nmigs, 0);
        assert_false(sel->all);
        nvcr_selection_free(sel);
}

#define EXPECT_GPUS(inv, list, ...)                                                                \
        do {                                                                                       \
                static const unsigned want_[] = {__VA_ARGS__};                                     \
                expect_gpus(inv, list, want_, sizeof(want_) / sizeof(want_[0]));                   \
        } while (0)

static void expect_nothing(const struct nvcr_inventory *inv, const char *list)
{
        struct nvcr_selection *sel = select_ok(inv, list);

        assert_int_equal(sel->ngpus, 0);
        assert_int_equal(sel->nmigs, 0);
        assert_false(sel->all);
        nvcr_selection_free(sel);
}

/* `list` fails with `code`; the message is exactly `msg` when not NULL, else contains `part`. */
static void expect_fail(const struct nvcr_inventory *inv, const char *list, int code,
                        const char *msg, const char *part)
{
        struct nvcr_selection *sel = NULL;
        struct nvcr_err err = {0};

        assert_int_equal(nvcr_select_devices(inv, list, &sel, &err), -code);
        assert_null(sel);
        assert_int_equal(err.code, code);
        if (msg != NULL)
                assert_string_equal(err.msg, msg);
        if (part != NULL && strstr(err.msg, part) == NULL)
                fail_msg("'%s': message '%s' lacks '%s'", list, err.msg, part);
}

static void expect_unknown(const struct nvcr_inventory *inv, const char *list, const char *id)
{
        char msg[512];

        (void)snprintf(msg, sizeof(msg), "%s: unknown device", id);
        expect_fail(inv, list, ENOENT, msg, NULL);
}

/* ------------------------------------------------------------------ tests */

static void test_all(void **state)
{
        const struct nvcr_inventory *inv = *state;
        struct nvcr_selection *sel = select_ok(inv, "all");

        assert_true(sel->all);
        ASSERT_GPUS(inv, sel, 0, 1, 2, 3);
        assert_int_equal(sel->nmigs, 4);
        for (size_t i = 0; i < 3; i++) {
                assert_ptr_equal(sel->migs[i], &inv->gpus[0].migs[i]);
                assert_ptr_equal(sel->mig_parents[i], &inv->gpus[0]);
        }
        assert_ptr_equal(sel->migs[3], &inv->gpus[3].migs[0]);
        assert_ptr_equal(sel->mig_parents[3], &inv->gpus[3]);
        nvcr_selection_free(sel);

        /* Spaces around it and repetition change nothing. */
        sel = select_ok(inv, " all ,all");
        assert_true(sel->all);
        assert_int_equal(sel->ngpus, 4);
        assert_int_equal(sel->nmigs, 4);
        nvcr_selection_free(sel);
}

static void test_none_and_empty(void **state)
{
        const struct nvcr_inventory *inv = *state;

        expect_nothing(inv, "none");
        expect_nothing(inv, "");
        expect_nothing(inv, NULL);
        expect_nothing(inv, " , ,");
        expect_nothing(inv, " none ");
}

static void test_indices(void **state)
{
        const struct nvcr_inventory *inv = *state;

        EXPECT_GPUS(inv, "0,2", 0, 2);
        EXPECT_GPUS(inv, "3", 3);
        /* Index is the position in bus order, not the minor (GPU 2 is /dev/nvidia0). */
        EXPECT_GPUS(inv, "0", 0);
        /* A whole GPU does not bring its MIG devices along. */
        EXPECT_GPUS(inv, "0,3", 0, 3);
}

static void test_duplicates(void **state)
{
        const struct nvcr_inventory *inv = *state;
        struct nvcr_selection *sel;

        EXPECT_GPUS(inv, "1,1", 1);
        EXPECT_GPUS(inv, "1," UUID1 ",00000000:0f:00.0,gpu-7fdf", 1);
        sel = select_ok(inv, MIG1 ",0:1,MIG-" UUID0 "/2/0,0");
        ASSERT_GPUS(inv, sel, 0);
        assert_int_equal(sel->nmigs, 1);
        assert_ptr_equal(sel->migs[0], &inv->gpus[0].migs[1]);
        nvcr_selection_free(sel);
}

static void test_whitespace(void **state)
{
        const struct nvcr_inventory *inv = *state;

        EXPECT_GPUS(inv, " 0 , 2 ", 0, 2);
        EXPECT_GPUS(inv, "\t1\n", 1);
        EXPECT_GPUS(inv, ",,3,,", 3);
        EXPECT_GPUS(inv, "  " UUID2 "  ", 2);
}

static void test_order_is_index_order(void **state)
{
        const struct nvcr_inventory *inv = *state;
        struct nvcr_selection *sel;

        EXPECT_GPUS(inv, "3,0,2", 0, 2, 3);
        EXPECT_GPUS(inv, UUID3 ",1", 1, 3);
        EXPECT_GPUS(inv, "00000001:4e:00.0,0000:47:00.0,1", 1, 2, 3);

        /* MIG devices come in inventory order too. */
        sel = select_ok(inv, MIG2 ",3:0," MIG0);
        ASSERT_GPUS(inv, sel, 0, 3);
        assert_int_equal(sel->nmigs, 3);
        assert_ptr_equal(sel->migs[0], &inv->gpus[0].migs[0]);
        assert_ptr_equal(sel->migs[1], &inv->gpus[0].migs[2]);
        assert_ptr_equal(sel->migs[2], &inv->gpus[3].migs[0]);
        assert_ptr_equal(sel->mig_parents[0], &inv->gpus[0]);
        assert_ptr_equal(sel->mig_parents[1], &inv->gpus[0]);
        assert_ptr_equal(sel->mig_parents[2], &inv->gpus[3]);
        nvcr_selection_free(sel);
}

static void test_gpu_uuid(void **state)
{
        const struct nvcr_inventory *inv = *state;

        EXPECT_GPUS(inv, UUID0, 0);
        EXPECT_GPUS(inv, UUID2 "," UUID1, 1, 2);
        /* Case-insensitive, the "GPU-" prefix included. */
        EXPECT_GPUS(inv, "GPU-BC082EF0-141C-4CA6-BFBB-75281958D0BD", 3);
        EXPECT_GPUS(inv, "gpu-e3b0c7b2-9fb4-4f77-923c-58bead90777d", 0);
}

static void test_gpu_uuid_prefix(void **state)
{
        const struct nvcr_inventory *inv = *state;

        EXPECT_GPUS(inv, "GPU-7fdf", 1);
        EXPECT_GPUS(inv, "GPU-7A", 2);
        EXPECT_GPUS(inv, "gpu-e", 0);
        EXPECT_GPUS(inv, "GPU-bc082ef0-141c", 3);
}

static void test_gpu_uuid_ambiguous(void **state)
{
        const struct nvcr_inventory *inv = *state;

        expect_fail(inv, "GPU-7", EINVAL, NULL, "ambiguous");
        expect_fail(inv, "GPU-7", EINVAL, NULL, "GPU-7");
        /* Every GPU matches a bare "GPU-". */
        expect_fail(inv, "GPU-", EINVAL, NULL, "ambiguous");
        /* An ambiguous id anywhere fails the whole list. */
        expect_fail(inv, "0,GPU-7,1", EINVAL, NULL, "ambiguous");
}

static void test_unknown(void **state)
{
        const struct nvcr_inventory *inv = *state;

        expect_unknown(inv, "7", "7");
        expect_unknown(inv, "4", "4"); /* one past the last index */
        expect_unknown(inv, "GPU-ffff", "GPU-ffff");
        expect_unknown(inv, "foo", "foo");
        expect_unknown(inv, " foo ", "foo");
        expect_unknown(inv, "0,foo,1", "foo");
        expect_unknown(inv, UUID0 "0", UUID0 "0"); /* longer than a real UUID */
        expect_unknown(inv, "MIG-00000000-0000-0000-0000-000000000000",
                       "MIG-00000000-0000-0000-0000-000000000000");
        expect_unknown(inv, "99999999999999999999", "99999999999999999999");
        expect_unknown(inv, "-1", "-1");
        expect_unknown(inv, "0x1", "0x1");
}

static void test_bus_ids(void **state)
{
        const struct nvcr_inventory *inv = *state;

        EXPECT_GPUS(inv, "0000:07:00.0", 0);
        EXPECT_GPUS(inv, "00000000:07:00.0", 0);
        EXPECT_GPUS(inv, "7:0.0", 0);
        EXPECT_GPUS(inv, "07:00.0", 0);
        EXPECT_GPUS(inv, "0:07:00.0", 0);
        EXPECT_GPUS(inv, "0000:0F:00.0", 1); /* hex digits in either case */
        EXPECT_GPUS(inv, "f:0.0", 1);
        EXPECT_GPUS(inv, "0001:4e:00.0", 3);
        EXPECT_GPUS(inv, "00000001:4E:00.0", 3);
        /* Domain 0 by default: bus 4e of domain 0 does not exist here. */
        expect_unknown(inv, "4e:00.0", "4e:00.0");
        expect_unknown(inv, "0000:07:00.1", "0000:07:00.1");
        expect_unknown(inv, "0000:08:00.0", "0000:08:00.0");
        /* Malformed bus ids are unknown devices, not another error. */
        expect_unknown(inv, "0000:07:00.8", "0000:07:00.8");
        expect_unknown(inv, "0000:07:20.0", "0000:07:20.0");
        expect_unknown(inv, "000000000:07:00.0", "000000000:07:00.0");
        expect_unknown(inv, "0000:07:00.0x", "0000:07:00.0x");
        expect_unknown(inv, "07.00.0", "07.00.0");
}

static void test_mig_uuid(void **state)
{
        const struct nvcr_inventory *inv = *state;
        struct nvcr_selection *sel = select_ok(inv, MIG1);

        /* The parent GPU comes along, its other MIG devices do not. */
        ASSERT_GPUS(inv, sel, 0);
        assert_int_equal(sel->nmigs, 1);
        assert_ptr_equal(sel->migs[0], &inv->gpus[0].migs[1]);
        assert_ptr_equal(sel->mig_parents[0], &inv->gpus[0]);
        assert_false(sel->all);
        nvcr_selection_free(sel);

        sel = select_ok(inv, "mig-CC975B31-C58C-4890-8332-A04367BB3248,2");
        ASSERT_GPUS(inv, sel, 0, 2);
        assert_int_equal(sel->nmigs, 1);
        assert_ptr_equal(sel->migs[0], &inv->gpus[0].migs[2]);
        nvcr_selection_free(sel);
}

static void test_mig_legacy(void **state)
{
        const struct nvcr_inventory *inv = *state;
        struct nvcr_selection *sel = select_ok(inv, "MIG-" UUID0 "/2/1");

        ASSERT_GPUS(inv, sel, 0);
        assert_int_equal(sel->nmigs, 1);
        assert_ptr_equal(sel->migs[0], &inv->gpus[0].migs[2]);
        nvcr_selection_free(sel);

        /* Works without NVML's MIG UUIDs (GPU 3's instance has none). */
        sel = select_ok(inv, "MIG-GPU-BC082EF0-141C-4CA6-BFBB-75281958D0BD/1/0");
        ASSERT_GPUS(inv, sel, 3);
        assert_int_equal(sel->nmigs, 1);
        assert_ptr_equal(sel->migs[0], &inv->gpus[3].migs[0]);
        assert_ptr_equal(sel->mig_parents[0], &inv->gpus[3]);
        nvcr_selection_free(sel);

        expect_unknown(inv, "MIG-" UUID0 "/3/0", "MIG-" UUID0 "/3/0");
        expect_unknown(inv, "MIG-" UUID0 "/1/1", "MIG-" UUID0 "/1/1");
        expect_unknown(inv, "MIG-" UUID1 "/1/0", "MIG-" UUID1 "/1/0");
        expect_unknown(inv, "MIG-GPU-ffff/1/0", "MIG-GPU-ffff/1/0");
}

static void test_mig_index(void **state)
{
        const struct nvcr_inventory *inv = *state;
        struct nvcr_selection *sel = select_ok(inv, "0:2");

        ASSERT_GPUS(inv, sel, 0);
        assert_int_equal(sel->nmigs, 1);
        assert_ptr_equal(sel->migs[0], &inv->gpus[0].migs[2]);
        assert_ptr_equal(sel->mig_parents[0], &inv->gpus[0]);
        nvcr_selection_free(sel);

        sel = select_ok(inv, "3:0, 0:0 ,1");
        ASSERT_GPUS(inv, sel, 0, 1, 3);
        assert_int_equal(sel->nmigs, 2);
        assert_ptr_equal(sel->migs[0], &inv->gpus[0].migs[0]);
        assert_ptr_equal(sel->migs[1], &inv->gpus[3].migs[0]);
        nvcr_selection_free(sel);

        expect_unknown(inv, "0:9", "0:9");
        expect_unknown(inv, "0:3", "0:3");
        expect_unknown(inv, "1:0", "1:0"); /* GPU 1 has no MIG devices */
        expect_unknown(inv, "9:0", "9:0");
        expect_unknown(inv, "0:", "0:");
        expect_unknown(inv, ":0", ":0");
        expect_unknown(inv, "0:0:0", "0:0:0");
        expect_unknown(inv, "0:1x", "0:1x");
}

static void test_long_token(void **state)
{
        const struct nvcr_inventory *inv = *state;
        char list[600];

        memset(list, 'a', sizeof(list) - 1);
        list[sizeof(list) - 1] = '\0';
        expect_fail(inv, list, EINVAL, NULL, "too long");
}

static void test_empty_inventory(void **state)
{
        struct nvcr_inventory inv = {0};
        struct nvcr_selection *sel = NULL;
        (void)state;

        assert_int_equal(nvcr_select_devices(&inv, "all", &sel, NULL), 0);
        assert_non_null(sel);
        assert_true(sel->all);
        assert_int_equal(sel->ngpus, 0);
        assert_int_equal(sel->nmigs, 0);
        nvcr_selection_free(sel);
        expect_unknown(&inv, "0", "0");
        expect_unknown(&inv, "GPU-1", "GPU-1");
}

static void test_need_nvml(void **state)
{
        (void)state;

        assert_true(nvcr_devices_need_nvml(MIG0));
        assert_true(nvcr_devices_need_nvml("0," MIG1));
        assert_true(nvcr_devices_need_nvml("1, mig-cc975b31"));
        assert_false(nvcr_devices_need_nvml("0,1"));
        assert_false(nvcr_devices_need_nvml("all"));
        assert_false(nvcr_devices_need_nvml("none"));
        assert_false(nvcr_devices_need_nvml(""));
        assert_false(nvcr_devices_need_nvml(NULL));
        assert_false(nvcr_devices_need_nvml(UUID0 ",0000:07:00.0"));
        assert_false(nvcr_devices_need_nvml("0:1,3:0"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_all, inv_setup, inv_teardown),
                cmocka_unit_test_setup_teardown(test_none_and_empty, inv_setup, inv_teardown),
                cmocka_unit_test_setup_teardown(test_indices, inv_setup, inv_teardown),
                cmocka_unit_test_setup_teardown(test_duplicates, inv_setup, inv_teardown),
                cmocka_unit_test_setup_teardown(test_whitespace, inv_setup, inv_teardown),
                cmocka_unit_test_setup_teardown(test_order_is_index_order, inv_setup,
                                                inv_teardown),
                cmocka_unit_test_setup_teardown(test_gpu_uuid, inv_setup, inv_teardown),
                cmocka_unit_test_setup_teardown(test_gpu_uuid_prefix, inv_setup, inv_teardown),
                cmocka_unit_test_setup_teardown(test_gpu_uuid_ambiguous, inv_setup, inv_teardown),
                cmocka_unit_test_setup_teardown(test_unknown, inv_setup, inv_teardown),
                cmocka_unit_test_setup_teardown(test_bus_ids, inv_setup, inv_teardown),
                cmocka_unit_test_setup_teardown(test_mig_uuid, inv_setup, inv_teardown),
                cmocka_unit_test_setup_teardown(test_mig_legacy, inv_setup, inv_teardown),
                cmocka_unit_test_setup_teardown(test_mig_index, inv_setup, inv_teardown),
                cmocka_unit_test_setup_teardown(test_long_token, inv_setup, inv_teardown),
                cmocka_unit_test(test_empty_inventory),
                cmocka_unit_test(test_need_nvml),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
