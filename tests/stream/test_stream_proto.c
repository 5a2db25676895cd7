/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Wire format unit tests: every message round-trips, the bytes on the wire
 * are the documented little-endian layout (checked against hand-assembled
 * bytes, not against the encoder), and every malformed case is rejected
 * with a message naming the bad field.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stream_proto.h"

static char err[256];

static void hdr_bytes(uint8_t *b, uint16_t type, uint32_t len)
{
	static const uint8_t magic[4] = { 'D', 'Q', 'S', '1' };

	memcpy(b, magic, 4);
	b[4] = (uint8_t)type;
	b[5] = (uint8_t)(type >> 8);
	b[6] = b[7] = 0;
	b[8] = (uint8_t)len;
	b[9] = (uint8_t)(len >> 8);
	b[10] = (uint8_t)(len >> 16);
	b[11] = (uint8_t)(len >> 24);
	memset(b + 12, 0, 4);
}

static void test_hdr_layout(void **state)
{
	uint8_t b[DQS_HDR_LEN], want[DQS_HDR_LEN];
	struct dqs_hdr h;

	(void)state;
	dqs_encode_hdr(b, DQS_GAP, DQS_GAP_LEN);
	hdr_bytes(want, 0x0005, 24);
	assert_memory_equal(b, want, sizeof(b));
	assert_int_equal(dqs_decode_hdr(b, &h, err, sizeof(err)), 0);
	assert_int_equal(h.type, DQS_GAP);
	assert_int_equal(h.body_len, 24);
}

static void expect_hdr_error(const uint8_t *b, int ret, const char *needle)
{
	struct dqs_hdr h;

	err[0] = '\0';
	assert_int_equal(dqs_decode_hdr(b, &h, err, sizeof(err)), ret);
	assert_non_null(strstr(err, needle));
}

static void test_hdr_malformed(void **state)
{
	uint8_t b[DQS_HDR_LEN];

	(void)state;
	hdr_bytes(b, DQS_COMMIT, 8);
	b[0] = 'X';
	expect_hdr_error(b, -EPROTO, "magic");

	hdr_bytes(b, 0x0042, 8);
	expect_hdr_error(b, -EPROTO, "unknown message type 0x0042");
	hdr_bytes(b, 0, 8);
	expect_hdr_error(b, -EPROTO, "unknown message type");

	hdr_bytes(b, DQS_COMMIT, 8);
	b[6] = 1;
	expect_hdr_error(b, -EPROTO, "flags");
	hdr_bytes(b, DQS_COMMIT, 8);
	b[15] = 0x80;
	expect_hdr_error(b, -EPROTO, "reserved");

	/* Lengths: exact for fixed types, bounded for variable ones. */
	hdr_bytes(b, DQS_COMMIT, 9);
	expect_hdr_error(b, -EMSGSIZE, "COMMIT: body length 9");
	hdr_bytes(b, DQS_ABORT, 7);
	expect_hdr_error(b, -EMSGSIZE, "ABORT: body length 7");
	hdr_bytes(b, DQS_GAP, 0);
	expect_hdr_error(b, -EMSGSIZE, "GAP");
	hdr_bytes(b, DQS_END, 17);
	expect_hdr_error(b, -EMSGSIZE, "END");
	hdr_bytes(b, DQS_REQUEST, 15);
	expect_hdr_error(b, -EMSGSIZE, "REQUEST");
	hdr_bytes(b, DQS_DATA, DQS_DATA_MAX_BODY + 1);
	expect_hdr_error(b, -EMSGSIZE, "DATA");
	hdr_bytes(b, DQS_DATA, DQS_DATA_FIXED_LEN);
	expect_hdr_error(b, -EMSGSIZE, "DATA");
	hdr_bytes(b, DQS_HELLO, 0xffffffffu);
	expect_hdr_error(b, -EMSGSIZE, "HELLO");
	hdr_bytes(b, DQS_ERROR, DQS_ERROR_FIXED_LEN + DQS_ERROR_TEXT_MAX + 1);
	expect_hdr_error(b, -EMSGSIZE, "ERROR");
}

