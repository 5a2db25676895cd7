/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The "sim" transport: a simulated refdaq behind the same device object a
 * UIO node fills. Maps are memfds (so they are mmapped exactly like UIO
 * maps), the interrupt is an eventfd (pollable like /dev/uioN), and the
 * register map is routed to the device model through reg_ops.
 *
 * The bus addresses the model sees are made up, but deliberately awkward:
 * every chunk gets its own address, in reverse order and with gaps, so a
 * driver that assumed a contiguous ring would fail here, not on hardware.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <uio_daq/abi.h>
#include <uio_daq/refdaq.h>

#include "../export.h"
#include "../internal.h"
#include "../le.h"
#include "sim.h"

#define SIM_RING_DEFAULT	(16u << 20)
#define SIM_CHUNK_DEFAULT	(1u << 20)
#define SIM_RING_MAX		(UINT64_C(1) << 30)
#define SIM_CHANNELS_DEFAULT	8
#define SIM_MAX_RATE_DEFAULT	1000000u
#define SIM_DESC_BUS		UINT64_C(0x40000000)
#define SIM_RING_BUS		UINT64_C(0x100000000)
#define SIM_CHUNK_GAP		UINT64_C(0x10000)

struct sim_priv {
	int fd[3];			/* memfds of regs, ring, desc */
	size_t len[3];
	unsigned char *ring;		/* the model's view of the ring */
	unsigned char *desc;		/* and of the descriptor map */
	int efd;
	uint64_t irq_total;
	struct refdaq_model *model;
};

/* ---- Options ----------------------------------------------------------- */

