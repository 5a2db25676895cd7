/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * refdaq frames in the byte stream: header validation and frame-by-frame
 * iteration over a ring reader. The layout is docs/refdaq.md, "Frames".
 */
#include <endian.h>
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

UDAQ_API int udaq_frame_next(struct udaq_reader *reader, size_t frame_len,
			     struct udaq_frame *fr)
{
	struct udaq_span span;
	size_t seen;
	int ret, tries;

	if (!reader || !fr)
		return -EINVAL;
	/*
	 * A reader the device does not wait for (lossy, or any under the
	 * overwrite policy) may see a header torn by the device overwriting
	 * it while it was parsed; the check tells that apart from a really
	 * bad frame, and the retry resyncs past the overwritten bytes. For a
	 * reader that holds the device the check is a no-op.
	 */
	for (tries = 0; tries < 4; tries++) {
		ret = udaq_reader_peek(reader, &span);
		if (ret)
			return ret;
		if (frame_len) {
			uint64_t skip = to_boundary(span.pos, frame_len);

			if (skip) {
				if (skip > span.len)
					return 0;	/* the boundary is not written yet */
				ret = udaq_reader_skip_to(reader, span.pos + skip);
				if (ret)
					return ret;
				continue;
			}
		}
		fr->frame_len = 0;
		ret = udaq_frame_parse(span.data, span.len, fr);
		/* A header announcing an impossible length is bad before it is whole. */
		if (ret >= 0 && fr->frame_len &&
		    ((frame_len && fr->frame_len != frame_len) ||
		     fr->frame_len > udaq_ring_size(udaq_reader_ring(reader))))
			ret = -EBADMSG;
		/* What the parser looked at: the frame, or its header. */
		seen = ret > 0 ? fr->frame_len :
		       span.len < UDAQ_FRAME_HDR_LEN ? span.len : UDAQ_FRAME_HDR_LEN;
		if (udaq_reader_check(reader, &span, seen))
			continue;
		if (ret <= 0)
			return ret;
		fr->pos = span.pos;
		fr->lost_bytes = span.lost;
		return 1;
	}
	return 0;	/* the device keeps overrunning us; try again later */
}

UDAQ_API int udaq_frame_check(const struct udaq_reader *reader, const struct udaq_frame *fr)
{
	struct udaq_span span;

	if (!reader || !fr)
		return -EINVAL;
	span.data = NULL;
	span.len = fr->frame_len;
	span.pos = fr->pos;
	span.lost = 0;
	return udaq_reader_check(reader, &span, fr->frame_len);
}

UDAQ_API int udaq_frame_release(struct udaq_reader *reader, const struct udaq_frame *fr)
{
	if (!reader || !fr)
		return -EINVAL;
	/* Releasing a frame the reader is not at would consume other bytes. */
	if (udaq_reader_pos(reader) != fr->pos)
		return -EINVAL;
	return udaq_reader_release(reader, fr->frame_len);
}
