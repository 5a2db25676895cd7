// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Robustness of the stream wire format decoders (daqd/stream_proto.h), the
 * parsers every byte from a network peer goes through.
 *
 * Valid messages of every type are encoded from random field values and
 * mutated; random bytes are thrown in too. Each decode runs on a heap copy
 * of exactly the announced length (ASan sees any overread). Invariants:
 *  - a valid encoding decodes, and decoding is the inverse of encoding;
 *  - decoders are strict: whatever a decoder accepts re-encodes to exactly
 *    the bytes it was given (HELLO, REQUEST, DATA header, COMMIT, GAP,
 *    END; ERROR modulo its documented control-character scrubbing);
 *  - an accepted header announces a body length within its type's bounds;
 *  - DATA samples point just past the fixed part and the length is exactly
 *    32 + nsamples * nchan * 2;
 *  - returns are 0, -EPROTO, -EMSGSIZE or -EINVAL, and a failure writes a
 *    NUL-terminated reason within errlen (a canary after it stays intact).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "stream_proto.h"

#define CAP	(DQS_HDR_LEN + DQS_HELLO_MAX_LEN + 4096)

static struct fuzz F;

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* An error buffer of random size with a canary byte after it. */
struct errbuf {
	char buf[300];
	size_t len;
};

static void err_prepare(struct errbuf *e)
{
	e->len = fuzz_below(&F, 4) == 0 ? fuzz_below(&F, 8) : 1 + fuzz_below(&F, 256);
	memset(e->buf, 'Z', sizeof(e->buf));
}

static void err_check(const struct errbuf *e, int ret)
{
	FUZZ_ASSERT(&F, ret == 0 || ret == -EPROTO || ret == -EMSGSIZE || ret == -EINVAL);
	FUZZ_ASSERT(&F, e->buf[e->len] == 'Z');
	if (ret && e->len) {
		FUZZ_ASSERT(&F, memchr(e->buf, '\0', e->len) != NULL);
		/* A reason, not an empty string (unless the buffer is a byte). */
		FUZZ_ASSERT(&F, e->len == 1 || e->buf[0] != '\0');
	}
}

static void rand_str(char *s, size_t max)
{
	size_t n = fuzz_below(&F, 4) == 0 ? max : fuzz_below(&F, max + 1);

	for (size_t i = 0; i < n; i++)
		s[i] = (char)(1 + fuzz_below(&F, 255));	/* any byte but NUL */
	s[n] = '\0';
}

/* ---- valid messages --------------------------------------------------- */

static void rand_hello(struct dqs_hello *h)
{
	memset(h, 0, sizeof(*h));
	h->version = DQS_VERSION_MAJOR;
	h->minor = (uint16_t)fuzz_rand(&F);
	h->sample_rate = (uint32_t)fuzz_rand(&F);
	h->decimation = 1 + (uint32_t)fuzz_below(&F, DQS_MAX_DECIMATION);
	h->dev_chan_mask = (uint32_t)fuzz_rand(&F) | 1u;
	h->chan_mask = h->dev_chan_mask & (uint32_t)fuzz_rand(&F);
	if (!h->chan_mask)
		h->chan_mask = 1;
	h->nchan = (uint16_t)__builtin_popcount(h->chan_mask);
	h->format = DQS_FORMAT_I16LE;
	h->sample_bits = 16;
	h->max_pending = DQS_DATA_HDR_BYTES + 2 +
		(uint32_t)fuzz_below(&F, DQS_HDR_LEN + DQS_DATA_MAX_BODY - DQS_DATA_HDR_BYTES - 1);
	h->acq_id = fuzz_rand(&F);
	h->start_sample = fuzz_rand(&F);
	h->start_unix_ns = (int64_t)fuzz_rand(&F);
	rand_str(h->device, DQS_HELLO_STR_MAX);
	rand_str(h->datatype, DQS_HELLO_STR_MAX);
	rand_str(h->server, DQS_HELLO_STR_MAX);
}

static void rand_data(struct dqs_data *d, size_t max_payload)
{
	uint64_t pay;

	memset(d, 0, sizeof(*d));
	d->seq = fuzz_rand(&F);
	d->first_sample = fuzz_rand(&F);
	d->timestamp_ns = fuzz_rand(&F);
	d->nchan = (uint16_t)(1 + fuzz_below(&F, DQS_MAX_CHANNELS));
	d->nsamples = (uint32_t)(1 + fuzz_below(&F, max_payload / (2u * d->nchan)));
	d->flags = (uint16_t)(fuzz_rand(&F) & DQS_DATA_FLAG_TEST);
	pay = dqs_data_payload_len(d->nsamples, d->nchan);
	FUZZ_ASSERT(&F, pay <= max_payload);
}

