/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The ring consumer: readers with their own cursors over a byte stream the
 * device writes, and the read position published back to the device.
 *
 * All positions are u64 byte counters compared modulo 2^64: "a is ahead of
 * b" means a - b < 2^63. The peek path takes no lock: it reads the device's
 * write pointer (acquire, so the data before it is visible) and the reader's
 * own cursor. Cursors are stored with release ordering so that the minimum
 * computed under the ring's mutex never lets the device overwrite bytes a
 * lossless reader is still reading.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include <uio_daq/ring.h>

#include "export.h"
#include "stream_internal.h"

#define HALF_RANGE	(UINT64_C(1) << 63)

struct udaq_reader {
	struct udaq_ring *ring;
	enum udaq_reader_mode mode;
	uint64_t cursor;	/* atomic: read by the min computation */
	uint64_t pending_lost;	/* reported by peeks until the next release */
	uint64_t lost_total;	/* atomic: read by udaq_reader_lost() */
	struct udaq_reader *next;
};

struct udaq_ring {
	const unsigned char *data;
	size_t size;
	const volatile uint64_t *wr_ptr;
	size_t guard;		/* atomic: changed between acquisitions */
	bool overwrite;		/* atomic: nobody holds the device (overwrite policy) */
	void (*publish)(void *arg, uint64_t rd_ptr);
	void *publish_arg;

	pthread_mutex_t lock;	/* readers list, published position */
	struct udaq_reader *readers;
	unsigned int nlossless;	/* atomic: read by lossy releases */
	uint64_t published;	/* atomic: read by udaq_ring_rd_ptr() */
};

static uint64_t load_wr(const struct udaq_ring *ring)
{
	return __atomic_load_n(ring->wr_ptr, __ATOMIC_ACQUIRE);
}

/* Bytes from @from to @to; 0 when @to is behind @from (modulo 2^64). */
static uint64_t dist(uint64_t from, uint64_t to)
{
	uint64_t d = to - from;

	return d >= HALF_RANGE ? 0 : d;
}

UDAQ_API int udaq_ring_new(const struct udaq_ring_config *cfg, struct udaq_ring **out)
{
	struct udaq_ring *ring;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!cfg || !cfg->data || !cfg->wr_ptr || cfg->size == 0 ||
	    cfg->guard >= cfg->size)
		return -EINVAL;
	ring = calloc(1, sizeof(*ring));
	if (!ring)
		return -ENOMEM;
	ret = pthread_mutex_init(&ring->lock, NULL);
	if (ret) {
		free(ring);
		return -ret;
	}
	ring->data = cfg->data;
	ring->size = cfg->size;
	ring->wr_ptr = cfg->wr_ptr;
	ring->guard = cfg->guard;
	ring->publish = cfg->publish;
	ring->publish_arg = cfg->publish_arg;
	*out = ring;
	return 0;
}

UDAQ_API void udaq_ring_free(struct udaq_ring *ring)
{
	if (!ring)
		return;
	pthread_mutex_destroy(&ring->lock);
	free(ring);
}

int udaq_ring_set_device(struct udaq_ring *ring, size_t guard, bool overwrite)
{
	if (!ring || guard >= ring->size)
		return -EINVAL;
	__atomic_store_n(&ring->guard, guard, __ATOMIC_RELAXED);
	__atomic_store_n(&ring->overwrite, overwrite, __ATOMIC_RELAXED);
	return 0;
}

/*
 * Can the device be writing into what @reader has not consumed? Not for a
 * lossless reader under the stop policy: the device waits for it.
 */
static bool exposed(const struct udaq_reader *reader)
{
	return reader->mode == UDAQ_READER_LOSSY ||
	       __atomic_load_n(&reader->ring->overwrite, __ATOMIC_RELAXED);
}

UDAQ_API void udaq_ring_reset(struct udaq_ring *ring, uint64_t pos)
{
	struct udaq_reader *r;

	if (!ring)
		return;
	pthread_mutex_lock(&ring->lock);
	for (r = ring->readers; r; r = r->next) {
		__atomic_store_n(&r->cursor, pos, __ATOMIC_RELEASE);
		r->pending_lost = 0;
	}
	/*
	 * Not published: a new acquisition restarts the device's own read
	 * pointer along with its write pointer.
	 */
	__atomic_store_n(&ring->published, pos, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&ring->lock);
}

UDAQ_API size_t udaq_ring_size(const struct udaq_ring *ring)
{
	return ring ? ring->size : 0;
}

