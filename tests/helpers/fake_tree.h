/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Builds fake sysfs and /dev trees in a temporary directory, so that the
 * core can be tested against every shape of UIO entry without a kernel.
 * Helpers abort the test (cmocka fail) on any filesystem error: a fixture
 * that silently failed to build would make a test pass for the wrong reason.
 */
#ifndef UDAQ_TESTS_FAKE_TREE_H
#define UDAQ_TESTS_FAKE_TREE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

struct fake_tree {
	char root[PATH_MAX];	/* the temp dir */
	char sysfs[PATH_MAX];	/* <root>/sys */
	char dev[PATH_MAX];	/* <root>/dev */
};

void fake_tree_init(struct fake_tree *t);
void fake_tree_cleanup(struct fake_tree *t);

/* Write @content to <sysfs>/@rel, creating parent directories. */
void fake_write(struct fake_tree *t, const char *rel, const char *content);
void fake_mkdir(struct fake_tree *t, const char *rel);
void fake_unlink(struct fake_tree *t, const char *rel);
void fake_symlink(struct fake_tree *t, const char *rel, const char *target);

/* class/uio/uioN with name and version. */
void fake_uio(struct fake_tree *t, unsigned int idx, const char *name,
	      const char *version);
/* class/uio/uioN/maps/mapM/{name,addr,size,offset}, numbers as the kernel prints them. */
void fake_map(struct fake_tree *t, unsigned int idx, unsigned int m,
	      const char *name, uint64_t addr, uint64_t size, uint64_t offset);
/* A PCI parent: devices/pci0000:00/<addr>/{vendor,device} and the device link. */
void fake_pci_parent(struct fake_tree *t, unsigned int idx, const char *addr,
		     uint16_t vendor, uint16_t device);
/* A platform parent: devices/platform/<name> and the device link. */
void fake_platform_parent(struct fake_tree *t, unsigned int idx, const char *name);

/* <dev>/uioN as a regular file of @size bytes; returns its path in @path. */
void fake_node_file(struct fake_tree *t, unsigned int idx, size_t size,
		    char *path, size_t path_size);
/* <dev>/uioN as a FIFO. */
void fake_node_fifo(struct fake_tree *t, unsigned int idx, char *path,
		    size_t path_size);

#endif
