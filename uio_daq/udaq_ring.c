// SPDX-License-Identifier: GPL-2.0-only
/*
 * uio_daq: the DMA ring and the descriptor map.
 *
 * Both are memory the stub owns: blocks of 2^order pages from the page
 * allocator, split into single pages (each then has its own reference
 * count and can be inserted into a user mapping on its own), each block
 * DMA-mapped for the device with the streaming API. Userspace maps them as
 * page arrays (udaq_mmap.c), the one way every kernel from 6.1 to 7.x
 * offers, with or without an IOMMU: the earlier design, dma_mmap_coherent()
 * of coherent chunks into a VMA narrowed to each chunk, fails with EINVAL
 * since 6.16 without an IOMMU (pfnmap tracking) and has no mmap_prepare
 * form at all.
 *
 * The ring is many chunks rather than one allocation: a large physically
 * contiguous block is rarely available (Debian kernels have no CMA). Each
 * chunk is one contiguous range on the bus, listed in the descriptor map.
 *
 * The device must write the pages themselves. A streaming mapping that
 * swiotlb bounces would have it write a bounce buffer userspace never sees,
 * so without an IOMMU the chunks are allocated within the DMA mask (the
 * zone ladder dma-direct uses for coherent memory) and a mapping that is
 * not the memory itself fails the probe, naming the chunk. Behind an IOMMU
 * placement does not matter and the bus addresses are IOVAs.
 *
 * The pages are mapped to userspace with ordinary cached attributes and
 * never synchronised, which is right only for a cache-coherent device: the
 * probe refuses others (dev_is_dma_coherent()).
 *
 * The descriptor map is one more such block that tells userspace (and,
 * through SELF_BUS, the device) where every chunk is on the bus.
 */
#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>

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
	dma_sync_single_for_device(&ud->pdev->dev, ud->desc_bus, ud->desc_size,
				   DMA_BIDIRECTIONAL);
}

/* Does an IOMMU translate this device's DMA (not identity, not absent)? */
bool uiodaq_dma_translated(struct device *dev)
{
	struct iommu_domain *dom = iommu_get_domain_for_dev(dev);

	return dom && (dom->type & __IOMMU_DOMAIN_PAGING);
}

/*
 * 2^order zeroed pages the device can reach without bouncing. Behind an
 * IOMMU anywhere; else within the mask, trying the zones the way
 * dma-direct does for coherent memory: unrestricted (only for masks wider
 * than 32 bits), then ZONE_DMA32, then ZONE_DMA.
 */
static struct page *uiodaq_alloc_reachable(struct uiodaq_dev *ud,
					   unsigned int order)
{
	static const gfp_t zones[] = { 0, GFP_DMA32, GFP_DMA };
	struct device *dev = &ud->pdev->dev;
	gfp_t gfp = GFP_KERNEL | __GFP_ZERO | __GFP_RETRY_MAYFAIL | __GFP_NOWARN;
	u64 mask = dma_get_mask(dev);
	struct page *page;
	unsigned int z;

	if (ud->translated)
		return alloc_pages(gfp, order);
	for (z = mask > DMA_BIT_MASK(32) ? 0 : 1; z < ARRAY_SIZE(zones); z++) {
		if ((zones[z] == GFP_DMA32 && !IS_ENABLED(CONFIG_ZONE_DMA32)) ||
		    (zones[z] == GFP_DMA && !IS_ENABLED(CONFIG_ZONE_DMA)))
			continue;
		page = alloc_pages(gfp | zones[z], order);
		if (!page)
			continue;
		if (phys_to_dma(dev, page_to_phys(page)) +
		    (PAGE_SIZE << order) - 1 <= mask)
			return page;
		__free_pages(page, order);
	}
	return NULL;
}

static void uiodaq_chunk_free(struct uiodaq_dev *ud, struct uiodaq_chunk *c)
{
	unsigned long i;

	if (!c->page)
		return;
	dma_unmap_page(&ud->pdev->dev, c->bus, c->len, DMA_BIDIRECTIONAL);
	for (i = 0; i < c->len >> PAGE_SHIFT; i++)
		__free_page(c->page + i);
	c->page = NULL;
}

/* @len bytes (a multiple of the page size) as one chunk, DMA-mapped. */
static int uiodaq_chunk_alloc(struct uiodaq_dev *ud, struct uiodaq_chunk *c,
			      size_t len)
{
	struct device *dev = &ud->pdev->dev;
	unsigned long i, used = len >> PAGE_SHIFT;
	phys_addr_t phys;

	c->len = len;
	c->order = get_order(len);
	c->page = uiodaq_alloc_reachable(ud, c->order);
	if (!c->page)
		return -ENOMEM;
	/* Single pages: the unused tail of a partial chunk goes back now. */
	split_page(c->page, c->order);
	for (i = used; i < 1ul << c->order; i++)
		__free_page(c->page + i);

	c->bus = dma_map_page(dev, c->page, 0, len, DMA_BIDIRECTIONAL);
	if (dma_mapping_error(dev, c->bus)) {
		dev_err(dev, "DMA mapping of %zu bytes failed\n", len);
		goto err_free;
	}
	phys = page_to_phys(c->page);
	if (!ud->translated && c->bus != phys_to_dma(dev, phys)) {
		dev_err(dev, "DMA mapping of %zu bytes at %pap is not the memory itself (%pad, a bounce buffer?): the device would miss the ring\n",
			len, &phys, &c->bus);
		dma_unmap_page(dev, c->bus, len, DMA_BIDIRECTIONAL);
		goto err_free;
	}
	return 0;

err_free:
	for (i = 0; i < used; i++)
		__free_page(c->page + i);
	c->page = NULL;
	return -EIO;
}

