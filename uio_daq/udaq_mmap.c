// SPDX-License-Identifier: GPL-2.0-only
/*
 * uio_daq: mmap of the three maps, and revoking them when the device goes.
 *
 * UIO selects the map by the page offset (map N at offset N * PAGE_SIZE) and
 * calls us for every map, so the offset is not a position inside the map:
 * a map is always mapped from its start, and vm_pgoff is set to 0 only for
 * the duration of the helpers that read it as one.
 *
 * The ring is mapped as one contiguous range, populated now: one
 * dma_mmap_coherent() per chunk with the VMA narrowed to that chunk. A
 * process streaming at full rate must not take a page fault per page on
 * first touch (see docs/kernel.md for the measured cost). The fault-per-page
 * variant (populate=0) exists to measure exactly that.
 *
 * Lifetime: the maps are revoked, not kept alive. On unbind or removal the
 * stub zaps every PTE of every process that mapped the device (through the
 * address_space of the device node it was mapped from) before it frees the
 * memory; later accesses fault into uiodaq_vm_fault(), which raises SIGBUS.
 * Keeping the buffers alive with a reference per VMA was rejected: freeing
 * them later needs the DMA API of a device that may have left its IOMMU
 * group by then.
 */
#include <linux/dma-mapping.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "udaq.h"

struct uiodaq_mapper {
	struct list_head node;
	struct inode *inode;
	struct mm_struct *mm;	/* NULL once that process has exited */
};

static void uiodaq_vm_open(struct vm_area_struct *vma)
{
	struct uiodaq_dev *ud = vma->vm_private_data;

	kref_get(&ud->ref);
	uiodaq_stat_add(UIODAQ_STAT_VMA_REFS, 1);
}

static void uiodaq_vm_close(struct vm_area_struct *vma)
{
	uiodaq_stat_add(UIODAQ_STAT_VMA_REFS, -1);
	uiodaq_dev_put(vma->vm_private_data);
}

/* Every map is fully populated at mmap time: a fault means it was revoked. */
static vm_fault_t uiodaq_vm_fault_revoked(struct vm_fault *vmf)
{
	return VM_FAULT_SIGBUS;
}

/* The ring with populate=0: one page per fault. */
static vm_fault_t uiodaq_vm_fault_ring(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct uiodaq_dev *ud = vma->vm_private_data;
	unsigned long off;
	struct page *page;
	vm_fault_t ret = VM_FAULT_SIGBUS;

	/* vm_pgoff still counts pages from the map's start after a split. */
	off = ((vma->vm_pgoff - UDAQ_MAP_RING) << PAGE_SHIFT) +
	      (vmf->address - vma->vm_start);
	down_read(&ud->mem_lock);
	if (!ud->dead) {
		page = uiodaq_ring_page(ud, off);
		if (page)
			ret = vmf_insert_pfn(vma, vmf->address,
					     page_to_pfn(page));
	}
	up_read(&ud->mem_lock);
	return ret;
}

static const struct vm_operations_struct uiodaq_vm_ops = {
	.open = uiodaq_vm_open,
	.close = uiodaq_vm_close,
	.fault = uiodaq_vm_fault_revoked,
};

static const struct vm_operations_struct uiodaq_ring_lazy_vm_ops = {
	.open = uiodaq_vm_open,
	.close = uiodaq_vm_close,
	.fault = uiodaq_vm_fault_ring,
};

/*
 * Remember which node and which process mapped us. The address_space of
 * the node finds the VMAs to zap; the mm lets revocation wait for an mmap()
 * that has passed through here but is not yet linked into that
 * address_space.
 */
static bool uiodaq_inode_listed(struct uiodaq_dev *ud, struct inode *inode)
{
	struct uiodaq_mapper *m;

	list_for_each_entry(m, &ud->mappers, node)
		if (m->inode == inode)
			return true;
	return false;
}

static int uiodaq_mappers_add(struct uiodaq_dev *ud, struct vm_area_struct *vma)
{
	struct inode *inode = file_inode(vma->vm_file);
	struct uiodaq_mapper *m, *tmp, *found = NULL;
	LIST_HEAD(stale);

	mutex_lock(&ud->mappers_lock);
	list_for_each_entry_safe(m, tmp, &ud->mappers, node) {
		if (m->inode == inode && m->mm == vma->vm_mm)
			found = m;
		else if (m->mm && !atomic_read(&m->mm->mm_users))
			list_move(&m->node, &stale);
	}
	if (!found) {
		found = kzalloc(sizeof(*found), GFP_KERNEL);
		if (found) {
			uiodaq_stat_add(UIODAQ_STAT_MAPPERS, 1);
			ihold(inode);
			found->inode = inode;
			mmgrab(vma->vm_mm);
			found->mm = vma->vm_mm;
			list_add(&found->node, &ud->mappers);
		}
	}
	/*
	 * A process that has exited has no mmap() left in flight, but a child
	 * it forked may still map the device through the same node: the mm
	 * goes, the node stays listed (once) for the zap.
	 */
	list_for_each_entry_safe(m, tmp, &stale, node) {
		mmdrop(m->mm);
		m->mm = NULL;
		if (uiodaq_inode_listed(ud, m->inode)) {
			list_del(&m->node);
			iput(m->inode);
			kfree(m);
			uiodaq_stat_add(UIODAQ_STAT_MAPPERS, -1);
		} else {
			list_move(&m->node, &ud->mappers);
		}
	}
	mutex_unlock(&ud->mappers_lock);
	return found ? 0 : -ENOMEM;
}

