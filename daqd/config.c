// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * daqd settings. One table describes every key: its INI section, its flag,
 * its type and range. The INI reader and the flag parser both go through
 * daqd_config_set(), so a value is judged the same way wherever it comes
 * from, and messages always say key, value and what is allowed.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <ctype.h>
#include <grp.h>
#include <ini.h>
#include <math.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "paths.h"
#include "stream_addr.h"

enum key_type {
	K_STR,		/* any string */
	K_PATH,		/* non-empty path */
	K_SOCKET,	/* path that fits sun_path, or "" */
	K_LISTEN,	/* stream endpoints, comma-separated (stream_addr.h) */
	K_NAME,		/* file-name-safe token */
	K_BOOL,
	K_U32,		/* decimal, k/M/G multiply by 1000 */
	K_SIZE,		/* bytes, K/M/G/T multiply by 1024 */
	K_SECONDS,	/* decimal seconds, s/m/h suffix */
	K_POLICY,
	K_FORMAT,
	K_USER,
	K_GROUP,
};

struct key_desc {
	const char *section;
	const char *key;
	const char *flag;	/* long option, NULL if file only */
	int short_opt;		/* 0 if none */
	enum key_type type;
	size_t offset;
	double min, max;	/* numeric range */
	uint64_t align;		/* K_SIZE: must be a multiple (0: any) */
	bool zero_ok;		/* 0 allowed outside [min, max] ("off") */
};

#define OFF(f) offsetof(struct daqd_config, f)

static const struct key_desc keys[] = {
	{ "device", "device", "device", 'd', K_STR, OFF(device), 0, 0, 0, false },
	{ "device", "ring_size", "ring-size", 0, K_SIZE, OFF(ring_size),
	  64.0 * 1024, 16.0 * 1024 * 1024 * 1024, 4096, false },
	{ "device", "policy", "policy", 0, K_POLICY, OFF(policy), 0, 0, 0, false },
	{ "device", "irq_threshold", "irq-threshold", 0, K_SIZE, OFF(irq_threshold),
	  1, 1024.0 * 1024 * 1024, 0, true },
	{ "device", "irq_timeout_us", "irq-timeout", 0, K_U32, OFF(irq_timeout_us),
	  1, 10000000, 0, true },
	{ "device", "frame_samples", "frame-samples", 0, K_U32, OFF(frame_samples),
	  1, 1048576, 0, true },
	{ "acquisition", "rate", "rate", 'r', K_U32, OFF(rate), 1, 1e9, 0, true },
	{ "acquisition", "channels", "channels", 'c', K_U32, OFF(channels), 1, 32, 0, false },
	{ "acquisition", "format", "format", 0, K_FORMAT, OFF(format), 0, 0, 0, false },
	{ "acquisition", "test_pattern", "test-pattern", 't', K_BOOL, OFF(test_pattern), 0, 0, 0, false },
	{ "acquisition", "freerun", "freerun", 0, K_BOOL, OFF(freerun), 0, 0, 0, false },
	{ "acquisition", "duration", "duration", 'D', K_SECONDS, OFF(duration), 0, 1e9, 0, false },
	{ "output", "dir", "output", 'o', K_PATH, OFF(output_dir), 0, 0, 0, false },
	{ "output", "prefix", "prefix", 0, K_NAME, OFF(prefix), 0, 0, 0, false },
	{ "output", "stdout", "stdout", 0, K_BOOL, OFF(to_stdout), 0, 0, 0, false },
	{ "output", "rotate_size", "rotate-size", 0, K_SIZE, OFF(rotate_size),
	  4096, 1e18, 0, true },
	{ "output", "rotate_time", "rotate-time", 0, K_SECONDS, OFF(rotate_time), 0.1, 1e9, 0, true },
	{ "output", "flush_interval", "flush-interval", 0, K_SECONDS, OFF(flush_interval),
	  0.01, 3600, 0, false },
	{ "output", "fsync", "fsync", 0, K_BOOL, OFF(fsync), 0, 0, 0, false },
	{ "network", "listen", "listen", 0, K_LISTEN, OFF(listen), 0, 0, 0, false },
	{ "network", "max_clients", "max-clients", 0, K_U32, OFF(max_clients), 1, 1024, 0, false },
	{ "control", "socket", "socket", 0, K_SOCKET, OFF(socket_path), 0, 0, 0, false },
	{ "control", "group", "socket-group", 0, K_GROUP, OFF(socket_group), 0, 0, 0, false },
	{ "daemon", "user", "user", 'u', K_USER, OFF(user), 0, 0, 0, false },
	{ "daemon", "group", "group", 'g', K_GROUP, OFF(group), 0, 0, 0, false },
	{ "daemon", "quiet", "quiet", 'q', K_BOOL, OFF(quiet), 0, 0, 0, false },
	{ "daemon", "status_interval", "status-interval", 0, K_SECONDS, OFF(status_interval),
	  0.1, 86400, 0, true },
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static void errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int set_str(char **slot, const char *value)
{
	char *copy = strdup(value);

	if (!copy)
		return -ENOMEM;
	free(*slot);
	*slot = copy;
	return 0;
}

int daqd_config_defaults(struct daqd_config *cfg)
{
	char sock[108];

	memset(cfg, 0, sizeof(*cfg));
	cfg->ring_size = 16u * 1024 * 1024;
	cfg->policy = UDAQ_POLICY_STOP;
	cfg->rate = 1000000;
	cfg->channels = 4;
	cfg->duration = 0;
	cfg->flush_interval = 1.0;
	cfg->status_interval = 10.0;
	daqd_default_socket_path(sock, sizeof(sock));
	if (set_str(&cfg->device, "sim") || set_str(&cfg->format, "ri16_le") ||
	    set_str(&cfg->prefix, "daqd") || set_str(&cfg->socket_path, sock)) {
		daqd_config_free(cfg);
		return -ENOMEM;
	}
	return 0;
}

void daqd_config_free(struct daqd_config *cfg)
{
	free(cfg->device);
	free(cfg->format);
	free(cfg->output_dir);
	free(cfg->prefix);
	free(cfg->socket_path);
	free(cfg->socket_group);
	free(cfg->listen);
	free(cfg->user);
	free(cfg->group);
	for (size_t i = 0; i < cfg->ntriggers; i++)
		free(cfg->triggers[i].dir);
	memset(cfg, 0, sizeof(*cfg));
}

/*
 * Length of the decimal number at @s: digits, an optional fraction, an
 * optional exponent ("2.5", ".5", "1e6"); 0 if there is none. strtod()
 * alone would also take hexadecimal ("0x10" is 16), "inf" and "nan".
 */
static size_t decimal_len(const char *s)
{
	size_t whole = strspn(s, "0123456789"), frac = 0, i = whole;

	if (s[i] == '.') {
		frac = strspn(s + i + 1, "0123456789");
		i += 1 + frac;
	}
	if (!whole && !frac)
		return 0;
	if (s[i] == 'e' || s[i] == 'E') {
		size_t j = i + 1 + (s[i + 1] == '+' || s[i + 1] == '-');
		size_t exp = strspn(s + j, "0123456789");

		if (!exp)
			return 0;
		i = j + exp;
	}
	return i;
}

/*
 * The one number parser of the settings: a non-negative decimal number
 * with an optional suffix from @suffixes, multiplied by its @mults entry.
 * -EINVAL for anything else.
 */
static int parse_scaled(const char *s, const char *suffixes, const double *mults,
			double *out)
{
	size_t n = decimal_len(s);
	const char *end = s + n;
	double v;

	if (!n)
		return -EINVAL;
	errno = 0;
	v = strtod(s, NULL);
	if (errno || !isfinite(v))
		return -EINVAL;
	if (*end) {
		const char *p = strchr(suffixes, *end);

		if (!p || end[1])
			return -EINVAL;
		v *= mults[p - suffixes];
	}
	*out = v;
	return 0;
}

static int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "1", "yes", "true", "on" };
	static const char *const no[] = { "0", "no", "false", "off" };

	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