/* Encode one valid message of a random type into @out; return its length. */
static size_t encode_valid(uint8_t *out, size_t cap)
{
	struct dqs_request rq;
	struct dqs_hello h;
	struct dqs_data d;
	struct dqs_gap g;
	struct dqs_end e;
	char text[DQS_ERROR_TEXT_MAX + 1];
	int n;

	switch (fuzz_below(&F, 8)) {
	case 0:
		rq.version = DQS_VERSION_MAJOR;
		rq.minor = (uint16_t)fuzz_rand(&F);
		rq.chan_mask = (uint32_t)fuzz_rand(&F);
		rq.decimation = 1 + (uint32_t)fuzz_below(&F, DQS_MAX_DECIMATION);
		n = dqs_encode_request(out, cap, &rq);
		FUZZ_ASSERT(&F, n == DQS_REQUEST_BYTES);
		return (size_t)n;
	case 1:
		rand_hello(&h);
		n = dqs_encode_hello(out, cap, &h);
		FUZZ_ASSERT(&F, n > DQS_HDR_LEN);
		return (size_t)n;
	case 2: {
		size_t pay;

		rand_data(&d, 2048);
		dqs_encode_data_hdr(out, &d);
		pay = (size_t)dqs_data_payload_len(d.nsamples, d.nchan);
		fuzz_fill(&F, out + DQS_DATA_HDR_BYTES, pay);
		return DQS_DATA_HDR_BYTES + pay;
	}
	case 3:
		dqs_encode_commit(out, fuzz_rand(&F));
		return DQS_COMMIT_BYTES;
	case 4:
		dqs_encode_abort(out, fuzz_rand(&F));
		return DQS_COMMIT_BYTES;
	case 5:
		g.first_sample = fuzz_rand(&F) >> 1;
		g.nsamples = 1 + (fuzz_rand(&F) >> 2);
		g.reason = fuzz_below(&F, 2) ? DQS_GAP_CLIENT_SLOW : DQS_GAP_DEVICE_OVERFLOW;
		dqs_encode_gap(out, &g);
		return DQS_GAP_BYTES;
	case 6:
		e.end_sample = fuzz_rand(&F);
		e.reason = DQS_END_STOPPED + (uint32_t)fuzz_below(&F, 3);
		dqs_encode_end(out, &e);
		return DQS_END_BYTES;
	default:
		rand_str(text, DQS_ERROR_TEXT_MAX);
		n = dqs_encode_error(out, cap, (uint32_t)fuzz_rand(&F), text);
		FUZZ_ASSERT(&F, n >= DQS_HDR_LEN + DQS_ERROR_FIXED_LEN);
		return (size_t)n;
	}
}

/* ---- decode one message and check what was accepted ------------------- */

struct counts {
	unsigned long hdr_ok, body_ok[8];
};

static int type_index(uint16_t t)
{
	return t == DQS_REQUEST ? 0 : t;	/* 1..7 for the server's types */
}

/*
 * Decode @msg/@len as one message (header, then exactly the body the header
 * announced, if that many bytes are there). @valid: it came unmutated from
 * an encoder, so it must decode.
 */
