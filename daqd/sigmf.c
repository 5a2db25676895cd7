// SPDX-License-Identifier: GPL-2.0-or-later
#include "sigmf.h"
#include "fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	p = realloc(*arr, ncap * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

int daqd_sigmf_add_capture(struct daqd_sigmf_meta *m, uint64_t sample_start,
			   uint64_t global_index, const struct timespec *when)
{
	if (grow((void **)&m->captures, &m->captures_cap, m->ncaptures,
		 sizeof(*m->captures)))
		return -ENOMEM;
	m->captures[m->ncaptures++] = (struct daqd_sigmf_capture){
		.sample_start = sample_start,
		.global_index = global_index,
		.datetime = *when,
	};
	return 0;
}

int daqd_sigmf_add_gap(struct daqd_sigmf_meta *m, uint64_t sample_start,
		       uint64_t lost, uint64_t global_index)
{
	if (grow((void **)&m->gaps, &m->gaps_cap, m->ngaps, sizeof(*m->gaps)))
		return -ENOMEM;
	m->gaps[m->ngaps++] = (struct daqd_sigmf_gap){
		.sample_start = sample_start,
		.lost = lost,
		.global_index = global_index,
	};
	return 0;
}

void daqd_sigmf_meta_clear(struct daqd_sigmf_meta *m)
{
	free(m->captures);
	free(m->gaps);
	m->captures = NULL;
	m->gaps = NULL;
	m->ncaptures = m->captures_cap = 0;
	m->ngaps = m->gaps_cap = 0;
}

void daqd_sigmf_format_datetime(const struct timespec *ts, char *buf, size_t len)
{
	struct tm tm;
	time_t t = ts->tv_sec;
	char date[24];

	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%.20s.%06uZ", date, (unsigned int)(ts->tv_nsec / 1000 % 1000000));
}

static void add(struct json_object *o, const char *key, struct json_object *v)
{
	json_object_object_add(o, key, v);
}

static int annotation_cmp(const void *a, const void *b)
{
	struct json_object *const *x = a, *const *y = b;
	struct json_object *sx = NULL, *sy = NULL;
	uint64_t u, v;

	json_object_object_get_ex(*x, "core:sample_start", &sx);
	json_object_object_get_ex(*y, "core:sample_start", &sy);
	u = json_object_get_uint64(sx);
	v = json_object_get_uint64(sy);
	return u < v ? -1 : u > v;
}

