/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Stream wire format: see docs/stream-protocol.md for the layouts. Fields
 * are assembled byte by byte so the code is right on any host byte order
 * and never does an unaligned load from a network buffer.
 */
#include "stream_proto.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v = 0;

	for (int i = 3; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

__attribute__((format(printf, 4, 5)))
static int fail(int ret, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

const char *dqs_type_name(uint16_t type)
{
	switch (type) {
	case DQS_HELLO: return "HELLO";
	case DQS_DATA: return "DATA";
	case DQS_COMMIT: return "COMMIT";
	case DQS_ABORT: return "ABORT";
	case DQS_GAP: return "GAP";
	case DQS_END: return "END";
	case DQS_ERROR: return "ERROR";
	case DQS_TRIGGER: return "TRIGGER";
	case DQS_REQUEST: return "REQUEST";
	}
	return "?";
}

const char *dqs_gap_reason_name(uint32_t reason)
{
	switch (reason) {
	case DQS_GAP_CLIENT_SLOW: return "client-slow";
	case DQS_GAP_DEVICE_OVERFLOW: return "device-overflow";
	}
	return "?";
}

const char *dqs_end_reason_name(uint32_t reason)
{
	switch (reason) {
	case DQS_END_STOPPED: return "stopped";
	case DQS_END_SHUTDOWN: return "shutdown";
	case DQS_END_DEVICE_ERROR: return "device-error";
	}
	return "?";
}

/* ---- Encoders --------------------------------------------------------- */

void dqs_encode_hdr(uint8_t out[DQS_HDR_LEN], uint16_t type, uint32_t body_len)
{
	put32(out, DQS_MAGIC);
	put16(out + 4, type);
	put16(out + 6, 0);
	put32(out + 8, body_len);
	put32(out + 12, 0);
}

int dqs_encode_request(uint8_t *out, size_t cap, const struct dqs_request *rq)
{
	if (cap < DQS_REQUEST_BYTES)
		return -ENOSPC;
	dqs_encode_hdr(out, DQS_REQUEST, DQS_REQUEST_LEN);
	out += DQS_HDR_LEN;
	put16(out, rq->version);
	put16(out + 2, rq->minor);
	put32(out + 4, rq->chan_mask);
	put32(out + 8, rq->decimation);
	put32(out + 12, 0);
	return DQS_REQUEST_BYTES;
}

int dqs_encode_hello(uint8_t *out, size_t cap, const struct dqs_hello *h)
{
	const char *strs[DQS_HELLO_NSTR] = { h->device, h->datatype, h->server };
	size_t lens[DQS_HELLO_NSTR];
	size_t body = DQS_HELLO_FIXED_LEN;
	uint8_t *p;

	for (int i = 0; i < DQS_HELLO_NSTR; i++) {
		lens[i] = strnlen(strs[i], DQS_HELLO_STR_MAX + 1);
		if (lens[i] > DQS_HELLO_STR_MAX)
			return -EINVAL;
		body += 1 + lens[i];
	}
	if (cap < DQS_HDR_LEN + body)
		return -ENOSPC;

	dqs_encode_hdr(out, DQS_HELLO, (uint32_t)body);
	p = out + DQS_HDR_LEN;
	memset(p, 0, DQS_HELLO_FIXED_LEN);
	put16(p, h->version);
	put16(p + 2, h->minor);
	put32(p + 4, h->sample_rate);
	put32(p + 8, h->decimation);
	put32(p + 12, h->dev_chan_mask);
	put32(p + 16, h->chan_mask);
	put16(p + 20, h->nchan);
	put16(p + 22, h->format);
	put16(p + 24, h->sample_bits);
	put32(p + 28, h->max_pending);
	put64(p + 32, h->acq_id);
	put64(p + 40, h->start_sample);
	put64(p + 48, (uint64_t)h->start_unix_ns);
	p += DQS_HELLO_FIXED_LEN;
	for (int i = 0; i < DQS_HELLO_NSTR; i++) {
		*p++ = (uint8_t)lens[i];
		memcpy(p, strs[i], lens[i]);
		p += lens[i];
	}
	return (int)(DQS_HDR_LEN + body);
}

void dqs_encode_data_hdr(uint8_t out[DQS_DATA_HDR_BYTES], const struct dqs_data *d)
{
	uint64_t body = DQS_DATA_FIXED_LEN + dqs_data_payload_len(d->nsamples, d->nchan);
	uint8_t *p = out + DQS_HDR_LEN;

	dqs_encode_hdr(out, DQS_DATA, (uint32_t)body);
	put64(p, d->seq);
	put64(p + 8, d->first_sample);
	put64(p + 16, d->timestamp_ns);
	put32(p + 24, d->nsamples);
	put16(p + 28, d->nchan);
	put16(p + 30, d->flags);
}

void dqs_encode_commit(uint8_t out[DQS_COMMIT_BYTES], uint64_t data_msgs)
{
	dqs_encode_hdr(out, DQS_COMMIT, DQS_COMMIT_LEN);
	put64(out + DQS_HDR_LEN, data_msgs);
}

void dqs_encode_abort(uint8_t out[DQS_COMMIT_BYTES], uint64_t data_msgs)
{
	dqs_encode_hdr(out, DQS_ABORT, DQS_COMMIT_LEN);
	put64(out + DQS_HDR_LEN, data_msgs);
}

void dqs_encode_gap(uint8_t out[DQS_GAP_BYTES], const struct dqs_gap *g)
{
	uint8_t *p = out + DQS_HDR_LEN;

	dqs_encode_hdr(out, DQS_GAP, DQS_GAP_LEN);
	put64(p, g->first_sample);
	put64(p + 8, g->nsamples);
	put32(p + 16, g->reason);
	put32(p + 20, 0);
}

void dqs_encode_end(uint8_t out[DQS_END_BYTES], const struct dqs_end *e)
{
	uint8_t *p = out + DQS_HDR_LEN;

	dqs_encode_hdr(out, DQS_END, DQS_END_LEN);
	put64(p, e->end_sample);
	put32(p + 8, e->reason);
	put32(p + 12, 0);
}

int dqs_encode_error(uint8_t *out, size_t cap, uint32_t code, const char *text)
{
	size_t n = strnlen(text, DQS_ERROR_TEXT_MAX);
	size_t body = DQS_ERROR_FIXED_LEN + n;

	if (cap < DQS_HDR_LEN + body)
		return -ENOSPC;
	dqs_encode_hdr(out, DQS_ERROR, (uint32_t)body);
	put32(out + DQS_HDR_LEN, code);
	memcpy(out + DQS_HDR_LEN + DQS_ERROR_FIXED_LEN, text, n);
	return (int)(DQS_HDR_LEN + body);
}

int dqs_encode_trigger(uint8_t *out, size_t cap, const struct dqs_trigger *t)
{
	size_t n = strnlen(t->name, DQS_TRIGGER_NAME_MAX + 1);
	size_t body = DQS_TRIGGER_FIXED_LEN + 1 + n;
	uint8_t *p = out + DQS_HDR_LEN;

	if (n == 0 || n > DQS_TRIGGER_NAME_MAX)
		return -EINVAL;
	if (cap < DQS_HDR_LEN + body)
		return -ENOSPC;
	dqs_encode_hdr(out, DQS_TRIGGER, (uint32_t)body);
	put64(p, t->acq_id);
	put64(p + 8, t->seq);
	put64(p + 16, t->index);
	put64(p + 24, t->first_sample);
	put64(p + 32, t->nsamples);
	put64(p + 40, t->history_lost);
	put64(p + 48, t->lost);
	put32(p + 56, t->flags);
	p[60] = t->channel;
	p[61] = t->condition;
	put16(p + 62, 0);
	p[64] = (uint8_t)n;
	memcpy(p + 65, t->name, n);
	return (int)(DQS_HDR_LEN + body);
}

/* ---- Decoders --------------------------------------------------------- */

int dqs_decode_hdr(const uint8_t in[DQS_HDR_LEN], struct dqs_hdr *h,
		   char *err, size_t errlen)
{
	uint32_t magic = get32(in);
	uint16_t type = get16(in + 4);
	uint16_t flags = get16(in + 6);
	uint32_t len = get32(in + 8);
	uint32_t rsvd = get32(in + 12);
	uint32_t min, max;

	if (magic != DQS_MAGIC)
		return fail(-EPROTO, err, errlen,
			    "bad magic 0x%08x (expected 0x%08x, \"DQS1\")", magic, DQS_MAGIC);
	switch (type) {
	case DQS_HELLO:
		min = DQS_HELLO_FIXED_LEN + DQS_HELLO_NSTR;
		max = DQS_HELLO_MAX_LEN;
		break;
	case DQS_DATA:
		min = DQS_DATA_FIXED_LEN + 2;
		max = DQS_DATA_MAX_BODY;
		break;
	case DQS_COMMIT:
	case DQS_ABORT:
		min = max = DQS_COMMIT_LEN;
		break;
	case DQS_GAP:
		min = max = DQS_GAP_LEN;
		break;
	case DQS_END:
		min = max = DQS_END_LEN;
		break;
	case DQS_ERROR:
		min = DQS_ERROR_FIXED_LEN;
		max = DQS_ERROR_FIXED_LEN + DQS_ERROR_TEXT_MAX;
		break;
	case DQS_REQUEST:
		min = max = DQS_REQUEST_LEN;
		break;
	case DQS_TRIGGER:
		min = DQS_TRIGGER_FIXED_LEN + 2;
		max = DQS_TRIGGER_FIXED_LEN + 1 + DQS_TRIGGER_NAME_MAX;
		break;
	default:
		return fail(-EPROTO, err, errlen, "unknown message type 0x%04x", type);
	}
	if (flags)
		return fail(-EPROTO, err, errlen, "%s: header flags 0x%04x must be 0",
			    dqs_type_name(type), flags);
	if (rsvd)
		return fail(-EPROTO, err, errlen, "%s: header reserved field 0x%08x must be 0",
			    dqs_type_name(type), rsvd);
	if (len < min || len > max)
		return fail(-EMSGSIZE, err, errlen,
			    "%s: body length %u out of range [%u, %u]",
			    dqs_type_name(type), len, min, max);
	h->type = type;
	h->body_len = len;
	return 0;
}

int dqs_decode_request(const uint8_t *body, size_t len, struct dqs_request *rq,
		       char *err, size_t errlen)
{
	if (len != DQS_REQUEST_LEN)
		return fail(-EMSGSIZE, err, errlen, "REQUEST: body length %zu, expected %u",
			    len, DQS_REQUEST_LEN);
	rq->version = get16(body);
	rq->minor = get16(body + 2);
	rq->chan_mask = get32(body + 4);
	rq->decimation = get32(body + 8);
	if (get32(body + 12))
		return fail(-EPROTO, err, errlen, "REQUEST: reserved field must be 0");
	if (rq->version != DQS_VERSION_MAJOR)
		return fail(-EPROTO, err, errlen,
			    "REQUEST: protocol version %u not supported (this server speaks %u)",
			    rq->version, DQS_VERSION_MAJOR);
	if (rq->decimation < 1 || rq->decimation > DQS_MAX_DECIMATION)
		return fail(-EINVAL, err, errlen, "REQUEST: decimation %u out of range [1, %u]",
			    rq->decimation, DQS_MAX_DECIMATION);
	return 0;
}

/* Read string @i of a HELLO: a length byte and that many bytes, no NUL. */
static int get_str(const uint8_t **p, const uint8_t *end, char *out,
		   const char *what, char *err, size_t errlen)
{
	size_t n;

	if (*p >= end)
		return fail(-EPROTO, err, errlen, "HELLO: %s string missing", what);
	n = **p;
	(*p)++;
	if ((size_t)(end - *p) < n)
		return fail(-EPROTO, err, errlen,
			    "HELLO: %s string length %zu runs past the body", what, n);
	if (memchr(*p, '\0', n))
		return fail(-EPROTO, err, errlen, "HELLO: %s string contains a NUL byte", what);
	memcpy(out, *p, n);
	out[n] = '\0';
	*p += n;
	return 0;
}

int dqs_decode_hello(const uint8_t *body, size_t len, struct dqs_hello *h,
		     char *err, size_t errlen)
{
	const uint8_t *p, *end = body + len;
	int ret;

	if (len < DQS_HELLO_FIXED_LEN + DQS_HELLO_NSTR || len > DQS_HELLO_MAX_LEN)
		return fail(-EMSGSIZE, err, errlen, "HELLO: body length %zu out of range", len);
	memset(h, 0, sizeof(*h));
	h->version = get16(body);
	h->minor = get16(body + 2);
	h->sample_rate = get32(body + 4);
	h->decimation = get32(body + 8);
	h->dev_chan_mask = get32(body + 12);
	h->chan_mask = get32(body + 16);
	h->nchan = get16(body + 20);
	h->format = get16(body + 22);
	h->sample_bits = get16(body + 24);
	h->max_pending = get32(body + 28);
	h->acq_id = get64(body + 32);
	h->start_sample = get64(body + 40);
	h->start_unix_ns = (int64_t)get64(body + 48);

	if (h->version != DQS_VERSION_MAJOR)
		return fail(-EPROTO, err, errlen,
			    "HELLO: protocol version %u not supported (expected %u)",
			    h->version, DQS_VERSION_MAJOR);
	if (get16(body + 26) || get64(body + 56))
		return fail(-EPROTO, err, errlen, "HELLO: reserved fields must be 0");
	if (h->decimation < 1 || h->decimation > DQS_MAX_DECIMATION)
		return fail(-EPROTO, err, errlen, "HELLO: decimation %u out of range [1, %u]",
			    h->decimation, DQS_MAX_DECIMATION);
	if (!h->chan_mask || (h->chan_mask & ~h->dev_chan_mask))
		return fail(-EPROTO, err, errlen,
			    "HELLO: channel mask 0x%x is empty or not within the device's 0x%x",
			    h->chan_mask, h->dev_chan_mask);
	if (h->nchan != __builtin_popcount(h->chan_mask))
		return fail(-EPROTO, err, errlen, "HELLO: nchan %u does not match channel mask 0x%x",
			    h->nchan, h->chan_mask);
	if (h->format != DQS_FORMAT_I16LE || h->sample_bits != 16)
		return fail(-EPROTO, err, errlen,
			    "HELLO: sample format %u with %u bits not supported (only 0, int16 LE)",
			    h->format, h->sample_bits);
	if (h->max_pending < DQS_DATA_HDR_BYTES + 2u ||
	    h->max_pending > DQS_HDR_LEN + DQS_DATA_MAX_BODY)
		return fail(-EPROTO, err, errlen, "HELLO: max_pending %u out of range",
			    h->max_pending);

	p = body + DQS_HELLO_FIXED_LEN;
	ret = get_str(&p, end, h->device, "device", err, errlen);
	if (!ret)
		ret = get_str(&p, end, h->datatype, "datatype", err, errlen);
	if (!ret)
		ret = get_str(&p, end, h->server, "server", err, errlen);
	if (ret)
		return ret;
	if (p != end)
		return fail(-EPROTO, err, errlen, "HELLO: %zu stray bytes after the strings",
			    (size_t)(end - p));
	return 0;
}

int dqs_decode_data(const uint8_t *body, size_t len, struct dqs_data *d,
		    char *err, size_t errlen)
{
	uint64_t want;

	if (len < DQS_DATA_FIXED_LEN)
		return fail(-EMSGSIZE, err, errlen, "DATA: body length %zu below %u",
			    len, DQS_DATA_FIXED_LEN);
	d->seq = get64(body);
	d->first_sample = get64(body + 8);
	d->timestamp_ns = get64(body + 16);
	d->nsamples = get32(body + 24);
	d->nchan = get16(body + 28);
	d->flags = get16(body + 30);
	d->samples = body + DQS_DATA_FIXED_LEN;
	if (d->nsamples < 1 || d->nsamples > DQS_DATA_MAX_SAMPLES)
		return fail(-EPROTO, err, errlen, "DATA: nsamples %u out of range [1, %u]",
			    d->nsamples, DQS_DATA_MAX_SAMPLES);
	if (d->nchan < 1 || d->nchan > DQS_MAX_CHANNELS)
		return fail(-EPROTO, err, errlen, "DATA: nchan %u out of range [1, %u]",
			    d->nchan, DQS_MAX_CHANNELS);
	if (d->flags & ~DQS_DATA_FLAG_TEST)
		return fail(-EPROTO, err, errlen, "DATA: unknown flags 0x%04x", d->flags);
	want = DQS_DATA_FIXED_LEN + dqs_data_payload_len(d->nsamples, d->nchan);
	if (len != want)
		return fail(-EMSGSIZE, err, errlen,
			    "DATA: body length %zu, but %u samples x %u channels need %llu",
			    len, d->nsamples, d->nchan, (unsigned long long)want);
	return 0;
}

int dqs_decode_commit(const uint8_t *body, size_t len, uint64_t *data_msgs,
		      char *err, size_t errlen)
{
	if (len != DQS_COMMIT_LEN)
		return fail(-EMSGSIZE, err, errlen, "COMMIT/ABORT: body length %zu, expected %u",
			    len, DQS_COMMIT_LEN);
	*data_msgs = get64(body);
	return 0;
}

int dqs_decode_gap(const uint8_t *body, size_t len, struct dqs_gap *g,
		   char *err, size_t errlen)
{
	if (len != DQS_GAP_LEN)
		return fail(-EMSGSIZE, err, errlen, "GAP: body length %zu, expected %u",
			    len, DQS_GAP_LEN);
	g->first_sample = get64(body);
	g->nsamples = get64(body + 8);
	g->reason = get32(body + 16);
	if (get32(body + 20))
		return fail(-EPROTO, err, errlen, "GAP: reserved field must be 0");
	if (!g->nsamples)
		return fail(-EPROTO, err, errlen, "GAP: nsamples is 0");
	if (g->first_sample + g->nsamples < g->first_sample)
		return fail(-EPROTO, err, errlen, "GAP: first_sample + nsamples overflows");
	if (g->reason != DQS_GAP_CLIENT_SLOW && g->reason != DQS_GAP_DEVICE_OVERFLOW)
		return fail(-EPROTO, err, errlen, "GAP: unknown reason %u", g->reason);
	return 0;
}

int dqs_decode_end(const uint8_t *body, size_t len, struct dqs_end *e,
		   char *err, size_t errlen)
{
	if (len != DQS_END_LEN)
		return fail(-EMSGSIZE, err, errlen, "END: body length %zu, expected %u",
			    len, DQS_END_LEN);
	e->end_sample = get64(body);
	e->reason = get32(body + 8);
	if (get32(body + 12))
		return fail(-EPROTO, err, errlen, "END: reserved field must be 0");
	if (e->reason < DQS_END_STOPPED || e->reason > DQS_END_DEVICE_ERROR)
		return fail(-EPROTO, err, errlen, "END: unknown reason %u", e->reason);
	return 0;
}

int dqs_decode_trigger(const uint8_t *body, size_t len, struct dqs_trigger *t,
		       char *err, size_t errlen)
{
	size_t n;

	if (len < DQS_TRIGGER_FIXED_LEN + 2 || len > DQS_TRIGGER_FIXED_LEN + 1 + DQS_TRIGGER_NAME_MAX)
		return fail(-EMSGSIZE, err, errlen, "TRIGGER: body length %zu out of range [%u, %u]",
			    len, DQS_TRIGGER_FIXED_LEN + 2,
			    DQS_TRIGGER_FIXED_LEN + 1 + DQS_TRIGGER_NAME_MAX);
	t->acq_id = get64(body);
	t->seq = get64(body + 8);
	t->index = get64(body + 16);
	t->first_sample = get64(body + 24);
	t->nsamples = get64(body + 32);
	t->history_lost = get64(body + 40);
	t->lost = get64(body + 48);
	t->flags = get32(body + 56);
	t->channel = body[60];
	t->condition = body[61];
	if (get16(body + 62))
		return fail(-EPROTO, err, errlen, "TRIGGER: reserved field must be 0");
	if (t->flags & ~DQS_TRIGGER_FLAG_COMPLETE)
		return fail(-EPROTO, err, errlen, "TRIGGER: unknown flags 0x%x", t->flags);
	if (t->channel >= DQS_MAX_CHANNELS || t->condition > 6)
		return fail(-EPROTO, err, errlen, "TRIGGER: channel %u or condition %u out of range",
			    t->channel, t->condition);
	if (t->history_lost > t->lost || t->index < t->history_lost)
		return fail(-EPROTO, err, errlen,
			    "TRIGGER: history lost %llu exceeds the samples lost %llu or the index %llu",
			    (unsigned long long)t->history_lost, (unsigned long long)t->lost,
			    (unsigned long long)t->index);
	n = body[DQS_TRIGGER_FIXED_LEN];
	if (n == 0 || n != len - DQS_TRIGGER_FIXED_LEN - 1)
		return fail(-EPROTO, err, errlen, "TRIGGER: name length %zu does not fill the body (%zu bytes)",
			    n, len - DQS_TRIGGER_FIXED_LEN - 1);
	memcpy(t->name, body + DQS_TRIGGER_FIXED_LEN + 1, n);
	t->name[n] = '\0';
	if (memchr(t->name, '\0', n))
		return fail(-EPROTO, err, errlen, "TRIGGER: NUL byte in the name");
	return 0;
}

int dqs_decode_error(const uint8_t *body, size_t len, struct dqs_error *e,
		     char *err, size_t errlen)
{
	size_t n;

	if (len < DQS_ERROR_FIXED_LEN || len > DQS_ERROR_FIXED_LEN + DQS_ERROR_TEXT_MAX)
		return fail(-EMSGSIZE, err, errlen, "ERROR: body length %zu out of range", len);
	e->code = get32(body);
	n = len - DQS_ERROR_FIXED_LEN;
	memcpy(e->text, body + DQS_ERROR_FIXED_LEN, n);
	e->text[n] = '\0';
	/* The text is for humans; control bytes would garble a terminal. */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)e->text[i] < 0x20 || e->text[i] == 0x7f)
			e->text[i] = '?';
	return 0;
}
