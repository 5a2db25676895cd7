// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The SigMF recorder sink.
 *
 * Crash safety rests on one invariant: the .sigmf-meta on disk never
 * describes more samples than the .sigmf-data holds. Samples are written
 * first (whole samples only), the metadata is rewritten afterwards by
 * rename, and "daqd:sample_count" says how many samples it describes. A
 * SIGKILL therefore leaves a data file that is at least as long as its
 * metadata says, and every closed file is complete.
 */
#include "recorder.h"
#include "paths.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch.h"
#include "log.h"
#include "sigmf.h"

#define BATCH_BYTES	(4u << 20)	/* payload per writev(), bounds latency */
/*
 * Segments per file: the metadata is rewritten whole at every flush and at
 * every gap (the capture goes before its samples), so the I/O grows with
 * the square of the segments; a file with endless overflows rotates while
 * its metadata is still small (about 300 KiB).
 */
#define MAX_SEGMENTS	1000

struct recorder {
	struct daqd_sink base;
	const struct daqd_config *cfg;
	pthread_t thread;
	bool thread_running;
	struct udaq_reader *reader;
	char recorder_name[64];
	void *copy;			/* overwrite policy: stable copy of a batch */
	size_t copy_len;

	/* Data path state, touched only by the recorder thread. */
	struct daqd_sigmf_file out;	/* out.dirfd: the output directory */
	uint64_t file_bytes;
	uint32_t file_index;
	struct timespec file_opened;	/* CLOCK_MONOTONIC */
	uint64_t next_sample;		/* device index after the last one written */
	uint64_t counted_to;		/* status has counted every sample below it */
	char acq_stamp[40];		/* acquisition start, for file names */
	char stop_reason[256];		/* why the recording was cut short */

	/* Shown by status; guarded by lock (never held across I/O). */
	pthread_mutex_t lock;
	char cur_file[160];
	uint64_t files;
};

static struct recorder *to_rec(struct daqd_sink *s)
{
	return (struct recorder *)s;
}

static double elapsed(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - since->tv_sec) +
	       (double)(now.tv_nsec - since->tv_nsec) / 1e9;
}

static int close_file(struct recorder *r)
{
	int ret;

	if (r->out.data_fd < 0)
		return 0;
	ret = daqd_sigmf_file_close(&r->out);
	pthread_mutex_lock(&r->lock);
	r->cur_file[0] = 0;
	pthread_mutex_unlock(&r->lock);
	return ret;
}

/* Open the next file; its first capture starts at device index @first. */
static int open_file(struct recorder *r, uint64_t first, const struct timespec *when)
{
	const struct daqd_stream *st = r->base.stream;
	struct daqd_sigmf_meta *m = &r->out.meta;
	char stem[160], name[200];
	int ret;

	/* Acquisition start, then file number: names sort in time order. */
	snprintf(stem, sizeof(stem), "%s-%s-%06u", r->cfg->prefix,
		 r->acq_stamp, r->file_index);
	ret = daqd_sigmf_file_open(&r->out, stem);
	if (ret)
		return ret;
	daqd_sink_meta_init(m, st, r->recorder_name, r->file_index);
	r->file_bytes = 0;
	r->file_index++;
	clock_gettime(CLOCK_MONOTONIC, &r->file_opened);
	ret = daqd_sigmf_add_capture(m, 0, first, when);
	if (!ret)
		ret = daqd_sigmf_file_flush(&r->out, false);
	if (ret) {
		/*
		 * No room for its metadata (disk full): a data file without
		 * one would be unreadable, and nothing is in it yet.
		 */
		close(r->out.data_fd);
		r->out.data_fd = -1;
		snprintf(name, sizeof(name), "%s.sigmf-data", r->out.stem);
		unlinkat(r->out.dirfd, name, 0);
		daqd_sigmf_meta_clear(m);
		return ret;
	}
	pthread_mutex_lock(&r->lock);
	snprintf(r->cur_file, sizeof(r->cur_file), "%s", r->out.stem);
	r->files++;
	pthread_mutex_unlock(&r->lock);
	return 0;
}