static const char *range_text(const struct key_desc *k, char *buf, size_t len,
			      const char *unit)
{
	snprintf(buf, len, "%s%.15g..%.15g%s",
		 !k->zero_ok ? "" : k->offset == OFF(rate) ? "0 (free-run) or " : "0 (off) or ",
		 k->min, k->max, unit);
	return buf;
}

static int set_number(const struct key_desc *k, void *slot, const char *value,
		      char *err, size_t errlen)
{
	static const double dec[] = { 1e3, 1e3, 1e6, 1e9 };
	static const double bin[] = { 1024.0, 1024.0, 1048576.0, 1073741824.0,
				      1099511627776.0 };
	static const double sec[] = { 1, 1e-3, 60, 3600, 86400 };
	char range[96];
	double v;
	int ret;

	switch (k->type) {
	case K_U32:
		ret = parse_scaled(value, "kKMG", dec, &v);
		if (ret == 0 && v != floor(v))
			ret = -EINVAL;
		if (ret) {
			errf(err, errlen, "%s '%s': expected a whole number %s, in decimal (suffix k, M, G allowed)",
			     k->key, value, range_text(k, range, sizeof(range), ""));
			return ret;
		}
		break;
	case K_SIZE:
		ret = parse_scaled(value, "kKMGT", bin, &v);
		if (ret == 0 && v != floor(v))
			ret = -EINVAL;
		if (ret) {
			errf(err, errlen, "%s '%s': expected a size in bytes %s, in decimal (suffix K, M, G, T allowed)",
			     k->key, value, range_text(k, range, sizeof(range), ""));
			return ret;
		}
		break;
	default: /* K_SECONDS */
		/* "ms" is the only two-letter suffix; map it to 'u' below. */
		{
			char tmp[64];
			size_t n = strlen(value);

			/* Cutting a longer value could drop its unit suffix. */
			ret = -EINVAL;
			if (n < sizeof(tmp)) {
				memcpy(tmp, value, n + 1);
				if (n >= 2 && !strcmp(tmp + n - 2, "ms")) {
					tmp[n - 2] = 'u';
					tmp[n - 1] = 0;
				}
				ret = parse_scaled(tmp, "sumhd", sec, &v);
			}
		}
		if (ret) {
			errf(err, errlen, "%s '%s': expected seconds %s, in decimal (suffix ms, s, m, h, d allowed)",
			     k->key, value, range_text(k, range, sizeof(range), ""));
			return ret;
		}
		break;
	}
	if (!(v == 0 && k->zero_ok) && (v < k->min || v > k->max)) {
		errf(err, errlen, "%s '%s': out of range, allowed %s", k->key, value,
		     range_text(k, range, sizeof(range), ""));
		return -EINVAL;
	}
	if (k->type == K_SIZE && k->align && fmod(v, (double)k->align) != 0) {
		errf(err, errlen, "%s '%s': must be a multiple of %llu bytes", k->key,
		     value, (unsigned long long)k->align);
		return -EINVAL;
	}
	switch (k->type) {
	case K_U32:
		*(uint32_t *)slot = (uint32_t)v;
		break;
	case K_SIZE:
		if (k->offset == OFF(irq_threshold))
			*(uint32_t *)slot = (uint32_t)v;
		else
			*(uint64_t *)slot = (uint64_t)v;
		break;
	default:
		*(double *)slot = v;
		break;
	}
	return 0;
}

