/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Frames: header validation, iteration over a reader (one by one and in
 * batches), resync after overrun. */
#include <endian.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <uio_daq/digitizer.h>
#include <uio_daq/frame.h>

#include "fake_ring.h"

static void put16(unsigned char *p, size_t off, uint16_t v)
{
	v = htole16(v);
	memcpy(p + off, &v, 2);
}

static void put32(unsigned char *p, size_t off, uint32_t v)
{
	v = htole32(v);
	memcpy(p + off, &v, 4);
}

static void put64(unsigned char *p, size_t off, uint64_t v)
{
	v = htole64(v);
	memcpy(p + off, &v, 8);
}

/* Bytes a frame occupies, computed here independently of the library. */
static size_t flen(uint32_t ns, uint32_t mask)
{
	size_t n = 48 + (size_t)ns * (size_t)__builtin_popcount(mask) * 2;

	return (n + 7) / 8 * 8;
}

/* A valid frame into @p (at least flen() bytes); samples are seq-derived. */
static size_t make_frame(unsigned char *p, uint64_t seq, uint32_t ns, uint32_t mask)
{
	size_t len = flen(ns, mask), i;
	uint32_t payload = ns * (uint32_t)__builtin_popcount(mask) * 2;

	memset(p, 0, len);
	put32(p, UDAQ_FRAME_OFF_MAGIC, UDAQ_FRAME_MAGIC);
	put16(p, UDAQ_FRAME_OFF_HDR_LEN, 48);
	put16(p, UDAQ_FRAME_OFF_FLAGS, UDAQ_FRAME_FLAG_TEST);
	put64(p, UDAQ_FRAME_OFF_SEQ, seq);
	put64(p, UDAQ_FRAME_OFF_TIMESTAMP, seq * 1000);
	put64(p, UDAQ_FRAME_OFF_FIRST_SAMPLE, seq * ns);
	put32(p, UDAQ_FRAME_OFF_NSAMPLES, ns);
	put32(p, UDAQ_FRAME_OFF_CHAN_MASK, mask);
	put32(p, UDAQ_FRAME_OFF_PAYLOAD_LEN, payload);
	put16(p, UDAQ_FRAME_OFF_FORMAT, UDAQ_FORMAT_I16LE);
	for (i = 0; i < payload; i++)
		p[48 + i] = (unsigned char)(seq + i);
	return len;
}

static void test_parse_valid(void **state)
{
	unsigned char buf[1024];
	struct udaq_frame fr;
	size_t len;

	(void)state;
	/* 3 channels x 5 samples = 30 payload bytes: 78 rounds up to 80. */
	len = make_frame(buf, 42, 5, 0x0b);
	assert_int_equal(len, 80);
	assert_int_equal(udaq_frame_parse(buf, len, &fr), 1);
	assert_int_equal(fr.seq, 42);
	assert_int_equal(fr.timestamp_ns, 42000);
	assert_int_equal(fr.first_sample, 210);
	assert_int_equal(fr.nsamples, 5);
	assert_int_equal(fr.chan_mask, 0x0b);
	assert_int_equal(fr.nchan, 3);
	assert_int_equal(fr.format, UDAQ_FORMAT_I16LE);
	assert_int_equal(fr.flags, UDAQ_FRAME_FLAG_TEST);
	assert_ptr_equal(fr.samples, buf + 48);
	assert_int_equal(fr.payload_len, 30);
	assert_int_equal(fr.frame_len, 80);
	/* Extra bytes after the frame are none of its business. */
	assert_int_equal(udaq_frame_parse(buf, sizeof(buf), &fr), 1);
	assert_int_equal(fr.frame_len, 80);
}

static void test_parse_short(void **state)
{
	unsigned char buf[256];
	struct udaq_frame fr;
	size_t len;

	(void)state;
	len = make_frame(buf, 1, 8, 0x3);
	assert_int_equal(udaq_frame_parse(buf, 0, &fr), 0);
	assert_int_equal(udaq_frame_parse(buf, 47, &fr), 0);
	assert_int_equal(udaq_frame_parse(buf, 48, &fr), 0);
	assert_int_equal(udaq_frame_parse(buf, len - 1, &fr), 0);
	assert_int_equal(udaq_frame_parse(buf, len, &fr), 1);
	assert_int_equal(udaq_frame_parse(NULL, len, &fr), -EINVAL);
	assert_int_equal(udaq_frame_parse(buf, len, NULL), -EINVAL);
}

