/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * refdaq: the reference streaming DAQ card, register and memory layout.
 *
 * This header is the machine-readable half of docs/refdaq.md. It holds only
 * macros (no types) so that the kernel stub, the simulator and the userspace
 * driver all include the very same numbers. All registers are 32 bits wide,
 * little-endian, naturally aligned; 64-bit quantities are split into _LO/_HI
 * halves. All memory structures (descriptor map, frames) are little-endian.
 *
 * The device exposes exactly three UIO maps, in this order:
 *   map 0 "regs": BAR0, REFDAQ_REGS_SIZE bytes of registers
 *   map 1 "ring": the DMA ring, ring_size bytes, made of chunks
 *   map 2 "desc": the descriptor map (chunk table + write-back area),
 *                 read-only to userspace, written by the host kernel
 *                 (table) and by the device (write-back).
 */
#ifndef UIO_DAQ_REFDAQ_REGS_H
#define UIO_DAQ_REFDAQ_REGS_H

/* PCI identity of the refdaq card (and the IDs the stub also binds). */
#define REFDAQ_PCI_VENDOR		0x1234	/* see docs/refdaq.md */
#define REFDAQ_PCI_DEVICE		0xda9c
#define EDU_PCI_VENDOR			0x1234
#define EDU_PCI_DEVICE			0x11e8

/* Map indices and names, as the stub registers them and sysfs reports. */
#define REFDAQ_MAP_REGS			0
#define REFDAQ_MAP_RING			1
#define REFDAQ_MAP_DESC			2
#define REFDAQ_MAP_REGS_NAME		"regs"
#define REFDAQ_MAP_RING_NAME		"ring"
#define REFDAQ_MAP_DESC_NAME		"desc"

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
#define REFDAQ_REG_FORMAT		0x028
#define REFDAQ_FORMAT_I16LE		0
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

/*
 * Simulator-only fault injection (reads 0 and ignores writes on hardware).
 * Writing a bit triggers the fault once.
 */
#define REFDAQ_REG_SIM_FAULT		0xf00
#define REFDAQ_SIM_FAULT_DMA		(1u << 0)  /* next DMA fails */
#define REFDAQ_SIM_FAULT_STALL_WB	(1u << 1)  /* write-back stops updating */
#define REFDAQ_SIM_FAULT_OVERFLOW	(1u << 2)  /* drop the next frame */
#define REFDAQ_SIM_FAULT_GONE		(1u << 3)  /* surprise removal */
#define REFDAQ_SIM_FAULT_UNSTALL	(1u << 4)  /* write-back resumes */
#define REFDAQ_SIM_FAULT_SWIRQ		(1u << 5)  /* set IRQ_DATA now (latency tests) */

/* ---- Descriptor map (map 2) ----------------------------------------- */

#define REFDAQ_DESC_MAGIC		0x44514452u	/* "RDQD" */
#define REFDAQ_DESC_VERSION		1
/* Header, written by the host kernel (stub) or the simulator. */
#define REFDAQ_DESC_OFF_MAGIC		0x00	/* u32 */
#define REFDAQ_DESC_OFF_VERSION		0x04	/* u32 */
#define REFDAQ_DESC_OFF_COUNT		0x08	/* u32 chunks in the table */
#define REFDAQ_DESC_OFF_TABLE		0x0c	/* u32 byte offset of table */
#define REFDAQ_DESC_OFF_RING_SIZE	0x10	/* u64 total ring bytes */
#define REFDAQ_DESC_OFF_SELF_BUS	0x18	/* u64 bus address of this map */
#define REFDAQ_DESC_OFF_WB		0x20	/* u32 byte offset of write-back */
/* Write-back area, written by the device by DMA. */
#define REFDAQ_WB_OFF_WR_PTR		0x00	/* u64, written last per frame */
#define REFDAQ_WB_OFF_LOST		0x08	/* u64 samples dropped */
#define REFDAQ_WB_OFF_FRAMES		0x10	/* u64 frames written */
#define REFDAQ_WB_OFF_STATUS		0x18	/* u32 copy of STATUS */
#define REFDAQ_WB_SIZE			0x40
#define REFDAQ_DESC_WB_DEFAULT		0x40
#define REFDAQ_DESC_TABLE_DEFAULT	0x80
/* Chunk table entry: u64 bus address, u64 length (multiple of 4 KiB). */
#define REFDAQ_CHUNK_OFF_ADDR		0x00
#define REFDAQ_CHUNK_OFF_LEN		0x08
#define REFDAQ_CHUNK_SIZE		0x10

#define REFDAQ_RING_MIN			(64u * 1024u)
#define REFDAQ_CHUNK_ALIGN		0x1000	/* chunk address and length */
#define REFDAQ_DESC_COUNT_MAX		4096

/* Reset values of the configuration registers. */
#define REFDAQ_FRAME_SAMPLES_DEFAULT	1024
#define REFDAQ_CHAN_MASK_DEFAULT	0x1

/* ---- Frames in the ring --------------------------------------------- */

#define REFDAQ_FRAME_MAGIC		0x46514452u	/* "RDQF" */
#define REFDAQ_FRAME_HDR_LEN		48
#define REFDAQ_FRAME_ALIGN		8
#define REFDAQ_FRAME_OFF_MAGIC		0x00	/* u32 */
#define REFDAQ_FRAME_OFF_HDR_LEN	0x04	/* u16 */
#define REFDAQ_FRAME_OFF_FLAGS		0x06	/* u16 */
#define REFDAQ_FRAME_OFF_SEQ		0x08	/* u64 every frame generated */
#define REFDAQ_FRAME_OFF_TIMESTAMP	0x10	/* u64 ns since start */
#define REFDAQ_FRAME_OFF_FIRST_SAMPLE	0x18	/* u64 device sample index */
#define REFDAQ_FRAME_OFF_NSAMPLES	0x20	/* u32 samples per channel */
#define REFDAQ_FRAME_OFF_CHAN_MASK	0x24	/* u32 */
#define REFDAQ_FRAME_OFF_PAYLOAD_LEN	0x28	/* u32 bytes of samples */
#define REFDAQ_FRAME_OFF_FORMAT		0x2c	/* u16 REFDAQ_FORMAT_* */
#define REFDAQ_FRAME_FLAG_GAP		(1u << 0)  /* frames were dropped before */
#define REFDAQ_FRAME_FLAG_TEST		(1u << 1)  /* payload is the test pattern */
#define REFDAQ_FRAME_FLAG_LAST		(1u << 2)  /* last frame of acquisition */
/*
 * A frame occupies REFDAQ_FRAME_HDR_LEN + payload_len rounded up to
 * REFDAQ_FRAME_ALIGN bytes. Every frame of one acquisition has the same
 * length (FRAME_SAMPLES x enabled channels), so frame k of the byte stream
 * starts at k * frame length: a reader that lost bytes resynchronises by
 * rounding its position up. Frames may straddle the ring's end.
 */

/* Test pattern: sample of channel c at device sample index n. */
#define REFDAQ_TEST_MULT		0x9E3779B97F4A7C15ull

#endif /* UIO_DAQ_REFDAQ_REGS_H */
