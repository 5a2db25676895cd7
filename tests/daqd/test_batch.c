// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Frame gathering for the sinks, on a ring over plain memory with frames
 * built by hand: batches, discontinuities, the sample limit, the byte cap,
 * lossy resynchronisation and corrupt frames.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <uio_daq/frame.h>

#include "batch.h"

#define RING_SIZE	(64 * 1024)
#define NCHAN		2
#define FS		100	/* samples per channel per frame */
#define PAYLOAD		(FS * NCHAN * 2)
#define FRAME_LEN	(UDAQ_FRAME_HDR_LEN + PAYLOAD)	/* 448, 8-aligned */

struct fixture {
	uint8_t *mem;		/* 2 * RING_SIZE: the "double mapping" */
	volatile uint64_t wr;
	struct udaq_ring *ring;
	struct udaq_reader *rd;
	struct daqd_stream st;
};

static void put(uint8_t *p, size_t off, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[off + i] = (uint8_t)(v >> (8 * i));
}

/* Append a frame at the write position, as the device would. */
static void add_frame(struct fixture *f, uint64_t first_sample)
{
	uint8_t frame[FRAME_LEN];

	memset(frame, 0, sizeof(frame));
	put(frame, UDAQ_FRAME_OFF_MAGIC, UDAQ_FRAME_MAGIC, 4);
	put(frame, UDAQ_FRAME_OFF_HDR_LEN, UDAQ_FRAME_HDR_LEN, 2);
	put(frame, UDAQ_FRAME_OFF_FIRST_SAMPLE, first_sample, 8);
	put(frame, UDAQ_FRAME_OFF_NSAMPLES, FS, 4);
	put(frame, UDAQ_FRAME_OFF_CHAN_MASK, 0x3, 4);
	put(frame, UDAQ_FRAME_OFF_PAYLOAD_LEN, PAYLOAD, 4);
	put(frame, UDAQ_FRAME_OFF_FORMAT, UDAQ_FORMAT_I16LE, 2);
	for (size_t i = 0; i < PAYLOAD / 2; i++)
		put(frame, UDAQ_FRAME_HDR_LEN + 2 * i, (first_sample * NCHAN + i) & 0xffff, 2);
	for (size_t i = 0; i < FRAME_LEN; i++) {
		size_t off = (size_t)((f->wr + i) % RING_SIZE);

		f->mem[off] = frame[i];
		f->mem[off + RING_SIZE] = frame[i];
	}
	f->wr += FRAME_LEN;
}

static int setup_mode(void **state, enum udaq_reader_mode mode)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct udaq_ring_config rc = { 0 };

	assert_non_null(f);
	f->mem = calloc(2, RING_SIZE);
	assert_non_null(f->mem);
	rc.data = f->mem;
	rc.size = RING_SIZE;
	rc.wr_ptr = &f->wr;
	rc.guard = FRAME_LEN;
	assert_int_equal(udaq_ring_new(&rc, &f->ring), 0);
	assert_int_equal(udaq_reader_new(f->ring, mode, &f->rd), 0);
	f->st.ring = f->ring;
	f->st.frame_len = FRAME_LEN;
	f->st.num_channels = NCHAN;
	f->st.sample_bytes = NCHAN * 2;
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_mode(state, UDAQ_READER_LOSSLESS);
}

static int setup_lossy(void **state)
{
	return setup_mode(state, UDAQ_READER_LOSSY);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	udaq_reader_free(f->rd);
	udaq_ring_free(f->ring);
	free(f->mem);
	free(f);
	return 0;
}

static void test_empty(void **state)
{
	struct fixture *f = *state;
	struct daqd_batch b;

	assert_int_equal(daqd_batch_gather(f->rd, &f->st, 1 << 20, &b), 0);
	/* Half a frame is not a frame. */
	add_frame(f, 0);
	f->wr -= 10;
	assert_int_equal(daqd_batch_gather(f->rd, &f->st, 1 << 20, &b), 0);
}

