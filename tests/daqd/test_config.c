// SPDX-License-Identifier: GPL-2.0-or-later
/* daqd settings: defaults, INI file, flags over file, and error messages. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

static char *write_ini(const char *text)
{
	char *path = strdup("/tmp/daqd-test-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static int parse(struct daqd_config *cfg, char *err, size_t errlen, int argc, ...)
{
	char *argv[32];
	va_list ap;

	argv[0] = "daqd";
	va_start(ap, argc);
	for (int i = 1; i <= argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	argv[argc + 1] = NULL;
	err[0] = 0;
	return daqd_config_parse_args(cfg, argc + 1, argv, err, errlen);
}

static void test_defaults(void **state)
{
	struct daqd_config cfg;

	(void)state;
	assert_int_equal(daqd_config_defaults(&cfg), 0);
	assert_string_equal(cfg.device, "sim");
	assert_int_equal(cfg.rate, 1000000);
	assert_int_equal(cfg.channels, 4);
	assert_int_equal(cfg.ring_size, 16u << 20);
	assert_int_equal(cfg.policy, UDAQ_POLICY_STOP);
	assert_string_equal(cfg.format, "ri16_le");
	assert_null(cfg.output_dir);
	daqd_config_free(&cfg);
}

static void test_flags(void **state)
{
	struct daqd_config cfg;
	char err[256];

	(void)state;
	daqd_config_defaults(&cfg);
	assert_int_equal(parse(&cfg, err, sizeof(err), 12, "--device", "uio3", "--rate", "2.5M",
			       "--channels", "8", "--duration", "1.5m", "--output", "/tmp",
			       "--ring-size", "64M"), 0);
	assert_string_equal(cfg.device, "uio3");
	assert_int_equal(cfg.rate, 2500000);
	assert_int_equal(cfg.channels, 8);
	assert_true(cfg.duration == 90.0);
	assert_string_equal(cfg.output_dir, "/tmp");
	assert_int_equal(cfg.ring_size, 64u << 20);
	assert_int_equal(parse(&cfg, err, sizeof(err), 5, "--stdout", "-q", "-t",
			       "--policy", "overwrite"), 0);
	assert_true(cfg.to_stdout);
	assert_true(cfg.quiet);
	assert_true(cfg.test_pattern);
	assert_int_equal(cfg.policy, UDAQ_POLICY_OVERWRITE);
	assert_int_equal(parse(&cfg, err, sizeof(err), 2, "--flush-interval", "250ms"), 0);
	assert_true(cfg.flush_interval > 0.2499 && cfg.flush_interval < 0.2501);
	daqd_config_free(&cfg);
}

static void expect_flag_error(const char *flag, const char *value, const char *needle)
{
	struct daqd_config cfg;
	char err[256];

	daqd_config_defaults(&cfg);
	assert_int_equal(parse(&cfg, err, sizeof(err), 2, flag, value), -EINVAL);
	/* The message names the flag, the value and what is allowed. */
	if (!strstr(err, flag) || !strstr(err, value) || !strstr(err, needle))
		fail_msg("message for %s '%s' was: %s", flag, value, err);
	daqd_config_free(&cfg);
}

static void test_bad_flags(void **state)
{
	(void)state;
	expect_flag_error("--rate", "abc", "1..1000000000");
	expect_flag_error("--rate", "-5", "whole number");
	expect_flag_error("--rate", "2e9", "out of range");
	expect_flag_error("--channels", "0", "1..32");
	expect_flag_error("--channels", "33", "1..32");
	expect_flag_error("--channels", "1.5", "whole number");
	expect_flag_error("--ring-size", "1000", "65536");
	expect_flag_error("--ring-size", "32G", "out of range");
	expect_flag_error("--ring-size", "65537", "multiple of 4096");
	expect_flag_error("--policy", "maybe", "stop");
	expect_flag_error("--format", "cf32_le", "ri16_le");
	expect_flag_error("--duration", "forever", "seconds");
	expect_flag_error("--prefix", "../evil", "A-Z");
	expect_flag_error("--user", "no-such-user-daqd", "no such user");
	expect_flag_error("--rotate-size", "12X", "size in bytes");
}

