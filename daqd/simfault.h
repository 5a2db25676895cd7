/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fault injection into the simulated refdaq (control request "sim-fault"),
 * so that overflow, DMA errors and surprise removal can be forced and
 * tested end to end. Refused on real hardware.
 */
#ifndef DAQD_SIMFAULT_H
#define DAQD_SIMFAULT_H

#include <stddef.h>

#include <uio_daq/uio_daq.h>

/* The fault names accepted, for messages: "overflow, dma, gone, stall, unstall". */
extern const char daqd_sim_fault_names[];

/*
 * daqd_sim_fault() - Trigger fault @name once on @dev.
 * Return: 0; -ENOTSUP if @dev is not the simulator; -EINVAL for an unknown
 * name; -errno from mapping the registers.
 */
int daqd_sim_fault(struct udaq_dev *dev, const char *name);

#endif /* DAQD_SIMFAULT_H */