static void check_message(const uint8_t *msg, size_t len, bool valid, struct counts *cnt)
{
	uint8_t re[CAP];
	struct errbuf eb;
	struct dqs_hdr h;
	uint8_t *body;
	int ret, n;

	fuzz_set_input(&F, msg, len);
	if (len < DQS_HDR_LEN) {
		FUZZ_ASSERT(&F, !valid);
		return;
	}
	err_prepare(&eb);
	ret = dqs_decode_hdr(msg, &h, eb.buf, eb.len);
	err_check(&eb, ret);
	if (valid)
		FUZZ_ASSERT(&F, ret == 0);
	if (ret)
		return;
	cnt->hdr_ok++;
	/* The header is canonical: re-encoding gives the same 16 bytes. */
	dqs_encode_hdr(re, h.type, h.body_len);
	FUZZ_ASSERT(&F, memcmp(re, msg, DQS_HDR_LEN) == 0);
	FUZZ_ASSERT(&F, h.body_len <= DQS_DATA_MAX_BODY);
	if (h.type != DQS_DATA)
		FUZZ_ASSERT(&F, h.body_len <= DQS_HELLO_MAX_LEN);
	if (valid)
		FUZZ_ASSERT(&F, h.body_len == len - DQS_HDR_LEN);
	if (h.body_len > len - DQS_HDR_LEN)
		return;	/* a short read: the stream would wait for more */

	body = fuzz_exact_copy(msg + DQS_HDR_LEN, h.body_len);
	err_prepare(&eb);
	switch (h.type) {
	case DQS_REQUEST: {
		struct dqs_request rq;

		ret = dqs_decode_request(body, h.body_len, &rq, eb.buf, eb.len);
		if (ret)
			break;
		n = dqs_encode_request(re, sizeof(re), &rq);
		FUZZ_ASSERT(&F, n == (int)(DQS_HDR_LEN + h.body_len));
		FUZZ_ASSERT(&F, memcmp(re, msg, (size_t)n) == 0);
		FUZZ_ASSERT(&F, rq.version == DQS_VERSION_MAJOR);
		FUZZ_ASSERT(&F, rq.decimation >= 1 && rq.decimation <= DQS_MAX_DECIMATION);
		break;
	}
	case DQS_HELLO: {
		struct dqs_hello hl;

		ret = dqs_decode_hello(body, h.body_len, &hl, eb.buf, eb.len);
		if (ret)
			break;
		n = dqs_encode_hello(re, sizeof(re), &hl);
		FUZZ_ASSERT(&F, n == (int)(DQS_HDR_LEN + h.body_len));
		FUZZ_ASSERT(&F, memcmp(re, msg, (size_t)n) == 0);
		FUZZ_ASSERT(&F, hl.nchan == __builtin_popcount(hl.chan_mask));
		FUZZ_ASSERT(&F, hl.chan_mask && !(hl.chan_mask & ~hl.dev_chan_mask));
		break;
	}
	case DQS_DATA: {
		struct dqs_data d;

		ret = dqs_decode_data(body, h.body_len, &d, eb.buf, eb.len);
		if (ret)
			break;
		FUZZ_ASSERT(&F, (const uint8_t *)d.samples == body + DQS_DATA_FIXED_LEN);
		FUZZ_ASSERT(&F, DQS_DATA_FIXED_LEN + dqs_data_payload_len(d.nsamples, d.nchan) ==
				h.body_len);
		FUZZ_ASSERT(&F, d.nchan >= 1 && d.nchan <= DQS_MAX_CHANNELS);
		FUZZ_ASSERT(&F, d.nsamples >= 1 && d.nsamples <= DQS_DATA_MAX_SAMPLES);
		dqs_encode_data_hdr(re, &d);
		FUZZ_ASSERT(&F, memcmp(re, msg, DQS_DATA_HDR_BYTES) == 0);
		break;
	}
	case DQS_COMMIT:
	case DQS_ABORT: {
		uint64_t k;

		ret = dqs_decode_commit(body, h.body_len, &k, eb.buf, eb.len);
		if (ret)
			break;
		if (h.type == DQS_COMMIT)
			dqs_encode_commit(re, k);
		else
			dqs_encode_abort(re, k);
		FUZZ_ASSERT(&F, memcmp(re, msg, DQS_COMMIT_BYTES) == 0);
		break;
	}
	case DQS_GAP: {
		struct dqs_gap g;

		ret = dqs_decode_gap(body, h.body_len, &g, eb.buf, eb.len);
		if (ret)
			break;
		FUZZ_ASSERT(&F, g.nsamples && g.first_sample + g.nsamples > g.first_sample);
		dqs_encode_gap(re, &g);
		FUZZ_ASSERT(&F, memcmp(re, msg, DQS_GAP_BYTES) == 0);
		break;
	}
	case DQS_END: {
		struct dqs_end e;

		ret = dqs_decode_end(body, h.body_len, &e, eb.buf, eb.len);
		if (ret)
			break;
		dqs_encode_end(re, &e);
		FUZZ_ASSERT(&F, memcmp(re, msg, DQS_END_BYTES) == 0);
		FUZZ_ASSERT(&F, strcmp(dqs_end_reason_name(e.reason), "?") != 0);
		break;
	}
	case DQS_ERROR: {
		struct dqs_error e;
		size_t tn = h.body_len - DQS_ERROR_FIXED_LEN;

		ret = dqs_decode_error(body, h.body_len, &e, eb.buf, eb.len);
		if (ret)
			break;
		/* Printable text of exactly the sent length; code intact. */
		FUZZ_ASSERT(&F, strlen(e.text) == tn);
		FUZZ_ASSERT(&F, e.code == rd32(msg + DQS_HDR_LEN));
		for (size_t i = 0; i < tn; i++) {
			uint8_t in = msg[DQS_HDR_LEN + DQS_ERROR_FIXED_LEN + i];
			bool ctl = in < 0x20 || in == 0x7f;

			FUZZ_ASSERT(&F, (uint8_t)e.text[i] == (ctl ? '?' : in));
		}
		n = dqs_encode_error(re, sizeof(re), e.code, e.text);
		FUZZ_ASSERT(&F, n == (int)(DQS_HDR_LEN + h.body_len));
		break;
	}
	default:
		FUZZ_ASSERT(&F, !"dqs_decode_hdr accepted an unknown type");
	}
	err_check(&eb, ret);
	if (valid)
		FUZZ_ASSERT(&F, ret == 0);
	if (!ret)
		cnt->body_ok[type_index(h.type)]++;
	free(body);
}

