/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * refdaq frames in the byte stream: header validation, and batches of whole
 * frames taken from a ring reader (one frame at a time is a batch of one). The layout is docs/refdaq.md, "Frames".
 */
#include <errno.h>
#include <string.h>

#include <uio_daq/digitizer.h>
#include <uio_daq/frame.h>

#include "export.h"
#include "le.h"
#include "stream_internal.h"

/* Header lengths a v1 parser accepts: 48 today, room for growth. */
#define FRAME_HDR_MAX		1024

UDAQ_API int udaq_frame_parse(const void *buf, size_t len, struct udaq_frame *fr)
{
	const unsigned char *p = buf;
	uint32_t payload_len, nsamples, mask;
	uint16_t hdr_len, format;
	uint64_t want, total;

	if (!buf || !fr)
		return -EINVAL;
	if (len < UDAQ_FRAME_HDR_LEN)
		return 0;
	if (get32(p, UDAQ_FRAME_OFF_MAGIC) != UDAQ_FRAME_MAGIC)
		return -EBADMSG;
	hdr_len = get16(p, UDAQ_FRAME_OFF_HDR_LEN);
	if (hdr_len < UDAQ_FRAME_HDR_LEN || hdr_len > FRAME_HDR_MAX ||
	    hdr_len % UDAQ_FRAME_ALIGN)
		return -EBADMSG;
	format = get16(p, UDAQ_FRAME_OFF_FORMAT);
	if (format != UDAQ_FORMAT_I16LE)
		return -EBADMSG;
	nsamples = get32(p, UDAQ_FRAME_OFF_NSAMPLES);
	mask = get32(p, UDAQ_FRAME_OFF_CHAN_MASK);
	payload_len = get32(p, UDAQ_FRAME_OFF_PAYLOAD_LEN);
	if (nsamples == 0 || mask == 0)
		return -EBADMSG;
	/* 64-bit product: nsamples * 32 channels * 2 cannot overflow it. */
	want = (uint64_t)nsamples * (unsigned int)__builtin_popcount(mask) * 2u;
	if (want != payload_len)
		return -EBADMSG;
	total = hdr_len + want;
	total = (total + UDAQ_FRAME_ALIGN - 1) & ~(uint64_t)(UDAQ_FRAME_ALIGN - 1);
	if (total > SIZE_MAX)
		return -EBADMSG;

	/* Filled even when incomplete, so a caller can see the frame's length. */
	memset(fr, 0, sizeof(*fr));
	fr->seq = get64(p, UDAQ_FRAME_OFF_SEQ);
	fr->timestamp_ns = get64(p, UDAQ_FRAME_OFF_TIMESTAMP);
	fr->first_sample = get64(p, UDAQ_FRAME_OFF_FIRST_SAMPLE);
	fr->nsamples = nsamples;
	fr->chan_mask = mask;
	fr->nchan = (uint32_t)__builtin_popcount(mask);
	fr->format = format;
	fr->flags = get16(p, UDAQ_FRAME_OFF_FLAGS);
	fr->samples = p + hdr_len;
	fr->payload_len = payload_len;
	fr->frame_len = (size_t)total;
	return len < total ? 0 : 1;
}

/* Bytes from @pos to the next multiple of @frame_len (0 if on one). */
static uint64_t to_boundary(uint64_t pos, size_t frame_len)
{
	uint64_t rem = pos % frame_len;

	return rem ? frame_len - rem : 0;
}

/*
 * Parse the frames at the start of @span into @b, as many as may join one
 * batch. Return: 1 with b->nframes >= 1; 0 if no whole frame is there; a
 * negative errno for a bad first frame. *seen: the bytes parsed (the
 * frames, and the header that ended the batch), for udaq_reader_check().
 */
static int parse_batch(const struct udaq_reader *reader, const struct udaq_span *span,
		       struct udaq_frame_batch *b, size_t *seen)
{
	const unsigned char *p = span->data;
	size_t ring_size = udaq_ring_size(udaq_reader_ring(reader));
	size_t off = 0, payload = 0, n = 0;
	uint64_t next_sample = 0;
	int ret = 0;

	*seen = 0;
	while (n < b->max_frames) {
		struct udaq_frame *fr = &b->frames[n];
		size_t left = span->len - off;

		/*
		 * Frames of one fixed length carry equal payloads: end the batch
		 * at the budget without parsing a frame it would leave out (the
		 * next peek parses it anyway).
		 */
		if (n && b->max_payload && b->frame_len &&
		    payload + b->frames[n - 1].payload_len > b->max_payload)
			break;
		fr->frame_len = 0;
		ret = udaq_frame_parse(p + off, left, fr);
		/* A header announcing an impossible length is bad before it is whole. */
		if (ret >= 0 && fr->frame_len &&
		    ((b->frame_len && fr->frame_len != b->frame_len) ||
		     fr->frame_len > ring_size))
			ret = -EBADMSG;
		if (ret <= 0) {
			/* What the parser looked at: that frame's header. */
			*seen = off + (left < UDAQ_FRAME_HDR_LEN ? left : UDAQ_FRAME_HDR_LEN);
			break;
		}
		*seen = off + fr->frame_len;
		if (n && (b->flags & UDAQ_FRAME_BATCH_CONTIGUOUS) &&
		    fr->first_sample != next_sample)
			break;	/* a gap: it starts the next batch */
		if (n && b->max_payload && payload + fr->payload_len > b->max_payload)
			break;
		fr->pos = span->pos + off;
		fr->lost_bytes = n ? 0 : span->lost;
		next_sample = fr->first_sample + fr->nsamples;
		payload += fr->payload_len;
		off += fr->frame_len;
		n++;
	}
	b->nframes = n;
	b->pos = span->pos;
	b->bytes = off;
	b->payload_bytes = payload;
	b->lost_bytes = span->lost;
	/* A bad frame after good ones: the next peek reports it, first in line. */
	return n ? 1 : ret;
}

