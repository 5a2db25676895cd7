/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PCI names through libpci: lookups from a given ID file, unknown IDs, a
 * missing file, and a corrupt one, which libpci reports through a callback
 * that would exit() the process by default.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pci_names.h"

static void write_ids(char *path, size_t size, const char *content)
{
	FILE *f;
	int fd;

	snprintf(path, size, "%s/udaq-pciids-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(content, f);
	assert_int_equal(fclose(f), 0);
}

static void test_lookup_from_file(void **state)
{
	struct udaq_pci_names *names;
	char *v, *d, path[256];

	(void)state;
	write_ids(path, sizeof(path),
		  "# test ids\n"
		  "abcd  Example Instruments\n"
		  "\t0001  Model 1 Digitizer\n"
		  "\t0002  Model 2 Digitizer\n");
	names = udaq_pci_names_new_path(path);
	assert_non_null(names);
	assert_int_equal(udaq_pci_names_lookup(names, 0xabcd, 0x0002, &v, &d), 0);
	assert_string_equal(v, "Example Instruments");
	assert_string_equal(d, "Model 2 Digitizer");
	free(v);
	free(d);
	/* Known vendor, unknown device; unknown vendor: NULL, never numbers. */
	assert_int_equal(udaq_pci_names_lookup(names, 0xabcd, 0x0009, &v, &d), 0);
	assert_string_equal(v, "Example Instruments");
	assert_null(d);
	free(v);
	assert_int_equal(udaq_pci_names_lookup(names, 0x1234, 0x0001, &v, &d), 0);
	assert_null(v);
	assert_null(d);
	udaq_pci_names_free(names);
	unlink(path);
}

static void test_missing_file(void **state)
{
	struct udaq_pci_names *names;
	char *v, *d;

	(void)state;
	names = udaq_pci_names_new_path("/nonexistent/pci.ids");
	assert_non_null(names);
	assert_int_equal(udaq_pci_names_lookup(names, 0x8086, 0x1533, &v, &d), 0);
	assert_null(v);
	assert_null(d);
	udaq_pci_names_free(names);
}

static void test_corrupt_file_does_not_exit(void **state)
{
	struct udaq_pci_names *names;
	char *v = (char *)1, *d = (char *)1, path[256];

	(void)state;
	/* libpci calls its error callback on a syntax error in the list. */
	write_ids(path, sizeof(path), "abcd  Example Instruments\n\t\t\tnot an id line\n");
	names = udaq_pci_names_new_path(path);
	assert_non_null(names);
	assert_int_equal(udaq_pci_names_lookup(names, 0xabcd, 0x0001, &v, &d), 0);
	assert_null(v);
	assert_null(d);
	/* Still alive, and later lookups stay harmless. */
	assert_int_equal(udaq_pci_names_lookup(names, 0xabcd, 0x0001, &v, &d), 0);
	assert_null(v);
	udaq_pci_names_free(names);
	unlink(path);
}

static void test_null_handle(void **state)
{
	char *v = (char *)1, *d = (char *)1;

	(void)state;
	assert_int_equal(udaq_pci_names_lookup(NULL, 0x8086, 0x1533, &v, &d), 0);
	assert_null(v);
	assert_null(d);
	udaq_pci_names_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_from_file),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_corrupt_file_does_not_exit),
		cmocka_unit_test(test_null_handle),
	};

	return cmocka_run_group_tests_name("core/pci_names", tests, NULL, NULL);
}
