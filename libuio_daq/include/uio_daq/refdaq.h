/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * refdaq: the reference streaming DAQ card, its PCI identity, registers and
 * write-back area.
 *
 * This header is the machine-readable half of docs/refdaq.md. It holds only
 * macros (no types) so that the kernel stub, the simulator and the userspace
 * driver all include the very same numbers. All registers are 32 bits wide,
 * little-endian, naturally aligned; 64-bit quantities are split into _LO/_HI
 * halves. The maps the card is reached through and the descriptor map are
 * the stub ABI, the same for every card (uio_daq/abi.h); its frames are in
 * the card-independent frame format (uio_daq/frame.h); the simulator's
 * fault-injection register is in uio_daq/sim.h.
 */
#ifndef UIO_DAQ_REFDAQ_H
#define UIO_DAQ_REFDAQ_H

/* PCI identity of the refdaq card (the stub binds it by this ID). */
#define REFDAQ_PCI_VENDOR		0x1234	/* see docs/refdaq.md */
#define REFDAQ_PCI_DEVICE		0xda9c

/* BAR0 (map UDAQ_MAP_REGS). */
#define REFDAQ_REGS_SIZE		0x1000

/* ---- Registers (BAR0) ------------------------------------------------ */

/* Identification: reads REFDAQ_ID_MAGIC ("RDAQ"). All-ones means gone. */
#define REFDAQ_REG_ID			0x000
#define REFDAQ_ID_MAGIC			0x51414452u
/* Version: major in 31:16, minor in 15:0. */
#define REFDAQ_REG_VERSION		0x004
#define REFDAQ_VERSION_1_0		0x00010000u
/* Capabilities. */
#define REFDAQ_REG_CAPS			0x008
#define REFDAQ_CAPS_NCHAN_MASK		0x000000ffu	/* channels on the card */
#define REFDAQ_CAPS_WIDTH_SHIFT		8
#define REFDAQ_CAPS_WIDTH_MASK		0x0000ff00u	/* sample width in bits */
#define REFDAQ_CAPS_OVERWRITE		(1u << 16)	/* overwrite policy */
#define REFDAQ_CAPS_TEST_PATTERN	(1u << 17)
#define REFDAQ_CAPS_FMT_I16LE		(1u << 24)	/* format bitmap */
/* Highest sample rate per channel, Hz. */
#define REFDAQ_REG_MAX_RATE		0x00c

/* Control. */
#define REFDAQ_REG_CTRL			0x010
#define REFDAQ_CTRL_ENABLE		(1u << 0)  /* 0->1 starts acquisition */
#define REFDAQ_CTRL_RESET		(1u << 1)  /* self-clearing soft reset */
#define REFDAQ_CTRL_TEST_PATTERN	(1u << 2)  /* samples = test pattern */
#define REFDAQ_CTRL_OVERWRITE		(1u << 3)  /* full-ring policy; 0 = stop */
#define REFDAQ_CTRL_FREERUN		(1u << 4)  /* ignore SAMPLE_RATE pacing */

/* Status. Bits 15:8 are sticky and write-1-to-clear. */
#define REFDAQ_REG_STATUS		0x014
#define REFDAQ_STATUS_RUNNING		(1u << 0)
#define REFDAQ_STATUS_RESETTING		(1u << 1)
#define REFDAQ_STATUS_RING_FULL		(1u << 2)  /* stop policy, waiting */
#define REFDAQ_STATUS_ERR_DMA		(1u << 8)  /* DMA failed; acquisition halted */
#define REFDAQ_STATUS_ERR_OVERFLOW	(1u << 9)  /* samples were lost */
#define REFDAQ_STATUS_ERR_CONFIG	(1u << 10) /* ENABLE refused: bad config */
#define REFDAQ_STATUS_STICKY_MASK	0x0000ff00u

/* Interrupts: status is write-1-to-clear, mask bit 1 = enabled. */
#define REFDAQ_REG_IRQ_STATUS		0x018
#define REFDAQ_REG_IRQ_MASK		0x01c
#define REFDAQ_IRQ_DATA			(1u << 0)  /* byte threshold reached */
#define REFDAQ_IRQ_TIMEOUT		(1u << 1)  /* data pending, timeout hit */
#define REFDAQ_IRQ_ERROR		(1u << 2)  /* a sticky error bit was set */
#define REFDAQ_IRQ_OVERFLOW		(1u << 3)  /* a frame was dropped */
#define REFDAQ_IRQ_ALL			0x0000000fu

/* Acquisition configuration; writable only while not RUNNING. */
#define REFDAQ_REG_SAMPLE_RATE		0x020	/* Hz per channel */
#define REFDAQ_REG_CHAN_MASK		0x024	/* bit c = channel c enabled */
#define REFDAQ_REG_FORMAT		0x028	/* UDAQ_FORMAT_*, uio_daq/frame.h */
#define REFDAQ_REG_FRAME_SAMPLES	0x02c	/* samples per channel per frame */
#define REFDAQ_REG_IRQ_THRESHOLD	0x030	/* bytes between DATA irqs */
#define REFDAQ_REG_IRQ_TIMEOUT_US	0x034	/* 0 = no timeout irq */

/* Ring programming: bus addresses of the chunk table and write-back area. */
#define REFDAQ_REG_DESC_ADDR_LO		0x040
#define REFDAQ_REG_DESC_ADDR_HI		0x044
#define REFDAQ_REG_DESC_COUNT		0x048	/* chunks in the table */
#define REFDAQ_REG_WB_ADDR_LO		0x050
#define REFDAQ_REG_WB_ADDR_HI		0x054

/*
 * Pointers are 64-bit byte counters since acquisition start; the ring
 * offset is the counter modulo the ring size. Reading WR_PTR_LO latches
 * WR_PTR_HI. RD_PTR takes effect when RD_PTR_HI is written (write LO first).
 */
#define REFDAQ_REG_WR_PTR_LO		0x060
#define REFDAQ_REG_WR_PTR_HI		0x064
#define REFDAQ_REG_RD_PTR_LO		0x068
#define REFDAQ_REG_RD_PTR_HI		0x06c
/* Counters, read-only, cleared by reset and on ENABLE 0->1. LO latches HI. */
#define REFDAQ_REG_LOST_LO		0x070	/* samples (per channel) dropped */
#define REFDAQ_REG_LOST_HI		0x074
#define REFDAQ_REG_FRAMES_LO		0x078	/* frames written to the ring */
#define REFDAQ_REG_FRAMES_HI		0x07c

/* ---- Write-back area ------------------------------------------------ */

/*
 * The card writes its progress by DMA into the write-back area of the
 * descriptor map (at UDAQ_DESC_OFF_WB, uio_daq/abi.h).
 */
#define REFDAQ_WB_OFF_WR_PTR		0x00	/* u64, written last per frame */
#define REFDAQ_WB_OFF_LOST		0x08	/* u64 samples dropped */
#define REFDAQ_WB_OFF_FRAMES		0x10	/* u64 frames written */
#define REFDAQ_WB_OFF_STATUS		0x18	/* u32 copy of STATUS */
#define REFDAQ_WB_SIZE			0x40

/* Reset values of the configuration registers. */
#define REFDAQ_FRAME_SAMPLES_DEFAULT	1024
#define REFDAQ_CHAN_MASK_DEFAULT	0x1

#endif /* UIO_DAQ_REFDAQ_H */
