/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small acquisition rig for the stream tests and benchmark: the simulated
 * refdaq producing the test pattern, the net sink on a Unix socket and an
 * ephemeral loopback TCP port, an acquisition thread that only wakes the
 * sink (as daqd's does), and optionally a lossless "recorder" that checks
 * every sample it consumes, standing in for daqd's SigMF recorder.
 */
#ifndef STREAM_TEST_RIG_H
#define STREAM_TEST_RIG_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <uio_daq/digitizer.h>

#include "sink.h"
#include "stream_server.h"

struct rig_config {
	const char *sim_opts;		/* "ring=4M,channels=8" */
	uint32_t rate;			/* 0: free-running */
	uint32_t chan_mask;
	uint32_t frame_samples;		/* 0: driver default */
	bool recorder;			/* run the lossless checker */
	unsigned int max_clients;
	unsigned int request_timeout_ms;
	unsigned int stall_timeout_ms;
};

struct rig {
	struct rig_config cfg;
	struct udaq_ctx *ctx;
	struct udaq_dev *dev;
	struct udaq_digitizer *dg;
	struct daqd_stream st;
	struct daqd_sink *net;
	char dir[64];
	char unix_addr[128];
	char tcp_addr[128];

	pthread_t acq;
	atomic_bool acq_stop;
	bool running;

	pthread_t rec;
	struct udaq_reader *rec_reader;
	atomic_bool rec_stop;
	_Atomic uint64_t rec_samples;
	_Atomic uint64_t rec_gaps;
	_Atomic uint64_t rec_bad;
};

/* Open the device and the sink. Return 0 or -errno (message on stderr). */
int rig_open(struct rig *r, const struct rig_config *cfg);
/* Start / stop one acquisition (the sink sends HELLO / END). */
int rig_start(struct rig *r);
void rig_stop(struct rig *r);
void rig_close(struct rig *r);

/* Device status counters, for "the device lost nothing". */
int rig_status(struct rig *r, struct udaq_digitizer_status *st);

/* Open file descriptors of this process. */
int rig_count_fds(void);

#endif /* STREAM_TEST_RIG_H */