static void test_parse_extended_header(void **state)
{
	unsigned char buf[256];
	struct udaq_frame fr;

	(void)state;
	/* A longer header (a future version) is skipped over. */
	make_frame(buf + 8, 3, 4, 0x1);
	memmove(buf, buf + 8, 48);
	memset(buf + 48, 0xaa, 8);
	put16(buf, UDAQ_FRAME_OFF_HDR_LEN, 56);
	assert_int_equal(udaq_frame_parse(buf, sizeof(buf), &fr), 1);
	assert_ptr_equal(fr.samples, buf + 56);
	assert_int_equal(fr.frame_len, 64);
}

/* Every malformed header field on its own. */
static void test_parse_malformed(void **state)
{
	unsigned char good[512], buf[512];
	struct udaq_frame fr;
	size_t len;

	(void)state;
	len = make_frame(good, 7, 16, 0xf0);

#define BAD(mutation) do {						\
		memcpy(buf, good, sizeof(buf));				\
		mutation;						\
		assert_int_equal(udaq_frame_parse(buf, sizeof(buf), &fr), -EBADMSG); \
	} while (0)

	BAD(put32(buf, UDAQ_FRAME_OFF_MAGIC, 0x46514453));
	BAD(put32(buf, UDAQ_FRAME_OFF_MAGIC, 0));
	BAD(put16(buf, UDAQ_FRAME_OFF_HDR_LEN, 40));		/* too short */
	BAD(put16(buf, UDAQ_FRAME_OFF_HDR_LEN, 0));
	BAD(put16(buf, UDAQ_FRAME_OFF_HDR_LEN, 52));		/* not 8-aligned */
	BAD(put16(buf, UDAQ_FRAME_OFF_HDR_LEN, 2048));	/* absurd */
	BAD(put16(buf, UDAQ_FRAME_OFF_FORMAT, 1));
	BAD(put16(buf, UDAQ_FRAME_OFF_FORMAT, 0xffff));
	BAD(put32(buf, UDAQ_FRAME_OFF_NSAMPLES, 0));
	BAD(put32(buf, UDAQ_FRAME_OFF_CHAN_MASK, 0));
	BAD(put32(buf, UDAQ_FRAME_OFF_PAYLOAD_LEN, 16 * 4 * 2 + 2));
	BAD(put32(buf, UDAQ_FRAME_OFF_PAYLOAD_LEN, 16 * 4 * 2 - 2));
	BAD(put32(buf, UDAQ_FRAME_OFF_PAYLOAD_LEN, 0));
	BAD(put32(buf, UDAQ_FRAME_OFF_CHAN_MASK, 0xf1));	/* 5 channels now */
	BAD(put32(buf, UDAQ_FRAME_OFF_NSAMPLES, 17));
	/* Overflow bait: a product that wraps 32 bits must not match. */
	BAD(put32(buf, UDAQ_FRAME_OFF_NSAMPLES, 0x80000000u);
	    put32(buf, UDAQ_FRAME_OFF_CHAN_MASK, 0x1);
	    put32(buf, UDAQ_FRAME_OFF_PAYLOAD_LEN, 0));
#undef BAD
	memcpy(buf, good, sizeof(buf));
	assert_int_equal(udaq_frame_parse(buf, len, &fr), 1);
}

/* Frames @from to @to - 1, each at its place (seq x frame length) in @f. */
static void write_frames(struct fake_ring *f, uint64_t from, uint64_t to,
			 uint32_t ns, uint32_t mask)
{
	unsigned char tmp[128];

	for (uint64_t k = from; k < to; k++) {
		make_frame(tmp, k, ns, mask);
		fake_ring_write(f, k * flen(ns, mask), tmp, flen(ns, mask));
	}
}

