/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The acquisition: one thread that owns the running digitizer. It waits
 * for the device, snapshots its status for the control thread, wakes the
 * sinks, and ends the run when the duration is reached or the device
 * fails. It never waits for a sink: sinks only ever get daqd_sink_wake().
 */
#ifndef DAQD_ACQ_H
#define DAQD_ACQ_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <uio_daq/digitizer.h>

#include "sink.h"

enum daqd_acq_state {
	DAQD_ACQ_IDLE = 0,
	DAQD_ACQ_RUNNING,
	DAQD_ACQ_ENDED,		/* reached its duration; waiting for stop */
	DAQD_ACQ_FAILED,	/* the device failed; see error */
};

struct daqd_acq {
	struct udaq_digitizer *dg;
	struct daqd_sink **sinks;
	size_t nsinks;
	struct daqd_stream stream;
	uint32_t frame_samples;
	double duration;		/* seconds, 0: until stopped */
	bool freerun;
	int event_fd;			/* readable when the thread ended by itself */

	pthread_t thread;
	bool thread_running;
	atomic_bool stop_req;
	_Atomic int state;		/* enum daqd_acq_state */
	_Atomic uint64_t heartbeat;	/* loop iterations (watchdog) */

	pthread_mutex_t lock;		/* guards the snapshot below */
	struct udaq_digitizer_status st;
	struct timespec started;	/* CLOCK_MONOTONIC */
	struct timespec ended;
	char error[256];
	uint64_t runs;
};

/*
 * daqd_acq_init() - Set up for @dg and @sinks (arrays owned by the caller).
 * @hw: device description for the stream (copied pointer, must live on).
 * Return: 0 or -errno.
 */
int daqd_acq_init(struct daqd_acq *acq, struct udaq_digitizer *dg,
		  struct daqd_sink **sinks, size_t nsinks,
		  const struct udaq_digitizer_config *dcfg, double duration,
		  const char *hw);
void daqd_acq_cleanup(struct daqd_acq *acq);

/*
 * daqd_acq_start() - Start the sinks, then the device, then the thread.
 * Control thread only. Return: 0, -EALREADY if running, -errno (with the
 * error logged).
 */
int daqd_acq_start(struct daqd_acq *acq);

/*
 * daqd_acq_stop() - Stop the device (if still running), join the thread,
 * then stop every sink so that each drains what the device produced and
 * closes its outputs. Control thread only; idempotent.
 */
void daqd_acq_stop(struct daqd_acq *acq);

/* daqd_acq_snapshot() - Copy the last status (any thread). */
void daqd_acq_snapshot(struct daqd_acq *acq, struct udaq_digitizer_status *st,
		       double *elapsed, char *error, size_t errlen);

/* Samples per channel the device produced (written or dropped). */
uint64_t daqd_acq_produced(const struct daqd_acq *acq,
			   const struct udaq_digitizer_status *st);

#endif /* DAQD_ACQ_H */
