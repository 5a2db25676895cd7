// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Robustness and soundness of the stream verifier (libdaqstream/
 * stream_verify.h), which daqcat --verify runs on what a server sent.
 *
 * Its inputs are what the decoders accept, so every HELLO, DATA, GAP and
 * END here is encoded, sometimes mutated, and decoded first; DATA samples
 * are decoded from a heap copy of exactly the message (ASan sees any
 * overread). Invariants:
 *  - a stream that keeps the protocol's invariant (docs/stream-protocol.md,
 *    GAP) and carries the test pattern verifies with no error, and the
 *    counters add up (messages, samples, gaps and gap samples by reason);
 *  - one corruption of it is always found: a changed sample, a DATA
 *    message left out, a DATA shifted by one stream sample;
 *  - whatever decodes: no crash, the error count never goes down, each call
 *    returns dqs_verify_errors(), and first_error is a NUL-terminated string
 *    that is set once there is an error.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uio_daq/frame.h>

#include "fuzz.h"
#include "stream_proto.h"
#include "stream_verify.h"

#define MAX_EVENTS	24
#define MAX_SAMPLES	64

static struct fuzz F;

enum ev_kind { EV_DATA, EV_GAP, EV_END };

/* One message of a stream, as encoded bytes (header included). */
struct msg {
	enum ev_kind kind;
	uint8_t *bytes;
	size_t len;
};

struct stream {
	struct dqs_hello hello;
	struct msg msgs[MAX_EVENTS];
	size_t n;
	/* What a correct verification counts. */
	uint64_t data_msgs, samples, gaps, gap_samples[3];
};

static uint64_t round_up(uint64_t x, uint32_t n)
{
	uint64_t r = x % n;

	return r ? x + (n - r) : x;
}

static void rand_hello(struct dqs_hello *h)
{
	memset(h, 0, sizeof(*h));
	h->version = DQS_VERSION_MAJOR;
	h->sample_rate = 1000000;
	h->decimation = fuzz_below(&F, 4) ? 1 + (uint32_t)fuzz_below(&F, 8) :
			1 + (uint32_t)fuzz_below(&F, DQS_MAX_DECIMATION);
	/* Mostly a few channels, sometimes any subset of the 32. */
	h->chan_mask = fuzz_below(&F, 4) ? (uint32_t)fuzz_below(&F, 255) + 1 :
		       (uint32_t)fuzz_rand(&F) | 1u;
	h->dev_chan_mask = h->chan_mask | (uint32_t)fuzz_rand(&F);
	h->nchan = (uint16_t)__builtin_popcount(h->chan_mask);
	h->sample_bits = 16;
	h->max_pending = 1u << 20;
	h->acq_id = 1;
	strcpy(h->device, "fuzz");
	strcpy(h->datatype, "ri16_le");
	strcpy(h->server, "fuzz_stream_verify");
}

static void add_msg(struct stream *s, enum ev_kind kind, const uint8_t *b, size_t len)
{
	struct msg *m = &s->msgs[s->n++];

	m->kind = kind;
	m->len = len;
	m->bytes = fuzz_exact_copy(b, len);
}

static void add_data(struct stream *s, uint64_t first, uint32_t nsamples)
{
	const struct dqs_hello *h = &s->hello;
	struct dqs_data d = { .first_sample = first, .nsamples = nsamples, .nchan = h->nchan };
	size_t len = DQS_DATA_HDR_BYTES + (size_t)nsamples * h->nchan * 2;
	uint8_t *b = malloc(len), *p = b + DQS_DATA_HDR_BYTES;

	if (!b)
		abort();
	dqs_encode_data_hdr(b, &d);
	for (uint32_t i = 0; i < nsamples; i++)
		for (unsigned int c = 0; c < DQS_MAX_CHANNELS; c++) {
			int16_t v;

			if (!(h->chan_mask & (1u << c)))
				continue;
			v = udaq_test_sample(first + (uint64_t)i * h->decimation, c);
			*p++ = (uint8_t)((uint16_t)v & 0xff);
			*p++ = (uint8_t)((uint16_t)v >> 8);
		}
	add_msg(s, EV_DATA, b, len);
	free(b);
	s->data_msgs++;
	s->samples += nsamples;
}