/* The page array of one chunk list, in mapping order. */
static int uiodaq_pages_fill(struct uiodaq_pages *p, const struct uiodaq_chunk *c,
			     unsigned int n)
{
	unsigned long i, k = 0, total = 0;
	unsigned int ci;

	for (ci = 0; ci < n; ci++)
		total += c[ci].len >> PAGE_SHIFT;
	p->pages = kvmalloc_array(total, sizeof(*p->pages), GFP_KERNEL);
	if (!p->pages)
		return -ENOMEM;
	for (ci = 0; ci < n; ci++) {
		for (i = 0; i < c[ci].len >> PAGE_SHIFT; i++)
			p->pages[k++] = c[ci].page + i;
		cond_resched();
	}
	p->count = total;
	return 0;
}

int uiodaq_ring_alloc(struct uiodaq_dev *ud)
{
	struct device *dev = &ud->pdev->dev;
	unsigned long left = ud->cfg.ring_size;
	unsigned int i;
	int ret;

	ud->nchunks = ud->cfg.ring_size / ud->cfg.chunk_size +
		      !!(ud->cfg.ring_size % ud->cfg.chunk_size);
	ud->chunks = kcalloc(ud->nchunks, sizeof(*ud->chunks), GFP_KERNEL);
	if (!ud->chunks)
		return -ENOMEM;

	for (i = 0; i < ud->nchunks; i++) {
		struct uiodaq_chunk *c = &ud->chunks[i];

		/*
		 * Failing the probe beats OOM-killing processes for a ring
		 * that does not fit; the failure is reported here.
		 */
		ret = uiodaq_chunk_alloc(ud, c, min(left, ud->cfg.chunk_size));
		if (ret == -ENOMEM)
			dev_err(dev, "ring_size=%lu: chunk %u of %u (%zu bytes) could not be allocated within the %u-bit DMA mask\n",
				ud->cfg.ring_size, i, ud->nchunks, c->len,
				ud->cfg.dma_bits);
		if (ret)
			goto fail;
		uiodaq_stat_add(UIODAQ_STAT_CHUNKS, 1);
		uiodaq_stat_add(UIODAQ_STAT_RING_PAGES, c->len >> PAGE_SHIFT);
		left -= c->len;
		cond_resched();
	}
	ret = uiodaq_pages_fill(&ud->ring, ud->chunks, ud->nchunks);
	if (ret)
		goto fail;

	ud->desc_size = PAGE_ALIGN(UDAQ_DESC_TABLE_DEFAULT +
				   (size_t)ud->nchunks * UDAQ_CHUNK_SIZE);
	ret = uiodaq_chunk_alloc(ud, &ud->desc_chunk, ud->desc_size);
	if (ret)
		goto fail;
	uiodaq_stat_add(UIODAQ_STAT_DESC_MAPS, 1);
	ret = uiodaq_pages_fill(&ud->desc_pages, &ud->desc_chunk, 1);
	if (ret)
		goto fail;
	ud->desc = page_address(ud->desc_chunk.page);
	ud->desc_bus = ud->desc_chunk.bus;
	uiodaq_desc_fill(ud);
	return 0;

fail:
	uiodaq_ring_free(ud);
	return ret;
}

void uiodaq_ring_free(struct uiodaq_dev *ud)
{
	unsigned int i;

	kvfree(ud->desc_pages.pages);
	ud->desc_pages.pages = NULL;
	ud->desc_pages.count = 0;
	if (ud->desc_chunk.page) {
		uiodaq_chunk_free(ud, &ud->desc_chunk);
		uiodaq_stat_add(UIODAQ_STAT_DESC_MAPS, -1);
	}
	ud->desc = NULL;
	kvfree(ud->ring.pages);
	ud->ring.pages = NULL;
	ud->ring.count = 0;
	if (!ud->chunks)
		return;
	for (i = 0; i < ud->nchunks; i++) {
		struct uiodaq_chunk *c = &ud->chunks[i];

		if (!c->page)
			continue;
		uiodaq_chunk_free(ud, c);
		uiodaq_stat_add(UIODAQ_STAT_CHUNKS, -1);
		uiodaq_stat_add(UIODAQ_STAT_RING_PAGES, -(int)(c->len >> PAGE_SHIFT));
		cond_resched();
	}
	kfree(ud->chunks);
	ud->chunks = NULL;
	ud->nchunks = 0;
}

/* The pages behind map @mi, or NULL if that map is not page-backed. */
const struct uiodaq_pages *uiodaq_map_pages(struct uiodaq_dev *ud,
					   unsigned long mi)
{
	if (mi == UDAQ_MAP_RING)
		return &ud->ring;
	if (mi == UDAQ_MAP_DESC)
		return &ud->desc_pages;
	return NULL;
}
