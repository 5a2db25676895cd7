/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private to libuio_daq: the device object and the transport interface.
 *
 * A transport provides what a device is made of: the maps (a file
 * descriptor and offset to mmap each one from), the interrupt fd and the
 * irqcontrol operation. "uio" is /dev/uioN; "sim" is the simulated refdaq
 * (memfds for the maps, an eventfd for the interrupt). Everything above the
 * transport (maps, ring, digitizer drivers) is shared.
 */
#ifndef UIO_DAQ_INTERNAL_H
#define UIO_DAQ_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <uio_daq/uio_daq.h>

#define UDAQ_MAX_MAPS		5	/* UIO's MAX_UIO_MAPS */
#define UDAQ_NAME_MAX		64

struct udaq_ctx {
	char *sysfs_root;
	char *dev_root;
};

/* Register access hooks, for maps whose registers are a model (sim). */
struct udaq_reg_ops {
	uint32_t (*read32)(void *arg, size_t off);
	void (*write32)(void *arg, size_t off, uint32_t v);
};

struct udaq_map {
	struct udaq_dev *dev;
	size_t index;
	char name[UDAQ_NAME_MAX];
	uint64_t phys;
	size_t size;
	/*
	 * Where the map starts inside its first page (sysfs mapN/offset):
	 * UIO mmaps whole pages, so a map whose address is not page aligned
	 * begins this far into the mapping. 0 for the simulator.
	 */
	size_t offset;
	unsigned int flags;		/* UDAQ_MAP_* it was mapped with */
	void *addr;			/* NULL until mapped */
	void *reserve;			/* whole reservation (double maps) */
	size_t reserve_len;
	const struct udaq_reg_ops *reg_ops;	/* NULL: plain MMIO */
	void *reg_arg;
};

struct udaq_transport_ops {
	/* Where to mmap map @index from. */
	int (*map_source)(struct udaq_dev *dev, size_t index, int *fd,
			  off_t *offset);
	/*
	 * Consume one pending interrupt notification: *count receives the
	 * running total of interrupts raised (UIO's event count semantics).
	 * Return 0, -EAGAIN if none is pending, -ENODEV if gone, -errno.
	 */
	int (*irq_read)(struct udaq_dev *dev, uint32_t *count);
	int (*irq_control)(struct udaq_dev *dev, bool enable);
	void (*close)(struct udaq_dev *dev);
};

struct udaq_dev {
	struct udaq_ctx *ctx;
	char name[UDAQ_NAME_MAX];
	char devname[32];
	char pci_addr[32];
	uint16_t pci_vendor;
	uint16_t pci_device;
	bool is_sim;
	size_t num_maps;
	struct udaq_map maps[UDAQ_MAX_MAPS];
	int irq_fd;			/* pollable; owned by the transport */
	const struct udaq_transport_ops *ops;
	void *priv;			/* transport private data */

	pthread_mutex_t lock;		/* maps[] mapping state */
	bool irq_seen;			/* irq_last is valid */
	uint32_t irq_last;		/* last event count read */
	uint64_t irq_total;		/* interrupts seen */
};

/*
 * Fill @dev (already zeroed, ctx set) as a simulated refdaq. @opts is what
 * followed "sim:" in the spec, or "". Sets ops, priv, maps[] (name, size,
 * reg_ops for the register map), irq_fd, name ("refdaq-sim"), devname
 * ("sim"), PCI IDs (the refdaq IDs). Starts the simulator thread.
 * Return: 0, -EINVAL for bad options, -errno.
 */
int udaq_sim_attach(struct udaq_dev *dev, const char *opts);

/*
 * Fill @dev from UIO node uio@index: reads sysfs (name, maps, PCI identity)
 * and opens <dev_root>/uioN. Return: 0, -errno.
 */
int udaq_uio_attach(struct udaq_dev *dev, unsigned int index);

/* Resolve an open() spec other than "sim" to a UIO index. */
int udaq_resolve_spec(struct udaq_ctx *ctx, const char *spec,
		      unsigned int *index);

#endif /* UIO_DAQ_INTERNAL_H */
