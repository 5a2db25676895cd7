/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SigMF metadata for one recording file (docs/sigmf.md): the model the
 * recorder fills in as it writes samples, turned into JSON with json-c and
 * stored atomically (temporary file + rename) so that a reader, or a crash,
 * only ever sees a complete .sigmf-meta.
 */
#ifndef DAQD_SIGMF_H
#define DAQD_SIGMF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <json-c/json.h>

#define DAQD_SIGMF_VERSION	"1.2.0"

/* A capture segment: a run of samples with contiguous device indices. */
struct daqd_sigmf_capture {
	uint64_t sample_start;		/* offset in this file, samples */
	uint64_t global_index;		/* device sample index */
	struct timespec datetime;	/* wall clock of the first sample */
};

/* A discontinuity: @lost samples were dropped just before @sample_start. */
struct daqd_sigmf_gap {
	uint64_t sample_start;
	uint64_t lost;			/* device samples */
	uint64_t global_index;		/* first device index after the gap */
	uint64_t file_lost;		/* decimated: the kept samples that are missing */
};

struct daqd_sigmf_meta {
	/* global, constant for the file */
	const char *datatype;		/* "ri16_le" */
	uint32_t sample_rate;		/* the device's; 0: omitted (free-running) */
	uint32_t decimation;		/* > 1: one device sample in N kept (daqcat -d);
					 * the JSON is then in the file's samples */
	uint32_t num_channels;
	const char *hw;
	const char *recorder;		/* "daqd 0.1.0" */
	uint64_t acq_id;
	uint32_t file_index;		/* 0, 1, ... within the acquisition */
	uint64_t trailing_lost;		/* lost after the last sample (final file) */
	const char *stop_reason;	/* set: cut short (why); never "complete" */
	/* grown by the recorder */
	struct daqd_sigmf_capture *captures;
	size_t ncaptures, captures_cap;
	struct daqd_sigmf_gap *gaps;
	size_t ngaps, gaps_cap;
	/*
	 * More annotations (a json array the caller owns, or NULL): each
	 * element is added, as it is at the time of writing, to every
	 * metadata that describes its core:sample_start.
	 */
	struct json_object *extra_annotations;
};

/* Add a capture / a gap annotation. Return: 0 or -ENOMEM. */
int daqd_sigmf_add_capture(struct daqd_sigmf_meta *m, uint64_t sample_start,
			   uint64_t global_index, const struct timespec *when);
int daqd_sigmf_add_gap(struct daqd_sigmf_meta *m, uint64_t sample_start,
		       uint64_t lost, uint64_t global_index);
/* Free the arrays (not the strings, which the caller owns). */
void daqd_sigmf_meta_clear(struct daqd_sigmf_meta *m);

/*
 * daqd_sigmf_meta_json() - The metadata describing exactly the first
 * @nsamples samples of the data file: captures and annotations that start
 * at or beyond @nsamples are left out, "daqd:sample_count" says @nsamples.
 * @complete: the file is closed (false while it is still growing).
 * Return: a new json object, or NULL (no memory).
 */
struct json_object *daqd_sigmf_meta_json(const struct daqd_sigmf_meta *m,
					 uint64_t nsamples, bool complete);

/*
 * daqd_sigmf_write_meta() - Store @obj as @name in directory @dirfd,
 * atomically: write "@name.tmp", optionally fdatasync it, rename over
 * @name. If that fails for lack of space the old file is left untouched.
 * Return: 0 or -errno.
 */
int daqd_sigmf_write_meta(int dirfd, const char *name, struct json_object *obj,
			  bool sync);

/*
 * daqd_sigmf_rewrite_meta() - Overwrite the existing @name in place (no
 * new file, so no new blocks on a full disk while the text fits the
 * blocks the old one has). Not atomic: only the last resort when
 * daqd_sigmf_write_meta() fails with -ENOSPC or -EDQUOT.
 * Return: 0 or -errno.
 */
int daqd_sigmf_rewrite_meta(int dirfd, const char *name, struct json_object *obj);

/*
 * struct daqd_sigmf_file - one SigMF recording being written: the data
 * file and the metadata describing what it holds so far. The one writer
 * daqd's recorder and daqcat share.
 * @dirfd: the directory (the caller's; not closed here).
 * @data_fd: the .sigmf-data file, -1 while none is open.
 * @stem: file name without extension.
 * @meta: filled by the caller after daqd_sigmf_file_open().
 * @samples: samples (multi-channel) in the data file; the caller counts
 *           what it wrote.
 * @sync: fdatasync the data before every metadata update, and the
 *        metadata itself.
 * @last_flush: CLOCK_MONOTONIC time of the last metadata update.
 */
struct daqd_sigmf_file {
	int dirfd;
	int data_fd;
	char stem[160];
	struct daqd_sigmf_meta meta;
	uint64_t samples;
	bool sync;
	struct timespec last_flush;
};

/*
 * daqd_sigmf_file_open() - Create "@stem.sigmf-data" (never an existing
 * one) and start empty metadata for it.
 * Return: 0 or -errno.
 */
int daqd_sigmf_file_open(struct daqd_sigmf_file *f, const char *stem);

/*
 * daqd_sigmf_file_flush() - Store the metadata describing the samples
 * written so far (nothing if no file is open). On a full disk the final
 * (@complete) metadata is written over the old one in place.
 * Return: 0 or -errno.
 */
int daqd_sigmf_file_flush(struct daqd_sigmf_file *f, bool complete);

/*
 * daqd_sigmf_file_close() - Store the final metadata, close the data file,
 * free the metadata; a file that got no samples is removed, metadata and
 * all. Return: 0 or -errno (the file is closed anyway).
 */
int daqd_sigmf_file_close(struct daqd_sigmf_file *f);

/*
 * daqd_sigmf_sample_time() - Wall-clock time of device sample @index: from
 * @start (the time of sample 0) at @rate Hz, or, free-running (@rate 0),
 * @ts_ns (its frame's timestamp, ns since the start).
 */
struct timespec daqd_sigmf_sample_time(const struct timespec *start, uint32_t rate,
				       uint64_t index, uint64_t ts_ns);

/*
 * daqd_sigmf_format_datetime() - RFC 3339 UTC with microseconds,
 * "2026-11-25T06:48:00.123456Z". @len >= 32.
 */
void daqd_sigmf_format_datetime(const struct timespec *ts, char *buf, size_t len);

/*
 * Make the recordings in @dirfd whose names start with "@prefix-" readable
 * again after daqd (or daqcat) was killed: a SIGKILL can stop a write at a
 * page boundary, which is not a sample boundary unless the sample size
 * divides the page size, and can come between creating a data file and
 * writing its first metadata. Cuts a torn sample off a data file's end
 * (the bytes per sample from its metadata), removes an empty data file
 * (with its metadata, if any) and a metadata update left unrenamed. @note is told
 * each repair. A recording being written (its writer holds an flock() on
 * the data file from daqd_sigmf_file_open() to close) and anything that is
 * not a regular file with one link are left alone.
 * Returns how many, or -errno if the directory cannot be read.
 */
int daqd_sigmf_recover(int dirfd, const char *prefix,
		       void (*note)(const void *arg, const char *name, const char *what),
		       const void *arg);

#endif /* DAQD_SIGMF_H */
