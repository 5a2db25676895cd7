// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The TRIGGER message of stream protocol 1.1 (libdaqstream/stream_proto.h,
 * docs/stream-protocol.md): the encoding round trip, every malformed body
 * the decoder must refuse, and strictness: every single-byte change of a
 * valid message is either refused or decodes to a message that encodes to
 * exactly the changed bytes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stream_proto.h"

static const struct dqs_trigger sample = {
	.acq_id = 3, .seq = 17, .index = 123456789, .first_sample = 123456689,
	.nsamples = 250, .history_lost = 0, .lost = 0,
	.flags = DQS_TRIGGER_FLAG_COMPLETE, .channel = 5, .condition = 6, .name = "pulse",
};

static void test_round_trip(void **state)
{
	uint8_t msg[DQS_TRIGGER_MAX_BYTES];
	struct dqs_trigger t;
	struct dqs_hdr h;
	int n;

	(void)state;
	n = dqs_encode_trigger(msg, sizeof(msg), &sample);
	assert_int_equal(n, DQS_HDR_LEN + DQS_TRIGGER_FIXED_LEN + 1 + 5);
	assert_int_equal(dqs_decode_hdr(msg, &h, NULL, 0), 0);
	assert_int_equal(h.type, DQS_TRIGGER);
	assert_int_equal(h.body_len, n - DQS_HDR_LEN);
	assert_string_equal(dqs_type_name(DQS_TRIGGER), "TRIGGER");
	memset(&t, 0xa5, sizeof(t));
	assert_int_equal(dqs_decode_trigger(msg + DQS_HDR_LEN, h.body_len, &t, NULL, 0), 0);
	assert_int_equal(t.acq_id, 3);
	assert_int_equal(t.seq, 17);
	assert_int_equal(t.index, 123456789);
	assert_int_equal(t.first_sample, 123456689);
	assert_int_equal(t.nsamples, 250);
	assert_int_equal(t.flags, DQS_TRIGGER_FLAG_COMPLETE);
	assert_int_equal(t.channel, 5);
	assert_int_equal(t.condition, 6);
	assert_string_equal(t.name, "pulse");
	/* The longest name fits DQS_TRIGGER_MAX_BYTES exactly. */
	t = sample;
	memset(t.name, 'x', DQS_TRIGGER_NAME_MAX);
	t.name[DQS_TRIGGER_NAME_MAX] = '\0';
	assert_int_equal(dqs_encode_trigger(msg, sizeof(msg), &t), DQS_TRIGGER_MAX_BYTES);
	assert_int_equal(dqs_encode_trigger(msg, DQS_TRIGGER_MAX_BYTES - 1, &t), -ENOSPC);
	t.name[0] = '\0';
	assert_int_equal(dqs_encode_trigger(msg, sizeof(msg), &t), -EINVAL);
}

/* Decode @msg's body after changing byte @off to @v. */
static int decode_with(const uint8_t *msg, size_t len, size_t off, uint8_t v,
		       struct dqs_trigger *t, char *err, size_t errlen)
{
	uint8_t body[DQS_TRIGGER_MAX_BYTES];

	memcpy(body, msg + DQS_HDR_LEN, len - DQS_HDR_LEN);
	body[off] = v;
	return dqs_decode_trigger(body, len - DQS_HDR_LEN, t, err, errlen);
}

static void test_refused(void **state)
{
	uint8_t msg[DQS_TRIGGER_MAX_BYTES];
	struct dqs_trigger t = sample;
	char err[160];
	int n;

	(void)state;
	n = dqs_encode_trigger(msg, sizeof(msg), &sample);
	assert_int_equal(decode_with(msg, (size_t)n, 62, 1, &t, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "reserved"));
	assert_int_equal(decode_with(msg, (size_t)n, 56, 2, &t, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "flags"));
	assert_int_equal(decode_with(msg, (size_t)n, 60, 32, &t, err, sizeof(err)), -EPROTO);
	assert_int_equal(decode_with(msg, (size_t)n, 61, 7, &t, err, sizeof(err)), -EPROTO);
	assert_int_equal(decode_with(msg, (size_t)n, 40, 1, &t, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "history lost"));
	assert_int_equal(decode_with(msg, (size_t)n, 64, 4, &t, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "name length"));
	assert_int_equal(decode_with(msg, (size_t)n, 66, 0, &t, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "NUL"));
	assert_int_equal(dqs_decode_trigger(msg + DQS_HDR_LEN, DQS_TRIGGER_FIXED_LEN + 1, &t,
					    err, sizeof(err)), -EMSGSIZE);
	/* A header announcing a body out of the type's bounds. */
	dqs_encode_hdr(msg, DQS_TRIGGER, DQS_TRIGGER_FIXED_LEN + 2 + DQS_TRIGGER_NAME_MAX);
	assert_int_equal(dqs_decode_hdr(msg, &(struct dqs_hdr){ 0 }, err, sizeof(err)), -EMSGSIZE);
}

static void test_strict(void **state)
{
	uint8_t msg[DQS_TRIGGER_MAX_BYTES], again[DQS_TRIGGER_MAX_BYTES];
	struct dqs_trigger t;
	int n, accepted = 0, refused = 0;

	(void)state;
	n = dqs_encode_trigger(msg, sizeof(msg), &sample);
	for (size_t off = 0; off < (size_t)n - DQS_HDR_LEN; off++) {
		for (unsigned int v = 0; v < 256; v++) {
			char err[160];
			int ret = decode_with(msg, (size_t)n, off, (uint8_t)v, &t, err, sizeof(err));

			if (ret) {
				assert_true(ret == -EPROTO || ret == -EMSGSIZE);
				assert_true(strlen(err) > 0);
				refused++;
				continue;
			}
			accepted++;
			assert_int_equal(dqs_encode_trigger(again, sizeof(again), &t), n);
			assert_memory_equal(again + DQS_HDR_LEN, msg + DQS_HDR_LEN, (size_t)off);
			assert_int_equal(again[DQS_HDR_LEN + off], v);
			assert_memory_equal(again + DQS_HDR_LEN + off + 1, msg + DQS_HDR_LEN + off + 1,
					    (size_t)n - DQS_HDR_LEN - off - 1);
		}
	}
	assert_true(accepted > 0 && refused > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_strict),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
