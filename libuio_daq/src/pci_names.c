/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PCI vendor and device names from the PCI ID database, through libpci.
 *
 * Only name lookup is used: no pci_init(), so libpci never probes access
 * methods or touches configuration space. libpci reports fatal problems
 * (a corrupt pci.ids, an allocation failure) through an error callback
 * that must not return and whose default calls exit(); a library must not
 * end its caller's process, so ours unwinds back to the lookup that was
 * running and the names are reported as unknown instead.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <pci/pci.h>

#include "pci_names.h"

struct udaq_pci_names {
	struct pci_access *pacc;
	bool broken;		/* libpci failed once: its state is suspect */
};

/*
 * The callbacks take no user argument, so the way back is per thread. It
 * is set only for the duration of one guarded libpci call, never shared
 * between threads or calls: not library state in any lasting sense.
 */
static _Thread_local jmp_buf *pci_escape;

__attribute__((noreturn, format(printf, 1, 2)))
static void on_pci_error(char *msg, ...)
{
	if (pci_escape)
		longjmp(*pci_escape, 1);
	/* Unreachable: every libpci call below runs under a guard. */
	abort();
}

__attribute__((format(printf, 1, 2)))
static void on_pci_quiet(char *msg, ...)
{
	/* A library does not write to its caller's stderr. */
}

struct udaq_pci_names *udaq_pci_names_new(void)
{
	return udaq_pci_names_new_path(NULL);
}

struct udaq_pci_names *udaq_pci_names_new_path(const char *ids_path)
{
	struct udaq_pci_names *names;
	char *path;

	names = calloc(1, sizeof(*names));
	if (!names)
		return NULL;
	names->pacc = pci_alloc();
	if (!names->pacc) {
		free(names);
		return NULL;
	}
	names->pacc->error = on_pci_error;
	names->pacc->warning = on_pci_quiet;
	names->pacc->debug = on_pci_quiet;
	names->pacc->numeric_ids = 0;
	if (ids_path) {
		/* libpci frees it with the access when told to (last argument). */
		path = strdup(ids_path);
		if (!path) {
			udaq_pci_names_free(names);
			return NULL;
		}
		pci_set_name_list_path(names->pacc, path, 1);
	}
	return names;
}

void udaq_pci_names_free(struct udaq_pci_names *names)
{
	jmp_buf env;

	if (!names)
		return;
	pci_escape = &env;
	if (!setjmp(env))
		pci_cleanup(names->pacc);
	pci_escape = NULL;
	free(names);
}

static int lookup_one(struct udaq_pci_names *names, char **out, int flags,
		      uint16_t vendor, uint16_t device)
{
	char buf[256];
	const char *volatile res = NULL;
	jmp_buf env;

	*out = NULL;
	if (names->broken)
		return 0;
	pci_escape = &env;
	if (setjmp(env)) {
		names->broken = true;
		res = NULL;
	} else {
		/* NO_NUMBERS: unknown IDs give NULL, not a formatted number. */
		res = pci_lookup_name(names->pacc, buf, sizeof(buf),
				      flags | PCI_LOOKUP_NO_NUMBERS |
				      PCI_LOOKUP_NO_HWDB,
				      (int)vendor, (int)device);
	}
	pci_escape = NULL;
	if (!res || !res[0])
		return 0;
	*out = strdup(res);
	return *out ? 0 : -ENOMEM;
}

int udaq_pci_names_lookup(struct udaq_pci_names *names, uint16_t vendor,
			  uint16_t device, char **vendor_name, char **device_name)
{
	int ret;

	*vendor_name = NULL;
	*device_name = NULL;
	if (!names)
		return 0;
	ret = lookup_one(names, vendor_name, PCI_LOOKUP_VENDOR, vendor, 0);
	if (!ret)
		ret = lookup_one(names, device_name, PCI_LOOKUP_DEVICE, vendor,
				 device);
	if (ret) {
		free(*vendor_name);
		*vendor_name = NULL;
	}
	return ret;
}
