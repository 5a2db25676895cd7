/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The C side of the Python bindings' benchmark (bench_python.py): the same
 * consumer the Python one is, written against the library. It opens the
 * simulator, acquires freerun with the stop policy through a lossless
 * reader in batches, and sums every sample of every batch.
 *
 *   bench_sum rate SECONDS FRAME_SAMPLES CHANNELS MAX_FRAMES
 *       prints "rate MIB_PER_S" (bytes the device delivered per second)
 *   bench_sum overhead 1 FRAME_SAMPLES CHANNELS MAX_FRAMES
 *       fills the ring, stops the device, then times reading it all back:
 *       prints "per_batch US" (peek, sum, release: no device in the way)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uio_daq/digitizer.h>
#include <uio_daq/uio_daq.h>

#include "../bench_util.h"

#define SPEC	"sim:ring=16M,chunk=1M"

static unsigned long arg(const char *s, const char *name)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v == 0) {
		fprintf(stderr, "bench_sum: %s must be a positive integer, not '%s'\n", name, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	struct udaq_digitizer_config cfg = { .policy = UDAQ_POLICY_STOP,
					     .test_pattern = true, .freerun = true };
	struct udaq_frame_batch b = { 0 };
	struct udaq_digitizer *dg;
	struct udaq_reader *rd;
	struct udaq_dev *dev;
	struct udaq_ctx *ctx;
	unsigned long limit, nchan, batches = 0;

	int64_t sum = 0;
	uint64_t w0, w1;
	double t0, t1;
	bool by_rate;
	size_t i, j;
	int ret;

	if (argc != 6 || (strcmp(argv[1], "rate") && strcmp(argv[1], "overhead"))) {
		fprintf(stderr, "usage: bench_sum rate|overhead SECONDS|1 FRAME_SAMPLES CHANNELS MAX_FRAMES\n");
		return 2;
	}
	by_rate = !strcmp(argv[1], "rate");
	limit = arg(argv[2], "the limit");
	cfg.frame_samples = (uint32_t)arg(argv[3], "FRAME_SAMPLES");
	nchan = arg(argv[4], "CHANNELS");
	if (nchan > 32)
		die("CHANNELS <= 32", -22);
	cfg.chan_mask = nchan == 32 ? UINT32_MAX : (1u << nchan) - 1;
	b.max_frames = arg(argv[5], "MAX_FRAMES");
	b.frames = calloc(b.max_frames, sizeof(*b.frames));
	if (!b.frames)
		die("calloc", -12);

	if ((ret = udaq_ctx_new(&ctx)) || (ret = udaq_dev_open(ctx, SPEC, &dev)))
		die("open", ret);
	if ((ret = udaq_digitizer_open(dev, &dg)) || (ret = udaq_digitizer_configure(dg, &cfg)))
		die("digitizer", ret);
	if ((ret = udaq_reader_new(udaq_digitizer_ring(dg), UDAQ_READER_LOSSLESS, &rd)))
		die("udaq_reader_new", ret);
	b.frame_len = udaq_digitizer_frame_len(dg);
	if ((ret = udaq_digitizer_start(dg)))
		die("udaq_digitizer_start", ret);
	if (!by_rate) {
		/* Until the device waits for the reader: the ring is full. */
		do {
			w0 = udaq_ring_wr_ptr(udaq_digitizer_ring(dg));
			udaq_digitizer_wait(dg, 100);
		} while (udaq_ring_wr_ptr(udaq_digitizer_ring(dg)) != w0);
		if ((ret = udaq_digitizer_stop(dg)))
			die("udaq_digitizer_stop", ret);
	}
	t0 = now_s();
	w0 = udaq_ring_wr_ptr(udaq_digitizer_ring(dg));
	for (;;) {
		ret = udaq_frame_batch_peek(rd, &b);
		if (ret < 0)
			die("udaq_frame_batch_peek", ret);
		if (ret == 0 && !by_rate)
			break;
		if (ret == 0) {
			if ((ret = udaq_digitizer_wait(dg, 100)) < 0)
				die("udaq_digitizer_wait", ret);
			continue;
		}
		for (i = 0; i < b.nframes; i++) {
			const int16_t *s = b.frames[i].samples;
			size_t n = (size_t)b.frames[i].nsamples * b.frames[i].nchan;

			for (j = 0; j < n; j++)
				sum += s[j];
		}
		udaq_frame_batch_release(rd, &b, b.nframes);
		batches++;
		if (by_rate && now_s() - t0 >= (double)limit)
			break;
	}
	t1 = now_s();
	w1 = udaq_ring_wr_ptr(udaq_digitizer_ring(dg));
	udaq_digitizer_stop(dg);
	udaq_reader_free(rd);
	udaq_digitizer_close(dg);
	udaq_dev_close(dev);
	udaq_ctx_free(ctx);
	free(b.frames);
	if (by_rate)
		printf("rate %.1f\n", (double)(w1 - w0) / (t1 - t0) / (1024.0 * 1024.0));
	else
		printf("per_batch %.3f\nbatches %lu\n", (t1 - t0) / (double)batches * 1e6, batches);
	printf("sum %lld\n", (long long)sum);
	return 0;
}
