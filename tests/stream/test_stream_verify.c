/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pure parts daqcat and the tests rely on: the stream verifier must
 * catch a wrong sample, a hole nobody announced and overlapping accounting
 * (otherwise every end-to-end "verify: OK" would be worthless), and
 * endpoint addresses parse as documented, with errors naming the problem.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <uio_daq/digitizer.h>

#include "stream_addr.h"
#include "stream_verify.h"

static struct dqs_hello hello(uint32_t mask, uint32_t decimation)
{
	struct dqs_hello h = { .version = 1, .decimation = decimation,
			       .dev_chan_mask = 0xf, .chan_mask = mask,
			       .nchan = (uint16_t)__builtin_popcount(mask) };

	return h;
}

/* A DATA message of the test pattern: @n samples from @first, stride @d. */
static struct dqs_data data(int16_t *buf, uint32_t mask, uint64_t first, uint32_t n,
			    uint32_t d)
{
	struct dqs_data m = { .first_sample = first, .nsamples = n,
			      .nchan = (uint16_t)__builtin_popcount(mask), .samples = buf };
	size_t k = 0;

	for (uint32_t i = 0; i < n; i++)
		for (unsigned int c = 0; c < 32; c++)
			if (mask & (1u << c)) {
				int16_t v = udaq_test_sample(first + (uint64_t)i * d, c);

				/* Little-endian on the wire, whatever the host. */
				((uint8_t *)buf)[2 * k] = (uint8_t)v;
				((uint8_t *)buf)[2 * k + 1] = (uint8_t)((uint16_t)v >> 8);
				k++;
			}
	return m;
}

static void test_clean_stream(void **state)
{
	struct dqs_hello h = hello(0x5, 3);
	struct dqs_verify v;
	struct dqs_gap g = { .first_sample = 31, .nsamples = 10, .reason = 1 };
	struct dqs_end e = { .end_sample = 55, .reason = 1 };
	int16_t buf[64];
	struct dqs_data d;

	(void)state;
	memset(&v, 0, sizeof(v));
	dqs_verify_start(&v, &h, true);
	d = data(buf, 0x5, 9, 8, 3);		/* 9 .. 30 */
	assert_int_equal(dqs_verify_data(&v, &d), 0);
	assert_int_equal(dqs_verify_gap(&v, &g), 0);	/* 31 .. 40 */
	d = data(buf, 0x5, 42, 5, 3);		/* 42 .. 54, after the gap */
	assert_int_equal(dqs_verify_data(&v, &d), 0);
	assert_int_equal(dqs_verify_end(&v, &e), 0);
	assert_int_equal(v.samples, 13);
	assert_int_equal(v.gap_samples[1], 10);
}

static void test_bad_sample(void **state)
{
	struct dqs_hello h = hello(0x3, 1);
	struct dqs_verify v;
	int16_t buf[64];
	struct dqs_data d;

	(void)state;
	memset(&v, 0, sizeof(v));
	dqs_verify_start(&v, &h, true);
	d = data(buf, 0x3, 100, 10, 1);
	buf[7] ^= 1;
	assert_int_equal(dqs_verify_data(&v, &d), 1);
	assert_non_null(strstr(v.first_error, "sample 103 channel 1"));
}

static void test_unannounced_hole(void **state)
{
	struct dqs_hello h = hello(0x1, 1);
	struct dqs_verify v;
	int16_t buf[64];
	struct dqs_data d;

	(void)state;
	memset(&v, 0, sizeof(v));
	dqs_verify_start(&v, &h, true);
	d = data(buf, 0x1, 0, 10, 1);
	assert_int_equal(dqs_verify_data(&v, &d), 0);
	d = data(buf, 0x1, 11, 10, 1);		/* sample 10 vanished */
	assert_int_equal(dqs_verify_data(&v, &d), 1);
	assert_non_null(strstr(v.first_error, "expected 10"));
}

