/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Ring consumer: positions modulo 2^64, readers, publishing, overruns. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fake_ring.h"

#define SZ	4096u

static struct udaq_ring *new_ring(struct fake_ring *f, size_t size, size_t guard,
				  uint64_t start)
{
	struct udaq_ring_config c;
	struct udaq_ring *ring;

	fake_ring_init(f, size);
	f->wr = start;
	c = fake_ring_config(f, guard);
	assert_int_equal(udaq_ring_new(&c, &ring), 0);
	udaq_ring_reset(ring, start);
	return ring;
}

static void test_new_rejects_bad_config(void **state)
{
	struct fake_ring f;
	struct udaq_ring_config c;
	struct udaq_ring *ring = (void *)1;

	(void)state;
	fake_ring_init(&f, SZ);
	c = fake_ring_config(&f, 0);
	c.size = 0;
	assert_int_equal(udaq_ring_new(&c, &ring), -EINVAL);
	assert_null(ring);
	c = fake_ring_config(&f, 0);
	c.data = NULL;
	assert_int_equal(udaq_ring_new(&c, &ring), -EINVAL);
	c = fake_ring_config(&f, 0);
	c.wr_ptr = NULL;
	assert_int_equal(udaq_ring_new(&c, &ring), -EINVAL);
	c = fake_ring_config(&f, SZ);
	assert_int_equal(udaq_ring_new(&c, &ring), -EINVAL);
	assert_int_equal(udaq_ring_new(NULL, &ring), -EINVAL);
	c = fake_ring_config(&f, SZ - 1);
	assert_int_equal(udaq_ring_new(&c, &ring), 0);
	assert_int_equal(udaq_ring_size(ring), SZ);
	udaq_ring_free(ring);
	fake_ring_fini(&f);
}

/* Peek and release across the 2^64 wrap of the position counter. */
static void test_wrap_of_u64(void **state)
{
	uint64_t start = UINT64_MAX - 99;	/* 100 bytes before the wrap */
	struct udaq_reader *rd;
	struct udaq_ring *ring;
	struct udaq_span sp;
	struct fake_ring f;
	unsigned char src[500];
	size_t i;

	(void)state;
	ring = new_ring(&f, SZ, 0, start);
	assert_int_equal(udaq_reader_new(ring, UDAQ_READER_LOSSLESS, &rd), 0);
	assert_int_equal(udaq_reader_pos(rd), start);

	for (i = 0; i < sizeof(src); i++)
		src[i] = (unsigned char)(i * 7 + 1);
	fake_ring_write(&f, start, src, sizeof(src));
	f.wr = start + sizeof(src);	/* wraps to 400 */
	assert_int_equal(f.wr, 400);

	assert_int_equal(udaq_reader_peek(rd, &sp), 0);
	assert_int_equal(sp.len, 500);
	assert_int_equal(sp.pos, start);
	assert_int_equal(sp.lost, 0);
	/* Contiguous through the 2^64 wrap (the size divides 2^64). */
	assert_memory_equal(sp.data, src, sizeof(src));

	assert_int_equal(udaq_reader_release(rd, 501), -EINVAL);
	assert_int_equal(udaq_reader_release(rd, 200), 0);
	assert_int_equal(udaq_reader_pos(rd), 100);
	assert_int_equal(udaq_ring_rd_ptr(ring), 100);
	assert_int_equal(f.published[f.npublished - 1], 100);

	assert_int_equal(udaq_reader_peek(rd, &sp), 0);
	assert_int_equal(sp.len, 300);
	assert_int_equal(sp.pos, 100);
	assert_memory_equal(sp.data, src + 200, 300);

	udaq_reader_free(rd);
	udaq_ring_free(ring);
	fake_ring_fini(&f);
}

/* With a size that does not divide 2^64 a span stops at the wrap. */
static void test_wrap_non_power_of_two(void **state)
{
	size_t size = 3 * SZ;
	uint64_t start = UINT64_MAX - 9;
	struct udaq_reader *rd;
	struct udaq_ring *ring;
	struct udaq_span sp;
	struct fake_ring f;

	(void)state;
	ring = new_ring(&f, size, 0, start);
	assert_int_equal(udaq_reader_new(ring, UDAQ_READER_LOSSLESS, &rd), 0);
	f.wr = start + 50;
	assert_int_equal(udaq_reader_peek(rd, &sp), 0);
	assert_int_equal(sp.len, 10);
	assert_ptr_equal(sp.data, f.buf + start % size);
	assert_int_equal(udaq_reader_release(rd, 10), 0);
	assert_int_equal(udaq_reader_peek(rd, &sp), 0);
	assert_int_equal(sp.pos, 0);
	assert_int_equal(sp.len, 40);
	assert_ptr_equal(sp.data, f.buf);
	udaq_reader_free(rd);
	udaq_ring_free(ring);
	fake_ring_fini(&f);
}

