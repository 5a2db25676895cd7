/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * uio_daq: private declarations shared by the stub's source files.
 *
 * The stub knows nothing about what the device does: it claims BAR0, builds
 * a DMA ring out of coherent chunks plus a descriptor map that tells the
 * userspace driver where the chunks live on the bus, forwards one interrupt,
 * and exposes all three as UIO maps in the refdaq layout.
 */
#ifndef UDAQ_H
#define UDAQ_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/uio_driver.h>

#include <uio_daq/refdaq_regs.h>

#define UDAQ_DRV_NAME		"uio_daq"
#define UDAQ_DRV_VERSION	"0.1.0"
#define UDAQ_NUM_MAPS		3

/* PCI_IRQ_LEGACY was renamed PCI_IRQ_INTX in 6.8 and removed in 6.10. */
#ifndef PCI_IRQ_INTX
#define PCI_IRQ_INTX		PCI_IRQ_LEGACY
#endif

/*
 * vm_flags became read-only behind accessors in 6.3; Kbuild detects them
 * (UDAQ_HAVE_VM_FLAGS_SET) rather than testing the version.
 */
#ifndef UDAQ_HAVE_VM_FLAGS_SET
static inline void udaq_vm_flags_set(struct vm_area_struct *vma, unsigned long f)
{
	vma->vm_flags |= f;
}

static inline void udaq_vm_flags_clear(struct vm_area_struct *vma,
				       unsigned long f)
{
	vma->vm_flags &= ~f;
}
#else
#define udaq_vm_flags_set(vma, f)	vm_flags_set(vma, f)
#define udaq_vm_flags_clear(vma, f)	vm_flags_clear(vma, f)
#endif

/* Defaults that depend on the card, picked through the ID table. */
struct udaq_card {
	const char *name;		/* UIO name userspace matches on */
	unsigned int dma_bits;		/* used when dma_bits=0 */
};

/* Snapshot of the module parameters taken at probe time. */
struct udaq_config {
	unsigned long ring_size;
	unsigned long chunk_size;
	unsigned int dma_bits;
	bool force_intx;
	bool populate;
};

struct udaq_chunk {
	void *cpu;
	dma_addr_t bus;
	size_t len;
};

struct udaq_dev {
	/* One reference for the bound device, one per VMA of a map. */
	struct kref ref;
	struct pci_dev *pdev;
	const struct udaq_card *card;
	struct udaq_config cfg;
	struct uio_info info;

	struct udaq_chunk *chunks;
	unsigned int nchunks;
	void *desc;
	dma_addr_t desc_bus;
	size_t desc_size;

	phys_addr_t bar_phys;
	resource_size_t bar_len;

	/* Interrupts: MSI masks with disable_irq, INTx in config space. */
	bool msi;
	bool irq_disabled;
	spinlock_t irq_lock;

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
enum udaq_stat {
	UDAQ_STAT_DEVICES,	/* struct udaq_dev, with its pci_dev reference */
	UDAQ_STAT_CHUNKS,	/* coherent ring chunks */
	UDAQ_STAT_RING_PAGES,	/* pages in those chunks */
	UDAQ_STAT_DESC_MAPS,	/* coherent descriptor maps */
	UDAQ_STAT_IRQ_VECTORS,	/* allocated interrupt vectors */
	UDAQ_STAT_MAPPERS,	/* mapper records, each with an inode and mm */
	UDAQ_STAT_VMA_REFS,	/* device references held by VMAs */
	UDAQ_STAT_COUNT
};

void udaq_stat_add(enum udaq_stat s, int n);
void udaq_stats_init(void);
void udaq_stats_exit(void);

/* udaq_ring.c */
int udaq_ring_alloc(struct udaq_dev *ud);
void udaq_ring_free(struct udaq_dev *ud);
struct page *udaq_ring_page(struct udaq_dev *ud, unsigned long off);

/* udaq_main.c */
void udaq_dev_put(struct udaq_dev *ud);

/* udaq_mmap.c */
int udaq_mmap(struct uio_info *info, struct vm_area_struct *vma);
void udaq_revoke_mappings(struct udaq_dev *ud);

/* udaq_irq.c */
int udaq_irq_setup(struct udaq_dev *ud);
void udaq_irq_teardown(struct udaq_dev *ud);

#endif /* UDAQ_H */