static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64 || s[0] == '.' || s[0] == '-')
		return false;
	for (; *s; s++) {
		char c = *s;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/*
 * Every endpoint of a "listen" list must parse (nothing is resolved yet),
 * and none may be TCP port 0: the kernel would pick a port at random, and
 * clients of a daemon must know where to find it.
 */
static int check_listen(const struct key_desc *k, const char *value, char *err,
			size_t errlen)
{
	char *copy = strdup(value), *save = NULL, *tok;
	int ret = 0, n = 0;

	if (!copy)
		return -ENOMEM;
	/* The same split as daqd_net_new_list(): commas, leading blanks. */
	for (tok = strtok_r(copy, ",", &save); tok && !ret; tok = strtok_r(NULL, ",", &save)) {
		struct dqs_addr_parts p;
		char why[200];

		while (*tok == ' ')
			tok++;
		n++;
		if (dqs_addr_split(tok, &p, why, sizeof(why))) {
			errf(err, errlen, "%s '%s': %s", k->key, value, why);
			ret = -EINVAL;
		} else if (!p.is_unix && p.port == 0) {
			errf(err, errlen, "%s '%s': port 0 in '%s' would be a random port no client can find; give a port 1-65535",
			     k->key, value, tok);
			ret = -EINVAL;
		}
	}
	if (!ret && !n) {
		errf(err, errlen, "%s '%s': no endpoint (expected HOST:PORT or unix:PATH)",
		     k->key, value);
		ret = -EINVAL;
	}
	free(copy);
	return ret;
}

static int set_key(struct daqd_config *cfg, const struct key_desc *k,
		   const char *value, char *err, size_t errlen)
{
	void *slot = (char *)cfg + k->offset;
	bool b;

	switch (k->type) {
	case K_STR:
		if (!*value) {
			errf(err, errlen, "%s '': must not be empty", k->key);
			return -EINVAL;
		}
		return set_str(slot, value);
	case K_PATH:
		if (!*value) {
			errf(err, errlen, "%s '': expected a directory path", k->key);
			return -EINVAL;
		}
		return set_str(slot, value);
	case K_SOCKET:
		if (strlen(value) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
			errf(err, errlen, "%s '%s': path too long for a Unix socket (at most %zu bytes), or '' for none",
			     k->key, value, sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
			return -EINVAL;
		}
		return set_str(slot, value);
	case K_LISTEN: {
		int ret = check_listen(k, value, err, errlen);

		return ret ? ret : set_str(slot, value);
	}
	case K_NAME:
		if (!name_ok(value)) {
			errf(err, errlen, "%s '%s': expected 1-64 characters of A-Z a-z 0-9 . _ - (not starting with . or -)",
			     k->key, value);
			return -EINVAL;
		}
		return set_str(slot, value);
	case K_BOOL:
		if (parse_bool(value, &b)) {
			errf(err, errlen, "%s '%s': expected true/false, yes/no, on/off or 1/0",
			     k->key, value);
			return -EINVAL;
		}
		*(bool *)slot = b;
		return 0;
	case K_POLICY:
		if (!strcmp(value, "stop"))
			cfg->policy = UDAQ_POLICY_STOP;
		else if (!strcmp(value, "overwrite"))
			cfg->policy = UDAQ_POLICY_OVERWRITE;
		else {
			errf(err, errlen, "%s '%s': expected 'stop' (lossless) or 'overwrite'",
			     k->key, value);
			return -EINVAL;
		}
		return 0;
	case K_FORMAT:
		if (strcmp(value, "ri16_le") && strcmp(value, "int16")) {
			errf(err, errlen, "%s '%s': expected 'ri16_le' (int16 little-endian, the only format supported)",
			     k->key, value);
			return -EINVAL;
		}
		return set_str(slot, "ri16_le");
	case K_USER:
		if (!*value || !getpwnam(value)) {
			errf(err, errlen, "%s '%s': no such user", k->key, value);
			return -EINVAL;
		}
		return set_str(slot, value);
	case K_GROUP:
		if (!*value || !getgrnam(value)) {
			errf(err, errlen, "%s '%s': no such group", k->key, value);
			return -EINVAL;
		}
		return set_str(slot, value);
	default: {
		int ret = set_number(k, slot, value, err, errlen);

		if (!ret && k->offset == OFF(rate))
			cfg->rate_given = true;
		return ret;
	}
	}
}

int daqd_config_set(struct daqd_config *cfg, const char *section,
		    const char *key, const char *value, char *err, size_t errlen)
{
	for (size_t i = 0; i < NKEYS; i++) {
		if (strcmp(keys[i].key, key))
			continue;
		if (section && strcmp(keys[i].section, section))
			continue;
		return set_key(cfg, &keys[i], value, err, errlen);
	}
	if (section)
		errf(err, errlen, "unknown key '%s' in section [%s]", key, section);
	else
		errf(err, errlen, "unknown key '%s'", key);
	return -ENOENT;
}


/* ---- [trigger] sections and --trigger (docs/triggers.md) ---------------- */

static const char *const trigger_keys[] = { /* bit k of daqd_trigger_cfg.seen */
	"name", "channel", "condition", "level", "level2", "hysteresis", "pre", "post",
	"holdoff", "max_rate", "mode", "dir",
};

#define NTRIGGER_KEYS	(sizeof(trigger_keys) / sizeof(trigger_keys[0]))

struct daqd_trigger_cfg *daqd_config_add_trigger(struct daqd_config *cfg, char *err,
						 size_t errlen)
{
	struct daqd_trigger_cfg *t;

	if (cfg->ntriggers == DAQD_MAX_TRIGGERS) {
		errf(err, errlen, "too many triggers (at most %d)", DAQD_MAX_TRIGGERS);
		return NULL;
	}
	t = &cfg->triggers[cfg->ntriggers++];
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "trigger%zu", cfg->ntriggers);
	t->cond = DAQD_TRIG_RISING;
	t->pre = 1000;
	t->post = 1000;
	return t;
}

/* A signed whole number within [@min, @max]. */
static int parse_int(const char *s, long min, long max, int32_t *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max || isspace((unsigned char)*s))
		return -EINVAL;
	*out = (int32_t)v;
	return 0;
}

