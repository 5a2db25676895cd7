/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The refdaq driver's checks at open, on a fake UIO device (a regular file
 * standing in for /dev/uio0, fake sysfs beside it): the ID register and
 * every inconsistency of the descriptor map the kernel stub provides.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <uio_daq/digitizer.h>
#include <uio_daq/abi.h>
#include <uio_daq/refdaq.h>
#include <uio_daq/uio_daq.h>

#include "fake_tree.h"

#define PS	4096u
#define RING	(64u * 1024u)

struct fx {
	struct fake_tree tree;
	char node[4096];
	unsigned char regs[PS];
	unsigned char desc[PS];
};

static void put32(unsigned char *p, size_t off, uint32_t v)
{
	v = htole32(v);
	memcpy(p + off, &v, 4);
}

static void put64(unsigned char *p, size_t off, uint64_t v)
{
	v = htole64(v);
	memcpy(p + off, &v, 8);
}

/* A consistent descriptor map: 4 chunks of 16 KiB. */
static void good_desc(unsigned char *d)
{
	unsigned int i;

	memset(d, 0, PS);
	put32(d, UDAQ_DESC_OFF_MAGIC, UDAQ_DESC_MAGIC);
	put32(d, UDAQ_DESC_OFF_VERSION, UDAQ_DESC_VERSION);
	put32(d, UDAQ_DESC_OFF_COUNT, 4);
	put32(d, UDAQ_DESC_OFF_TABLE, UDAQ_DESC_TABLE_DEFAULT);
	put64(d, UDAQ_DESC_OFF_RING_SIZE, RING);
	put64(d, UDAQ_DESC_OFF_SELF_BUS, 0x80000000u);
	put32(d, UDAQ_DESC_OFF_WB, UDAQ_DESC_WB_DEFAULT);
	for (i = 0; i < 4; i++) {
		put64(d, UDAQ_DESC_TABLE_DEFAULT + i * 16 + UDAQ_CHUNK_OFF_ADDR,
		      0x90000000u + i * 0x100000u);
		put64(d, UDAQ_DESC_TABLE_DEFAULT + i * 16 + UDAQ_CHUNK_OFF_LEN,
		      RING / 4);
	}
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	fake_tree_init(&f->tree);
	fake_uio(&f->tree, 0, "uio_daq", "0.1");
	fake_pci_parent(&f->tree, 0, "0000:03:00.0", REFDAQ_PCI_VENDOR, REFDAQ_PCI_DEVICE);
	fake_map(&f->tree, 0, 0, "regs", 0xfe000000, REFDAQ_REGS_SIZE, 0);
	fake_map(&f->tree, 0, 1, "ring", 0x7f000000, RING, 0);
	fake_map(&f->tree, 0, 2, "desc", 0x80000000, PS, 0);
	/* UIO map N lives at file offset N pages; the file must cover the ring. */
	fake_node_file(&f->tree, 0, PS + RING, f->node, sizeof(f->node));
	put32(f->regs, REFDAQ_REG_ID, REFDAQ_ID_MAGIC);
	put32(f->regs, REFDAQ_REG_VERSION, REFDAQ_VERSION_1_0);
	put32(f->regs, REFDAQ_REG_CAPS, 4 | (16u << REFDAQ_CAPS_WIDTH_SHIFT) |
	      REFDAQ_CAPS_FMT_I16LE);
	put32(f->regs, REFDAQ_REG_MAX_RATE, 100000);
	good_desc(f->desc);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	fake_tree_cleanup(&f->tree);
	free(f);
	return 0;
}