/*
 * Write @len bytes of @iov (whole samples). On failure the file keeps the
 * whole samples that did reach it, and *done says how many bytes that was.
 */
static int write_iov(struct recorder *r, struct iovec *iov, size_t niov,
		     size_t len, size_t *done)
{
	size_t start = 0;

	*done = 0;
	while (*done < len) {
		ssize_t n = writev(r->out.data_fd, iov + start, (int)(niov - start));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		*done += (size_t)n;
		start = daqd_iov_advance(iov, niov, start, (size_t)n);
	}
	return 0;
}

/* Take the first @len bytes of @src into @dst; returns the entries used. */
static size_t iov_prefix(const struct iovec *src, size_t n, size_t len,
			 struct iovec *dst)
{
	size_t i;

	for (i = 0; i < n && len; i++) {
		dst[i] = src[i];
		if (dst[i].iov_len > len)
			dst[i].iov_len = len;
		len -= dst[i].iov_len;
	}
	return i;
}

static void fail_disk(struct recorder *r, int err, const char *what)
{
	char name[200];
	int ret;

	snprintf(name, sizeof(name), "%s.sigmf-data", r->out.stem);
	snprintf(r->stop_reason, sizeof(r->stop_reason), "recording stopped: %s %s: %s",
		 what, name, strerror(-err));
	if (r->out.data_fd >= 0) {
		/* Keep the whole samples that made it; drop a torn one. */
		if (ftruncate(r->out.data_fd, (off_t)r->file_bytes))
			daqd_log(DAQD_LOG_WARN, "sink %s: cannot trim %s: %s",
				 r->base.name, name, strerror(errno));
		/*
		 * The file says at once that it was cut short, and why; it
		 * stays open so that recorder_stop() can add how many samples
		 * the acquisition went on without it.
		 */
		r->out.meta.stop_reason = r->stop_reason;
		ret = daqd_sigmf_file_flush(&r->out, false);
		if (ret)
			daqd_log(DAQD_LOG_ERR,
				 "sink %s: metadata of %s not updated (%s); the previous one stays valid",
				 r->base.name, r->out.stem, strerror(-ret));
	}
	daqd_sink_fail(&r->base, err, "recording stopped: %s %s/%s: %s",
		       what, r->cfg->output_dir, name, strerror(-err));
	udaq_reader_free(r->reader);
	r->reader = NULL;
}

static bool rotate_due(struct recorder *r)
{
	if (r->out.data_fd < 0) {
		/* Nothing to close: the next file starts fresh anyway. */
		atomic_store(&r->base.rotate_requested, false);
		return false;
	}
	if (atomic_exchange(&r->base.rotate_requested, false))
		return true;
	if (r->cfg->rotate_time && elapsed(&r->file_opened) >= r->cfg->rotate_time)
		return true;
	if (r->out.meta.ncaptures >= MAX_SEGMENTS)
		return true;
	return false;
}

