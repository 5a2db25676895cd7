/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * uio_daq: fault injection into the simulated refdaq (device "sim",
 * docs/simulator.md). Public because programs test themselves with it
 * (daqd's fault control command, the test suites, the latency benchmark):
 * write the bits with udaq_map_write32() to REFDAQ_REG_SIM_FAULT of the
 * "regs" map. Each bit triggers its fault once. Real cards read the
 * register as 0 and ignore writes (docs/refdaq.md).
 */
#ifndef UIO_DAQ_SIM_H
#define UIO_DAQ_SIM_H

#define REFDAQ_REG_SIM_FAULT		0xf00
#define REFDAQ_SIM_FAULT_DMA		(1u << 0)  /* next DMA fails */
#define REFDAQ_SIM_FAULT_STALL_WB	(1u << 1)  /* write-back stops updating */
#define REFDAQ_SIM_FAULT_OVERFLOW	(1u << 2)  /* drop the next frame */
#define REFDAQ_SIM_FAULT_GONE		(1u << 3)  /* surprise removal */
#define REFDAQ_SIM_FAULT_UNSTALL	(1u << 4)  /* write-back resumes */
#define REFDAQ_SIM_FAULT_SWIRQ		(1u << 5)  /* set IRQ_DATA now (latency tests) */

#endif /* UIO_DAQ_SIM_H */
