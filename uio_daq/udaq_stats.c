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

static atomic_t udaq_stats[UDAQ_STAT_COUNT];
static struct dentry *udaq_stats_dir;

static const char * const udaq_stat_names[UDAQ_STAT_COUNT] = {
	[UDAQ_STAT_DEVICES] = "devices",
	[UDAQ_STAT_CHUNKS] = "chunks",
	[UDAQ_STAT_RING_PAGES] = "ring_pages",
	[UDAQ_STAT_DESC_MAPS] = "desc_maps",
	[UDAQ_STAT_IRQ_VECTORS] = "irq_vectors",
	[UDAQ_STAT_MAPPERS] = "mappers",
	[UDAQ_STAT_VMA_REFS] = "vma_refs",
};

void udaq_stat_add(enum udaq_stat s, int n)
{
	atomic_add(n, &udaq_stats[s]);
}

/* debugfs is for debugging: the stub works the same without it. */
void udaq_stats_init(void)
{
	unsigned int i;

	udaq_stats_dir = debugfs_create_dir(UDAQ_DRV_NAME, NULL);
	for (i = 0; i < UDAQ_STAT_COUNT; i++)
		debugfs_create_atomic_t(udaq_stat_names[i], 0444,
					udaq_stats_dir, &udaq_stats[i]);
}

/* Called once the driver is unregistered: every count must be zero. */
void udaq_stats_exit(void)
{
	unsigned int i;
	int v;

	debugfs_remove_recursive(udaq_stats_dir);
	for (i = 0; i < UDAQ_STAT_COUNT; i++) {
		v = atomic_read(&udaq_stats[i]);
		if (v)
			pr_err(UDAQ_DRV_NAME ": leak at unload: %s = %d, not 0\n",
			       udaq_stat_names[i], v);
	}
}