/* The published position is the minimum of the lossless readers, sent once. */
static void test_lossless_min_published(void **state)
{
	uint64_t start = UINT64_MAX - 1000;
	struct udaq_reader *a, *b, *l;
	struct udaq_ring *ring;
	struct udaq_span sp;
	struct fake_ring f;
	size_t n0;

	(void)state;
	ring = new_ring(&f, SZ, 64, start);
	assert_int_equal(udaq_reader_new(ring, UDAQ_READER_LOSSLESS, &a), 0);
	assert_int_equal(udaq_reader_new(ring, UDAQ_READER_LOSSLESS, &b), 0);
	assert_int_equal(udaq_reader_new(ring, UDAQ_READER_LOSSY, &l), 0);
	f.wr = start + 3000;
	n0 = f.npublished;

	assert_int_equal(udaq_reader_peek(a, &sp), 0);
	assert_int_equal(udaq_reader_release(a, 2000), 0);
	/* b still holds the start: nothing new to publish. */
	assert_int_equal(f.npublished, n0);
	assert_int_equal(udaq_ring_rd_ptr(ring), start);

	assert_int_equal(udaq_reader_release(b, 500), 0);
	assert_int_equal(f.npublished, n0 + 1);
	assert_int_equal(udaq_ring_rd_ptr(ring), start + 500);

	/* A lossy reader never moves the published position while lossless ones exist. */
	assert_int_equal(udaq_reader_release(l, 2500), 0);
	assert_int_equal(udaq_ring_rd_ptr(ring), start + 500);
	assert_int_equal(udaq_reader_release(b, 0), 0);
	assert_int_equal(f.npublished, n0 + 1);

	/* A new reader starts at the oldest unreleased lossless position. */
	{
		struct udaq_reader *c;

		assert_int_equal(udaq_reader_new(ring, UDAQ_READER_LOSSY, &c), 0);
		assert_int_equal(udaq_reader_pos(c), start + 500);
		udaq_reader_free(c);
	}

	/* Removing the slowest reader lets the device go to the next one. */
	udaq_reader_free(b);
	assert_int_equal(udaq_ring_rd_ptr(ring), start + 2000);
	assert_int_equal(f.npublished, n0 + 2);

	/* With no lossless reader left, a lossy release lets the device run free. */
	udaq_reader_free(a);
	f.wr = start + 3500;
	assert_int_equal(udaq_reader_release(l, 100), 0);
	assert_int_equal(udaq_ring_rd_ptr(ring), start + 3500);

	udaq_reader_free(l);
	udaq_ring_free(ring);
	fake_ring_fini(&f);
}

static void test_new_reader_without_lossless_starts_at_wr(void **state)
{
	struct udaq_reader *r;
	struct udaq_ring *ring;
	struct fake_ring f;

	(void)state;
	ring = new_ring(&f, SZ, 0, 0);
	f.wr = 12345;
	assert_int_equal(udaq_reader_new(ring, UDAQ_READER_LOSSLESS, &r), 0);
	assert_int_equal(udaq_reader_pos(r), 12345);
	/* Nothing before W is held by anyone: the device learns at once. */
	assert_int_equal(udaq_ring_rd_ptr(ring), 12345);
	udaq_reader_free(r);
	udaq_ring_free(ring);
	fake_ring_fini(&f);
}

