/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private to the edu driver (docs/edu-digitizer.md): edu's registers, the
 * driver's state and what its files share. edu.c: probe, open, configure,
 * start, stop, status. edu_regs.c: register access beyond one read or
 * write (wide stores, removal, the DMA engine, the interrupt). edu_dma.c:
 * the device the driver plays, frames moved into the ring by edu's DMA.
 */
#ifndef UIO_DAQ_EDU_H
#define UIO_DAQ_EDU_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <uio_daq/digitizer.h>
#include <uio_daq/uio_daq.h>

#include "common.h"
#include "stream_internal.h"

#define EDU_PCI_VENDOR		0x1234
#define EDU_PCI_DEVICE		0x11e8
#define EDU_REGS_SIZE		0x100000
#define EDU_REG_ID		0x00
#define EDU_ID_MASK		0x0000ffffu	/* 0xRRrr00ed: revision on top */
#define EDU_ID_VALUE		0x000000edu
#define EDU_REG_IRQ_STATUS	0x24
#define EDU_REG_IRQ_ACK		0x64
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_CNT		0x90
#define EDU_REG_DMA_CMD		0x98
#define EDU_DMA_RUN		0x1u
#define EDU_DMA_TO_RAM		0x2u	/* edu buffer -> RAM; 0: RAM -> buffer */
#define EDU_DMA_IRQ		0x4u
#define EDU_IRQ_DMA		0x100u
#define EDU_BUF_ADDR		0x40000u
/*
 * QEMU refuses (aborts on) a transfer that ends at the buffer's last byte
 * + 1, so a full 4 KiB transfer is impossible; half of it always works.
 */
#define EDU_XFER_MAX		2048u

#define EDU_CHANNELS		8u
#define EDU_MAX_RATE		100000000u
#define GONE			UINT32_MAX
#define DMA_TIMEOUT_NS		(5LL * 1000000000LL)	/* edu takes 100 ms */

enum edu_phase { PHASE_IDLE, PHASE_TO_EDU, PHASE_TO_RAM };

struct edu_chunk {
	uint64_t start;		/* ring offset */
	uint64_t len;
	uint64_t bus;
};

struct edu {
	struct udaq_map *regs;
	struct udaq_map *ring_rw;	/* the stub's whole ring: staging at its tail */
	void *reserve;			/* our double mapping of the consumer ring */
	size_t ring_size;		/* consumer ring: all chunks but the last */
	struct edu_chunk *chunks;
	uint32_t nchunks;
	unsigned char *staging;
	uint64_t staging_bus;
	int room_fd;			/* eventfd: a consumer released bytes */

	/* Written by the device (this driver), read by the ring: acquire/release. */
	uint64_t wr_ptr __attribute__((aligned(64)));
	uint64_t rd_ptr __attribute__((aligned(64)));	/* published by the ring */
	bool want_room;			/* atomic: wait() sleeps on room_fd */

	pthread_mutex_t lock;		/* the device state below; held by wait() */
	struct udaq_digitizer_config cfg;
	bool configured;
	size_t frame_len;
	unsigned char *frame;		/* the frame being transferred */
	enum edu_phase phase;
	uint32_t xfer_len;
	uint64_t frame_pos;		/* stream position of that frame */
	size_t done;			/* its bytes already in the ring */
	bool frame_open;
	struct timespec t0;
	int64_t xfer_started;
	uint64_t seq;
	uint64_t next_sample;
	bool gap;
	uint64_t irq_mark;		/* wr_ptr at the last DATA event */

	/* Atomic: status() reads them from any thread. */
	bool running;
	bool gone;
	bool ring_full;
	bool err_dma;
	bool err_overflow;
	uint64_t frames;
	uint64_t lost;
	struct udaq_drv_irqs irqs;
};

static inline struct edu *eq(const struct udaq_digitizer *dg)
{
	return dg->priv;
}

static inline int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline uint32_t rd32(const struct edu *e, size_t off)
{
	return udaq_map_read32(e->regs, off);
}

static inline void wr32(struct edu *e, size_t off, uint32_t v)
{
	udaq_map_write32(e->regs, off, v);
}

/* edu_regs.c: register access beyond one read or write. */
bool udaq_edu_is_gone(struct edu *e);
int udaq_edu_engine_idle(struct edu *e);
void udaq_edu_drain_irq(struct udaq_digitizer *dg, struct edu *e);
/* @dir: 0 (RAM -> edu's buffer) or EDU_DMA_TO_RAM. */
void udaq_edu_start_xfer(struct edu *e, uint64_t src, uint64_t dst, uint32_t len,
			 uint32_t dir);

/* edu_dma.c: the device; its wait() and the ring's publish hook. */
int udaq_edu_wait(struct udaq_digitizer *dg, int timeout_ms);
void udaq_edu_publish_rd(void *arg, uint64_t rd_ptr);

#endif /* UIO_DAQ_EDU_H */
