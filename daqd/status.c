// SPDX-License-Identifier: GPL-2.0-or-later
/* What daqd tells about itself: status replies, the status line, the summary. */
#include <stdio.h>
#include <string.h>

#include "daemon.h"
#include "log.h"

static const char *acq_state_name(int state)
{
	switch (state) {
	case DAQD_ACQ_IDLE:
		return "stopped";
	case DAQD_ACQ_RUNNING:
		return "running";
	case DAQD_ACQ_ENDED:
		return "finished";
	case DAQD_ACQ_FAILED:
		return "failed";
	}
	return "unknown";
}

static double now_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

void daqd_status_tick(struct daqd *d)
{
	struct udaq_digitizer_status st;
	double el, dt;
	uint64_t samples;

	daqd_acq_snapshot(&d->acq, &st, &el, NULL, 0);
	samples = daqd_acq_produced(&d->acq, &st);
	dt = now_since(&d->rate_t);
	if (st.wr_ptr < d->rate_bytes || samples < d->rate_samples) {
		/* A new acquisition restarted the counters. */
		d->rate_bytes = 0;
		d->rate_samples = 0;
	}
	if (dt > 0.05) {
		d->bytes_per_s = (double)(st.wr_ptr - d->rate_bytes) / dt;
		d->samples_per_s = (double)(samples - d->rate_samples) / dt;
	}
	if (atomic_load(&d->acq.state) != DAQD_ACQ_RUNNING) {
		d->bytes_per_s = 0;
		d->samples_per_s = 0;
	}
	d->rate_bytes = st.wr_ptr;
	d->rate_samples = samples;
	clock_gettime(CLOCK_MONOTONIC, &d->rate_t);
}

static void add_u64(struct json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_uint64(v));
}

struct json_object *daqd_status_json(struct daqd *d, bool stats)
{
	struct json_object *o = json_object_new_object();
	struct json_object *acq = json_object_new_object();
	struct json_object *sinks = json_object_new_array();
	struct udaq_digitizer_status st;
	size_t ring = udaq_ring_size(udaq_digitizer_ring(d->dg));
	char error[256];
	double el;

	if (!o || !acq || !sinks) {
		json_object_put(o);
		json_object_put(acq);
		json_object_put(sinks);
		return NULL;
	}
	daqd_acq_snapshot(&d->acq, &st, &el, error, sizeof(error));
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "version", json_object_new_string(DAQD_VERSION));
	json_object_object_add(o, "device", json_object_new_string(d->cfg.device));
	json_object_object_add(o, "hw", json_object_new_string(d->hw));
	json_object_object_add(o, "uptime", json_object_new_double(now_since(&d->t0)));
	json_object_object_add(o, "acquisition", acq);
	json_object_object_add(acq, "state",
			       json_object_new_string(acq_state_name(atomic_load(&d->acq.state))));
	json_object_object_add(acq, "error", error[0] ? json_object_new_string(error) : NULL);
	add_u64(acq, "id", d->acq.stream.acq_id);
	add_u64(acq, "sample_rate", d->acq.stream.sample_rate);
	add_u64(acq, "channels", d->acq.stream.num_channels);
	json_object_object_add(acq, "elapsed", json_object_new_double(el));
	add_u64(acq, "samples", daqd_acq_produced(&d->acq, &st));
	add_u64(acq, "bytes", st.wr_ptr);
	add_u64(acq, "frames", st.frames);
	add_u64(acq, "lost_samples", st.lost_samples);
	add_u64(acq, "ring_size", ring);
	add_u64(acq, "ring_used", st.wr_ptr - st.rd_ptr);
	json_object_object_add(acq, "ring_fill",
			       json_object_new_double(ring ? (double)(st.wr_ptr - st.rd_ptr) / (double)ring : 0));
	json_object_object_add(acq, "bytes_per_second", json_object_new_double(d->bytes_per_s));
	json_object_object_add(acq, "samples_per_second", json_object_new_double(d->samples_per_s));
	if (stats) {
		add_u64(acq, "wr_ptr", st.wr_ptr);
		add_u64(acq, "rd_ptr", st.rd_ptr);
		add_u64(acq, "irqs", st.irqs);
		add_u64(acq, "irqs_missed", st.irqs_missed);
		json_object_object_add(acq, "ring_full", json_object_new_boolean(st.ring_full));
		json_object_object_add(acq, "err_overflow", json_object_new_boolean(st.err_overflow));
		json_object_object_add(acq, "err_dma", json_object_new_boolean(st.err_dma));
	}
	json_object_object_add(o, "sinks", sinks);
	for (size_t i = 0; i < d->nsinks; i++) {
		struct json_object *s = daqd_sink_status_json(d->sinks[i]);

		if (!s)
			continue;
		if (!stats) {
			/* "status" is the short form: who, how, and any error. */
			struct json_object *brief = json_object_new_object();
			static const char *const keep[] = { "name", "kind", "state", "error",
							    "file", "bytes", "lost_samples",
							    "clients" };

			for (size_t k = 0; brief && k < sizeof(keep) / sizeof(keep[0]); k++) {
				struct json_object *v;

				if (json_object_object_get_ex(s, keep[k], &v))
					json_object_object_add(brief, keep[k], json_object_get(v));
			}
			json_object_put(s);
			s = brief;
		}
		if (s)
			json_object_array_add(sinks, s);
	}
	return o;
}

