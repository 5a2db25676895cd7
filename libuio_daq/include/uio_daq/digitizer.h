/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Streaming digitizers: the device-level interface daqd uses.
 *
 * A digitizer is a device driver in userspace on top of a struct udaq_dev.
 * Every digitizer produces frames in one format (uio_daq/frame.h,
 * docs/refdaq.md) into a ring; the refdaq card (real or simulated) is the
 * reference implementation. Other cards plug in as further drivers behind
 * this same interface (edu, docs/edu-digitizer.md).
 *
 * Typical use (frames in batches; udaq_frame_next() takes one at a time):
 *   struct udaq_frame frames[64];
 *   struct udaq_frame_batch b = { .frames = frames, .max_frames = 64 };
 *
 *   udaq_digitizer_open(dev, &dg);
 *   udaq_digitizer_configure(dg, &cfg);
 *   udaq_reader_new(udaq_digitizer_ring(dg), UDAQ_READER_LOSSLESS, &rd);
 *   udaq_digitizer_start(dg);
 *   b.frame_len = udaq_digitizer_frame_len(dg);
 *   while (running && udaq_digitizer_wait(dg, 100) >= 0) {
 *           while (udaq_frame_batch_peek(rd, &b) > 0) {
 *                   for (size_t i = 0; i < b.nframes; i++)
 *                           use(b.frames[i].samples, b.frames[i].nsamples,
 *                               b.frames[i].nchan);
 *                   udaq_frame_batch_release(rd, &b, b.nframes);
 *           }
 *   }
 *   udaq_digitizer_stop(dg);
 *   udaq_reader_free(rd);
 *   udaq_digitizer_close(dg);
 */
#ifndef UIO_DAQ_DIGITIZER_H
#define UIO_DAQ_DIGITIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uio_daq/frame.h>
#include <uio_daq/ring.h>
#include <uio_daq/uio_daq.h>