/*
 * The one way frames leave the ring (udaq_frame_next() is a batch of one):
 * every resynchronisation goes through udaq_reader_skip_to(), so every
 * skipped byte is counted by udaq_reader_lost() and reported once in the
 * next batch's lost_bytes.
 */
UDAQ_API int udaq_frame_batch_peek(struct udaq_reader *reader, struct udaq_frame_batch *b)
{
	size_t ring_size, seen;
	struct udaq_span span;
	int ret, tries;

	if (!reader || !b || !b->frames || !b->max_frames)
		return -EINVAL;
	b->nframes = 0;
	b->bytes = 0;
	b->payload_bytes = 0;
	ring_size = udaq_ring_size(udaq_reader_ring(reader));
	/*
	 * A reader the device does not wait for (lossy, or any under the
	 * overwrite policy) may see headers torn by the device overwriting
	 * them while they were parsed; the check tells that apart from a
	 * really bad frame, and the retry resyncs past the overwritten bytes.
	 * For a reader that holds the device the check is a no-op.
	 */
	for (tries = 0; tries < 4; tries++) {
		ret = udaq_reader_peek(reader, &span);
		if (ret)
			return ret;
		b->pos = span.pos;
		b->lost_bytes = span.lost;
		if (b->frame_len && b->max_lag && span.len > ring_size / 2 &&
		    span.len > b->max_lag) {
			/*
			 * Lapped, or about to be: resuming at the oldest intact
			 * frame would read right where the device is writing,
			 * torn every time. Start a few batches behind it.
			 */
			uint64_t target = span.pos + span.len - b->max_lag;

			target -= target % b->frame_len;
			if (target > span.pos) {
				ret = udaq_reader_skip_to(reader, target);
				if (ret)
					return ret;
				continue;
			}
		}
		if (b->frame_len) {
			uint64_t skip = to_boundary(span.pos, b->frame_len);

			if (skip) {
				if (skip > span.len)
					return 0;	/* the boundary is not written yet */
				ret = udaq_reader_skip_to(reader, span.pos + skip);
				if (ret)
					return ret;
				continue;
			}
		}
		ret = parse_batch(reader, &span, b, &seen);
		if (udaq_reader_check(reader, &span, seen))
			continue;
		if (ret <= 0)
			b->nframes = 0;
		return ret;
	}
	b->nframes = 0;
	return 0;	/* the device keeps overrunning us; try again later */
}

/* Has the device overwritten the @len bytes at stream position @pos? */
static int check_at(const struct udaq_reader *reader, uint64_t pos, size_t len)
{
	struct udaq_span span = { .data = NULL, .len = len, .pos = pos, .lost = 0 };

	return udaq_reader_check(reader, &span, len);
}

/* Release @len bytes, which must start where the reader is. */
static int release_at(struct udaq_reader *reader, uint64_t pos, size_t len)
{
	/* Releasing frames the reader is not at would consume other bytes. */
	if (udaq_reader_pos(reader) != pos)
		return -EINVAL;
	return udaq_reader_release(reader, len);
}

UDAQ_API int udaq_frame_batch_check(const struct udaq_reader *reader,
				    const struct udaq_frame_batch *b)
{
	if (!reader || !b)
		return -EINVAL;
	return check_at(reader, b->pos, b->bytes);
}

UDAQ_API int udaq_frame_batch_release(struct udaq_reader *reader,
				      const struct udaq_frame_batch *b, size_t nframes)
{
	if (!reader || !b || nframes > b->nframes)
		return -EINVAL;
	return release_at(reader, b->pos, nframes == b->nframes ? b->bytes :
			  (size_t)(b->frames[nframes].pos - b->pos));
}

UDAQ_API int udaq_frame_next(struct udaq_reader *reader, size_t frame_len,
			     struct udaq_frame *fr)
{
	struct udaq_frame_batch b = { .frames = fr, .max_frames = 1,
				      .frame_len = frame_len };

	if (!reader || !fr)
		return -EINVAL;
	return udaq_frame_batch_peek(reader, &b);
}

UDAQ_API int udaq_frame_check(const struct udaq_reader *reader, const struct udaq_frame *fr)
{
	if (!reader || !fr)
		return -EINVAL;
	return check_at(reader, fr->pos, fr->frame_len);
}

UDAQ_API int udaq_frame_release(struct udaq_reader *reader, const struct udaq_frame *fr)
{
	if (!reader || !fr)
		return -EINVAL;
	return release_at(reader, fr->pos, fr->frame_len);
}
