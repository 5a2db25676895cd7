/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The stream test rig (see rig.h). */
#include "rig.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uio_daq/frame.h>

static void *acq_thread(void *arg)
{
	struct rig *r = arg;

	while (!atomic_load(&r->acq_stop)) {
		int ret = udaq_digitizer_wait(r->dg, 10);

		if (ret < 0 && ret != -EINTR) {
			fprintf(stderr, "rig: digitizer wait: %s\n", strerror(-ret));
			break;
		}
		daqd_sink_wake(r->net);
	}
	return NULL;
}

/* The lossless consumer: checks every sample and the index continuity. */
static void *rec_thread(void *arg)
{
	struct rig *r = arg;
	struct udaq_frame fr;
	uint64_t expect = 0;
	bool started = false;

	for (;;) {
		int ret = udaq_frame_next(r->rec_reader, r->st.frame_len, &fr);

		if (ret < 0) {
			atomic_fetch_add(&r->rec_bad, 1);
			break;
		}
		if (ret == 0) {
			if (atomic_load(&r->rec_stop))
				break;
			usleep(1000);
			continue;
		}
		if (started && fr.first_sample != expect)
			atomic_fetch_add(&r->rec_gaps, 1);
		started = true;
		expect = fr.first_sample + fr.nsamples;
		{
			const uint8_t *p = fr.samples;
			unsigned int chans[32], n = 0;

			for (unsigned int c = 0; c < 32; c++)
				if (fr.chan_mask & (1u << c))
					chans[n++] = c;
			for (uint32_t i = 0; i < fr.nsamples; i++)
				for (unsigned int k = 0; k < n; k++, p += 2) {
					int16_t v = (int16_t)(uint16_t)(p[0] | (p[1] << 8));

					if (v != udaq_test_sample(fr.first_sample + i, chans[k]))
						atomic_fetch_add(&r->rec_bad, 1);
				}
		}
		atomic_fetch_add(&r->rec_samples, fr.nsamples);
		udaq_frame_release(r->rec_reader, &fr);
	}
	return NULL;
}

int rig_open(struct rig *r, const struct rig_config *cfg)
{
	struct daqd_net_config nc = { 0 };
	char spec[128], err[256];
	int ret;

	memset(r, 0, sizeof(*r));
	r->cfg = *cfg;
	snprintf(r->dir, sizeof(r->dir), "/tmp/stream-test-XXXXXX");
	if (!mkdtemp(r->dir))
		return -errno;
	snprintf(spec, sizeof(spec), "sim:%s", cfg->sim_opts);
	ret = udaq_ctx_new(&r->ctx);
	if (!ret)
		ret = udaq_dev_open(r->ctx, spec, &r->dev);
	if (!ret)
		ret = udaq_digitizer_open(r->dev, &r->dg);
	if (ret) {
		fprintf(stderr, "rig: cannot open %s: %s\n", spec, strerror(-ret));
		return ret;
	}
	snprintf(r->unix_addr, sizeof(r->unix_addr), "unix:%s/s.sock", r->dir);
	nc.listen[0] = r->unix_addr;
	nc.listen[1] = "127.0.0.1:0";
	nc.nlisten = 2;
	nc.max_clients = cfg->max_clients;
	nc.request_timeout_ms = cfg->request_timeout_ms;
	nc.stall_timeout_ms = cfg->stall_timeout_ms;
	ret = daqd_net_new(&nc, &r->net, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "rig: %s\n", err);
		return ret;
	}
	daqd_net_address(r->net, 1, r->tcp_addr, sizeof(r->tcp_addr));
	return 0;
}

int rig_start(struct rig *r)
{
	struct udaq_digitizer_config dc = {
		.sample_rate = r->cfg.rate,
		.chan_mask = r->cfg.chan_mask,
		.format = UDAQ_FORMAT_I16LE,
		.frame_samples = r->cfg.frame_samples ? r->cfg.frame_samples : 1024,
		.policy = UDAQ_POLICY_STOP,
		.test_pattern = true,
		.freerun = r->cfg.rate == 0,
	};
	char msg[200];
	int ret;

	ret = udaq_digitizer_config_check(r->dg, &dc, msg, sizeof(msg));
	if (ret) {
		fprintf(stderr, "rig: config: %s\n", msg);
		return ret;
	}
	ret = udaq_digitizer_configure(r->dg, &dc);
	if (ret)
		return ret;
	{
		uint64_t id = r->st.acq_id;

		memset(&r->st, 0, sizeof(r->st));
		r->st.acq_id = id;
	}
	atomic_store(&r->st.started, false);
	r->st.ring = udaq_digitizer_ring(r->dg);
	r->st.frame_len = udaq_digitizer_frame_len(r->dg);
	r->st.sample_rate = r->cfg.rate;
	r->st.num_channels = (uint32_t)__builtin_popcount(r->cfg.chan_mask);
	r->st.chan_mask = r->cfg.chan_mask;
	r->st.datatype = "ri16_le";
	r->st.sample_bytes = r->st.num_channels * 2;
	r->st.hw = "refdaq-sim (stream test rig)";
	r->st.acq_id++;
	clock_gettime(CLOCK_REALTIME, &r->st.start_realtime);

	atomic_store(&r->rec_samples, 0);
	atomic_store(&r->rec_gaps, 0);
	atomic_store(&r->rec_bad, 0);
	if (r->cfg.recorder) {
		ret = udaq_reader_new(r->st.ring, UDAQ_READER_LOSSLESS, &r->rec_reader);
		if (ret)
			return ret;
	}
	ret = r->net->ops->start(r->net, &r->st);
	if (ret)
		return ret;
	ret = udaq_digitizer_start(r->dg);
	if (ret) {
		fprintf(stderr, "rig: start: %s\n", strerror(-ret));
		return ret;
	}
	/* As daqd's acquisition does: the readers are reset, sinks may read. */
	atomic_store(&r->st.started, true);
	daqd_sink_wake(r->net);
	atomic_store(&r->acq_stop, false);
	atomic_store(&r->rec_stop, false);
	pthread_create(&r->acq, NULL, acq_thread, r);
	if (r->cfg.recorder)
		pthread_create(&r->rec, NULL, rec_thread, r);
	r->running = true;
	return 0;
}

void rig_stop(struct rig *r)
{
	if (!r->running)
		return;
	atomic_store(&r->acq_stop, true);
	pthread_join(r->acq, NULL);
	udaq_digitizer_stop(r->dg);
	{
		struct udaq_digitizer_status st;
		uint32_t fs = udaq_digitizer_frame_samples(r->dg);

		/* Produced or dropped, as daqd_acq_produced() counts it. */
		if (udaq_digitizer_status(r->dg, &st) == 0)
			atomic_store(&r->st.end_sample, st.frames * fs + st.lost_samples);
	}
	if (r->cfg.recorder) {
		atomic_store(&r->rec_stop, true);
		pthread_join(r->rec, NULL);
		udaq_reader_free(r->rec_reader);
		r->rec_reader = NULL;
	}
	r->net->ops->stop(r->net);
	r->running = false;
}

void rig_close(struct rig *r)
{
	char path[160];

	rig_stop(r);
	if (r->net)
		r->net->ops->destroy(r->net);
	udaq_digitizer_close(r->dg);
	udaq_dev_close(r->dev);
	udaq_ctx_free(r->ctx);
	snprintf(path, sizeof(path), "%s/s.sock", r->dir);
	unlink(path);
	rmdir(r->dir);
}

int rig_status(struct rig *r, struct udaq_digitizer_status *st)
{
	return udaq_digitizer_status(r->dg, st);
}

int rig_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory stream's own fd */
}
