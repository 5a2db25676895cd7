/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * UIO devices as sysfs describes them: the one parser of
 * <sysfs>/class/uio/uioN, enumeration on top of it, and turning an open()
 * spec into a UIO index.
 *
 * Sysfs is normally trustworthy, but the roots can be pointed anywhere
 * (tests, containers, a half-unbound device), so every value is checked
 * for length and format and a bad one is reported naming its file rather
 * than being guessed around.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "export.h"
#include "internal.h"
#include "pci_names.h"
#include "sysfs.h"

/* Longest attribute we read: names are capped well below this. */
#define ATTR_BUF	256

struct udaq_info {
	struct udaq_sysfs_dev sd;
	char *vendor_name;
	char *device_name;
};

struct udaq_list {
	size_t count;
	struct udaq_info *items;
};

/* ---- Small parsers --------------------------------------------------- */

static bool parse_uint_dec(const char *s, unsigned int *out)
{
	unsigned long v = 0;

	/* Canonical only: "uio01" or "uio+1" is not a kernel name. */
	if (!s[0] || (s[0] == '0' && s[1]))
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > INT_MAX)
			return false;
	}
	*out = (unsigned int)v;
	return true;
}

bool udaq_sysfs_parse_devname(const char *s, unsigned int *index)
{
	return s && strncmp(s, "uio", 3) == 0 && parse_uint_dec(s + 3, index);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "0x" then 1..16 hex digits, nothing else: what the kernel prints. */
static bool parse_hex_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t n = 0;

	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return false;
	for (s += 2; *s; s++, n++) {
		int d = hexval(*s);

		if (d < 0 || n == 16)
			return false;
		v = (v << 4) | (uint64_t)d;
	}
	if (n == 0)
		return false;
	*out = v;
	return true;
}

/* Exactly @digits hex digits from @s; returns the value or -1. */
static long hex_field(const char *s, int digits)
{
	long v = 0;
	int i;

	for (i = 0; i < digits; i++) {
		int d = hexval(s[i]);

		if (d < 0)
			return -1;
		v = (v << 4) | d;
	}
	return v;
}

bool udaq_sysfs_parse_pci_addr(const char *s, char *out, size_t out_size)
{
	long dom = 0, bus, slot, fn;
	size_t len;

	if (!s)
		return false;
	len = strlen(s);
	if (len == 12) {
		dom = hex_field(s, 4);
		if (dom < 0 || s[4] != ':')
			return false;
		s += 5;
	} else if (len != 7) {
		return false;
	}
	bus = hex_field(s, 2);
	slot = hex_field(s + 3, 2);
	fn = hex_field(s + 6, 1);
	if (bus < 0 || s[2] != ':' || slot < 0 || s[5] != '.' || fn < 0)
		return false;
	if (slot > 0x1f || fn > 7)
		return false;
	return snprintf(out, out_size, "%04lx:%02lx:%02lx.%lx",
			dom, bus, slot, fn) < (int)out_size;
}

/* ---- Reading attributes ---------------------------------------------- */

__attribute__((format(printf, 3, 4)))
static int fail(struct udaq_sysfs_dev *d, int err, const char *fmt, ...)
{
	va_list ap;

	/* The first problem is the one worth reporting; later ones follow from it. */
	if (d->error)
		return err;
	d->error = err;
	va_start(ap, fmt);
	vsnprintf(d->error_msg, sizeof(d->error_msg), fmt, ap);
	va_end(ap);
	return err;
}

