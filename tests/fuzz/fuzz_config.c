// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Robustness of the daqd settings parser (daqd/config.h): the INI file
 * (daqd_config_load, through temporary files) and single key/value
 * settings (daqd_config_set, what both the file and the flags go through).
 *
 * Inputs: the shipped daqd.conf.example and generated valid files, mutated,
 * plus random key/value text. Invariants:
 *  - returns are 0 or a negative errno (-EINVAL, -ENOENT, -ENOMEM); a
 *    failure always fills a non-empty, NUL-terminated message that stays
 *    within errlen (canary), and a bad value's message names its key;
 *  - a generated valid file loads, and every string value comes back
 *    exactly as written (nothing cut, nothing silently dropped), every
 *    number as written;
 *  - an accepted file leaves values within their documented ranges;
 *  - loading is deterministic: the same file gives the same result twice;
 *  - every error path frees what it took (ASan's leak check).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"

static struct fuzz F;
static char dir[64], path[96];

static void write_file(const uint8_t *p, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	FUZZ_ASSERT(&F, fd >= 0);
	FUZZ_ASSERT(&F, write(fd, p, len) == (ssize_t)len);
	close(fd);
}

static void check_err(int ret, const char *err, size_t errlen)
{
	FUZZ_ASSERT(&F, ret == 0 || ret == -EINVAL || ret == -ENOENT || ret == -ENOMEM);
	FUZZ_ASSERT(&F, err[errlen] == 'Z');
	if (ret && errlen > 1)
		FUZZ_ASSERT(&F, memchr(err, '\0', errlen) && err[0]);
}

/* Documented ranges hold for whatever was accepted. */
static void check_ranges(const struct daqd_config *c)
{
	FUZZ_ASSERT(&F, c->device && *c->device);
	FUZZ_ASSERT(&F, c->ring_size >= 65536 && c->ring_size <= (UINT64_C(16) << 30) &&
			c->ring_size % 4096 == 0);
	FUZZ_ASSERT(&F, c->policy == UDAQ_POLICY_STOP || c->policy == UDAQ_POLICY_OVERWRITE);
	FUZZ_ASSERT(&F, c->irq_threshold <= (1u << 30));
	FUZZ_ASSERT(&F, c->irq_timeout_us <= 10000000);
	FUZZ_ASSERT(&F, c->frame_samples <= 1048576);
	FUZZ_ASSERT(&F, c->rate <= 1000000000);
	FUZZ_ASSERT(&F, c->channels >= 1 && c->channels <= 32);
	FUZZ_ASSERT(&F, c->format && !strcmp(c->format, "ri16_le"));
	FUZZ_ASSERT(&F, c->duration >= 0 && c->duration <= 1e9);
	FUZZ_ASSERT(&F, !c->output_dir || *c->output_dir);
	FUZZ_ASSERT(&F, c->prefix && *c->prefix && strlen(c->prefix) <= 64);
	FUZZ_ASSERT(&F, c->rotate_size == 0 || (c->rotate_size >= 4096 && c->rotate_size <= 1e18));
	FUZZ_ASSERT(&F, c->rotate_time == 0 || (c->rotate_time >= 0.1 && c->rotate_time <= 1e9));
	FUZZ_ASSERT(&F, c->flush_interval >= 0.01 && c->flush_interval <= 3600);
	FUZZ_ASSERT(&F, !c->listen || *c->listen);
	FUZZ_ASSERT(&F, c->max_clients <= 1024);
	FUZZ_ASSERT(&F, c->socket_path && strlen(c->socket_path) < 108);
	FUZZ_ASSERT(&F, c->status_interval == 0 ||
			(c->status_interval >= 0.1 && c->status_interval <= 86400));
}

static int load(const uint8_t *text, size_t len, struct daqd_config *c, char *err, size_t *errlen)
{
	int ret;

	*errlen = fuzz_below(&F, 8) == 0 ? 1 + fuzz_below(&F, 16) : 256;
	memset(err, 'Z', 300);
	FUZZ_ASSERT(&F, daqd_config_defaults(c) == 0);
	fuzz_set_input(&F, text, len);
	write_file(text, len);
	ret = daqd_config_load(c, path, err, *errlen);
	check_err(ret, err, *errlen);
	if (!ret)
		check_ranges(c);
	return ret;
}

/* ---- generated valid files --------------------------------------------- */

/*
 * A path-like value of random length with characters a config value may
 * hold (no leading/trailing blanks, no " ;"/" #" inline comment marker).
 */
static void rand_value(char *out, size_t len)
{
	static const char cs[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-:;#=[]";

	for (size_t i = 0; i < len; i++)
		out[i] = cs[fuzz_below(&F, sizeof(cs) - 1)];
	out[0] = '/';
	out[len] = '\0';
}

struct gen {
	char text[4096];
	size_t len;
	char dir[600], listen[600], device[600];
	uint32_t rate, channels;
};

static void gen_valid(struct gen *g)
{
	/* Mostly short values, sometimes long ones (a deep directory). */
	size_t dl = 1 + (fuzz_below(&F, 4) ? fuzz_below(&F, 60) : fuzz_below(&F, 500));
	size_t ll = 1 + fuzz_below(&F, 40);
	size_t vl = 1 + (fuzz_below(&F, 4) ? fuzz_below(&F, 30) : fuzz_below(&F, 400));

	rand_value(g->dir, dl);
	/* listen must be an endpoint list: a Unix socket path is any path. */
	memcpy(g->listen, "unix:", 5);
	rand_value(g->listen + 5, ll);
	rand_value(g->device, vl);
	g->rate = (uint32_t)fuzz_below(&F, 1000000001);
	g->channels = 1 + (uint32_t)fuzz_below(&F, 32);
	g->len = (size_t)snprintf(g->text, sizeof(g->text),
		"; generated\n[device]\ndevice = %s\npolicy = %s\n"
		"[acquisition]\nrate = %u\nchannels = %u\ntest_pattern = %s\n"
		"[output]\ndir = %s\nprefix = p%u\n"
		"[network]\nlisten = %s\n",
		g->device, fuzz_below(&F, 2) ? "stop" : "overwrite", g->rate, g->channels,
		fuzz_below(&F, 2) ? "yes" : "off", g->dir, (unsigned int)fuzz_below(&F, 1000),
		g->listen);
	FUZZ_ASSERT(&F, g->len < sizeof(g->text));
}

static uint64_t valid_loads, refused_long;

static void fuzz_generated(void)
{
	struct gen g;
	struct daqd_config c;
	char err[300];
	size_t errlen;
	int ret;

	gen_valid(&g);
	ret = load((const uint8_t *)g.text, g.len, &c, err, &errlen);
	/*
	 * A valid file either loads exactly as written or, if a line is
	 * longer than the parser takes, is refused with a message saying so:
	 * never loaded with a value cut short.
	 */
	if (ret == 0) {
		FUZZ_ASSERT(&F, c.output_dir && !strcmp(c.output_dir, g.dir));
		FUZZ_ASSERT(&F, c.listen && !strcmp(c.listen, g.listen));
		FUZZ_ASSERT(&F, c.device && !strcmp(c.device, g.device));
		FUZZ_ASSERT(&F, c.rate == g.rate && c.channels == g.channels);
		valid_loads++;
	} else {
		FUZZ_ASSERT(&F, ret == -EINVAL);
		FUZZ_ASSERT(&F, strlen(g.dir) > 150 || strlen(g.device) > 150);
		if (errlen > 100)
			FUZZ_ASSERT(&F, strstr(err, "too long") != NULL);
		refused_long++;
	}
	daqd_config_free(&c);
}

/* ---- mutated files -------------------------------------------------------- */

static uint8_t example[8192];
static size_t example_len;

static void fuzz_mutated(void)
{
	static uint8_t buf[16384];
	struct daqd_config c, c2;
	char err[300], err2[300];
	size_t len, errlen, errlen2;
	int ret, ret2;

	if (fuzz_below(&F, 2)) {
		memcpy(buf, example, example_len);
		len = example_len;
	} else {
		struct gen g;

		gen_valid(&g);
		memcpy(buf, g.text, g.len);
		len = g.len;
	}
	if (fuzz_below(&F, 16) == 0) {
		len = fuzz_below(&F, 512);
		fuzz_fill(&F, buf, len);
	} else {
		fuzz_mutate(&F, buf, &len, sizeof(buf));
	}
	ret = load(buf, len, &c, err, &errlen);
	/* Deterministic: the same bytes, the same verdict and values. */
	ret2 = load(buf, len, &c2, err2, &errlen2);
	FUZZ_ASSERT(&F, ret == ret2);
	if (!ret) {
		FUZZ_ASSERT(&F, c.rate == c2.rate && c.channels == c2.channels &&
				c.ring_size == c2.ring_size && c.policy == c2.policy);
		FUZZ_ASSERT(&F, !strcmp(c.device, c2.device));
		FUZZ_ASSERT(&F, (!c.output_dir && !c2.output_dir) ||
				(c.output_dir && c2.output_dir && !strcmp(c.output_dir, c2.output_dir)));
		/* The cross-field check answers either way, with a reason. */
		memset(err, 'Z', sizeof(err));
		ret = daqd_config_check(&c, err, 256);
		FUZZ_ASSERT(&F, ret == 0 || (ret == -EINVAL && err[0] && memchr(err, 0, 256)));
	} else if (errlen == errlen2 && errlen > 1) {
		FUZZ_ASSERT(&F, !strcmp(err, err2));
	}
	daqd_config_free(&c);
	daqd_config_free(&c2);
}

/* ---- single settings ------------------------------------------------------- */

static const char *const keys[] = {
	"device", "ring_size", "policy", "irq_threshold", "irq_timeout_us", "frame_samples",
	"rate", "channels", "format", "test_pattern", "freerun", "duration", "dir", "prefix",
	"stdout", "rotate_size", "rotate_time", "flush_interval", "fsync", "listen",
	"max_clients", "socket", "quiet", "status_interval",
};
static const char *const values[] = {
	"0", "1", "32", "33", "1k", "1M", "1G", "1T", "4096", "64K", "16G", "17G", "1.5", "0.01",
	"100ms", "2s", "3m", "1h", "1d", "yes", "no", "true", "off", "stop", "overwrite",
	"ri16_le", "int16", "-1", "+1", ".5", "1e3", "1e400", "0x10", "nan", "inf", "",
	"1000000000", "4294967296", "18446744073709551616", "daqd", ".hidden", "a b",
	"1.0000000000000000000000000000000000000000000000000000000000000000000001m",
	"0.000000000000000000000000000000000000000000000000000000000000000000001h",
};

static void fuzz_set(void)
{
	struct daqd_config c;
	char key[64], value[256], err[300];
	size_t errlen = fuzz_below(&F, 8) == 0 ? 1 + fuzz_below(&F, 16) : 256;
	size_t vl;
	int ret;

	FUZZ_ASSERT(&F, daqd_config_defaults(&c) == 0);
	snprintf(key, sizeof(key), "%s", keys[fuzz_below(&F, sizeof(keys) / sizeof(keys[0]))]);
	if (fuzz_below(&F, 8) == 0)
		key[fuzz_below(&F, strlen(key))] ^= 0x20;
	snprintf(value, sizeof(value), "%s", values[fuzz_below(&F, sizeof(values) / sizeof(values[0]))]);
	vl = strlen(value);
	if (fuzz_below(&F, 2)) {
		fuzz_mutate(&F, (uint8_t *)value, &vl, sizeof(value) - 1);
		value[vl] = '\0';	/* a C string: whatever comes before a NUL */
	}
	fuzz_set_input(&F, (const uint8_t *)value, strlen(value));
	memset(err, 'Z', sizeof(err));
	ret = daqd_config_set(&c, fuzz_below(&F, 2) ? NULL : "acquisition", key, value, err, errlen);
	check_err(ret, err, errlen);
	if (ret == -EINVAL && errlen > 100)
		FUZZ_ASSERT(&F, !strncmp(err, key, strlen(key)));	/* names the key */
	if (!ret)
		check_ranges(&c);
	daqd_config_free(&c);
}

int main(int argc, char **argv)
{
	char summary[128];
	FILE *f;

	fuzz_init(&F, "fuzz_config", 0x5eed0003, 200000, 3.0);
	snprintf(dir, sizeof(dir), "/tmp/fuzz-config-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/daqd.conf", dir);
	f = argc > 1 ? fopen(argv[1], "r") : NULL;
	if (!f) {
		fprintf(stderr, "usage: %s daqd.conf.example\n", argv[0]);
		return 1;
	}
	example_len = fread(example, 1, sizeof(example), f);
	fclose(f);
	{
		struct daqd_config c;
		char err[300];
		size_t errlen;

		FUZZ_ASSERT(&F, load(example, example_len, &c, err, &errlen) == 0);
		daqd_config_free(&c);
	}
	while (fuzz_more(&F)) {
		switch (fuzz_below(&F, 4)) {
		case 0:
			fuzz_generated();
			break;
		case 1:
			fuzz_mutated();
			break;
		default:
			fuzz_set();
			break;
		}
	}
	unlink(path);
	rmdir(dir);
	snprintf(summary, sizeof(summary), "%llu generated files loaded, %llu refused as too long",
		 (unsigned long long)valid_loads, (unsigned long long)refused_long);
	fuzz_done(&F, summary);
	return valid_loads ? 0 : 1;
}
