/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Enumeration and sysfs parsing against fake trees: good, platform and
 * broken entries, and that one broken entry never hides the good ones.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include <uio_daq/uio_daq.h>

#include "fake_tree.h"

struct fixture {
	struct fake_tree tree;
	struct udaq_ctx *ctx;
	struct udaq_list *list;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	fake_tree_init(&f->tree);
	assert_int_equal(udaq_ctx_new(&f->ctx), 0);
	assert_int_equal(udaq_ctx_set_sysfs_root(f->ctx, f->tree.sysfs), 0);
	assert_int_equal(udaq_ctx_set_dev_root(f->ctx, f->tree.dev), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	udaq_list_free(f->list);
	udaq_ctx_free(f->ctx);
	fake_tree_cleanup(&f->tree);
	free(f);
	return 0;
}

/* Enumerate and return the entry for uio@idx (fails the test if absent). */
static const struct udaq_info *enum_get(struct fixture *f, unsigned int idx)
{
	size_t i;

	udaq_list_free(f->list);
	f->list = NULL;
	assert_int_equal(udaq_enumerate(f->ctx, &f->list), 0);
	for (i = 0; i < udaq_list_count(f->list); i++)
		if (udaq_info_index(udaq_list_get(f->list, i)) == idx)
			return udaq_list_get(f->list, i);
	fail_msg("uio%u not enumerated", idx);
	return NULL;
}

static void assert_msg_has(const struct udaq_info *info, const char *needle)
{
	const char *msg = udaq_info_error_msg(info);

	assert_non_null(msg);
	if (!strstr(msg, needle))
		fail_msg("error message \"%s\" does not mention \"%s\"", msg, needle);
}

static void good_pci(struct fake_tree *t, unsigned int idx, const char *addr)
{
	fake_uio(t, idx, "refdaq", "0.3.1");
	fake_pci_parent(t, idx, addr, 0x8086, 0x1533);
	fake_map(t, idx, 0, "regs", 0xfe000000, 0x1000, 0);
	fake_map(t, idx, 1, "ring", 0x7f000000, 0x1000000, 0);
	fake_map(t, idx, 2, "", 0xfe001080, 0x80, 0x80);
}

static void test_good_pci_three_maps(void **state)
{
	struct fixture *f = *state;
	const struct udaq_info *info;

	good_pci(&f->tree, 0, "0000:03:00.0");
	info = enum_get(f, 0);
	assert_int_equal(udaq_info_error(info), 0);
	assert_null(udaq_info_error_msg(info));
	assert_string_equal(udaq_info_devname(info), "uio0");
	assert_string_equal(udaq_info_name(info), "refdaq");
	assert_string_equal(udaq_info_version(info), "0.3.1");
	assert_true(udaq_info_is_pci(info));
	assert_string_equal(udaq_info_pci_addr(info), "0000:03:00.0");
	assert_int_equal(udaq_info_pci_vendor(info), 0x8086);
	assert_int_equal(udaq_info_pci_device(info), 0x1533);
	/* From the system's pci.ids through libpci (package pci.ids). */
	assert_string_equal(udaq_info_pci_vendor_name(info), "Intel Corporation");
	assert_string_equal(udaq_info_pci_device_name(info),
			    "I210 Gigabit Network Connection");
	assert_int_equal(udaq_info_num_maps(info), 3);
	assert_string_equal(udaq_info_map_name(info, 0), "regs");
	assert_int_equal(udaq_info_map_addr(info, 0), 0xfe000000);
	assert_int_equal(udaq_info_map_size(info, 0), 0x1000);
	assert_string_equal(udaq_info_map_name(info, 1), "ring");
	assert_int_equal(udaq_info_map_size(info, 1), 0x1000000);
	assert_string_equal(udaq_info_map_name(info, 2), "");
	assert_int_equal(udaq_info_map_addr(info, 2), 0xfe001080);
	assert_int_equal(udaq_info_map_offset(info, 2), 0x80);
	/* Past the end: empty answers, no crash. */
	assert_null(udaq_info_map_name(info, 3));
	assert_int_equal(udaq_info_map_size(info, 3), 0);
}

static void test_unknown_pci_ids_have_no_names(void **state)
{
	struct fixture *f = *state;
	const struct udaq_info *info;

	fake_uio(&f->tree, 0, "refdaq", "1");
	fake_pci_parent(&f->tree, 0, "0000:05:00.0", 0x1234, 0xda9c);
	info = enum_get(f, 0);
	assert_int_equal(udaq_info_error(info), 0);
	assert_int_equal(udaq_info_pci_vendor(info), 0x1234);
	assert_int_equal(udaq_info_pci_device(info), 0xda9c);
	assert_null(udaq_info_pci_vendor_name(info));
	assert_null(udaq_info_pci_device_name(info));
}

static void test_platform_device(void **state)
{
	struct fixture *f = *state;
	const struct udaq_info *info;

	fake_uio(&f->tree, 1, "daq-platform", "devicetree");
	fake_platform_parent(&f->tree, 1, "fe000000.daq");
	fake_map(&f->tree, 1, 0, "regs", 0xfe000000, 0x1000, 0);
	info = enum_get(f, 1);
	assert_int_equal(udaq_info_error(info), 0);
	assert_false(udaq_info_is_pci(info));
	assert_null(udaq_info_pci_addr(info));
	assert_int_equal(udaq_info_pci_vendor(info), 0);
	assert_null(udaq_info_pci_vendor_name(info));
	assert_int_equal(udaq_info_num_maps(info), 1);
}

static void test_no_maps_dir_is_fine(void **state)
{
	struct fixture *f = *state;
	const struct udaq_info *info;

	/* An interrupt-only UIO device has no maps directory at all. */
	fake_uio(&f->tree, 0, "irq-only", "1");
	info = enum_get(f, 0);
	assert_int_equal(udaq_info_error(info), 0);
	assert_int_equal(udaq_info_num_maps(info), 0);
	assert_false(udaq_info_is_pci(info));
}

static void test_missing_files(void **state)
{
	struct fixture *f = *state;
	const struct udaq_info *info;

	good_pci(&f->tree, 0, "0000:03:00.0");
	fake_unlink(&f->tree, "class/uio/uio0/maps/map1/size");
	info = enum_get(f, 0);
	assert_int_equal(udaq_info_error(info), -ENOENT);
	assert_msg_has(info, "uio0/maps/map1/size");
	/* What precedes the broken map is still reported. */
	assert_int_equal(udaq_info_num_maps(info), 1);
	assert_string_equal(udaq_info_name(info), "refdaq");

	fake_unlink(&f->tree, "class/uio/uio0/version");
	info = enum_get(f, 0);
	assert_int_equal(udaq_info_error(info), -ENOENT);
	assert_msg_has(info, "uio0/version");
}

static void test_malformed_size(void **state)
{
	struct fixture *f = *state;
	const struct udaq_info *info;

	good_pci(&f->tree, 0, "0000:03:00.0");
	fake_write(&f->tree, "class/uio/uio0/maps/map2/size", "12k\n");
	info = enum_get(f, 0);
	assert_int_equal(udaq_info_error(info), -EINVAL);
	assert_msg_has(info, "maps/map2/size");
	assert_msg_has(info, "\"12k\"");
	assert_int_equal(udaq_info_num_maps(info), 2);

	/* Hex without 0x, and trailing junk, are refused too. */
	fake_write(&f->tree, "class/uio/uio0/maps/map2/size", "0x80 \n");
	info = enum_get(f, 0);
	assert_int_equal(udaq_info_error(info), -EINVAL);
	fake_write(&f->tree, "class/uio/uio0/maps/map2/size", "0x0\n");
	info = enum_get(f, 0);
	assert_int_equal(udaq_info_error(info), -EINVAL);
	assert_msg_has(info, "size zero");
}

static void test_malformed_addr(void **state)
{
	struct fixture *f = *state;
	const struct udaq_info *info;

	good_pci(&f->tree, 0, "0000:03:00.0");
	fake_write(&f->tree, "class/uio/uio0/maps/map0/addr", "fe000000\n");
	info = enum_get(f, 0);
	assert_int_equal(udaq_info_error(info), -EINVAL);
	assert_msg_has(info, "maps/map0/addr");
	assert_int_equal(udaq_info_num_maps(info), 0);

	/* 17 hex digits do not fit 64 bits. */
	fake_write(&f->tree, "class/uio/uio0/maps/map0/addr",
		   "0x10000000000000000\n");
	info = enum_get(f, 0);
	assert_int_equal(udaq_info_error(info), -EINVAL);
}

static void test_bad_pci_ids(void **state)
{
	struct fixture *f = *state;
	const struct udaq_info *info;

	good_pci(&f->tree, 0, "0000:03:00.0");
	fake_write(&f->tree, "devices/pci0000:00/0000:03:00.0/vendor", "0x18086\n");
	info = enum_get(f, 0);
	assert_int_equal(udaq_info_error(info), -ERANGE);
	assert_msg_has(info, "device/vendor");
}

static void test_gap_in_maps(void **state)
{
	struct fixture *f = *state;
	const struct udaq_info *info;

	fake_uio(&f->tree, 0, "gappy", "1");
	fake_map(&f->tree, 0, 0, "regs", 0xfe000000, 0x1000, 0);
	fake_map(&f->tree, 0, 2, "ring", 0x7f000000, 0x1000, 0);
	info = enum_get(f, 0);
	assert_int_equal(udaq_info_error(info), -EINVAL);
	assert_msg_has(info, "map1 is missing although map2 exists");
	assert_int_equal(udaq_info_num_maps(info), 1);

	/* UIO has at most five maps. */
	fake_map(&f->tree, 0, 1, "mid", 0x7f000000, 0x1000, 0);
	fake_map(&f->tree, 0, 7, "far", 0x7f000000, 0x1000, 0);
	info = enum_get(f, 0);
	assert_int_equal(udaq_info_error(info), -ERANGE);
	assert_msg_has(info, "map7");
}

static void test_dangling_device_link(void **state)
{
	struct fixture *f = *state;
	const struct udaq_info *info;

	fake_uio(&f->tree, 0, "orphan", "1");
	fake_symlink(&f->tree, "class/uio/uio0/device",
		     "../../../devices/pci0000:00/0000:09:00.0");
	info = enum_get(f, 0);
	assert_int_equal(udaq_info_error(info), -ENOENT);
	assert_msg_has(info, "uio0/device");
	assert_msg_has(info, "dangling");
}

static void test_long_and_binary_names(void **state)
{
	struct fixture *f = *state;
	const struct udaq_info *info;
	char longname[300];

	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	fake_uio(&f->tree, 0, longname, "1");
	info = enum_get(f, 0);
	assert_int_equal(udaq_info_error(info), -ENAMETOOLONG);
	assert_msg_has(info, "uio0/name");
	assert_msg_has(info, "limit is 63");

	/* 63 is the longest accepted. */
	longname[63] = '\0';
	fake_uio(&f->tree, 0, longname, "1");
	info = enum_get(f, 0);
	assert_int_equal(udaq_info_error(info), 0);
	assert_string_equal(udaq_info_name(info), longname);

	fake_uio(&f->tree, 0, "bad\033[2Jname", "1");
	info = enum_get(f, 0);
	assert_int_equal(udaq_info_error(info), -EINVAL);
	assert_msg_has(info, "non-printable");
}

static void test_odd_file_types(void **state)
{
	struct fixture *f = *state;
	const struct udaq_info *info;
	char path[PATH_MAX + 64];

	good_pci(&f->tree, 0, "0000:03:00.0");
	fake_unlink(&f->tree, "class/uio/uio0/maps/map1/name");
	fake_mkdir(&f->tree, "class/uio/uio0/maps/map1/name");
	info = enum_get(f, 0);
	assert_int_equal(udaq_info_error(info), -EINVAL);
	assert_msg_has(info, "maps/map1/name: not a regular file");

	/* A FIFO must be refused without blocking on it. */
	fake_tree_cleanup(&f->tree);
	fake_tree_init(&f->tree);
	assert_int_equal(udaq_ctx_set_sysfs_root(f->ctx, f->tree.sysfs), 0);
	good_pci(&f->tree, 0, "0000:03:00.0");
	fake_unlink(&f->tree, "class/uio/uio0/version");
	snprintf(path, sizeof(path), "%s/class/uio/uio0/version", f->tree.sysfs);
	assert_int_equal(mkfifo(path, 0644), 0);
	info = enum_get(f, 0);
	assert_int_equal(udaq_info_error(info), -EINVAL);
	assert_msg_has(info, "uio0/version: not a regular file");
}

static void test_real_sysfs_layout(void **state)
{
	struct fixture *f = *state;
	const struct udaq_info *info;

	/*
	 * As the kernel lays it out: class/uio/uioN is itself a link into
	 * the device's directory, and "device" is relative to that.
	 */
	fake_write(&f->tree, "devices/pci0000:00/0000:00:1c.0/0000:03:00.0/vendor", "0x8086\n");
	fake_write(&f->tree, "devices/pci0000:00/0000:00:1c.0/0000:03:00.0/device", "0x1533\n");
	fake_write(&f->tree, "devices/pci0000:00/0000:00:1c.0/0000:03:00.0/uio/uio4/name", "uio_daq\n");
	fake_write(&f->tree, "devices/pci0000:00/0000:00:1c.0/0000:03:00.0/uio/uio4/version", "0.1\n");
	fake_symlink(&f->tree, "devices/pci0000:00/0000:00:1c.0/0000:03:00.0/uio/uio4/device",
		     "../../../0000:03:00.0");
	fake_symlink(&f->tree, "class/uio/uio4",
		     "../../devices/pci0000:00/0000:00:1c.0/0000:03:00.0/uio/uio4");
	info = enum_get(f, 4);
	assert_int_equal(udaq_info_error(info), 0);
	assert_string_equal(udaq_info_name(info), "uio_daq");
	assert_true(udaq_info_is_pci(info));
	assert_string_equal(udaq_info_pci_addr(info), "0000:03:00.0");
	assert_int_equal(udaq_info_pci_device(info), 0x1533);
}

static void test_broken_entry_does_not_hide_others(void **state)
{
	struct fixture *f = *state;
	size_t i;

	good_pci(&f->tree, 10, "0000:03:00.0");
	good_pci(&f->tree, 2, "0000:04:00.0");
	fake_uio(&f->tree, 5, "broken", "1");
	fake_map(&f->tree, 5, 0, "regs", 0xfe000000, 0x1000, 0);
	fake_write(&f->tree, "class/uio/uio5/maps/map0/size", "lots\n");
	/* Not UIO devices: ignored, not errors. */
	fake_mkdir(&f->tree, "class/uio/uio07");
	fake_mkdir(&f->tree, "class/uio/other");

	assert_int_equal(udaq_enumerate(f->ctx, &f->list), 0);
	assert_int_equal(udaq_list_count(f->list), 3);
	/* Sorted numerically, not as strings. */
	assert_int_equal(udaq_info_index(udaq_list_get(f->list, 0)), 2);
	assert_int_equal(udaq_info_index(udaq_list_get(f->list, 1)), 5);
	assert_int_equal(udaq_info_index(udaq_list_get(f->list, 2)), 10);
	assert_int_equal(udaq_info_error(udaq_list_get(f->list, 0)), 0);
	assert_int_equal(udaq_info_error(udaq_list_get(f->list, 1)), -EINVAL);
	assert_int_equal(udaq_info_error(udaq_list_get(f->list, 2)), 0);
	for (i = 0; i < 3; i++)
		assert_non_null(udaq_info_name(udaq_list_get(f->list, i)));
	assert_null(udaq_list_get(f->list, 3));
}

static void test_no_class_dir(void **state)
{
	struct fixture *f = *state;
	struct udaq_list *list = (void *)1;
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/nonexistent", f->tree.root);
	assert_int_equal(udaq_ctx_set_sysfs_root(f->ctx, path), 0);
	assert_int_equal(udaq_enumerate(f->ctx, &list), -ENOENT);
	assert_null(list);
}

static void test_empty_class_dir(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(udaq_enumerate(f->ctx, &f->list), 0);
	assert_int_equal(udaq_list_count(f->list), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good_pci_three_maps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_pci_ids_have_no_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_platform_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_maps_dir_is_fine, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_addr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_pci_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gap_in_maps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dangling_device_link, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_and_binary_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_odd_file_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_real_sysfs_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broken_entry_does_not_hide_others, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_class_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_class_dir, setup, teardown),
	};

	return cmocka_run_group_tests_name("core/sysfs", tests, NULL, NULL);
}
