/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The "uio" transport: a device is /dev/uioN. Its maps are mmap()ed from
 * the node at offset N * page size (UIO's convention for selecting map N),
 * reading 4 bytes from it yields the interrupt event count, and writing a
 * 4-byte 1/0 unmasks/masks the interrupt (irqcontrol).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "sysfs.h"

static int uio_map_source(struct udaq_dev *dev, size_t index, int *fd,
			  off_t *offset)
{
	long ps = sysconf(_SC_PAGESIZE);

	if (index >= dev->num_maps || ps <= 0)
		return -ENOENT;
	*fd = dev->irq_fd;
	*offset = (off_t)index * ps;
	return 0;
}

static int uio_irq_read(struct udaq_dev *dev, uint32_t *count)
{
	uint32_t v;
	ssize_t n;

	do {
		n = read(dev->irq_fd, &v, sizeof(v));
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN)
			return -EAGAIN;
		/* uio_read() returns -EIO once the device is unregistered. */
		return errno == EIO ? -ENODEV : -errno;
	}
	if (n == 0)
		return -ENODEV;
	if (n != sizeof(v))
		return -EIO;
	*count = v;
	return 0;
}

static int uio_irq_control(struct udaq_dev *dev, bool enable)
{
	uint32_t v = enable ? 1 : 0;
	ssize_t n;

	do {
		n = write(dev->irq_fd, &v, sizeof(v));
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		/* No irqcontrol in the kernel driver: ENOSYS, or EINVAL from old ones. */
		if (errno == ENOSYS || errno == EINVAL)
			return -ENOTSUP;
		return errno == EIO ? -ENODEV : -errno;
	}
	return n == sizeof(v) ? 0 : -EIO;
}

static void uio_close(struct udaq_dev *dev)
{
	if (dev->irq_fd >= 0)
		close(dev->irq_fd);
	dev->irq_fd = -1;
}

static const struct udaq_transport_ops uio_ops = {
	.map_source = uio_map_source,
	.irq_read = uio_irq_read,
	.irq_control = uio_irq_control,
	.close = uio_close,
};

int udaq_uio_attach(struct udaq_dev *dev, unsigned int index)
{
	struct udaq_sysfs_dev sd;
	char path[PATH_MAX];
	size_t i;
	int fd, n, ret;

	ret = udaq_sysfs_read_dev(dev->ctx->sysfs_root, index, &sd);
	if (ret)
		return ret;
	n = snprintf(path, sizeof(path), "%s/%s", dev->ctx->dev_root, sd.devname);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	/*
	 * O_NONBLOCK: irq_wait polls before reading, but another thread
	 * polling the same fd may consume the event in between; a blocking
	 * read would then hang instead of waiting with the timeout.
	 */
	fd = open(path, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;

	memcpy(dev->name, sd.name, sizeof(dev->name));
	memcpy(dev->devname, sd.devname, sizeof(dev->devname));
	if (sd.is_pci) {
		memcpy(dev->pci_addr, sd.pci_addr, sizeof(dev->pci_addr));
		dev->pci_vendor = sd.pci_vendor;
		dev->pci_device = sd.pci_device;
	}
	dev->num_maps = sd.num_maps;
	for (i = 0; i < sd.num_maps; i++) {
		struct udaq_map *map = &dev->maps[i];

		memcpy(map->name, sd.maps[i].name, sizeof(map->name));
		map->phys = sd.maps[i].addr;
		map->size = (size_t)sd.maps[i].size;
		map->offset = (size_t)sd.maps[i].offset;
	}
	dev->is_sim = false;
	dev->irq_fd = fd;
	dev->ops = &uio_ops;
	dev->priv = NULL;
	return 0;
}
