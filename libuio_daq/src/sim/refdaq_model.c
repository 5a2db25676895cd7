/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The simulated refdaq card: its registers and a device thread standing in
 * for the card's acquisition and DMA engines, following docs/refdaq.md.
 *
 * The model only reaches host memory through bus addresses translated by
 * the region list (an IOMMU, in effect), exactly as the card would: it
 * reads the chunk table at DESC_ADDR, writes frames through the chunks and
 * the write-back area at WB_ADDR. That keeps the userspace driver honest:
 * programming a wrong address fails here as it would on hardware.
 *
 * Locking: one mutex guards all state. The device thread drops it while it
 * builds and copies a frame (marked by @busy) so that register accesses
 * never wait for a memcpy; ENABLE 1->0 and RESET wait for @busy to clear,
 * as hardware finishes or abandons the frame in flight.
 */
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uio_daq/abi.h>
#include <uio_daq/frame.h>
#include <uio_daq/refdaq.h>
#include <uio_daq/sim.h>

#include "../frame_write.h"
#include "../le.h"
#include "sim.h"

#define NS_PER_S		UINT64_C(1000000000)
#define FULL_WAIT_NS		(10 * 1000 * 1000)	/* bounded wait on a full ring */
#define SINE_LEN		1024

struct sim_chunk {
	uint64_t start;		/* ring offset */
	uint64_t len;
	uint64_t bus;
};

struct refdaq_model {
	pthread_mutex_t lock;
	pthread_cond_t cv;	/* device thread: work to do; writers: !busy */
	pthread_t thread;

	/* Fixed at creation. */
	unsigned int channels;
	uint32_t max_rate;
	struct sim_region *regions;
	size_t nregions;
	int irq_fd;
	int16_t sine[SINE_LEN];

	/* Registers. */
	uint32_t ctrl;
	uint32_t sticky;
	uint32_t irq_status;
	uint32_t irq_mask;
	uint32_t sample_rate, chan_mask, format, frame_samples;
	uint32_t irq_threshold, irq_timeout_us;
	uint32_t desc_lo, desc_hi, desc_count, wb_lo, wb_hi;
	uint32_t rd_lo_staged;
	uint32_t wr_hi_latch, lost_hi_latch, frames_hi_latch;

	/* Device state. */
	bool quit, busy;
	bool kirq_enabled;	/* the kernel's INTx mask (irqcontrol) */
	bool running, ring_full, gap;
	bool stall_wb, fault_dma, fault_overflow;
	uint64_t gen;		/* acquisition generation: detects stop/restart */
	uint32_t run_ctrl;	/* CTRL mode bits latched at ENABLE */
	uint32_t run_rate, run_mask, run_fs;
	size_t frame_len;
	uint64_t ring_size;
	struct sim_chunk *chunks;
	size_t nchunks;
	unsigned char *wb;	/* host address of the write-back area */
	unsigned char *stage;	/* the frame being built */
	size_t stage_cap;

	uint64_t wr, rd, lost, frames, seq, sample;
	uint64_t t0_ns;
	uint64_t irq_base;	/* WR_PTR at the last DATA/TIMEOUT interrupt */
	bool tmo_armed;
	uint64_t tmo_deadline;

	/*
	 * Read on every interrupt by the waiting thread: on a cache line of
	 * its own, so that raising an interrupt (which writes the lock's
	 * line) does not make the waiter take a miss on it.
	 */
	_Alignas(64) bool gone;
	char pad[63];
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static struct timespec to_ts(uint64_t ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ns / NS_PER_S),
		.tv_nsec = (long)(ns % NS_PER_S),
	};

	return ts;
}

/* n samples at @rate Hz in ns, without overflowing for any u64 n. */
static uint64_t samples_to_ns(uint64_t n, uint32_t rate)
{
	return (n / rate) * NS_PER_S + (n % rate) * NS_PER_S / rate;
}