/* Write the register page and descriptor map into the node, open, close. */
static int try_open(struct fx *f)
{
	struct udaq_digitizer *dg = NULL;
	struct udaq_ctx *ctx;
	struct udaq_dev *dev;
	int fd, ret;

	fd = open(f->node, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, f->regs, PS, 0), PS);
	assert_int_equal(pwrite(fd, f->desc, PS, 2 * PS), PS);
	close(fd);

	assert_int_equal(udaq_ctx_new(&ctx), 0);
	assert_int_equal(udaq_ctx_set_sysfs_root(ctx, f->tree.sysfs), 0);
	assert_int_equal(udaq_ctx_set_dev_root(ctx, f->tree.dev), 0);
	assert_int_equal(udaq_dev_open(ctx, "uio0", &dev), 0);
	ret = udaq_digitizer_open(dev, &dg);
	if (ret == 0) {
		const struct udaq_digitizer_caps *caps = udaq_digitizer_caps(dg);

		assert_int_equal(caps->num_channels, 4);
		assert_int_equal(caps->max_rate, 100000);
		assert_int_equal(caps->ring_size, RING);
		assert_int_equal(udaq_ring_size(udaq_digitizer_ring(dg)), RING);
		udaq_digitizer_close(dg);
	} else {
		assert_null(dg);
	}
	udaq_dev_close(dev);
	udaq_ctx_free(ctx);
	return ret;
}

static void test_good(void **state)
{
	assert_int_equal(try_open(*state), 0);
}

static void test_id(void **state)
{
	struct fx *f = *state;

	put32(f->regs, REFDAQ_REG_ID, 0xffffffffu);	/* gone */
	assert_int_equal(try_open(f), -ENODEV);
	put32(f->regs, REFDAQ_REG_ID, 0x12345678u);	/* something else */
	assert_int_equal(try_open(f), -ENODEV);
}

static void test_bad_desc(void **state)
{
	struct fx *f = *state;

#define EPROTO_IF(mutation) do {					\
		good_desc(f->desc);					\
		mutation;						\
		assert_int_equal(try_open(f), -EPROTO);			\
	} while (0)

	EPROTO_IF(put32(f->desc, UDAQ_DESC_OFF_MAGIC, 0));
	EPROTO_IF(put32(f->desc, UDAQ_DESC_OFF_VERSION, 2));
	EPROTO_IF(put32(f->desc, UDAQ_DESC_OFF_COUNT, 0));
	EPROTO_IF(put32(f->desc, UDAQ_DESC_OFF_COUNT, UDAQ_DESC_COUNT_MAX + 1));
	/* The table runs past the end of the map. */
	EPROTO_IF(put32(f->desc, UDAQ_DESC_OFF_TABLE, PS - 16 * 3));
	EPROTO_IF(put32(f->desc, UDAQ_DESC_OFF_TABLE, 0x84));	/* unaligned */
	EPROTO_IF(put32(f->desc, UDAQ_DESC_OFF_TABLE, 0x10));	/* over the header */
	/* The write-back area outside the map, unaligned, over the header. */
	EPROTO_IF(put32(f->desc, UDAQ_DESC_OFF_WB, PS - 8));
	EPROTO_IF(put32(f->desc, UDAQ_DESC_OFF_WB, 0x44));
	EPROTO_IF(put32(f->desc, UDAQ_DESC_OFF_WB, 0x08));
	/* Ring size disagrees with the ring map. */
	EPROTO_IF(put64(f->desc, UDAQ_DESC_OFF_RING_SIZE, RING * 2));
	/* Chunks: not 4 KiB multiples, zero, summing short or long. */
	EPROTO_IF(put64(f->desc, UDAQ_DESC_TABLE_DEFAULT + UDAQ_CHUNK_OFF_LEN, RING / 4 + 512));
	EPROTO_IF(put64(f->desc, UDAQ_DESC_TABLE_DEFAULT + UDAQ_CHUNK_OFF_LEN, 0));
	EPROTO_IF(put32(f->desc, UDAQ_DESC_OFF_COUNT, 3));
	EPROTO_IF(put64(f->desc, UDAQ_DESC_TABLE_DEFAULT + UDAQ_CHUNK_OFF_LEN, RING / 4 + PS));
	EPROTO_IF(put64(f->desc, UDAQ_DESC_TABLE_DEFAULT + UDAQ_CHUNK_OFF_LEN, UINT64_MAX - 4095));
#undef EPROTO_IF
	/* And the good one still opens after all that. */
	good_desc(f->desc);
	assert_int_equal(try_open(f), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good, setup, teardown),
		cmocka_unit_test_setup_teardown(test_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_desc, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
