// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Robustness of device enumeration (libuio_daq/src/sysfs.c): the one
 * parser of UIO sysfs entries, behind udaq_enumerate() (lsdaq) and
 * udaq_dev_open() (udaq_resolve_spec()). Sysfs is untrusted input there: a
 * driver, a broken kernel or a fake tree (UIO_DAQ_SYSFS_ROOT) decides it.
 *
 * Each iteration builds a fake tree (tests/helpers/fake_tree.h) with a
 * few good devices and broken ones: files rewritten with mutated text,
 * removed, turned into directories; stray, out-of-range and non-canonical
 * map and device entries; dangling and looping parent links; huge values.
 * Invariants (white box, through libuio_daq_internal):
 *  - enumeration succeeds and lists exactly the canonical uioN entries;
 *  - a good device is listed with no error and exactly its values, and
 *    can be found as uioN, by its (unique) name and by its PCI address:
 *    broken entries never hide or disturb good ones;
 *  - a broken entry's fields are NUL-terminated printable strings, its
 *    maps are in range with a non-zero size, and an error comes with a
 *    message naming the problem;
 *  - reading an index that does not exist gives -ENODEV.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <uio_daq/uio_daq.h>

#include "fake_tree.h"
#include "fuzz.h"
#include "internal.h"
#include "sysfs.h"

#define MAX_DEVS	5

static struct fuzz F;

struct good {
	unsigned int index;
	char name[32], version[16];
	size_t num_maps;
	uint64_t addr[3], size[3], offset[3];
	bool pci;
	char pci_addr[16];
	uint16_t vendor, device;
};

static void rand_token(char *s, size_t len)
{
	static const char cs[] = "abcdefghijklmnopqrstuvwxyz0123456789_-";

	for (size_t i = 0; i < len; i++)
		s[i] = cs[fuzz_below(&F, sizeof(cs) - 1)];
	s[len] = '\0';
}

/*
 * A good device at @g->index, written as the kernel would; a PCI function
 * only if @pci_ok (enumeration then loads pci.ids, which takes a while).
 */
static void make_good(struct fake_tree *t, struct good *g, unsigned int pci_slot, bool pci_ok)
{
	snprintf(g->name, sizeof(g->name), "fz-");
	rand_token(g->name + 3, 8 + fuzz_below(&F, 12));
	snprintf(g->version, sizeof(g->version), "%u.%u", (unsigned int)fuzz_below(&F, 10),
		 (unsigned int)fuzz_below(&F, 100));
	fake_uio(t, g->index, g->name, g->version);
	g->num_maps = fuzz_below(&F, 4);
	for (size_t m = 0; m < g->num_maps; m++) {
		char mname[32];

		snprintf(mname, sizeof(mname), "map%zu", m);
		g->addr[m] = fuzz_rand(&F) & ~UINT64_C(0xfff);
		g->size[m] = (1 + fuzz_below(&F, 1u << 20)) << 12;
		g->offset[m] = fuzz_below(&F, 4096);
		fake_map(t, g->index, (unsigned int)m, mname, g->addr[m], g->size[m],
			 g->offset[m]);
	}
	g->pci = pci_ok && fuzz_below(&F, 2);
	if (g->pci) {
		snprintf(g->pci_addr, sizeof(g->pci_addr), "0000:%02x:%02x.%u", pci_slot,
			 (unsigned int)fuzz_below(&F, 32), (unsigned int)fuzz_below(&F, 8));
		g->vendor = (uint16_t)fuzz_rand(&F);
		g->device = (uint16_t)fuzz_rand(&F);
		fake_pci_parent(t, g->index, g->pci_addr, g->vendor, g->device);
	} else if (fuzz_below(&F, 2)) {
		char pname[24];

		snprintf(pname, sizeof(pname), "plat%u", g->index);
		fake_platform_parent(t, g->index, pname);
	}
}

/* Text for a rewritten file: a mutated plausible value, no NUL. */
static void mutated_text(char *out, size_t cap)
{
	static const char *const seeds[] = {
		"0x0000000000001000\n", "0x1000\n", "0\n", "refdaq\n", "1.0\n",
		"0xffffffffffffffff\n", "0x10000000000000000\n", "-0x1\n", "0x\n", "\n", "",
		"0x00000000fee00000 \n", "name with spaces\n", "0X1000\n", "+0x1\n",
	};
	const char *s = seeds[fuzz_below(&F, sizeof(seeds) / sizeof(seeds[0]))];
	size_t len = strlen(s);

	if (fuzz_below(&F, 8) == 0) {
		/* Longer than any buffer the parser keeps. */
		len = 1 + fuzz_below(&F, cap - 1);
		memset(out, fuzz_below(&F, 2) ? 'a' : '1', len);
	} else {
		memcpy(out, s, len);
		if (fuzz_below(&F, 4))
			fuzz_mutate(&F, (uint8_t *)out, &len, cap - 1);
	}
	for (size_t i = 0; i < len; i++)
		if (!out[i])
			out[i] = (char)(1 + fuzz_below(&F, 255));
	out[len] = '\0';
}