static void test_hdr_no_err_buffer(void **state)
{
	uint8_t b[DQS_HDR_LEN];
	struct dqs_hdr h;

	(void)state;
	hdr_bytes(b, 0x7777, 0);
	/* The message buffer is optional. */
	assert_int_equal(dqs_decode_hdr(b, &h, NULL, 0), -EPROTO);
}

static void test_request(void **state)
{
	struct dqs_request rq = { .version = 1, .minor = 0, .chan_mask = 0x0a,
				  .decimation = 10 }, out;
	uint8_t b[DQS_REQUEST_BYTES], want[DQS_REQUEST_BYTES] = { 0 };
	struct dqs_hdr h;

	(void)state;
	assert_int_equal(dqs_encode_request(b, sizeof(b) - 1, &rq), -ENOSPC);
	assert_int_equal(dqs_encode_request(b, sizeof(b), &rq), DQS_REQUEST_BYTES);
	hdr_bytes(want, 0x0101, 16);
	want[16] = 1;
	want[20] = 0x0a;
	want[24] = 10;
	assert_memory_equal(b, want, sizeof(b));

	assert_int_equal(dqs_decode_hdr(b, &h, err, sizeof(err)), 0);
	assert_int_equal(h.type, DQS_REQUEST);
	assert_int_equal(dqs_decode_request(b + DQS_HDR_LEN, h.body_len, &out,
					    err, sizeof(err)), 0);
	assert_int_equal(out.version, 1);
	assert_int_equal(out.chan_mask, 0x0a);
	assert_int_equal(out.decimation, 10);
}

static void test_request_malformed(void **state)
{
	uint8_t b[DQS_REQUEST_BYTES];
	struct dqs_request rq = { .version = 1, .decimation = 1 }, out;

	(void)state;
	dqs_encode_request(b, sizeof(b), &rq);
	assert_int_equal(dqs_decode_request(b + DQS_HDR_LEN, 15, &out, err, sizeof(err)),
			 -EMSGSIZE);

	rq.version = 2;
	dqs_encode_request(b, sizeof(b), &rq);
	assert_int_equal(dqs_decode_request(b + DQS_HDR_LEN, 16, &out, err, sizeof(err)),
			 -EPROTO);
	assert_non_null(strstr(err, "version 2"));

	rq.version = 1;
	rq.decimation = 0;
	dqs_encode_request(b, sizeof(b), &rq);
	assert_int_equal(dqs_decode_request(b + DQS_HDR_LEN, 16, &out, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "decimation 0"));
	rq.decimation = DQS_MAX_DECIMATION + 1;
	dqs_encode_request(b, sizeof(b), &rq);
	assert_int_equal(dqs_decode_request(b + DQS_HDR_LEN, 16, &out, err, sizeof(err)),
			 -EINVAL);
	rq.decimation = DQS_MAX_DECIMATION;
	dqs_encode_request(b, sizeof(b), &rq);
	assert_int_equal(dqs_decode_request(b + DQS_HDR_LEN, 16, &out, err, sizeof(err)), 0);

	b[DQS_HDR_LEN + 13] = 1;
	assert_int_equal(dqs_decode_request(b + DQS_HDR_LEN, 16, &out, err, sizeof(err)),
			 -EPROTO);
	assert_non_null(strstr(err, "reserved"));
}

static struct dqs_hello sample_hello(void)
{
	struct dqs_hello h = {
		.version = 1, .minor = 0, .sample_rate = 1000000, .decimation = 4,
		.dev_chan_mask = 0xff, .chan_mask = 0x05, .nchan = 2,
		.format = DQS_FORMAT_I16LE, .sample_bits = 16, .max_pending = 262144,
		.acq_id = 3, .start_sample = 0x0102030405060708ull,
		.start_unix_ns = -5,
	};

	strcpy(h.device, "refdaq-sim sim 1234:da9c");
	strcpy(h.datatype, "ri16_le");
	strcpy(h.server, "daqd 0.1.0");
	return h;
}

