// SPDX-License-Identifier: GPL-2.0-only
/*
 * kcheck: checks run inside a QEMU guest against the uio_daq stub bound to
 * QEMU's edu device. Each check prints "@@ok - ..." or "@@not ok - ...";
 * the host turns those lines into TAP. Usage: kcheck <command> <uioN> ...
 */
#include "kcheck.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "edu.h"

/* Physical address behind a mapped page, from /proc/self/pagemap. */
static uint64_t virt_to_phys(const void *p, long page)
{
	uint64_t ent = 0;
	off_t off = (off_t)((uintptr_t)p / (uintptr_t)page) * 8;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (pread(fd, &ent, sizeof(ent), off) != (ssize_t)sizeof(ent))
		ent = 0;
	close(fd);
	if (!(ent & (1ull << 63)))
		return 0;
	return (ent & ((1ull << 55) - 1)) * (uint64_t)page;
}

/*
 * maps <uioN> <ring_size> <dma_bits> <iommu 0|1> [above4g]: with above4g,
 * every chunk must also sit at a bus address at or above 4 GiB.
 */
int cmd_maps(int argc, char **argv)
{
	static const char *const names[KDEV_MAPS] = {
		UDAQ_MAP_REGS_NAME, UDAQ_MAP_RING_NAME, UDAQ_MAP_DESC_NAME
	};
	uint64_t ring_size, limit, sum = 0, mapped_eq = 0, visible = 0, phys;
	uint64_t high = 0, lowest = UINT64_MAX;
	unsigned int bits;
	bool iommu, ok, above4g;
	struct kdev d;
	size_t i;

	above4g = argc == 6 && !strcmp(argv[5], "above4g");
	if (argc != 5 && !above4g)
		return !check(false, "maps: usage: maps uioN ring_size dma_bits iommu [above4g]");
	ring_size = strtoull(argv[2], NULL, 0);
	bits = (unsigned int)strtoul(argv[3], NULL, 0);
	iommu = atoi(argv[4]);
	limit = bits >= 64 ? UINT64_MAX : (1ull << bits) - 1;

	if (!check(kdev_open(&d, argv[1]) == 0, "maps: %s sysfs maps readable, node opens", argv[1]))
		return 1;
	for (i = 0; i < KDEV_MAPS; i++)
		check(!strcmp(d.name[i], names[i]), "maps: map%zu is named \"%s\" (got \"%s\")",
		      i, names[i], d.name[i]);
	check(d.size[1] == ring_size, "maps: ring size 0x%llx (want 0x%llx)",
	      (unsigned long long)d.size[1], (unsigned long long)ring_size);
	if (!check(kdev_map_all(&d) == 0, "maps: regs, ring (twice) and desc mmap")) {
		kdev_close(&d);
		return 1;
	}
	check(edu_rd32(d.regs, EDU_REG_ID) == EDU_ID_VALUE,
	      "maps: edu ID register reads 0x%08x through the regs map",
	      edu_rd32(d.regs, EDU_REG_ID));

	check(desc_u32(&d, UDAQ_DESC_OFF_MAGIC) == UDAQ_DESC_MAGIC &&
	      desc_u32(&d, UDAQ_DESC_OFF_VERSION) == UDAQ_DESC_VERSION,
	      "desc: magic 0x%08x version %u", desc_u32(&d, UDAQ_DESC_OFF_MAGIC),
	      desc_u32(&d, UDAQ_DESC_OFF_VERSION));
	check(desc_u64(&d, UDAQ_DESC_OFF_RING_SIZE) == ring_size,
	      "desc: RING_SIZE matches the ring map");
	check(desc_u64(&d, UDAQ_DESC_OFF_SELF_BUS) == d.addr[2],
	      "desc: SELF_BUS 0x%llx is the desc map's sysfs addr",
	      (unsigned long long)desc_u64(&d, UDAQ_DESC_OFF_SELF_BUS));
	check(desc_u32(&d, UDAQ_DESC_OFF_WB) == UDAQ_DESC_WB_DEFAULT &&
	      desc_u32(&d, UDAQ_DESC_OFF_TABLE) == UDAQ_DESC_TABLE_DEFAULT,
	      "desc: write-back at 0x%x, table at 0x%x",
	      desc_u32(&d, UDAQ_DESC_OFF_WB), desc_u32(&d, UDAQ_DESC_OFF_TABLE));
	check(d.size[2] == (UDAQ_DESC_TABLE_DEFAULT + d.nchunks * UDAQ_CHUNK_SIZE +
			    (uint64_t)d.page - 1) / (uint64_t)d.page * (uint64_t)d.page,
	      "desc: map is the pages covering header and %zu table entries", d.nchunks);

	ok = d.nchunks > 0 && d.chunks[0].bus == d.addr[1];
	for (i = 0; i < d.nchunks; i++) {
		const struct kchunk *c = &d.chunks[i];

		sum += c->len;
		high += c->bus >= (1ull << 32);
		lowest = c->bus < lowest ? c->bus : lowest;
		if (c->bus % UDAQ_CHUNK_ALIGN || !c->len || c->len % UDAQ_CHUNK_ALIGN ||
		    c->bus + c->len - 1 > limit || c->bus + c->len < c->bus) {
			note("chunk %zu: bus 0x%llx len 0x%llx", i,
			     (unsigned long long)c->bus, (unsigned long long)c->len);
			ok = false;
		}
		phys = virt_to_phys(d.ring + c->start, d.page);
		visible += phys != 0;
		mapped_eq += phys == c->bus;
	}
	check(ok && sum == ring_size,
	      "desc: %zu chunks, aligned, within the %u-bit mask, lengths sum to the ring",
	      d.nchunks, bits);
	if (above4g)
		check(d.nchunks && high == d.nchunks,
		      "desc: every chunk at a bus address at or above 4 GiB (%llu of %zu, lowest 0x%llx)",
		      (unsigned long long)high, d.nchunks, (unsigned long long)lowest);
	/*
	 * The ring is the stub's own pages, visible in pagemap with and
	 * without an IOMMU; behind one the table holds IOVAs, without one the
	 * pages themselves (a bounce buffer would show a different address).
	 */
	/*
	 * An IOVA can equal its chunk's physical address by chance (seen once
	 * in 256 chunks on 7.3, whose IOVAs overlap the guest's RAM); a
	 * bypassed IOMMU would put every chunk there.
	 */
	if (iommu)
		check(visible == d.nchunks && mapped_eq * 4 < d.nchunks,
		      "desc: table holds IOVAs (%llu of %zu chunks visible in pagemap, %llu at their physical address)",
		      (unsigned long long)visible, d.nchunks, (unsigned long long)mapped_eq);
	else
		check(visible == d.nchunks && mapped_eq == d.nchunks,
		      "desc: table holds the chunks' own physical addresses (%llu of %zu chunks visible in pagemap, %llu at their bus address)",
		      (unsigned long long)visible, d.nchunks, (unsigned long long)mapped_eq);

	/* The second copy aliases the first, both ways, across the end. */
	d.ring[0] = 0x5a;
	d.ring[2 * d.size[1] - 1] = 0xa5;
	check(d.ring[d.size[1]] == 0x5a && d.ring[d.size[1] - 1] == 0xa5,
	      "maps: ring mapped twice back to back aliases the same memory");
	d.ring[0] = 0;
	d.ring[d.size[1] - 1] = 0;
	kdev_close(&d);
	return check_failures();
}

