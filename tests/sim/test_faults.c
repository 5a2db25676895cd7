/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Losses and faults on the simulated refdaq, seen through the public API:
 * overflows reported exactly, a lossless and a lossy reader side by side,
 * surprise removal, DMA errors, a stalled write-back.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include <uio_daq/refdaq.h>
#include <uio_daq/sim.h>

#include "sim_util.h"

#define MiB	(UINT64_C(1) << 20)

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void start_lossless(struct sim *s, const struct udaq_digitizer_config *cfg,
			   struct checker *ck, struct udaq_reader **rd)
{
	sim_configure(s, cfg);
	checker_init(ck, s->dg, cfg);
	assert_int_equal(udaq_reader_new(udaq_digitizer_ring(s->dg),
					 UDAQ_READER_LOSSLESS, rd), 0);
	assert_int_equal(udaq_digitizer_start(s->dg), 0);
}

/* FAULT_OVERFLOW drops exactly one frame each time, flagged and counted. */
static void test_forced_overflow(void **state)
{
	struct udaq_digitizer_config cfg = {
		.chan_mask = 0xff, .frame_samples = 256, .policy = UDAQ_POLICY_STOP,
		.test_pattern = true, .freerun = true,
	};
	struct udaq_digitizer_status st;
	struct udaq_reader *rd;
	struct checker ck;
	struct sim s;
	int i, spins;

	(void)state;
	sim_open(&s, "sim:ring=1M,chunk=64K");
	start_lossless(&s, &cfg, &ck, &rd);
	for (i = 0; i < 5; i++) {
		uint64_t gaps = ck.gaps;

		/* Stream a while, then drop one frame and wait to see its GAP. */
		for (spins = 0; spins < 20; spins++) {
			assert_true(udaq_digitizer_wait(s.dg, 1000) >= 0);
			drain(rd, &ck, true);
		}
		sim_fault(&s, REFDAQ_SIM_FAULT_OVERFLOW);
		for (spins = 0; ck.gaps == gaps && spins < 1000; spins++) {
			assert_true(udaq_digitizer_wait(s.dg, 1000) >= 0);
			drain(rd, &ck, true);
		}
		assert_int_equal(ck.gaps, gaps + 1);
	}
	assert_int_equal(udaq_digitizer_stop(s.dg), 0);
	drain_all(rd, &ck, true);
	assert_int_equal(udaq_digitizer_status(s.dg, &st), 0);

	assert_true(st.err_overflow);
	assert_int_equal(st.lost_samples, 5 * 256);
	assert_int_equal(ck.sample_jumps, st.lost_samples);
	assert_int_equal(ck.seq_jumps, 5);
	assert_int_equal(ck.gap_mismatch, 0);
	assert_int_equal(ck.bad_samples, 0);
	assert_int_equal(ck.bad_headers, 0);
	assert_int_equal(ck.frames, st.frames);
	udaq_reader_free(rd);
	sim_close(&s);
}

/*
 * Real-time pacing, stop policy, a consumer that naps longer than the ring
 * lasts: the device drops whole frames, and LOST equals the sum of the
 * first_sample jumps the consumer sees.
 */
static void test_slow_consumer_stop_policy(void **state)
{
	struct udaq_digitizer_config cfg = {
		.sample_rate = 1000000, .chan_mask = 0x1, .frame_samples = 256,
		.policy = UDAQ_POLICY_STOP, .irq_threshold = 4096,
		.irq_timeout_us = 5000, .test_pattern = true,
	};
	struct udaq_digitizer_status st;
	struct udaq_reader *rd;
	struct checker ck;
	struct sim s;
	uint64_t t0;
	int i;

	(void)state;
	/* 1 MS/s x 2 bytes: the 64 KiB ring lasts about 36 ms. */
	sim_open(&s, "sim:ring=64K,chunk=4K,channels=2");
	start_lossless(&s, &cfg, &ck, &rd);
	for (i = 0; i < 3; i++) {
		sleep_ms(80);
		drain(rd, &ck, true);
	}
	/* Then keep up for a while, so that the last drop is followed by frames. */
	t0 = mono_ns();
	while (mono_ns() - t0 < 150000000u) {
		assert_true(udaq_digitizer_wait(s.dg, 20) >= 0);
		drain(rd, &ck, true);
	}
	/* A few ms with an empty ring: the device writes frames, drops none. */
	sleep_ms(5);
	drain(rd, &ck, true);
	assert_int_equal(udaq_digitizer_stop(s.dg), 0);
	drain_all(rd, &ck, true);
	assert_int_equal(udaq_digitizer_status(s.dg, &st), 0);

	print_message("  slow consumer: %llu frames, %llu lost samples in %llu gaps\n",
		      (unsigned long long)ck.frames, (unsigned long long)st.lost_samples,
		      (unsigned long long)ck.gaps);
	assert_true(st.lost_samples > 0);
	assert_true(st.err_overflow);
	assert_int_equal(ck.sample_jumps, st.lost_samples);
	assert_int_equal(ck.seq_jumps * 256, st.lost_samples);
	assert_int_equal(ck.gap_mismatch, 0);
	assert_int_equal(ck.bad_samples, 0);
	assert_int_equal(ck.bad_headers, 0);
	assert_int_equal(ck.frames, st.frames);
	udaq_reader_free(rd);
	sim_close(&s);
}

