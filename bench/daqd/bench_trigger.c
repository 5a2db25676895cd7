// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The trigger scan's cost (docs/triggers.md): samples per second per core
 * that daqd_trig_find() scans for a predicate that never holds (every
 * sample looked at, the worst case), and that a full trigger engine
 * (rising edge with hysteresis on the test pattern) gets through, against
 * the read-only bound: a loop that only reads the same bytes
 * (daqd_trig_read_all()). Data: the test pattern, 4 channels, in a
 * cache-cold buffer of 32 MiB. Prints the figures and the ratios; a
 * benchmark reports, it does not fail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <uio_daq/frame.h>

#include "trigger_scan.h"

#define NCHAN		4
#define SAMPLES		(4u << 20)	/* per channel: 32 MiB of int16 */
#define ROUNDS		8

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t fires;

static bool count_fire(void *arg, uint64_t index)
{
	(void)arg;
	(void)index;
	fires++;
	return true;
}

int main(void)
{
	int16_t *x = malloc((size_t)SAMPLES * NCHAN * sizeof(*x));
	static struct daqd_trig_pred never;
	static struct daqd_trig_engine eng;
	double t0, t_read, t_find, t_engine;
	volatile uint16_t sink = 0;
	volatile size_t where = 0;

	if (!x) {
		fprintf(stderr, "no memory\n");
		return 1;
	}
	for (size_t n = 0; n < SAMPLES; n++)
		for (unsigned int c = 0; c < NCHAN; c++)
			x[n * NCHAN + c] = udaq_test_sample(n, c);
	/* "x < INT16_MIN or x > INT16_MAX": every sample looked at, none matches. */
	daqd_trig_pred_init(&never, false, INT16_MIN, INT16_MAX, NCHAN, 1);
	daqd_trig_engine_init(&eng, DAQD_TRIG_RISING, 20000, 20000, 3000, NCHAN, 1);

	t0 = cpu_now();
	for (int r = 0; r < ROUNDS; r++)
		sink ^= daqd_trig_read_all(x, (size_t)SAMPLES * NCHAN);
	t_read = cpu_now() - t0;
	t0 = cpu_now();
	for (int r = 0; r < ROUNDS; r++)
		where += daqd_trig_find(&never, x, SAMPLES);
	t_find = cpu_now() - t0;
	t0 = cpu_now();
	for (int r = 0; r < ROUNDS; r++)
		daqd_trig_engine_scan(&eng, x, SAMPLES, 0, count_fire, NULL);
	t_engine = cpu_now() - t0;

	double n = (double)SAMPLES * ROUNDS;
	double read_rate = n / t_read, find_rate = n / t_find, eng_rate = n / t_engine;

	printf("trigger scan, %d channels of int16 (%s), %u samples x %d rounds, per core:\n",
	       NCHAN,
#ifdef __SSE2__
	       "SSE2",
#else
	       "portable loop",
#endif
	       SAMPLES, ROUNDS);
	printf("  read-only bound (OR of every byte): %8.1f Msamples/s (%.2f GB/s)\n",
	       read_rate / 1e6, read_rate * NCHAN * 2 / 1e9);
	printf("  scan, no match (every sample):      %8.1f Msamples/s  ratio to bound %.2f\n",
	       find_rate / 1e6, find_rate / read_rate);
	printf("  engine, rising 20000 hyst 3000:     %8.1f Msamples/s  ratio to bound %.2f (%.1f%% of samples fire)\n",
	       eng_rate / 1e6, eng_rate / read_rate, 100.0 * (double)fires / n);
	printf("  (check: %u %zu)\n", (unsigned int)sink, (size_t)where);
	free(x);
	return 0;
}
