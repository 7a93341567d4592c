/* SPDX-License-Identifier: Apache-2.0 */
/* A shared object for the ldconfig tests, linked with a soname at test time. */
int nvcr_test_foo(void);

int nvcr_test_foo(void)
{
        return 42;
}