/* Quote untrusted content in messages: printable, short. */
static void quote(const char *in, char *out, size_t out_size)
{
	size_t i, o = 0;

	for (i = 0; in[i] && o + 4 < out_size; i++)
		out[o++] = (in[i] >= 0x20 && in[i] < 0x7f) ? in[i] : '?';
	if (in[i] && o + 4 <= out_size) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

static int join(char *buf, size_t size, const char *a, const char *b)
{
	int n = snprintf(buf, size, "%s/%s", a, b);

	return (n < 0 || (size_t)n >= size) ? -ENAMETOOLONG : 0;
}

/*
 * Read a one-line attribute into @buf (at most @max characters plus the
 * trailing newline sysfs adds). Records a message naming @path on error.
 */
static int read_attr(struct udaq_sysfs_dev *d, const char *path, char *buf,
		     size_t max)
{
	char tmp[ATTR_BUF];
	struct stat st;
	size_t len = 0, i;
	ssize_t n;
	int fd, ret;

	if (max >= sizeof(tmp))
		max = sizeof(tmp) - 1;
	/* O_NONBLOCK: a FIFO planted in a fake tree must not hang us. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		ret = -errno;
		return fail(d, ret, "%s: cannot open: %s", path, strerror(-ret));
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail(d, -EINVAL, "%s: not a regular file", path);
	}
	for (;;) {
		n = read(fd, tmp + len, sizeof(tmp) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || (len += (size_t)n) == sizeof(tmp) - 1)
			break;
	}
	ret = n < 0 ? -errno : 0;
	close(fd);
	if (ret)
		return fail(d, ret, "%s: read failed: %s", path, strerror(-ret));
	tmp[len] = '\0';
	if (len > 0 && tmp[len - 1] == '\n')
		tmp[--len] = '\0';
	if (len > max)
		return fail(d, -ENAMETOOLONG,
			    "%s: value is %s%zu bytes long, the limit is %zu",
			    path, len == sizeof(tmp) - 1 ? "at least " : "",
			    len, max);
	for (i = 0; i < len; i++) {
		if (tmp[i] < 0x20 || tmp[i] >= 0x7f)
			return fail(d, -EINVAL,
				    "%s: contains a non-printable byte (0x%02x) at offset %zu",
				    path, (unsigned char)tmp[i], i);
	}
	memcpy(buf, tmp, len + 1);
	return 0;
}

static int read_text(struct udaq_sysfs_dev *d, const char *dir,
		     const char *attr, char *buf, size_t size)
{
	char path[PATH_MAX];

	if (join(path, sizeof(path), dir, attr))
		return fail(d, -ENAMETOOLONG, "%s/%s: path too long", dir, attr);
	return read_attr(d, path, buf, size - 1);
}

static int read_hex(struct udaq_sysfs_dev *d, const char *dir,
		    const char *attr, uint64_t max, uint64_t *out)
{
	char path[PATH_MAX], buf[40], q[48];
	int ret;

	if (join(path, sizeof(path), dir, attr))
		return fail(d, -ENAMETOOLONG, "%s/%s: path too long", dir, attr);
	ret = read_attr(d, path, buf, sizeof(buf) - 1);
	if (ret)
		return ret;
	if (!parse_hex_u64(buf, out)) {
		quote(buf, q, sizeof(q));
		return fail(d, -EINVAL, "%s: not a 0x-prefixed hexadecimal number: \"%s\"",
			    path, q);
	}
	if (*out > max)
		return fail(d, -ERANGE, "%s: 0x%llx is out of range (max 0x%llx)",
			    path, (unsigned long long)*out,
			    (unsigned long long)max);
	return 0;
}

/* ---- One device ------------------------------------------------------ */

static size_t page_size(void)
{
	long ps = sysconf(_SC_PAGESIZE);

	return ps > 0 ? (size_t)ps : 4096;
}

/* Return: whether map @i is good (num_maps then covers it). */
static bool read_map(struct udaq_sysfs_dev *d, const char *maps_dir,
		     unsigned int i)
{
	struct udaq_sysfs_map *m = &d->maps[i];
	char dir[PATH_MAX], leaf[16];

	snprintf(leaf, sizeof(leaf), "map%u", i);
	if (join(dir, sizeof(dir), maps_dir, leaf)) {
		fail(d, -ENAMETOOLONG, "%s/%s: path too long", maps_dir, leaf);
		return false;
	}
	if (read_text(d, dir, "name", m->name, sizeof(m->name)) ||
	    read_hex(d, dir, "addr", UINT64_MAX, &m->addr) ||
	    read_hex(d, dir, "size", SIZE_MAX, &m->size) ||
	    read_hex(d, dir, "offset", page_size() - 1, &m->offset))
		return false;
	if (m->size == 0) {
		fail(d, -EINVAL, "%s/size: a map of size zero cannot be mapped", dir);
		return false;
	}
	d->num_maps = i + 1;
	return true;
}

static void read_maps(struct udaq_sysfs_dev *d, const char *dev_dir)
{
	char maps_dir[PATH_MAX];
	unsigned int present = 0, n, i;
	struct dirent *de;
	DIR *dir;

	if (join(maps_dir, sizeof(maps_dir), dev_dir, "maps")) {
		fail(d, -ENAMETOOLONG, "%s/maps: path too long", dev_dir);
		return;
	}
	dir = opendir(maps_dir);
	if (!dir) {
		/* No maps directory: a device with only an interrupt. */
		if (errno != ENOENT)
			fail(d, -errno, "%s: cannot read: %s", maps_dir,
			     strerror(errno));
		return;
	}
	while ((de = readdir(dir))) {
		if (strncmp(de->d_name, "map", 3) != 0 ||
		    !parse_uint_dec(de->d_name + 3, &n))
			continue;	/* not ours to judge */
		if (n >= UDAQ_MAX_MAPS) {
			fail(d, -ERANGE, "%s/%s: UIO has at most %d maps",
			     maps_dir, de->d_name, UDAQ_MAX_MAPS);
			continue;
		}
		present |= 1u << n;
	}
	closedir(dir);

	/* Maps after a broken one are not listed: their numbering is in doubt. */
	for (i = 0; i < UDAQ_MAX_MAPS && (present & (1u << i)); i++)
		if (!read_map(d, maps_dir, i))
			break;
	if (i < UDAQ_MAX_MAPS && (present & (1u << i)))
		return;
	if (i < UDAQ_MAX_MAPS && (present >> i)) {
		unsigned int next = i;

		while (!(present & (1u << next)))
			next++;
		fail(d, -EINVAL, "%s: map%u is missing although map%u exists",
		     maps_dir, i, next);
	}
}

static void read_pci(struct udaq_sysfs_dev *d, const char *dev_dir)
{
	char link[PATH_MAX];
	const char *base;
	uint64_t v;
	struct stat st;
	char *real;

	if (join(link, sizeof(link), dev_dir, "device")) {
		fail(d, -ENAMETOOLONG, "%s/device: path too long", dev_dir);
		return;
	}
	if (lstat(link, &st) < 0) {
		/* No parent device at all: a virtual UIO device. */
		if (errno != ENOENT)
			fail(d, -errno, "%s: %s", link, strerror(errno));
		return;
	}
	real = realpath(link, NULL);
	if (!real) {
		if (errno == ENOENT)
			fail(d, -ENOENT, "%s: dangling link (its device is gone)", link);
		else
			fail(d, -errno, "%s: %s", link, strerror(errno));
		return;
	}
	base = strrchr(real, '/');
	base = base ? base + 1 : real;
	/* Only a PCI function's sysfs directory is named like an address. */
	if (strlen(base) == 12 &&
	    udaq_sysfs_parse_pci_addr(base, d->pci_addr, sizeof(d->pci_addr))) {
		d->is_pci = true;
		if (!read_hex(d, link, "vendor", UINT16_MAX, &v))
			d->pci_vendor = (uint16_t)v;
		if (!read_hex(d, link, "device", UINT16_MAX, &v))
			d->pci_device = (uint16_t)v;
	}
	/* Anything else is a platform (or other non-PCI) parent. */
	free(real);
}

int udaq_sysfs_read_dev(const char *sysfs_root, unsigned int index,
			struct udaq_sysfs_dev *d)
{
	char dir[PATH_MAX];
	struct stat st;
	int n;

	memset(d, 0, sizeof(*d));
	d->index = index;
	snprintf(d->devname, sizeof(d->devname), "uio%u", index);
	n = snprintf(dir, sizeof(dir), "%s/class/uio/%s", sysfs_root, d->devname);
	if (n < 0 || (size_t)n >= sizeof(dir))
		return fail(d, -ENAMETOOLONG, "%s/class/uio/%s: path too long",
			    sysfs_root, d->devname);
	if (stat(dir, &st) < 0)
		return fail(d, errno == ENOENT ? -ENODEV : -errno, "%s: %s",
			    dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return fail(d, -ENOTDIR, "%s: not a directory", dir);

	/* Keep going after a problem: the rest still helps the user. */
	read_text(d, dir, "name", d->name, sizeof(d->name));
	read_text(d, dir, "version", d->version, sizeof(d->version));
	read_pci(d, dir);
	read_maps(d, dir);
	return d->error;
}

/* ---- Enumeration ----------------------------------------------------- */

static int cmp_uint(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return (x > y) - (x < y);
}

/* The UIO indices present in <sysfs>/class/uio, sorted. */
static int scan_indices(const char *sysfs_root, unsigned int **out, size_t *count)
{
	char path[PATH_MAX];
	unsigned int *idx = NULL, *grown, n;
	size_t cnt = 0, cap = 0;
	struct dirent *de;
	DIR *dir;
	int ret;

	*out = NULL;
	*count = 0;
	ret = snprintf(path, sizeof(path), "%s/class/uio", sysfs_root);
	if (ret < 0 || (size_t)ret >= sizeof(path))
		return -ENAMETOOLONG;
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		if (!udaq_sysfs_parse_devname(de->d_name, &n))
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 8;
			grown = reallocarray(idx, cap, sizeof(*idx));
			if (!grown) {
				closedir(dir);
				free(idx);
				return -ENOMEM;
			}
			idx = grown;
		}
		idx[cnt++] = n;
	}
	closedir(dir);
	if (cnt)
		qsort(idx, cnt, sizeof(*idx), cmp_uint);
	*out = idx;
	*count = cnt;
	return 0;
}

static int lookup_names(struct udaq_list *list)
{
	struct udaq_pci_names *names = NULL;
	size_t i;
	int ret = 0;

	for (i = 0; i < list->count && !ret; i++) {
		struct udaq_info *info = &list->items[i];

		if (!info->sd.is_pci || !info->sd.pci_vendor)
			continue;
		/* Loading the ID database is costly: only when a PCI device is there. */
		if (!names) {
			names = udaq_pci_names_new();
			if (!names)
				break;
		}
		ret = udaq_pci_names_lookup(names, info->sd.pci_vendor,
					    info->sd.pci_device,
					    &info->vendor_name,
					    &info->device_name);
	}
	udaq_pci_names_free(names);
	return ret;
}

UDAQ_API int udaq_enumerate(struct udaq_ctx *ctx, struct udaq_list **out)
{
	struct udaq_list *list;
	unsigned int *idx;
	size_t count, i;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!ctx)
		return -EINVAL;
	ret = scan_indices(ctx->sysfs_root, &idx, &count);
	if (ret)
		return ret;
	list = calloc(1, sizeof(*list));
	if (list && count)
		list->items = calloc(count, sizeof(*list->items));
	if (!list || (count && !list->items)) {
		free(idx);
		udaq_list_free(list);
		return -ENOMEM;
	}
	list->count = count;
	for (i = 0; i < count; i++)
		udaq_sysfs_read_dev(ctx->sysfs_root, idx[i], &list->items[i].sd);
	free(idx);
	ret = lookup_names(list);
	if (ret) {
		udaq_list_free(list);
		return ret;
	}
	*out = list;
	return 0;
}