static void test_hello_roundtrip(void **state)
{
	struct dqs_hello h = sample_hello(), out;
	uint8_t b[DQS_HDR_LEN + DQS_HELLO_MAX_LEN];
	struct dqs_hdr hd;
	int n;

	(void)state;
	n = dqs_encode_hello(b, sizeof(b), &h);
	assert_int_equal(n, DQS_HDR_LEN + 64 + 3 + 24 + 7 + 10);
	/* Spot-check the layout: sample_rate at body offset 4, LE. */
	assert_int_equal(b[DQS_HDR_LEN + 4], 0x40);
	assert_int_equal(b[DQS_HDR_LEN + 5], 0x42);
	assert_int_equal(b[DQS_HDR_LEN + 6], 0x0f);
	assert_int_equal(b[DQS_HDR_LEN + 40], 0x08);
	assert_int_equal(b[DQS_HDR_LEN + 47], 0x01);
	assert_int_equal(b[DQS_HDR_LEN + 64], 24);

	assert_int_equal(dqs_decode_hdr(b, &hd, err, sizeof(err)), 0);
	assert_int_equal(hd.body_len, (uint32_t)n - DQS_HDR_LEN);
	assert_int_equal(dqs_decode_hello(b + DQS_HDR_LEN, hd.body_len, &out,
					  err, sizeof(err)), 0);
	assert_int_equal(out.sample_rate, 1000000);
	assert_int_equal(out.decimation, 4);
	assert_int_equal(out.chan_mask, 5);
	assert_int_equal(out.nchan, 2);
	assert_int_equal(out.max_pending, 262144);
	assert_int_equal(out.acq_id, 3);
	assert_true(out.start_sample == 0x0102030405060708ull);
	assert_true(out.start_unix_ns == -5);
	assert_string_equal(out.device, "refdaq-sim sim 1234:da9c");
	assert_string_equal(out.datatype, "ri16_le");
	assert_string_equal(out.server, "daqd 0.1.0");

	assert_int_equal(dqs_encode_hello(b, (size_t)n - 1, &h), -ENOSPC);
	memset(h.device, 'x', DQS_HELLO_STR_MAX + 1);
	h.device[DQS_HELLO_STR_MAX + 1 - 1] = 'x';
	assert_int_equal(dqs_encode_hello(b, sizeof(b), &h), -EINVAL);
}

/* Encode the sample HELLO, apply @mutate to its body, expect @ret + @needle. */
static void hello_case(void (*mutate)(uint8_t *body, size_t *len), int ret,
		       const char *needle)
{
	struct dqs_hello h = sample_hello(), out;
	uint8_t b[DQS_HDR_LEN + DQS_HELLO_MAX_LEN + 8];
	size_t len;
	int n;

	n = dqs_encode_hello(b, sizeof(b) - 8, &h);
	assert_true(n > 0);
	len = (size_t)n - DQS_HDR_LEN;
	mutate(b + DQS_HDR_LEN, &len);
	err[0] = '\0';
	assert_int_equal(dqs_decode_hello(b + DQS_HDR_LEN, len, &out, err, sizeof(err)), ret);
	if (!strstr(err, needle))
		fail_msg("error '%s' does not mention '%s'", err, needle);
}

static void m_version(uint8_t *b, size_t *len) { (void)len; b[0] = 9; }
static void m_rsvd(uint8_t *b, size_t *len) { (void)len; b[27] = 1; }
static void m_rsvd2(uint8_t *b, size_t *len) { (void)len; b[60] = 1; }
static void m_decim0(uint8_t *b, size_t *len) { (void)len; memset(b + 8, 0, 4); }
static void m_mask_empty(uint8_t *b, size_t *len) { (void)len; memset(b + 16, 0, 4); }
static void m_mask_outside(uint8_t *b, size_t *len) { (void)len; b[17] = 1; }
static void m_nchan(uint8_t *b, size_t *len) { (void)len; b[20] = 3; }
static void m_format(uint8_t *b, size_t *len) { (void)len; b[22] = 1; }
static void m_bits(uint8_t *b, size_t *len) { (void)len; b[24] = 12; }
static void m_pending(uint8_t *b, size_t *len) { (void)len; memset(b + 28, 0, 4); }
static void m_str_long(uint8_t *b, size_t *len) { (void)len; b[64 + 1 + 24 + 1 + 7] = 200; }
static void m_str_nul(uint8_t *b, size_t *len) { (void)len; b[64 + 3] = 0; }
static void m_trunc(uint8_t *b, size_t *len) { (void)b; *len = 64 + 1 + 24 + 1 + 7; }
static void m_short(uint8_t *b, size_t *len) { (void)b; *len = 60; }
static void m_stray(uint8_t *b, size_t *len) { b[*len] = 'z'; (*len)++; }

