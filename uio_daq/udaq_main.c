// SPDX-License-Identifier: GPL-2.0-only
/*
 * uio_daq: a minimal UIO driver for PCIe cards that stream samples by DMA
 * into a ring in host memory. The userspace driver (libuio_daq) does all
 * the device logic; this stub only does what userspace cannot: allocate
 * DMA memory the card can reach, tell userspace its bus addresses, and
 * forward the interrupt. See docs/kernel.md.
 */
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>

#include "udaq.h"

/* Largest block the page allocator hands out, hence the largest chunk. */
#define UIODAQ_CHUNK_MAX		(MAX_ORDER_NR_PAGES * PAGE_SIZE)

static unsigned long ring_size = 16ul << 20;
static unsigned long chunk_size = 1ul << 20;
static unsigned int dma_bits;
static bool force_intx;
static bool populate = true;

/* Sizes accept K/M/G suffixes ("ring_size=1G"). */
static int uiodaq_param_set_size(const char *val, const struct kernel_param *kp)
{
	char *end;
	unsigned long long v = memparse(val, &end);

	if (end == val || (*end && *end != '\n') || v > ULONG_MAX)
		return -EINVAL;
	*(unsigned long *)kp->arg = v;
	return 0;
}

static int uiodaq_param_get_size(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%lu\n", *(unsigned long *)kp->arg);
}

static const struct kernel_param_ops uiodaq_param_ops_size = {
	.set = uiodaq_param_set_size,
	.get = uiodaq_param_get_size,
};

module_param_cb(ring_size, &uiodaq_param_ops_size, &ring_size, 0444);
MODULE_PARM_DESC(ring_size, "DMA ring size in bytes, K/M/G suffixes (default 16M)");
module_param_cb(chunk_size, &uiodaq_param_ops_size, &chunk_size, 0444);
MODULE_PARM_DESC(chunk_size, "Ring chunk size, power of two, 4K..4M (default 1M)");
module_param(dma_bits, uint, 0444);
MODULE_PARM_DESC(dma_bits, "DMA address width in bits, 0 = the card's default (edu 28, refdaq 64, others 32)");
module_param(force_intx, bool, 0444);
MODULE_PARM_DESC(force_intx, "Use INTx even if the card has MSI");
module_param(populate, bool, 0444);
MODULE_PARM_DESC(populate, "Populate the ring mapping at mmap time (default Y); N faults it in page by page, for measurements");

/*
 * driver_data of the ID table. new_id only accepts driver_data values the
 * table uses, and cards added that way get 0, so GENERIC must be 0 and be
 * in the table: edu carries it, its narrower DMA mask is a quirk below.
 */
enum { UIODAQ_CARD_GENERIC = 0, UIODAQ_CARD_REFDAQ = 1 };

static const struct uiodaq_card uiodaq_cards[] = {
	[UIODAQ_CARD_GENERIC] = { .name = "uio_daq", .dma_bits = 32 },
	[UIODAQ_CARD_REFDAQ] = { .name = "refdaq", .dma_bits = 64 },
};

/* QEMU's edu masks DMA addresses to 28 bits unless told otherwise. */
static const struct uiodaq_card uiodaq_card_edu = { .name = "uio_daq", .dma_bits = 28 };

static const struct uiodaq_card *uiodaq_card_of(struct pci_dev *pdev,
						const struct pci_device_id *id)
{
	if (id->driver_data >= ARRAY_SIZE(uiodaq_cards))
		return NULL;
	if (pdev->vendor == UIODAQ_EDU_VENDOR && pdev->device == UIODAQ_EDU_DEVICE)
		return &uiodaq_card_edu;
	return &uiodaq_cards[id->driver_data];
}

/* The largest ring allowed: three quarters of RAM. */
static unsigned long uiodaq_ring_max(void)
{
	return (totalram_pages() - totalram_pages() / 4) << PAGE_SHIFT;
}

