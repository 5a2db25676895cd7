/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * uio_daq: the frame format in the ring, whatever the card. A card (or its
 * driver, for a card without a frame engine such as edu) writes frames in
 * this format; udaq_frame_parse() and udaq_frame_next() (uio_daq/digitizer.h)
 * read them. docs/refdaq.md describes it in words. All fields little-endian.
 */
#ifndef UIO_DAQ_FRAME_H
#define UIO_DAQ_FRAME_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define UDAQ_FRAME_MAGIC		0x46514452u	/* "RDQF" */
#define UDAQ_FRAME_HDR_LEN		48
#define UDAQ_FRAME_ALIGN		8
#define UDAQ_FRAME_OFF_MAGIC		0x00	/* u32 */
#define UDAQ_FRAME_OFF_HDR_LEN		0x04	/* u16 */
#define UDAQ_FRAME_OFF_FLAGS		0x06	/* u16 */
#define UDAQ_FRAME_OFF_SEQ		0x08	/* u64 every frame generated */
#define UDAQ_FRAME_OFF_TIMESTAMP	0x10	/* u64 ns since start */
#define UDAQ_FRAME_OFF_FIRST_SAMPLE	0x18	/* u64 device sample index */
#define UDAQ_FRAME_OFF_NSAMPLES		0x20	/* u32 samples per channel */
#define UDAQ_FRAME_OFF_CHAN_MASK	0x24	/* u32 */
#define UDAQ_FRAME_OFF_PAYLOAD_LEN	0x28	/* u32 bytes of samples */
#define UDAQ_FRAME_OFF_FORMAT		0x2c	/* u16 UDAQ_FORMAT_* */
#define UDAQ_FRAME_FLAG_GAP		(1u << 0)  /* frames were dropped before */
#define UDAQ_FRAME_FLAG_TEST		(1u << 1)  /* payload is the test pattern */
#define UDAQ_FRAME_FLAG_LAST		(1u << 2)  /* last frame of acquisition */
/*
 * A frame occupies UDAQ_FRAME_HDR_LEN + payload_len rounded up to
 * UDAQ_FRAME_ALIGN bytes. Every frame of one acquisition has the same
 * length (samples per frame x enabled channels), so frame k of the byte
 * stream starts at k * frame length: a reader that lost bytes
 * resynchronises by rounding its position up. Frames may straddle the
 * ring's end.
 */

/* Sample formats (the frame's format field; the refdaq's FORMAT register). */
#define UDAQ_FORMAT_I16LE		0	/* int16, little-endian, interleaved */

/* Test pattern: sample of channel c at device sample index n. */
#define UDAQ_TEST_MULT			0x9E3779B97F4A7C15ull

/*
 * udaq_test_sample() - the test-pattern sample of channel @chan at device
 * sample index @n: the top 16 bits of n * UDAQ_TEST_MULT (mod 2^64),
 * XORed with @chan. A pure function: callable from any thread.
 */
static inline int16_t udaq_test_sample(uint64_t n, unsigned int chan)
{
	uint16_t v = (uint16_t)((n * UDAQ_TEST_MULT) >> 48);

	return (int16_t)(v ^ (uint16_t)chan);
}

#ifdef __cplusplus
}
#endif

#endif /* UIO_DAQ_FRAME_H */
