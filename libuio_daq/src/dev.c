/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Devices: opening through a transport, mapping memory maps, register
 * access and interrupts. Nothing here knows whether the device is a real
 * UIO node or the simulator; the transport ops hide that.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "export.h"
#include "internal.h"

#define UDAQ_MAP_KNOWN_FLAGS	(UDAQ_MAP_READONLY | UDAQ_MAP_DOUBLE)

UDAQ_API const char *udaq_sim_spec_options(const char *spec)
{
	if (!spec)
		return NULL;
	if (strcmp(spec, "sim") == 0)
		return spec + 3;	/* "" */
	if (strncmp(spec, "sim:", 4) == 0)
		return spec + 4;
	return NULL;
}

/*
 * Transports fill maps[] with what they know (name, size, phys); the
 * back-pointers and the unmapped state are set here so that no transport
 * can get them wrong.
 */
static int finish_attach(struct udaq_dev *dev)
{
	size_t i;

	if (dev->num_maps > UDAQ_MAX_MAPS)
		return -EINVAL;
	for (i = 0; i < dev->num_maps; i++) {
		struct udaq_map *map = &dev->maps[i];

		map->dev = dev;
		map->index = i;
		map->addr = NULL;
		map->reserve = NULL;
		map->reserve_len = 0;
		map->flags = 0;
		map->name[sizeof(map->name) - 1] = '\0';
	}
	dev->name[sizeof(dev->name) - 1] = '\0';
	dev->devname[sizeof(dev->devname) - 1] = '\0';
	dev->pci_addr[sizeof(dev->pci_addr) - 1] = '\0';
	return 0;
}

UDAQ_API int udaq_dev_open(struct udaq_ctx *ctx, const char *spec, struct udaq_dev **out)
{
	struct udaq_dev *dev;
	const char *opts;
	unsigned int index;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!ctx || !spec || !spec[0])
		return -EINVAL;

	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	dev->ctx = ctx;
	dev->irq_fd = -1;
	ret = pthread_mutex_init(&dev->lock, NULL);
	if (ret) {
		free(dev);
		return -ret;
	}

	/* A transport that fails releases what it acquired itself. */
	opts = udaq_sim_spec_options(spec);
	if (opts) {
		ret = udaq_sim_attach(dev, opts);
	} else {
		ret = udaq_resolve_spec(ctx, spec, &index);
		if (!ret)
			ret = udaq_uio_attach(dev, index);
	}
	if (ret)
		goto fail;

	ret = finish_attach(dev);
	if (ret) {
		if (dev->ops && dev->ops->close)
			dev->ops->close(dev);
		goto fail;
	}
	*out = dev;
	return 0;

fail:
	pthread_mutex_destroy(&dev->lock);
	free(dev);
	return ret;
}

static void unmap_one(struct udaq_map *map)
{
	if (map->reserve)
		munmap(map->reserve, map->reserve_len);
	map->reserve = NULL;
	map->reserve_len = 0;
	map->addr = NULL;
	map->flags = 0;
}

UDAQ_API void udaq_dev_close(struct udaq_dev *dev)
{
	size_t i;

	if (!dev)
		return;
	/* Unmap before the transport closes: a simulator may free the memfds. */
	for (i = 0; i < dev->num_maps && i < UDAQ_MAX_MAPS; i++)
		unmap_one(&dev->maps[i]);
	if (dev->ops && dev->ops->close)
		dev->ops->close(dev);
	pthread_mutex_destroy(&dev->lock);
	free(dev);
}

UDAQ_API const char *udaq_dev_name(const struct udaq_dev *dev)
{
	return dev ? dev->name : NULL;
}

UDAQ_API const char *udaq_dev_devname(const struct udaq_dev *dev)
{
	return dev ? dev->devname : NULL;
}

UDAQ_API bool udaq_dev_is_sim(const struct udaq_dev *dev)
{
	return dev && dev->is_sim;
}

UDAQ_API uint16_t udaq_dev_pci_vendor(const struct udaq_dev *dev)
{
	return dev ? dev->pci_vendor : 0;
}

UDAQ_API uint16_t udaq_dev_pci_device(const struct udaq_dev *dev)
{
	return dev ? dev->pci_device : 0;
}

UDAQ_API const char *udaq_dev_pci_addr(const struct udaq_dev *dev)
{
	return dev && dev->pci_addr[0] ? dev->pci_addr : NULL;
}