static void test_contiguous(void **state)
{
	struct fixture *f = *state;
	struct daqd_batch b;

	for (int i = 0; i < 5; i++)
		add_frame(f, (uint64_t)i * FS);
	assert_int_equal(daqd_batch_gather(f->rd, &f->st, 1 << 20, &b), 1);
	assert_int_equal(b.frames, 5);
	assert_int_equal(b.niov, 5);
	assert_int_equal(b.first_sample, 0);
	assert_int_equal(b.samples, 5 * FS);
	assert_int_equal(b.bytes, 5 * PAYLOAD);
	assert_int_equal(b.ring_bytes, 5 * FRAME_LEN);
	/* The pieces are the payloads, headers skipped. */
	assert_ptr_equal(b.iov[1].iov_base, f->mem + FRAME_LEN + UDAQ_FRAME_HDR_LEN);
	assert_int_equal(((uint8_t *)b.iov[1].iov_base)[0], (FS * NCHAN) & 0xff);
	assert_false(b.limit_reached);
	assert_int_equal(udaq_reader_release(f->rd, b.ring_bytes), 0);
	assert_int_equal(daqd_batch_gather(f->rd, &f->st, 1 << 20, &b), 0);
}

static void test_gap_splits(void **state)
{
	struct fixture *f = *state;
	struct daqd_batch b;

	add_frame(f, 0);
	add_frame(f, FS);
	add_frame(f, 5 * FS);	/* three frames dropped before this one */
	add_frame(f, 6 * FS);
	assert_int_equal(daqd_batch_gather(f->rd, &f->st, 1 << 20, &b), 1);
	assert_int_equal(b.frames, 2);
	assert_int_equal(b.first_sample, 0);
	udaq_reader_release(f->rd, b.ring_bytes);
	assert_int_equal(daqd_batch_gather(f->rd, &f->st, 1 << 20, &b), 1);
	assert_int_equal(b.frames, 2);
	assert_int_equal(b.first_sample, 5 * FS);
	assert_int_equal(b.samples, 2 * FS);
}

static void test_limit(void **state)
{
	struct fixture *f = *state;
	struct daqd_batch b;

	f->st.max_samples = FS + FS / 2;
	for (int i = 0; i < 4; i++)
		add_frame(f, (uint64_t)i * FS);
	assert_int_equal(daqd_batch_gather(f->rd, &f->st, 1 << 20, &b), 1);
	assert_true(b.limit_reached);
	assert_int_equal(b.samples, FS + FS / 2);
	assert_int_equal(b.niov, 2);
	assert_int_equal(b.iov[1].iov_len, (FS / 2) * NCHAN * 2);
	assert_int_equal(b.frames, 2);
	udaq_reader_release(f->rd, b.ring_bytes);
	/* Frames past the limit are consumed without payload, and not counted. */
	assert_int_equal(daqd_batch_gather(f->rd, &f->st, 1 << 20, &b), 1);
	assert_int_equal(b.niov, 0);
	assert_int_equal(b.samples, 0);
	assert_int_equal(b.payload_frames, 0);
	assert_int_equal(b.frames, 1);
	assert_int_equal(b.ring_bytes, FRAME_LEN);
}

static void test_byte_cap(void **state)
{
	struct fixture *f = *state;
	struct daqd_batch b;

	for (int i = 0; i < 10; i++)
		add_frame(f, (uint64_t)i * FS);
	assert_int_equal(daqd_batch_gather(f->rd, &f->st, 3 * PAYLOAD, &b), 1);
	assert_int_equal(b.frames, 3);
	assert_int_equal(b.payload_frames, 3);
	/* A cap below one frame still yields one frame. */
	udaq_reader_release(f->rd, b.ring_bytes);
	assert_int_equal(daqd_batch_gather(f->rd, &f->st, 1, &b), 1);
	assert_int_equal(b.frames, 1);
	assert_int_equal(b.first_sample, 3 * FS);
}

