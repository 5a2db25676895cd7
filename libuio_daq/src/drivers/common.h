/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private to the card drivers: what a driver of any card that speaks the
 * stub ABI (uio_daq/abi.h) and writes refdaq frames does the same way:
 * reading the descriptor map the stub wrote, resolving and checking a
 * configuration, taking interrupts and starting a status report.
 */
#ifndef UIO_DAQ_DRIVERS_COMMON_H
#define UIO_DAQ_DRIVERS_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include <uio_daq/digitizer.h>

#include "stream_internal.h"

/* A descriptor map whose header and chunk table have been checked. */
struct udaq_drv_desc {
	const unsigned char *map;
	uint32_t count;			/* chunks in the table */
	uint32_t table;			/* byte offset of the chunk table */
	uint32_t wb;			/* byte offset of the write-back area */
	uint64_t ring_size;		/* the sum of the chunks' lengths */
	uint64_t self_bus;		/* bus address of the map itself */
};

/*
 * Read the descriptor map @desc the stub wrote and check it against the
 * ring map's size @ring_map_size: header, a chunk table inside the map and
 * clear of the header, a write-back area of @wb_size bytes (what the card
 * writes there; 0 for none) likewise, chunks of whole pages adding up to
 * exactly the ring. Untrusted input: no check is skipped.
 * Return: 0, -EPROTO.
 */
int udaq_drv_desc_read(const struct udaq_map *desc, uint64_t ring_map_size,
		       size_t wb_size, struct udaq_drv_desc *out);

/* Chunk @i (< d->count) of a checked table: its bus address and length. */
void udaq_drv_desc_chunk(const struct udaq_drv_desc *d, uint32_t i,
			 uint64_t *bus, uint64_t *len);

/* How a driver's configuration messages name its device. */
struct udaq_drv_names {
	const char *has;	/* "chan_mask ... enables channel 9, but <has> 8 channels" */
	const char *maximum;	/* "sample_rate ... exceeds <maximum> of 100 Hz" */
};

/*
 * Fill in the defaults for the zero fields of @in, the refdaq's (which the
 * other drivers follow): the default frame halved until four fit in the
 * ring, an interrupt every eighth of the ring.
 */
void udaq_drv_config_resolve(const struct udaq_digitizer *dg,
			     const struct udaq_digitizer_config *in,
			     struct udaq_digitizer_config *out);

/*
 * Check @in, defaults resolved, against dg->caps; on failure write a
 * sentence naming the field, its value and what is allowed into @msg (if
 * not NULL), on success "ok". Return: 0 or -EINVAL.
 */
int udaq_drv_config_check(const struct udaq_digitizer *dg,
			  const struct udaq_digitizer_config *in,
			  const struct udaq_drv_names *names,
			  char *msg, size_t msglen);

/* The interrupts a driver has taken, for status(); atomic. */
struct udaq_drv_irqs {
	uint64_t count;
	uint64_t missed;		/* notifications the stub coalesced */
};

/*
 * The card's interrupt is acknowledged: unmask it at the stub again and
 * count it with the @missed ones. Return: 0, -errno from the transport.
 */
int udaq_drv_irq_done(struct udaq_dev *dev, struct udaq_drv_irqs *irqs,
		      uint32_t missed);

/*
 * Begin status() as on every card: @s zeroed, the ring's read position,
 * the interrupt counts. The driver fills in the rest.
 */
void udaq_drv_status_begin(struct udaq_digitizer *dg,
			   const struct udaq_drv_irqs *irqs,
			   struct udaq_digitizer_status *s);

#endif /* UIO_DAQ_DRIVERS_COMMON_H */