static int uiodaq_config_load(struct uiodaq_dev *ud)
{
	struct device *dev = &ud->pdev->dev;
	struct uiodaq_config *c = &ud->cfg;

	c->ring_size = ring_size;
	c->chunk_size = chunk_size;
	c->dma_bits = dma_bits ? dma_bits : ud->card->dma_bits;
	c->force_intx = force_intx;
	c->populate = populate;

	if (!is_power_of_2(c->chunk_size) || c->chunk_size < PAGE_SIZE ||
	    c->chunk_size > UIODAQ_CHUNK_MAX) {
		dev_err(dev, "chunk_size=%lu: must be a power of two from %lu to %lu\n",
			c->chunk_size, PAGE_SIZE, UIODAQ_CHUNK_MAX);
		return -EINVAL;
	}
	if (c->ring_size < UDAQ_RING_MIN || !PAGE_ALIGNED(c->ring_size)) {
		dev_err(dev, "ring_size=%lu: must be a multiple of %lu and at least %u\n",
			c->ring_size, PAGE_SIZE, UDAQ_RING_MIN);
		return -EINVAL;
	}
	/* Not DIV_ROUND_UP(): it wraps for a ring_size near ULONG_MAX. */
	if (c->ring_size / c->chunk_size + !!(c->ring_size % c->chunk_size) >
	    UDAQ_DESC_COUNT_MAX) {
		dev_err(dev, "ring_size=%lu: more than %d chunks of chunk_size=%lu\n",
			c->ring_size, UDAQ_DESC_COUNT_MAX, c->chunk_size);
		return -EINVAL;
	}
	/*
	 * Behind an IOMMU any free page will do, so a ring close to the size
	 * of memory would not fail early: it would take every free page
	 * first. A quarter of RAM stays out of reach.
	 */
	if (c->ring_size > uiodaq_ring_max()) {
		dev_err(dev, "ring_size=%lu: more than %lu bytes, 3/4 of RAM\n",
			c->ring_size, uiodaq_ring_max());
		return -EINVAL;
	}
	if (c->dma_bits < 24 || c->dma_bits > 64) {
		dev_err(dev, "dma_bits=%u: must be 0 or 24..64\n", c->dma_bits);
		return -EINVAL;
	}
	return 0;
}

static void uiodaq_dev_release(struct kref *ref)
{
	struct uiodaq_dev *ud = container_of(ref, struct uiodaq_dev, ref);

	pci_dev_put(ud->pdev);
	kfree(ud);
	uiodaq_stat_add(UIODAQ_STAT_DEVICES, -1);
}

void uiodaq_dev_put(struct uiodaq_dev *ud)
{
	kref_put(&ud->ref, uiodaq_dev_release);
}

/*
 * Bus mastering only while the device node is open: a card left running by
 * a daemon that crashed can no longer write the ring once the node closes,
 * and a card bound but unused cannot write at all. UIO calls these under
 * its info lock, so @opened needs no lock of its own.
 */
static int uiodaq_open(struct uio_info *info, struct inode *inode)
{
	struct uiodaq_dev *ud = info->priv;

	if (!ud->opened++)
		pci_set_master(ud->pdev);
	return 0;
}

static int uiodaq_release(struct uio_info *info, struct inode *inode)
{
	struct uiodaq_dev *ud = info->priv;

	if (!--ud->opened)
		pci_clear_master(ud->pdev);
	return 0;
}

/*
 * Reset the function (FLR, or whatever reset the PCI core has for it), so
 * that a card left running by a previous binding stops before a new ring
 * exists, and the card of this binding stops before its ring is freed.
 * Called with the device lock held (probe, remove).
 */
static void uiodaq_quiesce(struct uiodaq_dev *ud, const char *when)
{
	int ret = pci_reset_function_locked(ud->pdev);

	if (ret)
		dev_info(&ud->pdev->dev, "%s: no function reset (%d): only bus mastering (off while the node is closed) stops the card\n",
			 when, ret);
}