UDAQ_API size_t udaq_dev_num_maps(const struct udaq_dev *dev)
{
	return dev ? dev->num_maps : 0;
}

/* ---- Maps ------------------------------------------------------------ */

static size_t page_size(void)
{
	long ps = sysconf(_SC_PAGESIZE);

	return ps > 0 ? (size_t)ps : 4096;
}

static int map_plain(struct udaq_map *map, int fd, off_t off, int prot)
{
	size_t ps = page_size();
	size_t len;
	void *p;

	if (map->offset >= ps || map->size > SIZE_MAX - ps)
		return -EINVAL;
	/* UIO maps whole pages; the map itself starts map->offset in. */
	len = (map->offset + map->size + ps - 1) & ~(ps - 1);
	p = mmap(NULL, len, prot, MAP_SHARED, fd, off);
	if (p == MAP_FAILED)
		return -errno;
	map->reserve = p;
	map->reserve_len = len;
	map->addr = (char *)p + map->offset;
	return 0;
}

/*
 * The ring is mapped twice back to back so that a record wrapping around
 * the end is still contiguous. Reserving the whole span first guarantees
 * the second copy lands right after the first, which two independent
 * mmap() calls could not.
 */
static int map_double(struct udaq_map *map, int fd, off_t off, int prot)
{
	size_t ps = page_size();
	char *base;
	void *p;
	int ret;

	if (map->offset != 0 || map->size % ps != 0 || map->size > SIZE_MAX / 2)
		return -EINVAL;
	base = mmap(NULL, 2 * map->size, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return -errno;
	p = mmap(base, map->size, prot, MAP_SHARED | MAP_FIXED, fd, off);
	if (p == MAP_FAILED)
		goto fail;
	p = mmap(base + map->size, map->size, prot, MAP_SHARED | MAP_FIXED,
		 fd, off);
	if (p == MAP_FAILED)
		goto fail;
	map->reserve = base;
	map->reserve_len = 2 * map->size;
	map->addr = base;
	return 0;

fail:
	ret = -errno;
	munmap(base, 2 * map->size);
	return ret;
}

UDAQ_API int udaq_dev_map(struct udaq_dev *dev, size_t index, unsigned int flags,
			  struct udaq_map **out)
{
	struct udaq_map *map;
	off_t off;
	int prot, fd, ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!dev || (flags & ~UDAQ_MAP_KNOWN_FLAGS))
		return -EINVAL;
	if (index >= dev->num_maps)
		return -ENOENT;
	if (!dev->ops || !dev->ops->map_source)
		return -ENOTSUP;
	map = &dev->maps[index];
	if (map->size == 0)
		return -EINVAL;

	pthread_mutex_lock(&dev->lock);
	if (map->addr) {
		ret = map->flags == flags ? 0 : -EEXIST;
		goto out;
	}
	ret = dev->ops->map_source(dev, index, &fd, &off);
	if (ret)
		goto out;
	prot = PROT_READ | ((flags & UDAQ_MAP_READONLY) ? 0 : PROT_WRITE);
	if (flags & UDAQ_MAP_DOUBLE)
		ret = map_double(map, fd, off, prot);
	else
		ret = map_plain(map, fd, off, prot);
	if (!ret)
		map->flags = flags;
out:
	pthread_mutex_unlock(&dev->lock);
	if (!ret)
		*out = map;
	return ret;
}

UDAQ_API int udaq_dev_map_by_name(struct udaq_dev *dev, const char *name,
				  unsigned int flags, struct udaq_map **out)
{
	size_t i;

	if (out)
		*out = NULL;
	if (!dev || !name || !out)
		return -EINVAL;
	/* An unnamed map ("") is reachable by index only. */
	if (!name[0])
		return -ENOENT;
	for (i = 0; i < dev->num_maps; i++)
		if (strcmp(dev->maps[i].name, name) == 0)
			return udaq_dev_map(dev, i, flags, out);
	return -ENOENT;
}

UDAQ_API void *udaq_map_addr(const struct udaq_map *map)
{
	return map ? map->addr : NULL;
}

UDAQ_API size_t udaq_map_size(const struct udaq_map *map)
{
	return map ? map->size : 0;
}

UDAQ_API const char *udaq_map_name(const struct udaq_map *map)
{
	return map ? map->name : NULL;
}

UDAQ_API uint64_t udaq_map_phys(const struct udaq_map *map)
{
	return map ? map->phys : 0;
}

