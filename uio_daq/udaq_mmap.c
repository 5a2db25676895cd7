// SPDX-License-Identifier: GPL-2.0-only
/*
 * uio_daq: mmap of the three maps, and revoking them when the device goes.
 *
 * UIO selects the map by the page offset (map N at offset N * PAGE_SIZE) and
 * calls us for every map, so the offset is not a position inside the map:
 * a map is always mapped from its start.
 *
 * - regs: BAR0, I/O-remapped uncached (VM_IO | VM_PFNMAP), with .access so
 *   that a debugger can read registers through ptrace or /proc/PID/mem.
 * - ring and desc: pages the stub owns (udaq_ring.c), inserted as a page
 *   array (VM_MIXEDMAP): vm_insert_pages() from .mmap on kernels whose UIO
 *   has it, the map-kernel-pages action from .mmap_prepare on 7.2 and later.
 *   Their vm_pgoff is set to 0, so a page's offset in the VMA is its index
 *   in the map on every kernel (the action reads the offset as one).
 *
 * All maps are VM_IO | VM_DONTEXPAND | VM_DONTDUMP and never executable
 * (VM_MAYEXEC cleared), with and without an IOMMU alike: no mremap() growth,
 * no core dumps, and no get_user_pages() (process_vm_readv() of the ring
 * fails with EFAULT). GUP-fast does not look at the VMA, so whether
 * vmsplice() or O_DIRECT can still take the pages depends on the kernel,
 * not on the IOMMU; the pages are reference-counted, so a pin keeps a page
 * allocated after the revocation below (docs/kernel.md, "Direct I/O from
 * the ring").
 * madvise(MADV_DONTNEED) drops the PTEs of a page map; the next access
 * faults the same page back in, so the ring's content survives it.
 *
 * The ring is populated at mmap time: a process streaming at full rate must
 * not take a page fault per page on first touch (see docs/kernel.md for the
 * measured cost). populate=0 leaves it to the fault handler, which inserts
 * the same pages one by one, to measure exactly that.
 *
 * Lifetime: the maps are revoked, not kept alive. On unbind or removal the
 * stub zaps every PTE of every process that mapped the device (through the
 * address_space of the device node it was mapped from) before it frees the
 * memory; later accesses fault into the handlers here, which raise SIGBUS.
 * Keeping the buffers alive with a reference per VMA was rejected: the device
 * may still be writing them, and unmapping them later needs the DMA API of a
 * device that may have left its IOMMU group by then.
 */
#include <linux/dma-mapping.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "udaq.h"

struct uiodaq_mapper {
	struct list_head node;
	struct inode *inode;
	struct mm_struct *mm;	/* NULL once that process has exited */
};

/*
 * vm_private_data is the device. On mmap_prepare kernels with .mapped it
 * has bit 0 set from .mmap_prepare until .mapped takes the VMA's reference:
 * a mapping that fails in between is closed without one.
 */
#define UIODAQ_NOREF	1ul

static struct uiodaq_dev *uiodaq_vma_dev(struct vm_area_struct *vma)
{
	return (void *)((unsigned long)vma->vm_private_data & ~UIODAQ_NOREF);
}

static void uiodaq_vma_ref(struct uiodaq_dev *ud)
{
	kref_get(&ud->ref);
	uiodaq_stat_add(UIODAQ_STAT_VMA_REFS, 1);
}

static void uiodaq_vm_open(struct vm_area_struct *vma)
{
	uiodaq_vma_ref(uiodaq_vma_dev(vma));
}

static void uiodaq_vm_close(struct vm_area_struct *vma)
{
	if ((unsigned long)vma->vm_private_data & UIODAQ_NOREF)
		return;
	uiodaq_stat_add(UIODAQ_STAT_VMA_REFS, -1);
	uiodaq_dev_put(vma->vm_private_data);
}

#ifdef UIODAQ_HAVE_VM_OPS_MAPPED
static int uiodaq_vm_mapped(unsigned long start, unsigned long end,
			    pgoff_t pgoff, const struct file *file,
			    void **vm_private_data)
{
	struct uiodaq_dev *ud = (void *)((unsigned long)*vm_private_data &
					 ~UIODAQ_NOREF);

	uiodaq_vma_ref(ud);
	*vm_private_data = ud;
	return 0;
}
#define UIODAQ_VM_MAPPED	.mapped = uiodaq_vm_mapped,
#else
#define UIODAQ_VM_MAPPED
#endif