static void uiodaq_fill_maps(struct uiodaq_dev *ud)
{
	struct uio_mem *m = ud->info.mem;

	m[UDAQ_MAP_REGS].name = UDAQ_MAP_REGS_NAME;
	m[UDAQ_MAP_REGS].memtype = UIO_MEM_PHYS;
	m[UDAQ_MAP_REGS].addr = ud->bar_phys;
	m[UDAQ_MAP_REGS].size = ud->bar_len;

	/* Not contiguous on the bus: sysfs shows chunk 0, desc has them all. */
	m[UDAQ_MAP_RING].name = UDAQ_MAP_RING_NAME;
	m[UDAQ_MAP_RING].memtype = UIO_MEM_IOVA;
	m[UDAQ_MAP_RING].addr = ud->chunks[0].bus;
	m[UDAQ_MAP_RING].size = ud->cfg.ring_size;

	m[UDAQ_MAP_DESC].name = UDAQ_MAP_DESC_NAME;
	m[UDAQ_MAP_DESC].memtype = UIO_MEM_IOVA;
	m[UDAQ_MAP_DESC].addr = ud->desc_bus;
	m[UDAQ_MAP_DESC].size = ud->desc_size;
}

static int uiodaq_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	const struct uiodaq_card *card = uiodaq_card_of(pdev, id);
	struct uiodaq_dev *ud;
	int ret;

	if (!card) {
		dev_err(&pdev->dev, "new_id: driver_data %lu is not a known card type\n",
			id->driver_data);
		return -EINVAL;
	}
	ud = kzalloc(sizeof(*ud), GFP_KERNEL);
	if (!ud)
		return -ENOMEM;
	uiodaq_stat_add(UIODAQ_STAT_DEVICES, 1);
	kref_init(&ud->ref);
	ud->pdev = pci_dev_get(pdev);
	ud->card = card;
	spin_lock_init(&ud->irq_lock);
	init_rwsem(&ud->mem_lock);
	mutex_init(&ud->mappers_lock);
	INIT_LIST_HEAD(&ud->mappers);
	ud->info.irq = UIO_IRQ_NONE;

	ret = uiodaq_config_load(ud);
	if (ret)
		goto err_put;

	ret = pci_enable_device(pdev);
	if (ret) {
		dev_err(&pdev->dev, "cannot enable the device: %d\n", ret);
		goto err_put;
	}
	if (!(pci_resource_flags(pdev, 0) & IORESOURCE_MEM) ||
	    !pci_resource_len(pdev, 0)) {
		dev_err(&pdev->dev, "BAR0 is not a memory BAR\n");
		ret = -ENODEV;
		goto err_disable;
	}
	ret = pci_request_regions(pdev, UIODAQ_DRV_NAME);
	if (ret) {
		dev_err(&pdev->dev, "BARs are in use by another driver\n");
		goto err_disable;
	}
	ud->bar_phys = pci_resource_start(pdev, 0);
	ud->bar_len = pci_resource_len(pdev, 0);
	if (ud->bar_len < PAGE_SIZE)
		dev_warn(&pdev->dev, "BAR0 is %llu bytes, less than a page: the regs map cannot be mapped (its page may hold other devices' registers; pci=resource_alignment= gives it a page of its own)\n",
			 (unsigned long long)ud->bar_len);

	ret = dma_set_mask_and_coherent(&pdev->dev,
					DMA_BIT_MASK(ud->cfg.dma_bits));
	if (ret) {
		dev_err(&pdev->dev, "dma_bits=%u: DMA mask not supported\n",
			ud->cfg.dma_bits);
		goto err_regions;
	}
	/* The ring is mapped to userspace cached and never synchronised. */
	if (!dev_is_dma_coherent(&pdev->dev)) {
		dev_err(&pdev->dev, "DMA is not cache-coherent for this device: not supported\n");
		ret = -EINVAL;
		goto err_regions;
	}
	ud->translated = uiodaq_dma_translated(&pdev->dev);
	uiodaq_quiesce(ud, "probe");

	ret = uiodaq_ring_alloc(ud);
	if (ret)
		goto err_regions;
	ret = uiodaq_irq_setup(ud);
	if (ret)
		goto err_ring;

	ud->info.name = ud->card->name;
	ud->info.version = UIODAQ_DRV_VERSION;
	ud->info.priv = ud;
	ud->info.open = uiodaq_open;
	ud->info.release = uiodaq_release;