static void test_unknown_flag(void **state)
{
	struct daqd_config cfg;
	char err[256];

	(void)state;
	daqd_config_defaults(&cfg);
	assert_int_equal(parse(&cfg, err, sizeof(err), 1, "--frobnicate"), -EINVAL);
	assert_non_null(strstr(err, "--frobnicate"));
	assert_int_equal(parse(&cfg, err, sizeof(err), 1, "--rate"), -EINVAL);
	assert_non_null(strstr(err, "needs a value"));
	assert_int_equal(parse(&cfg, err, sizeof(err), 1, "stray"), -EINVAL);
	assert_non_null(strstr(err, "stray"));
	daqd_config_free(&cfg);
}

static void test_file_and_override(void **state)
{
	struct daqd_config cfg;
	char err[256];
	char *path = write_ini("# comment\n[acquisition]\nrate = 2000\nchannels = 2\n"
			       "[output]\ndir = /var/tmp\nrotate_size = 1M\n");

	(void)state;
	daqd_config_defaults(&cfg);
	/* The flag comes first on the command line and still wins. */
	assert_int_equal(parse(&cfg, err, sizeof(err), 4, "--channels", "3",
			       "--config", path), 0);
	assert_int_equal(cfg.rate, 2000);
	assert_int_equal(cfg.channels, 3);
	assert_string_equal(cfg.output_dir, "/var/tmp");
	assert_int_equal(cfg.rotate_size, 1u << 20);
	daqd_config_free(&cfg);
	unlink(path);
	free(path);
}

/* --no-FLAG undoes a boolean the file set; whole flag names only. */
static void test_negated_and_exact_flags(void **state)
{
	struct daqd_config cfg;
	char err[256];
	char *path = write_ini("[acquisition]\ntest_pattern = true\n[output]\nfsync = true\n");

	(void)state;
	daqd_config_defaults(&cfg);
	assert_int_equal(parse(&cfg, err, sizeof(err), 4, "--no-test-pattern", "--config", path,
			       "--no-fsync"), 0);
	assert_false(cfg.test_pattern);
	assert_false(cfg.fsync);
	daqd_config_free(&cfg);

	daqd_config_defaults(&cfg);
	assert_int_equal(parse(&cfg, err, sizeof(err), 2, "--rat", "5"), -EINVAL);
	assert_non_null(strstr(err, "unknown flag '--rat'"));
	assert_int_equal(parse(&cfg, err, sizeof(err), 1, "--test-pattern=no"), -EINVAL);
	assert_non_null(strstr(err, "takes no value"));
	/* A value that looks like a flag is still a value. */
	assert_int_equal(parse(&cfg, err, sizeof(err), 2, "--prefix", "--x"), -EINVAL);
	assert_null(strstr(err, "unknown flag"));
	daqd_config_free(&cfg);
	unlink(path);
	free(path);
}

static void expect_file_error(const char *text, const char *needle1, const char *needle2)
{
	struct daqd_config cfg;
	char err[256];
	char *path = write_ini(text);

	daqd_config_defaults(&cfg);
	assert_int_equal(daqd_config_load(&cfg, path, err, sizeof(err)), -EINVAL);
	if (!strstr(err, path) || !strstr(err, needle1) || !strstr(err, needle2))
		fail_msg("message for %s was: %s", text, err);
	daqd_config_free(&cfg);
	unlink(path);
	free(path);
}

static void test_bad_file(void **state)
{
	(void)state;
	expect_file_error("[acquisition]\nrate = fast\n", ":2:", "rate 'fast'");
	expect_file_error("[acquisition]\nrat = 5\n", "rat", "unknown key");
	expect_file_error("[acquisitoin]\nrate = 5\n", "acquisitoin", "unknown section");
	expect_file_error("[device]\nrate = 5\n", "[device]", "unknown key 'rate'");
	expect_file_error("[output]\nfsync = perhaps\n", "fsync 'perhaps'", "true/false");
	expect_file_error("[acquisition]\nthis line is junk\n", ":2:", "syntax");
	/* The known sections are listed in full. */
	expect_file_error("[foo]\nx = 1\n", "unknown section [foo]", "network");
	/* Last-wins would hide a mistake. */
	expect_file_error("[acquisition]\nrate = 5\nchannels = 2\nrate = 6\n", ":4:",
			  "rate is set twice");
	/* Not an INI file (e.g. --config /etc/passwd): says so. */
	expect_file_error("rate = 5\n", ":1:", "before any [section]");
}