static void test_hello_malformed(void **state)
{
	(void)state;
	hello_case(m_version, -EPROTO, "version 9");
	hello_case(m_rsvd, -EPROTO, "reserved");
	hello_case(m_rsvd2, -EPROTO, "reserved");
	hello_case(m_decim0, -EPROTO, "decimation 0");
	hello_case(m_mask_empty, -EPROTO, "channel mask");
	hello_case(m_mask_outside, -EPROTO, "channel mask 0x105");
	hello_case(m_nchan, -EPROTO, "nchan 3");
	hello_case(m_format, -EPROTO, "format 1");
	hello_case(m_bits, -EPROTO, "12 bits");
	hello_case(m_pending, -EPROTO, "max_pending");
	hello_case(m_str_long, -EPROTO, "server string length 200");
	hello_case(m_str_nul, -EPROTO, "device string contains a NUL");
	hello_case(m_trunc, -EPROTO, "server string missing");
	hello_case(m_short, -EMSGSIZE, "HELLO");
	hello_case(m_stray, -EPROTO, "1 stray bytes");
}

static void test_data(void **state)
{
	struct dqs_data d = { .seq = 7, .first_sample = 1ull << 40,
			      .timestamp_ns = 123456789, .nsamples = 3, .nchan = 2,
			      .flags = DQS_DATA_FLAG_TEST }, out;
	uint8_t b[DQS_DATA_HDR_BYTES + 12];
	struct dqs_hdr h;

	(void)state;
	dqs_encode_data_hdr(b, &d);
	for (int i = 0; i < 12; i++)
		b[DQS_DATA_HDR_BYTES + i] = (uint8_t)i;
	assert_int_equal(dqs_decode_hdr(b, &h, err, sizeof(err)), 0);
	assert_int_equal(h.type, DQS_DATA);
	assert_int_equal(h.body_len, 32 + 12);
	assert_int_equal(b[DQS_HDR_LEN + 13], 1);	/* 1 << 40, LE */
	assert_int_equal(dqs_decode_data(b + DQS_HDR_LEN, h.body_len, &out,
					 err, sizeof(err)), 0);
	assert_int_equal(out.seq, 7);
	assert_true(out.first_sample == 1ull << 40);
	assert_int_equal(out.timestamp_ns, 123456789);
	assert_int_equal(out.nsamples, 3);
	assert_int_equal(out.nchan, 2);
	assert_int_equal(out.flags, DQS_DATA_FLAG_TEST);
	assert_ptr_equal(out.samples, b + DQS_DATA_HDR_BYTES);

	/* Body length must match nsamples x nchan exactly. */
	assert_int_equal(dqs_decode_data(b + DQS_HDR_LEN, h.body_len - 2, &out,
					 err, sizeof(err)), -EMSGSIZE);
	assert_non_null(strstr(err, "3 samples x 2 channels need 44"));
	assert_int_equal(dqs_decode_data(b + DQS_HDR_LEN, 31, &out, err, sizeof(err)),
			 -EMSGSIZE);

	d.nsamples = 0;
	dqs_encode_data_hdr(b, &d);
	assert_int_equal(dqs_decode_data(b + DQS_HDR_LEN, 32, &out, err, sizeof(err)),
			 -EPROTO);
	assert_non_null(strstr(err, "nsamples 0"));
	d.nsamples = DQS_DATA_MAX_SAMPLES + 1;
	dqs_encode_data_hdr(b, &d);
	assert_int_equal(dqs_decode_data(b + DQS_HDR_LEN, 44, &out, err, sizeof(err)),
			 -EPROTO);
	d.nsamples = 1;
	d.nchan = 0;
	dqs_encode_data_hdr(b, &d);
	assert_int_equal(dqs_decode_data(b + DQS_HDR_LEN, 32, &out, err, sizeof(err)),
			 -EPROTO);
	assert_non_null(strstr(err, "nchan 0"));
	d.nchan = 33;
	dqs_encode_data_hdr(b, &d);
	assert_int_equal(dqs_decode_data(b + DQS_HDR_LEN, 32 + 66, &out, err, sizeof(err)),
			 -EPROTO);
	d.nchan = 1;
	d.flags = 0x8000;
	dqs_encode_data_hdr(b, &d);
	assert_int_equal(dqs_decode_data(b + DQS_HDR_LEN, 34, &out, err, sizeof(err)),
			 -EPROTO);
	assert_non_null(strstr(err, "flags 0x8000"));
}

