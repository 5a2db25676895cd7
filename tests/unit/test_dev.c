/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Opening a device through the UIO transport on a fake tree whose node is
 * a regular file (so its maps can really be mmapped), register access
 * through maps, and double mapping.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <uio_daq/uio_daq.h>

#include "fake_tree.h"

#define RING_PAGES	4

struct fixture {
	struct fake_tree tree;
	struct udaq_ctx *ctx;
	struct udaq_dev *dev;
	char node[PATH_MAX];
	int node_fd;		/* the test's own view of the node file */
	size_t ps;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->ps = (size_t)sysconf(_SC_PAGESIZE);
	fake_tree_init(&f->tree);
	fake_uio(&f->tree, 0, "refdaq", "0.1");
	fake_pci_parent(&f->tree, 0, "0000:03:00.0", 0x1234, 0xda9c);
	fake_map(&f->tree, 0, 0, "regs", 0xfe000000, 0x100, 0);
	fake_map(&f->tree, 0, 1, "ring", 0x7f000000, RING_PAGES * f->ps, 0);
	/* A map that starts 0x80 into its page, as UIO reports it. */
	fake_map(&f->tree, 0, 2, "tail", 0xfe001080, 0x40, 0x80);
	/* Map M lives at M * page size in the node; cover map1's whole span. */
	fake_node_file(&f->tree, 0, (1 + RING_PAGES) * f->ps, f->node,
		       sizeof(f->node));
	f->node_fd = open(f->node, O_RDWR | O_CLOEXEC);
	assert_true(f->node_fd >= 0);
	assert_int_equal(udaq_ctx_new(&f->ctx), 0);
	assert_int_equal(udaq_ctx_set_sysfs_root(f->ctx, f->tree.sysfs), 0);
	assert_int_equal(udaq_ctx_set_dev_root(f->ctx, f->tree.dev), 0);
	assert_int_equal(udaq_dev_open(f->ctx, "refdaq", &f->dev), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	udaq_dev_close(f->dev);
	udaq_ctx_free(f->ctx);
	close(f->node_fd);
	fake_tree_cleanup(&f->tree);
	free(f);
	return 0;
}

static uint32_t file_u32(struct fixture *f, off_t off)
{
	uint32_t v = 0;

	assert_int_equal(pread(f->node_fd, &v, sizeof(v), off), sizeof(v));
	return v;
}

static void file_put_u32(struct fixture *f, off_t off, uint32_t v)
{
	assert_int_equal(pwrite(f->node_fd, &v, sizeof(v), off), sizeof(v));
}

static void test_identity(void **state)
{
	struct fixture *f = *state;

	assert_string_equal(udaq_dev_name(f->dev), "refdaq");
	assert_string_equal(udaq_dev_devname(f->dev), "uio0");
	assert_false(udaq_dev_is_sim(f->dev));
	assert_string_equal(udaq_dev_pci_addr(f->dev), "0000:03:00.0");
	assert_int_equal(udaq_dev_pci_vendor(f->dev), 0x1234);
	assert_int_equal(udaq_dev_pci_device(f->dev), 0xda9c);
	assert_int_equal(udaq_dev_num_maps(f->dev), 3);
	assert_true(udaq_dev_irq_fd(f->dev) >= 0);
}

static void test_open_by_every_spec(void **state)
{
	struct fixture *f = *state;
	const char *specs[] = { "uio0", "/dev/uio0", "03:00.0", "0000:03:00.0" };
	struct udaq_dev *dev;
	size_t i;

	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		assert_int_equal(udaq_dev_open(f->ctx, specs[i], &dev), 0);
		assert_string_equal(udaq_dev_devname(dev), "uio0");
		udaq_dev_close(dev);
	}
}