#ifdef UIODAQ_HAVE_UIO_MMAP_PREPARE
	ud->info.mmap_prepare = uiodaq_mmap_prepare;
#else
	ud->info.mmap = uiodaq_mmap;
#endif
	uiodaq_fill_maps(ud);

	ret = uio_register_device(&pdev->dev, &ud->info);
	if (ret) {
		dev_err(&pdev->dev, "UIO registration failed: %d\n", ret);
		goto err_irq;
	}
	pci_set_drvdata(pdev, ud);
	dev_info(&pdev->dev, "%s: ring %lu bytes in %u chunks, %u-bit DMA, irq %s\n",
		 ud->info.name, ud->cfg.ring_size, ud->nchunks, ud->cfg.dma_bits,
		 ud->info.irq == UIO_IRQ_NONE ? "none" : ud->msi ? "MSI" : "INTx");
	return 0;

err_irq:
	uiodaq_irq_teardown(ud);
err_ring:
	uiodaq_ring_free(ud);
err_regions:
	pci_release_regions(pdev);
err_disable:
	pci_disable_device(pdev);
err_put:
	uiodaq_dev_put(ud);
	return ret;
}

static void uiodaq_remove(struct pci_dev *pdev)
{
	struct uiodaq_dev *ud = pci_get_drvdata(pdev);

	/* No new mmap, read or irqcontrol after this, and the IRQ is freed. */
	uio_unregister_device(&ud->info);
	uiodaq_revoke_mappings(ud);
	/* A node still open elsewhere keeps mastering on: stop the card. */
	pci_clear_master(pdev);
	uiodaq_quiesce(ud, "remove");
	uiodaq_irq_teardown(ud);
	uiodaq_ring_free(ud);
	pci_release_regions(pdev);
	pci_disable_device(pdev);
	pci_set_drvdata(pdev, NULL);
	/* VMAs that are still there (now revoked) hold the rest. */
	uiodaq_dev_put(ud);
}

static const struct pci_device_id uiodaq_ids[] = {
	{ PCI_DEVICE(REFDAQ_PCI_VENDOR, REFDAQ_PCI_DEVICE),
	  .driver_data = UIODAQ_CARD_REFDAQ },
	{ PCI_DEVICE(UIODAQ_EDU_VENDOR, UIODAQ_EDU_DEVICE),
	  .driver_data = UIODAQ_CARD_GENERIC },
	{ }
};
MODULE_DEVICE_TABLE(pci, uiodaq_ids);

static struct pci_driver uiodaq_driver = {
	.name = UIODAQ_DRV_NAME,
	.id_table = uiodaq_ids,
	.probe = uiodaq_probe,
	.remove = uiodaq_remove,
};

static int __init uiodaq_init(void)
{
	int ret;

	uiodaq_stats_init();
	ret = pci_register_driver(&uiodaq_driver);
	if (ret)
		uiodaq_stats_exit();
	return ret;
}
module_init(uiodaq_init);

static void __exit uiodaq_exit(void)
{
	pci_unregister_driver(&uiodaq_driver);
	uiodaq_stats_exit();
}
module_exit(uiodaq_exit);

MODULE_DESCRIPTION("UIO driver for PCIe DMA streaming DAQ cards");
MODULE_AUTHOR("uio-daq developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(UIODAQ_DRV_VERSION);