UDAQ_API uint64_t udaq_ring_wr_ptr(const struct udaq_ring *ring)
{
	return ring ? load_wr(ring) : 0;
}

UDAQ_API uint64_t udaq_ring_rd_ptr(const struct udaq_ring *ring)
{
	return ring ? __atomic_load_n(&ring->published, __ATOMIC_RELAXED) : 0;
}

/* Call with the lock held: publish @pos if it is ahead of what was published. */
static void publish_locked(struct udaq_ring *ring, uint64_t pos)
{
	uint64_t old = __atomic_load_n(&ring->published, __ATOMIC_RELAXED);

	if (pos == old || dist(old, pos) == 0)
		return;
	__atomic_store_n(&ring->published, pos, __ATOMIC_RELAXED);
	if (ring->publish)
		ring->publish(ring->publish_arg, pos);
}

/*
 * Call with the lock held. The oldest lossless cursor, measured from the
 * published position (every lossless cursor is at or ahead of it).
 * Return false if there is no lossless reader.
 */
static bool min_lossless_locked(struct udaq_ring *ring, uint64_t *min)
{
	uint64_t base = __atomic_load_n(&ring->published, __ATOMIC_RELAXED);
	uint64_t best = 0, c;
	struct udaq_reader *r;
	bool found = false;

	for (r = ring->readers; r; r = r->next) {
		if (r->mode != UDAQ_READER_LOSSLESS)
			continue;
		c = __atomic_load_n(&r->cursor, __ATOMIC_ACQUIRE);
		if (!found || c - base < best - base)
			best = c;
		found = true;
	}
	*min = best;
	return found;
}

UDAQ_API int udaq_reader_new(struct udaq_ring *ring, enum udaq_reader_mode mode,
			     struct udaq_reader **out)
{
	struct udaq_reader *r;
	uint64_t start;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!ring || (mode != UDAQ_READER_LOSSLESS && mode != UDAQ_READER_LOSSY))
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->ring = ring;
	r->mode = mode;

	pthread_mutex_lock(&ring->lock);
	if (!min_lossless_locked(ring, &start))
		start = load_wr(ring);
	r->cursor = start;
	r->next = ring->readers;
	ring->readers = r;
	if (mode == UDAQ_READER_LOSSLESS) {
		__atomic_add_fetch(&ring->nlossless, 1, __ATOMIC_RELAXED);
		/* The first lossless reader starts at W: nothing older is held. */
		publish_locked(ring, start);
	}
	pthread_mutex_unlock(&ring->lock);
	*out = r;
	return 0;
}

UDAQ_API void udaq_reader_free(struct udaq_reader *reader)
{
	struct udaq_ring *ring;
	struct udaq_reader **pp;
	uint64_t min;

	if (!reader)
		return;
	ring = reader->ring;
	pthread_mutex_lock(&ring->lock);
	for (pp = &ring->readers; *pp; pp = &(*pp)->next) {
		if (*pp == reader) {
			*pp = reader->next;
			break;
		}
	}
	if (reader->mode == UDAQ_READER_LOSSLESS) {
		__atomic_sub_fetch(&ring->nlossless, 1, __ATOMIC_RELAXED);
		if (min_lossless_locked(ring, &min))
			publish_locked(ring, min);
		else	/* the last one: nothing holds the device any more */
			publish_locked(ring, load_wr(ring));
	}
	pthread_mutex_unlock(&ring->lock);
	free(reader);
}

static void add_lost(struct udaq_reader *r, uint64_t n)
{
	r->pending_lost += n;
	__atomic_store_n(&r->lost_total, r->lost_total + n, __ATOMIC_RELAXED);
}

