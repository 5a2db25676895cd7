// SPDX-License-Identifier: GPL-2.0-or-later
#include "acq.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>


#include "log.h"

#define WAIT_MS		50	/* bounds how late a stop request is seen */

static double since(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

int daqd_acq_init(struct daqd_acq *acq, struct udaq_digitizer *dg,
		  struct daqd_sink **sinks, size_t nsinks,
		  const struct udaq_digitizer_config *dcfg, double duration,
		  const char *hw)
{
	uint32_t nchan = (uint32_t)__builtin_popcount(dcfg->chan_mask);

	memset(acq, 0, sizeof(*acq));
	acq->dg = dg;
	acq->sinks = sinks;
	acq->nsinks = nsinks;
	/* What the driver made of the configuration, its default included. */
	acq->frame_samples = udaq_digitizer_frame_samples(dg);
	acq->duration = duration;
	acq->freerun = dcfg->freerun;
	acq->stream.ring = udaq_digitizer_ring(dg);
	acq->stream.sample_rate = dcfg->freerun ? 0 : dcfg->sample_rate;
	acq->stream.num_channels = nchan;
	acq->stream.chan_mask = dcfg->chan_mask;
	acq->stream.datatype = "ri16_le";
	acq->stream.sample_bytes = (size_t)nchan * 2;
	acq->stream.hw = hw;
	acq->stream.policy = dcfg->policy;
	/*
	 * With a nominal rate the duration is a number of samples, so that a
	 * ten-second recording holds exactly ten seconds of samples.
	 */
	if (duration > 0 && !dcfg->freerun) {
		acq->stream.max_samples = (uint64_t)(duration * dcfg->sample_rate + 0.5);
		/* 0 would mean no limit: a duration asks for at least a sample. */
		if (acq->stream.max_samples == 0)
			acq->stream.max_samples = 1;
	}
	acq->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (acq->event_fd < 0)
		return -errno;
	pthread_mutex_init(&acq->lock, NULL);
	return 0;
}

void daqd_acq_cleanup(struct daqd_acq *acq)
{
	daqd_acq_stop(acq);
	if (acq->event_fd >= 0)
		close(acq->event_fd);
	acq->event_fd = -1;
	pthread_mutex_destroy(&acq->lock);
}

uint64_t daqd_acq_produced(const struct daqd_acq *acq,
			   const struct udaq_digitizer_status *st)
{
	return st->frames * acq->frame_samples + st->lost_samples;
}

static void wake_sinks(struct daqd_acq *acq)
{
	for (size_t i = 0; i < acq->nsinks; i++)
		if (atomic_load(&acq->sinks[i]->state) == DAQD_SINK_RUNNING)
			daqd_sink_wake(acq->sinks[i]);
}

static void set_error(struct daqd_acq *acq, const char *msg)
{
	pthread_mutex_lock(&acq->lock);
	snprintf(acq->error, sizeof(acq->error), "%s", msg);
	pthread_mutex_unlock(&acq->lock);
}

static void *acq_thread(void *arg)
{
	struct daqd_acq *acq = arg;
	enum daqd_acq_state end = DAQD_ACQ_ENDED;
	struct udaq_digitizer_status st = { 0 };
	struct timespec now;
	bool by_itself = false;

	/* Named so that top/ps and the benchmark can tell threads apart. */
	pthread_setname_np(pthread_self(), "daqd-acq");

	while (!atomic_load(&acq->stop_req)) {
		int ret = udaq_digitizer_wait(acq->dg, WAIT_MS);

		if (ret < 0 && ret != -EINTR) {
			char msg[200];

			snprintf(msg, sizeof(msg), "%s",
				 ret == -ENODEV ? "the device is gone (removed or reset)" :
				 ret == -EIO ? "the device reported a DMA error; acquisition halted" :
				 strerror(-ret));
			set_error(acq, msg);
			daqd_log(DAQD_LOG_ERR, "acquisition: %s", msg);
			atomic_store(&acq->stream.end_reason, DAQD_END_DEVICE_ERROR);
			end = DAQD_ACQ_FAILED;
			by_itself = true;
			break;
		}
		if (udaq_digitizer_status(acq->dg, &st) == 0) {
			pthread_mutex_lock(&acq->lock);
			acq->st = st;
			pthread_mutex_unlock(&acq->lock);
		}
		atomic_fetch_add(&acq->heartbeat, 1);
		wake_sinks(acq);
		if (acq->stream.max_samples &&
		    daqd_acq_produced(acq, &st) >= acq->stream.max_samples) {
			by_itself = true;
			break;
		}
		if (acq->duration > 0 && acq->freerun) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (since(&acq->started, &now) >= acq->duration) {
				by_itself = true;
				break;
			}
		}
	}
	udaq_digitizer_stop(acq->dg);
	if (udaq_digitizer_status(acq->dg, &st) == 0) {
		uint64_t last = daqd_acq_produced(acq, &st);

		pthread_mutex_lock(&acq->lock);
		acq->st = st;
		pthread_mutex_unlock(&acq->lock);
		if (acq->stream.max_samples && last > acq->stream.max_samples)
			last = acq->stream.max_samples;
		atomic_store(&acq->stream.end_sample, last);
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&acq->lock);
	acq->ended = now;
	pthread_mutex_unlock(&acq->lock);
	wake_sinks(acq);
	if (by_itself) {
		uint64_t one = 1;
		ssize_t n;

		atomic_store(&acq->state, end);
		n = write(acq->event_fd, &one, sizeof(one));
		(void)n;
	}
	return NULL;
}

