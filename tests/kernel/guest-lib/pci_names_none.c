// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Stand-in for libuio_daq's pci_names.c in the static guest program:
 * Debian ships no static libpci, and the guest has no pci.ids to read, so
 * every name is unknown (NULL), which the library's API allows.
 */
#include <errno.h>
#include <stddef.h>

#include "pci_names.h"

struct udaq_pci_names *udaq_pci_names_new(void)
{
	return NULL;
}

struct udaq_pci_names *udaq_pci_names_new_path(const char *ids_path)
{
	(void)ids_path;
	return NULL;
}

void udaq_pci_names_free(struct udaq_pci_names *names)
{
	(void)names;
}

int udaq_pci_names_lookup(struct udaq_pci_names *names, uint16_t vendor,
			  uint16_t device, char **vendor_name, char **device_name)
{
	(void)names;
	(void)vendor;
	(void)device;
	*vendor_name = NULL;
	*device_name = NULL;
	return -ENOENT;
}