static void test_overlaps_and_bad_gaps(void **state)
{
	struct dqs_hello h = hello(0x1, 1);
	struct dqs_gap g = { .first_sample = 5, .nsamples = 3, .reason = 2 };
	struct dqs_end e = { .end_sample = 30, .reason = 1 };
	struct dqs_verify v;
	int16_t buf[64];
	struct dqs_data d;

	(void)state;
	memset(&v, 0, sizeof(v));
	dqs_verify_start(&v, &h, true);
	d = data(buf, 0x1, 0, 10, 1);
	dqs_verify_data(&v, &d);
	/* A gap inside samples already received. */
	assert_int_equal(dqs_verify_gap(&v, &g), 1);
	/* A gap that leaves a hole before it. */
	g.first_sample = 20;
	assert_int_equal(dqs_verify_gap(&v, &g), 2);
	/* The END promises more than was accounted for. */
	assert_int_equal(dqs_verify_end(&v, &e), 3);
	/* Errors survive a new acquisition; the accounting restarts. */
	dqs_verify_start(&v, &h, true);
	d = data(buf, 0x1, 500, 4, 1);
	assert_int_equal(dqs_verify_data(&v, &d), 3);
}

static void test_decimation_alignment(void **state)
{
	struct dqs_hello h = hello(0x1, 4);
	struct dqs_verify v;
	int16_t buf[64];
	struct dqs_data d;

	(void)state;
	memset(&v, 0, sizeof(v));
	dqs_verify_start(&v, &h, true);
	d = data(buf, 0x1, 6, 3, 4);		/* 6 is not a multiple of 4 */
	assert_int_equal(dqs_verify_data(&v, &d), 1);
	assert_non_null(strstr(v.first_error, "multiple of the decimation"));
}

static void test_addresses(void **state)
{
	struct dqs_addr a;
	char err[200];

	(void)state;
	assert_int_equal(dqs_addr_parse("unix:/run/daqd/s.sock", &a, err, sizeof(err)), 0);
	assert_true(a.is_unix);
	assert_string_equal(a.text, "unix:/run/daqd/s.sock");
	assert_int_equal(dqs_addr_parse(":5000", &a, err, sizeof(err)), 0);
	assert_string_equal(a.text, "127.0.0.1:5000");
	assert_int_equal(dqs_addr_parse("5001", &a, err, sizeof(err)), 0);
	assert_string_equal(a.text, "127.0.0.1:5001");
	assert_int_equal(dqs_addr_parse("127.0.0.2:7", &a, err, sizeof(err)), 0);
	assert_string_equal(a.text, "127.0.0.2:7");
	assert_int_equal(dqs_addr_parse("[::1]:8", &a, err, sizeof(err)), 0);
	assert_string_equal(a.text, "[::1]:8");

	assert_int_equal(dqs_addr_parse("", &a, err, sizeof(err)), -EINVAL);
	assert_int_equal(dqs_addr_parse("unix:", &a, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "unix socket path"));
	assert_int_equal(dqs_addr_parse("h:70000", &a, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "port '70000'"));
	assert_int_equal(dqs_addr_parse("h:-1", &a, err, sizeof(err)), -EINVAL);
	assert_int_equal(dqs_addr_parse("h:", &a, err, sizeof(err)), -EINVAL);
	assert_int_equal(dqs_addr_parse("::1:8", &a, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "[ADDR]:PORT"));
	assert_int_equal(dqs_addr_parse("[::1]8", &a, err, sizeof(err)), -EINVAL);
	assert_int_equal(dqs_addr_parse("[nonsense]:8", &a, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "cannot resolve"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_stream),
		cmocka_unit_test(test_bad_sample),
		cmocka_unit_test(test_unannounced_hole),
		cmocka_unit_test(test_overlaps_and_bad_gaps),
		cmocka_unit_test(test_decimation_alignment),
		cmocka_unit_test(test_addresses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
