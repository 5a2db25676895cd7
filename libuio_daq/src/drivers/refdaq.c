/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The refdaq driver (docs/refdaq.md): binds to a real or simulated refdaq
 * through the device layer only, so the same code runs on both.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uio_daq/abi.h>
#include <uio_daq/frame.h>
#include <uio_daq/refdaq.h>

#include "common.h"
#include "frame_write.h"
#include "le.h"
#include "stream_internal.h"

#define GONE			UINT32_MAX
#define POLL_STEP_NS		(200 * 1000)
#define RESET_TIMEOUT_MS	100
#define STOP_TIMEOUT_MS		1000

struct refdaq {
	struct udaq_map *regs;
	struct udaq_map *ring_map;
	struct udaq_map *desc;
	size_t ring_size;
	uint64_t desc_addr;	/* bus addresses to program, from SELF_BUS */
	uint32_t desc_count;
	uint64_t wb_addr;

	pthread_mutex_t reg_lock;	/* latching LO/HI register pairs */
	struct udaq_digitizer_config cfg;	/* defaults resolved */
	bool configured;
	bool running;		/* atomic: stop() may race with wait() */
	size_t frame_len;
	uint32_t ctrl_mode;
	struct udaq_drv_irqs irqs;	/* atomic: read by status() */
};

static struct refdaq *rq(const struct udaq_digitizer *dg)
{
	return dg->priv;
}

static uint32_t rd32(const struct refdaq *r, size_t off)
{
	return udaq_map_read32(r->regs, off);
}

static void wr32(struct refdaq *r, size_t off, uint32_t v)
{
	udaq_map_write32(r->regs, off, v);
}

static uint64_t rd64(struct refdaq *r, size_t off)
{
	uint64_t v;

	pthread_mutex_lock(&r->reg_lock);
	v = udaq_map_read64_lohi(r->regs, off);
	pthread_mutex_unlock(&r->reg_lock);
	return v;
}

static void sleep_ns(long ns)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = ns };

	nanosleep(&ts, NULL);
}

/* Poll until (reg & mask) == want. Return 0, -ETIMEDOUT or -ENODEV. */
static int poll_reg(struct refdaq *r, size_t off, uint32_t mask, uint32_t want,
		    int timeout_ms)
{
	long waited = 0;
	uint32_t v;

	for (;;) {
		v = rd32(r, off);
		if (v == GONE && rd32(r, REFDAQ_REG_ID) == GONE)
			return -ENODEV;
		if ((v & mask) == want)
			return 0;
		if (waited >= (long)timeout_ms * 1000000)
			return -ETIMEDOUT;
		sleep_ns(POLL_STEP_NS);
		waited += POLL_STEP_NS;
	}
}

static void publish_rd(void *arg, uint64_t rd_ptr)
{
	struct refdaq *r = arg;

	/* LO is staged, HI commits: the device never sees half a pointer. */
	udaq_map_write64_lohi(r->regs, REFDAQ_REG_RD_PTR_LO, rd_ptr);
}

/* ---- Probe and open -------------------------------------------------- */

static bool refdaq_probe(struct udaq_dev *dev)
{
	struct udaq_map *regs;

	if (udaq_dev_pci_vendor(dev) == REFDAQ_PCI_VENDOR &&
	    udaq_dev_pci_device(dev) == REFDAQ_PCI_DEVICE)
		return true;
	/* Not our IDs (e.g. a board with a subsystem ID): ask the card. */
	if (udaq_dev_map_by_name(dev, UDAQ_MAP_REGS_NAME, 0, &regs))
		return false;
	return udaq_map_size(regs) >= REFDAQ_REGS_SIZE &&
	       udaq_map_read32(regs, REFDAQ_REG_ID) == REFDAQ_ID_MAGIC;
}

/* Check the descriptor map the kernel wrote against the maps we got. */
static int check_desc(struct refdaq *r)
{
	struct udaq_drv_desc d;
	int ret;

	ret = udaq_drv_desc_read(r->desc, udaq_map_size(r->ring_map),
				 REFDAQ_WB_SIZE, &d);
	if (ret)
		return ret;
	r->ring_size = (size_t)d.ring_size;
	r->desc_count = d.count;
	r->desc_addr = d.self_bus + d.table;
	r->wb_addr = d.self_bus + d.wb;
	return 0;
}

