/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <endian.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <uio_daq/frame.h>
#include <uio_daq/sim.h>

#include "sim_util.h"

#define DRAIN_MAX	1024

void sim_open(struct sim *s, const char *spec)
{
	char msg[256];
	int ret;

	memset(s, 0, sizeof(*s));
	assert_int_equal(udaq_ctx_new(&s->ctx), 0);
	ret = udaq_dev_open(s->ctx, spec, &s->dev);
	if (ret) {
		udaq_sim_options_check(spec, msg, sizeof(msg));
		fail_msg("udaq_dev_open(%s): %d: %s", spec, ret, msg);
	}
	assert_int_equal(udaq_digitizer_open(s->dev, &s->dg), 0);
	assert_int_equal(udaq_dev_map_by_name(s->dev, "regs", 0, &s->regs), 0);
}

void sim_close(struct sim *s)
{
	udaq_digitizer_close(s->dg);
	udaq_dev_close(s->dev);
	udaq_ctx_free(s->ctx);
}

void sim_configure(struct sim *s, const struct udaq_digitizer_config *cfg)
{
	char msg[256];

	if (udaq_digitizer_config_check(s->dg, cfg, msg, sizeof(msg)))
		fail_msg("config rejected: %s", msg);
	assert_int_equal(udaq_digitizer_configure(s->dg, cfg), 0);
}

void sim_fault(struct sim *s, uint32_t bits)
{
	udaq_map_write32(s->regs, REFDAQ_REG_SIM_FAULT, bits);
}

void checker_init(struct checker *ck, const struct udaq_digitizer *dg,
		  const struct udaq_digitizer_config *cfg)
{
	memset(ck, 0, sizeof(*ck));
	ck->chan_mask = cfg->chan_mask;
	ck->frame_len = udaq_digitizer_frame_len(dg);
	/* The driver's default frame size: recover it from the frame length. */
	ck->frame_samples = (uint32_t)((ck->frame_len - UDAQ_FRAME_HDR_LEN) /
				       (2u * (unsigned int)__builtin_popcount(cfg->chan_mask)));
	if (cfg->frame_samples)
		ck->frame_samples = cfg->frame_samples;
}

void checker_frame(struct checker *ck, const struct udaq_frame *fr, bool device_drops)
{
	const unsigned char *p = fr->samples;
	unsigned int chans[32], nch = 0, c;
	uint64_t seq_jump, sample_jump;
	uint32_t i;

	if (fr->nsamples != ck->frame_samples || fr->chan_mask != ck->chan_mask ||
	    fr->frame_len != ck->frame_len || !(fr->flags & UDAQ_FRAME_FLAG_TEST) ||
	    fr->first_sample != fr->seq * ck->frame_samples)
		ck->bad_headers++;
	seq_jump = fr->seq - ck->next_seq;
	sample_jump = fr->first_sample - ck->next_sample;
	if (seq_jump >= (UINT64_C(1) << 63))
		ck->bad_headers++;	/* went backwards */
	else {
		ck->seq_jumps += seq_jump;
		ck->sample_jumps += sample_jump;
	}
	if (fr->flags & UDAQ_FRAME_FLAG_GAP)
		ck->gaps++;
	if (device_drops && (seq_jump != 0) != !!(fr->flags & UDAQ_FRAME_FLAG_GAP))
		ck->gap_mismatch++;
	if (!device_drops && fr->lost_bytes + ck->torn_bytes != seq_jump * ck->frame_len)
		ck->gap_mismatch++;
	ck->lost_bytes += fr->lost_bytes;
	ck->torn_bytes = 0;

	for (c = 0; c < 32; c++)
		if (fr->chan_mask & (1u << c))
			chans[nch++] = c;
	for (i = 0; i < fr->nsamples; i++) {
		uint16_t base = (uint16_t)udaq_test_sample(fr->first_sample + i, 0);

		for (c = 0; c < nch; c++) {
			uint16_t v;

			memcpy(&v, p, 2);
			p += 2;
			if (le16toh(v) != (uint16_t)(base ^ chans[c]))
				ck->bad_samples++;
		}
	}
	ck->next_seq = fr->seq + 1;
	ck->next_sample = fr->first_sample + fr->nsamples;
	ck->frames++;
	ck->bytes += fr->frame_len;
}

uint64_t drain(struct udaq_reader *rd, struct checker *ck, bool device_drops)
{
	struct udaq_frame fr;
	uint64_t n = 0;
	int ret = 0;

	while (n < DRAIN_MAX && (ret = udaq_frame_next(rd, ck->frame_len, &fr)) > 0) {
		checker_frame(ck, &fr, device_drops);
		assert_int_equal(udaq_frame_release(rd, &fr), 0);
		n++;
	}
	assert_true(ret >= 0);
	return n;
}

uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t drain_lossy(struct udaq_reader *rd, struct checker *ck)
{
	struct udaq_frame fr;
	struct checker saved;
	uint64_t n = 0;
	int ret = 0;

	while (n < DRAIN_MAX && (ret = udaq_frame_next(rd, ck->frame_len, &fr)) > 0) {
		saved = *ck;
		checker_frame(ck, &fr, false);
		/* Overwritten while we checked it: forget what we saw. */
		if (udaq_frame_check(rd, &fr)) {
			*ck = saved;
			ck->torn_bytes += fr.lost_bytes + fr.frame_len;
			ck->lost_bytes += fr.lost_bytes;
			ck->torn++;
		}
		assert_int_equal(udaq_frame_release(rd, &fr), 0);
		n++;
	}
	assert_true(ret >= 0);
	return n;
}

void drain_all(struct udaq_reader *rd, struct checker *ck, bool device_drops)
{
	while (drain(rd, ck, device_drops) == DRAIN_MAX)
		;
}

void drain_lossy_all(struct udaq_reader *rd, struct checker *ck)
{
	while (drain_lossy(rd, ck) == DRAIN_MAX)
		;
}
