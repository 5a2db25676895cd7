/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private to libuio_daq: what the ring, the frame parser and the digitizer
 * drivers share beyond the public headers.
 */
#ifndef UIO_DAQ_STREAM_INTERNAL_H
#define UIO_DAQ_STREAM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uio_daq/digitizer.h>
#include <uio_daq/ring.h>

/*
 * Tell the ring how the device writes, between acquisitions: @guard, how
 * far ahead of its write pointer it writes (a frame); @overwrite, whether
 * it ignores the read pointer (then no reader holds it, and lossless
 * readers are checked for overruns and torn spans like lossy ones).
 * One thread, no reader in use.
 */
int udaq_ring_set_device(struct udaq_ring *ring, size_t guard, bool overwrite);

/*
 * If no lossless reader holds the device, publish its write position as
 * the read position (stop policy: the device never waits for lossy
 * readers). Called on every lossy release and after every digitizer wait,
 * so a device with only lossy readers, or none, runs on. Any thread.
 */
void udaq_ring_follow_device(struct udaq_ring *ring);

struct udaq_ring *udaq_reader_ring(const struct udaq_reader *reader);

/*
 * A digitizer driver: one ops table per kind of card, in its own file.
 * udaq_digitizer_open() asks each driver in turn whether it knows the
 * device; the first that does owns the digitizer.
 */
struct udaq_digitizer;

struct udaq_digitizer_ops {
	const char *name;
	/* True if this driver drives @dev (PCI IDs, then ID register). */
	bool (*probe)(struct udaq_dev *dev);
	/* Map, validate, fill dg->caps and dg->ring, reset. */
	int (*open)(struct udaq_digitizer *dg);
	void (*close)(struct udaq_digitizer *dg);
	int (*config_check)(const struct udaq_digitizer *dg,
			    const struct udaq_digitizer_config *cfg,
			    char *msg, size_t msglen);
	int (*configure)(struct udaq_digitizer *dg,
			 const struct udaq_digitizer_config *cfg);
	int (*start)(struct udaq_digitizer *dg);
	int (*stop)(struct udaq_digitizer *dg);
	int (*reset)(struct udaq_digitizer *dg);
	int (*wait)(struct udaq_digitizer *dg, int timeout_ms);
	int (*status)(struct udaq_digitizer *dg, struct udaq_digitizer_status *st);
	size_t (*frame_len)(const struct udaq_digitizer *dg);
	/* Samples per channel per frame, defaults resolved; 0 unconfigured. */
	uint32_t (*frame_samples)(const struct udaq_digitizer *dg);
};

struct udaq_digitizer {
	const struct udaq_digitizer_ops *ops;
	struct udaq_dev *dev;
	struct udaq_ring *ring;
	struct udaq_digitizer_caps caps;
	void *priv;			/* the driver's state */
};

extern const struct udaq_digitizer_ops udaq_refdaq_ops;
extern const struct udaq_digitizer_ops udaq_edu_ops;	/* drivers/edu.c */

#endif /* UIO_DAQ_STREAM_INTERNAL_H */
