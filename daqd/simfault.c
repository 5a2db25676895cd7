// SPDX-License-Identifier: GPL-2.0-or-later
#include "simfault.h"

#include <errno.h>
#include <string.h>

#include <uio_daq/abi.h>
#include <uio_daq/sim.h>

const char daqd_sim_fault_names[] = "overflow, dma, gone, stall, unstall";

static const struct {
	const char *name;
	uint32_t bit;
} faults[] = {
	{ "overflow", REFDAQ_SIM_FAULT_OVERFLOW },	/* drop the next frame */
	{ "dma", REFDAQ_SIM_FAULT_DMA },
	{ "gone", REFDAQ_SIM_FAULT_GONE },
	{ "stall", REFDAQ_SIM_FAULT_STALL_WB },
	{ "unstall", REFDAQ_SIM_FAULT_UNSTALL },
};

int daqd_sim_fault(struct udaq_dev *dev, const char *name)
{
	struct udaq_map *regs;
	int ret;

	if (!udaq_dev_is_sim(dev))
		return -ENOTSUP;
	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		if (strcmp(faults[i].name, name))
			continue;
		/* The driver mapped the registers already; this returns that map. */
		ret = udaq_dev_map_by_name(dev, UDAQ_MAP_REGS_NAME, 0, &regs);
		if (ret)
			return ret;
		udaq_map_write32(regs, REFDAQ_REG_SIM_FAULT, faults[i].bit);
		return 0;
	}
	return -EINVAL;
}