/*
 * inih continues a value on an indented line: "  prefix = run7" after
 * "dir = /data" would make the directory "prefix = run7". Refused; an
 * indented comment or blank line is fine.
 */
static void test_indented_line(void **state)
{
	struct daqd_config cfg;
	char err[256], *path;

	(void)state;
	expect_file_error("[output]\ndir = /tmp/x\n  prefix = run7\n", ":3:", "indented line");
	expect_file_error("[acquisition]\nrate = 5\n\tchannels=2\n", ":3:", "indented line");
	path = write_ini("[output]\n  ; a comment\n\t\n   \ndir = /tmp/x\nprefix = run7\n");
	assert_int_equal(daqd_config_defaults(&cfg), 0);
	assert_int_equal(daqd_config_load(&cfg, path, err, sizeof(err)), 0);
	assert_string_equal(cfg.output_dir, "/tmp/x");
	assert_string_equal(cfg.prefix, "run7");
	daqd_config_free(&cfg);
	unlink(path);
	free(path);
}

static void test_directory_as_file(void **state)
{
	struct daqd_config cfg;
	char err[256];

	(void)state;
	assert_int_equal(daqd_config_defaults(&cfg), 0);
	assert_int_equal(daqd_config_load(&cfg, "/tmp", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "is a directory"));
	daqd_config_free(&cfg);
}

/* Load @text, which must succeed; the caller checks and frees @cfg. */
static void load_ok(struct daqd_config *cfg, const char *text)
{
	char err[256], *path = write_ini(text);

	daqd_config_defaults(cfg);
	if (daqd_config_load(cfg, path, err, sizeof(err)))
		fail_msg("loading a file failed: %s", err);
	unlink(path);
	free(path);
}

/*
 * inih splits a line longer than its 200-byte buffer and parses the rest
 * as more lines. Values are as long in the file as in a flag: a long line
 * is read whole, trimmed and cut at an inline comment as inih would, and
 * never cut short (the ";bbbb" here is not a comment: no blank before it).
 */
static void test_long_line(void **state)
{
	static char value[66000], text[3 * sizeof(value)];
	struct daqd_config cfg;
	size_t n;

	(void)state;
	memset(value, 'a', 192);
	strcpy(value + 192, ";bbbb");
	snprintf(text, sizeof(text), "[output]\ndir = /%s\n[acquisition]\nrate = 5\n", value);
	load_ok(&cfg, text);
	assert_int_equal(strlen(cfg.output_dir), 198);
	assert_string_equal(cfg.output_dir + 1, value);
	assert_int_equal(cfg.rate, 5);
	daqd_config_free(&cfg);
	/* A long value with an inline comment and blanks; a long comment line. */
	memset(value, 'b', 4000);
	value[4000] = 0;
	snprintf(text, sizeof(text), "[output]\n; %s\ndir =   /%s   ; a note\nprefix = p1\n", value, value);
	load_ok(&cfg, text);
	assert_int_equal(strlen(cfg.output_dir), 4001);
	assert_string_equal(cfg.output_dir + 1, value);
	assert_string_equal(cfg.prefix, "p1");
	daqd_config_free(&cfg);
	/* Up to 65535 characters a line; one more is refused, naming the line. */
	n = 65535 - strlen("dir = /");
	memset(value, 'c', n);
	value[n] = 0;
	snprintf(text, sizeof(text), "[output]\ndir = /%s\n", value);
	load_ok(&cfg, text);
	assert_int_equal(strlen(cfg.output_dir), n + 1);
	daqd_config_free(&cfg);
	snprintf(text, sizeof(text), "[output]\ndir = /%sc\n", value);
	expect_file_error(text, ":2:", "line too long (at most 65535 characters)");
	/* A key or section name inih cannot hold is refused; no separator is a syntax error. */
	memset(value, 'k', 300);
	value[300] = 0;
	snprintf(text, sizeof(text), "[output]\n%s = 1\n", value);
	expect_file_error(text, ":2:", "key name too long");
	snprintf(text, sizeof(text), "[%s]\n", value);
	expect_file_error(text, ":1:", "too long");
	snprintf(text, sizeof(text), "[output]\n%s\n", value);
	expect_file_error(text, ":2:", "syntax");
}