int daqd_config_set_trigger(struct daqd_trigger_cfg *t, const char *key, const char *value,
			    char *err, size_t errlen)
{
	static const double dec[] = { 1e3, 1e3, 1e6, 1e9 };
	size_t k;
	double v;
	int32_t i32;

	for (k = 0; k < NTRIGGER_KEYS; k++)
		if (!strcmp(trigger_keys[k], key))
			break;
	if (k == NTRIGGER_KEYS) {
		errf(err, errlen, "unknown trigger key '%s' (known: name, channel, condition, level, level2, hysteresis, pre, post, holdoff, max_rate, mode, dir)",
		     key);
		return -ENOENT;
	}
	if (t->seen & (1u << k)) {
		errf(err, errlen, "%s is set twice in one trigger", key);
		return -EINVAL;
	}
	t->seen |= 1u << k;
	if (!strcmp(key, "name")) {
		if (!name_ok(value) || strlen(value) >= 32 || !strcmp(value, "sigmf") ||
		    !strcmp(value, "stdout") || !strcmp(value, "net")) {
			errf(err, errlen, "name '%s': expected 1-31 characters of A-Z a-z 0-9 . _ - (not starting with . or -), other than sigmf, stdout and net (the other sinks' names)",
			     value);
			return -EINVAL;
		}
		snprintf(t->name, sizeof(t->name), "%s", value);
	} else if (!strcmp(key, "condition")) {
		if (daqd_trig_cond_parse(value, &t->cond)) {
			errf(err, errlen, "condition '%s': expected rising, falling, either, above, below, window-in or window-out",
			     value);
			return -EINVAL;
		}
	} else if (!strcmp(key, "mode")) {
		if (strcmp(value, "normal") && strcmp(value, "single")) {
			errf(err, errlen, "mode '%s': expected normal (every event) or single (the first, then stop)",
			     value);
			return -EINVAL;
		}
		t->single = !strcmp(value, "single");
	} else if (!strcmp(key, "dir")) {
		if (!*value) {
			errf(err, errlen, "dir '': expected a directory path");
			return -EINVAL;
		}
		return set_str(&t->dir, value);
	} else if (!strcmp(key, "level") || !strcmp(key, "level2") ||
		   !strcmp(key, "hysteresis")) {
		bool hyst = !strcmp(key, "hysteresis");

		if (parse_int(value, hyst ? 0 : -32768, 32767, &i32)) {
			errf(err, errlen, "%s '%s': expected a whole number %s (raw int16 sample units)",
			     key, value, hyst ? "0..32767" : "-32768..32767");
			return -EINVAL;
		}
		*(!strcmp(key, "level") ? &t->level : hyst ? &t->hysteresis : &t->level2) = i32;
		if (!strcmp(key, "level2"))
			t->has_level2 = true;
	} else if (!strcmp(key, "max_rate")) {
		if (parse_scaled(value, "kKMG", dec, &v) || v > 1e9) {
			errf(err, errlen, "max_rate '%s': expected events per second 0 (unlimited) or up to 1e9, in decimal",
			     value);
			return -EINVAL;
		}
		t->max_rate = v;
	} else {
		/* channel, pre, post, holdoff: whole numbers (k, M, G allowed) */
		bool chan = !strcmp(key, "channel");
		double max = chan ? 31 : 1e12;

		if (parse_scaled(value, "kKMG", dec, &v) || v != floor(v) || v > max ||
		    (!strcmp(key, "post") && v < 1)) {
			errf(err, errlen, "%s '%s': expected a whole number %s, in decimal (suffix k, M, G allowed)",
			     key, value, chan ? "0..31" : !strcmp(key, "post") ? "1..1e12 (samples)" :
			     "0..1e12 (samples)");
			return -EINVAL;
		}
		if (chan)
			t->channel = (uint32_t)v;
		else
			*(!strcmp(key, "pre") ? &t->pre : !strcmp(key, "post") ? &t->post :
			  &t->holdoff) = (uint64_t)v;
	}
	return 0;
}

/*
 * --trigger KEY=VALUE,KEY=VALUE,...: one trigger per flag, the keys of a
 * [trigger] section.
 */
static int parse_trigger_flag(struct daqd_config *cfg, const char *spec, char *err,
			      size_t errlen)
{
	struct daqd_trigger_cfg *t = daqd_config_add_trigger(cfg, err, errlen);
	char *copy, *save = NULL, *tok;
	char msg[224];
	int ret = 0;

	if (!t)
		return -EINVAL;
	copy = strdup(spec);
	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok && !ret; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');

		if (!eq) {
			errf(err, errlen, "--trigger '%s': '%s' is not KEY=VALUE", spec, tok);
			ret = -EINVAL;
			break;
		}
		*eq = '\0';
		ret = daqd_config_set_trigger(t, tok, eq + 1, msg, sizeof(msg));
		if (ret) {
			errf(err, errlen, "--trigger: %s", msg);
			ret = ret == -ENOMEM ? ret : -EINVAL;
		}
	}
	free(copy);
	return ret;
}