static void say(char *msg, size_t msglen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(char *msg, size_t msglen, const char *fmt, ...)
{
	va_list ap;

	if (!msg || !msglen)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
}

/* "64K", "16M", "1G", "65536": bytes. Return false if malformed or too big. */
static bool parse_size(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0, mult = 1;
	size_t i;

	if (n == 0 || !isdigit((unsigned char)s[0]))
		return false;
	for (i = 0; i < n && isdigit((unsigned char)s[i]); i++) {
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (i < n) {
		switch (s[i]) {
		case 'k': case 'K': mult = UINT64_C(1) << 10; break;
		case 'm': case 'M': mult = UINT64_C(1) << 20; break;
		case 'g': case 'G': mult = UINT64_C(1) << 30; break;
		default: return false;
		}
		if (i + 1 != n)
			return false;
	}
	if (v > max / mult)
		return false;
	*out = v * mult;
	return true;
}

int sim_parse_opts(const char *opts, struct sim_opts *o, char *msg, size_t msglen)
{
	const char *p = opts ? opts : "";
	uint64_t v;

	o->ring_size = SIM_RING_DEFAULT;
	o->chunk_size = 0;
	o->channels = SIM_CHANNELS_DEFAULT;
	o->max_rate = SIM_MAX_RATE_DEFAULT;
	say(msg, msglen, "ok");

	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		size_t klen, vlen;
		const char *val;

		if (!eq) {
			say(msg, msglen, "sim option '%.*s': expected key=value", (int)len, p);
			return -EINVAL;
		}
		klen = (size_t)(eq - p);
		val = eq + 1;
		vlen = len - klen - 1;
#define KEY(k) (klen == sizeof(k) - 1 && strncmp(p, k, klen) == 0)
		if (KEY("ring")) {
			if (!parse_size(val, vlen, SIM_RING_MAX, &v) ||
			    v < UDAQ_RING_MIN || v % UDAQ_CHUNK_ALIGN) {
				say(msg, msglen, "sim option ring=%.*s: want a size of at least 64K, at most 1G, a multiple of 4K (suffixes K, M, G)",
				    (int)vlen, val);
				return -EINVAL;
			}
			o->ring_size = (size_t)v;
		} else if (KEY("chunk")) {
			if (!parse_size(val, vlen, SIM_RING_MAX, &v) || v == 0 ||
			    v % UDAQ_CHUNK_ALIGN) {
				say(msg, msglen, "sim option chunk=%.*s: want a non-zero multiple of 4K (suffixes K, M, G)",
				    (int)vlen, val);
				return -EINVAL;
			}
			o->chunk_size = (size_t)v;
		} else if (KEY("channels")) {
			if (!parse_size(val, vlen, 32, &v) || v < 1 || vlen > 2) {
				say(msg, msglen, "sim option channels=%.*s: want 1 to 32",
				    (int)vlen, val);
				return -EINVAL;
			}
			o->channels = (unsigned int)v;
		} else if (KEY("maxrate")) {
			if (!parse_size(val, vlen, UINT32_MAX, &v) || v < 1) {
				say(msg, msglen, "sim option maxrate=%.*s: want 1 to 4294967295 Hz (suffixes K, M: x1024)",
				    (int)vlen, val);
				return -EINVAL;
			}
			o->max_rate = (uint32_t)v;
		} else {
			say(msg, msglen, "sim option '%.*s': unknown key (known: ring, chunk, channels, maxrate)",
			    (int)klen, p);
			return -EINVAL;
		}
#undef KEY
		p += len;
		if (*p == ',')
			p++;
	}
	if (o->chunk_size == 0)
		o->chunk_size = o->ring_size < SIM_CHUNK_DEFAULT ? o->ring_size :
				SIM_CHUNK_DEFAULT;
	if (o->chunk_size > o->ring_size) {
		say(msg, msglen, "sim option chunk=%zu: larger than the ring (%zu bytes)",
		    o->chunk_size, o->ring_size);
		return -EINVAL;
	}
	if ((o->ring_size + o->chunk_size - 1) / o->chunk_size > UDAQ_DESC_COUNT_MAX) {
		say(msg, msglen, "sim options ring=%zu,chunk=%zu: need more than %d chunks",
		    o->ring_size, o->chunk_size, UDAQ_DESC_COUNT_MAX);
		return -EINVAL;
	}
	return 0;
}

UDAQ_API int udaq_sim_options_check(const char *spec, char *msg, size_t msglen)
{
	const char *opts = udaq_sim_spec_options(spec);
	struct sim_opts o;

	if (!opts) {
		say(msg, msglen, "'%s' is not a simulator spec (\"sim\" or \"sim:key=value,...\")",
		    spec ? spec : "(null)");
		return -EINVAL;
	}
	return sim_parse_opts(opts, &o, msg, msglen);
}

/* ---- Transport ops ------------------------------------------------------ */

static int sim_map_source(struct udaq_dev *dev, size_t index, int *fd, off_t *offset)
{
	struct sim_priv *sp = dev->priv;

	if (index >= 3)
		return -ENOENT;
	*fd = sp->fd[index];
	*offset = 0;
	return 0;
}

static int sim_irq_read(struct udaq_dev *dev, uint32_t *count)
{
	struct sim_priv *sp = dev->priv;
	uint64_t v;

	if (refdaq_model_gone(sp->model))
		return -ENODEV;
	if (read(sp->efd, &v, sizeof(v)) != sizeof(v))
		return errno == EAGAIN ? -EAGAIN : -errno;
	/* UIO reports a running total; wraps at 2^32 like its event count. */
	sp->irq_total += v;
	*count = (uint32_t)sp->irq_total;
	return 0;
}

static int sim_irq_control(struct udaq_dev *dev, bool enable)
{
	struct sim_priv *sp = dev->priv;

	refdaq_model_irq_control(sp->model, enable);
	return 0;
}

static void sim_free(struct sim_priv *sp)
{
	int i;

	refdaq_model_free(sp->model);
	if (sp->ring)
		munmap(sp->ring, sp->len[UDAQ_MAP_RING]);
	if (sp->desc)
		munmap(sp->desc, sp->len[UDAQ_MAP_DESC]);
	for (i = 0; i < 3; i++)
		if (sp->fd[i] >= 0)
			close(sp->fd[i]);
	if (sp->efd >= 0)
		close(sp->efd);
	free(sp);
}

static void sim_close(struct udaq_dev *dev)
{
	sim_free(dev->priv);
	dev->priv = NULL;
	dev->irq_fd = -1;
}

static const struct udaq_transport_ops sim_ops = {
	.map_source = sim_map_source,
	.irq_read = sim_irq_read,
	.irq_control = sim_irq_control,
	.close = sim_close,
};

static const struct udaq_reg_ops sim_reg_ops = {
	.read32 = refdaq_model_read32,
	.write32 = refdaq_model_write32,
};

/*
 * Write the descriptor map as the kernel stub would, and describe the
 * host memory the model may reach. Chunk i gets a bus address from the top
 * down, with a gap after each, so the ring is not contiguous on the bus.
 */
static void build_desc(struct sim_priv *sp, const struct sim_opts *o,
		       struct sim_region *regions, size_t *nregions)
{
	size_t n = (o->ring_size + o->chunk_size - 1) / o->chunk_size;
	uint64_t stride = o->chunk_size + SIM_CHUNK_GAP;
	size_t i, off = 0;

	put32(sp->desc + UDAQ_DESC_OFF_MAGIC, UDAQ_DESC_MAGIC);
	put32(sp->desc + UDAQ_DESC_OFF_VERSION, UDAQ_DESC_VERSION);
	put32(sp->desc + UDAQ_DESC_OFF_COUNT, (uint32_t)n);
	put32(sp->desc + UDAQ_DESC_OFF_TABLE, UDAQ_DESC_TABLE_DEFAULT);
	put64(sp->desc + UDAQ_DESC_OFF_RING_SIZE, o->ring_size);
	put64(sp->desc + UDAQ_DESC_OFF_SELF_BUS, SIM_DESC_BUS);
	put32(sp->desc + UDAQ_DESC_OFF_WB, UDAQ_DESC_WB_DEFAULT);

	regions[0].bus = SIM_DESC_BUS;
	regions[0].len = sp->len[UDAQ_MAP_DESC];
	regions[0].host = sp->desc;
	for (i = 0; i < n; i++) {
		size_t len = o->ring_size - off < o->chunk_size ?
			     o->ring_size - off : o->chunk_size;
		uint64_t bus = SIM_RING_BUS + (uint64_t)(n - 1 - i) * stride;
		unsigned char *e = sp->desc + UDAQ_DESC_TABLE_DEFAULT +
				   i * UDAQ_CHUNK_SIZE;

		put64(e + UDAQ_CHUNK_OFF_ADDR, bus);
		put64(e + UDAQ_CHUNK_OFF_LEN, len);
		regions[1 + i].bus = bus;
		regions[1 + i].len = len;
		regions[1 + i].host = sp->ring + off;
		off += len;
	}
	*nregions = 1 + n;
}

static int make_memfd(const char *name, size_t len)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)len) < 0) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	return fd;
}

