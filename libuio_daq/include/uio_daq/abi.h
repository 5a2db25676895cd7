/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * uio_daq: the stub ABI, what the kernel stub (uio_daq.ko) and every card
 * driver share whatever the card: the UIO maps the stub exposes and the
 * layout of the descriptor map it fills in. docs/kernel.md and
 * docs/refdaq.md describe them in words.
 *
 * Macros only (no types, no includes): the kernel stub, the library, the
 * simulator and the tests include the very same numbers. All memory
 * structures are little-endian.
 *
 * A device bound to the stub exposes exactly three UIO maps, in this order:
 *   map 0 "regs": BAR0, the card's registers (uio_daq/refdaq.h for the
 *                 reference card)
 *   map 1 "ring": the DMA ring, ring_size bytes, made of chunks
 *   map 2 "desc": the descriptor map (chunk table + write-back area),
 *                 read-only to userspace, written by the host kernel
 *                 (table) and by the device (write-back area).
 */
#ifndef UIO_DAQ_ABI_H
#define UIO_DAQ_ABI_H

/* Map indices and names, as the stub registers them and sysfs reports. */
#define UDAQ_MAP_REGS			0
#define UDAQ_MAP_RING			1
#define UDAQ_MAP_DESC			2
#define UDAQ_MAP_REGS_NAME		"regs"
#define UDAQ_MAP_RING_NAME		"ring"
#define UDAQ_MAP_DESC_NAME		"desc"

/* ---- Descriptor map (map 2) ----------------------------------------- */

#define UDAQ_DESC_MAGIC			0x44514452u	/* "RDQD" */
#define UDAQ_DESC_VERSION		1
/* Header, written by the host kernel (stub) or the simulator. */
#define UDAQ_DESC_OFF_MAGIC		0x00	/* u32 */
#define UDAQ_DESC_OFF_VERSION		0x04	/* u32 */
#define UDAQ_DESC_OFF_COUNT		0x08	/* u32 chunks in the table */
#define UDAQ_DESC_OFF_TABLE		0x0c	/* u32 byte offset of table */
#define UDAQ_DESC_OFF_RING_SIZE		0x10	/* u64 total ring bytes */
#define UDAQ_DESC_OFF_SELF_BUS		0x18	/* u64 bus address of this map */
#define UDAQ_DESC_OFF_WB		0x20	/* u32 byte offset of write-back */
/*
 * Where the stub puts the write-back area and the chunk table: the card
 * owns the 64 bytes in between (its layout: REFDAQ_WB_* in uio_daq/refdaq.h).
 */
#define UDAQ_DESC_WB_DEFAULT		0x40
#define UDAQ_DESC_TABLE_DEFAULT		0x80
/* Chunk table entry: u64 bus address, u64 length (multiple of 4 KiB). */
#define UDAQ_CHUNK_OFF_ADDR		0x00
#define UDAQ_CHUNK_OFF_LEN		0x08
#define UDAQ_CHUNK_SIZE			0x10

#define UDAQ_RING_MIN			(64u * 1024u)
#define UDAQ_CHUNK_ALIGN		0x1000	/* chunk address and length */
#define UDAQ_DESC_COUNT_MAX		4096

#endif /* UIO_DAQ_ABI_H */