/* ---- Registers ------------------------------------------------------- */

static bool reg_ok(const struct udaq_map *map, size_t off)
{
	if (!map || (off & 3) || map->size < 4 || off > map->size - 4)
		return false;
	return map->reg_ops || map->addr;
}

UDAQ_API uint32_t udaq_map_read32(const struct udaq_map *map, size_t off)
{
	const volatile uint32_t *p;
	uint32_t v;

	if (!reg_ok(map, off))
		return UINT32_MAX;
	if (map->reg_ops && map->reg_ops->read32)
		return map->reg_ops->read32(map->reg_arg, off);
	if (!map->addr)
		return UINT32_MAX;
	p = (const volatile uint32_t *)((const char *)map->addr + off);
	v = __atomic_load_n(p, __ATOMIC_RELAXED);
	/* As readl(): later reads of DMA'd memory must not pass this one. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return v;
}

UDAQ_API void udaq_map_write32(struct udaq_map *map, size_t off, uint32_t v)
{
	volatile uint32_t *p;

	if (!reg_ok(map, off))
		return;
	if (map->reg_ops && map->reg_ops->write32) {
		map->reg_ops->write32(map->reg_arg, off, v);
		return;
	}
	/* A store into a read-only mapping would kill the process. */
	if (!map->addr || (map->flags & UDAQ_MAP_READONLY))
		return;
	p = (volatile uint32_t *)((char *)map->addr + off);
	/* As writel(): memory written before a doorbell reaches the device first. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

/* ---- Interrupts ------------------------------------------------------ */

UDAQ_API int udaq_dev_irq_fd(const struct udaq_dev *dev)
{
	return dev ? dev->irq_fd : -EINVAL;
}

UDAQ_API int udaq_dev_irq_enable(struct udaq_dev *dev, bool enable)
{
	if (!dev)
		return -EINVAL;
	if (!dev->ops || !dev->ops->irq_control)
		return -ENOTSUP;
	return dev->ops->irq_control(dev, enable);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Account for one event count read from the transport. */
static void irq_account(struct udaq_dev *dev, uint32_t count, uint32_t *missed)
{
	uint32_t delta = 1;

	/* Unsigned subtraction keeps this right across the 2^32 wrap. */
	if (dev->irq_seen && count != dev->irq_last)
		delta = count - dev->irq_last;
	dev->irq_seen = true;
	dev->irq_last = count;
	__atomic_add_fetch(&dev->irq_total, delta, __ATOMIC_RELAXED);
	if (missed)
		*missed = delta - 1;
}

UDAQ_API int udaq_dev_irq_wait(struct udaq_dev *dev, int timeout_ms, uint32_t *missed)
{
	int64_t deadline = 0;
	struct pollfd pfd;
	uint32_t count;
	int ret, left;

	if (missed)
		*missed = 0;
	if (!dev || timeout_ms < -1)
		return -EINVAL;
	if (!dev->ops || !dev->ops->irq_read || dev->irq_fd < 0)
		return -ENOTSUP;
	if (timeout_ms > 0)
		deadline = now_ms() + timeout_ms;

	for (;;) {
		left = timeout_ms;
		if (timeout_ms > 0) {
			int64_t rem = deadline - now_ms();

			left = rem < 0 ? 0 : (rem > INT_MAX ? INT_MAX : (int)rem);
		}
		/* Poll first: the UIO node may be blocking, and read() must not hang. */
		pfd.fd = dev->irq_fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		ret = poll(&pfd, 1, left);
		if (ret < 0)
			return -errno;	/* -EINTR lets a signal handler stop the wait */
		if (ret == 0)
			return 0;
		if (pfd.revents & POLLNVAL)
			return -EBADF;
		if (!(pfd.revents & POLLIN))
			return -ENODEV;	/* POLLERR/POLLHUP: the device is gone */

		ret = dev->ops->irq_read(dev, &count);
		if (ret == 0) {
			irq_account(dev, count, missed);
			return 1;
		}
		if (ret != -EAGAIN)
			return ret;
		/* Someone else consumed it, or a spurious wakeup: wait on. */
		if (timeout_ms == 0)
			return 0;
	}
}

UDAQ_API uint64_t udaq_dev_irq_count(const struct udaq_dev *dev)
{
	return dev ? __atomic_load_n(&dev->irq_total, __ATOMIC_RELAXED) : 0;
}
