/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_tree.h"

__attribute__((format(printf, 3, 4)))
static void path_of(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		fail_msg("fixture path too long");
}

static void mkdir_p(const char *path)
{
	char tmp[PATH_MAX];
	char *p;

	path_of(tmp, sizeof(tmp), "%s", path);
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			fail_msg("mkdir %s: %s", tmp, strerror(errno));
		*p = '/';
	}
	if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
		fail_msg("mkdir %s: %s", tmp, strerror(errno));
}

static void parent_of(const char *path)
{
	char tmp[PATH_MAX];
	char *slash;

	path_of(tmp, sizeof(tmp), "%s", path);
	slash = strrchr(tmp, '/');
	if (slash && slash != tmp) {
		*slash = '\0';
		mkdir_p(tmp);
	}
}

void fake_tree_init(struct fake_tree *t)
{
	path_of(t->root, sizeof(t->root), "%s/udaq-core-XXXXXX",
		getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(t->root))
		fail_msg("mkdtemp: %s", strerror(errno));
	path_of(t->sysfs, sizeof(t->sysfs), "%s/sys", t->root);
	path_of(t->dev, sizeof(t->dev), "%s/dev", t->root);
	fake_mkdir(t, "class/uio");
	mkdir_p(t->dev);
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	return remove(path);
}

void fake_tree_cleanup(struct fake_tree *t)
{
	if (t->root[0])
		nftw(t->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	t->root[0] = '\0';
}

void fake_write(struct fake_tree *t, const char *rel, const char *content)
{
	char path[PATH_MAX];
	FILE *f;

	path_of(path, sizeof(path), "%s/%s", t->sysfs, rel);
	parent_of(path);
	f = fopen(path, "w");
	if (!f)
		fail_msg("fopen %s: %s", path, strerror(errno));
	fputs(content, f);
	if (fclose(f))
		fail_msg("write %s failed", path);
}

void fake_mkdir(struct fake_tree *t, const char *rel)
{
	char path[PATH_MAX];

	path_of(path, sizeof(path), "%s/%s", t->sysfs, rel);
	mkdir_p(path);
}

void fake_unlink(struct fake_tree *t, const char *rel)
{
	char path[PATH_MAX];

	path_of(path, sizeof(path), "%s/%s", t->sysfs, rel);
	if (unlink(path) < 0)
		fail_msg("unlink %s: %s", path, strerror(errno));
}

void fake_symlink(struct fake_tree *t, const char *rel, const char *target)
{
	char path[PATH_MAX];

	path_of(path, sizeof(path), "%s/%s", t->sysfs, rel);
	parent_of(path);
	if (symlink(target, path) < 0)
		fail_msg("symlink %s: %s", path, strerror(errno));
}

void fake_uio(struct fake_tree *t, unsigned int idx, const char *name,
	      const char *version)
{
	char rel[128], buf[512];

	path_of(rel, sizeof(rel), "class/uio/uio%u/name", idx);
	path_of(buf, sizeof(buf), "%s\n", name);
	fake_write(t, rel, buf);
	path_of(rel, sizeof(rel), "class/uio/uio%u/version", idx);
	path_of(buf, sizeof(buf), "%s\n", version);
	fake_write(t, rel, buf);
}

void fake_map(struct fake_tree *t, unsigned int idx, unsigned int m,
	      const char *name, uint64_t addr, uint64_t size, uint64_t offset)
{
	char rel[128], buf[128];

	path_of(rel, sizeof(rel), "class/uio/uio%u/maps/map%u/name", idx, m);
	path_of(buf, sizeof(buf), "%s\n", name);
	fake_write(t, rel, buf);
	/* Formats as drivers/uio/uio.c prints them (%pa, %pa, 0x%llx). */
	path_of(rel, sizeof(rel), "class/uio/uio%u/maps/map%u/addr", idx, m);
	path_of(buf, sizeof(buf), "0x%016llx\n", (unsigned long long)addr);
	fake_write(t, rel, buf);
	path_of(rel, sizeof(rel), "class/uio/uio%u/maps/map%u/size", idx, m);
	path_of(buf, sizeof(buf), "0x%016llx\n", (unsigned long long)size);
	fake_write(t, rel, buf);
	path_of(rel, sizeof(rel), "class/uio/uio%u/maps/map%u/offset", idx, m);
	path_of(buf, sizeof(buf), "0x%llx\n", (unsigned long long)offset);
	fake_write(t, rel, buf);
}

void fake_pci_parent(struct fake_tree *t, unsigned int idx, const char *addr,
		     uint16_t vendor, uint16_t device)
{
	char rel[128], buf[64], target[128];

	path_of(rel, sizeof(rel), "devices/pci0000:00/%s/vendor", addr);
	path_of(buf, sizeof(buf), "0x%04x\n", vendor);
	fake_write(t, rel, buf);
	path_of(rel, sizeof(rel), "devices/pci0000:00/%s/device", addr);
	path_of(buf, sizeof(buf), "0x%04x\n", device);
	fake_write(t, rel, buf);
	path_of(rel, sizeof(rel), "class/uio/uio%u/device", idx);
	path_of(target, sizeof(target), "../../../devices/pci0000:00/%s", addr);
	fake_symlink(t, rel, target);
}

void fake_platform_parent(struct fake_tree *t, unsigned int idx, const char *name)
{
	char rel[128], target[128];

	path_of(rel, sizeof(rel), "devices/platform/%s", name);
	fake_mkdir(t, rel);
	path_of(rel, sizeof(rel), "class/uio/uio%u/device", idx);
	path_of(target, sizeof(target), "../../../devices/platform/%s", name);
	fake_symlink(t, rel, target);
}

void fake_node_file(struct fake_tree *t, unsigned int idx, size_t size,
		    char *path, size_t path_size)
{
	int fd;

	path_of(path, path_size, "%s/uio%u", t->dev, idx);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		fail_msg("create %s: %s", path, strerror(errno));
	if (ftruncate(fd, (off_t)size) < 0)
		fail_msg("ftruncate %s: %s", path, strerror(errno));
	close(fd);
}

void fake_node_fifo(struct fake_tree *t, unsigned int idx, char *path,
		    size_t path_size)
{
	path_of(path, path_size, "%s/uio%u", t->dev, idx);
	if (mkfifo(path, 0644) < 0)
		fail_msg("mkfifo %s: %s", path, strerror(errno));
}
