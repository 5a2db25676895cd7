// SPDX-License-Identifier: GPL-2.0-only
/* QEMU edu register access for the guest checks (see edu.h). */
#include "edu.h"

#include <errno.h>
#include <time.h>

uint32_t edu_rd32(volatile void *regs, size_t off)
{
	return *(volatile uint32_t *)((volatile char *)regs + off);
}

void edu_wr32(volatile void *regs, size_t off, uint32_t v)
{
	*(volatile uint32_t *)((volatile char *)regs + off) = v;
}

/* The DMA registers latch only full 64-bit addresses from 8-byte writes. */
static void edu_wr64(volatile void *regs, size_t off, uint64_t v)
{
	*(volatile uint64_t *)((volatile char *)regs + off) = v;
}

static uint64_t edu_rd64(volatile void *regs, size_t off)
{
	return *(volatile uint64_t *)((volatile char *)regs + off);
}

int edu_dma(volatile void *regs, uint64_t bus, uint32_t buf_off, uint32_t len,
	    bool to_ram, bool irq)
{
	const struct timespec tick = { .tv_sec = 0, .tv_nsec = 5 * 1000 * 1000 };
	int i;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	edu_wr64(regs, EDU_REG_DMA_SRC, to_ram ? EDU_BUF + buf_off : bus);
	edu_wr64(regs, EDU_REG_DMA_DST, to_ram ? bus : EDU_BUF + buf_off);
	edu_wr64(regs, EDU_REG_DMA_CNT, len);
	edu_wr64(regs, EDU_REG_DMA_CMD, EDU_DMA_RUN |
		 (to_ram ? EDU_DMA_TO_RAM : 0) | (irq ? EDU_DMA_IRQ : 0));
	/* 100 ms of virtual time per transfer; allow for a slow TCG host. */
	for (i = 0; i < 2000; i++) {
		if (!(edu_rd64(regs, EDU_REG_DMA_CMD) & EDU_DMA_RUN)) {
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			return 0;
		}
		nanosleep(&tick, NULL);
	}
	return -ETIMEDOUT;
}