int daqd_acq_start(struct daqd_acq *acq)
{
	size_t started = 0;
	int ret;

	if (acq->thread_running)
		return -EALREADY;
	acq->stream.frame_len = udaq_digitizer_frame_len(acq->dg);
	acq->stream.acq_id++;
	atomic_store(&acq->stream.end_sample, 0);
	atomic_store(&acq->stream.end_reason, DAQD_END_STOPPED);
	atomic_store(&acq->stream.started, false);
	atomic_store(&acq->stop_req, false);
	pthread_mutex_lock(&acq->lock);
	memset(&acq->st, 0, sizeof(acq->st));
	acq->error[0] = 0;
	acq->runs++;
	pthread_mutex_unlock(&acq->lock);
	/* Sample 0's wall-clock time: taken just before the device starts. */
	clock_gettime(CLOCK_REALTIME, &acq->stream.start_realtime);
	for (; started < acq->nsinks; started++) {
		ret = acq->sinks[started]->ops->start(acq->sinks[started], &acq->stream);
		if (ret)
			goto fail_sinks;
	}
	ret = udaq_digitizer_start(acq->dg);
	if (ret) {
		daqd_log(DAQD_LOG_ERR, "cannot start the device: %s", strerror(-ret));
		set_error(acq, "the device refused to start");
		goto fail_sinks;
	}
	clock_gettime(CLOCK_MONOTONIC, &acq->started);
	/* The ring and the readers are reset: the sinks may read now. */
	atomic_store(&acq->stream.started, true);
	wake_sinks(acq);
	atomic_store(&acq->state, DAQD_ACQ_RUNNING);
	ret = pthread_create(&acq->thread, NULL, acq_thread, acq);
	if (ret) {
		ret = -ret;
		udaq_digitizer_stop(acq->dg);
		goto fail_sinks;
	}
	acq->thread_running = true;
	return 0;

fail_sinks:
	while (started--)
		acq->sinks[started]->ops->stop(acq->sinks[started]);
	atomic_store(&acq->state, DAQD_ACQ_FAILED);
	return ret;
}

void daqd_acq_stop(struct daqd_acq *acq)
{
	uint64_t v;
	ssize_t n;

	if (!acq->thread_running)
		return;
	atomic_store(&acq->stop_req, true);
	pthread_join(acq->thread, NULL);
	acq->thread_running = false;
	n = read(acq->event_fd, &v, sizeof(v));
	(void)n;
	for (size_t i = 0; i < acq->nsinks; i++)
		acq->sinks[i]->ops->stop(acq->sinks[i]);
	if (atomic_load(&acq->state) == DAQD_ACQ_RUNNING)
		atomic_store(&acq->state, DAQD_ACQ_IDLE);
}

void daqd_acq_snapshot(struct daqd_acq *acq, struct udaq_digitizer_status *st,
		       double *elapsed, char *error, size_t errlen)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&acq->lock);
	*st = acq->st;
	if (atomic_load(&acq->state) == DAQD_ACQ_RUNNING)
		*elapsed = since(&acq->started, &now);
	else if (acq->runs)
		*elapsed = since(&acq->started, &acq->ended);
	else
		*elapsed = 0;
	if (error)
		snprintf(error, errlen, "%s", acq->error);
	pthread_mutex_unlock(&acq->lock);
}
