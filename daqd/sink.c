// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The part of a sink every kind shares: wake-ups, requests, counters, the
 * failure record and the common status fields.
 */
#include "sink.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"
#include "sigmf.h"

int daqd_sink_init(struct daqd_sink *sink, const struct daqd_sink_ops *ops,
		   const char *name)
{
	memset(sink, 0, sizeof(*sink));
	sink->ops = ops;
	snprintf(sink->name, sizeof(sink->name), "%s", name);
	sink->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (sink->wake_fd < 0)
		return -errno;
	pthread_mutex_init(&sink->err_lock, NULL);
	atomic_store(&sink->state, DAQD_SINK_IDLE);
	return 0;
}

void daqd_sink_cleanup(struct daqd_sink *sink)
{
	if (sink->wake_fd >= 0)
		close(sink->wake_fd);
	sink->wake_fd = -1;
	pthread_mutex_destroy(&sink->err_lock);
}

void daqd_sink_begin(struct daqd_sink *sink, const struct daqd_stream *stream)
{
	atomic_store(&sink->c.bytes, 0);
	atomic_store(&sink->c.frames, 0);
	atomic_store(&sink->c.samples, 0);
	atomic_store(&sink->c.lost_samples, 0);
	atomic_store(&sink->c.gaps, 0);
	atomic_store(&sink->c.errors, 0);
	atomic_store(&sink->stop_requested, false);
	atomic_store(&sink->rotate_requested, false);
	pthread_mutex_lock(&sink->err_lock);
	sink->error[0] = 0;
	sink->err = 0;
	pthread_mutex_unlock(&sink->err_lock);
	daqd_sink_clear_wake(sink);
	sink->stream = stream;
	atomic_store(&sink->state, DAQD_SINK_RUNNING);
}

void daqd_sink_wake(struct daqd_sink *sink)
{
	uint64_t one = 1;
	ssize_t n;

	/* EAGAIN means the counter is saturated: the sink is awake anyway. */
	n = write(sink->wake_fd, &one, sizeof(one));
	(void)n;
}

void daqd_sink_request_stop(struct daqd_sink *sink)
{
	atomic_store(&sink->stop_requested, true);
	daqd_sink_wake(sink);
}

void daqd_sink_request_rotate(struct daqd_sink *sink)
{
	atomic_store(&sink->rotate_requested, true);
	daqd_sink_wake(sink);
}

void daqd_sink_clear_wake(struct daqd_sink *sink)
{
	uint64_t v;
	ssize_t n;

	n = read(sink->wake_fd, &v, sizeof(v));
	(void)n;
}

int daqd_sink_wait(struct daqd_sink *sink, int timeout_ms)
{
	struct pollfd pfd = { .fd = sink->wake_fd, .events = POLLIN };
	int n;

	do
		n = poll(&pfd, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		daqd_sink_clear_wake(sink);
		return 1;
	}
	return 0;
}

bool daqd_sink_wait_started(struct daqd_sink *sink)
{
	for (;;) {
		/* Stop first: a start that failed must not be waited for. */
		if (atomic_load(&sink->stop_requested))
			return atomic_load(&sink->stream->started);
		if (atomic_load(&sink->stream->started))
			return true;
		daqd_sink_wait(sink, 100);
	}
}

void daqd_sink_fail(struct daqd_sink *sink, int err, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&sink->err_lock);
	va_start(ap, fmt);
	vsnprintf(sink->error, sizeof(sink->error), fmt, ap);
	va_end(ap);
	sink->err = err;
	pthread_mutex_unlock(&sink->err_lock);
	atomic_fetch_add(&sink->c.errors, 1);
	atomic_store(&sink->state, DAQD_SINK_FAILED);
	daqd_log(DAQD_LOG_ERR, "sink %s: %s", sink->name, sink->error);
}

