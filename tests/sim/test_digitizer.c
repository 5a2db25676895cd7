/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The digitizer API on the simulated refdaq: capabilities, configuration
 * checking with messages, start/stop state rules, paced frames and
 * timestamps, the timeout interrupt, the synthetic signal.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <uio_daq/frame.h>
#include <uio_daq/refdaq.h>

#include "sim_util.h"

static void test_caps(void **state)
{
	const struct udaq_digitizer_caps *caps;
	struct sim s;

	(void)state;
	sim_open(&s, "sim:ring=2M,chunk=16K,channels=12,maxrate=50000");
	caps = udaq_digitizer_caps(s.dg);
	assert_string_equal(caps->model, "refdaq");
	assert_int_equal(caps->version, REFDAQ_VERSION_1_0);
	assert_int_equal(caps->num_channels, 12);
	assert_int_equal(caps->sample_bits, 16);
	assert_int_equal(caps->max_rate, 50000);
	assert_true(caps->overwrite);
	assert_true(caps->test_pattern);
	assert_int_equal(caps->ring_size, 2u << 20);
	assert_int_equal(udaq_ring_size(udaq_digitizer_ring(s.dg)), 2u << 20);
	assert_ptr_equal(udaq_digitizer_dev(s.dg), s.dev);
	/* Nothing configured yet: no frame length, and start refuses. */
	assert_int_equal(udaq_digitizer_frame_len(s.dg), 0);
	assert_int_equal(udaq_digitizer_frame_samples(s.dg), 0);
	assert_int_equal(udaq_digitizer_start(s.dg), -EINVAL);
	sim_close(&s);
}

/* Rejected by check and configure, with a message containing @word. */
static void rejected(struct sim *s, const struct udaq_digitizer_config *cfg,
		     const char *word)
{
	char msg[256] = "";

	assert_int_equal(udaq_digitizer_config_check(s->dg, cfg, msg, sizeof(msg)), -EINVAL);
	if (!strstr(msg, word))
		fail_msg("message '%s' does not mention '%s'", msg, word);
	assert_int_equal(udaq_digitizer_configure(s->dg, cfg), -EINVAL);
}

static void test_config_check(void **state)
{
	const struct udaq_digitizer_config good = {
		.sample_rate = 1000, .chan_mask = 0xff, .policy = UDAQ_POLICY_STOP,
	};
	struct udaq_digitizer_config c;
	char msg[256];
	struct sim s;

	(void)state;
	sim_open(&s, "sim:ring=64K,channels=8,maxrate=100000");
	assert_int_equal(udaq_digitizer_config_check(s.dg, &good, msg, sizeof(msg)), 0);

	c = good; c.chan_mask = 0;
	rejected(&s, &c, "chan_mask is 0");
	c = good; c.chan_mask = 0x1ff;
	rejected(&s, &c, "channel 8");
	c = good; c.format = 1;
	rejected(&s, &c, "format 1");
	c = good; c.sample_rate = 0;
	rejected(&s, &c, "sample_rate is 0");
	c = good; c.sample_rate = 100001;
	rejected(&s, &c, "100000 Hz");
	c = good; c.frame_samples = 1024;	/* 8 ch x 1024 x 2 > 16 KiB */
	rejected(&s, &c, "quarter");
	c = good; c.irq_threshold = 32 * 1024 + 1;
	rejected(&s, &c, "irq_threshold");
	c = good; c.irq_timeout_us = 20000000;
	rejected(&s, &c, "irq_timeout_us");
	c = good; c.policy = (enum udaq_policy)7;
	rejected(&s, &c, "policy 7");
	assert_int_equal(udaq_digitizer_config_check(s.dg, NULL, msg, sizeof(msg)), -EINVAL);

	/* Freerun needs no rate; the default frame shrinks to fit the ring. */
	c = good; c.sample_rate = 0; c.freerun = true;
	assert_int_equal(udaq_digitizer_configure(s.dg, &c), 0);
	assert_true(udaq_digitizer_frame_len(s.dg) <= 16 * 1024);
	assert_true(udaq_digitizer_frame_len(s.dg) > 8 * 1024);
	/* The default resolved: 8 channels, 512 samples (1024 would not fit). */
	assert_int_equal(udaq_digitizer_frame_samples(s.dg), 512);
	assert_int_equal(udaq_digitizer_frame_len(s.dg),
			 UDAQ_FRAME_HDR_LEN + 512 * 8 * 2);

	/* Running: configure is refused, start twice too. */
	assert_int_equal(udaq_digitizer_start(s.dg), 0);
	assert_int_equal(udaq_digitizer_configure(s.dg, &good), -EBUSY);
	assert_int_equal(udaq_digitizer_start(s.dg), -EBUSY);
	assert_int_equal(udaq_digitizer_stop(s.dg), 0);
	assert_int_equal(udaq_digitizer_configure(s.dg, &good), 0);
	sim_close(&s);
}