/* One thing wrong with device @idx (its files exist as make_good wrote them). */
static void break_dev(struct fake_tree *t, unsigned int idx)
{
	static const char *const files[] = {
		"name", "version", "maps/map0/name", "maps/map0/addr", "maps/map0/size",
		"maps/map0/offset", "maps/map1/size", "maps/map2/offset", "device/vendor",
		"device/device",
	};
	char rel[128], text[6000], path[2 * PATH_MAX];
	struct stat st;

	snprintf(rel, sizeof(rel), "class/uio/uio%u/%s", idx,
		 files[fuzz_below(&F, sizeof(files) / sizeof(files[0]))]);
	snprintf(path, sizeof(path), "%s/%s", t->sysfs, rel);
	switch (fuzz_below(&F, 6)) {
	case 0:
	case 1:		/* rewritten (through a device link it edits the parent's file) */
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			mutated_text(text, sizeof(text));
			fake_write(t, rel, text);
		}
		break;
	case 2:		/* removed */
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
			fake_unlink(t, rel);
		break;
	case 3:		/* a directory where a file belongs */
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			fake_unlink(t, rel);
			fake_mkdir(t, rel);
		}
		break;
	case 4: {	/* stray map entries */
		static const char *const maps[] = { "map5", "map9", "map31", "map99", "map01",
						    "mapx", "map", "map-1", "map4294967296" };

		snprintf(rel, sizeof(rel), "class/uio/uio%u/maps/%s/size", idx,
			 maps[fuzz_below(&F, sizeof(maps) / sizeof(maps[0]))]);
		fake_write(t, rel, "0x1000\n");
		break;
	}
	default: {	/* a parent link that is dangling, a loop, or odd */
		static const char *const targets[] = {
			/* Never another device's parent: its files must stay as written. */
			"../../../devices/nowhere", "device",
			"../../../devices/pci0000:00/0000:zz:00.0", "/", "../../../devices",
		};

		snprintf(rel, sizeof(rel), "class/uio/uio%u/device", idx);
		snprintf(path, sizeof(path), "%s/%s", t->sysfs, rel);
		if (lstat(path, &st) == 0)
			unlink(path);
		fake_symlink(t, rel, targets[fuzz_below(&F, sizeof(targets) / sizeof(targets[0]))]);
		break;
	}
	}
}

static bool printable(const char *s, size_t cap)
{
	const char *end = memchr(s, '\0', cap);

	if (!end)
		return false;
	for (; s < end; s++)
		if (*s < 0x20 || *s >= 0x7f)
			return false;
	return true;
}

static void check_entry(const struct udaq_sysfs_dev *d)
{
	FUZZ_ASSERT(&F, printable(d->name, sizeof(d->name)));
	FUZZ_ASSERT(&F, printable(d->version, sizeof(d->version)));
	FUZZ_ASSERT(&F, printable(d->error_msg, sizeof(d->error_msg)));
	FUZZ_ASSERT(&F, d->num_maps <= UDAQ_MAX_MAPS);
	for (size_t m = 0; m < d->num_maps; m++) {
		FUZZ_ASSERT(&F, printable(d->maps[m].name, sizeof(d->maps[m].name)));
		FUZZ_ASSERT(&F, d->maps[m].size > 0);
		FUZZ_ASSERT(&F, d->maps[m].offset < (uint64_t)sysconf(_SC_PAGESIZE));
	}
	FUZZ_ASSERT(&F, d->error <= 0);
	FUZZ_ASSERT(&F, !d->error || d->error_msg[0]);
	FUZZ_ASSERT(&F, !d->is_pci || strlen(d->pci_addr) == 12);
}

static void check_good(const struct udaq_sysfs_dev *d, const struct good *g)
{
	if (d->error)
		fprintf(stderr, "good uio%u: %s\n", g->index, d->error_msg);
	FUZZ_ASSERT(&F, d->error == 0);
	FUZZ_ASSERT(&F, !strcmp(d->name, g->name) && !strcmp(d->version, g->version));
	FUZZ_ASSERT(&F, d->num_maps == g->num_maps);
	for (size_t m = 0; m < g->num_maps; m++)
		FUZZ_ASSERT(&F, d->maps[m].addr == g->addr[m] && d->maps[m].size == g->size[m] &&
				d->maps[m].offset == g->offset[m]);
	FUZZ_ASSERT(&F, d->is_pci == g->pci);
	if (g->pci)
		FUZZ_ASSERT(&F, !strcmp(d->pci_addr, g->pci_addr) && d->pci_vendor == g->vendor &&
				d->pci_device == g->device);
}