/* The regs map is populated at mmap time: a fault means it was revoked. */
static vm_fault_t uiodaq_vm_fault_revoked(struct vm_fault *vmf)
{
	return VM_FAULT_SIGBUS;
}

/*
 * A page map (ring or desc) faults on first touch with populate=0, after
 * madvise(MADV_DONTNEED), and after revocation. The page is inserted with
 * mem_lock held, so it cannot land after the revoking zap.
 */
static vm_fault_t uiodaq_vm_fault_pages(struct vm_fault *vmf, unsigned long mi)
{
	struct vm_area_struct *vma = vmf->vma;
	struct uiodaq_dev *ud = uiodaq_vma_dev(vma);
	const struct uiodaq_pages *p;
	vm_fault_t ret = VM_FAULT_SIGBUS;
	int err;

	down_read(&ud->mem_lock);
	p = uiodaq_map_pages(ud, mi);
	if (!ud->dead && p && vmf->pgoff < p->count) {
		err = vm_insert_page(vma, vmf->address, p->pages[vmf->pgoff]);
		/* -EBUSY: another thread's fault inserted it first. */
		ret = err && err != -EBUSY ? vmf_error(err) : VM_FAULT_NOPAGE;
	}
	up_read(&ud->mem_lock);
	return ret;
}

static vm_fault_t uiodaq_vm_fault_ring(struct vm_fault *vmf)
{
	return uiodaq_vm_fault_pages(vmf, UDAQ_MAP_RING);
}

static vm_fault_t uiodaq_vm_fault_desc(struct vm_fault *vmf)
{
	return uiodaq_vm_fault_pages(vmf, UDAQ_MAP_DESC);
}