/* Cross-field checks of every trigger (channels, directory, names, ranges). */
static int check_triggers(const struct daqd_config *cfg, char *err, size_t errlen)
{
	for (size_t i = 0; i < cfg->ntriggers; i++) {
		const struct daqd_trigger_cfg *t = &cfg->triggers[i];
		char why[200];

		if (t->channel >= cfg->channels) {
			errf(err, errlen, "trigger %s: channel %u, but only channels 0..%u are acquired",
			     t->name, t->channel, cfg->channels - 1);
			return -EINVAL;
		}
		if (!t->dir && !cfg->output_dir) {
			errf(err, errlen, "trigger %s: no directory for its events: give its dir or --output",
			     t->name);
			return -EINVAL;
		}
		if (daqd_trig_check(t->cond, t->level,
				    t->has_level2 ? t->level2 : t->level,
				    t->hysteresis, why, sizeof(why))) {
			errf(err, errlen, "trigger %s: %s", t->name, why);
			return -EINVAL;
		}
		if ((t->cond == DAQD_TRIG_WIN_IN || t->cond == DAQD_TRIG_WIN_OUT) &&
		    !t->has_level2) {
			errf(err, errlen, "trigger %s: condition %s needs level2 (the window is level..level2)",
			     t->name, daqd_trig_cond_name(t->cond));
			return -EINVAL;
		}
		if (t->max_rate > 0 && (cfg->freerun || !cfg->rate)) {
			errf(err, errlen, "trigger %s: max_rate needs a sample rate (it counts device time); free-running has none",
			     t->name);
			return -EINVAL;
		}
		for (size_t j = 0; j < i; j++) {
			if (!strcmp(cfg->triggers[j].name, t->name)) {
				errf(err, errlen, "two triggers are named %s", t->name);
				return -EINVAL;
			}
		}
	}
	return 0;
}

/*
 * inih reads a line into a fixed buffer (INI_MAX_LINE, 200 bytes) and
 * parses what does not fit as further lines: a long value would be cut
 * short, silently when the rest happens to look like a comment or a key.
 * So lines are read here. A "key = value" line longer than inih's buffer
 * is read whole and handed to inih as "key =" and a placeholder, and
 * ini_on_key() takes the value from here: values may be as long as in a
 * flag (up to LINE_MAX_LEN). A line that is longer still, a [section] or
 * key that does not fit, or a NUL byte (which would end the value early)
 * stops the parse and is reported.
 */
#define LINE_MAX_LEN	65535	/* characters, newline excluded */
#define LONG_VALUE	"\x01"	/* the placeholder (no config value holds \x01) */

struct line_reader {
	FILE *f;
	int line;
	int bad_line;		/* 1-based; 0: none */
	bool long_name;		/* a [section] or key longer than inih takes */
	bool nul;
	bool indented;
	char *long_value;	/* the value of the long line just read, or NULL */
	size_t trigger_sections;	/* "[trigger]" headers read so far */
};

struct load_state {
	struct daqd_config *cfg;
	struct line_reader *lr;	/* holds the value of a long line */
	char msg[256];
	int ret;
	bool seen[NKEYS];	/* a key set twice is an error, not "last wins" */
	size_t trigger_base;	/* triggers set before this file (flags) */
};

static int key_index(const char *section, const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (!strcmp(keys[i].section, section) && !strcmp(keys[i].key, name))
			return (int)i;
	return -1;
}

/* "device, acquisition, ...": every section of keys[], once each. */
static void known_sections(char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < NKEYS; i++) {
		if (i && !strcmp(keys[i - 1].section, keys[i].section))
			continue;
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s",
					 used ? ", " : "", keys[i].section);
	}
}

static bool section_known(const char *section)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (!strcmp(keys[i].section, section))
			return true;
	return false;
}

static int ini_on_key(void *user, const char *section, const char *name,
		       const char *value)
{
	struct load_state *st = user;
	char msg[224];
	int ret, idx;

	if (st->ret)
		return 1;	/* report the first error only */
	if (!section[0]) {
		snprintf(st->msg, sizeof(st->msg),
			 "key '%s' before any [section] (is this a daqd config file?)", name);
		st->ret = -EINVAL;
		return 0;
	}
	if (!strcmp(section, "trigger")) {
		struct daqd_config *cfg = st->cfg;

		while (!st->ret && cfg->ntriggers - st->trigger_base < st->lr->trigger_sections)
			if (!daqd_config_add_trigger(cfg, msg, sizeof(msg))) {
				snprintf(st->msg, sizeof(st->msg), "[trigger] %s", msg);
				st->ret = -EINVAL;
				return 0;
			}
		if (st->lr->long_value && !strcmp(value, LONG_VALUE))
			value = st->lr->long_value;
		ret = daqd_config_set_trigger(&cfg->triggers[cfg->ntriggers - 1], name, value,
					      msg, sizeof(msg));
		if (value == st->lr->long_value) {
			free(st->lr->long_value);
			st->lr->long_value = NULL;
		}
		if (ret) {
			snprintf(st->msg, sizeof(st->msg), "[trigger] %s", msg);
			st->ret = ret == -ENOMEM ? ret : -EINVAL;
			return 0;
		}
		return 1;
	}
	if (!section_known(section)) {
		char known[128];

		known_sections(known, sizeof(known));
		snprintf(st->msg, sizeof(st->msg), "unknown section [%s] (known: %s, trigger)",
			 section, known);
		st->ret = -EINVAL;
		return 0;
	}
	idx = key_index(section, name);
	if (idx >= 0 && st->seen[idx]) {
		snprintf(st->msg, sizeof(st->msg), "[%s] %s is set twice", section, name);
		st->ret = -EINVAL;
		return 0;
	}
	if (idx >= 0)
		st->seen[idx] = true;
	if (st->lr->long_value && !strcmp(value, LONG_VALUE))
		value = st->lr->long_value;
	ret = daqd_config_set(st->cfg, section, name, value, msg, sizeof(msg));
	if (value == st->lr->long_value) {
		/* Used once: a later short line's own value is never replaced. */
		free(st->lr->long_value);
		st->lr->long_value = NULL;
	}
	if (ret) {
		snprintf(st->msg, sizeof(st->msg), "[%s] %s", section, msg);
		st->ret = ret == -ENOMEM ? ret : -EINVAL;
		return 0;
	}
	return 1;
}