/* Consume one gathered batch. Return 0, or -errno after failing the sink. */
static int consume(struct recorder *r, struct daqd_batch *b)
{
	const struct daqd_stream *st = r->base.stream;
	size_t sb = st->sample_bytes;
	uint64_t first = b->first_sample;
	uint64_t lost = 0;
	size_t off = 0;
	int ret;

	if (b->samples == 0)
		return 0;
	/* The device dropped samples: a new segment shows the jump. */
	lost = daqd_sink_count_gap(&r->base, r->next_sample, first);
	r->counted_to = first;
	if (rotate_due(r)) {
		ret = close_file(r);
		if (ret) {
			fail_disk(r, ret, "closing");
			return ret;
		}
	}
	while (off < b->bytes) {
		uint64_t index = first + off / sb;
		/* Free-running captures are dated by the first frame's timestamp. */
		struct timespec when = daqd_sigmf_sample_time(&st->start_realtime,
							     st->sample_rate, index,
							     b->timestamp_ns);
		struct iovec part[DAQD_BATCH_MAX_IOV];
		size_t len = b->bytes - off, n, done = 0;
		bool described = false;
		struct iovec *iov = b->iov;

		if (r->out.data_fd < 0) {
			ret = open_file(r, index, &when);
			if (ret) {
				fail_disk(r, ret, "creating");
				return ret;
			}
		} else if (index != r->next_sample) {
			ret = daqd_sigmf_add_capture(&r->out.meta, r->out.samples, index, &when);
			if (ret) {
				fail_disk(r, ret, "segment for");
				return ret;
			}
			described = true;
		}
		if (lost && off == 0) {
			ret = daqd_sigmf_add_gap(&r->out.meta, r->out.samples, lost, index);
			if (ret) {
				fail_disk(r, ret, "annotating");
				return ret;
			}
			described = true;
		}
		if (described) {
			/*
			 * Data never runs ahead of metadata that places it: a
			 * reader of a file whose writer was killed takes what
			 * follows the last refresh for the last capture, so the
			 * capture this jump starts is stored before its samples.
			 */
			ret = daqd_sigmf_file_flush(&r->out, false);
			if (ret) {
				fail_disk(r, ret, "updating metadata of");
				return ret;
			}
		}
		if (r->cfg->rotate_size) {
			uint64_t room = r->cfg->rotate_size - r->file_bytes;

			room -= room % sb;
			if (room == 0)
				room = sb;	/* rotate_size below one sample */
			if (len > room)
				len = (size_t)room;
		}
		/* Skip what earlier rounds wrote, then cap at @len. */
		n = b->niov;
		if (off || len < b->bytes) {
			size_t start = 0, skip = off;

			while (skip >= b->iov[start].iov_len) {
				skip -= b->iov[start].iov_len;
				start++;
			}
			part[0] = b->iov[start];
			part[0].iov_base = (char *)part[0].iov_base + skip;
			part[0].iov_len -= skip;
			memcpy(part + 1, b->iov + start + 1,
			       (b->niov - start - 1) * sizeof(*part));
			n = iov_prefix(part, b->niov - start, len, part);
			iov = part;
		}
		ret = write_iov(r, iov, n, len, &done);
		done -= done % sb;
		r->file_bytes += done;
		r->out.samples += done / sb;
		r->next_sample = index + done / sb;
		r->counted_to = r->next_sample;
		atomic_fetch_add(&r->base.c.bytes, done);
		atomic_fetch_add(&r->base.c.samples, done / sb);
		if (ret) {
			fail_disk(r, ret, "writing");
			return ret;
		}
		off += len;
		if (r->cfg->rotate_size && r->file_bytes + sb > r->cfg->rotate_size) {
			ret = close_file(r);
			if (ret) {
				fail_disk(r, ret, "closing");
				return ret;
			}
		}
	}
	atomic_fetch_add(&r->base.c.frames, b->payload_frames);
	return 0;
}

/* Drain what is available. Return 1 if anything was consumed, 0, -errno. */
static int drain(struct recorder *r)
{
	const struct daqd_stream *st = r->base.stream;
	struct daqd_batch b;
	int any = 0, ret;

	while (r->reader) {
		ret = daqd_batch_gather(r->reader, st, BATCH_BYTES, &b);
		if (ret < 0) {
			daqd_sink_fail(&r->base, ret, "corrupt frame in the ring: %s",
				       strerror(-ret));
			close_file(r);
			udaq_reader_free(r->reader);
			r->reader = NULL;
			return ret;
		}
		if (ret == 0)
			break;
		/*
		 * Under the overwrite policy the device may be rewriting what
		 * we read: record a checked copy, or nothing (the next batch's
		 * first sample then shows the loss).
		 */
		if (r->copy && daqd_batch_stabilize(r->reader, &b, r->copy) == -ESTALE) {
			daqd_batch_release(r->reader, &b);
			continue;
		}
		ret = consume(r, &b);
		if (ret)
			return ret;
		daqd_batch_release(r->reader, &b);
		any = 1;
		if (elapsed(&r->out.last_flush) >= r->cfg->flush_interval)
			break;	/* let the loop flush */
	}
	return any;
}