/*
 * Paced acquisition with a huge byte threshold: only the timeout interrupt
 * can wake the consumer soon, and it does. Timestamps follow the rate.
 */
static void test_timeout_irq_and_timestamps(void **state)
{
	struct udaq_digitizer_config cfg = {
		.sample_rate = 1000, .chan_mask = 0x1, .frame_samples = 10,
		.policy = UDAQ_POLICY_STOP, .irq_threshold = 32 * 1024,
		.irq_timeout_us = 0, .test_pattern = true,
	};
	struct udaq_reader *rd;
	struct udaq_frame fr;
	struct checker ck;
	struct sim s;
	int got = 0, ret, i;

	(void)state;
	/* 100 frames/s of 72 bytes: 32 KiB would take over 4 s. */
	sim_open(&s, "sim:ring=64K");
	sim_configure(&s, &cfg);
	assert_int_equal(udaq_reader_new(udaq_digitizer_ring(s.dg),
					 UDAQ_READER_LOSSLESS, &rd), 0);
	assert_int_equal(udaq_digitizer_start(s.dg), 0);
	/* Without the timeout nothing wakes us within 300 ms... */
	assert_int_equal(udaq_digitizer_wait(s.dg, 300), 0);
	/* ...though frames were written. */
	assert_true(udaq_ring_wr_ptr(udaq_digitizer_ring(s.dg)) > 0);
	assert_int_equal(udaq_digitizer_stop(s.dg), 0);

	cfg.irq_timeout_us = 20000;
	sim_configure(&s, &cfg);
	checker_init(&ck, s.dg, &cfg);
	assert_int_equal(udaq_digitizer_start(s.dg), 0);
	for (i = 0; i < 5; i++) {
		ret = udaq_digitizer_wait(s.dg, 3000);
		assert_int_equal(ret, 1);
		while (udaq_frame_next(rd, udaq_digitizer_frame_len(s.dg), &fr) > 0) {
			/* ns since start of the first sample, from the sample index. */
			assert_int_equal(fr.timestamp_ns, fr.first_sample * 1000000u);
			checker_frame(&ck, &fr, true);
			assert_int_equal(udaq_frame_release(rd, &fr), 0);
			got++;
		}
	}
	assert_true(got > 0);
	assert_int_equal(ck.bad_samples + ck.bad_headers + ck.gap_mismatch, 0);
	assert_int_equal(udaq_digitizer_stop(s.dg), 0);
	udaq_reader_free(rd);
	sim_close(&s);
}

/* Without the test pattern the card produces a plausible, varying signal. */
static void test_synthetic_signal(void **state)
{
	struct udaq_digitizer_config cfg = {
		.chan_mask = 0x3, .frame_samples = 2048, .policy = UDAQ_POLICY_STOP,
		.freerun = true,
	};
	struct udaq_reader *rd;
	struct udaq_frame fr;
	struct sim s;
	int16_t lo = INT16_MAX, hi = INT16_MIN;
	const int16_t *v;
	uint32_t i;
	int ret;

	(void)state;
	sim_open(&s, "sim:ring=256K");
	sim_configure(&s, &cfg);
	assert_int_equal(udaq_reader_new(udaq_digitizer_ring(s.dg),
					 UDAQ_READER_LOSSLESS, &rd), 0);
	assert_int_equal(udaq_digitizer_start(s.dg), 0);
	do {
		assert_true(udaq_digitizer_wait(s.dg, 1000) >= 0);
		ret = udaq_frame_next(rd, udaq_digitizer_frame_len(s.dg), &fr);
	} while (ret == 0);
	assert_int_equal(ret, 1);
	assert_false(fr.flags & UDAQ_FRAME_FLAG_TEST);
	v = fr.samples;
	for (i = 0; i < fr.nsamples * fr.nchan; i++) {
		if (v[i] < lo)
			lo = v[i];
		if (v[i] > hi)
			hi = v[i];
	}
	/* A sine of amplitude 12000 plus small noise, over several periods. */
	assert_true(lo < -10000 && lo > -12100);
	assert_true(hi > 10000 && hi < 12100);
	assert_int_equal(udaq_frame_release(rd, &fr), 0);
	assert_int_equal(udaq_digitizer_stop(s.dg), 0);
	udaq_reader_free(rd);
	sim_close(&s);
}

