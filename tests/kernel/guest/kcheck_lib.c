// SPDX-License-Identifier: GPL-2.0-only
/*
 * The stub through libuio_daq, statically linked into the guest program:
 * open by UIO name, map every map the way the library does (the ring
 * double, desc read-only), read edu's ID through the register accessors,
 * DMA through the library's mappings and wait for an interrupt with
 * udaq_dev_irq_wait().
 */
#include "kcheck.h"

#include <string.h>

#include <uio_daq/uio_daq.h>

#include "edu.h"

/* lib <uioN> */
int cmd_lib(int argc, char **argv)
{
	struct udaq_map *regs = NULL, *ring = NULL, *desc = NULL;
	struct udaq_ctx *ctx = NULL;
	struct udaq_dev *dev = NULL;
	uint32_t missed = 0;
	struct kdev d;
	int r;

	if (argc != 2)
		return !check(false, "lib: usage: lib uioN");
	if (!check(udaq_ctx_new(&ctx) == 0, "lib: context"))
		return 1;
	r = udaq_dev_open(ctx, argv[1], &dev);
	if (!check(r == 0, "lib: udaq_dev_open(\"%s\") = %d", argv[1], r)) {
		udaq_ctx_free(ctx);
		return 1;
	}
	check(!strcmp(udaq_dev_name(dev), "uio_daq") && udaq_dev_num_maps(dev) == 3 &&
	      udaq_dev_pci_vendor(dev) == EDU_PCI_VENDOR &&
	      udaq_dev_pci_device(dev) == EDU_PCI_DEVICE,
	      "lib: name \"%s\", %zu maps, PCI %04x:%04x", udaq_dev_name(dev),
	      udaq_dev_num_maps(dev), udaq_dev_pci_vendor(dev), udaq_dev_pci_device(dev));

	r = udaq_dev_map_by_name(dev, UDAQ_MAP_REGS_NAME, 0, &regs);
	check(r == 0, "lib: map \"regs\" (%d)", r);
	r = udaq_dev_map_by_name(dev, UDAQ_MAP_RING_NAME, UDAQ_MAP_DOUBLE, &ring);
	check(r == 0, "lib: map \"ring\" double (%d)", r);
	r = udaq_dev_map_by_name(dev, UDAQ_MAP_DESC_NAME, UDAQ_MAP_READONLY, &desc);
	check(r == 0, "lib: map \"desc\" read-only (%d)", r);
	if (!regs || !ring || !desc) {
		udaq_dev_close(dev);
		udaq_ctx_free(ctx);
		return 1;
	}
	check(udaq_map_read32(regs, EDU_REG_ID) == EDU_ID_VALUE,
	      "lib: udaq_map_read32(regs, 0) reads edu's ID 0x%08x",
	      udaq_map_read32(regs, EDU_REG_ID));

	/* Reuse the raw checks' loopback on the library's mappings. */
	r = kdev_open(&d, argv[1]);
	if (!r) {
		d.regs = udaq_map_addr(regs);
		d.ring = udaq_map_addr(ring);
		d.desc = udaq_map_addr(desc);
		r = kdev_parse_table(&d);
	}
	if (check(r == 0 && udaq_map_size(ring) == d.size[1], "lib: map sizes match sysfs")) {
		d.ring[0] = 0x3c;
		check(d.ring[d.size[1]] == 0x3c, "lib: double ring mapping aliases");
		loopback(&d, d.nchunks > 1 ? d.nchunks - 1 : 1, "libuio_daq maps");
	}
	/* The maps belong to the library: do not let kdev_close unmap them. */
	d.regs = NULL;
	d.ring = NULL;
	d.desc = NULL;
	kdev_close(&d);

	udaq_map_write32(regs, EDU_REG_IRQ_RAISE, 0x40);
	r = udaq_dev_irq_wait(dev, 2000, &missed);
	check(r == 1 && missed == 0 && udaq_dev_irq_count(dev) == 1,
	      "lib: udaq_dev_irq_wait sees the interrupt (%d, missed %u)", r, missed);
	udaq_map_write32(regs, EDU_REG_IRQ_ACK, 0x40);
	r = udaq_dev_irq_enable(dev, true);
	check(r == 0, "lib: udaq_dev_irq_enable re-arms (%d)", r);
	r = udaq_dev_irq_wait(dev, 200, NULL);
	check(r == 0, "lib: no further interrupt (%d)", r);

	udaq_dev_close(dev);
	udaq_ctx_free(ctx);
	return check_failures();
}