static void *recorder_thread(void *arg)
{
	struct recorder *r = arg;

	if (!daqd_sink_thread_begin(&r->base, "daqd-sigmf"))
		return NULL;

	for (;;) {
		bool stopping = atomic_load(&r->base.stop_requested);
		int timeout, got, ret;
		double left;

		got = drain(r);
		if (got < 0 || !r->reader)
			break;
		if (r->out.data_fd >= 0 && elapsed(&r->out.last_flush) >= r->cfg->flush_interval) {
			ret = daqd_sigmf_file_flush(&r->out, false);
			if (ret) {
				fail_disk(r, ret, "updating metadata of");
				break;
			}
		}
		if (got > 0)
			continue;
		if (stopping)
			break;	/* the device stopped before: nothing more comes */
		if (atomic_load(&r->base.rotate_requested) && r->out.data_fd >= 0 &&
		    rotate_due(r)) {
			ret = close_file(r);
			if (ret) {
				fail_disk(r, ret, "closing");
				break;
			}
		}
		left = r->cfg->flush_interval - elapsed(&r->out.last_flush);
		timeout = left <= 0 ? 1 : (int)(left * 1000) + 1;
		if (timeout > 1000)
			timeout = 1000;
		daqd_sink_wait(&r->base, timeout);
	}
	if (r->reader) {
		uint64_t lost = daqd_sink_count_end(&r->base, r->next_sample);
		int ret;

		/* Lost at the very end: recorded in the last file's metadata. */
		if (lost && r->out.data_fd >= 0)
			r->out.meta.trailing_lost = lost;
		else if (lost)
			daqd_log(DAQD_LOG_WARN,
				 "sink %s: %llu samples lost after the last file was closed",
				 r->base.name, (unsigned long long)lost);
		ret = close_file(r);
		if (ret)
			fail_disk(r, ret, "closing");
	}
	return NULL;
}

static int recorder_start(struct daqd_sink *s, const struct daqd_stream *st)
{
	struct recorder *r = to_rec(s);
	int ret;

	daqd_sink_begin(s, st);
	daqd_sink_acq_stamp(st, r->acq_stamp, sizeof(r->acq_stamp));
	r->file_index = 0;
	r->next_sample = 0;
	r->counted_to = 0;
	r->out.data_fd = -1;
	clock_gettime(CLOCK_MONOTONIC, &r->out.last_flush);
	ret = daqd_batch_reader_new(s, st, BATCH_BYTES, &r->copy, &r->copy_len, &r->reader);
	if (ret)
		return ret;
	return daqd_sink_spawn(s, &r->thread, &r->thread_running, recorder_thread, r,
			       &r->reader);
}

static void recorder_stop(struct daqd_sink *s)
{
	struct recorder *r = to_rec(s);

	daqd_sink_join(s, r->thread, &r->thread_running);
	if (r->reader) {
		udaq_reader_free(r->reader);
		r->reader = NULL;
	}
	if (atomic_load(&s->state) == DAQD_SINK_FAILED && s->stream) {
		/*
		 * Cut short (fail_disk()): status counts every sample it had
		 * not counted up to the device's end (once: the thread's own
		 * end accounting did not run), and the file, if one is still
		 * open, every sample after its last one.
		 */
		uint64_t end = atomic_load(&s->stream->end_sample);

		daqd_sink_count_end(s, r->counted_to);
		if (r->out.data_fd >= 0 && end > r->next_sample)
			r->out.meta.trailing_lost = end - r->next_sample;
	}
	if (r->out.data_fd >= 0) {
		int ret = close_file(r);

		if (ret)
			daqd_log(DAQD_LOG_ERR,
				 "sink %s: final metadata of %s not written (%s); the previous one stays valid",
				 s->name, r->out.stem, strerror(-ret));
	}
	if (atomic_load(&s->state) == DAQD_SINK_RUNNING)
		atomic_store(&s->state, DAQD_SINK_IDLE);
	s->stream = NULL;
}