/* A stream that keeps the invariant, ending with END. */
static void gen_valid(struct stream *s)
{
	uint32_t n;
	uint64_t c;
	size_t events = 1 + fuzz_below(&F, MAX_EVENTS - 1);

	memset(s, 0, sizeof(*s));
	rand_hello(&s->hello);
	n = s->hello.decimation;
	/* Where the client joined: anywhere (small, or far into a long run). */
	c = fuzz_below(&F, 2) ? fuzz_below(&F, 100000) : fuzz_rand(&F) >> 8;
	for (size_t i = 0; i + 1 < events; i++) {
		uint64_t r = round_up(c, n);

		if (fuzz_below(&F, 3)) {
			uint64_t first = i == 0 ? round_up(c, n) : r;
			uint32_t k = 1 + (uint32_t)fuzz_below(&F, MAX_SAMPLES);

			add_data(s, first, k);
			c = first + (uint64_t)(k - 1) * n + 1;
		} else {
			struct dqs_gap g = {
				.first_sample = c + fuzz_below(&F, r - c + 1),
				.nsamples = 1 + fuzz_below(&F, fuzz_below(&F, 2) ? 10 : 1000000),
				.reason = 1 + (uint32_t)fuzz_below(&F, 2),
			};
			uint8_t b[DQS_GAP_BYTES];

			dqs_encode_gap(b, &g);
			add_msg(s, EV_GAP, b, sizeof(b));
			s->gaps++;
			s->gap_samples[g.reason] += g.nsamples;
			c = g.first_sample + g.nsamples;
		}
	}
	{
		struct dqs_end e = { .end_sample = c + fuzz_below(&F, round_up(c, n) - c + 1),
				     .reason = DQS_END_STOPPED };
		uint8_t b[DQS_END_BYTES];

		dqs_encode_end(b, &e);
		add_msg(s, EV_END, b, sizeof(b));
	}
}

static void free_stream(struct stream *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->msgs[i].bytes);
}

/* Check the verifier's state after a call that returned @ret. */
static void check_state(const struct dqs_verify *v, uint64_t ret, uint64_t *last)
{
	FUZZ_ASSERT(&F, ret == dqs_verify_errors(v));
	FUZZ_ASSERT(&F, ret >= *last);
	FUZZ_ASSERT(&F, memchr(v->first_error, '\0', sizeof(v->first_error)) != NULL);
	FUZZ_ASSERT(&F, !ret || v->first_error[0]);
	*last = ret;
}

/*
 * Decode @m (as a client would) and hand it to the verifier.
 * Return: false if it does not decode (a mutated message).
 */
static bool feed(struct dqs_verify *v, const struct msg *m, uint64_t *last)
{
	struct dqs_hdr h;
	int ret;

	fuzz_set_input(&F, m->bytes, m->len);
	if (m->len < DQS_HDR_LEN || dqs_decode_hdr(m->bytes, &h, NULL, 0) ||
	    h.body_len != m->len - DQS_HDR_LEN)
		return false;
	switch (h.type) {
	case DQS_DATA: {
		struct dqs_data d;

		ret = dqs_decode_data(m->bytes + DQS_HDR_LEN, h.body_len, &d, NULL, 0);
		/* The client refuses DATA whose channels differ from HELLO's. */
		if (ret || d.nchan != __builtin_popcount(v->chan_mask))
			return false;
		check_state(v, dqs_verify_data(v, &d), last);
		return true;
	}
	case DQS_GAP: {
		struct dqs_gap g;

		if (dqs_decode_gap(m->bytes + DQS_HDR_LEN, h.body_len, &g, NULL, 0))
			return false;
		check_state(v, dqs_verify_gap(v, &g), last);
		return true;
	}
	case DQS_END: {
		struct dqs_end e;

		if (dqs_decode_end(m->bytes + DQS_HDR_LEN, h.body_len, &e, NULL, 0))
			return false;
		check_state(v, dqs_verify_end(v, &e), last);
		return true;
	}
	default:
		return false;
	}
}

/* The HELLO goes through its decoder too: the verifier sees only what it accepts. */
static void start(struct dqs_verify *v, const struct dqs_hello *h)
{
	uint8_t b[DQS_HDR_LEN + DQS_HELLO_MAX_LEN];
	struct dqs_hello d;
	int n = dqs_encode_hello(b, sizeof(b), h);

	FUZZ_ASSERT(&F, n > DQS_HDR_LEN);
	FUZZ_ASSERT(&F, dqs_decode_hello(b + DQS_HDR_LEN, (size_t)n - DQS_HDR_LEN, &d,
					 NULL, 0) == 0);
	memset(v, 0, sizeof(*v));
	dqs_verify_start(v, &d, true);
}

static void fuzz_valid(void)
{
	struct stream s;
	struct dqs_verify v;
	uint64_t last = 0;

	gen_valid(&s);
	start(&v, &s.hello);
	for (size_t i = 0; i < s.n; i++)
		FUZZ_ASSERT(&F, feed(&v, &s.msgs[i], &last));
	fuzz_set_input(&F, NULL, 0);
	if (dqs_verify_errors(&v))
		fprintf(stderr, "verifier: %s\n", v.first_error);
	FUZZ_ASSERT(&F, dqs_verify_errors(&v) == 0);
	FUZZ_ASSERT(&F, v.data_msgs == s.data_msgs && v.samples == s.samples);
	FUZZ_ASSERT(&F, v.gaps == s.gaps && v.gap_samples[1] == s.gap_samples[1] &&
			v.gap_samples[2] == s.gap_samples[2]);
	free_stream(&s);
}

