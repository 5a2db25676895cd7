/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The SigMF recorder sink (docs/sigmf.md): a lossless reader that writes
 * frame payloads straight from the ring into .sigmf-data files with
 * writev(), keeps a capture segment per run of contiguous device samples,
 * annotates every gap with the exact number of samples lost, rotates by
 * size and time, and refreshes the .sigmf-meta atomically at every flush.
 */
#ifndef DAQD_RECORDER_H
#define DAQD_RECORDER_H

#include "config.h"
#include "sink.h"

/*
 * daqd_recorder_new() - A recorder writing into @cfg->output_dir (which
 * must exist and is opened now, before privileges are dropped). @cfg must
 * outlive the sink. Return: 0 or -errno with @err filled.
 */
int daqd_recorder_new(const struct daqd_config *cfg, struct daqd_sink **out,
		      char *err, size_t errlen);

#endif /* DAQD_RECORDER_H */
