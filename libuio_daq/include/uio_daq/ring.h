/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Zero-copy consumption of a DMA ring.
 *
 * Model: the device writes a byte stream into a ring of size S. Positions
 * are 64-bit byte counters since acquisition start (they never wrap in
 * practice, but all arithmetic is modulo 2^64 and is tested at the wrap).
 * The device publishes its write position W (after the bytes are in memory);
 * the library publishes a read position R back to the device, the minimum
 * over the lossless readers.
 *
 * Each reader has its own cursor C:
 * - a lossless reader holds the device back (with the stop policy the
 *   device never overwrites bytes a lossless reader has not released);
 * - a lossy reader never holds the device back: if W - C exceeds S minus the
 *   guard, the oldest bytes are gone; the next peek reports exactly how many
 *   bytes were skipped and continues at the oldest intact position;
 * - under the overwrite policy nothing holds the device, and lossless
 *   readers are treated as lossy ones (overruns, udaq_reader_check()).
 * With no lossless reader the device is never held: the digitizer's wait and
 * lossy releases hand it its own write position.
 *
 * The data pointer points into a double mapping, so every span is
 * contiguous even when it wraps around the ring's end.
 */
#ifndef UIO_DAQ_RING_H
#define UIO_DAQ_RING_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct udaq_ring;
struct udaq_reader;

/**
 * struct udaq_ring_config - what a ring is made of.
 * @data: start of the ring, mapped twice back to back (2 * @size readable).
 * @size: ring size in bytes; a power of two is not required.
 * @wr_ptr: the device's write position (write-back area), read with
 *          acquire ordering; the device must store it after the data.
 * @guard: bytes the device may be writing ahead of @wr_ptr (a frame being
 *         written); lossy readers count these as already overwritten.
 * @publish: called with the new read position whenever the minimum over the
 *           lossless readers advances; serialised by the ring. May be NULL.
 * @publish_arg: passed to @publish.
 */
struct udaq_ring_config {
	const void *data;
	size_t size;
	const volatile uint64_t *wr_ptr;
	size_t guard;
	void (*publish)(void *arg, uint64_t rd_ptr);
	void *publish_arg;
};

/**
 * udaq_ring_new() - Create a ring over memory the caller owns.
 * Return: 0; -EINVAL for a zero size, NULL data/wr_ptr, or guard >= size;
 * -ENOMEM. Thread safety: any thread.
 */
int udaq_ring_new(const struct udaq_ring_config *cfg, struct udaq_ring **out);

/**
 * udaq_ring_free() - Free the ring; all its readers must be freed first.
 * Thread safety: one thread, no other call on the ring running.
 */
void udaq_ring_free(struct udaq_ring *ring);

/**
 * udaq_ring_reset() - Start over at position @pos (a new acquisition).
 * Every reader's cursor moves to @pos. Thread safety: one thread, while no
 * reader is in use.
 */
void udaq_ring_reset(struct udaq_ring *ring, uint64_t pos);

/** udaq_ring_size() - the ring's size in bytes, fixed at creation (any thread). */
size_t udaq_ring_size(const struct udaq_ring *ring);
/** udaq_ring_wr_ptr() - the device's write position now (any thread). */
uint64_t udaq_ring_wr_ptr(const struct udaq_ring *ring);
/** udaq_ring_rd_ptr() - the read position last published (any thread). */
uint64_t udaq_ring_rd_ptr(const struct udaq_ring *ring);

/*
 * How a reader relates to the device: a lossless reader holds it back under
 * the stop policy (the device never overwrites what the reader has not
 * released); a lossy one never does, and is told exactly what it lost.
 */
enum udaq_reader_mode {
	UDAQ_READER_LOSSLESS = 0,
	UDAQ_READER_LOSSY = 1,
};

/**
 * udaq_reader_new() - Add a reader starting at the oldest unreleased
 * position of the lossless readers (or at the write position if there are
 * none). Thread safety: any thread.
 * Return: 0, -ENOMEM.
 */
int udaq_reader_new(struct udaq_ring *ring, enum udaq_reader_mode mode,
		    struct udaq_reader **out);

/**
 * udaq_reader_free() - Remove the reader; the device is no longer held by
 * it. Freeing the last lossless reader publishes the device's own write
 * position at once, and from then on lossy releases and the digitizer's
 * wait do, so that the stop policy never waits for readers that do not
 * want to hold it. Thread safety: any thread, but not while the reader
 * itself is in use.
 */
void udaq_reader_free(struct udaq_reader *reader);

/**
 * struct udaq_span - bytes available to a reader.
 * @data: first byte, contiguous for @len bytes.
 * @len: bytes available.
 * @pos: stream position of @data.
 * @lost: bytes this reader lost just before @pos: overrun by the device
 *        (lossy readers; lossless ones only if the device did not wait for
 *        them, e.g. under the overwrite policy) or skipped with
 *        udaq_reader_skip_to(). Reported by every peek until the next
 *        release or skip, then reset: a peek that finds no whole frame
 *        does not swallow the report.
 */
struct udaq_span {
	const void *data;
	size_t len;
	uint64_t pos;
	uint64_t lost;
};

/**
 * udaq_reader_peek() - Look at everything available, without consuming.
 * Thread safety: one thread per reader; readers of one ring may run in
 * different threads.
 * Return: 0 (span filled; len may be 0).
 */
int udaq_reader_peek(struct udaq_reader *reader, struct udaq_span *span);

/**
 * udaq_reader_check() - After using a peeked span of a lossy reader, check
 * that the device has not overwritten its first @len bytes meanwhile.
 * Thread safety: the reader's thread.
 * Return: 0 if intact, -ESTALE if (part of) it may have been overwritten,
 * -EINVAL if @len exceeds the span. Lossless readers get 0 while the device
 * waits for them (stop policy); under the overwrite policy nothing holds
 * the device, and every reader is checked (and overruns counted) as a
 * lossy one is.
 */
int udaq_reader_check(const struct udaq_reader *reader,
		      const struct udaq_span *span, size_t len);

/**
 * udaq_reader_release() - Consume @len bytes from the reader's position.
 * For lossless readers this may publish a new read position to the device
 * (under the ring's mutex; only when the minimum advances).
 * Thread safety: the reader's thread.
 * Return: 0; -EINVAL if @len exceeds what is available.
 */
int udaq_reader_release(struct udaq_reader *reader, size_t len);

/**
 * udaq_reader_skip_to() - Move the cursor forward to @pos (resync). The
 * skipped bytes count as lost (udaq_reader_lost(), and the next span's
 * @lost). Thread safety: the reader's thread.
 * Return: 0; -EINVAL if @pos is behind the cursor or beyond the write
 * position.
 */
int udaq_reader_skip_to(struct udaq_reader *reader, uint64_t pos);

/** udaq_reader_pos() - the reader's cursor (any thread; a snapshot). */
uint64_t udaq_reader_pos(const struct udaq_reader *reader);
/**
 * udaq_reader_lost() - total bytes this reader lost to overruns and skips
 * (any thread; a snapshot).
 */
uint64_t udaq_reader_lost(const struct udaq_reader *reader);

#ifdef __cplusplus
}
#endif

#endif /* UIO_DAQ_RING_H */
