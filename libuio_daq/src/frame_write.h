/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private to libuio_daq: frames as a device writes them (the format of
 * <uio_daq/frame.h>), for the code that plays a device: the edu driver
 * and the simulated refdaq. Reading them is frame.c's.
 */
#ifndef UIO_DAQ_FRAME_WRITE_H
#define UIO_DAQ_FRAME_WRITE_H

#include <stddef.h>
#include <stdint.h>

/* The header fields that change from frame to frame. */
struct udaq_frame_hdr {
	uint64_t seq;
	uint64_t timestamp_ns;
	uint64_t first_sample;
	uint32_t nsamples;		/* per channel */
	uint32_t chan_mask;
	uint16_t flags;			/* UDAQ_FRAME_FLAG_* */
};

/*
 * Bytes a frame of @nsamples samples per enabled channel of @chan_mask
 * takes in the stream: the header, the int16 samples, padding up to
 * UDAQ_FRAME_ALIGN. SIZE_MAX if that does not fit a size_t.
 */
size_t udaq_frame_len_i16(uint32_t nsamples, uint32_t chan_mask);

/*
 * Write the UDAQ_FRAME_HDR_LEN bytes of a frame header at @p (any
 * alignment): @h, the payload length it implies for int16 samples, the
 * format UDAQ_FORMAT_I16LE, zero in the reserved bytes.
 */
void udaq_frame_write_hdr(unsigned char *p, const struct udaq_frame_hdr *h);

#endif /* UIO_DAQ_FRAME_WRITE_H */
