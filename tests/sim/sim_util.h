/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by the sim suite: open a simulated refdaq, verify frames. */
#ifndef SIM_UTIL_H
#define SIM_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include <uio_daq/digitizer.h>
#include <uio_daq/uio_daq.h>

struct sim {
	struct udaq_ctx *ctx;
	struct udaq_dev *dev;
	struct udaq_digitizer *dg;
	struct udaq_map *regs;
};

/* Open @spec and a digitizer on it; fails the test on error. */
void sim_open(struct sim *s, const char *spec);
void sim_close(struct sim *s);
/* Configure (failing the test with the driver's message) and start. */
void sim_configure(struct sim *s, const struct udaq_digitizer_config *cfg);
/* Write SIM_FAULT bits. */
void sim_fault(struct sim *s, uint32_t bits);

/* What a consumer saw, checked frame by frame. */
struct checker {
	uint32_t frame_samples;
	uint32_t chan_mask;
	size_t frame_len;
	bool started;
	uint64_t next_seq;
	uint64_t next_sample;
	uint64_t frames;
	uint64_t bytes;
	uint64_t sample_jumps;	/* sum of first_sample jumps */
	uint64_t seq_jumps;	/* frames missing between frames seen */
	uint64_t gaps;		/* frames flagged GAP */
	uint64_t lost_bytes;	/* reported by the reader (lossy overruns) */
	uint64_t bad_samples;
	uint64_t bad_headers;
	uint64_t gap_mismatch;	/* a jump without GAP or GAP without a jump */
	uint64_t torn_bytes;	/* lossy: bytes of torn frames since the last good one */
	uint64_t torn;		/* lossy: frames overwritten while being checked */
};

void checker_init(struct checker *ck, const struct udaq_digitizer *dg,
		  const struct udaq_digitizer_config *cfg);
/*
 * Check one frame. @device_drops: true if sequence jumps come from the
 * device (stop policy, GAP flagged), false if from the reader (lossy).
 */
void checker_frame(struct checker *ck, const struct udaq_frame *fr, bool device_drops);

/*
 * Check the whole frames available to @rd with @ck, at most 1024 (a device
 * in overwrite mode may never let a reader catch up); returns frames seen.
 */
uint64_t drain(struct udaq_reader *rd, struct checker *ck, bool device_drops);

/*
 * The same for a lossy reader: frames overwritten while being checked
 * (udaq_frame_check() says -ESTALE) are discarded and count as lost.
 */
uint64_t drain_lossy(struct udaq_reader *rd, struct checker *ck);

/* Drain until nothing is left (after the device stopped). */
void drain_all(struct udaq_reader *rd, struct checker *ck, bool device_drops);
void drain_lossy_all(struct udaq_reader *rd, struct checker *ck);

/* CLOCK_MONOTONIC in ns. */
uint64_t mono_ns(void);

#endif
