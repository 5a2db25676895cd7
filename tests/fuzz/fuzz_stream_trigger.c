// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Robustness of the TRIGGER decoder (stream protocol 1.1,
 * libdaqstream/stream_proto.h), a parser of bytes from a network peer.
 * Valid messages from random field values, mutated (bytes, lengths) and
 * random bodies of every length; each decode runs on a heap copy of exactly
 * the body (ASan sees any overread). Invariants: a valid encoding decodes
 * to its fields; whatever the decoder accepts re-encodes to exactly the
 * bytes it was given; returns are 0, -EPROTO or -EMSGSIZE, and a failure
 * writes a NUL-terminated reason.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "stream_proto.h"

static struct fuzz F;

static void random_trigger(struct dqs_trigger *t)
{
	size_t n = 1 + fuzz_below(&F, DQS_TRIGGER_NAME_MAX);

	memset(t, 0, sizeof(*t));
	t->acq_id = fuzz_rand(&F);
	t->seq = fuzz_rand(&F);
	t->index = fuzz_rand(&F);
	t->first_sample = fuzz_rand(&F);
	t->nsamples = fuzz_rand(&F);
	t->lost = fuzz_rand(&F);
	t->history_lost = t->lost < t->index ? t->lost : t->index;
	t->history_lost = t->history_lost ? fuzz_below(&F, t->history_lost + 1) : 0;
	t->flags = (uint32_t)fuzz_below(&F, 2);
	t->channel = (uint8_t)fuzz_below(&F, DQS_MAX_CHANNELS);
	t->condition = (uint8_t)fuzz_below(&F, 7);
	for (size_t i = 0; i < n; i++)
		t->name[i] = (char)(1 + fuzz_below(&F, 255));
}

/* Decode @body/@len; check the invariants. Return 1 if accepted. */
static int decode_check(const uint8_t *body, size_t len)
{
	uint8_t *copy = fuzz_exact_copy(body, len);
	uint8_t again[DQS_TRIGGER_MAX_BYTES];
	struct dqs_trigger t;
	char err[96];
	int ret, n;

	fuzz_set_input(&F, body, len);
	err[0] = 'x';
	ret = dqs_decode_trigger(copy, len, &t, err, sizeof(err));
	free(copy);
	if (ret) {
		FUZZ_ASSERT(&F, ret == -EPROTO || ret == -EMSGSIZE);
		FUZZ_ASSERT(&F, memchr(err, '\0', sizeof(err)) && err[0]);
		return 0;
	}
	n = dqs_encode_trigger(again, sizeof(again), &t);
	FUZZ_ASSERT(&F, n == (int)(DQS_HDR_LEN + len));
	FUZZ_ASSERT(&F, !memcmp(again + DQS_HDR_LEN, body, len));
	return 1;
}

int main(void)
{
	uint64_t accepted = 0;
	char summary[96];

	fuzz_init(&F, "fuzz_stream_trigger", 0x5eed0008, 300000, 3.0);
	while (fuzz_more(&F)) {
		uint8_t msg[DQS_TRIGGER_MAX_BYTES + 64];
		struct dqs_trigger t, d;
		size_t len;
		int n;

		random_trigger(&t);
		n = dqs_encode_trigger(msg, sizeof(msg), &t);
		FUZZ_ASSERT(&F, n > DQS_HDR_LEN);
		len = (size_t)n - DQS_HDR_LEN;
		switch (fuzz_below(&F, 3)) {
		case 0:
			/* Valid: decodes to its fields. */
			FUZZ_ASSERT(&F, dqs_decode_trigger(msg + DQS_HDR_LEN, len, &d, NULL, 0) == 0);
			FUZZ_ASSERT(&F, d.index == t.index && d.lost == t.lost &&
				    d.history_lost == t.history_lost && !strcmp(d.name, t.name));
			accepted += decode_check(msg + DQS_HDR_LEN, len);
			break;
		case 1:
			fuzz_mutate(&F, msg + DQS_HDR_LEN, &len, sizeof(msg) - DQS_HDR_LEN);
			accepted += decode_check(msg + DQS_HDR_LEN, len);
			break;
		default:
			len = fuzz_below(&F, DQS_TRIGGER_MAX_BYTES + 8);
			fuzz_fill(&F, msg, len);
			accepted += decode_check(msg, len);
			break;
		}
	}
	snprintf(summary, sizeof(summary), "%llu accepted", (unsigned long long)accepted);
	fuzz_done(&F, summary);
	return 0;
}
