/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private to libuio_daq: PCI vendor/device names from the PCI ID database,
 * through libpci, without ever letting libpci end the process.
 */
#ifndef UIO_DAQ_PCI_NAMES_H
#define UIO_DAQ_PCI_NAMES_H

#include <stddef.h>
#include <stdint.h>

struct udaq_pci_names;

/* NULL when libpci cannot be set up (names are optional). */
struct udaq_pci_names *udaq_pci_names_new(void);
/* The same with another ID file than the system's (tests). */
struct udaq_pci_names *udaq_pci_names_new_path(const char *ids_path);
void udaq_pci_names_free(struct udaq_pci_names *names);

/*
 * Look up @vendor (and @device) names. Each out pointer receives a malloc'd
 * string, or NULL when the ID database does not know it.
 * Return: 0, -ENOMEM.
 */
int udaq_pci_names_lookup(struct udaq_pci_names *names, uint16_t vendor,
			  uint16_t device, char **vendor_name, char **device_name);

#endif /* UIO_DAQ_PCI_NAMES_H */
