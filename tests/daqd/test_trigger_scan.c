// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The trigger condition engine (daqd/sinks/trigger_scan.c) against a
 * sample-by-sample reference written from the table in docs/triggers.md:
 * the block scan for every channel count and position, every condition
 * with many levels and hystereses over the test pattern fed in chunks of
 * random size, and the settings it refuses.
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

#include "trigger_scan.h"

#define N	20000	/* samples per channel */

static int16_t data[N * DAQD_TRIG_MAX_CHANNELS];

static void fill(unsigned int nchan)
{
	for (size_t n = 0; n < N; n++)
		for (unsigned int c = 0; c < nchan; c++)
			data[n * nchan + c] = udaq_test_sample(n, c);
}

/* A small deterministic generator: a failure repeats. */
static uint32_t next_rand(uint32_t *s)
{
	*s = *s * 1664525u + 1013904223u;
	return *s >> 8;
}

static void test_find_every_layout(void **state)
{
	uint32_t seed = 1;

	(void)state;
	for (unsigned int nchan = 1; nchan <= DAQD_TRIG_MAX_CHANNELS; nchan++) {
		fill(nchan);
		for (int round = 0; round < 40; round++) {
			static struct daqd_trig_pred p;
			unsigned int chan = next_rand(&seed) % nchan;
			bool inside = next_rand(&seed) & 1;
			int16_t b = (int16_t)(next_rand(&seed) & 0xffff);
			int16_t a = (int16_t)(next_rand(&seed) & 0xffff);
			size_t start = next_rand(&seed) % 100, len = next_rand(&seed) % 300;
			size_t want = len;

			daqd_trig_pred_init(&p, inside, b, a, nchan, chan);
			for (size_t i = 0; i < len; i++) {
				int16_t x = data[(start + i) * nchan + chan];

				if (inside ? (x > b && x < a) : (x < b || x > a)) {
					want = i;
					break;
				}
			}
			assert_int_equal(daqd_trig_find(&p, data + start * nchan, len), want);
		}
	}
}

/* The reference: the table of docs/triggers.md, sample by sample. */
static size_t reference(enum daqd_trig_cond cond, int level, int level2, int h,
			unsigned int nchan, unsigned int chan, uint64_t *out, size_t max)
{
	int lo = level < level2 ? level : level2, hi = level < level2 ? level2 : level;
	int st = cond == DAQD_TRIG_ABOVE || cond == DAQD_TRIG_BELOW ||
		 cond == DAQD_TRIG_WIN_IN || cond == DAQD_TRIG_WIN_OUT;
	size_t n = 0;

	for (size_t i = 0; i < N; i++) {
		int x = data[i * nchan + chan];
		bool f = false;

		switch (cond) {
		case DAQD_TRIG_RISING:
		case DAQD_TRIG_ABOVE:
			if (st && x >= level)
				f = true, st = 0;
			if (!st && x < level - h)
				st = 1;
			break;
		case DAQD_TRIG_FALLING:
		case DAQD_TRIG_BELOW:
			if (st && x <= level)
				f = true, st = 0;
			if (!st && x > level + h)
				st = 1;
			break;
		case DAQD_TRIG_EITHER:
			if ((st == 1 && x >= level) || (st == 2 && x <= level))
				f = true, st = 0;
			if (!st)
				st = x < level - h ? 1 : x > level + h ? 2 : 0;
			break;
		case DAQD_TRIG_WIN_IN:
			if (st && x >= lo && x <= hi)
				f = true, st = 0;
			if (!st && (x < lo - h || x > hi + h))
				st = 1;
			break;
		case DAQD_TRIG_WIN_OUT:
			if (st && (x < lo || x > hi))
				f = true, st = 0;
			if (!st && x >= lo + h && x <= hi - h)
				st = 1;
			break;
		}
		if (f && n < max)
			out[n++] = i;
	}
	return n;
}

struct fires {
	uint64_t *at;
	size_t n, max;
};

static bool collect(void *arg, uint64_t index)
{
	struct fires *f = arg;

	if (f->n < f->max)
		f->at[f->n++] = index;
	return true;
}