/* One corruption of a valid stream; it must be found. Return: whether one was made. */
static bool fuzz_corrupted(void)
{
	struct stream s;
	struct dqs_verify v;
	uint64_t last = 0;
	size_t data[MAX_EVENTS], nd = 0, victim, skip = SIZE_MAX;

	gen_valid(&s);
	for (size_t i = 0; i < s.n; i++)
		if (s.msgs[i].kind == EV_DATA)
			data[nd++] = i;
	if (!nd) {
		free_stream(&s);
		return false;
	}
	victim = data[fuzz_below(&F, nd)];
	switch (fuzz_below(&F, 3)) {
	case 0: {	/* one sample bit */
		struct msg *m = &s.msgs[victim];
		size_t at = DQS_DATA_HDR_BYTES + fuzz_below(&F, m->len - DQS_DATA_HDR_BYTES);

		m->bytes[at] ^= (uint8_t)(1u << fuzz_below(&F, 8));
		break;
	}
	case 1:		/* a DATA neither received nor announced missing */
		if (victim == 0) {
			/* The first message may start anywhere: lose the next DATA instead. */
			if (nd < 2) {
				free_stream(&s);
				return false;
			}
			victim = data[1];
		}
		skip = victim;
		break;
	default: {	/* shifted by one stream sample, not the first message */
		struct msg *m = &s.msgs[victim];
		struct dqs_data d;

		if (victim == 0) {
			free_stream(&s);
			return false;
		}
		FUZZ_ASSERT(&F, dqs_decode_data(m->bytes + DQS_HDR_LEN, m->len - DQS_HDR_LEN,
						&d, NULL, 0) == 0);
		if (fuzz_below(&F, 2) || d.first_sample < s.hello.decimation)
			d.first_sample += s.hello.decimation;
		else
			d.first_sample -= s.hello.decimation;
		dqs_encode_data_hdr(m->bytes, &d);
		break;
	}
	}
	start(&v, &s.hello);
	for (size_t i = 0; i < s.n; i++)
		if (i != skip)
			feed(&v, &s.msgs[i], &last);
	fuzz_set_input(&F, s.msgs[victim].bytes, s.msgs[victim].len);
	FUZZ_ASSERT(&F, dqs_verify_errors(&v) > 0);
	fuzz_set_input(&F, NULL, 0);
	free_stream(&s);
	return true;
}

/* Mutated messages in any order: robustness only. */
static void fuzz_mutated(void)
{
	struct stream s;
	struct dqs_verify v;
	uint64_t last = 0;
	size_t rounds = 1 + fuzz_below(&F, 3 * MAX_EVENTS);

	gen_valid(&s);
	start(&v, &s.hello);
	for (size_t r = 0; r < rounds; r++) {
		const struct msg *src = &s.msgs[fuzz_below(&F, s.n)];
		size_t cap = src->len + 256, len = src->len;
		uint8_t *buf = malloc(cap);
		struct msg m;

		if (!buf)
			abort();
		memcpy(buf, src->bytes, src->len);
		if (fuzz_below(&F, 4))
			fuzz_mutate(&F, buf, &len, cap);
		m.kind = src->kind;
		m.bytes = fuzz_exact_copy(buf, len);
		m.len = len;
		free(buf);
		feed(&v, &m, &last);
		free(m.bytes);
		/* Sometimes a new acquisition: errors survive it. */
		if (fuzz_below(&F, 16) == 0) {
			uint64_t before = dqs_verify_errors(&v);

			dqs_verify_start(&v, &s.hello, fuzz_below(&F, 2));
			FUZZ_ASSERT(&F, dqs_verify_errors(&v) == before);
		}
	}
	fuzz_set_input(&F, NULL, 0);
	free_stream(&s);
}

int main(void)
{
	uint64_t valid = 0, corrupted = 0;
	char summary[128];

	fuzz_init(&F, "fuzz_stream_verify", 0x5eed0005, 200000, 3.0);
	while (fuzz_more(&F)) {
		switch (fuzz_below(&F, 3)) {
		case 0:
			fuzz_valid();
			valid++;
			break;
		case 1:
			corrupted += fuzz_corrupted();
			break;
		default:
			fuzz_mutated();
			break;
		}
	}
	snprintf(summary, sizeof(summary), "%llu valid streams verified, %llu corrupted ones caught",
		 (unsigned long long)valid, (unsigned long long)corrupted);
	fuzz_done(&F, summary);
	return 0;
}
