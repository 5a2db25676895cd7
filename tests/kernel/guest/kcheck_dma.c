// SPDX-License-Identifier: GPL-2.0-only
/*
 * DMA through edu into the ring, and the first-touch measurement.
 *
 * Loopback: the CPU writes a pattern into chunk i through the mapped ring,
 * edu reads it from chunk i's bus address (from the desc table) into its
 * buffer and writes it back to chunk i+1's bus address, at another offset.
 * The pattern must appear at exactly that ring offset and nowhere around
 * it, which proves both that the table's addresses are the ones the device
 * reaches and that the mapping puts each chunk at its table position.
 */
#include "kcheck.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>

#include "edu.h"

#define XFER	2048u
#define GUARD	64u
#define FILL	0xa5

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* An 8-aligned offset in chunk @c leaving room for a guarded transfer. */
static uint64_t pick_off(const struct kchunk *c, uint32_t *seed)
{
	uint64_t room = c->len - XFER - 2 * GUARD;

	return GUARD + (rnd(seed) % (room / 8)) * 8;
}

static bool loopback_one(struct kdev *d, size_t i, uint32_t *seed)
{
	const struct kchunk *src = &d->chunks[i];
	const struct kchunk *dst = &d->chunks[(i + 1) % d->nchunks];
	unsigned char pat[XFER];
	uint64_t so = pick_off(src, seed), dof = pick_off(dst, seed);
	unsigned char *dp = d->ring + dst->start + dof;
	size_t k;

	if (src == dst && (so < dof + XFER + GUARD && dof < so + XFER + GUARD))
		dof = so >= XFER + 2 * GUARD ? GUARD : so + XFER + GUARD;
	dp = d->ring + dst->start + dof;
	for (k = 0; k < XFER; k++)
		pat[k] = (unsigned char)rnd(seed);
	memcpy(d->ring + src->start + so, pat, XFER);
	memset(dp - GUARD, FILL, XFER + 2 * GUARD);

	if (edu_dma(d->regs, src->bus + so, 0, XFER, false, false) ||
	    edu_dma(d->regs, dst->bus + dof, 0, XFER, true, false)) {
		note("chunk %zu: edu DMA timed out", i);
		return false;
	}
	if (memcmp(dp, pat, XFER)) {
		note("chunk %zu -> %zu: data not at ring offset 0x%llx", i,
		     (size_t)(dst - d->chunks), (unsigned long long)(dst->start + dof));
		return false;
	}
	for (k = 0; k < GUARD; k++) {
		if (dp[-1 - (long)k] != FILL || dp[XFER + k] != FILL) {
			note("chunk %zu: DMA wrote outside its target", i);
			return false;
		}
	}
	return true;
}

int loopback(struct kdev *d, size_t step, const char *what)
{
	uint32_t seed = 0x12345678u;
	size_t i, done = 0, bad = 0;

	for (i = 0; i < d->nchunks; i += step) {
		if (!loopback_one(d, i, &seed))
			bad++;
		done++;
		if (i + step >= d->nchunks && i != d->nchunks - 1)
			i = d->nchunks - 1 - step;	/* the last chunk too */
	}
	return !check(!bad && done,
		      "dma: %s: edu loopback through %zu of %zu chunks, %zu wrong",
		      what, done, d->nchunks, bad);
}

/* dma <uioN> <step> */
int cmd_dma(int argc, char **argv)
{
	struct kdev d;
	int fails;

	if (argc != 3)
		return !check(false, "dma: usage: dma uioN step");
	if (kdev_open(&d, argv[1]) || kdev_map_all(&d)) {
		kdev_close(&d);
		return !check(false, "dma: %s maps", argv[1]);
	}
	fails = loopback(&d, strtoul(argv[2], NULL, 0) ? strtoul(argv[2], NULL, 0) : 1,
			 "ring");
	kdev_close(&d);
	return fails;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/*
 * touch <uioN> <populated|lazy>: the first read of every page of a fresh
 * ring mapping, timed, with the page faults it took.
 */
int cmd_touch(int argc, char **argv)
{
	volatile unsigned char sink = 0;
	bool lazy;
	struct kdev d;
	size_t off, pages;
	double t0, t1, t2, best_map, best_touch;
	long f0, f1, faults;
	int round;
	void *p;

	if (argc != 3)
		return !check(false, "touch: usage: touch uioN populated|lazy");
	lazy = !strcmp(argv[2], "lazy");
	if (kdev_open(&d, argv[1]) || kdev_map_all(&d)) {
		kdev_close(&d);
		return !check(false, "touch: %s maps", argv[1]);
	}
	/*
	 * The ring mapped by kdev_map_all() may be warm: time fresh mappings,
	 * best of three, as TCG timing is noisy.
	 */
	pages = d.size[1] / (size_t)d.page;
	best_map = best_touch = 1e30;
	faults = 0;
	for (round = 0; round < 3; round++) {
		t0 = now_us();
		p = kdev_mmap(&d, 1, d.size[1], PROT_READ, MAP_SHARED, NULL);
		t1 = now_us();
		if (p == MAP_FAILED) {
			kdev_close(&d);
			return !check(false, "touch: fresh ring mapping");
		}
		f0 = minflt();
		for (off = 0; off < d.size[1]; off += (size_t)d.page)
			sink += ((const unsigned char *)p)[off];
		f1 = minflt();
		t2 = now_us();
		munmap(p, d.size[1]);
		best_map = t1 - t0 < best_map ? t1 - t0 : best_map;
		best_touch = t2 - t1 < best_touch ? t2 - t1 : best_touch;
		faults = f1 - f0 > faults ? f1 - f0 : faults;
	}
	(void)sink;

	printf("@@FIGURE %s mmap_us=%.0f first_touch_us=%.0f pages=%zu faults=%ld\n",
	       argv[2], best_map, best_touch, pages, faults);
	note("first touch of a %zu MiB ring (%s): mmap %.0f us, touch %.0f us, %ld faults",
	     d.size[1] >> 20, argv[2], best_map, best_touch, faults);
	if (lazy)
		check((size_t)faults >= pages,
		      "touch: lazy ring takes a fault per page (%ld faults, %zu pages)",
		      faults, pages);
	else
		check(faults < 8, "touch: populated ring takes no page faults (%ld)", faults);
	/* The fault path must map the same memory the device reaches. */
	loopback(&d, d.nchunks > 1 ? d.nchunks - 1 : 1, argv[2]);
	kdev_close(&d);
	return check_failures();
}