static void test_registers(void **state)
{
	struct fixture *f = *state;
	struct udaq_map *regs;

	assert_int_equal(udaq_dev_map(f->dev, 0, 0, &regs), 0);
	assert_int_equal(udaq_map_size(regs), 0x100);
	assert_string_equal(udaq_map_name(regs), "regs");
	assert_int_equal(udaq_map_phys(regs), 0xfe000000);

	udaq_map_write32(regs, 0x10, 0xdeadbeef);
	assert_int_equal(file_u32(f, 0x10), 0xdeadbeef);
	file_put_u32(f, 0xfc, 0x12345678);
	assert_int_equal(udaq_map_read32(regs, 0xfc), 0x12345678);
	assert_int_equal(udaq_map_read64_lohi(regs, 0x10) & 0xffffffffu, 0xdeadbeef);

	/* Outside the map or unaligned: all-ones, and writes are dropped. */
	assert_int_equal(udaq_map_read32(regs, 0x100), 0xffffffffu);
	assert_int_equal(udaq_map_read32(regs, 0xfd), 0xffffffffu);
	assert_int_equal(udaq_map_read32(regs, 0x12), 0xffffffffu);
	assert_int_equal(udaq_map_read32(regs, SIZE_MAX - 1), 0xffffffffu);
	udaq_map_write32(regs, 0x100, 0x1);
	udaq_map_write32(regs, 0x12, 0x1);
	assert_int_equal(file_u32(f, 0x100), 0);
	assert_int_equal(file_u32(f, 0x10), 0xdeadbeef);
	assert_int_equal(udaq_map_read32(NULL, 0), 0xffffffffu);
	udaq_map_write32(NULL, 0, 1);
}

static void test_in_page_offset(void **state)
{
	struct fixture *f = *state;
	struct udaq_map *tail;

	/* Not page aligned and not page sized: cannot be double mapped. */
	assert_int_equal(udaq_dev_map(f->dev, 2, UDAQ_MAP_DOUBLE, &tail), -EINVAL);
	assert_int_equal(udaq_dev_map_by_name(f->dev, "tail", 0, &tail), 0);
	assert_int_equal(udaq_map_phys(tail), 0xfe001080);
	udaq_map_write32(tail, 0, 0xa5a5a5a5);
	assert_int_equal(file_u32(f, (off_t)(2 * f->ps + 0x80)), 0xa5a5a5a5);
	assert_int_equal(udaq_map_read32(tail, 0x40), 0xffffffffu);
}

static void test_readonly(void **state)
{
	struct fixture *f = *state;
	struct udaq_map *regs;

	assert_int_equal(udaq_dev_map(f->dev, 0, UDAQ_MAP_READONLY, &regs), 0);
	file_put_u32(f, 0x20, 77);
	assert_int_equal(udaq_map_read32(regs, 0x20), 77);
	/* Would fault through the read-only mapping: dropped instead. */
	udaq_map_write32(regs, 0x20, 88);
	assert_int_equal(file_u32(f, 0x20), 77);
}

static void test_map_once(void **state)
{
	struct fixture *f = *state;
	struct udaq_map *a, *b;

	assert_int_equal(udaq_dev_map(f->dev, 0, 0, &a), 0);
	assert_int_equal(udaq_dev_map(f->dev, 0, 0, &b), 0);
	assert_ptr_equal(a, b);
	assert_int_equal(udaq_dev_map_by_name(f->dev, "regs", 0, &b), 0);
	assert_ptr_equal(a, b);
	assert_int_equal(udaq_dev_map(f->dev, 0, UDAQ_MAP_READONLY, &b), -EEXIST);
	assert_null(b);
	assert_int_equal(udaq_dev_map(f->dev, 3, 0, &b), -ENOENT);
	assert_int_equal(udaq_dev_map_by_name(f->dev, "nosuch", 0, &b), -ENOENT);
	assert_int_equal(udaq_dev_map_by_name(f->dev, "", 0, &b), -ENOENT);
	assert_int_equal(udaq_dev_map(f->dev, 1, 1u << 7, &b), -EINVAL);
}

static void test_double_map(void **state)
{
	struct fixture *f = *state;
	struct udaq_map *ring;
	volatile uint32_t *p;
	size_t size = RING_PAGES * f->ps;

	assert_int_equal(udaq_dev_map_by_name(f->dev, "ring", UDAQ_MAP_DOUBLE,
					      &ring), 0);
	assert_int_equal(udaq_map_size(ring), size);
	p = udaq_map_addr(ring);
	assert_non_null(p);

	/* A write through one copy shows at the same offset in the other. */
	p[8] = 0xcafef00d;
	assert_int_equal(p[size / 4 + 8], 0xcafef00d);
	p[size / 4 + size / 4 - 1] = 0x5a5a0001;
	assert_int_equal(p[size / 4 - 1], 0x5a5a0001);
	/* And both are the node's memory for map 1. */
	assert_int_equal(file_u32(f, (off_t)(f->ps + 32)), 0xcafef00d);
	file_put_u32(f, (off_t)(f->ps + 64), 0x0badc0de);
	assert_int_equal(p[16], 0x0badc0de);
	assert_int_equal(p[size / 4 + 16], 0x0badc0de);
	/* A span across the end reads contiguously. */
	assert_int_equal(p[size / 4 - 1], 0x5a5a0001);
	assert_int_equal(p[size / 4], p[0]);
}