/* A lossy reader overrun by the device: exact loss, oldest intact position. */
static void test_lossy_overrun_exact(void **state)
{
	const size_t guard = 256;
	uint64_t start = UINT64_MAX - 2000;
	struct udaq_reader *rd;
	struct udaq_ring *ring;
	struct udaq_span sp;
	struct fake_ring f;

	(void)state;
	ring = new_ring(&f, SZ, guard, start);
	assert_int_equal(udaq_reader_new(ring, UDAQ_READER_LOSSY, &rd), 0);

	/* Exactly size - guard behind: nothing lost yet. */
	f.wr = start + SZ - guard;
	assert_int_equal(udaq_reader_peek(rd, &sp), 0);
	assert_int_equal(sp.lost, 0);
	assert_int_equal(sp.len, SZ - guard);

	f.wr = start + 5000;
	assert_int_equal(udaq_reader_peek(rd, &sp), 0);
	assert_int_equal(sp.lost, 5000 - (SZ - guard));
	assert_int_equal(sp.pos, start + sp.lost);
	assert_int_equal(sp.len, SZ - guard);
	assert_ptr_equal(sp.data, f.buf + (size_t)((start + sp.lost) % SZ));
	assert_int_equal(udaq_reader_lost(rd), 5000 - (SZ - guard));

	/* Reported until something is consumed, then not again. */
	assert_int_equal(udaq_reader_peek(rd, &sp), 0);
	assert_int_equal(sp.lost, 5000 - (SZ - guard));
	assert_int_equal(udaq_reader_release(rd, 100), 0);
	assert_int_equal(udaq_reader_peek(rd, &sp), 0);
	assert_int_equal(sp.lost, 0);
	assert_int_equal(sp.len, SZ - guard - 100);

	/* A second overrun: the cursor was keep - 100 behind W. */
	f.wr += 10 * SZ;
	assert_int_equal(udaq_reader_peek(rd, &sp), 0);
	assert_int_equal(sp.lost, 10 * SZ - 100);
	assert_int_equal(udaq_reader_lost(rd), 5000 - (SZ - guard) + 10 * SZ - 100);

	udaq_reader_free(rd);
	udaq_ring_free(ring);
	fake_ring_fini(&f);
}

/* A lossless reader the device did not wait for (overwrite policy). */
static void test_lossless_overrun_reported(void **state)
{
	struct udaq_reader *rd;
	struct udaq_ring *ring;
	struct udaq_span sp;
	struct fake_ring f;

	(void)state;
	ring = new_ring(&f, SZ, 512, 0);
	assert_int_equal(udaq_reader_new(ring, UDAQ_READER_LOSSLESS, &rd), 0);
	f.wr = SZ;	/* a full ring is fine for a lossless reader: guard is for lossy ones */
	assert_int_equal(udaq_reader_peek(rd, &sp), 0);
	assert_int_equal(sp.len, SZ);
	assert_int_equal(sp.lost, 0);
	f.wr = SZ + 77;
	assert_int_equal(udaq_reader_peek(rd, &sp), 0);
	assert_int_equal(sp.lost, 77);
	assert_int_equal(sp.pos, 77);
	assert_int_equal(sp.len, SZ);
	udaq_reader_free(rd);
	udaq_ring_free(ring);
	fake_ring_fini(&f);
}

/* check(): was the span overwritten while it was being read? */
static void test_check_detects_torn_span(void **state)
{
	const size_t guard = 128;
	uint64_t start = UINT64_MAX - 50;
	struct udaq_reader *rd, *ll;
	struct udaq_ring *ring;
	struct udaq_span sp;
	struct fake_ring f;

	(void)state;
	ring = new_ring(&f, SZ, guard, start);
	assert_int_equal(udaq_reader_new(ring, UDAQ_READER_LOSSY, &rd), 0);
	assert_int_equal(udaq_reader_new(ring, UDAQ_READER_LOSSLESS, &ll), 0);
	f.wr = start + 1000;
	assert_int_equal(udaq_reader_peek(rd, &sp), 0);
	assert_int_equal(udaq_reader_check(rd, &sp, sp.len), 0);
	assert_int_equal(udaq_reader_check(rd, &sp, sp.len + 1), -EINVAL);

	/* The device may now be writing up to W + guard: still clear of the span. */
	f.wr = start + SZ - guard;
	assert_int_equal(udaq_reader_check(rd, &sp, sp.len), 0);
	/* One byte more and the span's first byte may be gone. */
	f.wr = start + SZ - guard + 1;
	assert_int_equal(udaq_reader_check(rd, &sp, sp.len), -ESTALE);
	assert_int_equal(udaq_reader_check(rd, &sp, 1), -ESTALE);

	/* Lossless readers hold the device: their spans are never torn. */
	assert_int_equal(udaq_reader_peek(ll, &sp), 0);
	f.wr = start + 10 * SZ;
	assert_int_equal(udaq_reader_check(ll, &sp, sp.len), 0);

	udaq_reader_free(ll);
	udaq_reader_free(rd);
	udaq_ring_free(ring);
	fake_ring_fini(&f);
}