UDAQ_API void udaq_list_free(struct udaq_list *list)
{
	size_t i;

	if (!list)
		return;
	for (i = 0; i < list->count && list->items; i++) {
		free(list->items[i].vendor_name);
		free(list->items[i].device_name);
	}
	free(list->items);
	free(list);
}

UDAQ_API size_t udaq_list_count(const struct udaq_list *list)
{
	return list ? list->count : 0;
}

UDAQ_API const struct udaq_info *udaq_list_get(const struct udaq_list *list, size_t i)
{
	return list && i < list->count ? &list->items[i] : NULL;
}

UDAQ_API int udaq_info_error(const struct udaq_info *info)
{
	return info ? info->sd.error : -EINVAL;
}

UDAQ_API const char *udaq_info_error_msg(const struct udaq_info *info)
{
	return info && info->sd.error ? info->sd.error_msg : NULL;
}

UDAQ_API unsigned int udaq_info_index(const struct udaq_info *info)
{
	return info ? info->sd.index : 0;
}

UDAQ_API const char *udaq_info_devname(const struct udaq_info *info)
{
	return info ? info->sd.devname : NULL;
}

UDAQ_API const char *udaq_info_name(const struct udaq_info *info)
{
	return info ? info->sd.name : NULL;
}

UDAQ_API const char *udaq_info_version(const struct udaq_info *info)
{
	return info ? info->sd.version : NULL;
}

