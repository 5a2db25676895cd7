// SPDX-License-Identifier: GPL-2.0-only
/*
 * uio_daq: live counts of everything the stub allocates, for leak checks.
 *
 * Each object the stub owns is counted where it is created and uncounted
 * where it is freed. With no device bound and no mapping left every count
 * is zero, exactly: a leaked device structure or mapper record (a few
 * hundred bytes) shows as a count of one, where MemFree would drown it in
 * the page cache, slab and the IOMMU's IOVA caches moving by megabytes.
 *
 * debugfs shows the counts (uio_daq/<name>, one number each) for the
 * kernel suite to read while the module is loaded, and the module checks
 * them once more when it is unloaded, when nothing can hold them any more:
 * an open node or a mapping keeps the module loaded.
 */
#include <linux/debugfs.h>
#include <linux/kernel.h>
#include <linux/module.h>

#include "udaq.h"

static atomic_t uiodaq_stats[UIODAQ_STAT_COUNT];
static struct dentry *uiodaq_stats_dir;

static const char * const uiodaq_stat_names[UIODAQ_STAT_COUNT] = {
	[UIODAQ_STAT_DEVICES] = "devices",
	[UIODAQ_STAT_CHUNKS] = "chunks",
	[UIODAQ_STAT_RING_PAGES] = "ring_pages",
	[UIODAQ_STAT_DESC_MAPS] = "desc_maps",
	[UIODAQ_STAT_IRQ_VECTORS] = "irq_vectors",
	[UIODAQ_STAT_MAPPERS] = "mappers",
	[UIODAQ_STAT_VMA_REFS] = "vma_refs",
};

void uiodaq_stat_add(enum uiodaq_stat s, int n)
{
	atomic_add(n, &uiodaq_stats[s]);
}

/* debugfs is for debugging: the stub works the same without it. */
void uiodaq_stats_init(void)
{
	unsigned int i;

	uiodaq_stats_dir = debugfs_create_dir(UIODAQ_DRV_NAME, NULL);
	for (i = 0; i < UIODAQ_STAT_COUNT; i++)
		debugfs_create_atomic_t(uiodaq_stat_names[i], 0444,
					uiodaq_stats_dir, &uiodaq_stats[i]);
}

/* Called once the driver is unregistered: every count must be zero. */
void uiodaq_stats_exit(void)
{
	unsigned int i;
	int v;

	debugfs_remove_recursive(uiodaq_stats_dir);
	for (i = 0; i < UIODAQ_STAT_COUNT; i++) {
		v = atomic_read(&uiodaq_stats[i]);
		if (v)
			pr_err(UIODAQ_DRV_NAME ": leak at unload: %s = %d, not 0\n",
			       uiodaq_stat_names[i], v);
	}
}
