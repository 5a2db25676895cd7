/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The trigger sink (docs/triggers.md): a lossy reader on the ring (it never
 * holds the device) that scans one channel for a condition and writes each
 * event, the samples before and after the trigger, as its own SigMF
 * recording, with the history taken from the ring itself.
 */
#ifndef DAQD_TRIGGER_H
#define DAQD_TRIGGER_H

#include "config.h"
#include "sink.h"

/*
 * daqd_trigger_new() - The sink of trigger @tc, writing into @tc->dir or
 * else @cfg->output_dir (created and opened now). @cfg and @tc must
 * outlive the sink. Return: 0 or -errno with @err filled.
 */
int daqd_trigger_new(const struct daqd_config *cfg, const struct daqd_trigger_cfg *tc,
		     struct daqd_sink **out, char *err, size_t errlen);

/*
 * daqd_trigger_check_ring() - Can a ring of @ring bytes, with frames of
 * @frame_len bytes and samples of @sample_bytes, ever hold @tc's
 * pre-trigger window? (It holds at most its size minus the frame being
 * written.) Return: 0, or -EINVAL with @err naming the numbers.
 */
int daqd_trigger_check_ring(const struct daqd_trigger_cfg *tc, size_t ring, size_t frame_len,
			    size_t sample_bytes, char *err, size_t errlen);

#endif /* DAQD_TRIGGER_H */