static int refdaq_reset(struct udaq_digitizer *dg)
{
	struct refdaq *r = rq(dg);
	int ret;

	wr32(r, REFDAQ_REG_CTRL, REFDAQ_CTRL_RESET);
	ret = poll_reg(r, REFDAQ_REG_STATUS, REFDAQ_STATUS_RESETTING, 0,
		       RESET_TIMEOUT_MS);
	__atomic_store_n(&r->running, false, __ATOMIC_RELAXED);
	/* The configuration is kept here and written again by start(). */
	return ret;
}

static int refdaq_open(struct udaq_digitizer *dg)
{
	const unsigned char *d;
	struct udaq_ring_config rc;
	struct refdaq *r;
	uint32_t caps, id;
	int ret;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	ret = pthread_mutex_init(&r->reg_lock, NULL);
	if (ret) {
		free(r);
		return -ret;
	}
	dg->priv = r;

	ret = udaq_dev_map_by_name(dg->dev, UDAQ_MAP_REGS_NAME, 0, &r->regs);
	if (ret)
		goto fail;
	id = rd32(r, REFDAQ_REG_ID);
	if (id != REFDAQ_ID_MAGIC) {
		ret = -ENODEV;	/* gone (all-ones) or not a refdaq */
		goto fail;
	}
	ret = udaq_dev_map_by_name(dg->dev, UDAQ_MAP_RING_NAME,
				   UDAQ_MAP_DOUBLE | UDAQ_MAP_READONLY, &r->ring_map);
	if (ret)
		goto fail;
	ret = udaq_dev_map_by_name(dg->dev, UDAQ_MAP_DESC_NAME,
				   UDAQ_MAP_READONLY, &r->desc);
	if (ret)
		goto fail;
	ret = check_desc(r);
	if (ret)
		goto fail;

	caps = rd32(r, REFDAQ_REG_CAPS);
	dg->caps.model = "refdaq";
	dg->caps.version = rd32(r, REFDAQ_REG_VERSION);
	dg->caps.num_channels = caps & REFDAQ_CAPS_NCHAN_MASK;
	dg->caps.sample_bits = (caps & REFDAQ_CAPS_WIDTH_MASK) >> REFDAQ_CAPS_WIDTH_SHIFT;
	dg->caps.max_rate = rd32(r, REFDAQ_REG_MAX_RATE);
	dg->caps.overwrite = caps & REFDAQ_CAPS_OVERWRITE;
	dg->caps.test_pattern = caps & REFDAQ_CAPS_TEST_PATTERN;
	dg->caps.ring_size = r->ring_size;
	if (dg->caps.num_channels == 0 || dg->caps.num_channels > 32 ||
	    !(caps & REFDAQ_CAPS_FMT_I16LE)) {
		ret = -EPROTO;
		goto fail;
	}

	d = udaq_map_addr(r->desc);
	rc.data = udaq_map_addr(r->ring_map);
	rc.size = r->ring_size;
	rc.wr_ptr = (const volatile uint64_t *)(const void *)
		    (d + get32(d, UDAQ_DESC_OFF_WB) + REFDAQ_WB_OFF_WR_PTR);
	rc.guard = 0;
	rc.publish = publish_rd;
	rc.publish_arg = r;
	ret = udaq_ring_new(&rc, &dg->ring);
	if (ret)
		goto fail;
	ret = refdaq_reset(dg);
	if (ret) {
		udaq_ring_free(dg->ring);
		dg->ring = NULL;
		goto fail;
	}
	return 0;

fail:
	pthread_mutex_destroy(&r->reg_lock);
	free(r);
	dg->priv = NULL;
	return ret;
}

static int refdaq_stop(struct udaq_digitizer *dg)
{
	struct refdaq *r = rq(dg);
	int ret;

	wr32(r, REFDAQ_REG_CTRL, r->ctrl_mode);
	ret = poll_reg(r, REFDAQ_REG_STATUS, REFDAQ_STATUS_RUNNING, 0,
		       STOP_TIMEOUT_MS);
	__atomic_store_n(&r->running, false, __ATOMIC_RELAXED);
	return ret;
}