void uiodaq_revoke_mappings(struct uiodaq_dev *ud)
{
	struct uiodaq_mapper *m, *tmp;
	LIST_HEAD(list);

	down_write(&ud->mem_lock);
	ud->dead = true;
	up_write(&ud->mem_lock);

	mutex_lock(&ud->mappers_lock);
	list_splice_init(&ud->mappers, &list);
	mutex_unlock(&ud->mappers_lock);

	/* Let any mmap() that already populated PTEs link its VMA. */
	list_for_each_entry(m, &list, node) {
		if (!m->mm)
			continue;
		mmap_read_lock(m->mm);
		mmap_read_unlock(m->mm);
	}
	list_for_each_entry_safe(m, tmp, &list, node) {
		unmap_mapping_range(m->inode->i_mapping, 0, 0, 1);
		iput(m->inode);
		if (m->mm)
			mmdrop(m->mm);
		kfree(m);
		uiodaq_stat_add(UIODAQ_STAT_MAPPERS, -1);
	}
}

static int uiodaq_mmap_regs(struct uiodaq_dev *ud, struct vm_area_struct *vma)
{
	unsigned long pgoff = vma->vm_pgoff;
	int ret;

	vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
	vma->vm_pgoff = 0;
	ret = vm_iomap_memory(vma, ud->bar_phys, ud->bar_len);
	vma->vm_pgoff = pgoff;
	return ret;
}

static int uiodaq_mmap_desc(struct uiodaq_dev *ud, struct vm_area_struct *vma)
{
	unsigned long pgoff = vma->vm_pgoff;
	int ret;

	vma->vm_pgoff = 0;
	ret = dma_mmap_coherent(&ud->pdev->dev, vma, ud->desc, ud->desc_bus,
				ud->desc_size);
	vma->vm_pgoff = pgoff;
	return ret;
}

/*
 * dma_mmap_coherent() maps one allocation into one whole VMA, so the VMA
 * is narrowed to each chunk in turn and restored afterwards. A mapping
 * shorter than the ring takes the chunks it covers.
 */
static int uiodaq_mmap_ring(struct uiodaq_dev *ud, struct vm_area_struct *vma)
{
	unsigned long start = vma->vm_start, end = vma->vm_end;
	unsigned long pgoff = vma->vm_pgoff;
	unsigned long addr = start;
	unsigned int i;
	int ret = 0;

	vma->vm_pgoff = 0;
	for (i = 0; i < ud->nchunks && addr < end; i++) {
		size_t len = min_t(unsigned long, ud->chunks[i].len, end - addr);

		vma->vm_start = addr;
		vma->vm_end = addr + PAGE_ALIGN(len);
		ret = dma_mmap_coherent(&ud->pdev->dev, vma, ud->chunks[i].cpu,
					ud->chunks[i].bus, ud->chunks[i].len);
		if (ret)
			break;
		addr = vma->vm_end;
	}
	vma->vm_start = start;
	vma->vm_end = end;
	vma->vm_pgoff = pgoff;

	/*
	 * Undo the chunks already mapped. mmap_region() would zap them too
	 * when we fail, but that is its choice, not our contract.
	 */
	if (ret && addr > start && (vma->vm_flags & VM_PFNMAP))
		zap_vma_ptes(vma, start, addr - start);
	return ret;
}

int uiodaq_mmap(struct uio_info *info, struct vm_area_struct *vma)
{
	struct uiodaq_dev *ud = info->priv;
	unsigned long mi = vma->vm_pgoff;
	unsigned long len = vma->vm_end - vma->vm_start;
	int ret;

	if (mi >= UIODAQ_NUM_MAPS || !len ||
	    len > PAGE_ALIGN(info->mem[mi].size))
		return -EINVAL;

	if (mi == UDAQ_MAP_DESC) {
		if (vma->vm_flags & VM_WRITE)
			return -EACCES;
		/* So that mprotect() cannot make it writable later. */
		uiodaq_vm_flags_clear(vma, VM_MAYWRITE);
	}
	/* A private writable mapping of device memory would be copy-on-write. */
	if (!(vma->vm_flags & VM_SHARED) && (vma->vm_flags & VM_MAYWRITE))
		return -EINVAL;

	ret = uiodaq_mappers_add(ud, vma);
	if (ret)
		return ret;

	/*
	 * remap_pfn_range() sets these, but behind an IOMMU the DMA helpers
	 * insert pages (VM_MIXEDMAP) and do not: a map must never grow with
	 * mremap() nor land in core dumps.
	 */
	uiodaq_vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);

	switch (mi) {
	case UDAQ_MAP_REGS:
		ret = uiodaq_mmap_regs(ud, vma);
		break;
	case UDAQ_MAP_RING:
		if (ud->cfg.populate)
			ret = uiodaq_mmap_ring(ud, vma);
		else
			uiodaq_vm_flags_set(vma, VM_PFNMAP | VM_IO);
		break;
	default:
		ret = uiodaq_mmap_desc(ud, vma);
		break;
	}
	if (ret)
		return ret;

	vma->vm_private_data = ud;
	vma->vm_ops = (mi == UDAQ_MAP_RING && !ud->cfg.populate) ?
		      &uiodaq_ring_lazy_vm_ops : &uiodaq_vm_ops;
	kref_get(&ud->ref);
	uiodaq_stat_add(UIODAQ_STAT_VMA_REFS, 1);
	return 0;
}