/* Frames through a reader, including one straddling the ring's end. */
static void test_next_and_release(void **state)
{
	const uint32_t ns = 10, mask = 0x3;
	size_t fl = flen(ns, mask);		/* 88 */
	size_t size = 4096;
	struct udaq_ring_config c;
	struct udaq_reader *rd;
	struct udaq_ring *ring;
	struct udaq_frame fr, other;
	struct fake_ring f;
	unsigned char tmp[128];
	uint64_t seq, start;

	(void)state;
	fake_ring_init(&f, size);
	c = fake_ring_config(&f, fl);
	assert_int_equal(udaq_ring_new(&c, &ring), 0);
	/* Start a few frames before the end of the ring, frame-aligned. */
	start = (size / fl - 2) * fl;
	udaq_ring_reset(ring, start);
	f.wr = start;
	assert_int_equal(udaq_reader_new(ring, UDAQ_READER_LOSSLESS, &rd), 0);
	assert_int_equal(udaq_frame_next(rd, fl, &fr), 0);

	for (seq = 0; seq < 5; seq++) {
		make_frame(tmp, seq, ns, mask);
		fake_ring_write(&f, start + seq * fl, tmp, fl);
	}
	/* Half a frame visible: not yet. */
	f.wr = start + fl / 2;
	assert_int_equal(udaq_frame_next(rd, fl, &fr), 0);
	f.wr = start + 5 * fl;
	for (seq = 0; seq < 5; seq++) {
		assert_int_equal(udaq_frame_next(rd, fl, &fr), 1);
		assert_int_equal(fr.seq, seq);
		assert_int_equal(fr.pos, start + seq * fl);
		assert_int_equal(fr.lost_bytes, 0);
		assert_int_equal(((const unsigned char *)fr.samples)[3],
				 (unsigned char)(seq + 3));
		assert_int_equal(udaq_frame_check(rd, &fr), 0);
		/* Peeking again without releasing yields the same frame. */
		assert_int_equal(udaq_frame_next(rd, fl, &other), 1);
		assert_int_equal(other.pos, fr.pos);
		assert_int_equal(udaq_frame_release(rd, &fr), 0);
		/* Released once: a second release of the same frame is refused. */
		assert_int_equal(udaq_frame_release(rd, &fr), -EINVAL);
	}
	assert_int_equal(udaq_frame_next(rd, fl, &fr), 0);
	assert_int_equal(udaq_ring_rd_ptr(ring), start + 5 * fl);

	/* A frame of another length than the acquisition's is an error. */
	make_frame(tmp, 5, ns + 4, mask);
	fake_ring_write(&f, start + 5 * fl, tmp, flen(ns + 4, mask));
	f.wr = start + 5 * fl + flen(ns + 4, mask);
	assert_int_equal(udaq_frame_next(rd, fl, &fr), -EBADMSG);
	/* Garbage where a header should be. */
	memset(tmp, 0x5a, sizeof(tmp));
	fake_ring_write(&f, start + 5 * fl, tmp, fl);
	assert_int_equal(udaq_frame_next(rd, fl, &fr), -EBADMSG);

	udaq_reader_free(rd);
	udaq_ring_free(ring);
	fake_ring_fini(&f);
}

/* A lossy reader overrun mid-frame resyncs to the next frame boundary. */
static void test_lossy_resync(void **state)
{
	const uint32_t ns = 20, mask = 0x1;
	size_t fl = flen(ns, mask);		/* 88 */
	size_t size = 4096, guard = fl;
	struct udaq_ring_config c;
	struct udaq_reader *rd;
	struct udaq_ring *ring;
	struct udaq_frame fr;
	struct fake_ring f;
	uint64_t nframes = 100, w, oldest, first_boundary;

	(void)state;
	fake_ring_init(&f, size);
	c = fake_ring_config(&f, guard);
	assert_int_equal(udaq_ring_new(&c, &ring), 0);
	udaq_ring_reset(ring, 0);
	assert_int_equal(udaq_reader_new(ring, UDAQ_READER_LOSSY, &rd), 0);
	write_frames(&f, 0, nframes, ns, mask);
	w = nframes * fl;
	f.wr = w;
	oldest = w - (size - guard);
	first_boundary = (oldest + fl - 1) / fl * fl;
	assert_true(oldest % fl != 0);	/* the case under test: mid-frame */

	assert_int_equal(udaq_frame_next(rd, fl, &fr), 1);
	assert_int_equal(fr.pos, first_boundary);
	assert_int_equal(fr.seq, first_boundary / fl);
	/* Everything before the frame is reported lost, exactly. */
	assert_int_equal(fr.lost_bytes, first_boundary);
	assert_int_equal(udaq_reader_lost(rd), first_boundary);
	assert_int_equal(udaq_frame_check(rd, &fr), 0);
	assert_int_equal(udaq_frame_release(rd, &fr), 0);

	/* The device laps the reader while it holds a frame: check() says so. */
	assert_int_equal(udaq_frame_next(rd, fl, &fr), 1);
	assert_int_equal(fr.lost_bytes, 0);
	f.wr = fr.pos + size;
	assert_int_equal(udaq_frame_check(rd, &fr), -ESTALE);

	udaq_reader_free(rd);
	udaq_ring_free(ring);
	fake_ring_fini(&f);
}