const char *daqd_sink_state_name(enum daqd_sink_state state)
{
	switch (state) {
	case DAQD_SINK_IDLE:
		return "idle";
	case DAQD_SINK_RUNNING:
		return "running";
	case DAQD_SINK_FAILED:
		return "failed";
	}
	return "unknown";
}

static void add_u64(struct json_object *obj, const char *key, uint64_t v)
{
	json_object_object_add(obj, key, json_object_new_uint64(v));
}

struct json_object *daqd_sink_status_json(struct daqd_sink *sink)
{
	struct json_object *obj = json_object_new_object();

	if (!obj)
		return NULL;
	json_object_object_add(obj, "name", json_object_new_string(sink->name));
	json_object_object_add(obj, "kind", json_object_new_string(sink->ops->kind));
	json_object_object_add(obj, "state",
			       json_object_new_string(daqd_sink_state_name(atomic_load(&sink->state))));
	pthread_mutex_lock(&sink->err_lock);
	json_object_object_add(obj, "error",
			       sink->error[0] ? json_object_new_string(sink->error) : NULL);
	pthread_mutex_unlock(&sink->err_lock);
	add_u64(obj, "bytes", atomic_load(&sink->c.bytes));
	add_u64(obj, "frames", atomic_load(&sink->c.frames));
	add_u64(obj, "samples", atomic_load(&sink->c.samples));
	add_u64(obj, "lost_samples", atomic_load(&sink->c.lost_samples));
	add_u64(obj, "gaps", atomic_load(&sink->c.gaps));
	add_u64(obj, "errors", atomic_load(&sink->c.errors));
	if (sink->ops->status)
		sink->ops->status(sink, obj);
	return obj;
}

uint64_t daqd_sink_count_gap(struct daqd_sink *sink, uint64_t expected, uint64_t first)
{
	uint64_t lost = first > expected ? first - expected : 0;

	if (first != expected) {
		atomic_fetch_add(&sink->c.lost_samples, lost);
		atomic_fetch_add(&sink->c.gaps, 1);
	}
	return lost;
}

uint64_t daqd_sink_count_end(struct daqd_sink *sink, uint64_t next)
{
	uint64_t end = atomic_load(&sink->stream->end_sample);

	/* Lost at the very end: no later sample shows the jump. */
	return end > next ? daqd_sink_count_gap(sink, next, end) : 0;
}

int daqd_sink_spawn(struct daqd_sink *sink, pthread_t *thread, bool *running,
		    void *(*fn)(void *), void *arg, struct udaq_reader **reader)
{
	int ret = pthread_create(thread, NULL, fn, arg);

	if (ret) {
		udaq_reader_free(*reader);
		*reader = NULL;
		daqd_sink_fail(sink, -ret, "cannot start the %s thread: %s", sink->ops->kind,
			       strerror(ret));
		return -ret;
	}
	*running = true;
	return 0;
}

void daqd_sink_join(struct daqd_sink *sink, pthread_t thread, bool *running)
{
	if (!*running)
		return;
	daqd_sink_request_stop(sink);
	pthread_join(thread, NULL);
	*running = false;
}

bool daqd_sink_thread_begin(struct daqd_sink *sink, const char *name)
{
	pthread_setname_np(pthread_self(), name);
	return daqd_sink_wait_started(sink);
}

void daqd_sink_acq_stamp(const struct daqd_stream *st, char *buf, size_t len)
{
	time_t t = st->start_realtime.tv_sec;
	char date[24];
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%Y%m%dT%H%M%S", &tm);
	snprintf(buf, len, "%.20s.%06uZ", date,
		 (unsigned int)(st->start_realtime.tv_nsec / 1000 % 1000000));
}

void daqd_sink_meta_init(struct daqd_sigmf_meta *m, const struct daqd_stream *st,
			 const char *recorder, uint32_t file_index)
{
	m->datatype = st->datatype;
	m->sample_rate = st->sample_rate;
	m->num_channels = st->num_channels;
	m->hw = st->hw;
	m->recorder = recorder;
	m->acq_id = st->acq_id;
	m->file_index = file_index;
}
