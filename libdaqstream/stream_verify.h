/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Checking a received stream: every sample against the device test pattern
 * (udaq_test_sample()), and the accounting of device sample indexes across
 * DATA and GAP messages (the invariant in docs/stream-protocol.md), so that
 * a sample neither received nor announced missing is detected. Pure logic,
 * one object per stream, one thread.
 */
#ifndef DAQD_STREAM_VERIFY_H
#define DAQD_STREAM_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stream_proto.h"

struct dqs_verify {
	uint32_t decimation;
	uint32_t chan_mask;
	bool check_pattern;	/* compare samples with the test pattern */
	bool started;		/* a DATA or GAP has set @next */
	uint64_t next;		/* device index just past what is accounted for */

	uint64_t data_msgs;
	uint64_t samples;	/* per channel */
	uint64_t gaps;
	uint64_t gap_samples[3];	/* device samples, by reason (index 1, 2) */
	uint64_t bad_samples;	/* pattern mismatches */
	uint64_t bad_sequence;	/* accounting violations */
	char first_error[200];
};

/* dqs_verify_start() - Reset for the stream @h describes. */
void dqs_verify_start(struct dqs_verify *v, const struct dqs_hello *h, bool check_pattern);

/* Account a committed DATA / a GAP / the END. Return the new error count. */
uint64_t dqs_verify_data(struct dqs_verify *v, const struct dqs_data *d);
uint64_t dqs_verify_gap(struct dqs_verify *v, const struct dqs_gap *g);
uint64_t dqs_verify_end(struct dqs_verify *v, const struct dqs_end *e);

/* dqs_verify_errors() - pattern plus sequence errors. */
static inline uint64_t dqs_verify_errors(const struct dqs_verify *v)
{
	return v->bad_samples + v->bad_sequence;
}

#endif /* DAQD_STREAM_VERIFY_H */