/*
 * An overrun is reported with every frame_next() until a release (so a
 * call that returns nothing cannot swallow it), and counted once.
 */
static void test_lost_reported_until_release(void **state)
{
	const uint32_t ns = 20, mask = 0x1;
	size_t fl = flen(ns, mask), size = 4096;
	struct udaq_ring_config c;
	struct udaq_reader *rd;
	struct udaq_ring *ring;
	struct udaq_frame fr;
	struct fake_ring f;
	uint64_t w, boundary;

	(void)state;
	fake_ring_init(&f, size);
	c = fake_ring_config(&f, fl);
	assert_int_equal(udaq_ring_new(&c, &ring), 0);
	udaq_ring_reset(ring, 0);
	assert_int_equal(udaq_reader_new(ring, UDAQ_READER_LOSSY, &rd), 0);
	write_frames(&f, 0, 101, ns, mask);
	/* W in the middle of frame 100: the overrun lands mid-frame too. */
	w = 100 * fl + fl / 2;
	f.wr = w;
	boundary = (w - (size - fl) + fl - 1) / fl * fl;
	assert_int_equal(udaq_frame_next(rd, fl, &fr), 1);
	assert_int_equal(fr.pos, boundary);
	assert_int_equal(fr.lost_bytes, boundary);
	/* Peeking again without releasing reports the same loss, not twice it. */
	assert_int_equal(udaq_frame_next(rd, fl, &fr), 1);
	assert_int_equal(fr.lost_bytes, boundary);
	assert_int_equal(udaq_reader_lost(rd), boundary);
	assert_int_equal(udaq_frame_release(rd, &fr), 0);
	assert_int_equal(udaq_frame_next(rd, fl, &fr), 1);
	assert_int_equal(fr.lost_bytes, 0);

	/* A second overrun, counted from where the reader had got to. */
	write_frames(&f, 101, 200, ns, mask);
	f.wr = 200 * fl - 10;	/* frame 199 incomplete */
	while (udaq_frame_next(rd, fl, &fr) == 1) {
		assert_int_equal(udaq_frame_release(rd, &fr), 0);
		if (fr.lost_bytes)
			break;
	}
	assert_true(fr.lost_bytes > 0);
	assert_int_equal(fr.pos % fl, 0);
	assert_int_equal(fr.lost_bytes + boundary + fl, fr.pos);

	udaq_reader_free(rd);
	udaq_ring_free(ring);
	fake_ring_fini(&f);
}

/* A header announcing a frame larger than the ring is bad before it is whole. */
static void test_frame_larger_than_ring(void **state)
{
	struct udaq_ring_config c;
	struct udaq_reader *rd;
	struct udaq_ring *ring;
	struct udaq_frame fr;
	struct fake_ring f;
	unsigned char tmp[64];

	(void)state;
	fake_ring_init(&f, 4096);
	c = fake_ring_config(&f, 0);
	assert_int_equal(udaq_ring_new(&c, &ring), 0);
	assert_int_equal(udaq_reader_new(ring, UDAQ_READER_LOSSLESS, &rd), 0);
	make_frame(tmp, 0, 1, 0x1);
	put32(tmp, UDAQ_FRAME_OFF_NSAMPLES, 4096);
	put32(tmp, UDAQ_FRAME_OFF_PAYLOAD_LEN, 8192);
	fake_ring_write(&f, 0, tmp, 48);
	f.wr = 48;
	assert_int_equal(udaq_frame_next(rd, 0, &fr), -EBADMSG);
	udaq_reader_free(rd);
	udaq_ring_free(ring);
	fake_ring_fini(&f);
}