static const struct vm_operations_struct uiodaq_vm_ops[UIODAQ_NUM_MAPS] = {
	[UDAQ_MAP_REGS] = {
		.open = uiodaq_vm_open,
		.close = uiodaq_vm_close,
		UIODAQ_VM_MAPPED
		.fault = uiodaq_vm_fault_revoked,
#ifdef CONFIG_HAVE_IOREMAP_PROT
		.access = generic_access_phys,
#endif
	},
	[UDAQ_MAP_RING] = {
		.open = uiodaq_vm_open,
		.close = uiodaq_vm_close,
		UIODAQ_VM_MAPPED
		.fault = uiodaq_vm_fault_ring,
	},
	[UDAQ_MAP_DESC] = {
		.open = uiodaq_vm_open,
		.close = uiodaq_vm_close,
		UIODAQ_VM_MAPPED
		.fault = uiodaq_vm_fault_desc,
	},
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

static int uiodaq_mappers_add(struct uiodaq_dev *ud, struct file *file,
			      struct mm_struct *mm)
{
	struct inode *inode = file_inode(file);
	struct uiodaq_mapper *m, *tmp, *found = NULL;
	LIST_HEAD(stale);

	mutex_lock(&ud->mappers_lock);
	list_for_each_entry_safe(m, tmp, &ud->mappers, node) {
		if (m->inode == inode && m->mm == mm)
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
			mmgrab(mm);
			found->mm = mm;
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

/*
 * What every map refuses, whichever way the kernel asks: a map index past
 * the maps, a mapping longer than the map, a regs map of a BAR0 smaller
 * than a page (the rest of its page may be another device's registers),
 * execution, a writable desc map, and private writable mappings
 * (copy-on-write of device memory).
 */
static int uiodaq_mmap_check(struct uio_info *info, unsigned long mi,
			     unsigned long len, bool shared, bool write,
			     bool maywrite, bool exec)
{
	struct uiodaq_dev *ud = info->priv;

	if (mi >= UIODAQ_NUM_MAPS || !len ||
	    len > PAGE_ALIGN(info->mem[mi].size))
		return -EINVAL;
	if (mi == UDAQ_MAP_REGS && ud->bar_len < PAGE_SIZE)
		return -EINVAL;
	if (exec)
		return -EPERM;
	if (mi == UDAQ_MAP_DESC && write)
		return -EACCES;
	if (!shared && maywrite)
		return -EINVAL;
	return 0;
}

#ifndef UIODAQ_HAVE_UIO_MMAP_PREPARE
/* A page map, a chunk's worth of pages at a time. */
static int uiodaq_insert_pages(struct uiodaq_dev *ud, struct vm_area_struct *vma,
			       const struct uiodaq_pages *p)
{
	unsigned long step = ud->cfg.chunk_size >> PAGE_SHIFT;
	unsigned long left = vma_pages(vma), i = 0, n;
	int ret;

	while (left) {
		n = min(left, step);
		ret = vm_insert_pages(vma, vma->vm_start + (i << PAGE_SHIFT),
				      p->pages + i, &n);
		if (ret)
			return ret;
		n = min(left, step);
		i += n;
		left -= n;
		cond_resched();
	}
	return 0;
}

int uiodaq_mmap(struct uio_info *info, struct vm_area_struct *vma)
{
	struct uiodaq_dev *ud = info->priv;
	unsigned long mi = vma->vm_pgoff;
	unsigned long len = vma->vm_end - vma->vm_start;
	const struct uiodaq_pages *p;
	int ret;

	ret = uiodaq_mmap_check(info, mi, len, vma->vm_flags & VM_SHARED,
				vma->vm_flags & VM_WRITE,
				vma->vm_flags & VM_MAYWRITE,
				vma->vm_flags & VM_EXEC);
	if (ret)
		return ret;
	ret = uiodaq_mappers_add(ud, vma->vm_file, vma->vm_mm);
	if (ret)
		return ret;

	uiodaq_vm_flags_set(vma, VM_IO | VM_DONTEXPAND | VM_DONTDUMP);
	/* So that mprotect() cannot make it executable (or desc writable). */
	uiodaq_vm_flags_clear(vma, VM_MAYEXEC |
			      (mi == UDAQ_MAP_DESC ? VM_MAYWRITE : 0));
	if (mi == UDAQ_MAP_REGS) {
		vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
		ret = vm_iomap_memory(vma, ud->bar_phys, ud->bar_len);
	} else {
		p = uiodaq_map_pages(ud, mi);
		vma->vm_pgoff = 0;
		if (mi == UDAQ_MAP_DESC || ud->cfg.populate)
			ret = uiodaq_insert_pages(ud, vma, p);
		else
			uiodaq_vm_flags_set(vma, VM_MIXEDMAP);
	}
	/* mmap_region() unmaps what was inserted when we fail. */
	if (ret)
		return ret;

	vma->vm_private_data = ud;
	vma->vm_ops = &uiodaq_vm_ops[mi];
	uiodaq_vma_ref(ud);
	return 0;
}
#else
int uiodaq_mmap_prepare(struct uio_info *info, struct vm_area_desc *desc)
{
	struct uiodaq_dev *ud = info->priv;
	unsigned long mi = desc->pgoff;
	unsigned long len = vma_desc_size(desc);
	const struct uiodaq_pages *p;
	int ret;

	ret = uiodaq_mmap_check(info, mi, len,
				vma_desc_test(desc, VMA_SHARED_BIT),
				vma_desc_test(desc, VMA_WRITE_BIT),
				vma_desc_test(desc, VMA_MAYWRITE_BIT),
				vma_desc_test(desc, VMA_EXEC_BIT));
	if (ret)
		return ret;
	ret = uiodaq_mappers_add(ud, desc->vm_file, desc->mm);
	if (ret)
		return ret;

	vma_desc_set_flags(desc, VMA_IO_BIT, VMA_DONTEXPAND_BIT, VMA_DONTDUMP_BIT);
	vma_desc_clear_flags(desc, VMA_MAYEXEC_BIT);
	if (mi == UDAQ_MAP_DESC)
		vma_desc_clear_flags(desc, VMA_MAYWRITE_BIT);
	if (mi == UDAQ_MAP_REGS) {
		desc->page_prot = pgprot_noncached(desc->page_prot);
		mmap_action_ioremap(desc, desc->start, PHYS_PFN(ud->bar_phys), len);
	} else {
		p = uiodaq_map_pages(ud, mi);
		desc->pgoff = 0;
		if (mi == UDAQ_MAP_DESC || ud->cfg.populate)
			mmap_action_map_kernel_pages(desc, desc->start, p->pages,
						     vma_desc_pages(desc));
		else
			vma_desc_set_flags(desc, VMA_MIXEDMAP_BIT);
	}
	desc->vm_ops = &uiodaq_vm_ops[mi];
#ifdef UIODAQ_HAVE_VM_OPS_MAPPED
	desc->private_data = (void *)((unsigned long)ud | UIODAQ_NOREF);
#else
	/* No .mapped: the reference leaks if the mapping fails after this. */
	desc->private_data = ud;
	uiodaq_vma_ref(ud);
#endif
	return 0;
}
#endif