UDAQ_API size_t udaq_info_num_maps(const struct udaq_info *info)
{
	return info ? info->sd.num_maps : 0;
}

static const struct udaq_sysfs_map *info_map(const struct udaq_info *info,
					     size_t i)
{
	return info && i < info->sd.num_maps ? &info->sd.maps[i] : NULL;
}

UDAQ_API const char *udaq_info_map_name(const struct udaq_info *info, size_t i)
{
	const struct udaq_sysfs_map *m = info_map(info, i);

	return m ? m->name : NULL;
}

UDAQ_API uint64_t udaq_info_map_addr(const struct udaq_info *info, size_t i)
{
	const struct udaq_sysfs_map *m = info_map(info, i);

	return m ? m->addr : 0;
}

UDAQ_API uint64_t udaq_info_map_size(const struct udaq_info *info, size_t i)
{
	const struct udaq_sysfs_map *m = info_map(info, i);

	return m ? m->size : 0;
}

UDAQ_API uint64_t udaq_info_map_offset(const struct udaq_info *info, size_t i)
{
	const struct udaq_sysfs_map *m = info_map(info, i);

	return m ? m->offset : 0;
}

UDAQ_API bool udaq_info_is_pci(const struct udaq_info *info)
{
	return info && info->sd.is_pci;
}

