// SPDX-License-Identifier: GPL-2.0-only
/*
 * uio_daq: the DMA ring and the descriptor map.
 *
 * The ring is many coherent chunks rather than one allocation: a large
 * physically contiguous block is rarely available (Debian kernels have no
 * CMA) and a device with a narrow DMA mask could not reach it anyway. Each
 * chunk comes from dma_alloc_coherent(), so it is within the mask, and on an
 * IOMMU its bus address is an IOVA. Streaming mappings of page allocator
 * memory are not used: under a narrow mask they need bounce buffers, which
 * the device would write instead of the memory userspace sees.
 *
 * The descriptor map is one more coherent allocation that tells userspace
 * (and, through SELF_BUS, the device) where every chunk is on the bus.
 */
#include <linux/dma-mapping.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "udaq.h"

static void uiodaq_desc_put32(struct uiodaq_dev *ud, size_t off, u32 v)
{
	*(__le32 *)(ud->desc + off) = cpu_to_le32(v);
}

static void uiodaq_desc_put64(struct uiodaq_dev *ud, size_t off, u64 v)
{
	*(__le64 *)(ud->desc + off) = cpu_to_le64(v);
}

static void uiodaq_desc_fill(struct uiodaq_dev *ud)
{
	unsigned int i;
	size_t ent;

	uiodaq_desc_put32(ud, UDAQ_DESC_OFF_VERSION, UDAQ_DESC_VERSION);
	uiodaq_desc_put32(ud, UDAQ_DESC_OFF_COUNT, ud->nchunks);
	uiodaq_desc_put32(ud, UDAQ_DESC_OFF_TABLE, UDAQ_DESC_TABLE_DEFAULT);
	uiodaq_desc_put64(ud, UDAQ_DESC_OFF_RING_SIZE, ud->cfg.ring_size);
	uiodaq_desc_put64(ud, UDAQ_DESC_OFF_SELF_BUS, ud->desc_bus);
	uiodaq_desc_put32(ud, UDAQ_DESC_OFF_WB, UDAQ_DESC_WB_DEFAULT);
	for (i = 0; i < ud->nchunks; i++) {
		ent = UDAQ_DESC_TABLE_DEFAULT + (size_t)i * UDAQ_CHUNK_SIZE;
		uiodaq_desc_put64(ud, ent + UDAQ_CHUNK_OFF_ADDR, ud->chunks[i].bus);
		uiodaq_desc_put64(ud, ent + UDAQ_CHUNK_OFF_LEN, ud->chunks[i].len);
	}
	/* The magic goes last: a reader that sees it sees a complete table. */
	wmb();
	uiodaq_desc_put32(ud, UDAQ_DESC_OFF_MAGIC, UDAQ_DESC_MAGIC);
}

int uiodaq_ring_alloc(struct uiodaq_dev *ud)
{
	struct device *dev = &ud->pdev->dev;
	unsigned long left = ud->cfg.ring_size;
	unsigned int i;

	ud->nchunks = DIV_ROUND_UP(ud->cfg.ring_size, ud->cfg.chunk_size);
	ud->chunks = kcalloc(ud->nchunks, sizeof(*ud->chunks), GFP_KERNEL);
	if (!ud->chunks)
		return -ENOMEM;

	for (i = 0; i < ud->nchunks; i++) {
		struct uiodaq_chunk *c = &ud->chunks[i];

		c->len = min(left, ud->cfg.chunk_size);
		/*
		 * Failing the probe beats OOM-killing processes for a ring
		 * that does not fit; the failure is reported below.
		 */
		c->cpu = dma_alloc_coherent(dev, c->len, &c->bus, GFP_KERNEL |
					    __GFP_RETRY_MAYFAIL | __GFP_NOWARN);
		if (!c->cpu) {
			dev_err(dev, "ring_size=%lu: chunk %u of %u (%zu bytes) could not be allocated within the %u-bit DMA mask\n",
				ud->cfg.ring_size, i, ud->nchunks, c->len,
				ud->cfg.dma_bits);
			goto fail;
		}
		uiodaq_stat_add(UIODAQ_STAT_CHUNKS, 1);
		uiodaq_stat_add(UIODAQ_STAT_RING_PAGES, PAGE_ALIGN(c->len) >> PAGE_SHIFT);
		left -= c->len;
	}

	ud->desc_size = PAGE_ALIGN(UDAQ_DESC_TABLE_DEFAULT +
				   (size_t)ud->nchunks * UDAQ_CHUNK_SIZE);
	ud->desc = dma_alloc_coherent(dev, ud->desc_size, &ud->desc_bus,
				      GFP_KERNEL);
	if (!ud->desc)
		goto fail;
	uiodaq_stat_add(UIODAQ_STAT_DESC_MAPS, 1);
	uiodaq_desc_fill(ud);
	return 0;

fail:
	uiodaq_ring_free(ud);
	return -ENOMEM;
}

void uiodaq_ring_free(struct uiodaq_dev *ud)
{
	struct device *dev = &ud->pdev->dev;
	unsigned int i;

	if (ud->desc) {
		dma_free_coherent(dev, ud->desc_size, ud->desc, ud->desc_bus);
		uiodaq_stat_add(UIODAQ_STAT_DESC_MAPS, -1);
	}
	ud->desc = NULL;
	if (!ud->chunks)
		return;
	for (i = 0; i < ud->nchunks; i++) {
		struct uiodaq_chunk *c = &ud->chunks[i];

		if (!c->cpu)
			continue;
		dma_free_coherent(dev, c->len, c->cpu, c->bus);
		uiodaq_stat_add(UIODAQ_STAT_CHUNKS, -1);
		uiodaq_stat_add(UIODAQ_STAT_RING_PAGES,
				-(int)(PAGE_ALIGN(c->len) >> PAGE_SHIFT));
	}
	kfree(ud->chunks);
	ud->chunks = NULL;
	ud->nchunks = 0;
}

/*
 * The page backing byte @off of the ring, for the fault-per-page mode.
 * Coherent memory is either in the linear map (dma-direct) or vmap()ed
 * from single pages (IOMMU), so both lookups are needed.
 */
struct page *uiodaq_ring_page(struct uiodaq_dev *ud, unsigned long off)
{
	unsigned long ci = off / ud->cfg.chunk_size;
	void *p;

	if (ci >= ud->nchunks)
		return NULL;
	off -= ci * ud->cfg.chunk_size;
	if (off >= ud->chunks[ci].len)
		return NULL;
	p = ud->chunks[ci].cpu + off;
	return is_vmalloc_addr(p) ? vmalloc_to_page(p) : virt_to_page(p);
}
