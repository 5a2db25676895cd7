// SPDX-License-Identifier: GPL-2.0-or-later
/* SigMF metadata: what is described for a given sample count, atomic writes. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "sigmf.h"

static void fill(struct daqd_sigmf_meta *m)
{
	struct timespec t0 = { .tv_sec = 1700000000, .tv_nsec = 123456789 };
	struct timespec t1 = { .tv_sec = 1700000001, .tv_nsec = 0 };

	memset(m, 0, sizeof(*m));
	m->datatype = "ri16_le";
	m->sample_rate = 1000000;
	m->num_channels = 4;
	m->hw = "refdaq-sim";
	m->recorder = "daqd test";
	assert_int_equal(daqd_sigmf_add_capture(m, 0, 0, &t0), 0);
	/* 1000 samples, then 24 lost, then 976 more from device index 1024. */
	assert_int_equal(daqd_sigmf_add_capture(m, 1000, 1024, &t1), 0);
	assert_int_equal(daqd_sigmf_add_gap(m, 1000, 24, 1024), 0);
}

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("key %s missing", key);
	return v;
}

static void test_full(void **state)
{
	struct daqd_sigmf_meta m;
	struct json_object *o, *g, *caps, *anns, *c1, *a0;

	(void)state;
	fill(&m);
	o = daqd_sigmf_meta_json(&m, 2000, true);
	assert_non_null(o);
	g = get(o, "global");
	assert_string_equal(json_object_get_string(get(g, "core:datatype")), "ri16_le");
	assert_int_equal(json_object_get_int64(get(g, "core:sample_rate")), 1000000);
	assert_int_equal(json_object_get_int(get(g, "core:num_channels")), 4);
	assert_string_equal(json_object_get_string(get(g, "core:version")), DAQD_SIGMF_VERSION);
	assert_int_equal(json_object_get_int64(get(g, "daqd:sample_count")), 2000);
	assert_int_equal(json_object_get_int64(get(g, "daqd:lost_samples")), 24);
	assert_true(json_object_get_boolean(get(g, "daqd:complete")));
	assert_false(json_object_object_get_ex(g, "daqd:trailing_lost_samples", NULL));
	json_object_put(o);
	m.trailing_lost = 7;
	o = daqd_sigmf_meta_json(&m, 2000, true);
	g = get(o, "global");
	assert_int_equal(json_object_get_int64(get(g, "daqd:trailing_lost_samples")), 7);
	caps = get(o, "captures");
	assert_int_equal(json_object_array_length(caps), 2);
	c1 = json_object_array_get_idx(caps, 1);
	assert_int_equal(json_object_get_int64(get(c1, "core:sample_start")), 1000);
	assert_int_equal(json_object_get_int64(get(c1, "core:global_index")), 1024);
	assert_string_equal(json_object_get_string(get(json_object_array_get_idx(caps, 0),
						       "core:datetime")),
			    "2023-11-14T22:13:20.123456Z");
	anns = get(o, "annotations");
	assert_int_equal(json_object_array_length(anns), 1);
	a0 = json_object_array_get_idx(anns, 0);
	assert_int_equal(json_object_get_int64(get(a0, "core:sample_start")), 1000);
	assert_int_equal(json_object_get_int64(get(a0, "daqd:lost_samples")), 24);
	json_object_put(o);
	daqd_sigmf_meta_clear(&m);
}

/*
 * Metadata describes only samples in the file: written before a gap's
 * capture begins, it omits the gap. While the file is open, metadata
 * written as the gap's capture begins (before its first sample is
 * written) carries it already, empty, so that samples a killed writer
 * left past it are placed right; a closed file never ends in one.
 */
static void test_prefix(void **state)
{
	struct daqd_sigmf_meta m;
	struct json_object *o;

	(void)state;
	fill(&m);
	o = daqd_sigmf_meta_json(&m, 500, false);
	assert_int_equal(json_object_array_length(get(o, "captures")), 1);
	assert_int_equal(json_object_array_length(get(o, "annotations")), 0);
	assert_int_equal(json_object_get_int64(get(get(o, "global"), "daqd:lost_samples")), 0);
	assert_false(json_object_get_boolean(get(get(o, "global"), "daqd:complete")));
	json_object_put(o);
	o = daqd_sigmf_meta_json(&m, 1000, false);
	assert_int_equal(json_object_array_length(get(o, "captures")), 2);
	assert_int_equal(json_object_get_int64(get(json_object_array_get_idx(get(o, "captures"), 1),
						   "core:global_index")), 1024);
	assert_int_equal(json_object_array_length(get(o, "annotations")), 1);
	assert_int_equal(json_object_get_int64(get(get(o, "global"), "daqd:lost_samples")), 24);
	json_object_put(o);
	o = daqd_sigmf_meta_json(&m, 1000, true);
	assert_int_equal(json_object_array_length(get(o, "captures")), 1);
	assert_int_equal(json_object_array_length(get(o, "annotations")), 0);
	json_object_put(o);
	/* An empty new file still has its first capture. */
	o = daqd_sigmf_meta_json(&m, 0, false);
	assert_int_equal(json_object_array_length(get(o, "captures")), 1);
	json_object_put(o);
	daqd_sigmf_meta_clear(&m);
}

