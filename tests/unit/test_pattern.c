/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The test pattern, udaq_test_sample(), against values computed another
 * way: the 64x64-bit product built from 32-bit halves by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <uio_daq/digitizer.h>
#include <uio_daq/frame.h>

/* (n * m) mod 2^64 by schoolbook multiplication of 32-bit halves. */
static uint64_t mul_mod64(uint64_t n, uint64_t m)
{
	uint64_t nl = n & 0xffffffffu, nh = n >> 32;
	uint64_t ml = m & 0xffffffffu, mh = m >> 32;
	uint64_t lo = nl * ml;
	uint64_t cross = (nh * ml + nl * mh) & 0xffffffffu;

	return lo + (cross << 32);
}

static int16_t expected(uint64_t n, unsigned int c)
{
	uint64_t top = mul_mod64(n, 0x9E3779B97F4A7C15ull) >> 48;

	return (int16_t)(uint16_t)(top ^ c);
}

static void test_known_answers(void **state)
{
	(void)state;
	/* n = 0: the product is 0; only the channel shows. */
	assert_int_equal(udaq_test_sample(0, 0), 0);
	assert_int_equal(udaq_test_sample(0, 31), 31);
	/* n = 1: the multiplier's own top 16 bits, 0x9E37. */
	assert_int_equal((uint16_t)udaq_test_sample(1, 0), 0x9E37);
	assert_int_equal((uint16_t)udaq_test_sample(1, 5), 0x9E37 ^ 5);
	/* n = 2: 0x3C6EF372FE94F82A after dropping the carry out of bit 63. */
	assert_int_equal((uint16_t)udaq_test_sample(2, 0), 0x3C6E);
	/* n = 2^63: only bit 0 of the multiplier survives, at bit 63. */
	assert_int_equal((uint16_t)udaq_test_sample(UINT64_C(1) << 63, 0), 0x8000);
	assert_int_equal(UDAQ_TEST_MULT, 0x9E3779B97F4A7C15ull);
}

static void test_against_independent_product(void **state)
{
	uint64_t n, x = 0x0123456789abcdefull;
	unsigned int c, i;

	(void)state;
	for (n = 0; n < 100000; n++)
		for (c = 0; c < 32; c += 7)
			assert_int_equal(udaq_test_sample(n, c), expected(n, c));
	/* Large indices, including around 2^64. */
	for (i = 0; i < 100000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		assert_int_equal(udaq_test_sample(x, i % 32), expected(x, i % 32));
	}
	assert_int_equal(udaq_test_sample(UINT64_MAX, 3), expected(UINT64_MAX, 3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answers),
		cmocka_unit_test(test_against_independent_product),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
