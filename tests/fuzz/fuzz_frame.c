// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Robustness of the refdaq frame parser (udaq_frame_parse) and of frame
 * iteration over a ring (udaq_frame_next): the bytes come from a device
 * (or from whoever can write the DMA buffer), so a bad header must be
 * refused, never followed out of the buffer.
 *
 * Invariants, on mutated valid frames and random bytes, each parse on a heap
 * copy of exactly the bytes available:
 *  - returns 1, 0 or -EBADMSG; under 48 bytes always 0;
 *  - an accepted frame lies within the buffer: header length and payload
 *    within frame_len, frame_len within len, 8-byte aligned; payload_len is
 *    nsamples * popcount(mask) * 2; every field is the one in the bytes;
 *  - the result depends on the header only: a shorter buffer gives 0 with
 *    the same frame_len, a longer one the same frame;
 *  - udaq_frame_next over a ring fed those bytes only returns frames lying
 *    between the reader's position and the write pointer (on a boundary of
 *    the acquisition's frame length when one is given, and for a lossy
 *    reader within the part of the ring the device has not overwritten),
 *    and release moves the reader by exactly the frame.
 */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uio_daq/digitizer.h>
#include <uio_daq/frame.h>
#include <uio_daq/ring.h>

#include "fake_ring.h"
#include "fuzz.h"

#define MAX_FRAME	8192

static struct fuzz F;
static uint64_t ring_frames;	/* frames udaq_frame_next() returned */

static void put16(uint8_t *p, size_t off, uint16_t v)
{
	v = htole16(v);
	memcpy(p + off, &v, 2);
}

static void put32(uint8_t *p, size_t off, uint32_t v)
{
	v = htole32(v);
	memcpy(p + off, &v, 4);
}

static void put64(uint8_t *p, size_t off, uint64_t v)
{
	v = htole64(v);
	memcpy(p + off, &v, 8);
}

static uint16_t get16(const uint8_t *p, size_t off)
{
	uint16_t v;

	memcpy(&v, p + off, 2);
	return le16toh(v);
}

static uint32_t get32(const uint8_t *p, size_t off)
{
	uint32_t v;

	memcpy(&v, p + off, 4);
	return le32toh(v);
}

static uint64_t get64(const uint8_t *p, size_t off)
{
	uint64_t v;

	memcpy(&v, p + off, 8);
	return le64toh(v);
}

/* A valid frame with a random header length, mask and sample count. */
static size_t make_frame(uint8_t *out, size_t cap, uint16_t hdr_len, uint32_t mask,
			 uint32_t nsamples, uint64_t seq)
{
	uint32_t pay = nsamples * (uint32_t)__builtin_popcount(mask) * 2;
	size_t total = ((size_t)hdr_len + pay + UDAQ_FRAME_ALIGN - 1) &
		       ~(size_t)(UDAQ_FRAME_ALIGN - 1);

	FUZZ_ASSERT(&F, total <= cap);
	fuzz_fill(&F, out, total);	/* reserved header bytes, samples, padding */
	put32(out, UDAQ_FRAME_OFF_MAGIC, UDAQ_FRAME_MAGIC);
	put16(out, UDAQ_FRAME_OFF_HDR_LEN, hdr_len);
	put16(out, UDAQ_FRAME_OFF_FLAGS, (uint16_t)fuzz_rand(&F));
	put64(out, UDAQ_FRAME_OFF_SEQ, seq);
	put64(out, UDAQ_FRAME_OFF_TIMESTAMP, fuzz_rand(&F));
	put64(out, UDAQ_FRAME_OFF_FIRST_SAMPLE, fuzz_rand(&F));
	put32(out, UDAQ_FRAME_OFF_NSAMPLES, nsamples);
	put32(out, UDAQ_FRAME_OFF_CHAN_MASK, mask);
	put32(out, UDAQ_FRAME_OFF_PAYLOAD_LEN, pay);
	put16(out, UDAQ_FRAME_OFF_FORMAT, UDAQ_FORMAT_I16LE);
	return total;
}