struct json_object *daqd_sigmf_meta_json(const struct daqd_sigmf_meta *m,
					 uint64_t nsamples, bool complete)
{
	struct json_object *root = json_object_new_object();
	struct json_object *global = json_object_new_object();
	struct json_object *captures = json_object_new_array();
	struct json_object *annotations = json_object_new_array();
	struct json_object *ext = json_object_new_array();
	struct json_object *e = json_object_new_object();
	const uint32_t dec = m->decimation > 1 ? m->decimation : 1;
	uint64_t lost = 0;
	char when[40];

	if (!root || !global || !captures || !annotations || !ext || !e) {
		json_object_put(root);
		json_object_put(global);
		json_object_put(captures);
		json_object_put(annotations);
		json_object_put(ext);
		json_object_put(e);
		return NULL;
	}
	add(root, "global", global);
	add(root, "captures", captures);
	add(root, "annotations", annotations);

	add(global, "core:datatype", json_object_new_string(m->datatype));
	/*
	 * Decimated (daqcat -d N), every index, count and rate is in the
	 * file's samples: the rate exact (a float where N does not divide
	 * it), device indices and losses kept in the daqd namespace.
	 */
	if (m->sample_rate && m->sample_rate % dec == 0)
		add(global, "core:sample_rate", json_object_new_uint64(m->sample_rate / dec));
	else if (m->sample_rate)
		add(global, "core:sample_rate", json_object_new_double((double)m->sample_rate / dec));
	add(global, "core:version", json_object_new_string(DAQD_SIGMF_VERSION));
	add(global, "core:num_channels", json_object_new_uint64(m->num_channels));
	add(global, "core:recorder", json_object_new_string(m->recorder));
	add(global, "core:hw", json_object_new_string(m->hw));
	/*
	 * The daqd namespace carries what SigMF has no key for: how many
	 * samples this metadata describes (the data file may be longer while
	 * it is being written) and whether the file was closed cleanly.
	 */
	add(e, "name", json_object_new_string("daqd"));
	add(e, "version", json_object_new_string("1.0.0"));
	add(e, "optional", json_object_new_boolean(1));
	json_object_array_add(ext, e);
	add(global, "core:extensions", ext);
	add(global, "daqd:sample_count", json_object_new_uint64(nsamples));
	/* A recording cut short (a full disk) is never complete, and says why. */
	add(global, "daqd:complete", json_object_new_boolean(complete && !m->stop_reason));
	if (m->stop_reason)
		add(global, "daqd:stop_reason", json_object_new_string(m->stop_reason));
	add(global, "daqd:acquisition", json_object_new_uint64(m->acq_id));
	add(global, "daqd:file_index", json_object_new_uint64(m->file_index));
	if (dec > 1)
		add(global, "daqd:decimation", json_object_new_uint64(dec));

	for (size_t i = 0; i < m->ncaptures; i++) {
		const struct daqd_sigmf_capture *c = &m->captures[i];
		struct json_object *o;

		/*
		 * An empty file still gets its first capture (sample_start 0).
		 * While the file is written, the capture a jump has just begun
		 * is stored before its first sample (at sample_start ==
		 * @nsamples): a reader of a file whose writer was killed takes
		 * the samples past the metadata for the last capture's.
		 */
		if (c->sample_start > nsamples ||
		    (c->sample_start == nsamples && i > 0 && complete))
			break;
		o = json_object_new_object();
		if (!o)
			goto fail;
		add(o, "core:sample_start", json_object_new_uint64(c->sample_start));
		add(o, "core:global_index", json_object_new_uint64(c->global_index / dec));
		if (dec > 1)
			add(o, "daqd:device_index", json_object_new_uint64(c->global_index));
		daqd_sigmf_format_datetime(&c->datetime, when, sizeof(when));
		add(o, "core:datetime", json_object_new_string(when));
		json_object_array_add(captures, o);
	}
	for (size_t i = 0; i < m->ngaps; i++) {
		const struct daqd_sigmf_gap *g = &m->gaps[i];
		struct json_object *o;
		char text[128];

		if (g->sample_start > nsamples || (g->sample_start == nsamples && complete))
			break;
		o = json_object_new_object();
		if (!o)
			goto fail;
		/* Decimated, the loss is in kept samples: not lost / dec, which
		 * cannot tell where the grid of kept samples falls. */
		const uint64_t file_lost = dec > 1 ? g->file_lost : g->lost;

		if (dec > 1)
			snprintf(text, sizeof(text),
				 "%llu samples (%llu device samples) lost before sample %llu (device sample %llu)",
				 (unsigned long long)file_lost, (unsigned long long)g->lost,
				 (unsigned long long)(g->global_index / dec),
				 (unsigned long long)g->global_index);
		else
			snprintf(text, sizeof(text),
				 "%llu samples lost before device sample %llu",
				 (unsigned long long)g->lost,
				 (unsigned long long)g->global_index);
		add(o, "core:sample_start", json_object_new_uint64(g->sample_start));
		add(o, "core:sample_count", json_object_new_uint64(0));
		add(o, "core:label", json_object_new_string("overflow"));
		add(o, "core:comment", json_object_new_string(text));
		add(o, "daqd:lost_samples", json_object_new_uint64(file_lost));
		add(o, "daqd:global_index", json_object_new_uint64(g->global_index / dec));
		if (dec > 1) {
			add(o, "daqd:device_lost_samples", json_object_new_uint64(g->lost));
			add(o, "daqd:device_index", json_object_new_uint64(g->global_index));
		}
		json_object_array_add(annotations, o);
		lost += file_lost;
	}
	if (m->extra_annotations) {
		size_t n = json_object_array_length(m->extra_annotations);

		for (size_t i = 0; i < n; i++) {
			struct json_object *a = json_object_array_get_idx(m->extra_annotations, i);
			struct json_object *start;

			if (json_object_object_get_ex(a, "core:sample_start", &start) &&
			    (uint64_t)json_object_get_uint64(start) <= nsamples)
				json_object_array_add(annotations, json_object_get(a));
		}
		/* SigMF: annotations in order of their first sample. */
		json_object_array_sort(annotations, annotation_cmp);
	}
	add(global, "daqd:lost_samples", json_object_new_uint64(lost));
	/* Dropped after the last sample: no later segment can show it. */
	if (m->trailing_lost)
		add(global, "daqd:trailing_lost_samples",
		    json_object_new_uint64((m->trailing_lost + dec - 1) / dec));
	return root;
fail:
	json_object_put(root);
	return NULL;
}

