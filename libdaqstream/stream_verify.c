/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Stream verification (see stream_verify.h).
 */
#include "stream_verify.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <uio_daq/frame.h>

__attribute__((format(printf, 2, 3)))
static void note(struct dqs_verify *v, const char *fmt, ...)
{
	va_list ap;

	if (v->first_error[0])
		return;
	va_start(ap, fmt);
	vsnprintf(v->first_error, sizeof(v->first_error), fmt, ap);
	va_end(ap);
}

static uint64_t round_up(uint64_t x, uint32_t n)
{
	uint64_t r = x % n;

	return r ? x + (n - r) : x;
}

void dqs_verify_start(struct dqs_verify *v, const struct dqs_hello *h, bool check_pattern)
{
	uint64_t bad_samples = v->bad_samples, bad_seq = v->bad_sequence;
	char first[sizeof(v->first_error)];

	/* Errors survive a new acquisition; the accounting restarts. */
	memcpy(first, v->first_error, sizeof(first));
	memset(v, 0, sizeof(*v));
	memcpy(v->first_error, first, sizeof(first));
	v->bad_samples = bad_samples;
	v->bad_sequence = bad_seq;
	v->decimation = h->decimation;
	v->chan_mask = h->chan_mask;
	v->check_pattern = check_pattern;
}

uint64_t dqs_verify_data(struct dqs_verify *v, const struct dqs_data *d)
{
	const uint8_t *p = d->samples;
	unsigned int chans[DQS_MAX_CHANNELS], nchan = 0;

	if (v->started && d->first_sample != round_up(v->next, v->decimation)) {
		v->bad_sequence++;
		note(v, "DATA starts at device sample %llu, expected %llu",
		     (unsigned long long)d->first_sample,
		     (unsigned long long)round_up(v->next, v->decimation));
	}
	if (d->first_sample % v->decimation) {
		v->bad_sequence++;
		note(v, "DATA first sample %llu is not a multiple of the decimation %u",
		     (unsigned long long)d->first_sample, v->decimation);
	}
	for (unsigned int c = 0; c < DQS_MAX_CHANNELS; c++)
		if (v->chan_mask & (1u << c))
			chans[nchan++] = c;
	if (v->check_pattern && nchan == d->nchan) {
		for (uint32_t i = 0; i < d->nsamples; i++) {
			uint64_t n = d->first_sample + (uint64_t)i * v->decimation;

			for (unsigned int k = 0; k < nchan; k++, p += 2) {
				int16_t got = (int16_t)(uint16_t)(p[0] | (p[1] << 8));
				int16_t want = udaq_test_sample(n, chans[k]);

				if (got != want) {
					v->bad_samples++;
					note(v, "sample %llu channel %u is %d, the test pattern is %d",
					     (unsigned long long)n, chans[k], got, want);
				}
			}
		}
	}
	v->started = true;
	v->next = d->first_sample + (uint64_t)(d->nsamples - 1) * v->decimation + 1;
	v->data_msgs++;
	v->samples += d->nsamples;
	return dqs_verify_errors(v);
}

uint64_t dqs_verify_gap(struct dqs_verify *v, const struct dqs_gap *g)
{
	if (v->started && (g->first_sample < v->next ||
			   g->first_sample > round_up(v->next, v->decimation))) {
		v->bad_sequence++;
		note(v, "GAP starts at device sample %llu, expected %llu..%llu",
		     (unsigned long long)g->first_sample, (unsigned long long)v->next,
		     (unsigned long long)round_up(v->next, v->decimation));
	}
	v->started = true;
	v->next = g->first_sample + g->nsamples;
	v->gaps++;
	if (g->reason < 3)
		v->gap_samples[g->reason] += g->nsamples;
	return dqs_verify_errors(v);
}

uint64_t dqs_verify_end(struct dqs_verify *v, const struct dqs_end *e)
{
	if (v->started && (e->end_sample < v->next ||
			   e->end_sample > round_up(v->next, v->decimation))) {
		v->bad_sequence++;
		note(v, "END at device sample %llu, but samples up to %llu are accounted for",
		     (unsigned long long)e->end_sample, (unsigned long long)v->next);
	}
	return dqs_verify_errors(v);
}