static void human_bytes(double b, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	size_t u = 0;

	while (b >= 1024 && u < 4) {
		b /= 1024;
		u++;
	}
	snprintf(buf, len, "%.1f %s", b, units[u]);
}

void daqd_status_text(struct daqd *d, char *buf, size_t len)
{
	struct udaq_digitizer_status st;
	size_t ring = udaq_ring_size(udaq_digitizer_ring(d->dg));
	char bytes[32], rate[32];
	size_t n;
	double el;

	daqd_acq_snapshot(&d->acq, &st, &el, NULL, 0);
	human_bytes((double)st.wr_ptr, bytes, sizeof(bytes));
	human_bytes(d->bytes_per_s, rate, sizeof(rate));
	n = (size_t)snprintf(buf, len,
			     "%s %.1fs %.3f MS/s %s/s %s frames %llu ring %.0f%% lost %llu |",
			     acq_state_name(atomic_load(&d->acq.state)), el,
			     d->samples_per_s / 1e6, rate, bytes,
			     (unsigned long long)st.frames,
			     ring ? 100.0 * (double)(st.wr_ptr - st.rd_ptr) / (double)ring : 0.0,
			     (unsigned long long)st.lost_samples);
	for (size_t i = 0; i < d->nsinks && n < len; i++) {
		struct daqd_sink *s = d->sinks[i];

		human_bytes((double)atomic_load(&s->c.bytes), bytes, sizeof(bytes));
		n += (size_t)snprintf(buf + n, len - n, " %s %s %s", s->name,
				      daqd_sink_state_name(atomic_load(&s->state)), bytes);
	}
}

void daqd_summary(struct daqd *d)
{
	struct udaq_digitizer_status st;
	char error[256], bytes[32];
	double el;

	daqd_acq_snapshot(&d->acq, &st, &el, error, sizeof(error));
	human_bytes((double)st.wr_ptr, bytes, sizeof(bytes));
	daqd_log(DAQD_LOG_INFO,
		 "summary: %.2f s, %llu samples/channel (%s in %llu frames), %llu samples lost%s%s",
		 el, (unsigned long long)daqd_acq_produced(&d->acq, &st), bytes,
		 (unsigned long long)st.frames, (unsigned long long)st.lost_samples,
		 error[0] ? "; " : "", error);
	for (size_t i = 0; i < d->nsinks; i++) {
		struct daqd_sink *s = d->sinks[i];

		pthread_mutex_lock(&s->err_lock);
		daqd_log(DAQD_LOG_INFO,
			 "summary: sink %s %s: %llu samples, %llu bytes, %llu frames, %llu samples lost in %llu gaps%s%s",
			 s->name, daqd_sink_state_name(atomic_load(&s->state)),
			 (unsigned long long)atomic_load(&s->c.samples),
			 (unsigned long long)atomic_load(&s->c.bytes),
			 (unsigned long long)atomic_load(&s->c.frames),
			 (unsigned long long)atomic_load(&s->c.lost_samples),
			 (unsigned long long)atomic_load(&s->c.gaps),
			 s->error[0] ? "; " : "", s->error);
		pthread_mutex_unlock(&s->err_lock);
	}
}