/*
 * Batches: many frames per peek, cut by the frame count, the payload
 * budget and (with the flag) a gap in the sample index; released with one
 * call, whole or in part.
 */
static void test_batch(void **state)
{
	const uint32_t ns = 10, mask = 0x3;
	size_t fl = flen(ns, mask), size = 4096;
	struct udaq_frame frames[4];
	struct udaq_frame_batch b = { .frames = frames, .max_frames = 4, .frame_len = fl };
	struct udaq_ring_config c;
	struct udaq_reader *rd;
	struct udaq_ring *ring;
	struct fake_ring f;
	unsigned char tmp[128];
	uint64_t seq;

	(void)state;
	fake_ring_init(&f, size);
	c = fake_ring_config(&f, fl);
	assert_int_equal(udaq_ring_new(&c, &ring), 0);
	assert_int_equal(udaq_reader_new(ring, UDAQ_READER_LOSSLESS, &rd), 0);
	assert_int_equal(udaq_frame_batch_peek(rd, &b), 0);
	assert_int_equal(b.nframes, 0);
	for (seq = 0; seq < 8; seq++) {
		make_frame(tmp, seq, ns, mask);
		/* Frame 6 comes after a gap of one frame's samples. */
		if (seq >= 6)
			put64(tmp, UDAQ_FRAME_OFF_FIRST_SAMPLE, (seq + 1) * ns);
		fake_ring_write(&f, seq * fl, tmp, fl);
	}
	f.wr = 8 * fl;

	/* The frame count. */
	assert_int_equal(udaq_frame_batch_peek(rd, &b), 1);
	assert_int_equal(b.nframes, 4);
	assert_int_equal(b.pos, 0);
	assert_int_equal(b.bytes, 4 * fl);
	assert_int_equal(b.payload_bytes, 4 * ns * 4);
	assert_int_equal(b.lost_bytes, 0);
	for (seq = 0; seq < 4; seq++) {
		assert_int_equal(frames[seq].seq, seq);
		assert_int_equal(frames[seq].pos, seq * fl);
	}
	assert_int_equal(udaq_frame_batch_check(rd, &b), 0);
	/* Part of it: the rest is peeked again. */
	assert_int_equal(udaq_frame_batch_release(rd, &b, 5), -EINVAL);
	assert_int_equal(udaq_frame_batch_release(rd, &b, 1), 0);
	assert_int_equal(udaq_frame_batch_release(rd, &b, 1), -EINVAL);
	assert_int_equal(udaq_reader_pos(rd), fl);

	/* The payload budget: three frames' worth, not a byte more. */
	b.max_payload = 3 * ns * 4 + 1;
	assert_int_equal(udaq_frame_batch_peek(rd, &b), 1);
	assert_int_equal(b.nframes, 3);
	assert_int_equal(frames[0].seq, 1);
	/* A budget below one frame still gives one. */
	b.max_payload = 1;
	assert_int_equal(udaq_frame_batch_peek(rd, &b), 1);
	assert_int_equal(b.nframes, 1);
	b.max_payload = 0;
	assert_int_equal(udaq_frame_batch_peek(rd, &b), 1);
	assert_int_equal(udaq_frame_batch_release(rd, &b, 4), 0);

	/* Frames 5, 6, 7 with a gap before 6: cut there only with the flag. */
	assert_int_equal(udaq_frame_batch_peek(rd, &b), 1);
	assert_int_equal(b.nframes, 3);
	b.flags = UDAQ_FRAME_BATCH_CONTIGUOUS;
	assert_int_equal(udaq_frame_batch_peek(rd, &b), 1);
	assert_int_equal(b.nframes, 1);
	assert_int_equal(frames[0].seq, 5);
	assert_int_equal(udaq_frame_batch_release(rd, &b, b.nframes), 0);
	assert_int_equal(udaq_frame_batch_peek(rd, &b), 1);
	assert_int_equal(b.nframes, 2);
	assert_int_equal(frames[0].first_sample, 7 * ns);
	assert_int_equal(udaq_frame_batch_release(rd, &b, b.nframes), 0);
	assert_int_equal(udaq_frame_batch_peek(rd, &b), 0);
	assert_int_equal(udaq_ring_rd_ptr(ring), 8 * fl);

	/* A bad frame after good ones ends the batch; next in line, it is an error. */
	write_frames(&f, 8, 10, ns, mask);
	memset(tmp, 0x5a, sizeof(tmp));
	fake_ring_write(&f, 10 * fl, tmp, fl);
	f.wr = 11 * fl;
	b.flags = 0;
	assert_int_equal(udaq_frame_batch_peek(rd, &b), 1);
	assert_int_equal(b.nframes, 2);
	assert_int_equal(udaq_frame_batch_release(rd, &b, b.nframes), 0);
	assert_int_equal(udaq_frame_batch_peek(rd, &b), -EBADMSG);
	assert_int_equal(b.nframes, 0);

	b.max_frames = 0;
	assert_int_equal(udaq_frame_batch_peek(rd, &b), -EINVAL);
	udaq_reader_free(rd);
	udaq_ring_free(ring);
	fake_ring_fini(&f);
}