static void test_nul_in_file(void **state)
{
	static const char text[] = "[output]\ndir = /data\0/other\n";
	struct daqd_config cfg;
	char err[256];
	char path[] = "/tmp/daqd-test-XXXXXX";
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	daqd_config_defaults(&cfg);
	assert_int_equal(daqd_config_load(&cfg, path, err, sizeof(err)), -EINVAL);
	if (!strstr(err, ":2:") || !strstr(err, "NUL"))
		fail_msg("message was: %s", err);
	daqd_config_free(&cfg);
	unlink(path);
}

/* A long seconds value must not lose its unit ("...m" read as seconds). */
static void test_long_seconds(void **state)
{
	struct daqd_config cfg;
	char err[256], value[128];
	int ret;

	(void)state;
	memset(value, '0', sizeof(value));
	value[0] = '1';
	value[1] = '.';
	value[80] = 'm';
	value[81] = 0;
	daqd_config_defaults(&cfg);
	ret = daqd_config_set(&cfg, NULL, "duration", value, err, sizeof(err));
	if (ret == 0)
		assert_true(cfg.duration > 59.999 && cfg.duration < 60.001);
	else
		assert_int_equal(ret, -EINVAL);
	daqd_config_free(&cfg);
}

/*
 * Numbers are decimal, in flags and file alike: strtod() would read
 * "0x10" as 16 and "0x1p3" as 8, so "--rate 0x10" ran at 16 Hz.
 */
static void test_non_decimal(void **state)
{
	(void)state;
	expect_flag_error("--rate", "0x10", "decimal");
	expect_flag_error("--rate", "0X10", "decimal");
	expect_flag_error("--channels", "0x4", "decimal");
	expect_flag_error("--duration", "0x1p3", "decimal");
	expect_flag_error("--ring-size", "0x100000", "decimal");
	expect_flag_error("--max-clients", "0b11", "decimal");
	expect_flag_error("--rate", "1e", "decimal");
	expect_flag_error("--rate", "1..5", "decimal");
	expect_file_error("[acquisition]\nrate = 0x10\n", ":2:", "rate '0x10'");
	expect_file_error("[output]\nrotate_time = 0x3m\n", ":2:", "decimal");
}

/* Free-run ignores the rate: a rate given with it is a contradiction. */
static void test_freerun_with_rate(void **state)
{
	struct daqd_config cfg;
	char err[256], *path;

	(void)state;
	daqd_config_defaults(&cfg);
	assert_int_equal(parse(&cfg, err, sizeof(err), 4, "--freerun", "--rate", "1000",
			       "--stdout"), 0);
	assert_int_equal(daqd_config_check(&cfg, err, sizeof(err)), -EINVAL);
	if (!strstr(err, "freerun") || !strstr(err, "rate 1000"))
		fail_msg("message was: %s", err);
	daqd_config_free(&cfg);
	/* Free-run alone, or with rate 0 (the same thing), is fine. */
	daqd_config_defaults(&cfg);
	assert_int_equal(parse(&cfg, err, sizeof(err), 2, "--freerun", "--stdout"), 0);
	assert_int_equal(daqd_config_check(&cfg, err, sizeof(err)), 0);
	daqd_config_free(&cfg);
	daqd_config_defaults(&cfg);
	assert_int_equal(parse(&cfg, err, sizeof(err), 4, "--freerun", "--rate", "0",
			       "--stdout"), 0);
	assert_int_equal(daqd_config_check(&cfg, err, sizeof(err)), 0);
	daqd_config_free(&cfg);
	/* From the file too. */
	path = write_ini("[acquisition]\nrate = 5k\nfreerun = yes\n[output]\nstdout = yes\n");
	daqd_config_defaults(&cfg);
	assert_int_equal(daqd_config_load(&cfg, path, err, sizeof(err)), 0);
	assert_int_equal(daqd_config_check(&cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "freerun"));
	daqd_config_free(&cfg);
	unlink(path);
	free(path);
}