int udaq_sim_attach(struct udaq_dev *dev, const char *opts)
{
	static const char *const names[3] = {
		UDAQ_MAP_REGS_NAME, UDAQ_MAP_RING_NAME, UDAQ_MAP_DESC_NAME,
	};
	struct sim_region *regions = NULL;
	struct sim_model_cfg mc;
	struct sim_priv *sp;
	struct sim_opts o;
	size_t nchunks, nregions;
	int ret, i;

	ret = sim_parse_opts(opts, &o, NULL, 0);
	if (ret)
		return ret;
	sp = calloc(1, sizeof(*sp));
	if (!sp)
		return -ENOMEM;
	sp->fd[0] = sp->fd[1] = sp->fd[2] = sp->efd = -1;

	nchunks = (o.ring_size + o.chunk_size - 1) / o.chunk_size;
	sp->len[UDAQ_MAP_REGS] = REFDAQ_REGS_SIZE;
	sp->len[UDAQ_MAP_RING] = o.ring_size;
	sp->len[UDAQ_MAP_DESC] = (UDAQ_DESC_TABLE_DEFAULT +
				    nchunks * UDAQ_CHUNK_SIZE + 4095) & ~(size_t)4095;
	for (i = 0; i < 3; i++) {
		ret = make_memfd(names[i], sp->len[i]);
		if (ret < 0)
			goto fail;
		sp->fd[i] = ret;
	}
	sp->ring = mmap(NULL, sp->len[UDAQ_MAP_RING], PROT_READ | PROT_WRITE,
			MAP_SHARED, sp->fd[UDAQ_MAP_RING], 0);
	if (sp->ring == MAP_FAILED) {
		sp->ring = NULL;
		ret = -errno;
		goto fail;
	}
	sp->desc = mmap(NULL, sp->len[UDAQ_MAP_DESC], PROT_READ | PROT_WRITE,
			MAP_SHARED, sp->fd[UDAQ_MAP_DESC], 0);
	if (sp->desc == MAP_FAILED) {
		sp->desc = NULL;
		ret = -errno;
		goto fail;
	}
	sp->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (sp->efd < 0) {
		ret = -errno;
		goto fail;
	}
	regions = calloc(1 + nchunks, sizeof(*regions));
	if (!regions) {
		ret = -ENOMEM;
		goto fail;
	}
	build_desc(sp, &o, regions, &nregions);
	mc.channels = o.channels;
	mc.max_rate = o.max_rate;
	mc.regions = regions;
	mc.nregions = nregions;
	mc.irq_fd = sp->efd;
	ret = refdaq_model_new(&mc, &sp->model);
	free(regions);
	if (ret)
		goto fail;

	snprintf(dev->name, sizeof(dev->name), "refdaq-sim");
	snprintf(dev->devname, sizeof(dev->devname), "sim");
	dev->pci_addr[0] = '\0';
	dev->pci_vendor = REFDAQ_PCI_VENDOR;
	dev->pci_device = REFDAQ_PCI_DEVICE;
	dev->is_sim = true;
	dev->num_maps = 3;
	for (i = 0; i < 3; i++) {
		struct udaq_map *map = &dev->maps[i];

		snprintf(map->name, sizeof(map->name), "%s", names[i]);
		map->size = sp->len[i];
		map->phys = 0;
		map->offset = 0;
	}
	dev->maps[UDAQ_MAP_REGS].reg_ops = &sim_reg_ops;
	dev->maps[UDAQ_MAP_REGS].reg_arg = sp->model;
	dev->irq_fd = sp->efd;
	dev->ops = &sim_ops;
	dev->priv = sp;
	return 0;

fail:
	sim_free(sp);
	return ret;
}