static size_t rand_frame(uint8_t *out, size_t cap)
{
	uint16_t hdr_len = fuzz_below(&F, 2) ? UDAQ_FRAME_HDR_LEN :
			   (uint16_t)(UDAQ_FRAME_HDR_LEN + 8 * fuzz_below(&F, (1024 - 48) / 8 + 1));
	uint32_t mask = (uint32_t)fuzz_rand(&F);
	uint32_t nchan, nsamples;

	if (fuzz_below(&F, 2))
		mask &= 0xf;
	if (!mask)
		mask = 1;
	nchan = (uint32_t)__builtin_popcount(mask);
	nsamples = 1 + (uint32_t)fuzz_below(&F, (MAX_FRAME - 1024) / (2 * nchan));
	return make_frame(out, cap, hdr_len, mask, nsamples, fuzz_rand(&F));
}

/* Parse @len bytes (exact heap copy); check and return the result. */
static int parse_checked(const uint8_t *src, size_t len, struct udaq_frame *fr)
{
	uint8_t *p = fuzz_exact_copy(src, len);
	const uint8_t *samples;
	int ret;

	fuzz_set_input(&F, src, len);
	memset(fr, 0, sizeof(*fr));
	ret = udaq_frame_parse(p, len, fr);
	FUZZ_ASSERT(&F, ret == 1 || ret == 0 || ret == -EBADMSG);
	if (len < UDAQ_FRAME_HDR_LEN)
		FUZZ_ASSERT(&F, ret == 0);
	if (ret == 0 && len >= UDAQ_FRAME_HDR_LEN)
		FUZZ_ASSERT(&F, fr->frame_len > len);	/* filled even when incomplete */
	if (ret == 1) {
		uint16_t hdr_len = get16(src, UDAQ_FRAME_OFF_HDR_LEN);

		samples = fr->samples;
		FUZZ_ASSERT(&F, fr->frame_len <= len);
		FUZZ_ASSERT(&F, fr->frame_len % UDAQ_FRAME_ALIGN == 0);
		FUZZ_ASSERT(&F, hdr_len >= UDAQ_FRAME_HDR_LEN && hdr_len % UDAQ_FRAME_ALIGN == 0);
		FUZZ_ASSERT(&F, samples == p + hdr_len);
		FUZZ_ASSERT(&F, samples + fr->payload_len <= p + fr->frame_len);
		FUZZ_ASSERT(&F, fr->frame_len - (hdr_len + fr->payload_len) < UDAQ_FRAME_ALIGN);
		FUZZ_ASSERT(&F, fr->nchan == (uint32_t)__builtin_popcount(fr->chan_mask));
		FUZZ_ASSERT(&F, fr->nsamples >= 1 && fr->nchan >= 1);
		FUZZ_ASSERT(&F, fr->payload_len == (size_t)fr->nsamples * fr->nchan * 2);
		FUZZ_ASSERT(&F, fr->format == UDAQ_FORMAT_I16LE);
		FUZZ_ASSERT(&F, get32(src, UDAQ_FRAME_OFF_MAGIC) == UDAQ_FRAME_MAGIC);
		FUZZ_ASSERT(&F, fr->seq == get64(src, UDAQ_FRAME_OFF_SEQ));
		FUZZ_ASSERT(&F, fr->timestamp_ns == get64(src, UDAQ_FRAME_OFF_TIMESTAMP));
		FUZZ_ASSERT(&F, fr->first_sample == get64(src, UDAQ_FRAME_OFF_FIRST_SAMPLE));
		FUZZ_ASSERT(&F, fr->nsamples == get32(src, UDAQ_FRAME_OFF_NSAMPLES));
		FUZZ_ASSERT(&F, fr->chan_mask == get32(src, UDAQ_FRAME_OFF_CHAN_MASK));
		FUZZ_ASSERT(&F, fr->payload_len == get32(src, UDAQ_FRAME_OFF_PAYLOAD_LEN));
		FUZZ_ASSERT(&F, fr->flags == get16(src, UDAQ_FRAME_OFF_FLAGS));
	}
	fr->samples = NULL;	/* @p goes away */
	free(p);
	return ret;
}