static void test_map_size_not_page_multiple(void **state)
{
	struct fixture *f = *state;
	struct udaq_map *m;

	/* regs is 0x100 bytes: a double map would not wrap where it should. */
	assert_int_equal(udaq_dev_map(f->dev, 0, UDAQ_MAP_DOUBLE, &m), -EINVAL);
	assert_null(m);
	/* The refusal leaves it mappable normally. */
	assert_int_equal(udaq_dev_map(f->dev, 0, 0, &m), 0);
}

struct race {
	struct udaq_dev *dev;
	struct udaq_map *map;
	int ret;
};

static void *race_map(void *arg)
{
	struct race *r = arg;

	r->ret = udaq_dev_map(r->dev, 1, UDAQ_MAP_DOUBLE, &r->map);
	return NULL;
}

static void test_concurrent_map_is_mapped_once(void **state)
{
	struct fixture *f = *state;
	struct race r[4];
	pthread_t th[4];
	size_t i;

	for (i = 0; i < 4; i++) {
		r[i].dev = f->dev;
		r[i].map = NULL;
		r[i].ret = 1;
		assert_int_equal(pthread_create(&th[i], NULL, race_map, &r[i]), 0);
	}
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(r[i].ret, 0);
		assert_ptr_equal(r[i].map, r[0].map);
	}
	assert_non_null(udaq_map_addr(r[0].map));
}

static void test_irq_enable_writes_to_node(void **state)
{
	struct fixture *f = *state;
	struct udaq_dev *dev;
	uint32_t v = 0;

	/*
	 * Opened afresh so the file position is 0: irqcontrol is a 4-byte
	 * write of 1 or 0 to the node.
	 */
	assert_int_equal(udaq_dev_open(f->ctx, "uio0", &dev), 0);
	assert_int_equal(udaq_dev_irq_enable(dev, true), 0);
	assert_int_equal(pread(f->node_fd, &v, 4, 0), 4);
	assert_int_equal(v, 1);
	assert_int_equal(udaq_dev_irq_enable(dev, false), 0);
	assert_int_equal(pread(f->node_fd, &v, 4, 4), 4);
	assert_int_equal(v, 0);
	udaq_dev_close(dev);
}

static void test_broken_sysfs_refuses_open(void **state)
{
	struct fixture *f = *state;
	struct udaq_dev *dev = (void *)1;

	fake_write(&f->tree, "class/uio/uio0/maps/map1/size", "sixteen\n");
	assert_int_equal(udaq_dev_open(f->ctx, "uio0", &dev), -EINVAL);
	assert_null(dev);
}

static void test_null_handles(void **state)
{
	struct udaq_map *m = (void *)1;

	(void)state;
	assert_int_equal(udaq_dev_map(NULL, 0, 0, &m), -EINVAL);
	assert_null(m);
	assert_null(udaq_dev_name(NULL));
	assert_null(udaq_dev_pci_addr(NULL));
	assert_int_equal(udaq_dev_num_maps(NULL), 0);
	assert_int_equal(udaq_dev_irq_fd(NULL), -EINVAL);
	assert_int_equal(udaq_dev_irq_wait(NULL, 0, NULL), -EINVAL);
	assert_int_equal(udaq_dev_irq_enable(NULL, true), -EINVAL);
	assert_null(udaq_map_addr(NULL));
	udaq_dev_close(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_by_every_spec, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_in_page_offset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_double_map, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_size_not_page_multiple, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_map_is_mapped_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_irq_enable_writes_to_node, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broken_sysfs_refuses_open, setup, teardown),
		cmocka_unit_test(test_null_handles),
	};

	return cmocka_run_group_tests_name("core/dev", tests, NULL, NULL);
}
