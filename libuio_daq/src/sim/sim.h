/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private to the simulated refdaq: the interface between its transport
 * (memfds, eventfd, options) and its device model (registers, DMA engine,
 * device thread).
 */
#ifndef UIO_DAQ_SIM_INTERNAL_H
#define UIO_DAQ_SIM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What "sim:key=value,..." selects; see docs/simulator.md. */
struct sim_opts {
	size_t ring_size;
	size_t chunk_size;
	unsigned int channels;
	uint32_t max_rate;
};

/*
 * Parse @opts (the text after "sim:", may be ""). On failure writes a
 * sentence naming the bad option into @msg (if not NULL).
 * Return: 0 or -EINVAL.
 */
int sim_parse_opts(const char *opts, struct sim_opts *o, char *msg, size_t msglen);

/*
 * Host memory the model's DMA engine can reach: bus address ranges and the
 * host memory behind them, as an IOMMU would translate them.
 */
struct sim_region {
	uint64_t bus;
	size_t len;
	unsigned char *host;
};

#define SIM_MAX_REGIONS	(4096 + 1)

struct sim_model_cfg {
	unsigned int channels;
	uint32_t max_rate;
	const struct sim_region *regions;	/* copied */
	size_t nregions;
	int irq_fd;			/* eventfd the interrupt is delivered on */
};

struct refdaq_model;

int refdaq_model_new(const struct sim_model_cfg *cfg, struct refdaq_model **out);
/* Stops the device thread and frees the model. */
void refdaq_model_free(struct refdaq_model *m);

/* Register access from the library (struct udaq_reg_ops). Any thread. */
uint32_t refdaq_model_read32(void *model, size_t off);
void refdaq_model_write32(void *model, size_t off, uint32_t v);

/*
 * The kernel side of the interrupt (UIO irqcontrol): INTx is masked on
 * delivery and unmasked here; a still-asserted line is delivered again.
 */
void refdaq_model_irq_control(struct refdaq_model *m, bool enable);

/* True after a surprise removal (SIM_FAULT GONE). */
bool refdaq_model_gone(struct refdaq_model *m);

#endif /* UIO_DAQ_SIM_INTERNAL_H */
