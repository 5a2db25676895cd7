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
 */
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <uio_daq/abi.h>
#include <uio_daq/frame.h>
#include <uio_daq/refdaq.h>

#include "edu.h"
#include "internal.h"
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
#define IRQ_TIMEOUT_MAX_US	10000000u

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
	uint64_t irqs;
	uint64_t irqs_missed;
};

static struct edu *eq(const struct udaq_digitizer *dg)
{
	return dg->priv;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static uint32_t rd32(const struct edu *e, size_t off)
{
	return udaq_map_read32(e->regs, off);
}

static void wr32(struct edu *e, size_t off, uint32_t v)
{
	udaq_map_write32(e->regs, off, v);
}

/* edu's DMA address registers are 64 bits wide and take 8-byte stores. */
static void wr64(struct edu *e, size_t off, uint64_t v)
{
	volatile uint64_t *p = (volatile uint64_t *)(void *)
			       ((char *)udaq_map_addr(e->regs) + off);

	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

static bool is_gone(struct edu *e)
{
	if (__atomic_load_n(&e->gone, __ATOMIC_RELAXED))
		return true;
	if (rd32(e, EDU_REG_ID) == GONE) {
		__atomic_store_n(&e->gone, true, __ATOMIC_RELAXED);
		return true;
	}
	return false;
}

static void publish_rd(void *arg, uint64_t rd_ptr)
{
	struct edu *e = arg;
	uint64_t one = 1;
	ssize_t n;

	__atomic_store_n(&e->rd_ptr, rd_ptr, __ATOMIC_RELEASE);
	if (__atomic_load_n(&e->want_room, __ATOMIC_ACQUIRE)) {
		n = write(e->room_fd, &one, sizeof(one));
		(void)n;	/* a full counter still wakes the reader */
	}
}

/* ---- Probe and open -------------------------------------------------- */

static bool edu_probe(struct udaq_dev *dev)
{
	return !udaq_dev_is_sim(dev) &&
	       udaq_dev_pci_vendor(dev) == EDU_PCI_VENDOR &&
	       udaq_dev_pci_device(dev) == EDU_PCI_DEVICE;
}

static uint32_t get32(const unsigned char *p, size_t off)
{
	uint32_t v;

	memcpy(&v, p + off, 4);
	return le32toh(v);
}

static uint64_t get64(const unsigned char *p, size_t off)
{
	uint64_t v;

	memcpy(&v, p + off, 8);
	return le64toh(v);
}

/*
 * Read the stub's chunk table: the chunks but the last become the
 * consumer ring, the last one staging. Same consistency rules as refdaq.
 */
static int read_table(struct edu *e, const struct udaq_map *desc)
{
	const unsigned char *d = udaq_map_addr(desc);
	size_t dsize = udaq_map_size(desc);
	uint64_t ring_size, sum = 0;
	uint32_t count, table, i;

	if (dsize < UDAQ_DESC_OFF_WB + 4 ||
	    get32(d, UDAQ_DESC_OFF_MAGIC) != UDAQ_DESC_MAGIC ||
	    get32(d, UDAQ_DESC_OFF_VERSION) != UDAQ_DESC_VERSION)
		return -EPROTO;
	count = get32(d, UDAQ_DESC_OFF_COUNT);
	table = get32(d, UDAQ_DESC_OFF_TABLE);
	ring_size = get64(d, UDAQ_DESC_OFF_RING_SIZE);
	if (count < 2 || count > UDAQ_DESC_COUNT_MAX || table % 8 ||
	    (uint64_t)table + (uint64_t)count * UDAQ_CHUNK_SIZE > dsize ||
	    ring_size != udaq_map_size(e->ring_rw))
		return -EPROTO;
	e->chunks = calloc(count, sizeof(*e->chunks));
	if (!e->chunks)
		return -ENOMEM;
	for (i = 0; i < count; i++) {
		const unsigned char *c = d + table + (size_t)i * UDAQ_CHUNK_SIZE;
		uint64_t len = get64(c, UDAQ_CHUNK_OFF_LEN);

		if (len == 0 || len % UDAQ_CHUNK_ALIGN || len > ring_size - sum)
			return -EPROTO;
		e->chunks[i].start = sum;
		e->chunks[i].len = len;
		e->chunks[i].bus = get64(c, UDAQ_CHUNK_OFF_ADDR);
		sum += len;
	}
	if (sum != ring_size)
		return -EPROTO;
	e->nchunks = count - 1;
	e->ring_size = (size_t)e->chunks[count - 1].start;
	e->staging = (unsigned char *)udaq_map_addr(e->ring_rw) + e->ring_size;
	e->staging_bus = e->chunks[count - 1].bus;
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

/*
 * Wait for edu's engine to be idle: it ignores new DMA settings while a
 * transfer runs (one left by a process that was killed, or by stop()).
 */
static int engine_idle(struct edu *e)
{
	int64_t end = now_ns() + DMA_TIMEOUT_NS;
	struct timespec ms = { .tv_sec = 0, .tv_nsec = 1000000 };

	while (rd32(e, EDU_REG_DMA_CMD) & EDU_DMA_RUN) {
		if (is_gone(e))
			return -ENODEV;
		if (now_ns() > end)
			return -ETIMEDOUT;
		nanosleep(&ms, NULL);
	}
	return 0;
}

/* Clear edu's interrupt and any notification already queued by the stub. */
static void drain_irq(struct udaq_digitizer *dg, struct edu *e)
{
	uint32_t missed;

	wr32(e, EDU_REG_IRQ_ACK, rd32(e, EDU_REG_IRQ_STATUS));
	while (udaq_dev_irq_wait(dg->dev, 0, &missed) == 1)
		;
	udaq_dev_irq_enable(dg->dev, true);
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
	rc.publish = publish_rd;
	rc.publish_arg = e;
	ret = udaq_ring_new(&rc, &dg->ring);
	if (ret)
		goto fail;
	ret = engine_idle(e);
	if (ret)
		goto fail;
	drain_irq(dg, e);
	return 0;

fail:
	edu_free(dg, e);
	return ret;
}

/* ---- Configuration ------------------------------------------------------ */

static size_t frame_len_of(uint32_t frame_samples, uint32_t mask)
{
	uint64_t l = UDAQ_FRAME_HDR_LEN +
		     (uint64_t)frame_samples * (unsigned int)__builtin_popcount(mask) * 2u;

	l = (l + UDAQ_FRAME_ALIGN - 1) & ~(uint64_t)(UDAQ_FRAME_ALIGN - 1);
	return l > SIZE_MAX ? SIZE_MAX : (size_t)l;
}

static int bad(char *msg, size_t msglen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int bad(char *msg, size_t msglen, const char *fmt, ...)
{
	va_list ap;

	if (msg && msglen) {
		va_start(ap, fmt);
		vsnprintf(msg, msglen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* The refdaq defaults: 1024-sample frames halved until 4 fit, ring/8. */
static void resolve(const struct udaq_digitizer *dg,
		    const struct udaq_digitizer_config *in,
		    struct udaq_digitizer_config *out)
{
	size_t quarter = dg->caps.ring_size / 4;

	*out = *in;
	if (out->frame_samples == 0 && out->chan_mask) {
		out->frame_samples = REFDAQ_FRAME_SAMPLES_DEFAULT;
		while (out->frame_samples > 1 &&
		       frame_len_of(out->frame_samples, out->chan_mask) > quarter)
			out->frame_samples /= 2;
	}
	if (out->irq_threshold == 0)
		out->irq_threshold = (uint32_t)(dg->caps.ring_size / 8 > UINT32_MAX ?
						UINT32_MAX : dg->caps.ring_size / 8);
}

static int edu_config_check(const struct udaq_digitizer *dg,
			    const struct udaq_digitizer_config *in,
			    char *msg, size_t msglen)
{
	const struct udaq_digitizer_caps *caps = &dg->caps;
	struct udaq_digitizer_config c;
	uint32_t valid = (UINT32_C(1) << caps->num_channels) - 1;
	size_t fl;

	resolve(dg, in, &c);
	if (c.chan_mask == 0)
		return bad(msg, msglen, "chan_mask is 0: enable at least one channel");
	if (c.chan_mask & ~valid)
		return bad(msg, msglen, "chan_mask 0x%x enables channel %d, but the edu digitizer has %u channels (0..%u)",
			   c.chan_mask, 31 - __builtin_clz(c.chan_mask),
			   caps->num_channels, caps->num_channels - 1);
	if (c.format != UDAQ_FORMAT_I16LE)
		return bad(msg, msglen, "format %u is not supported (only %d, int16 little-endian)",
			   c.format, UDAQ_FORMAT_I16LE);
	if (!c.freerun && c.sample_rate == 0)
		return bad(msg, msglen, "sample_rate is 0: set a rate in Hz or use freerun");
	if (c.sample_rate > caps->max_rate)
		return bad(msg, msglen, "sample_rate %u Hz exceeds the maximum of %u Hz",
			   c.sample_rate, caps->max_rate);
	fl = frame_len_of(c.frame_samples, c.chan_mask);
	if (fl > caps->ring_size / 4)
		return bad(msg, msglen, "frame_samples %u x %d channels makes %zu-byte frames, more than a quarter of the %zu-byte ring",
			   c.frame_samples, __builtin_popcount(c.chan_mask), fl,
			   caps->ring_size);
	if (c.policy != UDAQ_POLICY_STOP && c.policy != UDAQ_POLICY_OVERWRITE)
		return bad(msg, msglen, "policy %d is unknown (stop or overwrite)", (int)c.policy);
	if (c.irq_threshold > caps->ring_size / 2)
		return bad(msg, msglen, "irq_threshold %u bytes exceeds half the %zu-byte ring",
			   c.irq_threshold, caps->ring_size);
	if (c.irq_timeout_us > IRQ_TIMEOUT_MAX_US)
		return bad(msg, msglen, "irq_timeout_us %u exceeds %u (10 s)",
			   c.irq_timeout_us, IRQ_TIMEOUT_MAX_US);
	if (msg && msglen)
		snprintf(msg, msglen, "ok");
	return 0;
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
	resolve(dg, cfg, &e->cfg);
	fl = frame_len_of(e->cfg.frame_samples, e->cfg.chan_mask);
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

/* ---- The device: frames and transfers ------------------------------------ */

static void put16(unsigned char *p, uint16_t v)
{
	v = htole16(v);
	memcpy(p, &v, 2);
}

static void put32(unsigned char *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static void put64(unsigned char *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
}

/* A pattern that is not the test pattern, for test_pattern = false. */
static int16_t ramp_sample(uint64_t n, unsigned int chan)
{
	return (int16_t)(uint16_t)(n * (chan + 1u));
}

static void build_frame(struct edu *e)
{
	const struct udaq_digitizer_config *c = &e->cfg;
	unsigned char *f = e->frame, *p;
	uint32_t nchan = (uint32_t)__builtin_popcount(c->chan_mask);
	uint32_t payload = c->frame_samples * nchan * 2u;
	uint64_t ts;

	if (c->sample_rate)
		ts = (uint64_t)((unsigned __int128)e->next_sample * 1000000000u /
				c->sample_rate);
	else
		ts = (uint64_t)(now_ns() - ((int64_t)e->t0.tv_sec * 1000000000LL +
					    e->t0.tv_nsec));
	memset(f, 0, e->frame_len);
	put32(f + UDAQ_FRAME_OFF_MAGIC, UDAQ_FRAME_MAGIC);
	put16(f + UDAQ_FRAME_OFF_HDR_LEN, UDAQ_FRAME_HDR_LEN);
	put16(f + UDAQ_FRAME_OFF_FLAGS,
	      (uint16_t)((e->gap ? UDAQ_FRAME_FLAG_GAP : 0) |
			 (c->test_pattern ? UDAQ_FRAME_FLAG_TEST : 0)));
	put64(f + UDAQ_FRAME_OFF_SEQ, e->seq);
	put64(f + UDAQ_FRAME_OFF_TIMESTAMP, ts);
	put64(f + UDAQ_FRAME_OFF_FIRST_SAMPLE, e->next_sample);
	put32(f + UDAQ_FRAME_OFF_NSAMPLES, c->frame_samples);
	put32(f + UDAQ_FRAME_OFF_CHAN_MASK, c->chan_mask);
	put32(f + UDAQ_FRAME_OFF_PAYLOAD_LEN, payload);
	put16(f + UDAQ_FRAME_OFF_FORMAT, (uint16_t)c->format);
	p = f + UDAQ_FRAME_HDR_LEN;
	for (uint32_t s = 0; s < c->frame_samples; s++) {
		uint64_t n = e->next_sample + s;

		for (unsigned int ch = 0; ch < EDU_CHANNELS; ch++) {
			if (!(c->chan_mask & (1u << ch)))
				continue;
			put16(p, (uint16_t)(c->test_pattern ? udaq_test_sample(n, ch) :
					    ramp_sample(n, ch)));
			p += 2;
		}
	}
	e->frame_pos = e->wr_ptr;
	e->done = 0;
	e->frame_open = true;
}

/* The chunk holding ring offset @off (binary search over the starts). */
static const struct edu_chunk *chunk_of(const struct edu *e, uint64_t off)
{
	uint32_t lo = 0, hi = e->nchunks;

	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (e->chunks[mid].start <= off)
			lo = mid;
		else
			hi = mid;
	}
	return &e->chunks[lo];
}

static void start_xfer(struct edu *e, uint64_t src, uint64_t dst, uint32_t len,
		       uint32_t dir)
{
	wr64(e, EDU_REG_DMA_SRC, src);
	wr64(e, EDU_REG_DMA_DST, dst);
	wr64(e, EDU_REG_DMA_CNT, len);
	wr32(e, EDU_REG_DMA_CMD, EDU_DMA_RUN | EDU_DMA_IRQ | dir);
	e->xfer_started = now_ns();
}

/* Stage the next piece of the frame and send it to edu's buffer. */
static void start_piece(struct edu *e)
{
	uint64_t off = (e->frame_pos + e->done) % e->ring_size;
	const struct edu_chunk *ck = chunk_of(e, off);
	uint64_t n = e->frame_len - e->done;

	/* A transfer never crosses a chunk (nor so the ring's end). */
	if (n > ck->start + ck->len - off)
		n = ck->start + ck->len - off;
	if (n > EDU_XFER_MAX)
		n = EDU_XFER_MAX;
	e->xfer_len = (uint32_t)n;
	memcpy(e->staging, e->frame + e->done, n);
	start_xfer(e, e->staging_bus, EDU_BUF_ADDR, e->xfer_len, 0);
	e->phase = PHASE_TO_EDU;
}

static void to_ring(struct edu *e)
{
	uint64_t off = (e->frame_pos + e->done) % e->ring_size;
	const struct edu_chunk *ck = chunk_of(e, off);

	start_xfer(e, EDU_BUF_ADDR, ck->bus + (off - ck->start), e->xfer_len,
		   EDU_DMA_TO_RAM);
	e->phase = PHASE_TO_RAM;
}

/* The frame is in the ring: publish it as refdaq does (data, then WR_PTR). */
static bool frame_done(struct edu *e)
{
	uint64_t wr = e->frame_pos + e->frame_len;

	e->frame_open = false;
	e->gap = false;
	e->seq++;
	e->next_sample += e->cfg.frame_samples;
	__atomic_add_fetch(&e->frames, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&e->wr_ptr, wr, __ATOMIC_RELEASE);
	if (wr - e->irq_mark >= e->cfg.irq_threshold || e->cfg.irq_threshold == 0) {
		e->irq_mark = wr;
		return true;
	}
	return false;
}

/* When frame e->seq is due in paced mode, in CLOCK_MONOTONIC ns. */
static int64_t due_ns(const struct edu *e)
{
	unsigned __int128 t = (unsigned __int128)(e->seq + 1) * e->cfg.frame_samples *
			      1000000000u / e->cfg.sample_rate;

	return (int64_t)e->t0.tv_sec * 1000000000LL + e->t0.tv_nsec + (int64_t)t;
}

static bool fits(struct edu *e)
{
	uint64_t rd = __atomic_load_n(&e->rd_ptr, __ATOMIC_ACQUIRE);

	return e->cfg.policy == UDAQ_POLICY_OVERWRITE ||
	       e->wr_ptr + e->frame_len - rd <= e->ring_size;
}

static int ms_left(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - now_ns();
	if (left <= 0)
		return 0;
	left = (left + 999999) / 1000000;
	return left > INT32_MAX ? INT32_MAX : (int)left;
}

/* Sleep until @until (ns) or a release by a consumer, bounded by @deadline. */
static void sleep_room(struct edu *e, int64_t until, int64_t deadline)
{
	struct pollfd pfd = { .fd = e->room_fd, .events = POLLIN };
	uint64_t v;
	int ms;

	if (deadline >= 0 && (until < 0 || deadline < until))
		until = deadline;
	ms = ms_left(until);
	__atomic_store_n(&e->want_room, true, __ATOMIC_SEQ_CST);
	/* Checked again after want_room is set, or a release could be missed. */
	if (ms != 0 && !fits(e))
		poll(&pfd, 1, ms);
	__atomic_store_n(&e->want_room, false, __ATOMIC_RELAXED);
	if (read(e->room_fd, &v, sizeof(v)) < 0)
		v = 0;	/* EAGAIN: nothing was signalled */
}

static void sleep_until(int64_t until)
{
	struct timespec ts = { .tv_sec = until / 1000000000LL,
			       .tv_nsec = until % 1000000000LL };

	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

/*
 * One step of the idle device: start the next frame, or drop it (paced,
 * stop policy, ring full), or wait for its time or for room.
 * Return 1 if an OVERFLOW event happened, 0 otherwise.
 */
static int next_frame(struct edu *e, int64_t deadline)
{
	int64_t now = now_ns();

	if (!e->cfg.freerun) {
		int64_t due = due_ns(e);

		if (now < due) {
			if (deadline >= 0 && deadline < due) {
				sleep_until(deadline);
				return 0;
			}
			sleep_until(due);
		}
	}
	if (fits(e)) {
		__atomic_store_n(&e->ring_full, false, __ATOMIC_RELAXED);
		build_frame(e);
		start_piece(e);
		return 0;
	}
	__atomic_store_n(&e->ring_full, true, __ATOMIC_RELAXED);
	if (e->cfg.freerun) {
		/* Time is not real: wait for the consumers, lose nothing. */
		sleep_room(e, -1, deadline);
		return 0;
	}
	/* Due and no room: the frame is dropped whole, as refdaq drops it. */
	e->seq++;
	e->next_sample += e->cfg.frame_samples;
	e->gap = true;
	__atomic_add_fetch(&e->lost, e->cfg.frame_samples, __ATOMIC_RELAXED);
	__atomic_store_n(&e->err_overflow, true, __ATOMIC_RELAXED);
	return 1;
}

/* A transfer completed: move on. Return 1 if a DATA event happened. */
static int xfer_done(struct edu *e)
{
	if (e->phase == PHASE_TO_EDU) {
		to_ring(e);
		return 0;
	}
	e->phase = PHASE_IDLE;
	e->done += e->xfer_len;
	if (e->done < e->frame_len) {
		start_piece(e);
		return 0;
	}
	return frame_done(e) ? 1 : 0;
}

static int gone(struct edu *e)
{
	__atomic_store_n(&e->gone, true, __ATOMIC_RELAXED);
	__atomic_store_n(&e->running, false, __ATOMIC_RELAXED);
	return -ENODEV;
}

static int dma_failed(struct edu *e)
{
	__atomic_store_n(&e->err_dma, true, __ATOMIC_RELAXED);
	__atomic_store_n(&e->running, false, __ATOMIC_RELAXED);
	e->phase = PHASE_IDLE;
	return -EIO;
}

/* Wait for edu's DMA-completion interrupt and acknowledge it. */
static int wait_xfer(struct udaq_digitizer *dg, struct edu *e, int64_t deadline)
{
	uint32_t missed = 0, irq;
	int ret;

	ret = udaq_dev_irq_wait(dg->dev, ms_left(deadline), &missed);
	if (ret == -ENODEV)
		return gone(e);
	if (ret < 0)
		return ret;
	if (ret == 0) {
		if (is_gone(e))
			return gone(e);
		if (now_ns() - e->xfer_started > DMA_TIMEOUT_NS)
			return dma_failed(e);
		return 0;
	}
	irq = rd32(e, EDU_REG_IRQ_STATUS);
	if (irq == GONE && is_gone(e))
		return gone(e);
	/* Acknowledge before re-enabling, or a level interrupt fires again. */
	wr32(e, EDU_REG_IRQ_ACK, irq);
	ret = udaq_dev_irq_enable(dg->dev, true);
	if (ret && ret != -ENOTSUP)
		return ret;
	__atomic_add_fetch(&e->irqs, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&e->irqs_missed, missed, __ATOMIC_RELAXED);
	if (!(irq & EDU_IRQ_DMA) || (rd32(e, EDU_REG_DMA_CMD) & EDU_DMA_RUN))
		return 0;	/* not (yet) our completion */
	return 1;
}

static int edu_wait(struct udaq_digitizer *dg, int timeout_ms)
{
	struct edu *e = eq(dg);
	int64_t deadline = timeout_ms < 0 ? -1 : now_ns() + (int64_t)timeout_ms * 1000000;
	int ret = 0;

	if (__atomic_load_n(&e->gone, __ATOMIC_RELAXED))
		return -ENODEV;
	if (__atomic_load_n(&e->err_dma, __ATOMIC_RELAXED))
		return -EIO;
	pthread_mutex_lock(&e->lock);
	while (ret == 0) {
		if (!__atomic_load_n(&e->running, __ATOMIC_RELAXED)) {
			pthread_mutex_unlock(&e->lock);
			/* Stopped: just notice removal, like refdaq's idle wait. */
			ret = udaq_dev_irq_wait(dg->dev, timeout_ms, NULL);
			if (ret == -ENODEV)
				return gone(e);
			return ret < 0 ? ret : 0;
		}
		if (e->phase == PHASE_IDLE) {
			ret = next_frame(e, deadline);
		} else {
			ret = wait_xfer(dg, e, deadline);
			if (ret == 1)
				ret = xfer_done(e);
			else if (ret == 0 && ms_left(deadline) == 0)
				break;
		}
		if (ret == 0 && deadline >= 0 && ms_left(deadline) == 0)
			break;
	}
	pthread_mutex_unlock(&e->lock);
	return ret;
}

/* ---- Start, stop, status ---------------------------------------------------- */

/* Let a transfer in flight finish: edu cannot abort one. */
static int quiesce(struct udaq_digitizer *dg, struct edu *e)
{
	int ret;

	if (e->phase != PHASE_IDLE && !__atomic_load_n(&e->gone, __ATOMIC_RELAXED)) {
		ret = engine_idle(e);
		if (ret)
			return ret;
		drain_irq(dg, e);
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
	if (is_gone(e))
		return -ENODEV;
	pthread_mutex_lock(&e->lock);
	ret = engine_idle(e);
	if (ret) {
		pthread_mutex_unlock(&e->lock);
		return ret;
	}
	drain_irq(dg, e);
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
	memset(s, 0, sizeof(*s));
	s->rd_ptr = udaq_ring_rd_ptr(dg->ring);
	s->irqs = __atomic_load_n(&e->irqs, __ATOMIC_RELAXED);
	s->irqs_missed = __atomic_load_n(&e->irqs_missed, __ATOMIC_RELAXED);
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
	.wait = edu_wait,
	.status = edu_status,
	.frame_len = edu_frame_len,
	.frame_samples = edu_frame_samples,
};
