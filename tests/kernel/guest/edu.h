/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * QEMU's "edu" test device, as the guest checks drive it through the regs
 * map (layout from QEMU's docs/specs/edu.rst). Everything here is a test
 * fixture: the stub itself knows nothing about edu.
 */
#ifndef KCHECK_EDU_H
#define KCHECK_EDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EDU_PCI_VENDOR		0x1234
#define EDU_PCI_DEVICE		0x11e8
#define EDU_REG_ID		0x00	/* reads 0x010000ed */
#define EDU_ID_VALUE		0x010000edu
#define EDU_REG_IRQ_STATUS	0x24
#define EDU_REG_IRQ_RAISE	0x60
#define EDU_REG_IRQ_ACK		0x64
#define EDU_REG_DMA_SRC		0x80	/* 64-bit registers from here on */
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_CNT		0x90
#define EDU_REG_DMA_CMD		0x98
#define EDU_DMA_RUN		0x1
#define EDU_DMA_TO_RAM		0x2
#define EDU_DMA_IRQ		0x4
#define EDU_IRQ_DMA		0x100
#define EDU_BUF			0x40000	/* device-internal buffer, DMA only */
/* QEMU 7.2 refuses a transfer that ends exactly at the buffer's end. */
#define EDU_DMA_MAX		2048

uint32_t edu_rd32(volatile void *regs, size_t off);
void edu_wr32(volatile void *regs, size_t off, uint32_t v);
/*
 * One DMA, waiting for completion (edu takes ~100 ms of virtual time).
 * @to_ram: true moves edu buffer -> @bus, false @bus -> edu buffer.
 * Return 0, or -ETIMEDOUT.
 */
int edu_dma(volatile void *regs, uint64_t bus, uint32_t buf_off, uint32_t len,
	    bool to_ram, bool irq);

#endif /* KCHECK_EDU_H */
