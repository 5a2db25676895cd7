/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The --stdout sink: raw interleaved int16 LE samples (no headers, no
 * metadata) for pipes, written with writev() straight from the ring. It is
 * lossless like the recorder; gaps cannot be shown in a raw stream, so they
 * are counted and logged.
 */
#ifndef DAQD_STDOUT_SINK_H
#define DAQD_STDOUT_SINK_H

#include "sink.h"

/* daqd_stdout_sink_new() - A sink writing to @fd (not closed). */
int daqd_stdout_sink_new(int fd, struct daqd_sink **out);

#endif /* DAQD_STDOUT_SINK_H */