/*
 * Create @name in @dirfd as a new file of our own. Whoever can write to the
 * output directory could plant a link under the name (daqd often runs as
 * root): O_EXCL never follows one and never opens an existing file. A name
 * left over (a crash between create and rename, or a planted link) is
 * removed, which removes the link itself, not its target, and created
 * once more; a name that reappears in between is an error, not a loop.
 */
static int create_new(int dirfd, const char *name)
{
	const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	int fd = openat(dirfd, name, flags, 0644);

	if (fd < 0 && errno == EEXIST) {
		if (unlinkat(dirfd, name, 0) && errno != ENOENT)
			return -errno;
		fd = openat(dirfd, name, flags, 0644);
	}
	return fd < 0 ? -errno : fd;
}

int daqd_sigmf_write_meta(int dirfd, const char *name, struct json_object *obj,
			  bool sync)
{
	char tmp[512];
	const char *text;
	size_t len;
	int fd, ret;

	text = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PRETTY |
						 JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (!text)
		return -ENOMEM;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", name) >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = create_new(dirfd, tmp);
	if (fd < 0)
		return fd;
	ret = daqd_write_all(fd, text, len);
	if (!ret)
		ret = daqd_write_all(fd, "\n", 1);
	if (!ret && sync && fdatasync(fd))
		ret = -errno;
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && renameat(dirfd, tmp, dirfd, name))
		ret = -errno;
	if (ret)
		unlinkat(dirfd, tmp, 0);
	return ret;
}