static void recorder_rotate(struct daqd_sink *s)
{
	daqd_sink_request_rotate(s);
}

static void recorder_status(struct daqd_sink *s, struct json_object *obj)
{
	struct recorder *r = to_rec(s);

	pthread_mutex_lock(&r->lock);
	json_object_object_add(obj, "dir", json_object_new_string(r->cfg->output_dir));
	json_object_object_add(obj, "file",
			       r->cur_file[0] ? json_object_new_string(r->cur_file) : NULL);
	json_object_object_add(obj, "files", json_object_new_uint64(r->files));
	pthread_mutex_unlock(&r->lock);
}

static void recorder_destroy(struct daqd_sink *s)
{
	struct recorder *r = to_rec(s);

	recorder_stop(s);
	if (r->out.dirfd >= 0)
		close(r->out.dirfd);
	free(r->copy);
	pthread_mutex_destroy(&r->lock);
	daqd_sink_cleanup(s);
	free(r);
}

static const struct daqd_sink_ops recorder_ops = {
	.kind = "sigmf",
	.start = recorder_start,
	.stop = recorder_stop,
	.rotate = recorder_rotate,
	.status = recorder_status,
	.destroy = recorder_destroy,
};

/*
 * Before the device starts: can a file be made in @dirfd at all? access()
 * cannot tell (root passes it on a read-only mount or in sysfs), so a probe
 * file is created and removed. Return 0 or -errno.
 */
static int probe_writable(int dirfd)
{
	char probe[64];
	int fd;

	snprintf(probe, sizeof(probe), ".daqd-probe-%ld", (long)getpid());
	fd = openat(dirfd, probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	close(fd);
	unlinkat(dirfd, probe, 0);
	return 0;
}

static void note_repair(const void *arg, const char *name, const char *what)
{
	const char *dir = arg;

	daqd_log(DAQD_LOG_WARN, "recovered %s/%s: %s", dir, name, what);
}

int daqd_recorder_new(const struct daqd_config *cfg, struct daqd_sink **out,
		      char *err, size_t errlen)
{
	struct recorder *r = calloc(1, sizeof(*r));
	const char *why = "";
	struct stat stbuf;
	int ret;

	if (!r)
		return -ENOMEM;
	/* A user naming a new directory expects it to be made, not an error. */
	ret = daqd_mkdir_p(cfg->output_dir, 0755);
	if (!ret) {
		r->out.dirfd = open(cfg->output_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (r->out.dirfd < 0 || fstat(r->out.dirfd, &stbuf))
			ret = -errno;
	} else {
		r->out.dirfd = -1;
	}
	if (!ret) {
		ret = probe_writable(r->out.dirfd);
		if (ret)
			why = "cannot create files there: ";
	}
	if (!ret) {
		/* What an earlier daqd killed mid-write left: readable again. */
		ret = daqd_sigmf_recover(r->out.dirfd, cfg->prefix, note_repair,
					 cfg->output_dir);
		ret = ret < 0 ? ret : 0;
		if (ret)
			why = "cannot read it: ";
	}
	if (ret) {
		snprintf(err, errlen, "output directory '%s': %s%s", cfg->output_dir, why,
			 strerror(-ret));
		if (r->out.dirfd >= 0)
			close(r->out.dirfd);
		free(r);
		return ret;
	}
	ret = daqd_sink_init(&r->base, &recorder_ops, "sigmf");
	if (ret) {
		snprintf(err, errlen, "recorder: %s", strerror(-ret));
		close(r->out.dirfd);
		free(r);
		return ret;
	}
	r->cfg = cfg;
	r->out.data_fd = -1;
	r->out.sync = cfg->fsync;
	pthread_mutex_init(&r->lock, NULL);
	snprintf(r->recorder_name, sizeof(r->recorder_name), "daqd %s", DAQD_VERSION);
	*out = &r->base;
	return 0;
}
