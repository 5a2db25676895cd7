/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Context roots (environment and API) and resolving every form of open()
 * spec to a UIO index, including ambiguity and malformed specs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <uio_daq/uio_daq.h>

#include "internal.h"
#include "fake_tree.h"

struct fixture {
	struct fake_tree tree;
	struct udaq_ctx *ctx;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char node[PATH_MAX];

	assert_non_null(f);
	fake_tree_init(&f->tree);
	assert_int_equal(udaq_ctx_new(&f->ctx), 0);
	assert_int_equal(udaq_ctx_set_sysfs_root(f->ctx, f->tree.sysfs), 0);
	assert_int_equal(udaq_ctx_set_dev_root(f->ctx, f->tree.dev), 0);

	/* uio0: refdaq on 03:00.0; uio1, uio2: two "twin" devices; uio3: platform. */
	fake_uio(&f->tree, 0, "refdaq", "1");
	fake_pci_parent(&f->tree, 0, "0000:03:00.0", 0x1234, 0xda9c);
	fake_uio(&f->tree, 1, "twin", "1");
	fake_pci_parent(&f->tree, 1, "0001:0a:1f.7", 0x1234, 0xda9c);
	fake_uio(&f->tree, 2, "twin", "1");
	fake_uio(&f->tree, 3, "plat", "1");
	fake_platform_parent(&f->tree, 3, "fe000000.daq");
	fake_node_file(&f->tree, 0, 4096, node, sizeof(node));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	udaq_ctx_free(f->ctx);
	fake_tree_cleanup(&f->tree);
	free(f);
	return 0;
}

static int resolve(struct fixture *f, const char *spec, unsigned int *idx)
{
	*idx = 12345;
	return udaq_resolve_spec(f->ctx, spec, idx);
}

static void test_devname_and_paths(void **state)
{
	struct fixture *f = *state;
	char spec[PATH_MAX + 32], link[PATH_MAX + 32];
	unsigned int idx;

	assert_int_equal(resolve(f, "uio2", &idx), 0);
	assert_int_equal(idx, 2);
	/* "/dev/uioN" means the node under whatever the dev root is. */
	assert_int_equal(resolve(f, "/dev/uio3", &idx), 0);
	assert_int_equal(idx, 3);
	snprintf(spec, sizeof(spec), "%s/uio1", f->tree.dev);
	assert_int_equal(resolve(f, spec, &idx), 0);
	assert_int_equal(idx, 1);
	/* A udev-style symlink in the dev root resolves to its target. */
	snprintf(link, sizeof(link), "%s/daq0", f->tree.dev);
	assert_int_equal(symlink("uio0", link), 0);
	assert_int_equal(resolve(f, link, &idx), 0);
	assert_int_equal(idx, 0);

	assert_int_equal(resolve(f, "uio9", &idx), -ENODEV);
	assert_int_equal(resolve(f, "/dev/uio9", &idx), -ENODEV);
	/* Not a node under the dev root. */
	assert_int_equal(resolve(f, "/etc/passwd", &idx), -EINVAL);
	snprintf(spec, sizeof(spec), "%s/nothing-here", f->tree.dev);
	assert_int_equal(resolve(f, spec, &idx), -ENODEV);
}

static void test_pci_addresses(void **state)
{
	struct fixture *f = *state;
	unsigned int idx;

	assert_int_equal(resolve(f, "0000:03:00.0", &idx), 0);
	assert_int_equal(idx, 0);
	assert_int_equal(resolve(f, "03:00.0", &idx), 0);
	assert_int_equal(idx, 0);
	assert_int_equal(resolve(f, "0001:0A:1F.7", &idx), 0);
	assert_int_equal(idx, 1);
	/* Without a domain, 0000 is meant: 0a:1f.7 is in domain 1. */
	assert_int_equal(resolve(f, "0a:1f.7", &idx), -ENODEV);
	assert_int_equal(resolve(f, "0000:04:00.0", &idx), -ENODEV);
}

static void test_names(void **state)
{
	struct fixture *f = *state;
	unsigned int idx;

	assert_int_equal(resolve(f, "refdaq", &idx), 0);
	assert_int_equal(idx, 0);
	assert_int_equal(resolve(f, "plat", &idx), 0);
	assert_int_equal(idx, 3);
	assert_int_equal(resolve(f, "twin", &idx), -EBUSY);
	assert_int_equal(resolve(f, "nosuch", &idx), -ENODEV);
}

static void test_malformed_specs(void **state)
{
	struct fixture *f = *state;
	char longname[100];
	unsigned int idx;

	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(resolve(f, "", &idx), -EINVAL);
	assert_int_equal(resolve(f, "a/b", &idx), -EINVAL);
	assert_int_equal(resolve(f, "tab\there", &idx), -EINVAL);
	assert_int_equal(resolve(f, longname, &idx), -EINVAL);
	assert_int_equal(udaq_resolve_spec(f->ctx, NULL, &idx), -EINVAL);
	/* Almost a PCI address: not one, so it is looked up as a name. */
	assert_int_equal(resolve(f, "03:00.8", &idx), -ENODEV);
}

