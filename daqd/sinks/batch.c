// SPDX-License-Identifier: GPL-2.0-or-later
#include "batch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uio_daq/digitizer.h>

int daqd_batch_gather(struct udaq_reader *reader, const struct daqd_stream *stream,
		      size_t max_bytes, struct daqd_batch *b)
{
	uint64_t limit = stream->max_samples;
	int ret;

	b->niov = 0;
	b->bytes = 0;
	b->ring_bytes = 0;
	b->frames = 0;
	b->payload_frames = 0;
	b->samples = 0;
	b->lost_bytes = 0;
	b->limit_reached = false;
	/* One payload piece per frame: the iovec array bounds the batch. */
	b->fb = (struct udaq_frame_batch){
		.frames = b->frame,
		.max_frames = DAQD_BATCH_MAX_IOV,
		.frame_len = stream->frame_len,
		.max_payload = max_bytes,
		.flags = UDAQ_FRAME_BATCH_CONTIGUOUS,
	};
	ret = udaq_frame_batch_peek(reader, &b->fb);
	if (ret <= 0)
		return ret;
	b->lost_bytes = b->fb.lost_bytes;
	b->first_sample = b->frame[0].first_sample;
	b->timestamp_ns = b->frame[0].timestamp_ns;
	/* The sample limit is the stream's, not the library's: cut here. */
	for (size_t i = 0; i < b->fb.nframes && !b->limit_reached; i++) {
		const struct udaq_frame *fr = &b->frame[i];
		uint64_t n = fr->nsamples;

		if (limit && fr->first_sample + n > limit)
			n = fr->first_sample >= limit ? 0 : limit - fr->first_sample;
		if (n) {
			b->iov[b->niov].iov_base = (void *)fr->samples;
			b->iov[b->niov].iov_len = (size_t)n * stream->sample_bytes;
			b->bytes += b->iov[b->niov].iov_len;
			b->niov++;
			b->samples += n;
			b->payload_frames++;
		}
		if (n < fr->nsamples)
			b->limit_reached = true;
		b->frames++;
		b->ring_bytes += fr->frame_len;
	}
	return 1;
}

int daqd_batch_release(struct udaq_reader *reader, const struct daqd_batch *b)
{
	return udaq_frame_batch_release(reader, &b->fb, b->frames);
}

int daqd_batch_stabilize(struct udaq_reader *reader, struct daqd_batch *b, void *buf)
{
	char *q = buf;

	for (size_t i = 0; i < b->niov; i++) {
		memcpy(q, b->iov[i].iov_base, b->iov[i].iov_len);
		q += b->iov[i].iov_len;
	}
	if (udaq_frame_batch_check(reader, &b->fb) == -ESTALE)
		return -ESTALE;
	if (b->niov) {
		b->iov[0].iov_base = buf;
		b->iov[0].iov_len = b->bytes;
		b->niov = 1;
	}
	return 0;
}

int daqd_batch_reader_new(struct daqd_sink *s, const struct daqd_stream *st,
			  size_t batch_bytes, void **copy, size_t *copy_len,
			  struct udaq_reader **reader)
{
	int ret;

	if (st->policy == UDAQ_POLICY_OVERWRITE) {
		size_t need = batch_bytes > st->frame_len ? batch_bytes : st->frame_len;

		if (*copy_len < need) {
			free(*copy);
			*copy = malloc(need);
			*copy_len = *copy ? need : 0;
			if (!*copy) {
				daqd_sink_fail(s, -ENOMEM, "no memory for the copy buffer");
				return -ENOMEM;
			}
		}
	} else {
		free(*copy);
		*copy = NULL;
		*copy_len = 0;
	}
	/* Lossless holds the device back; under overwrite nothing can. */
	ret = udaq_reader_new(st->ring, st->policy == UDAQ_POLICY_OVERWRITE ?
			      UDAQ_READER_LOSSY : UDAQ_READER_LOSSLESS, reader);
	if (ret)
		daqd_sink_fail(s, ret, "cannot create a ring reader: %s", strerror(-ret));
	return ret;
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
