/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the C benchmarks share: a monotonic clock in seconds, and dying. */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Report that @what failed with @ret (a negative errno) and exit 1. */
static inline void die(const char *what, int ret)
{
	fprintf(stderr, "%s: %s failed: %d\n", program_invocation_short_name, what, ret);
	exit(1);
}

#endif /* BENCH_UTIL_H */