static void test_skip_to(void **state)
{
	uint64_t start = UINT64_MAX - 10;
	struct udaq_reader *rd;
	struct udaq_ring *ring;
	struct udaq_span sp;
	struct fake_ring f;

	(void)state;
	ring = new_ring(&f, SZ, 0, start);
	assert_int_equal(udaq_reader_new(ring, UDAQ_READER_LOSSLESS, &rd), 0);
	f.wr = start + 100;
	assert_int_equal(udaq_reader_skip_to(rd, start + 101), -EINVAL);
	assert_int_equal(udaq_reader_skip_to(rd, start - 1), -EINVAL);
	assert_int_equal(udaq_reader_skip_to(rd, start + 40), 0);
	assert_int_equal(udaq_reader_pos(rd), start + 40);
	assert_int_equal(udaq_ring_rd_ptr(ring), start + 40);
	/* Skipped bytes are reported as lost by the next peek. */
	assert_int_equal(udaq_reader_peek(rd, &sp), 0);
	assert_int_equal(sp.lost, 40);
	assert_int_equal(sp.len, 60);
	assert_int_equal(udaq_reader_lost(rd), 40);
	udaq_reader_free(rd);
	udaq_ring_free(ring);
	fake_ring_fini(&f);
}

/* A write pointer behind the cursor (stale write-back) means nothing yet. */
static void test_wr_behind_cursor(void **state)
{
	struct udaq_reader *rd;
	struct udaq_ring *ring;
	struct udaq_span sp;
	struct fake_ring f;

	(void)state;
	ring = new_ring(&f, SZ, 0, 1000);
	assert_int_equal(udaq_reader_new(ring, UDAQ_READER_LOSSY, &rd), 0);
	f.wr = 10;
	assert_int_equal(udaq_reader_peek(rd, &sp), 0);
	assert_int_equal(sp.len, 0);
	assert_int_equal(sp.lost, 0);
	assert_int_equal(udaq_reader_release(rd, 1), -EINVAL);
	udaq_reader_free(rd);
	udaq_ring_free(ring);
	fake_ring_fini(&f);
}

static void test_reset_moves_everyone(void **state)
{
	struct udaq_reader *a, *b;
	struct udaq_ring *ring;
	struct udaq_span sp;
	struct fake_ring f;

	(void)state;
	ring = new_ring(&f, SZ, 0, 0);
	assert_int_equal(udaq_reader_new(ring, UDAQ_READER_LOSSLESS, &a), 0);
	assert_int_equal(udaq_reader_new(ring, UDAQ_READER_LOSSY, &b), 0);
	f.wr = 900;
	assert_int_equal(udaq_reader_release(a, 300), 0);
	f.wr = UINT64_MAX - 5;
	udaq_ring_reset(ring, UINT64_MAX - 5);
	assert_int_equal(udaq_reader_pos(a), UINT64_MAX - 5);
	assert_int_equal(udaq_reader_pos(b), UINT64_MAX - 5);
	assert_int_equal(udaq_ring_rd_ptr(ring), UINT64_MAX - 5);
	assert_int_equal(udaq_reader_peek(a, &sp), 0);
	assert_int_equal(sp.len, 0);
	udaq_reader_free(a);
	udaq_reader_free(b);
	udaq_ring_free(ring);
	fake_ring_fini(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_rejects_bad_config),
		cmocka_unit_test(test_wrap_of_u64),
		cmocka_unit_test(test_wrap_non_power_of_two),
		cmocka_unit_test(test_lossless_min_published),
		cmocka_unit_test(test_new_reader_without_lossless_starts_at_wr),
		cmocka_unit_test(test_lossy_overrun_exact),
		cmocka_unit_test(test_lossless_overrun_reported),
		cmocka_unit_test(test_check_detects_torn_span),
		cmocka_unit_test(test_skip_to),
		cmocka_unit_test(test_wr_behind_cursor),
		cmocka_unit_test(test_reset_moves_everyone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