/*
 * A lossy batch: resynchronised onto a frame boundary with every skipped
 * byte counted once, by the batch and by the reader alike; checked against
 * the device lapping it; and moved close to the device when it lags.
 */
static void test_batch_lossy(void **state)
{
	const uint32_t ns = 20, mask = 0x1;
	size_t fl = flen(ns, mask), size = 4096;
	struct udaq_frame frames[8];
	struct udaq_frame_batch b = { .frames = frames, .max_frames = 8, .frame_len = fl };
	struct udaq_ring_config c;
	struct udaq_reader *rd;
	struct udaq_ring *ring;
	struct fake_ring f;
	uint64_t w, boundary, lost;

	(void)state;
	fake_ring_init(&f, size);
	c = fake_ring_config(&f, fl);
	assert_int_equal(udaq_ring_new(&c, &ring), 0);
	udaq_ring_reset(ring, 0);
	assert_int_equal(udaq_reader_new(ring, UDAQ_READER_LOSSY, &rd), 0);
	write_frames(&f, 0, 101, ns, mask);
	w = 100 * fl + fl / 2;
	f.wr = w;
	boundary = (w - (size - fl) + fl - 1) / fl * fl;
	assert_true(boundary % fl == 0 && w - (size - fl) != boundary);
	assert_int_equal(udaq_frame_batch_peek(rd, &b), 1);
	assert_int_equal(b.pos, boundary);
	assert_int_equal(frames[0].pos, boundary);
	assert_int_equal(b.lost_bytes, boundary);
	assert_int_equal(frames[0].lost_bytes, boundary);
	assert_int_equal(frames[1].lost_bytes, 0);
	assert_int_equal(udaq_reader_lost(rd), boundary);
	assert_int_equal(udaq_frame_batch_check(rd, &b), 0);
	/* The device laps the batch while it is used. */
	f.wr = b.pos + size;
	assert_int_equal(udaq_frame_batch_check(rd, &b), -ESTALE);
	f.wr = w;
	assert_int_equal(udaq_frame_batch_release(rd, &b, b.nframes), 0);
	assert_int_equal(udaq_frame_batch_peek(rd, &b), 1);
	assert_int_equal(b.lost_bytes, 0);
	assert_int_equal(udaq_frame_batch_release(rd, &b, b.nframes), 0);

	/* Lagging by more than half the ring and max_lag: skip, counted. */
	lost = udaq_reader_lost(rd);
	write_frames(&f, 101, 290, ns, mask);
	f.wr = 290 * fl;
	b.max_lag = 4 * fl;
	assert_int_equal(udaq_frame_batch_peek(rd, &b), 1);
	assert_int_equal(b.pos, 286 * fl);
	assert_int_equal(frames[0].seq, 286);
	assert_int_equal(b.nframes, 4);
	assert_true(b.lost_bytes > size / 2);
	assert_int_equal(udaq_reader_lost(rd) - lost, b.lost_bytes);

	udaq_reader_free(rd);
	udaq_ring_free(ring);
	fake_ring_fini(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_short),
		cmocka_unit_test(test_parse_extended_header),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_next_and_release),
		cmocka_unit_test(test_lossy_resync),
		cmocka_unit_test(test_lost_reported_until_release),
		cmocka_unit_test(test_frame_larger_than_ring),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_batch_lossy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
