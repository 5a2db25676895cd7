/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The file sinks' view of a library frame batch (udaq_frame_batch_peek(),
 * which does the peeking, resynchronising and loss counting): the payloads
 * (without the 48-byte headers) as an iovec array for a single writev(),
 * cut at the stream's sample limit. A batch never spans a discontinuity in
 * the device sample index, so a sink can start a new segment between
 * batches.
 */
#ifndef DAQD_BATCH_H
#define DAQD_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <uio_daq/digitizer.h>
#include <uio_daq/ring.h>

#include "sink.h"

#define DAQD_BATCH_MAX_IOV	64

/*
 * struct daqd_batch - frames gathered from one reader.
 * @iov, @niov: payload pieces, in order; may be 0 when only frames past the
 *              stream's sample limit were found (release them anyway).
 * @bytes: payload bytes in @iov.
 * @ring_bytes: bytes to udaq_reader_release() once the payload is used.
 * @frames: frames in the batch (to release), past the sample limit too.
 * @payload_frames: those of them with samples in @iov (what sinks count).
 * @first_sample: device sample index of the first payload sample.
 * @timestamp_ns: the first frame's timestamp (ns since the start).
 * @samples: multi-channel samples in @iov (contiguous device indices).
 * @lost_bytes: ring bytes a lossy reader lost before this batch (overrun
 *              and resynchronisation, as udaq_reader_lost() counts them).
 * @limit_reached: the stream's max_samples has been reached.
 * @fb: the library batch underneath (its first @frames frames are this
 *      batch's), for udaq_frame_batch_check() and _release().
 * @frame: @fb's frames.
 */
struct daqd_batch {
	struct iovec iov[DAQD_BATCH_MAX_IOV];
	size_t niov;
	size_t bytes;
	size_t ring_bytes;
	size_t frames;
	size_t payload_frames;
	uint64_t first_sample;
	uint64_t timestamp_ns;
	uint64_t samples;
	uint64_t lost_bytes;
	bool limit_reached;
	struct udaq_frame_batch fb;
	struct udaq_frame frame[DAQD_BATCH_MAX_IOV];
};

/*
 * daqd_batch_gather() - Gather up to @max_bytes of payload (at least one
 * frame if any is available) from @reader.
 * @stream: frame length, sample size and limit.
 * Thread: the reader's thread.
 * Return: 1 with a batch; 0 if no whole frame is available; -EBADMSG for a
 * corrupt frame (the caller should fail: the stream cannot be trusted).
 */
int daqd_batch_gather(struct udaq_reader *reader, const struct daqd_stream *stream,
		      size_t max_bytes, struct daqd_batch *b);

/*
 * daqd_batch_release() - Release the batch's frames (one library call).
 * Return: 0 or -EINVAL (released already).
 */
int daqd_batch_release(struct udaq_reader *reader, const struct daqd_batch *b);

/*
 * daqd_batch_stabilize() - For a reader the device may overrun (lossy, or
 * any reader under the overwrite policy): copy the payload into @buf (at
 * least @b->bytes long) and then check that the device did not overwrite
 * it meanwhile. On success @b->iov is the single piece in @buf.
 * Return: 0; -ESTALE if the batch may be torn: release it and carry on
 * (the next batch's first sample shows the loss).
 */
int daqd_batch_stabilize(struct udaq_reader *reader, struct daqd_batch *b, void *buf);

/*
 * daqd_batch_reader_new() - The reader a file sink consumes @st with:
 * lossless (it holds the device back), or under the overwrite policy,
 * where nothing can, lossy, with a buffer in *@copy (*@copy_len bytes,
 * kept from one acquisition to the next) for stable copies of batches of
 * up to @batch_bytes (daqd_batch_stabilize()). Fails the sink on error.
 * Return: 0 or -errno.
 */
int daqd_batch_reader_new(struct daqd_sink *s, const struct daqd_stream *st,
			  size_t batch_bytes, void **copy, size_t *copy_len,
			  struct udaq_reader **reader);

/*
 * daqd_iov_advance() - Drop the first @n bytes of an iovec array in place
 * (after a short write). Return: the new start index.
 */
size_t daqd_iov_advance(struct iovec *iov, size_t niov, size_t start, size_t n);

#endif /* DAQD_BATCH_H */
