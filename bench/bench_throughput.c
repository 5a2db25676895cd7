/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * (a) How much does consuming through the library cost the device?
 * The simulated refdaq alone, as fast as it can (overwrite policy, nobody
 * reading), against the same device with a library consumer that reads
 * every byte it is handed:
 *  - overwrite policy, lossy reader: the device never waits, so this shows
 *    what the consumer's library calls and memory traffic take from it;
 *  - stop policy, lossless reader: the device waits whenever the consumer
 *    falls a ring behind, so this is the end-to-end delivered rate (and on
 *    a loaded machine, any descheduling of the consumer shows here).
 * Same run, alternating rounds. Target: >= 0.9 x the device alone.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <uio_daq/digitizer.h>
#include <uio_daq/uio_daq.h>

#include "bench_util.h"

#define SPEC		"sim:ring=16M,chunk=1M"
#define SECONDS		1.0
#define ROUNDS		3
#define TARGET		0.9
#define PIECE		(256u * 1024u)

/* Sum every 64-bit word: the consumer really touches every byte. */
static uint64_t touch(const void *p, size_t len)
{
	const uint64_t *w = p;
	uint64_t s = 0;
	size_t i;

	for (i = 0; i < len / 8; i++)
		s += w[i];
	return s;
}

static double run(struct udaq_ctx *ctx, enum udaq_policy policy, bool consume,
		  uint64_t *sink)
{
	struct udaq_digitizer_config cfg = {
		.chan_mask = 0xff, .policy = policy, .test_pattern = true,
		.freerun = true,
	};
	struct udaq_digitizer *dg;
	struct udaq_reader *rd = NULL;
	struct udaq_dev *dev;
	struct udaq_span sp;
	uint64_t w0, w1;
	double t0, t1;
	int ret;

	if ((ret = udaq_dev_open(ctx, SPEC, &dev)))
		die("udaq_dev_open", ret);
	if ((ret = udaq_digitizer_open(dev, &dg)))
		die("udaq_digitizer_open", ret);
	if ((ret = udaq_digitizer_configure(dg, &cfg)))
		die("udaq_digitizer_configure", ret);
	if (consume && (ret = udaq_reader_new(udaq_digitizer_ring(dg),
					      policy == UDAQ_POLICY_STOP ?
					      UDAQ_READER_LOSSLESS : UDAQ_READER_LOSSY,
					      &rd)))
		die("udaq_reader_new", ret);
	if ((ret = udaq_digitizer_start(dg)))
		die("udaq_digitizer_start", ret);

	t0 = now_s();
	w0 = udaq_ring_wr_ptr(udaq_digitizer_ring(dg));
	do {
		if (consume) {
			ret = udaq_digitizer_wait(dg, 100);
			if (ret < 0)
				die("udaq_digitizer_wait", ret);
			/* Release as we go, as a frame-by-frame consumer would. */
			for (;;) {
				size_t n;

				udaq_reader_peek(rd, &sp);
				if (sp.len == 0 || now_s() - t0 >= SECONDS)
					break;
				n = sp.len < PIECE ? sp.len : PIECE;
				*sink += touch(sp.data, n);
				udaq_reader_release(rd, n);
			}
		} else {
			struct timespec ts = { 0, 10 * 1000 * 1000 };

			nanosleep(&ts, NULL);
		}
		t1 = now_s();
	} while (t1 - t0 < SECONDS);
	w1 = udaq_ring_wr_ptr(udaq_digitizer_ring(dg));
	udaq_digitizer_stop(dg);
	udaq_reader_free(rd);
	udaq_digitizer_close(dg);
	udaq_dev_close(dev);
	return (double)(w1 - w0) / (t1 - t0) / (1024.0 * 1024.0);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(void)
{
	double alone[ROUNDS], lossy[ROUNDS], lossless[ROUNDS], r_lossy, r_lossless;
	struct udaq_ctx *ctx;
	uint64_t sink = 0;
	int ret, i, m = ROUNDS / 2;

	if ((ret = udaq_ctx_new(&ctx)))
		die("udaq_ctx_new", ret);
	/* Alternate, so that load from elsewhere hits all alike. */
	for (i = 0; i < ROUNDS; i++) {
		alone[i] = run(ctx, UDAQ_POLICY_OVERWRITE, false, &sink);
		lossy[i] = run(ctx, UDAQ_POLICY_OVERWRITE, true, &sink);
		lossless[i] = run(ctx, UDAQ_POLICY_STOP, true, &sink);
	}
	qsort(alone, ROUNDS, sizeof(double), cmp_double);
	qsort(lossy, ROUNDS, sizeof(double), cmp_double);
	qsort(lossless, ROUNDS, sizeof(double), cmp_double);
	r_lossy = lossy[m] / alone[m];
	r_lossless = lossless[m] / alone[m];
	printf("throughput (%s, 8 ch, test pattern, freerun; median of %d alternating %.0f s rounds)\n",
	       SPEC, ROUNDS, SECONDS);
	printf("  simulator alone, overwrite, no consumer:       %8.1f MiB/s\n", alone[m]);
	printf("  + lossy consumer, overwrite (device rate):     %8.1f MiB/s  ratio %.3f (target >= %.2f): %s\n",
	       lossy[m], r_lossy, TARGET, r_lossy >= TARGET ? "PASS" : "MISS");
	printf("  + lossless consumer, stop (delivered rate):    %8.1f MiB/s  ratio %.3f (target >= %.2f): %s\n",
	       lossless[m], r_lossless, TARGET, r_lossless >= TARGET ? "PASS" : "MISS");
	printf("  [checksum %llx]\n", (unsigned long long)(sink & 0xfff));
	udaq_ctx_free(ctx);
	return 0;
}