static void fuzz_parse(void)
{
	static uint8_t buf[MAX_FRAME * 2];
	struct udaq_frame fr, fr2;
	size_t len = rand_frame(buf, sizeof(buf));
	unsigned int mode = (unsigned int)fuzz_below(&F, 8);
	int ret;

	if (mode == 0) {
		ret = parse_checked(buf, len, &fr);
		FUZZ_ASSERT(&F, ret == 1 && fr.frame_len == len);
	} else if (mode == 1) {
		len = fuzz_below(&F, 256);
		fuzz_fill(&F, buf, len);
		if (len >= 4 && fuzz_below(&F, 2))
			put32(buf, 0, UDAQ_FRAME_MAGIC);
		ret = parse_checked(buf, len, &fr);
	} else {
		fuzz_mutate(&F, buf, &len, sizeof(buf));
		ret = parse_checked(buf, len, &fr);
	}
	if (ret != 1)
		return;
	/* Header-only decision: a cut buffer waits, a longer one agrees. */
	{
		size_t cut = UDAQ_FRAME_HDR_LEN + fuzz_below(&F, fr.frame_len - UDAQ_FRAME_HDR_LEN);

		ret = parse_checked(buf, cut, &fr2);
		FUZZ_ASSERT(&F, ret == 0 && fr2.frame_len == fr.frame_len);
	}
	if (len < sizeof(buf)) {
		size_t more = fuzz_below(&F, sizeof(buf) - len) + 1;

		fuzz_fill(&F, buf + len, more);
		ret = parse_checked(buf, len + more, &fr2);
		FUZZ_ASSERT(&F, ret == 1 && fr2.frame_len == fr.frame_len &&
				fr2.seq == fr.seq && fr2.payload_len == fr.payload_len);
	}
}

/*
 * A ring fed with valid and mutated frames by a "device" writing random
 * amounts, read by one reader through udaq_frame_next().
 */