int daqd_sigmf_rewrite_meta(int dirfd, const char *name, struct json_object *obj)
{
	const char *text;
	size_t len, off = 0;
	int fd, ret = 0;

	text = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PRETTY |
						 JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (!text)
		return -ENOMEM;
	/* Never through a link someone planted under the name (see create_new()). */
	fd = openat(dirfd, name, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	{
		/*
		 * Only into blocks the file already has: a write that runs out
		 * of space half-way would leave the old text's tail after the
		 * new text's head, which is not JSON. The old metadata, still
		 * valid, then stays. Only into the regular file daqd made,
		 * whose one name this is: not a FIFO or device, not a hard
		 * link to another file.
		 */
		struct stat sb;

		if (fstat(fd, &sb)) {
			ret = -errno;
			close(fd);
			return ret;
		}
		if (!S_ISREG(sb.st_mode) || sb.st_nlink != 1) {
			close(fd);
			return -EPERM;
		}
		if ((uint64_t)sb.st_blocks * 512 < (uint64_t)len + 1) {
			close(fd);
			return -ENOSPC;
		}
	}
	while (off < len) {
		ssize_t n = pwrite(fd, text + off, len - off, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		off += (size_t)n;
	}
	if (!ret && (pwrite(fd, "\n", 1, (off_t)len) != 1 || ftruncate(fd, (off_t)len + 1)))
		ret = -errno;
	if (close(fd) && !ret)
		ret = -errno;
	return ret;
}

int daqd_sigmf_file_open(struct daqd_sigmf_file *f, const char *stem)
{
	char name[200];

	snprintf(f->stem, sizeof(f->stem), "%s", stem);
	snprintf(name, sizeof(name), "%s.sigmf-data", f->stem);
	f->data_fd = openat(f->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (f->data_fd < 0)
		return -errno;
	/* Held until close: daqd_sigmf_recover() keeps off a file being written. */
	if (flock(f->data_fd, LOCK_EX)) {
		int ret = -errno;

		close(f->data_fd);
		f->data_fd = -1;
		unlinkat(f->dirfd, name, 0);
		return ret;
	}
	memset(&f->meta, 0, sizeof(f->meta));
	f->samples = 0;
	return 0;
}

int daqd_sigmf_file_flush(struct daqd_sigmf_file *f, bool complete)
{
	struct json_object *obj;
	char name[200];
	int ret;

	if (f->data_fd < 0)
		return 0;
	/* The samples reach the disk before the metadata that describes them. */
	if (f->sync && fdatasync(f->data_fd))
		return -errno;
	obj = daqd_sigmf_meta_json(&f->meta, f->samples, complete);
	if (!obj)
		return -ENOMEM;
	snprintf(name, sizeof(name), "%s.sigmf-meta", f->stem);
	ret = daqd_sigmf_write_meta(f->dirfd, name, obj, f->sync);
	/*
	 * On a full disk the temporary copy cannot be made; overwriting in
	 * place needs no new blocks, so the samples on disk stay described.
	 */
	if ((ret == -ENOSPC || ret == -EDQUOT) && (complete || f->meta.stop_reason))
		ret = daqd_sigmf_rewrite_meta(f->dirfd, name, obj);
	json_object_put(obj);
	clock_gettime(CLOCK_MONOTONIC, &f->last_flush);
	return ret;
}

int daqd_sigmf_file_close(struct daqd_sigmf_file *f)
{
	int ret;

	if (f->data_fd < 0)
		return 0;
	if (f->samples == 0) {
		/*
		 * Nothing came (daqcat: an acquisition without DATA): SigMF
		 * readers refuse an empty dataset, so leave no recording.
		 */
		char name[200];

		close(f->data_fd);
		f->data_fd = -1;
		snprintf(name, sizeof(name), "%s.sigmf-meta", f->stem);
		unlinkat(f->dirfd, name, 0);
		snprintf(name, sizeof(name), "%s.sigmf-data", f->stem);
		unlinkat(f->dirfd, name, 0);
		daqd_sigmf_meta_clear(&f->meta);
		return 0;
	}
	ret = daqd_sigmf_file_flush(f, true);
	if (close(f->data_fd) && !ret)
		ret = -errno;
	f->data_fd = -1;
	daqd_sigmf_meta_clear(&f->meta);
	return ret;
}

struct timespec daqd_sigmf_sample_time(const struct timespec *start, uint32_t rate,
				       uint64_t index, uint64_t ts_ns)
{
	struct timespec t = *start;
	uint64_t ns = rate ? (uint64_t)((double)index * 1e9 / rate) : ts_ns;

	t.tv_sec += (time_t)(ns / 1000000000u);
	t.tv_nsec += (long)(ns % 1000000000u);
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

/*
 * Bytes per sample (all channels) for a SigMF datatype such as "ri16_le" or
 * "cf32": its element size, twice for complex, times @nchan. 0 if unknown.
 */
static size_t datatype_sample_bytes(const char *dt, uint64_t nchan)
{
	unsigned int bits;
	char *end;

	if (!dt || (dt[0] != 'r' && dt[0] != 'c') ||
	    (dt[1] != 'i' && dt[1] != 'u' && dt[1] != 'f'))
		return 0;
	bits = (unsigned int)strtoul(dt + 2, &end, 10);
	if ((bits != 8 && bits != 16 && bits != 32 && bits != 64) ||
	    (*end && strcmp(end, "_le") && strcmp(end, "_be")) ||
	    nchan == 0 || nchan > 1u << 16)
		return 0;
	return bits / 8 * (dt[0] == 'c' ? 2u : 1u) * (size_t)nchan;
}

/* The bytes per sample the metadata @meta (a name in @dirfd) gives; 0 if none. */
static size_t meta_sample_bytes(int dirfd, const char *meta)
{
	struct json_object *root, *global, *dt, *nch;
	struct stat st;
	size_t sb = 0;
	int fd;

	fd = openat(dirfd, meta, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return 0;
	}
	root = json_object_from_fd(fd);
	close(fd);
	if (root && json_object_object_get_ex(root, "global", &global) &&
	    json_object_object_get_ex(global, "core:datatype", &dt) &&
	    json_object_object_get_ex(global, "core:num_channels", &nch) &&
	    json_object_is_type(nch, json_type_int))
		sb = datatype_sample_bytes(json_object_get_string(dt),
					   (uint64_t)json_object_get_int64(nch));
	json_object_put(root);
	return sb;
}

static bool has_suffix(const char *s, const char *suffix, size_t *stem_len)
{
	size_t n = strlen(s), k = strlen(suffix);

	if (n <= k || strcmp(s + n - k, suffix))
		return false;
	*stem_len = n - k;
	return true;
}

/*
 * Open the data file @name of a recording nobody writes: a regular file
 * with one link (never through a link someone planted, as root), which we
 * can lock; a writer holds its lock from creation to close. -1 otherwise.
 */
static int open_unwritten(int dirfd, const char *name, struct stat *st)
{
	int fd = openat(dirfd, name, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (fstat(fd, st) || !S_ISREG(st->st_mode) || st->st_nlink != 1 ||
	    flock(fd, LOCK_EX | LOCK_NB)) {
		close(fd);
		return -1;
	}
	return fd;
}

int daqd_sigmf_recover(int dirfd, const char *prefix,
		       void (*note)(const void *arg, const char *name, const char *what),
		       const void *arg)
{
	size_t plen = strlen(prefix), stem;
	struct dirent *de;
	int fixed = 0, dfd;
	DIR *dir;

	/* fdopendir() takes the descriptor: give it its own. */
	dfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	dir = fdopendir(dfd);
	if (!dir) {
		close(dfd);
		return -errno;
	}
	while ((de = readdir(dir))) {
		const char *n = de->d_name;
		char meta[512], data[512];
		struct stat st;
		off_t keep;
		size_t sb;
		int fd;

		/* Names are PREFIX-...: "daqd" is not "daqd2-..."'s prefix. */
		if (strncmp(n, prefix, plen) || n[plen] != '-')
			continue;
		if (has_suffix(n, ".sigmf-meta.tmp", &stem)) {
			/* A metadata update that never got its rename, unless its
			 * recording is being written (its writer holds the lock). */
			if ((size_t)snprintf(data, sizeof(data), "%.*s.sigmf-data", (int)stem, n) >=
			    sizeof(data))
				continue;
			fd = open_unwritten(dirfd, data, &st);
			if (fd < 0 && errno != ENOENT)
				continue;
			if (!unlinkat(dirfd, n, 0)) {
				note(arg, n, "removed an unfinished metadata update");
				fixed++;
			}
			if (fd >= 0)
				close(fd);
			continue;
		}
		if (!has_suffix(n, ".sigmf-data", &stem) ||
		    (size_t)snprintf(meta, sizeof(meta), "%.*s.sigmf-meta", (int)stem, n) >=
		    sizeof(meta))
			continue;
		fd = open_unwritten(dirfd, n, &st);
		if (fd < 0)
			continue;	/* being written, or not a file of ours */
		sb = meta_sample_bytes(dirfd, meta);
		if (!sb) {
			/*
			 * No metadata: killed between creating the data file and
			 * writing its first metadata, so nothing was written into
			 * it. Anything else is not ours to remove.
			 */
			if (st.st_size == 0 && faccessat(dirfd, meta, F_OK, AT_SYMLINK_NOFOLLOW) &&
			    !unlinkat(dirfd, n, 0)) {
				note(arg, n, "removed an empty data file that has no metadata");
				fixed++;
			}
			close(fd);
			continue;
		}
		keep = st.st_size - st.st_size % (off_t)sb;
		if (keep == 0) {
			/* Killed before its first whole sample: SigMF readers refuse it. */
			if (!unlinkat(dirfd, meta, 0) && !unlinkat(dirfd, n, 0)) {
				note(arg, n, "removed a recording that got no sample");
				fixed++;
			}
		} else if (keep != st.st_size && !ftruncate(fd, keep)) {
			/* A write cut at a page boundary by SIGKILL: a torn sample. */
			note(arg, n, "cut a torn sample off its end");
			fixed++;
		}
		close(fd);
	}
	closedir(dir);
	return fixed;
}