/* Every body decoder on random bytes of every small length. */
static void check_raw_bodies(struct counts *cnt)
{
	uint8_t raw[DQS_HELLO_MAX_LEN + 8];
	size_t len = fuzz_below(&F, 4) ? fuzz_below(&F, 96) : fuzz_below(&F, sizeof(raw));
	struct dqs_hello hl;
	struct dqs_request rq;
	struct dqs_data d;
	struct dqs_gap g;
	struct dqs_end e;
	struct dqs_error er;
	struct errbuf eb;
	uint64_t k;
	uint8_t *body;

	fuzz_fill(&F, raw, len);
	body = fuzz_exact_copy(raw, len);
	fuzz_set_input(&F, body, len);
	err_prepare(&eb);
	err_check(&eb, dqs_decode_request(body, len, &rq, eb.buf, eb.len));
	err_prepare(&eb);
	err_check(&eb, dqs_decode_hello(body, len, &hl, eb.buf, eb.len));
	err_prepare(&eb);
	if (dqs_decode_data(body, len, &d, eb.buf, eb.len) == 0) {
		FUZZ_ASSERT(&F, DQS_DATA_FIXED_LEN + dqs_data_payload_len(d.nsamples, d.nchan) == len);
		cnt->body_ok[DQS_DATA]++;
	}
	err_prepare(&eb);
	err_check(&eb, dqs_decode_commit(body, len, &k, eb.buf, eb.len));
	err_prepare(&eb);
	err_check(&eb, dqs_decode_gap(body, len, &g, eb.buf, eb.len));
	err_prepare(&eb);
	err_check(&eb, dqs_decode_end(body, len, &e, eb.buf, eb.len));
	err_prepare(&eb);
	err_check(&eb, dqs_decode_error(body, len, &er, eb.buf, eb.len));
	free(body);
}

int main(void)
{
	static uint8_t buf[CAP];
	struct counts cnt = { 0 };
	char summary[200];

	fuzz_init(&F, "fuzz_stream_proto", 0x5eed0001, 3000000, 3.0);
	while (fuzz_more(&F)) {
		size_t len = encode_valid(buf, sizeof(buf));
		unsigned int mode = (unsigned int)fuzz_below(&F, 16);

		if (mode == 0) {
			/* Unmutated: must decode and round-trip. */
			check_message(buf, len, true, &cnt);
		} else if (mode == 1) {
			/* Random bytes behind a valid-looking header. */
			len = DQS_HDR_LEN + fuzz_below(&F, 300);
			fuzz_fill(&F, buf + DQS_HDR_LEN, len - DQS_HDR_LEN);
			if (fuzz_below(&F, 2))
				fuzz_fill(&F, buf, DQS_HDR_LEN);
			check_message(buf, len, false, &cnt);
		} else if (mode == 2) {
			check_raw_bodies(&cnt);
		} else {
			fuzz_mutate(&F, buf, &len, sizeof(buf));
			check_message(buf, len, false, &cnt);
		}
	}
	/* The run must have explored past the header check for every type. */
	snprintf(summary, sizeof(summary),
		 "%lu headers accepted; bodies accepted: REQUEST %lu HELLO %lu DATA %lu COMMIT %lu ABORT %lu GAP %lu END %lu ERROR %lu",
		 cnt.hdr_ok, cnt.body_ok[0], cnt.body_ok[DQS_HELLO], cnt.body_ok[DQS_DATA],
		 cnt.body_ok[DQS_COMMIT], cnt.body_ok[DQS_ABORT], cnt.body_ok[DQS_GAP],
		 cnt.body_ok[DQS_END], cnt.body_ok[DQS_ERROR]);
	fuzz_done(&F, summary);
	for (int i = 0; i < 8; i++)
		if (!cnt.body_ok[i]) {
			fprintf(stderr, "no message of type index %d was ever accepted: the driver is not exercising the decoders\n", i);
			return 1;
		}
	return 0;
}
