/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the card drivers share (common.h): the descriptor map, the
 * configuration rules, interrupt and status bookkeeping, so that every
 * driver reads the stub's table, judges a configuration and counts its
 * interrupts alike.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <uio_daq/abi.h>
#include <uio_daq/refdaq.h>

#include "common.h"
#include "frame_write.h"
#include "le.h"

#define IRQ_TIMEOUT_MAX_US	10000000u

/* ---- The descriptor map ------------------------------------------------ */

int udaq_drv_desc_read(const struct udaq_map *desc, uint64_t ring_map_size,
		       size_t wb_size, struct udaq_drv_desc *out)
{
	const unsigned char *d = udaq_map_addr(desc);
	size_t dsize = udaq_map_size(desc);
	uint64_t ring_size, sum = 0;
	uint32_t count, table, wb, i;

	if (dsize < UDAQ_DESC_OFF_WB + 4 ||
	    get32(d, UDAQ_DESC_OFF_MAGIC) != UDAQ_DESC_MAGIC ||
	    get32(d, UDAQ_DESC_OFF_VERSION) != UDAQ_DESC_VERSION)
		return -EPROTO;
	count = get32(d, UDAQ_DESC_OFF_COUNT);
	table = get32(d, UDAQ_DESC_OFF_TABLE);
	ring_size = get64(d, UDAQ_DESC_OFF_RING_SIZE);
	wb = get32(d, UDAQ_DESC_OFF_WB);

	if (count == 0 || count > UDAQ_DESC_COUNT_MAX || table % 8 ||
	    table < UDAQ_DESC_OFF_WB + 4 ||
	    (uint64_t)table + (uint64_t)count * UDAQ_CHUNK_SIZE > dsize)
		return -EPROTO;
	if (wb % 8 || wb < UDAQ_DESC_OFF_WB + 4 || (uint64_t)wb + wb_size > dsize)
		return -EPROTO;
	if (ring_size != ring_map_size || ring_size < UDAQ_RING_MIN ||
	    ring_size % UDAQ_CHUNK_ALIGN)
		return -EPROTO;
	for (i = 0; i < count; i++) {
		uint64_t len = get64(d, table + (size_t)i * UDAQ_CHUNK_SIZE +
				     UDAQ_CHUNK_OFF_LEN);

		if (len == 0 || len % UDAQ_CHUNK_ALIGN || len > ring_size - sum)
			return -EPROTO;
		sum += len;
	}
	if (sum != ring_size)
		return -EPROTO;

	out->map = d;
	out->count = count;
	out->table = table;
	out->wb = wb;
	out->ring_size = ring_size;
	out->self_bus = get64(d, UDAQ_DESC_OFF_SELF_BUS);
	return 0;
}

void udaq_drv_desc_chunk(const struct udaq_drv_desc *d, uint32_t i,
			 uint64_t *bus, uint64_t *len)
{
	const unsigned char *c = d->map + d->table + (size_t)i * UDAQ_CHUNK_SIZE;

	*bus = get64(c, UDAQ_CHUNK_OFF_ADDR);
	*len = get64(c, UDAQ_CHUNK_OFF_LEN);
}

/* ---- Configuration ------------------------------------------------------ */

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

void udaq_drv_config_resolve(const struct udaq_digitizer *dg,
			     const struct udaq_digitizer_config *in,
			     struct udaq_digitizer_config *out)
{
	size_t quarter = dg->caps.ring_size / 4;

	*out = *in;
	if (out->frame_samples == 0 && out->chan_mask) {
		out->frame_samples = REFDAQ_FRAME_SAMPLES_DEFAULT;
		while (out->frame_samples > 1 &&
		       udaq_frame_len_i16(out->frame_samples, out->chan_mask) > quarter)
			out->frame_samples /= 2;
	}
	if (out->irq_threshold == 0)
		out->irq_threshold = (uint32_t)(dg->caps.ring_size / 8 > UINT32_MAX ?
						UINT32_MAX : dg->caps.ring_size / 8);
}

int udaq_drv_config_check(const struct udaq_digitizer *dg,
			  const struct udaq_digitizer_config *in,
			  const struct udaq_drv_names *names,
			  char *msg, size_t msglen)
{
	const struct udaq_digitizer_caps *caps = &dg->caps;
	struct udaq_digitizer_config c;
	uint32_t valid = caps->num_channels >= 32 ? UINT32_MAX :
			 (UINT32_C(1) << caps->num_channels) - 1;
	size_t fl;

	udaq_drv_config_resolve(dg, in, &c);
	if (c.chan_mask == 0)
		return bad(msg, msglen, "chan_mask is 0: enable at least one channel");
	if (c.chan_mask & ~valid)
		return bad(msg, msglen, "chan_mask 0x%x enables channel %d, but %s %u channels (0..%u)",
			   c.chan_mask, 31 - __builtin_clz(c.chan_mask), names->has,
			   caps->num_channels, caps->num_channels - 1);
	if (c.format != UDAQ_FORMAT_I16LE)
		return bad(msg, msglen, "format %u is not supported (only %d, int16 little-endian)",
			   c.format, UDAQ_FORMAT_I16LE);
	if (!c.freerun && c.sample_rate == 0)
		return bad(msg, msglen, "sample_rate is 0: set a rate in Hz or use freerun");
	if (c.sample_rate > caps->max_rate)
		return bad(msg, msglen, "sample_rate %u Hz exceeds %s of %u Hz",
			   c.sample_rate, names->maximum, caps->max_rate);
	fl = udaq_frame_len_i16(c.frame_samples, c.chan_mask);
	if (fl > caps->ring_size / 4)
		return bad(msg, msglen, "frame_samples %u x %d channels makes %zu-byte frames, more than a quarter of the %zu-byte ring",
			   c.frame_samples, __builtin_popcount(c.chan_mask), fl,
			   caps->ring_size);
	if (c.policy != UDAQ_POLICY_STOP && c.policy != UDAQ_POLICY_OVERWRITE)
		return bad(msg, msglen, "policy %d is unknown (stop or overwrite)", (int)c.policy);
	if (c.policy == UDAQ_POLICY_OVERWRITE && !caps->overwrite)
		return bad(msg, msglen, "policy overwrite is not supported by this card");
	if (c.test_pattern && !caps->test_pattern)
		return bad(msg, msglen, "test_pattern is not supported by this card");
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

/* ---- Interrupts and status ------------------------------------------------ */

int udaq_drv_irq_done(struct udaq_dev *dev, struct udaq_drv_irqs *irqs,
		      uint32_t missed)
{
	int ret;

	/* -ENOTSUP: the transport has no irqcontrol, nothing was masked. */
	ret = udaq_dev_irq_enable(dev, true);
	if (ret && ret != -ENOTSUP)
		return ret;
	__atomic_add_fetch(&irqs->count, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&irqs->missed, missed, __ATOMIC_RELAXED);
	return 0;
}

void udaq_drv_status_begin(struct udaq_digitizer *dg,
			   const struct udaq_drv_irqs *irqs,
			   struct udaq_digitizer_status *s)
{
	memset(s, 0, sizeof(*s));
	s->rd_ptr = udaq_ring_rd_ptr(dg->ring);
	s->irqs = __atomic_load_n(&irqs->count, __ATOMIC_RELAXED);
	s->irqs_missed = __atomic_load_n(&irqs->missed, __ATOMIC_RELAXED);
}