static void refdaq_close(struct udaq_digitizer *dg)
{
	struct refdaq *r = rq(dg);

	if (rd32(r, REFDAQ_REG_ID) != GONE) {
		refdaq_stop(dg);
		wr32(r, REFDAQ_REG_IRQ_MASK, 0);
	}
	udaq_ring_free(dg->ring);
	pthread_mutex_destroy(&r->reg_lock);
	free(r);
}

/* ---- Configuration ------------------------------------------------------ */

static const struct udaq_drv_names refdaq_names = {
	.has = "the card has",
	.maximum = "the card's maximum",
};

static int refdaq_config_check(const struct udaq_digitizer *dg,
			       const struct udaq_digitizer_config *in,
			       char *msg, size_t msglen)
{
	return udaq_drv_config_check(dg, in, &refdaq_names, msg, msglen);
}

static void write_config(struct refdaq *r)
{
	const struct udaq_digitizer_config *c = &r->cfg;

	wr32(r, REFDAQ_REG_SAMPLE_RATE, c->sample_rate);
	wr32(r, REFDAQ_REG_CHAN_MASK, c->chan_mask);
	wr32(r, REFDAQ_REG_FORMAT, c->format);
	wr32(r, REFDAQ_REG_FRAME_SAMPLES, c->frame_samples);
	wr32(r, REFDAQ_REG_IRQ_THRESHOLD, c->irq_threshold);
	wr32(r, REFDAQ_REG_IRQ_TIMEOUT_US, c->irq_timeout_us);
	udaq_map_write64_lohi(r->regs, REFDAQ_REG_DESC_ADDR_LO, r->desc_addr);
	wr32(r, REFDAQ_REG_DESC_COUNT, r->desc_count);
	udaq_map_write64_lohi(r->regs, REFDAQ_REG_WB_ADDR_LO, r->wb_addr);
}

static int refdaq_configure(struct udaq_digitizer *dg,
			    const struct udaq_digitizer_config *cfg)
{
	struct refdaq *r = rq(dg);
	int ret;

	if (__atomic_load_n(&r->running, __ATOMIC_RELAXED))
		return -EBUSY;
	ret = refdaq_config_check(dg, cfg, NULL, 0);
	if (ret)
		return ret;
	udaq_drv_config_resolve(dg, cfg, &r->cfg);
	r->frame_len = udaq_frame_len_i16(r->cfg.frame_samples, r->cfg.chan_mask);
	r->ctrl_mode = (r->cfg.test_pattern ? REFDAQ_CTRL_TEST_PATTERN : 0) |
		       (r->cfg.policy == UDAQ_POLICY_OVERWRITE ? REFDAQ_CTRL_OVERWRITE : 0) |
		       (r->cfg.freerun ? REFDAQ_CTRL_FREERUN : 0);
	/* The device writes up to one frame ahead of its write pointer. */
	ret = udaq_ring_set_device(dg->ring, r->frame_len,
				   r->cfg.policy == UDAQ_POLICY_OVERWRITE);
	if (ret)
		return ret;
	write_config(r);
	r->configured = true;
	return 0;
}

static size_t refdaq_frame_len(const struct udaq_digitizer *dg)
{
	const struct refdaq *r = rq(dg);

	return r->configured ? r->frame_len : 0;
}

static uint32_t refdaq_frame_samples(const struct udaq_digitizer *dg)
{
	const struct refdaq *r = rq(dg);

	return r->configured ? r->cfg.frame_samples : 0;
}

/* ---- Acquisition --------------------------------------------------------- */

