// SPDX-License-Identifier: GPL-2.0-or-later
#include "stdout_sink.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "log.h"

#define BATCH_BYTES	(1u << 20)
/* How long stop waits for a reader that stopped reading before giving up. */
#define STOP_GRACE_S	5

struct stdout_sink {
	struct daqd_sink base;
	int fd;
	pthread_t thread;
	bool thread_running;
	struct udaq_reader *reader;
	uint64_t next_sample;
	void *copy;			/* overwrite policy: stable copy of a batch */
	size_t copy_len;
	atomic_bool abort;		/* stop gave up waiting for the reader */
};

/*
 * A blocked writev() into a pipe nobody reads would hold up stop forever:
 * stop interrupts it with this signal (handler without SA_RESTART, so the
 * call returns EINTR) once the grace period is over.
 */
#define INTERRUPT_SIGNAL	SIGUSR1

static void on_interrupt(int sig)
{
	(void)sig;
}

static int write_batch(struct stdout_sink *o, struct daqd_batch *b)
{
	size_t start = 0, left = b->bytes;

	while (left) {
		ssize_t n = writev(o->fd, b->iov + start, (int)(b->niov - start));

		if (n < 0) {
			if (errno == EINTR && !atomic_load(&o->abort))
				continue;
			return errno == EINTR ? -ETIMEDOUT : -errno;
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
	if (!daqd_sink_wait_started(&o->base))
		return NULL;

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
		/* Under the overwrite policy write only a checked copy. */
		if (o->copy && daqd_batch_stabilize(o->reader, &b, o->copy) == -ESTALE) {
			daqd_batch_release(o->reader, &b);
			continue;
		}
		if (b.samples && b.first_sample != o->next_sample) {
			uint64_t lost = daqd_sink_count_gap(&o->base, o->next_sample,
							    b.first_sample);

			if (atomic_load(&o->base.c.gaps) == 1)
				daqd_log(DAQD_LOG_WARN,
					 "stdout: %llu samples lost before device sample %llu (the raw stream cannot show gaps; further gaps are only counted)",
					 (unsigned long long)lost,
					 (unsigned long long)b.first_sample);
		}
		ret = write_batch(o, &b);
		if (ret) {
			daqd_sink_fail(&o->base, ret, ret == -EPIPE ?
				       "stdout: the reading end of the pipe was closed" :
				       ret == -ETIMEDOUT ?
				       "stdout: the reader stopped reading; gave up at stop" :
				       "stdout: write failed: %s", strerror(-ret));
			break;
		}
		if (b.samples)
			o->next_sample = b.first_sample + b.samples;
		atomic_fetch_add(&o->base.c.frames, b.payload_frames);
		atomic_fetch_add(&o->base.c.samples, b.samples);
		daqd_batch_release(o->reader, &b);
	}
	if (atomic_load(&o->base.state) == DAQD_SINK_FAILED) {
		/* Never hold the device back once we stopped consuming. */
		udaq_reader_free(o->reader);
		o->reader = NULL;
	} else {
		daqd_sink_count_end(&o->base, o->next_sample);
	}
	return NULL;
}

/* Join @t if it ends within @ms. Return: 0 joined, nonzero still running. */
static int join_within(pthread_t t, long ms)
{
	struct timespec deadline;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += ms / 1000;
	deadline.tv_nsec += (ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	return pthread_timedjoin_np(t, NULL, &deadline);
}

static int stdout_start(struct daqd_sink *s, const struct daqd_stream *st)
{
	struct stdout_sink *o = (struct stdout_sink *)s;
	int ret;

	daqd_sink_begin(s, st);
	o->next_sample = 0;
	atomic_store(&o->abort, false);
	ret = daqd_batch_reader_new(s, st, BATCH_BYTES, &o->copy, &o->copy_len, &o->reader);
	if (ret)
		return ret;
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
		if (join_within(o->thread, STOP_GRACE_S * 1000)) {
			atomic_store(&o->abort, true);
			/* Repeat: the signal may land just before writev() blocks. */
			do
				pthread_kill(o->thread, INTERRUPT_SIGNAL);
			while (join_within(o->thread, 50));
		}
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
	free(((struct stdout_sink *)s)->copy);
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
	{
		struct sigaction sa = { .sa_handler = on_interrupt };

		sigemptyset(&sa.sa_mask);
		sigaction(INTERRUPT_SIGNAL, &sa, NULL);
	}
	o->fd = fd;
	*out = &o->base;
	return 0;
}
