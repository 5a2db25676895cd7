/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Frames as a device writes them (docs/refdaq.md, "Frames"): one writer for
 * the edu driver, which builds the refdaq's frames itself, and for the
 * simulated refdaq, so that both write what frame.c parses.
 */
#include <string.h>

#include <uio_daq/frame.h>

#include "frame_write.h"
#include "le.h"

/* int16 samples: two bytes per sample and channel. */
static uint64_t payload_len(uint32_t nsamples, uint32_t chan_mask)
{
	return (uint64_t)nsamples * (unsigned int)__builtin_popcount(chan_mask) * 2u;
}

size_t udaq_frame_len_i16(uint32_t nsamples, uint32_t chan_mask)
{
	uint64_t l = UDAQ_FRAME_HDR_LEN + payload_len(nsamples, chan_mask);

	l = (l + UDAQ_FRAME_ALIGN - 1) & ~(uint64_t)(UDAQ_FRAME_ALIGN - 1);
	return l > SIZE_MAX ? SIZE_MAX : (size_t)l;
}

void udaq_frame_write_hdr(unsigned char *p, const struct udaq_frame_hdr *h)
{
	memset(p, 0, UDAQ_FRAME_HDR_LEN);
	put32(p + UDAQ_FRAME_OFF_MAGIC, UDAQ_FRAME_MAGIC);
	put16(p + UDAQ_FRAME_OFF_HDR_LEN, UDAQ_FRAME_HDR_LEN);
	put16(p + UDAQ_FRAME_OFF_FLAGS, h->flags);
	put64(p + UDAQ_FRAME_OFF_SEQ, h->seq);
	put64(p + UDAQ_FRAME_OFF_TIMESTAMP, h->timestamp_ns);
	put64(p + UDAQ_FRAME_OFF_FIRST_SAMPLE, h->first_sample);
	put32(p + UDAQ_FRAME_OFF_NSAMPLES, h->nsamples);
	put32(p + UDAQ_FRAME_OFF_CHAN_MASK, h->chan_mask);
	/* A 32-bit field: the drivers' checks keep frames far smaller. */
	put32(p + UDAQ_FRAME_OFF_PAYLOAD_LEN,
	      (uint32_t)payload_len(h->nsamples, h->chan_mask));
	put16(p + UDAQ_FRAME_OFF_FORMAT, UDAQ_FORMAT_I16LE);
}