static int refdaq_start(struct udaq_digitizer *dg)
{
	struct refdaq *r = rq(dg);
	uint32_t st;
	int ret;

	if (!r->configured)
		return -EINVAL;
	if (__atomic_load_n(&r->running, __ATOMIC_RELAXED))
		return -EBUSY;
	/* Again: a reset since configure() would have cleared them. */
	write_config(r);
	wr32(r, REFDAQ_REG_STATUS, REFDAQ_STATUS_STICKY_MASK);
	wr32(r, REFDAQ_REG_IRQ_STATUS, REFDAQ_IRQ_ALL);
	wr32(r, REFDAQ_REG_IRQ_MASK, REFDAQ_IRQ_ALL);
	ret = udaq_dev_irq_enable(dg->dev, true);
	if (ret && ret != -ENOTSUP)
		return ret;

	wr32(r, REFDAQ_REG_CTRL, r->ctrl_mode | REFDAQ_CTRL_ENABLE);
	st = rd32(r, REFDAQ_REG_STATUS);
	if (st == GONE && rd32(r, REFDAQ_REG_ID) == GONE)
		return -ENODEV;
	if (st & REFDAQ_STATUS_ERR_CONFIG)
		return -EINVAL;
	if (!(st & REFDAQ_STATUS_RUNNING)) {
		ret = poll_reg(r, REFDAQ_REG_STATUS, REFDAQ_STATUS_RUNNING,
			       REFDAQ_STATUS_RUNNING, RESET_TIMEOUT_MS);
		if (ret)
			return ret;
	}
	/* The device restarted at position 0 with a zeroed write-back. */
	udaq_ring_reset(dg->ring, 0);
	__atomic_store_n(&r->running, true, __ATOMIC_RELAXED);
	return 0;
}

static int refdaq_wait(struct udaq_digitizer *dg, int timeout_ms)
{
	struct refdaq *r = rq(dg);
	uint32_t missed = 0, irq, st;
	int ret;

	ret = udaq_dev_irq_wait(dg->dev, timeout_ms, &missed);
	if (ret < 0)
		return ret;
	if (ret == 0) {
		/* Nothing happened; make sure that is not because the card died. */
		st = rd32(r, REFDAQ_REG_STATUS);
		if (st == GONE && rd32(r, REFDAQ_REG_ID) == GONE)
			return -ENODEV;
		return (st & REFDAQ_STATUS_ERR_DMA) ? -EIO : 0;
	}
	irq = rd32(r, REFDAQ_REG_IRQ_STATUS);
	if (irq == GONE && rd32(r, REFDAQ_REG_ID) == GONE)
		return -ENODEV;
	/* Acknowledge before re-enabling, or the level would fire again at once. */
	wr32(r, REFDAQ_REG_IRQ_STATUS, irq);
	ret = udaq_drv_irq_done(dg->dev, &r->irqs, missed);
	if (ret)
		return ret;
	if (irq & REFDAQ_IRQ_ERROR) {
		st = rd32(r, REFDAQ_REG_STATUS);
		if (st & REFDAQ_STATUS_ERR_DMA) {
			__atomic_store_n(&r->running, false, __ATOMIC_RELAXED);
			return -EIO;
		}
	}
	return 1;
}

static int refdaq_status(struct udaq_digitizer *dg, struct udaq_digitizer_status *s)
{
	struct refdaq *r = rq(dg);
	uint32_t st;

	udaq_drv_status_begin(dg, &r->irqs, s);
	if (rd32(r, REFDAQ_REG_ID) == GONE) {
		s->gone = true;
		return 0;
	}
	st = rd32(r, REFDAQ_REG_STATUS);
	s->running = st & REFDAQ_STATUS_RUNNING;
	s->ring_full = st & REFDAQ_STATUS_RING_FULL;
	s->err_dma = st & REFDAQ_STATUS_ERR_DMA;
	s->err_overflow = st & REFDAQ_STATUS_ERR_OVERFLOW;
	s->err_config = st & REFDAQ_STATUS_ERR_CONFIG;
	s->wr_ptr = rd64(r, REFDAQ_REG_WR_PTR_LO);
	s->frames = rd64(r, REFDAQ_REG_FRAMES_LO);
	s->lost_samples = rd64(r, REFDAQ_REG_LOST_LO);
	/* Removed while we read: the values above are garbage. */
	if (rd32(r, REFDAQ_REG_ID) == GONE) {
		memset(s, 0, sizeof(*s));
		s->gone = true;
	}
	return 0;
}

const struct udaq_digitizer_ops udaq_refdaq_ops = {
	.name = "refdaq",
	.probe = refdaq_probe,
	.open = refdaq_open,
	.close = refdaq_close,
	.config_check = refdaq_config_check,
	.configure = refdaq_configure,
	.start = refdaq_start,
	.stop = refdaq_stop,
	.reset = refdaq_reset,
	.wait = refdaq_wait,
	.status = refdaq_status,
	.frame_len = refdaq_frame_len,
	.frame_samples = refdaq_frame_samples,
};