/*
 * inih takes an indented line after a key as more of that key's value
 * (and calls the handler with the key's name again), so "  prefix = x"
 * under "dir = /data" would set dir to "prefix = x". Such lines are
 * refused; blank and comment lines may be indented.
 */
static bool indented_content(const char *line)
{
	const char *p = line;

	if (*p != ' ' && *p != '\t')
		return false;
	while (*p == ' ' || *p == '\t' || *p == '\r')
		p++;
	return *p && *p != '\n' && *p != ';' && *p != '#';
}

/*
 * inih's find_chars_or_comment(): the first of @chars, or of an inline
 * comment (';' after a blank), or the end.
 */
static char *find_chars_or_comment(char *s, const char *chars)
{
	bool was_space = false;

	while (*s && (!chars || !strchr(chars, *s)) && !(was_space && *s == ';')) {
		was_space = isspace((unsigned char)*s);
		s++;
	}
	return s;
}

/*
 * The rest of a line that does not fit inih's buffer (@have bytes of it in
 * @str, of size @num). A long comment becomes an empty line; a long
 * "key = value" becomes "key =" LONG_VALUE, its value (trimmed and cut at
 * an inline comment, as inih does) kept in @lr->long_value; a line with no
 * separator goes to inih cut short, which reports the syntax error.
 * Return: false (@lr->bad_line set) for a line inih cannot be given.
 */
static bool long_line(struct line_reader *lr, char *str, size_t have, size_t num)
{
	size_t len = have, cap = have + 4096;
	char *buf = malloc(cap), *p, *sep, *v, *end;
	int ch;

	if (!buf)
		return false;
	memcpy(buf, str, have);
	while ((ch = getc(lr->f)) != EOF && ch != '\n') {
		if (len == LINE_MAX_LEN) {
			goto bad;
		}
		if (len + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb)
				goto bad;
			buf = nb;
			cap *= 2;
		}
		buf[len++] = (char)ch;
	}
	buf[len] = '\0';
	if (memchr(buf, '\0', len)) {
		lr->nul = true;
		goto bad;
	}
	p = buf + strspn(buf, " \t");
	if (*p == ';' || *p == '#') {
		strcpy(str, "\n");
		free(buf);
		return true;
	}
	sep = find_chars_or_comment(p, "=:");
	if (*p == '[' || (*sep && (size_t)(sep - buf) + 3 >= num)) {
		lr->long_name = true;
		goto bad;
	}
	if (!*sep || *sep == ';') {
		memcpy(str, buf, num - 2);
		strcpy(str + num - 2, "\n");
		free(buf);
		return true;
	}
	v = sep + 1 + strspn(sep + 1, " \t\r\n\v\f");
	end = find_chars_or_comment(v, NULL);
	while (end > v && isspace((unsigned char)end[-1]))
		end--;
	*end = '\0';
	free(lr->long_value);
	lr->long_value = strdup(v);
	if (!lr->long_value)
		goto bad;
	memcpy(str, buf, (size_t)(sep - buf) + 1);
	strcpy(str + (sep - buf) + 1, LONG_VALUE "\n");
	free(buf);
	return true;
bad:
	lr->bad_line = lr->line;
	free(buf);
	return false;
}

static char *read_line(char *str, int num, void *stream)
{
	struct line_reader *lr = stream;
	int i = 0, ch = EOF;

	if (lr->bad_line || num < 2)
		return NULL;
	while (i < num - 1 && (ch = getc(lr->f)) != EOF) {
		str[i++] = (char)ch;
		if (ch == '\n')
			break;
	}
	if (i == 0)
		return NULL;
	lr->line++;
	str[i] = '\0';
	if (memchr(str, '\0', (size_t)i)) {
		lr->nul = true;
		lr->bad_line = lr->line;
		return NULL;
	}
	if (indented_content(str)) {
		lr->indented = true;
		lr->bad_line = lr->line;
		return NULL;
	}
	/* Each [trigger] header starts another trigger (inih merges them). */
	if (!strncmp(str, "[trigger]", 9))
		lr->trigger_sections++;
	if (i == num - 1 && str[i - 1] != '\n') {
		/* The buffer is full: fine if the line ends right here. */
		ch = getc(lr->f);
		if (ch != EOF && ch != '\n') {
			ungetc(ch, lr->f);
			return long_line(lr, str, (size_t)i, (size_t)num) ? str : NULL;
		}
	}
	return str;
}

int daqd_config_load(struct daqd_config *cfg, const char *path,
		     char *err, size_t errlen)
{
	struct load_state st = { .cfg = cfg };
	struct line_reader lr = { 0 };
	FILE *f = fopen(path, "re");
	int line;

	if (!f) {
		int e = errno;

		errf(err, errlen, "config file '%s': %s", path, strerror(e));
		return -e;
	}
	{
		struct stat sb;

		if (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
			errf(err, errlen, "config file '%s': is a directory", path);
			fclose(f);
			return -EINVAL;
		}
	}
	lr.f = f;
	st.lr = &lr;
	st.trigger_base = cfg->ntriggers;
	line = ini_parse_stream(read_line, &lr, ini_on_key, &st);
	fclose(f);
	free(lr.long_value);
	if (st.ret) {
		errf(err, errlen, "%s:%d: %s", path, line, st.msg);
		return st.ret;
	}
	if (lr.bad_line) {
		if (lr.nul)
			errf(err, errlen, "%s:%d: line contains a NUL byte", path, lr.bad_line);
		else if (lr.indented)
			errf(err, errlen, "%s:%d: indented line: INI would read it as more of the previous value; remove the indentation",
			     path, lr.bad_line);
		else if (lr.long_name)
			errf(err, errlen, "%s:%d: [section] or key name too long",
			     path, lr.bad_line);
		else
			errf(err, errlen, "%s:%d: line too long (at most %d characters)",
			     path, lr.bad_line, LINE_MAX_LEN);
		return -EINVAL;
	}
	if (line) {
		errf(err, errlen, "%s:%d: syntax error (expected [section] or key = value)",
		     path, line);
		return -EINVAL;
	}
	return 0;
}