static void one_tree(void)
{
	struct fake_tree t;
	struct good goods[MAX_DEVS];
	bool is_good[MAX_DEVS] = { false };
	unsigned int idx[MAX_DEVS], ndev = 1 + (unsigned int)fuzz_below(&F, MAX_DEVS);
	unsigned int expected = 0;
	bool pci_ok = fuzz_below(&F, 8) == 0;
	struct udaq_sysfs_dev *d = malloc(sizeof(*d));
	struct udaq_ctx *ctx;
	struct udaq_list *list;
	char rel[64];

	FUZZ_ASSERT(&F, d != NULL);
	fake_tree_init(&t);
	fake_mkdir(&t, "class/uio");
	for (unsigned int i = 0; i < ndev; i++) {
		/* Distinct indices, sometimes near the largest the parser takes (INT_MAX). */
		idx[i] = i * 10 + (unsigned int)fuzz_below(&F, 10);
		if (fuzz_below(&F, 8) == 0)
			idx[i] += INT_MAX - 100;
		goods[i].index = idx[i];
		make_good(&t, &goods[i], i + 1, pci_ok);
		is_good[i] = fuzz_below(&F, 2);
		if (!is_good[i])
			for (size_t k = 1 + fuzz_below(&F, 3); k; k--)
				break_dev(&t, idx[i]);
		expected++;
	}
	/* Entries that are not devices, and one that looks like one but is a file. */
	if (fuzz_below(&F, 2)) {
		static const char *const junk[] = { "uio", "uio01", "uioX", "uio-1",
						    "uio4294967296", "uio2147483648", "foo",
						    "uio 1" };

		snprintf(rel, sizeof(rel), "class/uio/%s/name",
			 junk[fuzz_below(&F, sizeof(junk) / sizeof(junk[0]))]);
		fake_write(&t, rel, "junk\n");
	}
	if (fuzz_below(&F, 4) == 0) {
		fake_write(&t, "class/uio/uio99", "not a directory\n");
		expected++;
	}

	FUZZ_ASSERT(&F, udaq_ctx_new(&ctx) == 0);
	FUZZ_ASSERT(&F, udaq_ctx_set_sysfs_root(ctx, t.sysfs) == 0);
	FUZZ_ASSERT(&F, udaq_ctx_set_dev_root(ctx, t.dev) == 0);
	FUZZ_ASSERT(&F, udaq_enumerate(ctx, &list) == 0);
	FUZZ_ASSERT(&F, udaq_list_count(list) == expected);
	for (size_t i = 0; i < udaq_list_count(list); i++) {
		const struct udaq_info *info = udaq_list_get(list, i);
		unsigned int n = udaq_info_index(info);

		FUZZ_ASSERT(&F, udaq_sysfs_read_dev(t.sysfs, n, d) == d->error);
		check_entry(d);
		FUZZ_ASSERT(&F, udaq_info_error(info) == d->error);
		FUZZ_ASSERT(&F, !strcmp(udaq_info_name(info), d->name));
	}
	for (unsigned int i = 0; i < ndev; i++) {
		char spec[32];
		unsigned int found = 0, same = 0;

		if (!is_good[i])
			continue;
		udaq_sysfs_read_dev(t.sysfs, idx[i], d);
		check_good(d, &goods[i]);
		snprintf(spec, sizeof(spec), "uio%u", idx[i]);
		FUZZ_ASSERT(&F, udaq_resolve_spec(ctx, spec, &found) == 0 && found == idx[i]);
		/* By name (names are random: unique unless a broken entry kept it). */
		for (size_t k = 0; k < udaq_list_count(list); k++)
			same += !strcmp(udaq_info_name(udaq_list_get(list, k)), goods[i].name);
		if (same == 1)
			FUZZ_ASSERT(&F, udaq_resolve_spec(ctx, goods[i].name, &found) == 0 &&
					found == idx[i]);
		else
			FUZZ_ASSERT(&F, udaq_resolve_spec(ctx, goods[i].name, &found) == -EBUSY);
		if (goods[i].pci) {
			/* Each device has its own bus: the address is unique. */
			FUZZ_ASSERT(&F, udaq_resolve_spec(ctx, goods[i].pci_addr, &found) == 0 &&
					found == idx[i]);
		}
	}
	FUZZ_ASSERT(&F, udaq_sysfs_read_dev(t.sysfs, INT_MAX, d) == -ENODEV);
	udaq_list_free(list);
	udaq_ctx_free(ctx);
	fake_tree_cleanup(&t);
	free(d);
}

int main(void)
{
	fuzz_init(&F, "fuzz_sysfs", 0x5eed0007, 20000, 3.0);
	while (fuzz_more(&F))
		one_tree();
	fuzz_done(&F, NULL);
	return 0;
}