static void test_iov_cap(void **state)
{
	struct fixture *f = *state;
	struct daqd_batch b;

	for (int i = 0; i < DAQD_BATCH_MAX_IOV + 10; i++)
		add_frame(f, (uint64_t)i * FS);
	assert_int_equal(daqd_batch_gather(f->rd, &f->st, 1 << 30, &b), 1);
	assert_int_equal(b.frames, DAQD_BATCH_MAX_IOV);
}

static void test_corrupt(void **state)
{
	struct fixture *f = *state;
	struct daqd_batch b;

	add_frame(f, 0);
	f->mem[0] ^= 0xff;
	f->mem[RING_SIZE] ^= 0xff;
	assert_int_equal(daqd_batch_gather(f->rd, &f->st, 1 << 20, &b), -EBADMSG);
}

/* A lossy reader lapped by the device lands on a frame boundary again. */
static void test_lossy_resync(void **state)
{
	struct fixture *f = *state;
	struct daqd_batch b;
	uint64_t n = RING_SIZE / FRAME_LEN + 20;

	for (uint64_t i = 0; i < n; i++)
		add_frame(f, i * FS);
	assert_int_equal(daqd_batch_gather(f->rd, &f->st, 1 << 20, &b), 1);
	assert_true(b.lost_bytes > 0);
	assert_int_equal(b.fb.pos % FRAME_LEN, 0);
	/* The first frame gathered is the one at that boundary. */
	assert_int_equal(b.first_sample, b.fb.pos / FRAME_LEN * FS);
	/* Lost: everything before that boundary (overrun + partial frame). */
	assert_int_equal(b.lost_bytes, b.fb.pos);
	/* The reader counts the same loss: the resync skip is counted too. */
	assert_int_equal(udaq_reader_lost(f->rd), b.fb.pos);
}

/* A stable copy is refused once the device has reached the batch. */
static void test_stabilize(void **state)
{
	struct fixture *f = *state;
	struct daqd_batch b;
	uint8_t *buf = malloc(1 << 20);

	assert_non_null(buf);
	for (int i = 0; i < 3; i++)
		add_frame(f, (uint64_t)i * FS);
	assert_int_equal(daqd_batch_gather(f->rd, &f->st, 1 << 20, &b), 1);
	assert_int_equal(daqd_batch_stabilize(f->rd, &b, buf), 0);
	assert_int_equal(b.niov, 1);
	assert_ptr_equal(b.iov[0].iov_base, buf);
	assert_int_equal(b.iov[0].iov_len, 3 * PAYLOAD);
	assert_memory_equal(buf + PAYLOAD, f->mem + FRAME_LEN + UDAQ_FRAME_HDR_LEN, PAYLOAD);

	assert_int_equal(daqd_batch_gather(f->rd, &f->st, 1 << 20, &b), 1);
	/* The device laps the ring while we copy. */
	f->wr += RING_SIZE;
	assert_int_equal(daqd_batch_stabilize(f->rd, &b, buf), -ESTALE);
	free(buf);
}

static void test_iov_advance(void **state)
{
	char a[10], c[20];
	struct iovec iov[2] = { { a, sizeof(a) }, { c, sizeof(c) } };

	(void)state;
	assert_int_equal(daqd_iov_advance(iov, 2, 0, 4), 0);
	assert_ptr_equal(iov[0].iov_base, a + 4);
	assert_int_equal(iov[0].iov_len, 6);
	assert_int_equal(daqd_iov_advance(iov, 2, 0, 6), 1);
	assert_int_equal(daqd_iov_advance(iov, 2, 1, 19), 1);
	assert_int_equal(iov[1].iov_len, 1);
	assert_int_equal(daqd_iov_advance(iov, 2, 1, 1), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_contiguous, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gap_splits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_byte_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iov_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lossy_resync, setup_lossy, teardown),
		cmocka_unit_test_setup_teardown(test_stabilize, setup_lossy, teardown),
		cmocka_unit_test(test_iov_advance),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