UDAQ_API const char *udaq_info_pci_addr(const struct udaq_info *info)
{
	return info && info->sd.is_pci ? info->sd.pci_addr : NULL;
}

UDAQ_API uint16_t udaq_info_pci_vendor(const struct udaq_info *info)
{
	return info ? info->sd.pci_vendor : 0;
}

UDAQ_API uint16_t udaq_info_pci_device(const struct udaq_info *info)
{
	return info ? info->sd.pci_device : 0;
}

UDAQ_API const char *udaq_info_pci_vendor_name(const struct udaq_info *info)
{
	return info ? info->vendor_name : NULL;
}

UDAQ_API const char *udaq_info_pci_device_name(const struct udaq_info *info)
{
	return info ? info->device_name : NULL;
}

/* ---- Resolving an open() spec ---------------------------------------- */

static int check_exists(struct udaq_ctx *ctx, unsigned int index)
{
	char path[PATH_MAX];
	int n;

	n = snprintf(path, sizeof(path), "%s/class/uio/uio%u",
		     ctx->sysfs_root, index);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	return access(path, F_OK) == 0 ? 0 : -ENODEV;
}

/* "<dev_root>/uioN", "/dev/uioN", or a link (udev) that resolves to one. */
static int resolve_path(struct udaq_ctx *ctx, const char *spec,
			unsigned int *index)
{
	const char *slash = strrchr(spec, '/');
	size_t dirlen = (size_t)(slash - spec);
	char *real, *root;
	int ret = -EINVAL;

	if (udaq_sysfs_parse_devname(slash + 1, index) &&
	    ((dirlen == strlen(ctx->dev_root) &&
	      strncmp(spec, ctx->dev_root, dirlen) == 0) ||
	     (dirlen == 4 && strncmp(spec, "/dev", 4) == 0)))
		return check_exists(ctx, *index);

	real = realpath(spec, NULL);
	if (!real)
		return errno == ENOENT ? -ENODEV : -EINVAL;
	root = realpath(ctx->dev_root, NULL);
	slash = strrchr(real, '/');
	if (root && udaq_sysfs_parse_devname(slash + 1, index) &&
	    (size_t)(slash - real) == strlen(root) &&
	    strncmp(real, root, strlen(root)) == 0)
		ret = check_exists(ctx, *index);
	free(real);
	free(root);
	return ret;
}

/* A PCI address or a UIO name: match against every device. */
static int resolve_by_scan(struct udaq_ctx *ctx, const char *spec,
			   const char *pci, unsigned int *index)
{
	struct udaq_sysfs_dev *d;
	unsigned int *idx;
	size_t count, i, hits = 0;
	int ret;

	ret = scan_indices(ctx->sysfs_root, &idx, &count);
	if (ret)
		return ret == -ENOENT ? -ENODEV : ret;
	d = malloc(sizeof(*d));
	if (!d) {
		free(idx);
		return -ENOMEM;
	}
	for (i = 0; i < count; i++) {
		/* A broken entry still matches by what could be read of it. */
		udaq_sysfs_read_dev(ctx->sysfs_root, idx[i], d);
		if (pci ? (d->is_pci && strcmp(d->pci_addr, pci) == 0)
			: strcmp(d->name, spec) == 0) {
			if (hits++ == 0)
				*index = idx[i];
		}
	}
	free(d);
	free(idx);
	if (hits == 0)
		return -ENODEV;
	return hits == 1 ? 0 : -EBUSY;
}

int udaq_resolve_spec(struct udaq_ctx *ctx, const char *spec,
		      unsigned int *index)
{
	char pci[16];
	size_t i, len;

	if (!ctx || !spec || !index || !spec[0])
		return -EINVAL;
	if (spec[0] == '/')
		return resolve_path(ctx, spec, index);
	if (udaq_sysfs_parse_devname(spec, index))
		return check_exists(ctx, *index);
	if (udaq_sysfs_parse_pci_addr(spec, pci, sizeof(pci)))
		return resolve_by_scan(ctx, spec, pci, index);

	/* Anything else must be a plausible UIO name. */
	len = strlen(spec);
	if (len >= UDAQ_NAME_MAX)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (spec[i] < 0x20 || spec[i] >= 0x7f || spec[i] == '/')
			return -EINVAL;
	return resolve_by_scan(ctx, spec, NULL, index);
}