/* badmap <uioN> */
int cmd_badmap(int argc, char **argv)
{
	struct kdev d;
	void *p;
	long pg;

	if (argc != 2)
		return !check(false, "badmap: usage: badmap uioN");
	if (!check(kdev_open(&d, argv[1]) == 0, "badmap: %s opens", argv[1]))
		return 1;
	pg = d.page;

	p = kdev_mmap(&d, 3, (size_t)pg, PROT_READ, MAP_SHARED, NULL);
	check(p == MAP_FAILED && errno == EINVAL, "badmap: map index 3 refused with EINVAL");
	p = kdev_mmap(&d, 7, (size_t)pg, PROT_READ, MAP_SHARED, NULL);
	check(p == MAP_FAILED && errno == EINVAL, "badmap: offset past the maps refused with EINVAL");
	p = kdev_mmap(&d, 1, d.size[1] + (size_t)pg, PROT_READ, MAP_SHARED, NULL);
	check(p == MAP_FAILED && errno == EINVAL, "badmap: ring longer than the map refused with EINVAL");
	p = kdev_mmap(&d, 0, d.size[0] + (size_t)pg, PROT_READ, MAP_SHARED, NULL);
	check(p == MAP_FAILED && errno == EINVAL, "badmap: regs longer than BAR0 refused with EINVAL");
	p = kdev_mmap(&d, 2, d.size[2] + (size_t)pg, PROT_READ, MAP_SHARED, NULL);
	check(p == MAP_FAILED && errno == EINVAL, "badmap: desc longer than the map refused with EINVAL");
	p = kdev_mmap(&d, 2, d.size[2], PROT_READ | PROT_WRITE, MAP_SHARED, NULL);
	check(p == MAP_FAILED && errno == EACCES, "badmap: writable desc mapping refused with EACCES");
	p = kdev_mmap(&d, 1, d.size[1], PROT_READ | PROT_WRITE, MAP_PRIVATE, NULL);
	check(p == MAP_FAILED && errno == EINVAL, "badmap: private writable ring mapping refused with EINVAL");

	p = kdev_mmap(&d, 2, d.size[2], PROT_READ, MAP_SHARED, NULL);
	if (check(p != MAP_FAILED, "badmap: read-only desc mapping allowed")) {
		check(mprotect(p, d.size[2], PROT_READ | PROT_WRITE) != 0 && errno == EACCES,
		      "badmap: mprotect cannot make desc writable (EACCES)");
		munmap(p, d.size[2]);
	}
	/* A shorter ring mapping covers the leading chunks only. */
	p = kdev_mmap(&d, 1, (size_t)pg * 3, PROT_READ | PROT_WRITE, MAP_SHARED, NULL);
	if (check(p != MAP_FAILED, "badmap: partial ring mapping allowed"))
		munmap(p, (size_t)pg * 3);
	/* No map grows with mremap() (behind an IOMMU too: VM_DONTEXPAND). */
	for (int mi = 0; mi < 3; mi++) {
		p = kdev_mmap(&d, mi, d.size[mi], PROT_READ, MAP_SHARED, NULL);
		if (!check(p != MAP_FAILED, "badmap: map %d maps for mremap", mi))
			continue;
		void *q = mremap(p, d.size[mi], d.size[mi] + (size_t)pg, MREMAP_MAYMOVE);

		check(q == MAP_FAILED && errno == EFAULT,
		      "badmap: mremap cannot grow map %d (EFAULT)", mi);
		munmap(q == MAP_FAILED ? p : q, q == MAP_FAILED ? d.size[mi] :
		       d.size[mi] + (size_t)pg);
	}
	kdev_close(&d);
	return check_failures();
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} cmds[] = {
	{ "maps", cmd_maps },
	{ "badmap", cmd_badmap },
	{ "dma", cmd_dma },
	{ "touch", cmd_touch },
	{ "irq", cmd_irq },
	{ "irq-shared", cmd_irq_shared },
	{ "revoke", cmd_revoke },
	{ "revoke-orphan", cmd_revoke_orphan },
	{ "lib", cmd_lib },
	{ "vmflags", cmd_vmflags },
};

int main(int argc, char **argv)
{
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; argc > 1 && i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1) ? 1 : 0;
	fprintf(stderr, "kcheck: unknown command '%s'\n", argc > 1 ? argv[1] : "");
	return 2;
}
