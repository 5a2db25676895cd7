/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guest checks' view of a uio_daq device: sysfs attributes and the
 * three maps, mapped with plain mmap() so that the stub is tested exactly
 * as the kernel exposes it, independent of the userspace library.
 */
#ifndef KCHECK_KDEV_H
#define KCHECK_KDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uio_daq/abi.h>

#define KDEV_MAPS	3

struct kchunk {
	uint64_t bus;
	uint64_t len;
	uint64_t start;		/* offset in the ring */
};

struct kdev {
	char uio[32];
	int fd;
	long page;
	char name[KDEV_MAPS][64];
	uint64_t addr[KDEV_MAPS];
	uint64_t size[KDEV_MAPS];
	volatile void *regs;
	unsigned char *ring;		/* mapped twice back to back */
	const unsigned char *desc;
	size_t nchunks;
	struct kchunk *chunks;
};

/* Print one TAP-style result line for the host; returns @ok. */
bool check(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int check_failures(void);

/* Read sysfs and open /dev/<uio>; maps nothing. Return 0 or -errno. */
int kdev_open(struct kdev *d, const char *uio);
/* Map regs, ring (double) and desc, parse the chunk table. */
int kdev_map_all(struct kdev *d);
/* Read the chunk table from the mapped desc map. */
int kdev_parse_table(struct kdev *d);
void kdev_close(struct kdev *d);
/* mmap map @index with @len, @prot, @flags, at @hint; MAP_FAILED on error. */
void *kdev_mmap(struct kdev *d, int index, size_t len, int prot, int flags,
		void *hint);
uint32_t desc_u32(const struct kdev *d, size_t off);
uint64_t desc_u64(const struct kdev *d, size_t off);
/* Read a small sysfs file into @buf; return 0 or -errno. */
int read_file(const char *path, char *buf, size_t len);
void on_sigbus(int sig);
bool read_faults(const volatile unsigned char *p);
int write_file(const char *path, const char *s);

#endif /* KCHECK_KDEV_H */