/* sin(2*pi*i/SINE_LEN) by Taylor series: libm is not worth a dependency here. */
static double sine(double x)
{
	double term = x, sum = x;
	int k;

	for (k = 1; k < 12; k++) {
		term *= -x * x / ((2 * k) * (2 * k + 1));
		sum += term;
	}
	return sum;
}

static void fill_sine(int16_t *t)
{
	const double pi = 3.14159265358979323846;
	int i;

	for (i = 0; i < SINE_LEN; i++) {
		double x = 2 * pi * i / SINE_LEN;

		if (x > pi)
			x -= 2 * pi;	/* keep the series in its accurate range */
		t[i] = (int16_t)(12000.0 * sine(x));
	}
}

/* ---- DMA: bus addresses to host memory -------------------------------- */

static unsigned char *dma_translate(const struct refdaq_model *m, uint64_t bus,
				    size_t len)
{
	size_t i;

	for (i = 0; i < m->nregions; i++) {
		const struct sim_region *r = &m->regions[i];

		if (bus >= r->bus && bus - r->bus <= r->len &&
		    len <= r->len - (bus - r->bus))
			return r->host + (bus - r->bus);
	}
	return NULL;
}

static size_t chunk_of(const struct refdaq_model *m, uint64_t off)
{
	size_t lo = 0, hi = m->nchunks;

	/* Binary search: a 1 GiB ring in 4 KiB chunks has 4096 entries. */
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (m->chunks[mid].start <= off)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* Copy @len bytes to stream position @pos through the chunk table. */
static int dma_write_ring(const struct refdaq_model *m, uint64_t pos,
			  const unsigned char *src, size_t len)
{
	uint64_t off = pos % m->ring_size;

	while (len) {
		const struct sim_chunk *c = &m->chunks[chunk_of(m, off)];
		uint64_t in = off - c->start;
		size_t n = (size_t)(c->len - in);
		unsigned char *dst;

		if (n > len)
			n = len;
		dst = dma_translate(m, c->bus + in, n);
		if (!dst)
			return -EFAULT;
		memcpy(dst, src, n);
		src += n;
		len -= n;
		off += n;
		if (off == m->ring_size)
			off = 0;
	}
	return 0;
}

/*
 * Host address of stream bytes [pos, pos + len) if they lie in one chunk,
 * so that a frame can be built in place, as a card's DMA engine streams
 * straight into host memory; NULL if they straddle chunks.
 */
static unsigned char *dma_direct(const struct refdaq_model *m, uint64_t pos,
				 size_t len)
{
	uint64_t off = pos % m->ring_size;
	const struct sim_chunk *c = &m->chunks[chunk_of(m, off)];
	uint64_t in = off - c->start;

	if (c->len - in < len)
		return NULL;
	return dma_translate(m, c->bus + in, len);
}

/* ---- Interrupt line --------------------------------------------------- */

static void signal_irq_fd(struct refdaq_model *m)
{
	uint64_t one = 1;

	/* The eventfd cannot overflow in practice; a failure loses nothing useful. */
	if (write(m->irq_fd, &one, sizeof(one)) != sizeof(one))
		return;
}

/* Level-triggered INTx as uio_pci_generic sees it: masked on delivery. */
static void update_line(struct refdaq_model *m)
{
	if (m->gone || !m->kirq_enabled || !(m->irq_status & m->irq_mask))
		return;
	m->kirq_enabled = false;
	signal_irq_fd(m);
}

static void raise_irq(struct refdaq_model *m, uint32_t bits)
{
	m->irq_status |= bits;
	update_line(m);
}

static void set_sticky(struct refdaq_model *m, uint32_t bit)
{
	m->sticky |= bit;
	raise_irq(m, bit == REFDAQ_STATUS_ERR_OVERFLOW ? REFDAQ_IRQ_OVERFLOW :
		  REFDAQ_IRQ_ERROR);
}

/* ---- Registers -------------------------------------------------------- */

static uint32_t status_reg(const struct refdaq_model *m)
{
	return m->sticky | (m->running ? REFDAQ_STATUS_RUNNING : 0) |
	       (m->ring_full ? REFDAQ_STATUS_RING_FULL : 0);
}

static void write_back(struct refdaq_model *m)
{
	if (!m->wb || m->stall_wb)
		return;
	put64(m->wb + REFDAQ_WB_OFF_LOST, m->lost);
	put64(m->wb + REFDAQ_WB_OFF_FRAMES, m->frames);
	put32(m->wb + REFDAQ_WB_OFF_STATUS, status_reg(m));
	/* Last, with release: a reader that sees WR_PTR sees the data. */
	__atomic_store_n((uint64_t *)(void *)(m->wb + REFDAQ_WB_OFF_WR_PTR),
			 htole64(m->wr), __ATOMIC_RELEASE);
}

/* Wait until the device thread has no frame in flight. Lock held. */
static void wait_idle(struct refdaq_model *m)
{
	while (m->busy)
		pthread_cond_wait(&m->cv, &m->lock);
}

static void stop_locked(struct refdaq_model *m)
{
	/*
	 * Stop first, then wait: a device thread that finds the generation
	 * changed abandons its frame and goes idle, instead of starting the
	 * next one before we get the lock back.
	 */
	m->running = false;
	m->ring_full = false;
	m->tmo_armed = false;
	m->gen++;
	wait_idle(m);
}

static void reset_locked(struct refdaq_model *m)
{
	stop_locked(m);
	m->ctrl = 0;
	m->sticky = 0;
	m->irq_status = 0;
	m->irq_mask = 0;
	m->sample_rate = 0;
	m->chan_mask = REFDAQ_CHAN_MASK_DEFAULT;
	m->format = UDAQ_FORMAT_I16LE;
	m->frame_samples = REFDAQ_FRAME_SAMPLES_DEFAULT;
	m->irq_threshold = 0;
	m->irq_timeout_us = 0;
	m->desc_lo = m->desc_hi = m->desc_count = 0;
	m->wb_lo = m->wb_hi = 0;
	m->rd_lo_staged = 0;
	m->wr = m->rd = m->lost = m->frames = m->seq = m->sample = 0;
	m->stall_wb = m->fault_dma = m->fault_overflow = false;
	m->gap = false;
	m->wb = NULL;
}

/* Read and check the chunk table, as ENABLE does. Return false if invalid. */
static bool latch_chunks(struct refdaq_model *m)
{
	uint64_t desc = (uint64_t)m->desc_hi << 32 | m->desc_lo;
	const unsigned char *t;
	struct sim_chunk *c;
	uint64_t total = 0;
	size_t i, n = m->desc_count;

	if (n == 0 || n > UDAQ_DESC_COUNT_MAX)
		return false;
	t = dma_translate(m, desc, n * UDAQ_CHUNK_SIZE);
	if (!t)
		return false;
	c = calloc(n, sizeof(*c));
	if (!c)
		return false;
	for (i = 0; i < n; i++) {
		uint64_t a = get64(t, i * UDAQ_CHUNK_SIZE + UDAQ_CHUNK_OFF_ADDR);
		uint64_t l = get64(t, i * UDAQ_CHUNK_SIZE + UDAQ_CHUNK_OFF_LEN);

		if (l == 0 || l % UDAQ_CHUNK_ALIGN || a % UDAQ_CHUNK_ALIGN ||
		    total + l < total) {
			free(c);
			return false;
		}
		c[i].start = total;
		c[i].len = l;
		c[i].bus = a;
		total += l;
	}
	free(m->chunks);
	m->chunks = c;
	m->nchunks = n;
	m->ring_size = total;
	return true;
}

/* ENABLE 0->1. Lock held, device stopped. */
static void enable_locked(struct refdaq_model *m)
{
	uint32_t valid_mask = m->channels >= 32 ? UINT32_MAX :
			      (UINT32_C(1) << m->channels) - 1;
	uint64_t wb = (uint64_t)m->wb_hi << 32 | m->wb_lo;
	bool freerun = m->ctrl & REFDAQ_CTRL_FREERUN;
	unsigned char *wbp;
	size_t fl;
	bool ok;

	wait_idle(m);	/* the stage buffer and chunks change below */
	ok = m->chan_mask && !(m->chan_mask & ~valid_mask) &&
	     m->format == UDAQ_FORMAT_I16LE && m->frame_samples >= 1 &&
	     m->sample_rate <= m->max_rate && (freerun || m->sample_rate >= 1) &&
	     wb && wb % 8 == 0;
	wbp = ok ? dma_translate(m, wb, REFDAQ_WB_SIZE) : NULL;
	ok = ok && wbp && latch_chunks(m);
	fl = udaq_frame_len_i16(m->frame_samples, m->chan_mask);
	ok = ok && fl <= m->ring_size / 4;
	if (ok && fl > m->stage_cap) {
		unsigned char *s = realloc(m->stage, fl);

		if (s) {
			m->stage = s;
			m->stage_cap = fl;
		}
		ok = s != NULL;
	}
	if (!ok) {
		m->ctrl &= ~REFDAQ_CTRL_ENABLE;
		set_sticky(m, REFDAQ_STATUS_ERR_CONFIG);
		return;
	}
	m->run_ctrl = m->ctrl;
	m->run_rate = m->sample_rate;
	m->run_mask = m->chan_mask;
	m->run_fs = m->frame_samples;
	m->frame_len = fl;
	m->wb = wbp;
	m->wr = m->rd = m->lost = m->frames = m->seq = m->sample = 0;
	m->irq_base = 0;
	m->tmo_armed = false;
	m->gap = false;
	m->ring_full = false;
	m->fault_dma = m->fault_overflow = false;
	/* A zeroed write-back before RUNNING: no stale WR_PTR from the last run. */
	memset(m->wb, 0, REFDAQ_WB_SIZE);
	m->running = true;
	write_back(m);
	m->gen++;
	m->t0_ns = now_ns();
	pthread_cond_broadcast(&m->cv);
}

static void write_ctrl(struct refdaq_model *m, uint32_t v)
{
	bool was = m->ctrl & REFDAQ_CTRL_ENABLE;

	if (v & REFDAQ_CTRL_RESET) {
		reset_locked(m);
		return;
	}
	m->ctrl = v & (REFDAQ_CTRL_ENABLE | REFDAQ_CTRL_TEST_PATTERN |
		       REFDAQ_CTRL_OVERWRITE | REFDAQ_CTRL_FREERUN);
	if (!was && (v & REFDAQ_CTRL_ENABLE)) {
		if (m->running)	/* halted by a DMA error, ENABLE still set */
			stop_locked(m);
		enable_locked(m);
	} else if (was && !(v & REFDAQ_CTRL_ENABLE)) {
		stop_locked(m);
		write_back(m);
	}
}

static void write_fault(struct refdaq_model *m, uint32_t v)
{
	if (v & REFDAQ_SIM_FAULT_DMA)
		m->fault_dma = true;
	if (v & REFDAQ_SIM_FAULT_STALL_WB)
		m->stall_wb = true;
	if (v & REFDAQ_SIM_FAULT_UNSTALL) {
		m->stall_wb = false;
		if (m->running)
			write_back(m);
	}
	if (v & REFDAQ_SIM_FAULT_OVERFLOW)
		m->fault_overflow = true;
	if (v & REFDAQ_SIM_FAULT_SWIRQ)
		raise_irq(m, REFDAQ_IRQ_DATA);
	if (v & REFDAQ_SIM_FAULT_GONE) {
		__atomic_store_n(&m->gone, true, __ATOMIC_RELEASE);
		m->running = false;
		m->gen++;
		/* Wake anyone blocked on the interrupt: they must see it gone. */
		signal_irq_fd(m);
		pthread_cond_broadcast(&m->cv);
	}
	/*
	 * Other faults are picked up at the next frame; waking an idle
	 * device thread for them would only steal a CPU from the consumer.
	 */
}

/* Latching 64-bit counter: LO returns the low half and latches the high. */
static uint32_t read_lo_latch(uint64_t v, uint32_t *latch)
{
	*latch = (uint32_t)(v >> 32);
	return (uint32_t)v;
}

uint32_t refdaq_model_read32(void *model, size_t off)
{
	struct refdaq_model *m = model;
	uint32_t v = 0;

	pthread_mutex_lock(&m->lock);
	if (m->gone) {
		pthread_mutex_unlock(&m->lock);
		return UINT32_MAX;
	}
	switch (off) {
	case REFDAQ_REG_ID: v = REFDAQ_ID_MAGIC; break;
	case REFDAQ_REG_VERSION: v = REFDAQ_VERSION_1_0; break;
	case REFDAQ_REG_CAPS:
		v = m->channels | (16u << REFDAQ_CAPS_WIDTH_SHIFT) |
		    REFDAQ_CAPS_OVERWRITE | REFDAQ_CAPS_TEST_PATTERN |
		    REFDAQ_CAPS_FMT_I16LE;
		break;
	case REFDAQ_REG_MAX_RATE: v = m->max_rate; break;
	case REFDAQ_REG_CTRL: v = m->ctrl; break;
	case REFDAQ_REG_STATUS: v = status_reg(m); break;
	case REFDAQ_REG_IRQ_STATUS: v = m->irq_status; break;
	case REFDAQ_REG_IRQ_MASK: v = m->irq_mask; break;
	case REFDAQ_REG_SAMPLE_RATE: v = m->sample_rate; break;
	case REFDAQ_REG_CHAN_MASK: v = m->chan_mask; break;
	case REFDAQ_REG_FORMAT: v = m->format; break;
	case REFDAQ_REG_FRAME_SAMPLES: v = m->frame_samples; break;
	case REFDAQ_REG_IRQ_THRESHOLD: v = m->irq_threshold; break;
	case REFDAQ_REG_IRQ_TIMEOUT_US: v = m->irq_timeout_us; break;
	case REFDAQ_REG_DESC_ADDR_LO: v = m->desc_lo; break;
	case REFDAQ_REG_DESC_ADDR_HI: v = m->desc_hi; break;
	case REFDAQ_REG_DESC_COUNT: v = m->desc_count; break;
	case REFDAQ_REG_WB_ADDR_LO: v = m->wb_lo; break;
	case REFDAQ_REG_WB_ADDR_HI: v = m->wb_hi; break;
	case REFDAQ_REG_WR_PTR_LO: v = read_lo_latch(m->wr, &m->wr_hi_latch); break;
	case REFDAQ_REG_WR_PTR_HI: v = m->wr_hi_latch; break;
	case REFDAQ_REG_RD_PTR_LO: v = (uint32_t)m->rd; break;
	case REFDAQ_REG_RD_PTR_HI: v = (uint32_t)(m->rd >> 32); break;
	case REFDAQ_REG_LOST_LO: v = read_lo_latch(m->lost, &m->lost_hi_latch); break;
	case REFDAQ_REG_LOST_HI: v = m->lost_hi_latch; break;
	case REFDAQ_REG_FRAMES_LO: v = read_lo_latch(m->frames, &m->frames_hi_latch); break;
	case REFDAQ_REG_FRAMES_HI: v = m->frames_hi_latch; break;
	default: v = 0; break;
	}
	pthread_mutex_unlock(&m->lock);
	return v;
}

void refdaq_model_write32(void *model, size_t off, uint32_t v)
{
	struct refdaq_model *m = model;
	bool cfg_ok;

	pthread_mutex_lock(&m->lock);
	if (m->gone) {
		pthread_mutex_unlock(&m->lock);
		return;
	}
	cfg_ok = !m->running;
	switch (off) {
	case REFDAQ_REG_CTRL: write_ctrl(m, v); break;
	case REFDAQ_REG_STATUS: m->sticky &= ~(v & REFDAQ_STATUS_STICKY_MASK); break;
	case REFDAQ_REG_IRQ_STATUS: m->irq_status &= ~v; break;
	case REFDAQ_REG_IRQ_MASK: m->irq_mask = v & REFDAQ_IRQ_ALL; update_line(m); break;
	case REFDAQ_REG_SAMPLE_RATE: if (cfg_ok) m->sample_rate = v; break;
	case REFDAQ_REG_CHAN_MASK: if (cfg_ok) m->chan_mask = v; break;
	case REFDAQ_REG_FORMAT: if (cfg_ok) m->format = v; break;
	case REFDAQ_REG_FRAME_SAMPLES: if (cfg_ok) m->frame_samples = v; break;
	case REFDAQ_REG_IRQ_THRESHOLD: if (cfg_ok) m->irq_threshold = v; break;
	case REFDAQ_REG_IRQ_TIMEOUT_US: if (cfg_ok) m->irq_timeout_us = v; break;
	case REFDAQ_REG_DESC_ADDR_LO: if (cfg_ok) m->desc_lo = v; break;
	case REFDAQ_REG_DESC_ADDR_HI: if (cfg_ok) m->desc_hi = v; break;
	case REFDAQ_REG_DESC_COUNT: if (cfg_ok) m->desc_count = v; break;
	case REFDAQ_REG_WB_ADDR_LO: if (cfg_ok) m->wb_lo = v; break;
	case REFDAQ_REG_WB_ADDR_HI: if (cfg_ok) m->wb_hi = v; break;
	case REFDAQ_REG_RD_PTR_LO: m->rd_lo_staged = v; break;
	case REFDAQ_REG_RD_PTR_HI: {
		uint64_t r = (uint64_t)v << 32 | m->rd_lo_staged;

		/* Only forward and never past what was written. */
		if (r - m->rd <= m->wr - m->rd) {
			m->rd = r;
			pthread_cond_broadcast(&m->cv);
		}
		break;
	}
	case REFDAQ_REG_SIM_FAULT: write_fault(m, v); break;
	default: break;
	}
	pthread_mutex_unlock(&m->lock);
}

void refdaq_model_irq_control(struct refdaq_model *m, bool enable)
{
	pthread_mutex_lock(&m->lock);
	m->kirq_enabled = enable;
	update_line(m);
	pthread_mutex_unlock(&m->lock);
}

bool refdaq_model_gone(struct refdaq_model *m)
{
	/* Lock-free: asked on every interrupt read, and it only ever goes true. */
	return __atomic_load_n(&m->gone, __ATOMIC_ACQUIRE);
}

/* ---- The device thread ----------------------------------------------- */

/* Build the frame at m->stage. Called without the lock: uses only its args. */
static void build_frame(unsigned char *p, size_t fl, const int16_t *sine,
			uint32_t ctrl, uint32_t mask, uint32_t fs, uint64_t seq,
			uint64_t first, uint64_t ts, uint16_t flags)
{
	uint32_t nch = (uint32_t)__builtin_popcount(mask);
	uint32_t payload = fs * nch * 2;
	unsigned int chans[32];
	uint16_t *s = (uint16_t *)(void *)(p + UDAQ_FRAME_HDR_LEN);
	unsigned int c, k = 0;
	uint32_t i;

	for (c = 0; c < 32; c++)
		if (mask & (UINT32_C(1) << c))
			chans[k++] = c;

	udaq_frame_write_hdr(p, &(struct udaq_frame_hdr){
		.seq = seq, .timestamp_ns = ts, .first_sample = first,
		.nsamples = fs, .chan_mask = mask, .flags = flags,
	});

	if (ctrl & REFDAQ_CTRL_TEST_PATTERN) {
		for (i = 0; i < fs; i++) {
			uint16_t base = (uint16_t)(((first + i) * UDAQ_TEST_MULT) >> 48);

			for (c = 0; c < nch; c++)
				*s++ = htole16((uint16_t)(base ^ chans[c]));
		}
	} else {
		/* A sine per channel, each at its own frequency, plus a little noise. */
		for (i = 0; i < fs; i++) {
			uint64_t n = first + i;
			uint64_t h = n * UDAQ_TEST_MULT;

			for (c = 0; c < nch; c++) {
				uint64_t period = 256 + 97 * chans[c];
				size_t ph = (size_t)((n % period) * SINE_LEN / period);
				int noise = (int)((h >> (59 - c % 8)) & 31) - 16;

				*s++ = htole16((uint16_t)(sine[ph] + noise));
			}
		}
	}
	memset(p + UDAQ_FRAME_HDR_LEN + payload, 0,
	       fl - UDAQ_FRAME_HDR_LEN - payload);
}

static void irq_after_frame(struct refdaq_model *m, uint64_t now)
{
	uint64_t thr = m->irq_threshold ? m->irq_threshold : 1;

	if (m->wr - m->irq_base >= thr) {
		m->irq_base = m->wr;
		m->tmo_armed = false;
		raise_irq(m, REFDAQ_IRQ_DATA);
	} else if (m->irq_timeout_us && !m->tmo_armed) {
		m->tmo_armed = true;
		m->tmo_deadline = now + (uint64_t)m->irq_timeout_us * 1000;
	}
}

static void check_timeout(struct refdaq_model *m, uint64_t now)
{
	if (m->tmo_armed && now >= m->tmo_deadline) {
		m->tmo_armed = false;
		m->irq_base = m->wr;
		raise_irq(m, REFDAQ_IRQ_TIMEOUT);
	}
}

static void drop_frame(struct refdaq_model *m)
{
	m->seq++;
	m->sample += m->run_fs;
	m->lost += m->run_fs;
	m->gap = true;
	set_sticky(m, REFDAQ_STATUS_ERR_OVERFLOW);
	write_back(m);
}

static void dma_error(struct refdaq_model *m)
{
	m->running = false;
	m->ring_full = false;
	m->tmo_armed = false;
	m->gen++;
	set_sticky(m, REFDAQ_STATUS_ERR_DMA);
}

static void timed_wait(struct refdaq_model *m, uint64_t deadline)
{
	struct timespec ts = to_ts(deadline);

	pthread_cond_timedwait(&m->cv, &m->lock, &ts);
}

/* Produce or drop the frame that is due. Lock held; may drop it. */
static void produce(struct refdaq_model *m, uint64_t now)
{
	bool freerun = m->run_ctrl & REFDAQ_CTRL_FREERUN;
	bool stop_policy = !(m->run_ctrl & REFDAQ_CTRL_OVERWRITE);
	uint64_t gen = m->gen, seq, first, ts, pos;
	unsigned char *direct;
	uint16_t flags;
	int ret;

	if (m->fault_overflow) {
		m->fault_overflow = false;
		drop_frame(m);
		return;
	}
	if (stop_policy && m->wr + m->frame_len - m->rd > m->ring_size) {
		m->ring_full = true;
		if (!freerun) {
			drop_frame(m);
			return;
		}
		/* Freerun time is virtual: wait for room rather than drop. */
		timed_wait(m, m->tmo_armed && m->tmo_deadline < now + FULL_WAIT_NS ?
			   m->tmo_deadline : now + FULL_WAIT_NS);
		return;
	}
	m->ring_full = false;
	if (m->fault_dma) {
		m->fault_dma = false;
		dma_error(m);
		return;
	}

	seq = m->seq;
	first = m->sample;
	ts = m->run_rate ? samples_to_ns(first, m->run_rate) : now - m->t0_ns;
	pos = m->wr;
	flags = (uint16_t)((m->gap ? UDAQ_FRAME_FLAG_GAP : 0) |
			   ((m->run_ctrl & REFDAQ_CTRL_TEST_PATTERN) ?
			    UDAQ_FRAME_FLAG_TEST : 0));
	m->busy = true;
	pthread_mutex_unlock(&m->lock);

	direct = dma_direct(m, pos, m->frame_len);
	build_frame(direct ? direct : m->stage, m->frame_len, m->sine, m->run_ctrl,
		    m->run_mask, m->run_fs, seq, first, ts, flags);
	ret = direct ? 0 : dma_write_ring(m, pos, m->stage, m->frame_len);

	pthread_mutex_lock(&m->lock);
	m->busy = false;
	pthread_cond_broadcast(&m->cv);
	if (gen != m->gen || !m->running)
		return;		/* stopped meanwhile: the frame is abandoned */
	if (ret) {
		dma_error(m);
		return;
	}
	m->wr += m->frame_len;
	m->seq++;
	m->sample += m->run_fs;
	m->frames++;
	m->gap = false;
	write_back(m);
	irq_after_frame(m, now);
}

static void *device_thread(void *arg)
{
	struct refdaq_model *m = arg;
	uint64_t now, due, deadline;

	pthread_mutex_lock(&m->lock);
	while (!m->quit) {
		if (m->gone || !m->running) {
			pthread_cond_wait(&m->cv, &m->lock);
			continue;
		}
		now = now_ns();
		check_timeout(m, now);
		if (!(m->run_ctrl & REFDAQ_CTRL_FREERUN)) {
			/* A frame is due once its last sample has been taken. */
			due = m->t0_ns + samples_to_ns(m->sample + m->run_fs,
						       m->run_rate);
			if (now < due) {
				deadline = due;
				if (m->tmo_armed && m->tmo_deadline < deadline)
					deadline = m->tmo_deadline;
				timed_wait(m, deadline);
				continue;
			}
		}
		produce(m, now);
	}
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

int refdaq_model_new(const struct sim_model_cfg *cfg, struct refdaq_model **out)
{
	struct refdaq_model *m;
	pthread_condattr_t ca;
	int ret;

	*out = NULL;
	if (!cfg->nregions || cfg->nregions > SIM_MAX_REGIONS)
		return -EINVAL;
	m = aligned_alloc(64, (sizeof(*m) + 63) & ~(size_t)63);
	if (!m)
		return -ENOMEM;
	memset(m, 0, sizeof(*m));
	m->regions = calloc(cfg->nregions, sizeof(*m->regions));
	if (!m->regions) {
		free(m);
		return -ENOMEM;
	}
	memcpy(m->regions, cfg->regions, cfg->nregions * sizeof(*m->regions));
	m->nregions = cfg->nregions;
	m->channels = cfg->channels;
	m->max_rate = cfg->max_rate;
	m->irq_fd = cfg->irq_fd;
	m->kirq_enabled = true;
	fill_sine(m->sine);

	ret = pthread_mutex_init(&m->lock, NULL);
	if (ret)
		goto fail_free;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	ret = pthread_cond_init(&m->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (ret)
		goto fail_mutex;
	pthread_mutex_lock(&m->lock);
	reset_locked(m);
	pthread_mutex_unlock(&m->lock);
	ret = pthread_create(&m->thread, NULL, device_thread, m);
	if (ret)
		goto fail_cond;
	*out = m;
	return 0;

fail_cond:
	pthread_cond_destroy(&m->cv);
fail_mutex:
	pthread_mutex_destroy(&m->lock);
fail_free:
	free(m->regions);
	free(m);
	return -ret;
}

void refdaq_model_free(struct refdaq_model *m)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	m->quit = true;
	pthread_cond_broadcast(&m->cv);
	pthread_mutex_unlock(&m->lock);
	pthread_join(m->thread, NULL);
	pthread_cond_destroy(&m->cv);
	pthread_mutex_destroy(&m->lock);
	free(m->chunks);
	free(m->stage);
	free(m->regions);
	free(m);
}
