// SPDX-License-Identifier: GPL-2.0-or-later
#include "batch.h"

#include <errno.h>
#include <string.h>

#include <uio_daq/digitizer.h>

int daqd_batch_gather(struct udaq_reader *reader, const struct daqd_stream *stream,
		      size_t max_bytes, struct daqd_batch *b)
{
	struct udaq_span span;
	const uint8_t *p;
	size_t left;
	int ret;

	b->niov = 0;
	b->bytes = 0;
	b->ring_bytes = 0;
	b->frames = 0;
	b->payload_frames = 0;
	b->samples = 0;
	b->lost_bytes = 0;
	b->limit_reached = false;

	ret = udaq_reader_peek(reader, &span);
	if (ret < 0)
		return ret;
	b->lost_bytes = span.lost;
	p = span.data;
	left = span.len;
	/*
	 * A lossy reader that lost bytes may sit inside a frame: skip to the
	 * next frame boundary (frame k starts at k * frame_len).
	 */
	if (stream->frame_len && span.pos % stream->frame_len) {
		size_t skip = stream->frame_len - span.pos % stream->frame_len;

		if (skip > left)
			return 0;
		udaq_reader_release(reader, skip);
		b->lost_bytes += skip;
		p += skip;
		left -= skip;
	}
	b->span = span;
	b->span.data = p;
	b->span.pos = span.pos + (span.len - left);
	b->span.len = left;
	while (left && b->niov < DAQD_BATCH_MAX_IOV) {
		struct udaq_frame fr;
		uint64_t n, limit = stream->max_samples;

		ret = udaq_frame_parse(p, left, &fr);
		/* A header the device is overwriting right now is not corrupt. */
		if (ret < 0 && udaq_reader_check(reader, &b->span, b->span.len) == -ESTALE)
			return -ESTALE;
		if (ret < 0)
			return ret;
		if (ret == 0)
			break;
		if (b->frames && fr.first_sample != b->first_sample + b->samples)
			break;	/* discontinuity: next batch */
		if (b->frames && b->bytes + fr.payload_len > max_bytes)
			break;
		n = fr.nsamples;
		if (limit && fr.first_sample + n > limit)
			n = fr.first_sample >= limit ? 0 : limit - fr.first_sample;
		if (b->frames == 0) {
			b->first_sample = fr.first_sample;
			b->timestamp_ns = fr.timestamp_ns;
		}
		if (n) {
			b->iov[b->niov].iov_base = (void *)fr.samples;
			b->iov[b->niov].iov_len = (size_t)n * stream->sample_bytes;
			b->bytes += b->iov[b->niov].iov_len;
			b->niov++;
			b->samples += n;
			b->payload_frames++;
		}
		if (n < fr.nsamples)
			b->limit_reached = true;
		b->frames++;
		b->ring_bytes += fr.frame_len;
		p += fr.frame_len;
		left -= fr.frame_len;
		if (b->limit_reached)
			break;
	}
	return b->frames ? 1 : 0;
}

int daqd_batch_stabilize(struct udaq_reader *reader, struct daqd_batch *b, void *buf)
{
	char *q = buf;

	for (size_t i = 0; i < b->niov; i++) {
		memcpy(q, b->iov[i].iov_base, b->iov[i].iov_len);
		q += b->iov[i].iov_len;
	}
	if (udaq_reader_check(reader, &b->span, b->ring_bytes) == -ESTALE)
		return -ESTALE;
	if (b->niov) {
		b->iov[0].iov_base = buf;
		b->iov[0].iov_len = b->bytes;
		b->niov = 1;
	}
	return 0;
}

size_t daqd_iov_advance(struct iovec *iov, size_t niov, size_t start, size_t n)
{
	while (start < niov && n) {
		if (n < iov[start].iov_len) {
			iov[start].iov_base = (char *)iov[start].iov_base + n;
			iov[start].iov_len -= n;
			return start;
		}
		n -= iov[start].iov_len;
		start++;
	}
	return start;
}