static void test_engine_matches_reference(void **state)
{
	static uint64_t want[N], got[N];
	static struct daqd_trig_engine e;
	uint32_t seed = 7;
	char err[256];
	int tried = 0;

	(void)state;
	for (unsigned int nchan = 1; nchan <= 5; nchan += 2) {
		fill(nchan);
		for (int round = 0; round < 60; round++) {
			enum daqd_trig_cond cond = (enum daqd_trig_cond)(round % 7);
			int level = (int)(next_rand(&seed) % 60000) - 30000;
			int level2 = level + (int)(next_rand(&seed) % 20000);
			int h = (int)(next_rand(&seed) % 3) ? (int)(next_rand(&seed) % 8000) : 0;
			unsigned int chan = next_rand(&seed) % nchan;
			struct fires f = { got, 0, N };
			size_t nwant, i = 0;

			if (level2 > 32766)
				level2 = 32766;
			if (daqd_trig_check(cond, level, level2, h, err, sizeof(err)))
				continue;
			tried++;
			nwant = reference(cond, level, level2, h, nchan, chan, want, N);
			daqd_trig_engine_init(&e, cond, level, level2, h, nchan, chan);
			/* In chunks, as frames come: the state carries over. */
			while (i < N) {
				size_t len = 1 + next_rand(&seed) % 700;

				if (len > N - i)
					len = N - i;
				daqd_trig_engine_scan(&e, data + i * nchan, len, i, collect, &f);
				i += len;
			}
			assert_int_equal(f.n, nwant);
			assert_memory_equal(got, want, nwant * sizeof(*want));
		}
	}
	assert_true(tried > 100);
}

static bool stop_at_first(void *arg, uint64_t index)
{
	*(uint64_t *)arg = index;
	return false;
}

static void test_engine_stops_and_resets(void **state)
{
	static struct daqd_trig_engine e;
	static uint64_t want[N];
	uint64_t first = UINT64_MAX;
	size_t used;

	(void)state;
	fill(2);
	reference(DAQD_TRIG_ABOVE, 20000, 20000, 100, 2, 1, want, 1);
	daqd_trig_engine_init(&e, DAQD_TRIG_ABOVE, 20000, 20000, 100, 2, 1);
	used = daqd_trig_engine_scan(&e, data, N, 0, stop_at_first, &first);
	assert_int_equal(first, want[0]);
	assert_int_equal(used, want[0] + 1);
	/* After a reset "above" is armed again, as at the start. */
	daqd_trig_engine_reset(&e);
	first = UINT64_MAX;
	daqd_trig_engine_scan(&e, data, N, 0, stop_at_first, &first);
	assert_int_equal(first, want[0]);
}

static void test_check_refuses(void **state)
{
	char err[256];
	enum daqd_trig_cond c;

	(void)state;
	assert_int_equal(daqd_trig_check(DAQD_TRIG_RISING, -32000, 0, 1000, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "-33000"));
	assert_int_equal(daqd_trig_check(DAQD_TRIG_FALLING, 32000, 0, 767, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(daqd_trig_check(DAQD_TRIG_FALLING, 32000, 0, 765, err, sizeof(err)), 0);
	assert_int_equal(daqd_trig_check(DAQD_TRIG_WIN_OUT, 0, 10, 6, err, sizeof(err)), -EINVAL);
	assert_int_equal(daqd_trig_check(DAQD_TRIG_WIN_OUT, 0, 12, 6, err, sizeof(err)), 0);
	assert_int_equal(daqd_trig_check(DAQD_TRIG_ABOVE, 32767, 0, 0, err, sizeof(err)), -EINVAL);
	assert_int_equal(daqd_trig_check(DAQD_TRIG_RISING, 0, 0, -1, err, sizeof(err)), -EINVAL);
	assert_int_equal(daqd_trig_cond_parse("window-out", &c), 0);
	assert_int_equal(c, DAQD_TRIG_WIN_OUT);
	assert_int_equal(daqd_trig_cond_parse("up", &c), -EINVAL);
	assert_string_equal(daqd_trig_cond_name(DAQD_TRIG_EITHER), "either");
	assert_null(daqd_trig_cond_name((enum daqd_trig_cond)99));
}

static void test_read_all(void **state)
{
	(void)state;
	fill(3);
	for (size_t n = 0; n < 40; n++) {
		uint16_t want = 0;

		for (size_t i = 0; i < n; i++)
			want |= (uint16_t)data[i + 5];
		assert_int_equal(daqd_trig_read_all(data + 5, n), want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_every_layout),
		cmocka_unit_test(test_engine_matches_reference),
		cmocka_unit_test(test_engine_stops_and_resets),
		cmocka_unit_test(test_check_refuses),
		cmocka_unit_test(test_read_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