static void test_free_running_has_no_rate(void **state)
{
	struct daqd_sigmf_meta m;
	struct json_object *o, *v;

	(void)state;
	fill(&m);
	m.sample_rate = 0;
	o = daqd_sigmf_meta_json(&m, 10, false);
	assert_false(json_object_object_get_ex(get(o, "global"), "core:sample_rate", &v));
	json_object_put(o);
	daqd_sigmf_meta_clear(&m);
}

static void test_write_atomic(void **state)
{
	char dir[] = "/tmp/daqd-sigmf-XXXXXX";
	struct daqd_sigmf_meta m;
	struct json_object *o, *back;
	struct stat st;
	char path[128];
	int dfd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	fill(&m);
	o = daqd_sigmf_meta_json(&m, 2000, true);
	assert_int_equal(daqd_sigmf_write_meta(dfd, "x.sigmf-meta", o, true), 0);
	assert_int_equal(daqd_sigmf_write_meta(dfd, "x.sigmf-meta", o, false), 0);
	snprintf(path, sizeof(path), "%s/x.sigmf-meta.tmp", dir);
	assert_int_equal(stat(path, &st), -1);	/* no temporary left behind */
	snprintf(path, sizeof(path), "%s/x.sigmf-meta", dir);
	back = json_object_from_file(path);
	assert_non_null(back);
	assert_true(json_object_equal(o, back));
	json_object_put(back);
	/* A directory that vanished: an error, not a crash. */
	unlink(path);
	rmdir(dir);
	assert_true(daqd_sigmf_write_meta(dfd, "x.sigmf-meta", o, false) < 0);
	json_object_put(o);
	close(dfd);
	daqd_sigmf_meta_clear(&m);
}

/*
 * The full-disk fallback rewrites in place only into blocks the file has:
 * text that would need more is refused, and the old metadata stays whole.
 */
static void test_rewrite_in_place(void **state)
{
	char dir[] = "/tmp/daqd-sigmf-XXXXXX";
	struct json_object *small, *big, *back;
	char path[128], pad[9000];
	struct stat st;
	int dfd, fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	snprintf(path, sizeof(path), "%s/y.sigmf-meta", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{\"old\": true}\n", 15), 15);
	close(fd);
	assert_int_equal(stat(path, &st), 0);

	memset(pad, 'p', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = 0;
	big = json_object_new_object();
	json_object_object_add(big, "pad", json_object_new_string(pad));
	/* More than the file's blocks hold (one or two): refused, untouched. */
	if ((uint64_t)st.st_blocks * 512 < sizeof(pad)) {
		assert_int_equal(daqd_sigmf_rewrite_meta(dfd, "y.sigmf-meta", big), -ENOSPC);
		back = json_object_from_file(path);
		assert_non_null(back);
		assert_non_null(json_object_object_get(back, "old"));
		json_object_put(back);
	}
	/* What fits is written whole, the old tail cut off. */
	small = json_object_new_object();
	json_object_object_add(small, "new", json_object_new_int(1));
	assert_int_equal(daqd_sigmf_rewrite_meta(dfd, "y.sigmf-meta", small), 0);
	back = json_object_from_file(path);
	assert_non_null(back);
	assert_true(json_object_equal(small, back));
	json_object_put(back);
	json_object_put(small);
	json_object_put(big);
	unlink(path);
	rmdir(dir);
	close(dfd);
}

/* Read a whole small file into @buf (NUL-terminated); its length or -1. */
static ssize_t slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n >= 0)
		buf[n] = 0;
	return n;
}

/*
 * Whoever can write to the output directory must not be able to make daqd
 * (often root) write through a planted link: not through the metadata's
 * temporary name, not through the full-disk rewrite, not through a hard
 * link to someone else's file.
 */
