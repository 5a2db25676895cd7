/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* "sim:..." option parsing: accepted forms and the message for each bad one. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <uio_daq/uio_daq.h>

static void good(const char *spec)
{
	char msg[256];

	if (udaq_sim_options_check(spec, msg, sizeof(msg)) != 0)
		fail_msg("'%s' rejected: %s", spec, msg);
}

/* Rejected, with a message that names @word. */
static void bad(const char *spec, const char *word)
{
	char msg[256] = "";

	assert_int_equal(udaq_sim_options_check(spec, msg, sizeof(msg)), -EINVAL);
	if (!strstr(msg, word))
		fail_msg("'%s': message '%s' does not name '%s'", spec, msg, word);
}

static void test_accepted(void **state)
{
	(void)state;
	good("sim");
	good("sim:");
	good("sim:ring=64K");
	good("sim:ring=65536");
	good("sim:ring=1G,chunk=1M");
	good("sim:ring=16m,chunk=4k,channels=32,maxrate=250000");
	good("sim:channels=1");
	good("sim:ring=68K,chunk=64K");	/* a short last chunk */
}

static void test_rejected(void **state)
{
	(void)state;
	bad("simulator", "not a simulator spec");
	bad("/dev/uio0", "not a simulator spec");
	bad("sim:ring=60K", "ring=60K");
	bad("sim:ring=65537", "ring=65537");
	bad("sim:ring=2G", "ring=2G");
	bad("sim:ring=", "ring=");
	bad("sim:ring=16Q", "ring=16Q");
	bad("sim:ring=16MM", "ring=16MM");
	bad("sim:ring=99999999999999999999999", "ring=");
	bad("sim:chunk=3000", "chunk=3000");
	bad("sim:chunk=0", "chunk=0");
	bad("sim:ring=64K,chunk=128K", "chunk=");
	bad("sim:ring=1G,chunk=4K", "4096 chunks");
	bad("sim:channels=0", "channels=0");
	bad("sim:channels=33", "channels=33");
	bad("sim:channels=x", "channels=x");
	bad("sim:maxrate=0", "maxrate=0");
	bad("sim:colour=blue", "colour");
	bad("sim:ring", "'ring'");
	bad("sim:ring=64K,,", "''");
}

/* udaq_dev_open() agrees with the check, and a good spec really opens. */
static void test_open_agrees(void **state)
{
	struct udaq_ctx *ctx;
	struct udaq_dev *dev = NULL;

	(void)state;
	assert_int_equal(udaq_ctx_new(&ctx), 0);
	assert_int_equal(udaq_dev_open(ctx, "sim:ring=60K", &dev), -EINVAL);
	assert_null(dev);
	assert_int_equal(udaq_dev_open(ctx, "sim:bogus=1", &dev), -EINVAL);
	assert_int_equal(udaq_dev_open(ctx, "sim:ring=128K,chunk=8K,channels=3", &dev), 0);
	assert_true(udaq_dev_is_sim(dev));
	assert_int_equal(udaq_dev_num_maps(dev), 3);
	udaq_dev_close(dev);
	udaq_ctx_free(ctx);
}

/* Which specs name the simulator, and their options part. */
static void test_spec_options(void **state)
{
	(void)state;
	assert_string_equal(udaq_sim_spec_options("sim"), "");
	assert_string_equal(udaq_sim_spec_options("sim:"), "");
	assert_string_equal(udaq_sim_spec_options("sim:ring=4M"), "ring=4M");
	assert_null(udaq_sim_spec_options("simulator"));
	assert_null(udaq_sim_spec_options("uio0"));
	assert_null(udaq_sim_spec_options(""));
	assert_null(udaq_sim_spec_options(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_rejected),
		cmocka_unit_test(test_open_agrees),
		cmocka_unit_test(test_spec_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