struct lossy_arg {
	struct udaq_reader *rd;
	struct checker ck;
	volatile int stop;
};

static void *lossy_thread(void *p)
{
	struct lossy_arg *a = p;

	while (!__atomic_load_n(&a->stop, __ATOMIC_ACQUIRE))
		if (drain_lossy(a->rd, &a->ck) == 0)
			sched_yield();
	return NULL;
}

/* A lossless reader holds the device; a lossy one beside it never does. */
static void test_lossless_and_lossy(void **state)
{
	struct udaq_digitizer_config cfg = {
		.chan_mask = 0x0f, .frame_samples = 500, .policy = UDAQ_POLICY_STOP,
		.test_pattern = true, .freerun = true,
	};
	struct udaq_digitizer_status st;
	struct udaq_reader *rd;
	struct lossy_arg la;
	struct checker ck;
	pthread_t th;
	struct sim s;

	(void)state;
	sim_open(&s, "sim:ring=1M,chunk=128K");
	sim_configure(&s, &cfg);
	checker_init(&ck, s.dg, &cfg);
	checker_init(&la.ck, s.dg, &cfg);
	la.stop = 0;
	assert_int_equal(udaq_reader_new(udaq_digitizer_ring(s.dg),
					 UDAQ_READER_LOSSLESS, &rd), 0);
	assert_int_equal(udaq_reader_new(udaq_digitizer_ring(s.dg),
					 UDAQ_READER_LOSSY, &la.rd), 0);
	assert_int_equal(udaq_digitizer_start(s.dg), 0);
	assert_int_equal(pthread_create(&th, NULL, lossy_thread, &la), 0);
	while (ck.bytes < 64 * MiB) {
		assert_true(udaq_digitizer_wait(s.dg, 1000) >= 0);
		drain(rd, &ck, true);
	}
	assert_int_equal(udaq_digitizer_stop(s.dg), 0);
	__atomic_store_n(&la.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	drain_all(rd, &ck, true);
	drain_lossy_all(la.rd, &la.ck);
	assert_int_equal(udaq_digitizer_status(s.dg, &st), 0);

	print_message("  lossless %llu frames; lossy %llu frames, %llu bytes lost, %llu torn\n",
		      (unsigned long long)ck.frames, (unsigned long long)la.ck.frames,
		      (unsigned long long)la.ck.lost_bytes, (unsigned long long)la.ck.torn);
	/* The lossless reader got everything. */
	assert_int_equal(ck.frames, st.frames);
	assert_int_equal(ck.seq_jumps, 0);
	assert_int_equal(ck.bad_samples + ck.bad_headers + ck.gap_mismatch, 0);
	assert_int_equal(st.lost_samples, 0);
	/* The lossy one: every intact frame right, every other byte accounted for. */
	assert_true(la.ck.frames > 0);
	assert_int_equal(la.ck.bad_samples + la.ck.bad_headers + la.ck.gap_mismatch, 0);
	assert_int_equal(la.ck.bytes + la.ck.lost_bytes + la.ck.torn * la.ck.frame_len,
			 st.wr_ptr);
	assert_int_equal(udaq_reader_lost(la.rd), la.ck.lost_bytes);
	udaq_reader_free(la.rd);
	udaq_reader_free(rd);
	sim_close(&s);
}

/*
 * Stop policy with no lossless reader: a lossy reader that never reads,
 * or no reader at all, must not hold the device. Free-running, a held
 * device would stall for good; paced, it would drop frames. Both run on,
 * and dropping the last lossless reader lets a held device go at once.
 */
static void run_unheld(bool with_lossy, bool paced)
{
	struct udaq_digitizer_config cfg = {
		.chan_mask = 0x3, .frame_samples = 256, .policy = UDAQ_POLICY_STOP,
		.test_pattern = true, .freerun = !paced,
		.sample_rate = paced ? 1000000 : 0,
	};
	struct udaq_digitizer_status st;
	struct udaq_reader *lossy = NULL;
	/*
	 * Free-running time is virtual; paced, the device drops once the ring
	 * stays full, and with no lossless reader it is this thread's wait()
	 * that moves the device's read pointer on. A 64 KiB ring at 4 MB/s
	 * leaves 16 ms, which a loaded CI machine can steal from this thread:
	 * the paced run gets 128 ms (the same 32 rings, larger ones).
	 */
	const uint64_t ring = paced ? 512 * 1024 : 64 * 1024;
	struct sim s;
	uint64_t t0;

	sim_open(&s, paced ? "sim:ring=512K,chunk=4K" : "sim:ring=64K,chunk=4K");
	sim_configure(&s, &cfg);
	if (with_lossy)
		assert_int_equal(udaq_reader_new(udaq_digitizer_ring(s.dg),
						 UDAQ_READER_LOSSY, &lossy), 0);
	assert_int_equal(udaq_digitizer_start(s.dg), 0);
	/* 32 rings' worth through a ring nobody reads. */
	t0 = mono_ns();
	do {
		assert_true(udaq_digitizer_wait(s.dg, 100) >= 0);
		assert_int_equal(udaq_digitizer_status(s.dg, &st), 0);
		assert_true(mono_ns() - t0 < UINT64_C(20000000000));
	} while (st.wr_ptr < 32 * ring);
	assert_int_equal(udaq_digitizer_stop(s.dg), 0);
	assert_int_equal(udaq_digitizer_status(s.dg, &st), 0);
	assert_int_equal(st.lost_samples, 0);
	assert_false(st.err_overflow);
	if (lossy) {
		struct udaq_span sp;

		/* The reader is told it was lapped, by exactly what it missed. */
		assert_int_equal(udaq_reader_peek(lossy, &sp), 0);
		assert_true(sp.lost > st.wr_ptr - ring);
		assert_int_equal(sp.lost + sp.len, st.wr_ptr);
		udaq_reader_free(lossy);
	}
	sim_close(&s);
}

static void test_unheld_no_reader(void **state)
{
	(void)state;
	run_unheld(false, false);
	run_unheld(false, true);
}

static void test_unheld_lossy_reader(void **state)
{
	(void)state;
	run_unheld(true, false);
	run_unheld(true, true);
}

/* The last lossless reader freed while the device waits for it. */
static void test_last_lossless_freed(void **state)
{
	struct udaq_digitizer_config cfg = {
		.chan_mask = 0x1, .frame_samples = 256, .policy = UDAQ_POLICY_STOP,
		.test_pattern = true, .freerun = true,
	};
	struct udaq_digitizer_status st;
	struct udaq_reader *rd;
	struct sim s;
	uint64_t w0;
	int i;

	(void)state;
	sim_open(&s, "sim:ring=64K,chunk=4K");
	sim_configure(&s, &cfg);
	assert_int_equal(udaq_reader_new(udaq_digitizer_ring(s.dg),
					 UDAQ_READER_LOSSLESS, &rd), 0);
	assert_int_equal(udaq_digitizer_start(s.dg), 0);
	/* Nobody reads: the device fills the ring and waits (5 s at most). */
	for (i = 0; i < 500; i++) {
		sleep_ms(10);
		assert_int_equal(udaq_digitizer_status(s.dg, &st), 0);
		if (st.ring_full)
			break;
	}
	assert_true(st.ring_full);
	w0 = st.wr_ptr;
	assert_true(w0 <= 65536);
	udaq_reader_free(rd);
	for (i = 0; i < 500; i++) {
		sleep_ms(10);
		assert_int_equal(udaq_digitizer_status(s.dg, &st), 0);
		if (st.wr_ptr > w0)
			break;
	}
	assert_true(st.wr_ptr > w0);	/* it went on at once, without a wait() */
	/* And on for good while the acquisition thread waits. */
	while (st.wr_ptr < w0 + 16 * 65536) {
		assert_true(udaq_digitizer_wait(s.dg, 100) >= 0);
		assert_int_equal(udaq_digitizer_status(s.dg, &st), 0);
	}
	assert_int_equal(udaq_digitizer_stop(s.dg), 0);
	assert_int_equal(udaq_digitizer_status(s.dg, &st), 0);
	assert_int_equal(st.lost_samples, 0);
	sim_close(&s);
}

/*
 * Overwrite policy: nothing holds the device, not even a lossless reader.
 * Such a reader, lapped by a fast device, must still get only intact
 * frames and an exact account of the rest (lost = actually lost), as a
 * lossy one does; it must never be handed a frame being overwritten.
 */
static void test_lossless_under_overwrite(void **state)
{
	struct udaq_digitizer_config cfg = {
		.chan_mask = 0x3, .frame_samples = 256, .policy = UDAQ_POLICY_OVERWRITE,
		.test_pattern = true, .freerun = true,
	};
	struct udaq_digitizer_status st;
	struct udaq_reader *rd;
	struct checker ck;
	struct sim s;
	unsigned int round = 0;

	(void)state;
	sim_open(&s, "sim:ring=64K,chunk=4K");
	sim_configure(&s, &cfg);
	checker_init(&ck, s.dg, &cfg);
	assert_int_equal(udaq_reader_new(udaq_digitizer_ring(s.dg),
					 UDAQ_READER_LOSSLESS, &rd), 0);
	assert_int_equal(udaq_digitizer_start(s.dg), 0);
	while (udaq_ring_wr_ptr(udaq_digitizer_ring(s.dg)) < 64 * MiB) {
		assert_true(udaq_digitizer_wait(s.dg, 1000) >= 0);
		drain_lossy(rd, &ck);
		if (++round % 8 == 0)
			sleep_ms(1);	/* fall behind: the device laps us */
	}
	assert_int_equal(udaq_digitizer_stop(s.dg), 0);
	drain_lossy_all(rd, &ck);
	assert_int_equal(udaq_digitizer_status(s.dg, &st), 0);
	print_message("  lossless reader, overwrite: %llu frames, %llu bytes lost, %llu torn\n",
		      (unsigned long long)ck.frames, (unsigned long long)ck.lost_bytes,
		      (unsigned long long)ck.torn);
	assert_true(ck.lost_bytes > 0);		/* it really was lapped */
	assert_int_equal(ck.bad_samples + ck.bad_headers + ck.gap_mismatch, 0);
	assert_int_equal(ck.bytes + ck.lost_bytes + ck.torn * ck.frame_len, st.wr_ptr);
	assert_int_equal(udaq_reader_lost(rd), ck.lost_bytes);
	udaq_reader_free(rd);
	sim_close(&s);
}

struct lossless_arg {
	struct udaq_reader *rd;
	struct checker ck;
	int stop;
};

static void *lossless_thread(void *p)
{
	struct lossless_arg *a = p;
	struct timespec ts = { 0, 200 * 1000 };

	while (!__atomic_load_n(&a->stop, __ATOMIC_ACQUIRE))
		if (drain(a->rd, &a->ck, true) == 0)
			nanosleep(&ts, NULL);
	return NULL;
}

/*
 * Two lossless readers in two threads: the device is held by the slower
 * one at every moment, so both see every frame, in order.
 */
static void test_two_lossless_threads(void **state)
{
	struct udaq_digitizer_config cfg = {
		.chan_mask = 0x3, .frame_samples = 300, .policy = UDAQ_POLICY_STOP,
		.test_pattern = true, .freerun = true,
	};
	struct udaq_digitizer_status st;
	struct lossless_arg b;
	struct udaq_reader *rd;
	struct checker ck;
	pthread_t th;
	struct sim s;

	(void)state;
	sim_open(&s, "sim:ring=128K,chunk=8K");
	sim_configure(&s, &cfg);
	checker_init(&ck, s.dg, &cfg);
	checker_init(&b.ck, s.dg, &cfg);
	b.stop = 0;
	assert_int_equal(udaq_reader_new(udaq_digitizer_ring(s.dg),
					 UDAQ_READER_LOSSLESS, &rd), 0);
	assert_int_equal(udaq_reader_new(udaq_digitizer_ring(s.dg),
					 UDAQ_READER_LOSSLESS, &b.rd), 0);
	assert_int_equal(udaq_digitizer_start(s.dg), 0);
	assert_int_equal(pthread_create(&th, NULL, lossless_thread, &b), 0);
	while (ck.bytes < 48 * MiB) {
		assert_true(udaq_digitizer_wait(s.dg, 1000) >= 0);
		drain(rd, &ck, true);
	}
	assert_int_equal(udaq_digitizer_stop(s.dg), 0);
	__atomic_store_n(&b.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	drain_all(rd, &ck, true);
	drain_all(b.rd, &b.ck, true);
	assert_int_equal(udaq_digitizer_status(s.dg, &st), 0);

	assert_int_equal(st.lost_samples, 0);
	assert_int_equal(ck.frames, st.frames);
	assert_int_equal(b.ck.frames, st.frames);
	assert_int_equal(ck.seq_jumps + b.ck.seq_jumps, 0);
	assert_int_equal(ck.bad_samples + ck.bad_headers + ck.gap_mismatch, 0);
	assert_int_equal(b.ck.bad_samples + b.ck.bad_headers + b.ck.gap_mismatch, 0);
	assert_int_equal(udaq_reader_lost(rd) + udaq_reader_lost(b.rd), 0);
	assert_int_equal(udaq_ring_rd_ptr(udaq_digitizer_ring(s.dg)), st.wr_ptr);
	udaq_reader_free(b.rd);
	udaq_reader_free(rd);
	sim_close(&s);
}

struct waiter {
	struct udaq_digitizer *dg;
	int ret;
};

static void *wait_thread(void *p)
{
	struct waiter *w = p;

	w->ret = udaq_digitizer_wait(w->dg, 20000);
	return NULL;
}

/* Surprise removal wakes a blocked waiter with -ENODEV; status says gone. */
static void test_device_gone(void **state)
{
	struct udaq_digitizer_config cfg = {
		.sample_rate = 10, .chan_mask = 0x1, .frame_samples = 1000,
		.policy = UDAQ_POLICY_STOP, .test_pattern = true,
	};
	struct udaq_digitizer_status st;
	struct udaq_reader *rd;
	struct checker ck;
	struct waiter w;
	pthread_t th;
	struct sim s;

	(void)state;
	/* One frame per 100 s: nothing will wake the waiter but the removal. */
	sim_open(&s, "sim:ring=64K");
	start_lossless(&s, &cfg, &ck, &rd);
	w.dg = s.dg;
	w.ret = 1;
	assert_int_equal(pthread_create(&th, NULL, wait_thread, &w), 0);
	sleep_ms(50);
	sim_fault(&s, REFDAQ_SIM_FAULT_GONE);
	pthread_join(th, NULL);
	assert_int_equal(w.ret, -ENODEV);
	assert_int_equal(udaq_digitizer_wait(s.dg, 100), -ENODEV);
	assert_int_equal(udaq_map_read32(s.regs, REFDAQ_REG_ID), UINT32_MAX);
	assert_int_equal(udaq_digitizer_status(s.dg, &st), 0);
	assert_true(st.gone);
	assert_false(st.running);
	udaq_reader_free(rd);
	sim_close(&s);
}

/* A DMA fault halts the device and wait() says -EIO; reset + start recovers. */
static void test_dma_fault(void **state)
{
	struct udaq_digitizer_config cfg = {
		.chan_mask = 0x3, .frame_samples = 128, .policy = UDAQ_POLICY_STOP,
		.test_pattern = true, .freerun = true,
	};
	struct udaq_digitizer_status st;
	struct udaq_reader *rd;
	struct checker ck;
	struct sim s;
	int i, ret = 0;

	(void)state;
	sim_open(&s, "sim:ring=256K");
	start_lossless(&s, &cfg, &ck, &rd);
	for (i = 0; i < 10; i++) {
		assert_true(udaq_digitizer_wait(s.dg, 1000) >= 0);
		drain(rd, &ck, true);
	}
	sim_fault(&s, REFDAQ_SIM_FAULT_DMA);
	for (i = 0; i < 100; i++) {
		ret = udaq_digitizer_wait(s.dg, 100);
		if (ret < 0)
			break;
		drain(rd, &ck, true);
	}
	assert_int_equal(ret, -EIO);
	assert_int_equal(udaq_digitizer_status(s.dg, &st), 0);
	assert_true(st.err_dma);
	assert_false(st.running);
	assert_int_equal(ck.bad_samples + ck.bad_headers + ck.gap_mismatch, 0);

	/* Recovery: reset, start again; positions restart at 0. */
	assert_int_equal(udaq_digitizer_reset(s.dg), 0);
	assert_int_equal(udaq_digitizer_start(s.dg), 0);
	checker_init(&ck, s.dg, &cfg);
	while (ck.frames < 100) {
		assert_int_equal(udaq_digitizer_wait(s.dg, 1000), 1);
		drain(rd, &ck, true);
	}
	assert_int_equal(ck.bad_samples + ck.bad_headers + ck.gap_mismatch + ck.seq_jumps, 0);
	assert_int_equal(udaq_digitizer_stop(s.dg), 0);
	assert_int_equal(udaq_digitizer_status(s.dg, &st), 0);
	assert_false(st.err_dma);
	udaq_reader_free(rd);
	sim_close(&s);
}

/*
 * A stalled write-back hides new data from the consumer (the ring fills
 * and the device waits); when it resumes nothing was lost.
 */
static void test_stalled_write_back(void **state)
{
	struct udaq_digitizer_config cfg = {
		.chan_mask = 0x1, .frame_samples = 1000, .policy = UDAQ_POLICY_STOP,
		.test_pattern = true, .freerun = true,
	};
	struct udaq_digitizer_status st;
	struct udaq_reader *rd;
	struct checker ck;
	struct sim s;
	uint64_t w0;
	int i;

	(void)state;
	sim_open(&s, "sim:ring=128K");
	start_lossless(&s, &cfg, &ck, &rd);
	for (i = 0; i < 5; i++) {
		assert_true(udaq_digitizer_wait(s.dg, 1000) >= 0);
		drain(rd, &ck, true);
	}
	sim_fault(&s, REFDAQ_SIM_FAULT_STALL_WB);
	w0 = udaq_ring_wr_ptr(udaq_digitizer_ring(s.dg));
	/*
	 * The device fills the ring behind the stalled write-back; how soon
	 * depends on the machine's load, so wait for it (5 s at most) while
	 * checking that the consumer never sees anything past w0.
	 */
	for (i = 0; i < 500; i++) {
		sleep_ms(10);
		drain(rd, &ck, true);
		assert_int_equal(udaq_ring_wr_ptr(udaq_digitizer_ring(s.dg)), w0);
		assert_int_equal(udaq_digitizer_status(s.dg, &st), 0);
		if (st.ring_full)
			break;
	}
	assert_true(st.wr_ptr > w0);		/* the register moved on */
	assert_true(st.ring_full);		/* and the device now waits */
	assert_int_equal(ck.bytes, w0);

	sim_fault(&s, REFDAQ_SIM_FAULT_UNSTALL);
	while (ck.bytes < 8 * MiB) {
		assert_true(udaq_digitizer_wait(s.dg, 1000) >= 0);
		drain(rd, &ck, true);
	}
	assert_int_equal(udaq_digitizer_stop(s.dg), 0);
	drain_all(rd, &ck, true);
	assert_int_equal(udaq_digitizer_status(s.dg, &st), 0);
	assert_int_equal(ck.frames, st.frames);
	assert_int_equal(st.lost_samples, 0);
	assert_int_equal(ck.bad_samples + ck.bad_headers + ck.gap_mismatch + ck.seq_jumps, 0);
	udaq_reader_free(rd);
	sim_close(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forced_overflow),
		cmocka_unit_test(test_slow_consumer_stop_policy),
		cmocka_unit_test(test_lossless_and_lossy),
		cmocka_unit_test(test_two_lossless_threads),
		cmocka_unit_test(test_device_gone),
		cmocka_unit_test(test_dma_fault),
		cmocka_unit_test(test_stalled_write_back),
		cmocka_unit_test(test_unheld_no_reader),
		cmocka_unit_test(test_unheld_lossy_reader),
		cmocka_unit_test(test_last_lossless_freed),
		cmocka_unit_test(test_lossless_under_overwrite),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