#ifdef __cplusplus
extern "C" {
#endif

struct udaq_digitizer;

enum udaq_policy {
	UDAQ_POLICY_STOP = 0,		/* lossless: device waits, counts drops */
	UDAQ_POLICY_OVERWRITE = 1,	/* device never waits */
};

/**
 * struct udaq_digitizer_config - acquisition settings.
 * @sample_rate: Hz per channel; 0 with @freerun.
 * @chan_mask: bit c enables device channel c.
 * @format: UDAQ_FORMAT_* (uio_daq/frame.h; only int16 LE today).
 * @frame_samples: samples per channel per frame (0: driver default).
 * @policy: what the device does when the ring is full.
 * @irq_threshold: bytes between data interrupts (0: driver default).
 * @irq_timeout_us: interrupt if data is pending this long (0: none).
 * @test_pattern: produce the test pattern instead of real samples.
 * @freerun: produce as fast as possible, ignoring @sample_rate pacing.
 */
struct udaq_digitizer_config {
	uint32_t sample_rate;
	uint32_t chan_mask;
	uint32_t format;
	uint32_t frame_samples;
	enum udaq_policy policy;
	uint32_t irq_threshold;
	uint32_t irq_timeout_us;
	bool test_pattern;
	bool freerun;
};

/** struct udaq_digitizer_caps - what the device can do. */
struct udaq_digitizer_caps {
	const char *model;		/* "refdaq" */
	uint32_t version;		/* major << 16 | minor */
	uint32_t num_channels;
	uint32_t sample_bits;
	uint32_t max_rate;
	bool overwrite;
	bool test_pattern;
	size_t ring_size;
};

/** struct udaq_digitizer_status - a snapshot of the device's state. */
struct udaq_digitizer_status {
	bool running;
	bool ring_full;
	bool err_dma;
	bool err_overflow;
	bool err_config;
	bool gone;			/* device removed (reads all-ones) */
	uint64_t wr_ptr;		/* bytes written since start */
	uint64_t rd_ptr;		/* read position published */
	uint64_t frames;		/* frames written to the ring */
	uint64_t lost_samples;		/* samples per channel dropped */
	uint64_t irqs;			/* interrupts handled */
	uint64_t irqs_missed;
};

/**
 * udaq_digitizer_open() - Bind a driver to an open device: identify it,
 * map its registers, ring (double mapped) and descriptor map, check the
 * descriptor map is consistent, and reset the device.
 * Thread safety: any thread. The device must outlive the digitizer.
 * Return: 0; -ENODEV if no driver knows the device; -EPROTO for an
 * inconsistent descriptor map; -errno.
 */
int udaq_digitizer_open(struct udaq_dev *dev, struct udaq_digitizer **out);
/**
 * udaq_digitizer_close() - Stop the device and free the driver. Readers of
 * its ring must be freed first. Thread safety: one thread.
 */
void udaq_digitizer_close(struct udaq_digitizer *dg);

/** udaq_digitizer_caps() - capabilities (valid until close; any thread). */
const struct udaq_digitizer_caps *udaq_digitizer_caps(const struct udaq_digitizer *dg);

/**
 * udaq_digitizer_configure() - Validate and apply @cfg. Only while stopped.
 * Zero fields take driver defaults (refdaq: frame_samples 1024, halved
 * until four frames fit in the ring; irq_threshold an eighth of the ring).
 * Thread safety: the controlling thread, while no reader is in use.
 * Return: 0; -EINVAL naming nothing (use udaq_digitizer_config_check() for
 * a message); -EBUSY while running.
 */
int udaq_digitizer_configure(struct udaq_digitizer *dg,
			     const struct udaq_digitizer_config *cfg);

/**
 * udaq_digitizer_config_check() - Validate @cfg against the device without
 * applying it. On failure writes a one-line reason into @msg.
 * Thread safety: any thread (it reads only what open fixed).
 * Return: 0 or -EINVAL.
 */
int udaq_digitizer_config_check(const struct udaq_digitizer *dg,
				const struct udaq_digitizer_config *cfg,
				char *msg, size_t msglen);

/**
 * udaq_digitizer_start() / _stop() / _reset() - Start an acquisition
 * (positions restart at 0 and every reader of the ring is moved there, so
 * no reader may be in use during start), stop it (waits until the device
 * reports it stopped), soft-reset the device (the configuration is kept by
 * the driver and written again by the next start).
 * Thread safety: one controlling thread; stop may race with wait().
 * Return: 0; start: -EINVAL if not configured or the device refused the
 * configuration, -EBUSY if running; -ENODEV if the device is gone;
 * -ETIMEDOUT if it does not acknowledge.
 */
int udaq_digitizer_start(struct udaq_digitizer *dg);
int udaq_digitizer_stop(struct udaq_digitizer *dg);
int udaq_digitizer_reset(struct udaq_digitizer *dg);

/**
 * udaq_digitizer_wait() - Wait for the device to signal data or an error,
 * acknowledge it, re-arm the interrupt. When the ring has no lossless
 * reader, it also hands the device its own write position as the read
 * position, so that under the stop policy a device read only by lossy
 * readers (or by none) never waits: call it continuously while acquiring.
 * Thread safety: one thread (the acquisition thread).
 * Return: 1 if woken by the device, 0 on timeout, -ENODEV if the device is
 * gone, -EIO on a DMA error, -errno.
 */
int udaq_digitizer_wait(struct udaq_digitizer *dg, int timeout_ms);

/** udaq_digitizer_status() - read status and counters (any thread). */
int udaq_digitizer_status(struct udaq_digitizer *dg,
			  struct udaq_digitizer_status *st);

/** udaq_digitizer_ring() - the ring; readers are created on it (any thread). */
struct udaq_ring *udaq_digitizer_ring(struct udaq_digitizer *dg);

/** udaq_digitizer_dev() - the device underneath (any thread). */
struct udaq_dev *udaq_digitizer_dev(struct udaq_digitizer *dg);

/* ---- Frames ---------------------------------------------------------- */

/**
 * struct udaq_frame - one parsed frame, pointing into the ring.
 * @seq, @timestamp_ns, @first_sample, @nsamples, @chan_mask, @format,
 * @flags: the header fields (docs/refdaq.md).
 * @nchan: enabled channels (popcount of @chan_mask).
 * @samples: @nsamples * @nchan interleaved samples, little-endian.
 * @payload_len: bytes at @samples.
 * @frame_len: bytes the whole frame occupies in the ring.
 * @lost_bytes: bytes this reader skipped (overrun) before this frame.
 * @pos: stream position of the frame.
 */
struct udaq_frame {
	uint64_t seq;
	uint64_t timestamp_ns;
	uint64_t first_sample;
	uint32_t nsamples;
	uint32_t chan_mask;
	uint32_t nchan;
	uint16_t format;
	uint16_t flags;
	const void *samples;
	size_t payload_len;
	size_t frame_len;
	uint64_t lost_bytes;
	uint64_t pos;
};

/**
 * udaq_frame_parse() - Parse and validate a frame header at @buf.
 * @len: bytes available at @buf.
 * Return: 1 and @fr filled; 0 if @len is too short for the whole frame;
 * -EBADMSG for a bad magic, header length, format or payload length.
 * Thread safety: any thread (a pure function of @buf).
 */
int udaq_frame_parse(const void *buf, size_t len, struct udaq_frame *fr);

/**
 * udaq_frame_next() - The next whole frame of a reader: a batch of one
 * (udaq_frame_batch_peek(), same resynchronisation and loss count).
 * @frame_len: the fixed frame length of the acquisition (used to resync a
 *             lossy reader after an overrun onto a frame boundary).
 * Return: 1 with @fr; 0 if no whole frame is available yet; -EBADMSG.
 * Thread safety: the reader's thread.
 */
int udaq_frame_next(struct udaq_reader *reader, size_t frame_len,
		    struct udaq_frame *fr);

/**
 * udaq_frame_check() - After using @fr from a lossy reader, check that the
 * device has not overwritten it meanwhile (udaq_reader_check() for the
 * frame's bytes). Return: 0 if intact, -ESTALE if the data read may be torn.
 * Lossless readers get 0 under the stop policy (the device waits for them);
 * under the overwrite policy they are checked too. Thread safety: the
 * reader's thread.
 */
int udaq_frame_check(const struct udaq_reader *reader, const struct udaq_frame *fr);

/**
 * udaq_frame_release() - release @fr's bytes from @reader.
 * Return: 0; -EINVAL if the reader is no longer at @fr (released already).
 * Thread safety: the reader's thread.
 */
int udaq_frame_release(struct udaq_reader *reader, const struct udaq_frame *fr);

/* ---- Frame batches ---------------------------------------------------- */

/* udaq_frame_batch.flags: end the batch before a gap in the sample index. */
#define UDAQ_FRAME_BATCH_CONTIGUOUS	(1u << 0)

/**
 * struct udaq_frame_batch - whole frames of one reader, peeked at once.
 * Set by the caller (and kept between peeks):
 * @frames: room for @max_frames parsed frames, in stream order.
 * @max_frames: at least 1.
 * @frame_len: the acquisition's fixed frame length (a reader the device
 *             overran is resynchronised onto a multiple of it; a frame of
 *             another length is bad); 0 when frames vary.
 * @max_payload: payload bytes the batch may hold; the frame that would go
 *               past it starts the next batch (a batch holds at least one
 *               frame). 0: no limit.
 * @max_lag: for a reader that may be overrun (lossy, or any under the
 *           overwrite policy): once more than half the ring and more than
 *           @max_lag bytes wait for it, skip to a frame boundary @max_lag
 *           bytes behind the device, so that it does not keep reading
 *           exactly where the device is overwriting. Needs @frame_len.
 *           0: never.
 * @flags: UDAQ_FRAME_BATCH_*.
 * Set by udaq_frame_batch_peek():
 * @nframes: frames in @frames.
 * @pos: stream position of the first one.
 * @bytes: ring bytes the frames occupy.
 * @payload_bytes: their payload bytes.
 * @lost_bytes: bytes the reader lost just before @pos: overrun by the
 *              device, and skipped to resynchronise; each of them is
 *              counted once by udaq_reader_lost() too.
 */
struct udaq_frame_batch {
	struct udaq_frame *frames;
	size_t max_frames;
	size_t frame_len;
	size_t max_payload;
	size_t max_lag;
	unsigned int flags;

	size_t nframes;
	uint64_t pos;
	size_t bytes;
	size_t payload_bytes;
	uint64_t lost_bytes;
};

/**
 * udaq_frame_batch_peek() - The reader's next whole frames, without
 * consuming them: one look at the ring, a resynchronisation onto a frame
 * boundary after an overrun (the skipped bytes counted as lost), every
 * frame parsed once. A frame that cannot join the batch (bad, of another
 * length, past @max_payload or a gap) starts the next one; the next peek
 * reports a bad frame then. For a reader the device may overrun, a batch
 * torn while it was parsed is looked at again.
 * Return: 1 with @b->nframes >= 1; 0 if no whole frame is available yet
 * (or the device keeps overrunning the reader: try again later); -EBADMSG
 * for a bad frame first in line; -EINVAL.
 * Thread safety: the reader's thread.
 */
int udaq_frame_batch_peek(struct udaq_reader *reader, struct udaq_frame_batch *b);

/**
 * udaq_frame_batch_check() - After using the frames of @b, check that the
 * device has not overwritten them meanwhile (udaq_reader_check() over the
 * batch's bytes). Return: 0 if intact, -ESTALE if what was read may be
 * torn (release the batch anyway: the next peek resynchronises and shows
 * the loss). Readers the device waits for get 0.
 * Thread safety: the reader's thread.
 */
int udaq_frame_batch_check(const struct udaq_reader *reader,
			   const struct udaq_frame_batch *b);

/**
 * udaq_frame_batch_release() - Release the first @nframes frames of @b
 * (normally all, @b->nframes) with one call; the others are peeked again.
 * Return: 0; -EINVAL if @nframes exceeds the batch or the reader is no
 * longer at it (released already).
 * Thread safety: the reader's thread.
 */
int udaq_frame_batch_release(struct udaq_reader *reader,
			     const struct udaq_frame_batch *b, size_t nframes);

/**
 * udaq_digitizer_frame_len() - bytes per frame with the current config (0
 * before configure). Thread safety: any thread, not racing with configure.
 */
size_t udaq_digitizer_frame_len(const struct udaq_digitizer *dg);

/**
 * udaq_digitizer_frame_samples() - samples per channel in every frame with
 * the current config, the driver's default resolved when it asked for 0
 * (0 before configure). Frames written = samples produced / this, for a
 * program that counts samples. Thread safety: any thread, not racing with
 * configure.
 */
uint32_t udaq_digitizer_frame_samples(const struct udaq_digitizer *dg);

#ifdef __cplusplus
}
#endif

#endif /* UIO_DAQ_DIGITIZER_H */
