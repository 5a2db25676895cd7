/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The edu driver's register access beyond one read or write (edu.h):
 * edu's 64-bit DMA registers, removal, the DMA engine's idle state, its
 * interrupt, starting a transfer.
 */
#include <errno.h>
#include <stdint.h>
#include <time.h>

#include "edu.h"

/* edu's DMA address registers are 64 bits wide and take 8-byte stores. */
static void wr64(struct edu *e, size_t off, uint64_t v)
{
	volatile uint64_t *p = (volatile uint64_t *)(void *)
			       ((char *)udaq_map_addr(e->regs) + off);

	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

/* Removed: the register map reads all-ones (remembered once seen). */
bool udaq_edu_is_gone(struct edu *e)
{
	if (__atomic_load_n(&e->gone, __ATOMIC_RELAXED))
		return true;
	if (rd32(e, EDU_REG_ID) == GONE) {
		__atomic_store_n(&e->gone, true, __ATOMIC_RELAXED);
		return true;
	}
	return false;
}

/*
 * Wait for edu's engine to be idle: it ignores new DMA settings while a
 * transfer runs (one left by a process that was killed, or by stop()).
 */
int udaq_edu_engine_idle(struct edu *e)
{
	int64_t end = now_ns() + DMA_TIMEOUT_NS;
	struct timespec ms = { .tv_sec = 0, .tv_nsec = 1000000 };

	while (rd32(e, EDU_REG_DMA_CMD) & EDU_DMA_RUN) {
		if (udaq_edu_is_gone(e))
			return -ENODEV;
		if (now_ns() > end)
			return -ETIMEDOUT;
		nanosleep(&ms, NULL);
	}
	return 0;
}

/* Clear edu's interrupt and any notification already queued by the stub. */
void udaq_edu_drain_irq(struct udaq_digitizer *dg, struct edu *e)
{
	uint32_t missed;

	wr32(e, EDU_REG_IRQ_ACK, rd32(e, EDU_REG_IRQ_STATUS));
	while (udaq_dev_irq_wait(dg->dev, 0, &missed) == 1)
		;
	udaq_dev_irq_enable(dg->dev, true);
}

/* Program one transfer and start it, with an interrupt when it completes. */
void udaq_edu_start_xfer(struct edu *e, uint64_t src, uint64_t dst, uint32_t len,
			 uint32_t dir)
{
	wr64(e, EDU_REG_DMA_SRC, src);
	wr64(e, EDU_REG_DMA_DST, dst);
	wr64(e, EDU_REG_DMA_CNT, len);
	wr32(e, EDU_REG_DMA_CMD, EDU_DMA_RUN | EDU_DMA_IRQ | dir);
	e->xfer_started = now_ns();
}

