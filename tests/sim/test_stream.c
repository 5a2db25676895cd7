/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Streaming the test pattern through the library, verifying every sample
 * and every sequence number: ring sizes from 64 KiB to 16 MiB, several
 * chunk layouts and interrupt thresholds, both full-ring policies. More
 * than 1 GiB goes through a lossless reader with every byte verified (the
 * last test checks the total), plus the overwrite cases.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>


#include "sim_util.h"

#define MiB	(UINT64_C(1) << 20)

struct stream_case {
	const char *spec;
	enum udaq_policy policy;
	uint32_t chan_mask;
	uint32_t frame_samples;
	uint32_t irq_threshold;
	uint64_t bytes;		/* device bytes to stream */
};

/* Bytes lossless readers verified, summed over the cases run so far. */
static uint64_t verified_lossless;

static void run_case(void **state)
{
	const struct stream_case *tc = *state;
	struct udaq_digitizer_config cfg = {
		.chan_mask = tc->chan_mask,
		.frame_samples = tc->frame_samples,
		.policy = tc->policy,
		.irq_threshold = tc->irq_threshold,
		.test_pattern = true,
		.freerun = true,
	};
	bool lossless = tc->policy == UDAQ_POLICY_STOP;
	struct udaq_digitizer_status st;
	struct udaq_reader *rd;
	struct checker ck;
	struct sim s;
	uint64_t idle_since = mono_ns();
	int ret;

	sim_open(&s, tc->spec);
	sim_configure(&s, &cfg);
	checker_init(&ck, s.dg, &cfg);
	assert_int_equal(udaq_reader_new(udaq_digitizer_ring(s.dg),
					 lossless ? UDAQ_READER_LOSSLESS : UDAQ_READER_LOSSY,
					 &rd), 0);
	assert_int_equal(udaq_digitizer_start(s.dg), 0);

	while (udaq_ring_wr_ptr(udaq_digitizer_ring(s.dg)) < tc->bytes) {
		ret = udaq_digitizer_wait(s.dg, 1000);
		assert_true(ret >= 0);
		if (ret == 0 && mono_ns() - idle_since > 5000000000u)
			fail_msg("no interrupt for 5 s at %llu bytes",
				 (unsigned long long)ck.bytes);
		if (ret > 0)
			idle_since = mono_ns();
		if (lossless)
			drain(rd, &ck, true);
		else
			drain_lossy(rd, &ck);
	}
	assert_int_equal(udaq_digitizer_stop(s.dg), 0);
	/* What was written before the stop is still there to read. */
	if (lossless)
		drain_all(rd, &ck, true);
	else
		drain_lossy_all(rd, &ck);
	assert_int_equal(udaq_digitizer_status(s.dg, &st), 0);

	print_message("  %-40s %s: %llu frames seen, %llu MiB, %llu lost bytes, %llu torn, %llu irqs\n",
		      tc->spec, lossless ? "stop" : "overwrite",
		      (unsigned long long)ck.frames, (unsigned long long)(ck.bytes / MiB),
		      (unsigned long long)ck.lost_bytes, (unsigned long long)ck.torn,
		      (unsigned long long)st.irqs);
	assert_int_equal(ck.bad_samples, 0);
	assert_int_equal(ck.bad_headers, 0);
	assert_int_equal(ck.gap_mismatch, 0);
	assert_false(st.running);
	assert_false(st.err_dma);
	assert_int_equal(st.lost_samples, 0);	/* freerun never drops */
	assert_int_equal(st.wr_ptr, st.frames * ck.frame_len);
	assert_true(st.irqs > 0);
	if (lossless) {
		/* Every frame the device wrote, in order, none missing. */
		assert_int_equal(ck.frames, st.frames);
		assert_int_equal(ck.seq_jumps, 0);
		assert_int_equal(ck.gaps, 0);
		assert_int_equal(ck.bytes, st.wr_ptr);
		assert_int_equal(udaq_ring_rd_ptr(udaq_digitizer_ring(s.dg)), st.wr_ptr);
		verified_lossless += ck.bytes;
	} else {
		/* Every byte written was seen, reported lost, or found torn. */
		assert_true(ck.frames > 0);
		assert_int_equal(ck.next_seq * ck.frame_len, st.wr_ptr);
		assert_int_equal(ck.bytes + ck.lost_bytes + ck.torn * ck.frame_len,
				 st.wr_ptr);
	}
	udaq_reader_free(rd);
	sim_close(&s);
}

static const struct stream_case cases[] = {
	{ "sim:ring=64K,chunk=4K", UDAQ_POLICY_STOP, 0xff, 0, 0, 96 * MiB },
	{ "sim:ring=256K,chunk=12K", UDAQ_POLICY_STOP, 0x0f, 100, 4096, 64 * MiB },
	{ "sim:ring=1M,chunk=64K,channels=3", UDAQ_POLICY_STOP, 0x5, 333, 0, 160 * MiB },
	{ "sim:ring=4M", UDAQ_POLICY_STOP, 0x1, 4096, 1, 48 * MiB },
	{ "sim:ring=16M,chunk=1M,channels=32", UDAQ_POLICY_STOP, 0xffffffffu, 512, 8 * MiB, 672 * MiB },
	{ "sim:ring=64K", UDAQ_POLICY_OVERWRITE, 0x3, 256, 0, 96 * MiB },
	{ "sim:ring=2M,chunk=256K", UDAQ_POLICY_OVERWRITE, 0xff, 0, 64 * 1024, 128 * MiB },
	{ "sim:ring=16M,chunk=4M", UDAQ_POLICY_OVERWRITE, 0xf, 2048, MiB, 160 * MiB },
};

static void test_total(void **state)
{
	(void)state;
	print_message("  %llu MiB verified through lossless readers\n",
		      (unsigned long long)(verified_lossless / MiB));
	assert_true(verified_lossless >= 1024 * MiB);
}

int main(void)
{
	struct CMUnitTest tests[sizeof(cases) / sizeof(cases[0]) + 1];
	char names[sizeof(cases) / sizeof(cases[0])][96];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(names[i], sizeof(names[i]), "%s %s", cases[i].spec,
			 cases[i].policy == UDAQ_POLICY_STOP ? "stop" : "overwrite");
		tests[i] = (struct CMUnitTest){
			.name = names[i],
			.test_func = run_case,
			.initial_state = (void *)&cases[i],
		};
	}
	tests[i] = (struct CMUnitTest){ .name = "at least 1 GiB verified", .test_func = test_total };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
