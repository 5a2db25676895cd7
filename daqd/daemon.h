/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon object: what main() sets up and the control requests see. */
#ifndef DAQD_DAEMON_H
#define DAQD_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <json-c/json.h>
#include <uio_daq/digitizer.h>
#include <uio_daq/uio_daq.h>

#include "acq.h"
#include "config.h"
#include "control.h"
#include "sink.h"

#define DAQD_MAX_SINKS	8

struct daqd {
	struct daqd_config cfg;
	struct udaq_ctx *ctx;
	struct udaq_dev *dev;
	struct udaq_digitizer *dg;
	struct udaq_digitizer_config dcfg;
	bool bad_settings;		/* a malformed device spec, settings the device refused, a
				   directory the dropped-to user cannot use: exit 2 */
	char hw[256];
	struct daqd_sink *sinks[DAQD_MAX_SINKS];
	size_t nsinks;
	struct daqd_sink *stdout_sink;	/* also in sinks[] */
	struct daqd_acq acq;
	bool acq_ready;
	struct daqd_control *ctl;
	struct timespec t0;		/* daemon start, CLOCK_MONOTONIC */

	/* Rate estimate, updated by daqd_status_tick(). */
	struct timespec rate_t;
	uint64_t rate_bytes, rate_samples;
	double bytes_per_s, samples_per_s;
};

/* daqd_status_tick() - Update the rate estimate (call about every second). */
void daqd_status_tick(struct daqd *d);

/*
 * daqd_status_json() - The "status" reply body (@stats: with per-sink
 * counters, the "stats" reply). Return: new object or NULL.
 */
struct json_object *daqd_status_json(struct daqd *d, bool stats);

/* daqd_status_text() - One line: the live status line and log lines. */
void daqd_status_text(struct daqd *d, char *buf, size_t len);

/* daqd_summary() - The exit summary, logged line by line. */
void daqd_summary(struct daqd *d);

#endif /* DAQD_DAEMON_H */
