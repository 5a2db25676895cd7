/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * daqd settings: defaults, the INI file (inih) and command-line flags, with
 * one table of keys so that the file and the flags validate identically and
 * every error names the key or flag, the value and what is allowed.
 */
#ifndef DAQD_CONFIG_H
#define DAQD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uio_daq/digitizer.h>

#include "sinks/trigger_scan.h"

#define DAQD_MAX_TRIGGERS	4

/*
 * One software trigger ([trigger] section or --trigger, docs/triggers.md).
 * Sample counts are per channel; levels in raw int16 units.
 */
struct daqd_trigger_cfg {
	char name[33];			/* unique; status, files, events */
	uint32_t channel;		/* source channel, < channels */
	enum daqd_trig_cond cond;
	int32_t level, level2;		/* level2: the window's other edge */
	bool has_level2;		/* level2 was given (else it is level) */
	int32_t hysteresis;
	uint64_t pre, post;		/* samples before / from the trigger */
	uint64_t holdoff;		/* samples after an event that fire nothing */
	double max_rate;		/* events per second, 0 = unlimited */
	bool single;			/* mode single: the first event, then stop */
	char *dir;			/* NULL: [output] dir */
	uint32_t seen;			/* keys set (bit per key): twice is an error */
};

struct daqd_config {
	/* [device] */
	char *device;			/* spec for udaq_dev_open() */
	uint64_t ring_size;		/* simulator ring, bytes */
	enum udaq_policy policy;
	uint32_t irq_threshold;		/* bytes, 0 = driver default */
	uint32_t irq_timeout_us;
	uint32_t frame_samples;		/* 0 = driver default */
	/* [acquisition] */
	uint32_t rate;			/* Hz per channel; 0 = free-run */
	bool rate_given;		/* @rate set by the file or a flag */
	uint32_t channels;
	char *format;			/* "ri16_le" */
	bool test_pattern;
	bool freerun;
	double duration;		/* seconds, 0 = until stopped */
	/* [output] */
	char *output_dir;		/* NULL: no recording */
	char *prefix;			/* file name prefix */
	bool to_stdout;
	uint64_t rotate_size;		/* bytes of samples per file, 0 = off */
	double rotate_time;		/* seconds per file, 0 = off */
	double flush_interval;		/* seconds between metadata refreshes */
	bool fsync;			/* fdatasync data before each meta */
	/* [network] (the stream sink, docs/stream-protocol.md) */
	char *listen;			/* "HOST:PORT,unix:PATH", NULL: off */
	uint32_t max_clients;		/* 0: the sink's default (64) */
	/* [control] */
	char *socket_path;		/* "" = no control socket */
	char *socket_group;
	/* [daemon] */
	char *user;			/* drop to after opening the device */
	char *group;
	bool quiet;
	double status_interval;		/* seconds between log lines */
	/* [trigger] sections and --trigger flags, in order */
	struct daqd_trigger_cfg triggers[DAQD_MAX_TRIGGERS];
	size_t ntriggers;
};

/* Where the INI was read from, for messages; NULL if none. */
struct daqd_cli {
	const char *config_file;
	bool help;
	bool version;
};

/* daqd_config_defaults() - fill @cfg with the defaults. Return 0/-ENOMEM. */
int daqd_config_defaults(struct daqd_config *cfg);
void daqd_config_free(struct daqd_config *cfg);

/*
 * daqd_config_set() - Set one key ("rate", "ring_size", ... the INI key
 * names) from text. On error writes "KEY 'VALUE': expected ..." (the
 * caller prefixes where it came from) into @err.
 * Return: 0, -EINVAL (bad value), -ENOENT (no such key), -ENOMEM.
 */
int daqd_config_set(struct daqd_config *cfg, const char *section,
		    const char *key, const char *value, char *err, size_t errlen);

/*
 * daqd_config_add_trigger() - Append a trigger with the defaults (named
 * "trigger1", ... until a name is set). Return: it, or NULL with @err
 * filled when DAQD_MAX_TRIGGERS are taken.
 */
struct daqd_trigger_cfg *daqd_config_add_trigger(struct daqd_config *cfg, char *err,
						 size_t errlen);

/*
 * daqd_config_set_trigger() - Set one [trigger] key of @t from text.
 * Return: 0, -EINVAL (bad value, set twice), -ENOENT (no such key), -ENOMEM.
 */
int daqd_config_set_trigger(struct daqd_trigger_cfg *t, const char *key, const char *value,
			    char *err, size_t errlen);

/*
 * daqd_config_load() - Read an INI file. Unknown sections or keys are
 * errors (a typo must not silently fall back to a default).
 * Return: 0 or -errno with @err filled ("FILE:LINE: ...").
 */
int daqd_config_load(struct daqd_config *cfg, const char *path,
		     char *err, size_t errlen);

/*
 * daqd_config_parse_args() - Apply argv: first finds --config (and loads
 * it), then applies every other flag on top so that flags win.
 * Return: 0; 1 if --help/--version was handled (exit 0); -EINVAL with @err
 * filled for a bad flag or value.
 */
int daqd_config_parse_args(struct daqd_config *cfg, int argc, char **argv,
			   char *err, size_t errlen);

/*
 * daqd_config_check() - Cross-field checks that need every value (e.g. at
 * least one output). Return 0 or -EINVAL with @err filled.
 */
int daqd_config_check(const struct daqd_config *cfg, char *err, size_t errlen);

/* daqd_usage() - the --help text. */
const char *daqd_usage(void);

#endif /* DAQD_CONFIG_H */