static void test_commit_abort(void **state)
{
	uint8_t b[DQS_COMMIT_BYTES];
	struct dqs_hdr h;
	uint64_t n = 0;

	(void)state;
	dqs_encode_commit(b, 0x1122334455667788ull);
	assert_int_equal(dqs_decode_hdr(b, &h, err, sizeof(err)), 0);
	assert_int_equal(h.type, DQS_COMMIT);
	assert_int_equal(b[DQS_HDR_LEN], 0x88);
	assert_int_equal(dqs_decode_commit(b + DQS_HDR_LEN, 8, &n, err, sizeof(err)), 0);
	assert_true(n == 0x1122334455667788ull);
	dqs_encode_abort(b, 5);
	assert_int_equal(dqs_decode_hdr(b, &h, err, sizeof(err)), 0);
	assert_int_equal(h.type, DQS_ABORT);
	assert_int_equal(dqs_decode_commit(b + DQS_HDR_LEN, 8, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 5);
	assert_int_equal(dqs_decode_commit(b + DQS_HDR_LEN, 7, &n, err, sizeof(err)),
			 -EMSGSIZE);
}

static void test_gap(void **state)
{
	struct dqs_gap g = { .first_sample = 1000, .nsamples = 4096,
			     .reason = DQS_GAP_DEVICE_OVERFLOW }, out;
	uint8_t b[DQS_GAP_BYTES];

	(void)state;
	dqs_encode_gap(b, &g);
	assert_int_equal(b[DQS_HDR_LEN + 16], 2);
	assert_int_equal(dqs_decode_gap(b + DQS_HDR_LEN, 24, &out, err, sizeof(err)), 0);
	assert_int_equal(out.first_sample, 1000);
	assert_int_equal(out.nsamples, 4096);
	assert_int_equal(out.reason, DQS_GAP_DEVICE_OVERFLOW);
	assert_string_equal(dqs_gap_reason_name(out.reason), "device-overflow");

	assert_int_equal(dqs_decode_gap(b + DQS_HDR_LEN, 23, &out, err, sizeof(err)),
			 -EMSGSIZE);
	g.reason = 3;
	dqs_encode_gap(b, &g);
	assert_int_equal(dqs_decode_gap(b + DQS_HDR_LEN, 24, &out, err, sizeof(err)),
			 -EPROTO);
	assert_non_null(strstr(err, "reason 3"));
	g.reason = DQS_GAP_CLIENT_SLOW;
	g.nsamples = 0;
	dqs_encode_gap(b, &g);
	assert_int_equal(dqs_decode_gap(b + DQS_HDR_LEN, 24, &out, err, sizeof(err)),
			 -EPROTO);
	assert_non_null(strstr(err, "nsamples is 0"));
	g.nsamples = 2;
	g.first_sample = UINT64_MAX;
	dqs_encode_gap(b, &g);
	assert_int_equal(dqs_decode_gap(b + DQS_HDR_LEN, 24, &out, err, sizeof(err)),
			 -EPROTO);
	assert_non_null(strstr(err, "overflows"));
	g.first_sample = 0;
	dqs_encode_gap(b, &g);
	b[DQS_HDR_LEN + 21] = 1;
	assert_int_equal(dqs_decode_gap(b + DQS_HDR_LEN, 24, &out, err, sizeof(err)),
			 -EPROTO);
}

static void test_end(void **state)
{
	struct dqs_end e = { .end_sample = 99, .reason = DQS_END_SHUTDOWN }, out;
	uint8_t b[DQS_END_BYTES];

	(void)state;
	dqs_encode_end(b, &e);
	assert_int_equal(dqs_decode_end(b + DQS_HDR_LEN, 16, &out, err, sizeof(err)), 0);
	assert_int_equal(out.end_sample, 99);
	assert_int_equal(out.reason, DQS_END_SHUTDOWN);
	assert_int_equal(dqs_decode_end(b + DQS_HDR_LEN, 15, &out, err, sizeof(err)),
			 -EMSGSIZE);
	e.reason = 0;
	dqs_encode_end(b, &e);
	assert_int_equal(dqs_decode_end(b + DQS_HDR_LEN, 16, &out, err, sizeof(err)),
			 -EPROTO);
	e.reason = 4;
	dqs_encode_end(b, &e);
	assert_int_equal(dqs_decode_end(b + DQS_HDR_LEN, 16, &out, err, sizeof(err)),
			 -EPROTO);
	assert_non_null(strstr(err, "reason 4"));
	e.reason = 1;
	dqs_encode_end(b, &e);
	b[DQS_HDR_LEN + 12] = 1;
	assert_int_equal(dqs_decode_end(b + DQS_HDR_LEN, 16, &out, err, sizeof(err)),
			 -EPROTO);
}

static void test_error(void **state)
{
	uint8_t b[DQS_ERROR_MAX_BYTES];
	char longtext[300];
	struct dqs_error out;
	struct dqs_hdr h;
	int n;

	(void)state;
	n = dqs_encode_error(b, sizeof(b), 16, "too many clients\n");
	assert_int_equal(n, DQS_HDR_LEN + 4 + 17);
	assert_int_equal(dqs_decode_hdr(b, &h, err, sizeof(err)), 0);
	assert_int_equal(dqs_decode_error(b + DQS_HDR_LEN, h.body_len, &out,
					  err, sizeof(err)), 0);
	assert_int_equal(out.code, 16);
	/* Control characters are neutralised. */
	assert_string_equal(out.text, "too many clients?");

	memset(longtext, 'a', sizeof(longtext) - 1);
	longtext[sizeof(longtext) - 1] = '\0';
	n = dqs_encode_error(b, sizeof(b), 22, longtext);
	assert_int_equal(n, DQS_ERROR_MAX_BYTES);
	assert_int_equal(dqs_decode_hdr(b, &h, err, sizeof(err)), 0);
	assert_int_equal(dqs_decode_error(b + DQS_HDR_LEN, h.body_len, &out,
					  err, sizeof(err)), 0);
	assert_int_equal(strlen(out.text), DQS_ERROR_TEXT_MAX);
	assert_int_equal(dqs_encode_error(b, 10, 22, "x"), -ENOSPC);
	assert_int_equal(dqs_decode_error(b + DQS_HDR_LEN, 3, &out, err, sizeof(err)),
			 -EMSGSIZE);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(dqs_type_name(DQS_REQUEST), "REQUEST");
	assert_string_equal(dqs_type_name(0x9999), "?");
	assert_string_equal(dqs_gap_reason_name(DQS_GAP_CLIENT_SLOW), "client-slow");
	assert_string_equal(dqs_end_reason_name(DQS_END_STOPPED), "stopped");
	assert_string_equal(dqs_end_reason_name(0), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hdr_layout),
		cmocka_unit_test(test_hdr_malformed),
		cmocka_unit_test(test_hdr_no_err_buffer),
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_request_malformed),
		cmocka_unit_test(test_hello_roundtrip),
		cmocka_unit_test(test_hello_malformed),
		cmocka_unit_test(test_data),
		cmocka_unit_test(test_commit_abort),
		cmocka_unit_test(test_gap),
		cmocka_unit_test(test_end),
		cmocka_unit_test(test_error),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
