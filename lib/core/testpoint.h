/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test-only pause points, compiled in only with -Dtest_hooks=true (the test
 * builds of scripts/test.sh; never a release build). A race test sets
 * NVCR_TEST_PAUSE=<point>:<dir>; when the process reaches that point it
 * creates <dir>/paused and waits (up to 10 s) until <dir>/resume exists, so
 * the test can swap a path between our resolving it and using it.
 */
#ifndef NVCR_CORE_TESTPOINT_H
#define NVCR_CORE_TESTPOINT_H

#ifdef NVCR_TEST_HOOKS
void test_pause(const char *point);
#else
static inline void test_pause(const char *point)
{
        (void)point;
}
#endif

#endif