/* Port 0 would be a random port that no client can know: refused. */
static void test_listen_port_zero(void **state)
{
	struct daqd_config cfg;
	char err[256];

	(void)state;
	expect_flag_error("--listen", "0", "port 0");
	expect_flag_error("--listen", ":0", "port 0");
	expect_flag_error("--listen", "127.0.0.1:0", "port 0");
	expect_flag_error("--listen", "[::1]:0", "port 0");
	expect_flag_error("--listen", "unix:/tmp/s.sock, 127.0.0.1:00", "port 0");
	expect_file_error("[network]\nlisten = 0.0.0.0:0\n", ":2:", "port 0");
	daqd_config_defaults(&cfg);
	assert_int_equal(parse(&cfg, err, sizeof(err), 2, "--listen",
			       "unix:/tmp/s.sock,127.0.0.1:5555,[::1]:5556,5557"), 0);
	assert_string_equal(cfg.listen, "unix:/tmp/s.sock,127.0.0.1:5555,[::1]:5556,5557");
	daqd_config_free(&cfg);
}

static void test_missing_file(void **state)
{
	struct daqd_config cfg;
	char err[256];

	(void)state;
	daqd_config_defaults(&cfg);
	assert_int_equal(parse(&cfg, err, sizeof(err), 2, "--config", "/nonexistent/daqd.conf"),
			 -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/daqd.conf"));
	daqd_config_free(&cfg);
}

static void test_check(void **state)
{
	struct daqd_config cfg;
	char err[256];

	(void)state;
	daqd_config_defaults(&cfg);
	assert_int_equal(daqd_config_check(&cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "--output"));
	cfg.to_stdout = true;
	assert_int_equal(daqd_config_check(&cfg, err, sizeof(err)), 0);
	cfg.rotate_size = 1 << 20;
	assert_int_equal(daqd_config_check(&cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "rotate"));
	daqd_config_free(&cfg);
}

/* A duration shorter than one sample is refused, not taken as "no limit". */
static void test_duration_below_one_sample(void **state)
{
	struct daqd_config cfg;
	char err[256];

	(void)state;
	daqd_config_defaults(&cfg);
	assert_int_equal(parse(&cfg, err, sizeof(err), 5, "--rate", "16", "--duration", "0.01",
			       "--stdout"), 0);
	assert_int_equal(daqd_config_check(&cfg, err, sizeof(err)), -EINVAL);
	if (!strstr(err, "less than one sample"))
		fail_msg("message was: %s", err);
	daqd_config_free(&cfg);
	daqd_config_defaults(&cfg);
	assert_int_equal(parse(&cfg, err, sizeof(err), 5, "--rate", "16", "--duration", "0.0625",
			       "--stdout"), 0);
	assert_int_equal(daqd_config_check(&cfg, err, sizeof(err)), 0);
	daqd_config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_bad_flags),
		cmocka_unit_test(test_unknown_flag),
		cmocka_unit_test(test_file_and_override),
		cmocka_unit_test(test_negated_and_exact_flags),
		cmocka_unit_test(test_bad_file),
		cmocka_unit_test(test_indented_line),
		cmocka_unit_test(test_directory_as_file),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_nul_in_file),
		cmocka_unit_test(test_long_seconds),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_non_decimal),
		cmocka_unit_test(test_freerun_with_rate),
		cmocka_unit_test(test_listen_port_zero),
		cmocka_unit_test(test_duration_below_one_sample),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
