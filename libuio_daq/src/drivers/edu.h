/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private to libuio_daq: QEMU's edu device driven as a loopback streaming
 * digitizer (edu.c, docs/edu-digitizer.md), for digitizer.c's driver table.
 */
#ifndef UIO_DAQ_EDU_H
#define UIO_DAQ_EDU_H

#include "stream_internal.h"

extern const struct udaq_digitizer_ops udaq_edu_ops;

#endif /* UIO_DAQ_EDU_H */
