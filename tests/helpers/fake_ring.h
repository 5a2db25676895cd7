/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A ring in ordinary memory for unit tests: a buffer of twice the ring size
 * standing in for the double mapping (every byte written lands in both
 * copies), and a write pointer the test moves by hand, as the device would.
 */
#ifndef FAKE_RING_H
#define FAKE_RING_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <uio_daq/ring.h>

struct fake_ring {
	unsigned char *buf;	/* 2 * size */
	size_t size;
	uint64_t wr;
	uint64_t published[64];	/* every position the ring published */
	size_t npublished;
};

static inline void fake_publish(void *arg, uint64_t rd)
{
	struct fake_ring *f = arg;

	if (f->npublished < 64)
		f->published[f->npublished] = rd;
	f->npublished++;
}

static inline void fake_ring_init(struct fake_ring *f, size_t size)
{
	memset(f, 0, sizeof(*f));
	f->buf = calloc(2, size);
	f->size = size;
}

static inline void fake_ring_fini(struct fake_ring *f)
{
	free(f->buf);
}

static inline struct udaq_ring_config fake_ring_config(struct fake_ring *f, size_t guard)
{
	struct udaq_ring_config c = {
		.data = f->buf, .size = f->size, .wr_ptr = &f->wr, .guard = guard,
		.publish = fake_publish, .publish_arg = f,
	};
	return c;
}

/* Write @len bytes at stream position @pos, as the device's DMA would. */
static inline void fake_ring_write(struct fake_ring *f, uint64_t pos,
				   const void *src, size_t len)
{
	const unsigned char *s = src;
	size_t i;

	for (i = 0; i < len; i++) {
		size_t off = (size_t)((pos + i) % f->size);

		f->buf[off] = s[i];
		f->buf[off + f->size] = s[i];
	}
}

#endif
