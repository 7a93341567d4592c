/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Phase marks for the benchmarks (bench/jit-breakdown.sh): with
 * NVCR_TIMING=FILE in the environment, each mark records the monotonic
 * clock, and timing_flush() appends "pid label microseconds-since-the-
 * first-mark" lines to FILE. Without it a mark is one branch: the figures
 * of a start are taken inside the process, not as differences of two noisy
 * medians of whole starts.
 */
#ifndef NVCR_CORE_TIMING_H
#define NVCR_CORE_TIMING_H

void timing_mark(const char *label);
/* Writes the marks taken so far (before an exec, at exit) and forgets them. */
void timing_flush(void);

/*
 * Before an exec of another of our programs (the runtime's front execs the
 * full runtime): writes the marks so far and passes on where they count
 * from, so that the next program's marks continue the same timeline.
 */
void timing_hand_over(void);

#endif