static void test_open_errors(void **state)
{
	struct fixture *f = *state;
	struct udaq_dev *dev = (void *)1;

	assert_int_equal(udaq_dev_open(f->ctx, "twin", &dev), -EBUSY);
	assert_null(dev);
	assert_int_equal(udaq_dev_open(f->ctx, "nosuch", &dev), -ENODEV);
	assert_int_equal(udaq_dev_open(f->ctx, "", &dev), -EINVAL);
	assert_int_equal(udaq_dev_open(NULL, "uio0", &dev), -EINVAL);
	/* uio1 exists in sysfs but has no node. */
	assert_int_equal(udaq_dev_open(f->ctx, "uio1", &dev), -ENOENT);
	assert_null(dev);
}

static void test_sim_dispatch(void **state)
{
	struct fixture *f = *state;
	struct udaq_dev *dev = NULL;

	/* "sim" and "sim:..." go to the simulator, never to sysfs. */
	assert_int_equal(udaq_dev_open(f->ctx, "sim", &dev), 0);
	assert_true(udaq_dev_is_sim(dev));
	assert_string_equal(udaq_dev_devname(dev), "sim");
	assert_true(udaq_dev_num_maps(dev) > 0);
	udaq_dev_close(dev);
	assert_int_equal(udaq_dev_open(f->ctx, "sim:no-such-option=1", &dev), -EINVAL);
	assert_null(dev);
	/* Only the exact prefix: "simulator" is a UIO name like any other. */
	assert_int_equal(udaq_dev_open(f->ctx, "simulator", &dev), -ENODEV);
}

static void test_roots_from_env_and_api(void **state)
{
	struct udaq_ctx *ctx;

	(void)state;
	assert_int_equal(setenv("UIO_DAQ_SYSFS_ROOT", "/tmp/fake-sys/", 1), 0);
	assert_int_equal(setenv("UIO_DAQ_DEV_ROOT", "/tmp/fake-dev", 1), 0);
	assert_int_equal(udaq_ctx_new(&ctx), 0);
	/* The trailing slash is dropped so that joined paths stay clean. */
	assert_string_equal(udaq_ctx_sysfs_root(ctx), "/tmp/fake-sys");
	assert_string_equal(udaq_ctx_dev_root(ctx), "/tmp/fake-dev");

	/* The API overrides the environment; bad paths are refused and keep the old root. */
	assert_int_equal(udaq_ctx_set_sysfs_root(ctx, "/srv/sys"), 0);
	assert_string_equal(udaq_ctx_sysfs_root(ctx), "/srv/sys");
	assert_int_equal(udaq_ctx_set_sysfs_root(ctx, "relative/sys"), -EINVAL);
	assert_int_equal(udaq_ctx_set_dev_root(ctx, ""), -EINVAL);
	assert_int_equal(udaq_ctx_set_dev_root(ctx, NULL), -EINVAL);
	assert_string_equal(udaq_ctx_sysfs_root(ctx), "/srv/sys");
	assert_string_equal(udaq_ctx_dev_root(ctx), "/tmp/fake-dev");
	assert_int_equal(udaq_ctx_set_dev_root(ctx, "/"), 0);
	assert_string_equal(udaq_ctx_dev_root(ctx), "/");
	udaq_ctx_free(ctx);

	/* A relative root in the environment is an error, not a silent default. */
	assert_int_equal(setenv("UIO_DAQ_DEV_ROOT", "dev", 1), 0);
	ctx = (void *)1;
	assert_int_equal(udaq_ctx_new(&ctx), -EINVAL);
	assert_null(ctx);

	/* Empty or unset means the real system. */
	assert_int_equal(setenv("UIO_DAQ_DEV_ROOT", "", 1), 0);
	assert_int_equal(unsetenv("UIO_DAQ_SYSFS_ROOT"), 0);
	assert_int_equal(udaq_ctx_new(&ctx), 0);
	assert_string_equal(udaq_ctx_sysfs_root(ctx), "/sys");
	assert_string_equal(udaq_ctx_dev_root(ctx), "/dev");
	udaq_ctx_free(ctx);
	unsetenv("UIO_DAQ_DEV_ROOT");
}

static void test_version(void **state)
{
	(void)state;
	assert_string_equal(udaq_version(), UDAQ_EXPECTED_VERSION);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_devname_and_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pci_addresses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_specs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sim_dispatch, setup, teardown),
		cmocka_unit_test(test_roots_from_env_and_api),
		cmocka_unit_test(test_version),
	};

	return cmocka_run_group_tests_name("core/spec", tests, NULL, NULL);
}
