/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * uio_daq: private declarations shared by the stub's source files.
 *
 * The stub knows nothing about what the device does: it claims BAR0, builds
 * a DMA ring out of page-allocator chunks it owns plus a descriptor map that
 * tells the userspace driver where the chunks live on the bus, forwards one
 * interrupt, and exposes all three as UIO maps in the refdaq layout.
 */
#ifndef UIODAQ_H
#define UIODAQ_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/uio_driver.h>

#include <uio_daq/abi.h>
#include <uio_daq/refdaq.h>

#define UIODAQ_DRV_NAME		"uio_daq"
#define UIODAQ_DRV_VERSION	"0.1.0"
#define UIODAQ_NUM_MAPS		3

/* QEMU's edu (docs/edu-digitizer.md), bound with the generic defaults. */
#define UIODAQ_EDU_VENDOR	0x1234
#define UIODAQ_EDU_DEVICE	0x11e8

/* PCI_IRQ_LEGACY was renamed PCI_IRQ_INTX in 6.8 and removed in 6.10. */
#ifndef PCI_IRQ_INTX
#define PCI_IRQ_INTX		PCI_IRQ_LEGACY
#endif

/*
 * API differences between the supported kernels are detected by Kbuild,
 * which test-compiles a snippet against the target's headers for each
 * (UIODAQ_HAVE_*), rather than by testing the version:
 * - VM_FLAGS_SET: vm_flags became read-only behind accessors in 6.3.
 * - UIO_MMAP_PREPARE: struct uio_info lost .mmap for .mmap_prepare, which
 *   gets a VMA descriptor and returns an action (7.2).
 * - VM_OPS_MAPPED: vm_operations_struct.mapped, called once an
 *   mmap_prepare mapping exists: where a VMA may take a reference.
 */
#ifndef UIODAQ_HAVE_VM_FLAGS_SET
static inline void uiodaq_vm_flags_set(struct vm_area_struct *vma, unsigned long f)
{
	vma->vm_flags |= f;
}

static inline void uiodaq_vm_flags_clear(struct vm_area_struct *vma,
					 unsigned long f)
{
	vma->vm_flags &= ~f;
}
#else
#define uiodaq_vm_flags_set(vma, f)	vm_flags_set(vma, f)
#define uiodaq_vm_flags_clear(vma, f)	vm_flags_clear(vma, f)
#endif

/* Defaults that depend on the card, picked through the ID table. */
struct uiodaq_card {
	const char *name;		/* UIO name userspace matches on */
	unsigned int dma_bits;		/* used when dma_bits=0 */
};

/* Snapshot of the module parameters taken at probe time. */
struct uiodaq_config {
	unsigned long ring_size;
	unsigned long chunk_size;
	unsigned int dma_bits;
	bool force_intx;
	bool populate;
};

/* One chunk: 2^order pages split into single pages, one DMA mapping. */
struct uiodaq_chunk {
	struct page *page;
	dma_addr_t bus;
	size_t len;
	unsigned int order;
};

/* The pages of a page-backed map (ring or desc) in mapping order. */
struct uiodaq_pages {
	struct page **pages;
	unsigned long count;
};

struct uiodaq_dev {
	/* One reference for the bound device, one per VMA of a map. */
	struct kref ref;
	struct pci_dev *pdev;
	const struct uiodaq_card *card;
	struct uiodaq_config cfg;
	struct uio_info info;

	/* Translated by an IOMMU: the bus addresses are IOVAs. */
	bool translated;
	struct uiodaq_chunk *chunks;
	unsigned int nchunks;
	struct uiodaq_pages ring;
	/* The descriptor map: one chunk, written by the stub through @desc. */
	struct uiodaq_chunk desc_chunk;
	struct uiodaq_pages desc_pages;
	void *desc;
	dma_addr_t desc_bus;
	size_t desc_size;

	/* Opens of the device node; bus mastering is on while non-zero. */
	unsigned int opened;

	phys_addr_t bar_phys;
	resource_size_t bar_len;

	/* Interrupts: MSI masks with disable_irq, INTx in config space. */
	bool msi;
	bool irq_disabled;	/* MSI: disabled by irqcontrol */
	bool intx_masked;	/* INTx: masked by the handler or irqcontrol */
	spinlock_t irq_lock;	/* guards both */

	/*
	 * Lifetime of the memory behind the maps. Faults take mem_lock for
	 * reading and see @dead; revoking sets it for writing, so a fault is
	 * either finished before the zap or sees @dead and raises SIGBUS.
	 */
	struct rw_semaphore mem_lock;
	bool dead;
	/* Who mapped us: (inode, mm) pairs to zap on removal. */
	struct mutex mappers_lock;
	struct list_head mappers;
};

/*
 * Live counts of the stub's objects (udaq_stats.c): each is added where
 * the object is created and subtracted where it is freed.
 */
enum uiodaq_stat {
	UIODAQ_STAT_DEVICES,	/* struct uiodaq_dev, with its pci_dev reference */
	UIODAQ_STAT_CHUNKS,	/* ring chunks, allocated and DMA-mapped */
	UIODAQ_STAT_RING_PAGES,	/* pages in those chunks */
	UIODAQ_STAT_DESC_MAPS,	/* descriptor maps, allocated and DMA-mapped */
	UIODAQ_STAT_IRQ_VECTORS,	/* allocated interrupt vectors */
	UIODAQ_STAT_MAPPERS,	/* mapper records, each with an inode and mm */
	UIODAQ_STAT_VMA_REFS,	/* device references held by VMAs */
	UIODAQ_STAT_COUNT
};

void uiodaq_stat_add(enum uiodaq_stat s, int n);
void uiodaq_stats_init(void);
void uiodaq_stats_exit(void);

/* udaq_ring.c */
bool uiodaq_dma_translated(struct device *dev);
int uiodaq_ring_alloc(struct uiodaq_dev *ud);
void uiodaq_ring_free(struct uiodaq_dev *ud);
const struct uiodaq_pages *uiodaq_map_pages(struct uiodaq_dev *ud,
					   unsigned long mi);

/* udaq_main.c */
void uiodaq_dev_put(struct uiodaq_dev *ud);

/* udaq_mmap.c */
#ifdef UIODAQ_HAVE_UIO_MMAP_PREPARE
int uiodaq_mmap_prepare(struct uio_info *info, struct vm_area_desc *desc);
#else
int uiodaq_mmap(struct uio_info *info, struct vm_area_struct *vma);
#endif
void uiodaq_revoke_mappings(struct uiodaq_dev *ud);

/* udaq_irq.c */
int uiodaq_irq_setup(struct uiodaq_dev *ud);
void uiodaq_irq_teardown(struct uiodaq_dev *ud);

#endif /* UIODAQ_H */
