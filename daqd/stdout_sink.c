// SPDX-License-Identifier: GPL-2.0-or-later
#include "stdout_sink.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch.h"
#include "log.h"

#define BATCH_BYTES	(1u << 20)

struct stdout_sink {
	struct daqd_sink base;
	int fd;
	pthread_t thread;
	bool thread_running;
	struct udaq_reader *reader;
	uint64_t next_sample;
};

static int write_batch(struct stdout_sink *o, struct daqd_batch *b)
{
	size_t start = 0, left = b->bytes;

	while (left) {
		ssize_t n = writev(o->fd, b->iov + start, (int)(b->niov - start));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		left -= (size_t)n;
		atomic_fetch_add(&o->base.c.bytes, (uint64_t)n);
		start = daqd_iov_advance(b->iov, b->niov, start, (size_t)n);
	}
	return 0;
}

static void *stdout_thread(void *arg)
{
	struct stdout_sink *o = arg;
	const struct daqd_stream *st = o->base.stream;
	struct daqd_batch b;

	/* Named so that top/ps and the benchmark can tell threads apart. */
	pthread_setname_np(pthread_self(), "daqd-stdout");

	for (;;) {
		bool stopping = atomic_load(&o->base.stop_requested);
		int ret = daqd_batch_gather(o->reader, st, BATCH_BYTES, &b);

		if (ret < 0) {
			daqd_sink_fail(&o->base, ret, "corrupt frame in the ring: %s",
				       strerror(-ret));
			break;
		}
		if (ret == 0) {
			if (stopping)
				break;
			daqd_sink_wait(&o->base, 1000);
			continue;
		}
		if (b.samples && b.first_sample != o->next_sample) {
			uint64_t lost = b.first_sample > o->next_sample ?
					b.first_sample - o->next_sample : 0;

			atomic_fetch_add(&o->base.c.lost_samples, lost);
			if (atomic_fetch_add(&o->base.c.gaps, 1) == 0)
				daqd_log(DAQD_LOG_WARN,
					 "stdout: %llu samples lost before device sample %llu (the raw stream cannot show gaps; further gaps are only counted)",
					 (unsigned long long)lost,
					 (unsigned long long)b.first_sample);
		}
		ret = write_batch(o, &b);
		if (ret) {
			daqd_sink_fail(&o->base, ret, ret == -EPIPE ?
				       "stdout: the reading end of the pipe was closed" :
				       "stdout: write failed: %s", strerror(-ret));
			break;
		}
		if (b.samples)
			o->next_sample = b.first_sample + b.samples;
		atomic_fetch_add(&o->base.c.frames, b.frames);
		atomic_fetch_add(&o->base.c.samples, b.samples);
		udaq_reader_release(o->reader, b.ring_bytes);
	}
	if (atomic_load(&o->base.state) == DAQD_SINK_FAILED) {
		/* Never hold the device back once we stopped consuming. */
		udaq_reader_free(o->reader);
		o->reader = NULL;
	}
	return NULL;
}

static int stdout_start(struct daqd_sink *s, const struct daqd_stream *st)
{
	struct stdout_sink *o = (struct stdout_sink *)s;
	int ret;

	daqd_sink_begin(s, st);
	o->next_sample = 0;
	ret = udaq_reader_new(st->ring, UDAQ_READER_LOSSLESS, &o->reader);
	if (ret) {
		daqd_sink_fail(s, ret, "cannot create a ring reader: %s", strerror(-ret));
		return ret;
	}
	ret = pthread_create(&o->thread, NULL, stdout_thread, o);
	if (ret) {
		udaq_reader_free(o->reader);
		o->reader = NULL;
		daqd_sink_fail(s, -ret, "cannot start the stdout thread: %s", strerror(ret));
		return -ret;
	}
	o->thread_running = true;
	return 0;
}

static void stdout_stop(struct daqd_sink *s)
{
	struct stdout_sink *o = (struct stdout_sink *)s;

	if (o->thread_running) {
		daqd_sink_request_stop(s);
		pthread_join(o->thread, NULL);
		o->thread_running = false;
	}
	if (o->reader) {
		udaq_reader_free(o->reader);
		o->reader = NULL;
	}
	if (atomic_load(&s->state) == DAQD_SINK_RUNNING)
		atomic_store(&s->state, DAQD_SINK_IDLE);
	s->stream = NULL;
}

static void stdout_destroy(struct daqd_sink *s)
{
	stdout_stop(s);
	daqd_sink_cleanup(s);
	free(s);
}

static const struct daqd_sink_ops stdout_ops = {
	.kind = "stdout",
	.start = stdout_start,
	.stop = stdout_stop,
	.destroy = stdout_destroy,
};

int daqd_stdout_sink_new(int fd, struct daqd_sink **out)
{
	struct stdout_sink *o = calloc(1, sizeof(*o));
	int ret;

	if (!o)
		return -ENOMEM;
	ret = daqd_sink_init(&o->base, &stdout_ops, "stdout");
	if (ret) {
		free(o);
		return ret;
	}
	o->fd = fd;
	*out = &o->base;
	return 0;
}