UDAQ_API int udaq_reader_peek(struct udaq_reader *reader, struct udaq_span *span)
{
	const struct udaq_ring *ring;
	uint64_t w, c, avail, keep;

	if (!reader || !span)
		return -EINVAL;
	ring = reader->ring;
	w = load_wr(ring);
	c = reader->cursor;	/* only this thread writes it */
	avail = dist(c, w);

	/*
	 * A reader the device does not wait for (lossy, or any reader under
	 * the overwrite policy) treats the frame being written ahead of W as
	 * gone already. A lossless reader under the stop policy holds the
	 * device, which never writes past it: all of the ring is its own.
	 */
	keep = ring->size;
	if (exposed(reader))
		keep -= __atomic_load_n(&ring->guard, __ATOMIC_RELAXED);
	if (avail > keep) {
		uint64_t lost = avail - keep;

		c += lost;
		avail = keep;
		add_lost(reader, lost);
		__atomic_store_n(&reader->cursor, c, __ATOMIC_RELEASE);
	}

	/*
	 * Offsets are positions modulo the size; unless the size divides
	 * 2^64, the offset jumps where the position wraps, so a span ends
	 * there and the next one starts at offset 0.
	 */
	if ((ring->size & (ring->size - 1)) && c != 0 && avail > UINT64_MAX - c + 1)
		avail = UINT64_MAX - c + 1;
	span->data = ring->data + (size_t)(c % ring->size);
	span->len = (size_t)avail;
	span->pos = c;
	span->lost = reader->pending_lost;
	return 0;
}

UDAQ_API int udaq_reader_check(const struct udaq_reader *reader,
			       const struct udaq_span *span, size_t len)
{
	const struct udaq_ring *ring;
	uint64_t w;

	if (!reader || !span || len > span->len)
		return -EINVAL;
	if (!exposed(reader) || len == 0)
		return 0;
	ring = reader->ring;
	/*
	 * Seqlock-style: the reads of the span must complete before W is
	 * loaded again; if W then shows the device could have reached the
	 * span's first byte, what was read may be torn.
	 */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	w = __atomic_load_n(ring->wr_ptr, __ATOMIC_RELAXED);
	if (w - span->pos >= HALF_RANGE)
		return 0;	/* W behind the span: a reset, nothing overwritten */
	if (w - span->pos > ring->size - __atomic_load_n(&ring->guard, __ATOMIC_RELAXED))
		return -ESTALE;
	return 0;
}

/*
 * With no lossless reader nobody holds the device: publish its own write
 * position, so that the stop policy never waits for a lossy reader, nor
 * for no reader at all.
 */
void udaq_ring_follow_device(struct udaq_ring *ring)
{
	uint64_t w;

	if (__atomic_load_n(&ring->nlossless, __ATOMIC_RELAXED))
		return;
	w = load_wr(ring);
	pthread_mutex_lock(&ring->lock);
	if (ring->nlossless == 0)
		publish_locked(ring, w);
	pthread_mutex_unlock(&ring->lock);
}

/* Move the cursor to @pos (already validated) and let the device go. */
static void advance(struct udaq_reader *reader, uint64_t pos)
{
	struct udaq_ring *ring = reader->ring;
	uint64_t min;

	__atomic_store_n(&reader->cursor, pos, __ATOMIC_RELEASE);
	if (reader->mode == UDAQ_READER_LOSSLESS) {
		pthread_mutex_lock(&ring->lock);
		if (min_lossless_locked(ring, &min))
			publish_locked(ring, min);
		pthread_mutex_unlock(&ring->lock);
	} else {
		udaq_ring_follow_device(ring);
	}
}

UDAQ_API int udaq_reader_release(struct udaq_reader *reader, size_t len)
{
	uint64_t c;

	if (!reader)
		return -EINVAL;
	c = reader->cursor;
	if ((uint64_t)len > dist(c, load_wr(reader->ring)))
		return -EINVAL;
	if (len == 0)
		return 0;
	reader->pending_lost = 0;	/* the loss was seen with what is released */
	advance(reader, c + len);
	return 0;
}

UDAQ_API int udaq_reader_skip_to(struct udaq_reader *reader, uint64_t pos)
{
	uint64_t c, n;

	if (!reader)
		return -EINVAL;
	c = reader->cursor;
	n = pos - c;
	if (n == 0)
		return 0;
	if (n >= HALF_RANGE || n > dist(c, load_wr(reader->ring)))
		return -EINVAL;
	/* Skipped bytes are reported as lost, with the peek that follows. */
	add_lost(reader, n);
	advance(reader, pos);
	return 0;
}

UDAQ_API uint64_t udaq_reader_pos(const struct udaq_reader *reader)
{
	return reader ? __atomic_load_n(&reader->cursor, __ATOMIC_RELAXED) : 0;
}

UDAQ_API uint64_t udaq_reader_lost(const struct udaq_reader *reader)
{
	return reader ? __atomic_load_n(&reader->lost_total, __ATOMIC_RELAXED) : 0;
}

struct udaq_ring *udaq_reader_ring(const struct udaq_reader *reader)
{
	return reader ? reader->ring : NULL;
}