static void test_planted_links(void **state)
{
	char dir[] = "/tmp/daqd-sigmf-XXXXXX";
	char victim[] = "/tmp/daqd-victim-XXXXXX";
	char path[128], text[64];
	struct daqd_sigmf_meta m;
	struct json_object *o, *back;
	struct stat st;
	int dfd, vfd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	vfd = mkstemp(victim);
	assert_true(vfd >= 0);
	assert_int_equal(write(vfd, "precious\n", 9), 9);
	close(vfd);
	fill(&m);
	o = daqd_sigmf_meta_json(&m, 2000, true);

	/* A symlink under the next temporary name: replaced, never followed. */
	snprintf(path, sizeof(path), "%s/x.sigmf-meta.tmp", dir);
	assert_int_equal(symlink(victim, path), 0);
	assert_int_equal(daqd_sigmf_write_meta(dfd, "x.sigmf-meta", o, false), 0);
	assert_int_equal(slurp(victim, text, sizeof(text)), 9);
	assert_string_equal(text, "precious\n");
	assert_int_equal(lstat(path, &st), -1);
	snprintf(path, sizeof(path), "%s/x.sigmf-meta", dir);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	back = json_object_from_file(path);
	assert_non_null(back);
	assert_true(json_object_equal(o, back));
	json_object_put(back);
	unlink(path);

	/* The in-place rewrite refuses a symlink and a hard link alike. */
	snprintf(path, sizeof(path), "%s/y.sigmf-meta", dir);
	assert_int_equal(symlink(victim, path), 0);
	assert_true(daqd_sigmf_rewrite_meta(dfd, "y.sigmf-meta", o) < 0);
	unlink(path);
	assert_int_equal(link(victim, path), 0);
	assert_true(daqd_sigmf_rewrite_meta(dfd, "y.sigmf-meta", o) < 0);
	unlink(path);
	assert_int_equal(slurp(victim, text, sizeof(text)), 9);
	assert_string_equal(text, "precious\n");

	json_object_put(o);
	daqd_sigmf_meta_clear(&m);
	unlink(victim);
	rmdir(dir);
	close(dfd);
}

/* Start recording @stem (@nchan channels) in a new directory @dir, its
 * first metadata stored. */
static void open_recording(struct daqd_sigmf_file *f, char *dir, const char *stem,
			   uint32_t nchan)
{
	struct timespec t0 = { .tv_sec = 1700000000 };

	assert_non_null(mkdtemp(dir));
	f->data_fd = -1;
	f->dirfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(f->dirfd >= 0);
	assert_int_equal(daqd_sigmf_file_open(f, stem), 0);
	f->meta.datatype = "ri16_le";
	f->meta.num_channels = nchan;
	f->meta.hw = "test";
	f->meta.recorder = "test";
	assert_int_equal(daqd_sigmf_add_capture(&f->meta, 0, 0, &t0), 0);
	assert_int_equal(daqd_sigmf_file_flush(f, false), 0);
}

/* A recording that never got a sample is not left behind (readers refuse it). */
static void test_empty_file_removed(void **state)
{
	char dir[] = "/tmp/daqd-sigmf-XXXXXX";
	struct daqd_sigmf_file f = { 0 };
	char path[128];
	struct stat st;

	(void)state;
	open_recording(&f, dir, "e", 2);
	snprintf(path, sizeof(path), "%s/e.sigmf-meta", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(daqd_sigmf_file_close(&f), 0);
	assert_int_equal(stat(path, &st), -1);
	snprintf(path, sizeof(path), "%s/e.sigmf-data", dir);
	assert_int_equal(stat(path, &st), -1);
	close(f.dirfd);
	assert_int_equal(rmdir(dir), 0);
}

static void count_repair(const void *arg, const char *name, const char *what)
{
	(void)name;
	(void)what;
	(*(int *)(uintptr_t)arg)++;
}

/*
 * The start-up repair keeps off a recording being written (its writer's
 * lock), off another prefix's files and off links; a torn end it cuts
 * once the writer is gone.
 */
static void test_recover_spares_live(void **state)
{
	char dir[] = "/tmp/daqd-sigmf-XXXXXX";
	struct daqd_sigmf_file f = { 0 };
	char path[128], other[128];
	struct stat st;
	int repairs = 0, fd;

	(void)state;
	open_recording(&f, dir, "daqd-live", 3);
	/* 1.5 samples: torn, as a write in progress leaves it for a moment. */
	assert_int_equal(write(f.data_fd, "abcdefghi", 9), 9);
	f.samples = 1;
	/* Another prefix's torn file, and an empty one: not ours. */
	snprintf(other, sizeof(other), "%s/daqd2-x.sigmf-data", dir);
	fd = open(other, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "abc", 3), 3);
	close(fd);
	assert_int_equal(daqd_sigmf_recover(f.dirfd, "daqd", count_repair, &repairs), 0);
	assert_int_equal(repairs, 0);
	snprintf(path, sizeof(path), "%s/daqd-live.sigmf-data", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 9);
	/* The writer gone (killed: the lock goes with it), the torn end is cut. */
	close(f.data_fd);
	f.data_fd = -1;
	assert_int_equal(daqd_sigmf_recover(f.dirfd, "daqd", count_repair, &repairs), 1);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 6);
	assert_int_equal(stat(other, &st), 0);
	assert_int_equal(st.st_size, 3);
	daqd_sigmf_meta_clear(&f.meta);
	unlink(path);
	snprintf(path, sizeof(path), "%s/daqd-live.sigmf-meta", dir);
	unlink(path);
	unlink(other);
	close(f.dirfd);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_free_running_has_no_rate),
		cmocka_unit_test(test_write_atomic),
		cmocka_unit_test(test_rewrite_in_place),
		cmocka_unit_test(test_planted_links),
		cmocka_unit_test(test_empty_file_removed),
		cmocka_unit_test(test_recover_spares_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
