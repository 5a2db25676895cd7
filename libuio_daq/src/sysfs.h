/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private to libuio_daq: the one parser of a UIO device's sysfs entries,
 * shared by enumeration (lsdaq) and by opening a device, so that both agree
 * on what a well-formed entry is.
 */
#ifndef UIO_DAQ_SYSFS_H
#define UIO_DAQ_SYSFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"

#define UDAQ_ERRMSG_MAX		320

struct udaq_sysfs_map {
	char name[UDAQ_NAME_MAX];
	uint64_t addr;
	uint64_t size;
	uint64_t offset;
};

struct udaq_sysfs_dev {
	unsigned int index;
	char devname[32];			/* "uioN" */
	char name[UDAQ_NAME_MAX];
	char version[UDAQ_NAME_MAX];
	size_t num_maps;
	struct udaq_sysfs_map maps[UDAQ_MAX_MAPS];
	bool is_pci;
	char pci_addr[32];			/* "0000:03:00.0" */
	uint16_t pci_vendor;
	uint16_t pci_device;
	int error;				/* 0 or -errno */
	char error_msg[UDAQ_ERRMSG_MAX];	/* names the offending file */
};

/*
 * Read <sysfs_root>/class/uio/uio@index into @out. Sysfs content is treated
 * as untrusted: every value is length- and format-checked. On a problem,
 * out->error/error_msg describe the first one and the fields read so far
 * stay filled in. Return: out->error.
 */
int udaq_sysfs_read_dev(const char *sysfs_root, unsigned int index,
			struct udaq_sysfs_dev *out);

/* Parse "uioN" (canonical decimal, no sign or leading zeros). */
bool udaq_sysfs_parse_devname(const char *s, unsigned int *index);

/*
 * Parse a PCI address "DDDD:BB:DD.F" or "BB:DD.F" into the canonical
 * lower-case "DDDD:BB:DD.F" form (@out must hold 13 bytes).
 */
bool udaq_sysfs_parse_pci_addr(const char *s, char *out, size_t out_size);

#endif /* UIO_DAQ_SYSFS_H */