/*
 * Long options are built from the table; ids from OPT_KEY index keys[],
 * from OPT_NO_KEY the "--no-FLAG" form of a boolean (so that a flag can
 * undo what the file set).
 */
enum {
	OPT_KEY = 256,
	OPT_NO_KEY = 512,
	OPT_CONFIG = 1000,
	OPT_TRIGGER,
	OPT_HELP,
	OPT_VERSION,
};

#define NEG_NAME_LEN	40

static void build_options(struct option *opts, char *shortopts,
			  char (*neg)[NEG_NAME_LEN])
{
	size_t n = 0;
	char *s = shortopts;

	*s++ = ':';	/* report a missing argument as ':' */
	for (size_t i = 0; i < NKEYS; i++) {
		if (!keys[i].flag)
			continue;
		opts[n].name = keys[i].flag;
		opts[n].has_arg = keys[i].type == K_BOOL ? no_argument : required_argument;
		opts[n].flag = NULL;
		opts[n].val = keys[i].short_opt ? keys[i].short_opt : OPT_KEY + (int)i;
		n++;
		if (keys[i].type == K_BOOL) {
			snprintf(neg[i], NEG_NAME_LEN, "no-%s", keys[i].flag);
			opts[n++] = (struct option){ neg[i], no_argument, NULL,
						     OPT_NO_KEY + (int)i };
		}
		if (keys[i].short_opt) {
			*s++ = (char)keys[i].short_opt;
			if (keys[i].type != K_BOOL)
				*s++ = ':';
		}
	}
	opts[n++] = (struct option){ "config", required_argument, NULL, OPT_CONFIG };
	opts[n++] = (struct option){ "trigger", required_argument, NULL, OPT_TRIGGER };
	opts[n++] = (struct option){ "help", no_argument, NULL, OPT_HELP };
	opts[n++] = (struct option){ "version", no_argument, NULL, OPT_VERSION };
	opts[n] = (struct option){ 0 };
	*s++ = 'h';
	*s = 0;
}

static const struct key_desc *key_for_opt(int c)
{
	if (c >= OPT_KEY && c < OPT_KEY + (int)NKEYS)
		return &keys[c - OPT_KEY];
	if (c >= OPT_NO_KEY && c < OPT_NO_KEY + (int)NKEYS)
		return &keys[c - OPT_NO_KEY];
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].short_opt && keys[i].short_opt == c)
			return &keys[i];
	return NULL;
}

static const char *flag_name(int c, int longindex, const struct option *opts,
			     char *buf, size_t len)
{
	if (longindex >= 0)
		snprintf(buf, len, "--%s", opts[longindex].name);
	else
		snprintf(buf, len, "-%c", c);
	return buf;
}

/*
 * getopt_long() takes any unambiguous prefix ("--rat 5") and reports
 * "--test-pattern=no" as an unknown '-t'. Long flags are checked here
 * first: whole names only, and no value for a flag that takes none.
 */
static int check_long_flags(int argc, char **argv, const struct option *opts,
			    char *err, size_t errlen)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *eq;
		const struct option *o = NULL;
		size_t len;

		if (!strcmp(a, "--"))
			break;
		if (strncmp(a, "--", 2) || !a[2])
			continue;
		eq = strchr(a + 2, '=');
		len = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
		for (const struct option *p = opts; p->name; p++)
			if (strlen(p->name) == len && !strncmp(p->name, a + 2, len))
				o = p;
		if (!o) {
			errf(err, errlen, "unknown flag '%.*s' (try --help)", (int)(len + 2), a);
			return -EINVAL;
		}
		if (eq && o->has_arg == no_argument) {
			/* The on/off flag's own name, whichever form was given. */
			const char *base = strncmp(o->name, "no-", 3) ? o->name : o->name + 3;

			errf(err, errlen, "flag '--%s' takes no value (--%s, or --no-%s to turn it off)",
			     o->name, base, base);
			return -EINVAL;
		}
		if (!eq && o->has_arg == required_argument)
			i++;	/* its value, whatever it looks like */
	}
	return 0;
}