/* Each start is a new acquisition: positions and sequence restart at 0. */
static void test_restart(void **state)
{
	struct udaq_digitizer_config cfg = {
		.chan_mask = 0x1, .frame_samples = 100, .policy = UDAQ_POLICY_STOP,
		.test_pattern = true, .freerun = true,
	};
	struct udaq_reader *rd;
	struct udaq_frame fr;
	struct sim s;
	int run, ret;

	(void)state;
	sim_open(&s, "sim:ring=64K");
	sim_configure(&s, &cfg);
	assert_int_equal(udaq_reader_new(udaq_digitizer_ring(s.dg),
					 UDAQ_READER_LOSSLESS, &rd), 0);
	for (run = 0; run < 3; run++) {
		assert_int_equal(udaq_digitizer_start(s.dg), 0);
		do {
			assert_true(udaq_digitizer_wait(s.dg, 1000) >= 0);
			ret = udaq_frame_next(rd, udaq_digitizer_frame_len(s.dg), &fr);
		} while (ret == 0);
		assert_int_equal(ret, 1);
		assert_int_equal(fr.pos, 0);
		assert_int_equal(fr.seq, 0);
		assert_int_equal(fr.first_sample, 0);
		assert_int_equal(udaq_frame_release(rd, &fr), 0);
		assert_int_equal(udaq_digitizer_stop(s.dg), 0);
	}
	udaq_reader_free(rd);
	sim_close(&s);
}

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * A device with nothing to do must not burn a CPU: neither idle, nor with
 * a full ring under the stop policy in freerun (it waits for RD_PTR).
 * The bound is loose (a tenth of the elapsed time): a spinning thread
 * would use all of it.
 */
static void test_no_busy_wait(void **state)
{
	struct udaq_digitizer_config cfg = {
		.chan_mask = 0x1, .frame_samples = 64, .policy = UDAQ_POLICY_STOP,
		.test_pattern = true, .freerun = true,
	};
	struct udaq_digitizer_status st;
	struct timespec half = { 0, 500 * 1000 * 1000 };
	struct udaq_reader *rd;
	struct sim s;
	uint64_t c0, t0, used, elapsed;

	(void)state;
	sim_open(&s, "sim:ring=64K");
	c0 = cpu_ns();
	t0 = mono_ns();
	nanosleep(&half, NULL);
	used = cpu_ns() - c0;
	elapsed = mono_ns() - t0;
	assert_true(used < elapsed / 10);

	sim_configure(&s, &cfg);
	assert_int_equal(udaq_reader_new(udaq_digitizer_ring(s.dg),
					 UDAQ_READER_LOSSLESS, &rd), 0);
	assert_int_equal(udaq_digitizer_start(s.dg), 0);
	/* Nobody reads: the ring fills at once and the device waits. */
	do {
		assert_int_equal(udaq_digitizer_status(s.dg, &st), 0);
	} while (!st.ring_full);
	c0 = cpu_ns();
	t0 = mono_ns();
	nanosleep(&half, NULL);
	used = cpu_ns() - c0;
	elapsed = mono_ns() - t0;
	assert_true(used < elapsed / 10);
	assert_int_equal(udaq_digitizer_status(s.dg, &st), 0);
	assert_true(st.ring_full);
	assert_int_equal(st.lost_samples, 0);
	assert_int_equal(udaq_digitizer_stop(s.dg), 0);
	udaq_reader_free(rd);
	sim_close(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_config_check),
		cmocka_unit_test(test_timeout_irq_and_timestamps),
		cmocka_unit_test(test_synthetic_signal),
		cmocka_unit_test(test_restart),
		cmocka_unit_test(test_no_busy_wait),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
