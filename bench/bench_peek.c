/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * (b) The library's own cost per peek/release pair, in ns, over a ring in
 * ordinary memory whose write pointer this program advances (so only the
 * library is measured): one lossless reader (publishes on every release),
 * and one lossy reader (no lock, no publish).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <uio_daq/ring.h>

#define RING		(1u << 20)
#define STEP		4096u
#define ITERS		5000000u
#define TARGET_NS	100.0

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void publish(void *arg, uint64_t rd)
{
	*(volatile uint64_t *)arg = rd;
}

static double measure(enum udaq_reader_mode mode, unsigned char *buf)
{
	volatile uint64_t wr = 0, published = 0;
	struct udaq_ring_config c = {
		.data = buf, .size = RING, .wr_ptr = &wr, .guard = STEP,
		.publish = publish, .publish_arg = (void *)&published,
	};
	struct udaq_ring *ring;
	struct udaq_reader *rd;
	struct udaq_span sp;
	uint64_t sum = 0;
	double t0, t1;
	unsigned int i;

	if (udaq_ring_new(&c, &ring) || udaq_reader_new(ring, mode, &rd)) {
		fprintf(stderr, "bench_peek: cannot create the ring\n");
		exit(1);
	}
	t0 = now_ns();
	for (i = 0; i < ITERS; i++) {
		__atomic_store_n(&wr, wr + STEP, __ATOMIC_RELEASE);
		udaq_reader_peek(rd, &sp);
		sum += sp.len;
		udaq_reader_release(rd, sp.len);
	}
	t1 = now_ns();
	if (sum != (uint64_t)ITERS * STEP)
		fprintf(stderr, "bench_peek: lost track (%llu)\n", (unsigned long long)sum);
	udaq_reader_free(rd);
	udaq_ring_free(ring);
	return (t1 - t0) / ITERS;
}

int main(void)
{
	unsigned char *buf = calloc(2, RING);
	double lossless, lossy;

	if (!buf)
		return 1;
	lossless = measure(UDAQ_READER_LOSSLESS, buf);
	lossy = measure(UDAQ_READER_LOSSY, buf);
	printf("peek/release pair (%u iterations, %u-byte steps)\n", ITERS, STEP);
	printf("  lossless reader (publishes each release): %6.1f ns (target <= %.0f): %s\n",
	       lossless, TARGET_NS, lossless <= TARGET_NS ? "PASS" : "MISS");
	printf("  lossy reader:                             %6.1f ns (target <= %.0f): %s\n",
	       lossy, TARGET_NS, lossy <= TARGET_NS ? "PASS" : "MISS");
	free(buf);
	return 0;
}