static void fuzz_ring(void)
{
	size_t size = (size_t)4096 << fuzz_below(&F, 4);
	bool lossy = fuzz_below(&F, 3) == 0;
	size_t guard = lossy ? fuzz_below(&F, 2048) & ~(size_t)7 : 0;
	static uint8_t frame[MAX_FRAME * 2];
	struct fake_ring fr_ring;
	struct udaq_ring_config cfg;
	struct udaq_ring *ring;
	struct udaq_reader *rd;
	size_t fixed = 0;
	uint16_t fixed_hdr = UDAQ_FRAME_HDR_LEN;
	uint32_t fixed_mask = 0xf, fixed_ns = 1 + (uint32_t)fuzz_below(&F, 200);
	uint64_t wpos;
	int steps = 40 + (int)fuzz_below(&F, 200);

	fake_ring_init(&fr_ring, size);
	FUZZ_ASSERT(&F, fr_ring.buf != NULL);
	/* Start anywhere, including just before the 2^64 wrap. */
	wpos = fuzz_below(&F, 4) == 0 ? (UINT64_MAX - fuzz_below(&F, 3 * size)) & ~UINT64_C(7) :
	       fuzz_rand(&F) & ~UINT64_C(7);
	fr_ring.wr = wpos;
	cfg = fake_ring_config(&fr_ring, guard);
	FUZZ_ASSERT(&F, udaq_ring_new(&cfg, &ring) == 0);
	FUZZ_ASSERT(&F, udaq_reader_new(ring, lossy ? UDAQ_READER_LOSSY : UDAQ_READER_LOSSLESS,
					&rd) == 0);
	if (fuzz_below(&F, 2)) {
		/* A fixed frame length, as in an acquisition. */
		uint8_t tmp[MAX_FRAME * 2];

		fixed = make_frame(tmp, sizeof(tmp), fixed_hdr, fixed_mask, fixed_ns, 0);
		if (fixed > size / 2)
			fixed = 0;
	}
	for (int s = 0; s < steps; s++) {
		struct udaq_frame fr;
		size_t len;
		int ret;

		/* The device writes a frame, mutated or not, as far as there is room. */
		if (fixed && fuzz_below(&F, 4))
			len = make_frame(frame, sizeof(frame), fixed_hdr, fixed_mask, fixed_ns,
					 (uint64_t)s);
		else
			len = rand_frame(frame, sizeof(frame));
		if (fuzz_below(&F, 3) == 0)
			fuzz_mutate(&F, frame, &len, sizeof(frame));
		if (!lossy) {
			/* A lossless reader holds the device: never write over it. */
			uint64_t room = size - (fr_ring.wr - udaq_reader_pos(rd));

			if (len > room)
				len = (size_t)room;
		}
		fake_ring_write(&fr_ring, fr_ring.wr, frame, len);
		__atomic_store_n(&fr_ring.wr, fr_ring.wr + len, __ATOMIC_RELEASE);

		/* The consumer takes what it can. */
		for (int k = 0; k < 64; k++) {
			uint64_t pos = udaq_reader_pos(rd);
			const uint8_t *lo = fr_ring.buf, *hi = fr_ring.buf + 2 * size;

			ret = udaq_frame_next(rd, fixed, &fr);
			FUZZ_ASSERT(&F, ret == 1 || ret == 0 || ret == -EBADMSG);
			if (ret == 0)
				break;
			if (ret == -EBADMSG) {
				/* Resync as a consumer would: a boundary, or 8 bytes on. */
				uint64_t p = udaq_reader_pos(rd), w = fr_ring.wr;
				uint64_t to = fixed ? p + (fixed - p % fixed) : p + 8;

				if (to - p > w - p)
					break;
				FUZZ_ASSERT(&F, udaq_reader_skip_to(rd, to) == 0);
				continue;
			}
			FUZZ_ASSERT(&F, fr.pos == udaq_reader_pos(rd));
			FUZZ_ASSERT(&F, fr.pos - pos < (UINT64_C(1) << 63));	/* never backwards */
			FUZZ_ASSERT(&F, fr.frame_len >= UDAQ_FRAME_HDR_LEN);
			FUZZ_ASSERT(&F, fr.frame_len <= fr_ring.wr - fr.pos);
			FUZZ_ASSERT(&F, fr.frame_len <= size);
			if (lossy)
				FUZZ_ASSERT(&F, fr_ring.wr - fr.pos <= size - guard);
			if (fixed) {
				FUZZ_ASSERT(&F, fr.frame_len == fixed);
				FUZZ_ASSERT(&F, fr.pos % fixed == 0);
			}
			FUZZ_ASSERT(&F, (const uint8_t *)fr.samples >= lo + UDAQ_FRAME_HDR_LEN);
			FUZZ_ASSERT(&F, (const uint8_t *)fr.samples + fr.payload_len <= hi);
			FUZZ_ASSERT(&F, udaq_frame_check(rd, &fr) == 0);
			FUZZ_ASSERT(&F, udaq_frame_release(rd, &fr) == 0);
			FUZZ_ASSERT(&F, udaq_reader_pos(rd) == fr.pos + fr.frame_len);
			ring_frames++;
		}
	}
	udaq_reader_free(rd);
	udaq_ring_free(ring);
	fake_ring_fini(&fr_ring);
}

int main(void)
{
	uint64_t rings = 0;
	char summary[96];

	fuzz_init(&F, "fuzz_frame", 0x5eed0002, 2000000, 3.0);
	fuzz_set_input(&F, NULL, 0);
	while (fuzz_more(&F)) {
		if (fuzz_below(&F, 64) == 0) {
			fuzz_set_input(&F, NULL, 0);
			fuzz_ring();
			rings++;
		} else {
			fuzz_parse();
		}
	}
	snprintf(summary, sizeof(summary), "%llu ring runs, %llu frames read",
		 (unsigned long long)rings, (unsigned long long)ring_frames);
	fuzz_done(&F, summary);
	if (rings > 10 && !ring_frames) {
		fprintf(stderr, "no frame was ever read from the ring: the driver is not exercising udaq_frame_next\n");
		return 1;
	}
	return 0;
}
