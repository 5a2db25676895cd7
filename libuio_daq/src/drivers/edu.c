/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * QEMU's edu device as a loopback streaming digitizer (docs/edu-digitizer.md).
 *
 * edu has a DMA engine, a 4 KiB buffer and an interrupt, but no acquisition
 * logic, so this driver plays the card: it builds refdaq frames (test
 * pattern) in staging memory and moves every byte of them into the ring by
 * edu's DMA engine, RAM -> edu buffer -> ring, at most EDU_XFER_MAX bytes a
 * transfer, to the bus addresses of the stub's chunk table. No byte reaches
 * the ring any other way.
 *
 * The "device" runs inside udaq_digitizer_wait(): the acquisition thread
 * calls it continuously, and every step either starts a transfer or blocks
 * on edu's DMA-completion interrupt through the stub. That keeps the driver
 * single-threaded (no thread of its own competing for the one interrupt fd)
 * and makes progress exactly as fast as interrupts are delivered.
 *
 * Staging: edu can only read RAM it can address, and the only
 * device-visible memory userspace has is the ring. The last chunk of the
 * stub's ring is therefore kept back as staging; the ring the consumers
 * see is the chunks before it, double mapped here (the stub maps the
 * leading chunks for a shorter mapping).
 *
 * This file: probe, open, configuration, start, stop, status. The device
 * the driver plays is edu_dma.c, register access edu_regs.c (edu.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <uio_daq/abi.h>

#include "common.h"
#include "edu.h"
#include "frame_write.h"
#include "internal.h"

/* ---- Probe and open -------------------------------------------------- */

static bool edu_probe(struct udaq_dev *dev)
{
	return !udaq_dev_is_sim(dev) &&
	       udaq_dev_pci_vendor(dev) == EDU_PCI_VENDOR &&
	       udaq_dev_pci_device(dev) == EDU_PCI_DEVICE;
}

/*
 * Read the stub's chunk table: the chunks but the last become the
 * consumer ring, the last one staging. Checked as for refdaq; edu has no
 * write-back area (the driver keeps the write pointer itself).
 */
static int read_table(struct edu *e, const struct udaq_map *desc)
{
	struct udaq_drv_desc d;
	uint64_t start = 0;
	uint32_t i;
	int ret;

	ret = udaq_drv_desc_read(desc, udaq_map_size(e->ring_rw), 0, &d);
	if (ret)
		return ret;
	if (d.count < 2)
		return -EPROTO;	/* no chunk left for the ring beside staging */
	e->chunks = calloc(d.count, sizeof(*e->chunks));
	if (!e->chunks)
		return -ENOMEM;
	for (i = 0; i < d.count; i++) {
		udaq_drv_desc_chunk(&d, i, &e->chunks[i].bus, &e->chunks[i].len);
		e->chunks[i].start = start;
		start += e->chunks[i].len;
	}
	e->nchunks = d.count - 1;
	e->ring_size = (size_t)e->chunks[d.count - 1].start;
	e->staging = (unsigned char *)udaq_map_addr(e->ring_rw) + e->ring_size;
	e->staging_bus = e->chunks[d.count - 1].bus;
	if (e->ring_size < UDAQ_RING_MIN)
		return -EPROTO;
	return 0;
}

/* The consumer ring, mapped twice back to back, read-only. */
static int map_ring(struct udaq_digitizer *dg, struct edu *e)
{
	struct udaq_dev *dev = dg->dev;
	unsigned char *base;
	off_t off;
	int fd, ret;

	ret = dev->ops->map_source(dev, e->ring_rw->index, &fd, &off);
	if (ret)
		return ret;
	base = mmap(NULL, 2 * e->ring_size, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return -errno;
	e->reserve = base;
	for (int i = 0; i < 2; i++) {
		void *p = mmap(base + (size_t)i * e->ring_size, e->ring_size, PROT_READ,
			       MAP_SHARED | MAP_FIXED, fd, off);

		if (p == MAP_FAILED)
			return -errno;
	}
	return 0;
}

static void edu_free(struct udaq_digitizer *dg, struct edu *e)
{
	if (dg->ring)
		udaq_ring_free(dg->ring);
	dg->ring = NULL;
	if (e->reserve)
		munmap(e->reserve, 2 * e->ring_size);
	if (e->room_fd >= 0)
		close(e->room_fd);
	free(e->chunks);
	free(e->frame);
	pthread_mutex_destroy(&e->lock);
	free(e);
	dg->priv = NULL;
}

static int edu_open(struct udaq_digitizer *dg)
{
	struct udaq_ring_config rc;
	struct udaq_map *desc;
	struct edu *e;
	int ret;

	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->room_fd = -1;
	ret = pthread_mutex_init(&e->lock, NULL);
	if (ret) {
		free(e);
		return -ret;
	}
	dg->priv = e;

	ret = udaq_dev_map_by_name(dg->dev, UDAQ_MAP_REGS_NAME, 0, &e->regs);
	if (ret)
		goto fail;
	if (udaq_map_size(e->regs) < EDU_REGS_SIZE ||
	    (rd32(e, EDU_REG_ID) & EDU_ID_MASK) != EDU_ID_VALUE) {
		ret = -ENODEV;	/* gone (all-ones) or not an edu */
		goto fail;
	}
	ret = udaq_dev_map_by_name(dg->dev, UDAQ_MAP_RING_NAME, 0, &e->ring_rw);
	if (ret)
		goto fail;
	ret = udaq_dev_map_by_name(dg->dev, UDAQ_MAP_DESC_NAME, UDAQ_MAP_READONLY, &desc);
	if (ret)
		goto fail;
	ret = read_table(e, desc);
	if (ret)
		goto fail;
	ret = map_ring(dg, e);
	if (ret)
		goto fail;
	e->room_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (e->room_fd < 0) {
		ret = -errno;
		goto fail;
	}

	dg->caps.model = "edu";
	dg->caps.version = 0x00010000;
	dg->caps.num_channels = EDU_CHANNELS;
	dg->caps.sample_bits = 16;
	dg->caps.max_rate = EDU_MAX_RATE;
	dg->caps.overwrite = true;
	dg->caps.test_pattern = true;
	dg->caps.ring_size = e->ring_size;

	rc.data = e->reserve;
	rc.size = e->ring_size;
	rc.wr_ptr = &e->wr_ptr;
	rc.guard = 0;
	rc.publish = udaq_edu_publish_rd;
	rc.publish_arg = e;
	ret = udaq_ring_new(&rc, &dg->ring);
	if (ret)
		goto fail;
	ret = udaq_edu_engine_idle(e);
	if (ret)
		goto fail;
	udaq_edu_drain_irq(dg, e);
	return 0;

fail:
	edu_free(dg, e);
	return ret;
}

/* ---- Configuration ------------------------------------------------------ */

static const struct udaq_drv_names edu_names = {
	.has = "the edu digitizer has",
	.maximum = "the maximum",
};

static int edu_config_check(const struct udaq_digitizer *dg,
			    const struct udaq_digitizer_config *in,
			    char *msg, size_t msglen)
{
	return udaq_drv_config_check(dg, in, &edu_names, msg, msglen);
}

static int edu_configure(struct udaq_digitizer *dg,
			 const struct udaq_digitizer_config *cfg)
{
	struct edu *e = eq(dg);
	unsigned char *frame;
	size_t fl;
	int ret;

	if (__atomic_load_n(&e->running, __ATOMIC_RELAXED))
		return -EBUSY;
	ret = edu_config_check(dg, cfg, NULL, 0);
	if (ret)
		return ret;
	pthread_mutex_lock(&e->lock);
	udaq_drv_config_resolve(dg, cfg, &e->cfg);
	fl = udaq_frame_len_i16(e->cfg.frame_samples, e->cfg.chan_mask);
	frame = calloc(1, fl);
	if (!frame) {
		pthread_mutex_unlock(&e->lock);
		return -ENOMEM;
	}
	free(e->frame);
	e->frame = frame;
	e->frame_len = fl;
	/* Transfers land up to one frame ahead of the write pointer. */
	ret = udaq_ring_set_device(dg->ring, fl, e->cfg.policy == UDAQ_POLICY_OVERWRITE);
	e->configured = ret == 0;
	pthread_mutex_unlock(&e->lock);
	return ret;
}

static size_t edu_frame_len(const struct udaq_digitizer *dg)
{
	const struct edu *e = eq(dg);

	return e->configured ? e->frame_len : 0;
}

static uint32_t edu_frame_samples(const struct udaq_digitizer *dg)
{
	const struct edu *e = eq(dg);

	return e->configured ? e->cfg.frame_samples : 0;
}

/* ---- Start, stop, status ---------------------------------------------------- */

/* Let a transfer in flight finish: edu cannot abort one. */
static int quiesce(struct udaq_digitizer *dg, struct edu *e)
{
	int ret;

	if (e->phase != PHASE_IDLE && !__atomic_load_n(&e->gone, __ATOMIC_RELAXED)) {
		ret = udaq_edu_engine_idle(e);
		if (ret)
			return ret;
		udaq_edu_drain_irq(dg, e);
	}
	/* A frame not yet complete is abandoned; WR_PTR never covered it. */
	e->phase = PHASE_IDLE;
	e->frame_open = false;
	return 0;
}

static int edu_stop(struct udaq_digitizer *dg)
{
	struct edu *e = eq(dg);
	int ret;

	/* First, so that a concurrent wait() gives the lock up at its next step. */
	__atomic_store_n(&e->running, false, __ATOMIC_RELAXED);
	pthread_mutex_lock(&e->lock);
	ret = quiesce(dg, e);
	pthread_mutex_unlock(&e->lock);
	return __atomic_load_n(&e->gone, __ATOMIC_RELAXED) ? -ENODEV : ret;
}

static int edu_reset(struct udaq_digitizer *dg)
{
	return edu_stop(dg);
}

static int edu_start(struct udaq_digitizer *dg)
{
	struct edu *e = eq(dg);
	int ret;

	if (!e->configured)
		return -EINVAL;
	if (__atomic_load_n(&e->running, __ATOMIC_RELAXED))
		return -EBUSY;
	if (udaq_edu_is_gone(e))
		return -ENODEV;
	pthread_mutex_lock(&e->lock);
	ret = udaq_edu_engine_idle(e);
	if (ret) {
		pthread_mutex_unlock(&e->lock);
		return ret;
	}
	udaq_edu_drain_irq(dg, e);
	e->phase = PHASE_IDLE;
	e->frame_open = false;
	e->seq = 0;
	e->next_sample = 0;
	e->gap = false;
	e->irq_mark = 0;
	__atomic_store_n(&e->wr_ptr, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&e->rd_ptr, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&e->frames, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&e->lost, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&e->ring_full, false, __ATOMIC_RELAXED);
	__atomic_store_n(&e->err_dma, false, __ATOMIC_RELAXED);
	__atomic_store_n(&e->err_overflow, false, __ATOMIC_RELAXED);
	udaq_ring_reset(dg->ring, 0);
	clock_gettime(CLOCK_MONOTONIC, &e->t0);
	__atomic_store_n(&e->running, true, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&e->lock);
	return 0;
}

static int edu_status(struct udaq_digitizer *dg, struct udaq_digitizer_status *s)
{
	struct edu *e = eq(dg);

	/* Driver state only: after an unbind the register map is revoked. */
	udaq_drv_status_begin(dg, &e->irqs, s);
	if (__atomic_load_n(&e->gone, __ATOMIC_RELAXED)) {
		s->gone = true;
		return 0;
	}
	s->running = __atomic_load_n(&e->running, __ATOMIC_RELAXED);
	s->ring_full = __atomic_load_n(&e->ring_full, __ATOMIC_RELAXED);
	s->err_dma = __atomic_load_n(&e->err_dma, __ATOMIC_RELAXED);
	s->err_overflow = __atomic_load_n(&e->err_overflow, __ATOMIC_RELAXED);
	s->wr_ptr = __atomic_load_n(&e->wr_ptr, __ATOMIC_ACQUIRE);
	s->frames = __atomic_load_n(&e->frames, __ATOMIC_RELAXED);
	s->lost_samples = __atomic_load_n(&e->lost, __ATOMIC_RELAXED);
	return 0;
}

static void edu_close(struct udaq_digitizer *dg)
{
	struct edu *e = eq(dg);

	edu_stop(dg);
	edu_free(dg, e);
}

const struct udaq_digitizer_ops udaq_edu_ops = {
	.name = "edu",
	.probe = edu_probe,
	.open = edu_open,
	.close = edu_close,
	.config_check = edu_config_check,
	.configure = edu_configure,
	.start = edu_start,
	.stop = edu_stop,
	.reset = edu_reset,
	.wait = udaq_edu_wait,
	.status = edu_status,
	.frame_len = edu_frame_len,
	.frame_samples = edu_frame_samples,
};
