// SPDX-License-Identifier: GPL-2.0-only
/* Raw access to a uio_daq device for the guest checks (see kdev.h). */
#include "kdev.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int failures;

bool check(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("@@%s - ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		failures++;
	return ok;
}

void note(const char *fmt, ...)
{
	va_list ap;

	printf("@@# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

int check_failures(void)
{
	return failures;
}

int read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return 0;
}

int write_file(const char *path, const char *s)
{
	ssize_t n;
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n < 0 ? -errno : 0;
}

static int read_map_attr(const struct kdev *d, int i, const char *attr,
			 char *buf, size_t len)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/class/uio/%s/maps/map%d/%s",
		 d->uio, i, attr);
	return read_file(path, buf, len);
}

int kdev_open(struct kdev *d, const char *uio)
{
	char path[64], buf[64];
	int i, ret;

	memset(d, 0, sizeof(*d));
	d->fd = -1;
	d->page = sysconf(_SC_PAGESIZE);
	snprintf(d->uio, sizeof(d->uio), "%s", uio);
	for (i = 0; i < KDEV_MAPS; i++) {
		ret = read_map_attr(d, i, "name", d->name[i], sizeof(d->name[i]));
		if (!ret)
			ret = read_map_attr(d, i, "addr", buf, sizeof(buf));
		if (!ret) {
			d->addr[i] = strtoull(buf, NULL, 0);
			ret = read_map_attr(d, i, "size", buf, sizeof(buf));
		}
		if (ret) {
			note("%s map%d: cannot read sysfs: %s", uio, i, strerror(-ret));
			return ret;
		}
		d->size[i] = strtoull(buf, NULL, 0);
	}
	snprintf(path, sizeof(path), "/dev/%s", uio);
	d->fd = open(path, O_RDWR | O_CLOEXEC);
	if (d->fd < 0) {
		ret = -errno;
		note("open %s: %s", path, strerror(errno));
		return ret;
	}
	return 0;
}

void *kdev_mmap(struct kdev *d, int index, size_t len, int prot, int flags,
		void *hint)
{
	return mmap(hint, len, prot, flags, d->fd, (off_t)index * d->page);
}

uint32_t desc_u32(const struct kdev *d, size_t off)
{
	uint32_t v;

	memcpy(&v, d->desc + off, sizeof(v));
	return v;
}

uint64_t desc_u64(const struct kdev *d, size_t off)
{
	uint64_t v;

	memcpy(&v, d->desc + off, sizeof(v));
	return v;
}

int kdev_parse_table(struct kdev *d)
{
	uint32_t table = desc_u32(d, UDAQ_DESC_OFF_TABLE);
	uint64_t start = 0;
	size_t i;

	d->nchunks = desc_u32(d, UDAQ_DESC_OFF_COUNT);
	if (!d->nchunks || table + d->nchunks * UDAQ_CHUNK_SIZE > d->size[2]) {
		note("desc: count %zu / table offset %u do not fit the map",
		     d->nchunks, table);
		return -EPROTO;
	}
	d->chunks = calloc(d->nchunks, sizeof(*d->chunks));
	if (!d->chunks)
		return -ENOMEM;
	for (i = 0; i < d->nchunks; i++) {
		size_t ent = table + i * UDAQ_CHUNK_SIZE;

		d->chunks[i].bus = desc_u64(d, ent + UDAQ_CHUNK_OFF_ADDR);
		d->chunks[i].len = desc_u64(d, ent + UDAQ_CHUNK_OFF_LEN);
		d->chunks[i].start = start;
		start += d->chunks[i].len;
	}
	return 0;
}

int kdev_map_all(struct kdev *d)
{
	size_t rs = d->size[1];
	unsigned char *base;
	void *p;

	p = kdev_mmap(d, 0, d->size[0], PROT_READ | PROT_WRITE, MAP_SHARED, NULL);
	if (p == MAP_FAILED)
		goto fail;
	d->regs = p;
	p = kdev_mmap(d, 2, d->size[2], PROT_READ, MAP_SHARED, NULL);
	if (p == MAP_FAILED)
		goto fail;
	d->desc = p;
	/* Reserve twice the ring, then map it into both halves. */
	base = mmap(NULL, 2 * rs, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		goto fail;
	d->ring = base;
	if (kdev_mmap(d, 1, rs, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		      base) == MAP_FAILED ||
	    kdev_mmap(d, 1, rs, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		      base + rs) == MAP_FAILED)
		goto fail;
	return kdev_parse_table(d);
fail:
	note("%s: mmap: %s", d->uio, strerror(errno));
	return -errno;
}

void kdev_close(struct kdev *d)
{
	if (d->regs)
		munmap((void *)d->regs, d->size[0]);
	if (d->desc)
		munmap((void *)d->desc, d->size[2]);
	if (d->ring)
		munmap(d->ring, 2 * d->size[1]);
	if (d->fd >= 0)
		close(d->fd);
	free(d->chunks);
	memset(d, 0, sizeof(*d));
	d->fd = -1;
}

static sigjmp_buf jb;
static volatile sig_atomic_t got_sig;

void on_sigbus(int sig)
{
	got_sig = sig;
	siglongjmp(jb, 1);
}

/* Read one byte; true if that raised SIGBUS (on_sigbus must be installed). */
bool read_faults(const volatile unsigned char *p)
{
	volatile unsigned char v;

	got_sig = 0;
	if (!sigsetjmp(jb, 1)) {
		v = *p;
		(void)v;
	}
	return got_sig == SIGBUS;
}