int daqd_config_parse_args(struct daqd_config *cfg, int argc, char **argv,
			   char *err, size_t errlen)
{
	struct option opts[2 * NKEYS + 5];
	char shortopts[2 * NKEYS + 4];
	char neg[NKEYS][NEG_NAME_LEN];
	const char *config_file = NULL;
	int pass, c, longindex, ret;

	build_options(opts, shortopts, neg);
	ret = check_long_flags(argc, argv, opts, err, errlen);
	if (ret)
		return ret;
	/* Pass 0 finds --config and --help; pass 1 applies flags over the file. */
	for (pass = 0; pass < 2; pass++) {
		optind = 0;
		opterr = 0;
		for (;;) {
			char name[64], msg[256];
			const struct key_desc *k;

			longindex = -1;
			c = getopt_long(argc, argv, shortopts, opts, &longindex);
			if (c == -1)
				break;
			if (c == '?') {
				if (optopt && optopt < 256)
					errf(err, errlen, "unknown flag '-%c' (try --help)", optopt);
				else
					errf(err, errlen, "unknown flag '%s' (try --help)",
					     argv[optind - 1]);
				return -EINVAL;
			}
			if (c == ':') {
				errf(err, errlen, "flag '%s' needs a value (try --help)",
				     argv[optind - 1]);
				return -EINVAL;
			}
			if (c == OPT_HELP || c == 'h') {
				fputs(daqd_usage(), stdout);
				return 1;
			}
			if (c == OPT_VERSION) {
				printf("daqd %s\n", DAQD_VERSION);
				return 1;
			}
			if (c == OPT_CONFIG) {
				config_file = optarg;
				continue;
			}
			if (pass == 0)
				continue;
			if (c == OPT_TRIGGER) {
				ret = parse_trigger_flag(cfg, optarg, err, errlen);
				if (ret)
					return ret;
				continue;
			}
			k = key_for_opt(c);
			if (!k)
				continue;
			ret = set_key(cfg, k, k->type != K_BOOL ? optarg :
				      c >= OPT_NO_KEY && c < OPT_NO_KEY + (int)NKEYS ? "false" : "true",
				      msg, sizeof(msg));
			if (ret) {
				/* Name the flag rather than the INI key. */
				const char *rest = strchr(msg, ' ');

				errf(err, errlen, "%s%s",
				     flag_name(c, longindex, opts, name, sizeof(name)),
				     rest ? rest : "");
				return ret == -ENOMEM ? ret : -EINVAL;
			}
		}
		if (optind < argc) {
			errf(err, errlen, "unexpected argument '%s' (daqd takes only flags; try --help)",
			     argv[optind]);
			return -EINVAL;
		}
		if (pass == 0 && config_file) {
			ret = daqd_config_load(cfg, config_file, err, errlen);
			if (ret)
				return ret;
		}
	}
	return 0;
}

int daqd_config_check(const struct daqd_config *cfg, char *err, size_t errlen)
{
	if (!cfg->output_dir && !cfg->to_stdout && !cfg->listen && !cfg->ntriggers) {
		errf(err, errlen, "nothing to record to: give --output DIR ([output] dir), --stdout, --listen and/or --trigger");
		return -EINVAL;
	}
	if ((cfg->rotate_size || cfg->rotate_time) && !cfg->output_dir) {
		errf(err, errlen, "rotate_size/rotate_time need an output directory (--output)");
		return -EINVAL;
	}
	if (cfg->freerun && cfg->rate && cfg->rate_given) {
		errf(err, errlen, "freerun: the device produces as fast as it can and ignores the rate, so rate %u contradicts it; drop the rate (or set rate 0, which is free-run) or freerun",
		     cfg->rate);
		return -EINVAL;
	}
	/*
	 * With a rate the duration is a sample count, and 0 samples means no
	 * limit: a duration below half a sample would run for ever.
	 */
	if (cfg->duration > 0 && cfg->rate && !cfg->freerun &&
	    cfg->duration * cfg->rate < 0.5) {
		errf(err, errlen, "duration %g s is less than one sample at %u Hz", cfg->duration,
		     cfg->rate);
		return -EINVAL;
	}
	if (check_triggers(cfg, err, errlen))
		return -EINVAL;
	if (cfg->group && !cfg->user) {
		errf(err, errlen, "group '%s' given without user: daqd drops privileges only with --user",
		     cfg->group);
		return -EINVAL;
	}
	return 0;
}

const char *daqd_usage(void)
{
	return
"Usage: daqd [FLAGS]\n"
"Acquire from a DAQ device (the simulated refdaq by default) and record.\n"
"\n"
"  -d, --device SPEC       sim[:opts], /dev/uioN, uioN, PCI address or UIO name\n"
"  -r, --rate HZ           samples per second per channel (0: free-run)\n"
"  -c, --channels N        channels 0..N-1 (1-32)\n"
"  -t, --test-pattern      record the device's test pattern\n"
"      --freerun           produce as fast as possible (benchmarks)\n"
"  -D, --duration SECONDS  stop after this long (default: until stopped)\n"
"  -o, --output DIR        write SigMF recordings into DIR\n"
"      --stdout            write raw interleaved int16 LE samples to stdout\n"
"      --prefix NAME       recording file name prefix (default daqd)\n"
"      --rotate-size BYTES start a new file after this many sample bytes\n"
"      --rotate-time SECS  start a new file after this long\n"
"      --flush-interval S  refresh the metadata this often (default 1s)\n"
"      --fsync             fdatasync data before each metadata refresh\n"
"      --ring-size BYTES   simulator ring size (default 16M)\n"
"      --policy P          stop (lossless, default) or overwrite\n"
"      --irq-threshold B   bytes between data interrupts\n"
"      --irq-timeout US    interrupt when data waits this long\n"
"      --frame-samples N   samples per channel per frame\n"
"      --format F          ri16_le (the only one)\n"
"      --listen ADDRS      serve the stream to clients (daqcat): HOST:PORT,\n"
"                          :PORT (loopback), [V6]:PORT, unix:PATH; comma-separated\n"
"      --max-clients N     stream clients at once (default 64)\n"
"      --trigger K=V,...   a software trigger writing events as SigMF\n"
"                          (repeatable; keys of a [trigger] section:\n"
"                          channel, condition, level, level2, hysteresis,\n"
"                          pre, post, holdoff, max_rate, mode, name, dir)\n"
"      --socket PATH       control socket ('' for none)\n"
"      --socket-group G    group allowed to use the control socket\n"
"  -u, --user USER         drop to USER after opening the device\n"
"  -g, --group GROUP       and to GROUP (default: USER's group)\n"
"  -q, --quiet             no live status line, plain log lines only\n"
"      --status-interval S seconds between status log lines (0: off)\n"
"      --config FILE       read settings from an INI file (flags win)\n"
"  -h, --help              this text\n"
"      --version           print the version\n"
"Each on/off flag has a --no-FLAG form (e.g. --no-test-pattern) that turns\n"
"off what the config file turned on.\n"
"See daqd(8) / docs/daqd.md for the configuration keys.\n";
}
