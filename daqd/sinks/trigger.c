// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The trigger sink. One lossy reader whose cursor trails the scan by the
 * pre-trigger window: the ring itself is the history. The scan walks whole
 * frames ahead of the cursor (trigger_scan.c); an event is opened when its
 * condition fires and takes its samples, frame by frame, from the cursor's
 * history and then from each newly scanned frame, until its post-trigger
 * window is complete. Every piece is copied out of the ring and checked
 * against the device's write position before it is written, so that a
 * file never holds a sample the device overwrote: what is gone is counted,
 * as history loss (before the first sample the file has) or as a gap (a
 * new capture segment with a loss annotation, as the recorder marks it).
 */
#include "trigger.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "log.h"
#include "paths.h"
#include "sigmf.h"
#include "trigger_scan.h"

#define MAX_OPEN	16	/* events being written at once */
#define MAX_ANNOUNCE	256	/* announcements waiting for the control thread */
#define IDLE_WAIT_MS	100

struct trig_event {
	uint64_t seq;			/* event number, from 0 */
	uint64_t index;			/* device sample of the trigger */
	uint64_t start, end;		/* window [start, end), device samples */
	uint64_t next;			/* next device sample wanted */
	uint64_t pos;			/* stream position of its next frame */
	uint64_t before;		/* samples written before @index */
	uint64_t history_lost;		/* of [start, index), gone before written */
	uint64_t lost;			/* of the whole window */
	bool started;			/* a sample written */
	struct daqd_sigmf_file out;
	struct json_object *anns, *ann;	/* the trigger annotation */
};

struct trigger {
	struct daqd_sink base;
	const struct daqd_config *cfg;
	const struct daqd_trigger_cfg *tc;
	const char *dir;
	int dirfd;
	pthread_t thread;
	bool thread_running;
	struct udaq_reader *reader;
	char recorder_name[64];
	char acq_stamp[40];
	uint8_t *bounce;		/* one frame's payload */
	size_t bounce_len;

	/* Data path, the sink's thread only. */
	struct daqd_trig_engine eng;
	struct udaq_span span;		/* the last peek */
	uint64_t scan_pos;		/* stream position of the next frame to scan */
	uint64_t scan_next;		/* device sample expected next */
	uint64_t last_event;		/* device sample of the last event */
	bool have_last;
	uint64_t rate_spacing;		/* samples between events (max_rate) */
	uint64_t fires[MAX_OPEN];
	size_t nfires;
	struct trig_event ev[MAX_OPEN];
	size_t nev;
	uint64_t seq;

	/* Status: atomics; last_file and the announcements under lock. */
	struct json_object *announce[MAX_ANNOUNCE];
	size_t ann_first, ann_n;
	_Atomic uint64_t announce_dropped;
	atomic_bool done;
	_Atomic uint64_t events, suppressed, busy, history_lost, event_lost;
	_Atomic uint64_t last_index;
	pthread_mutex_t lock;
	char last_file[200];
};

static struct trigger *to_trig(struct daqd_sink *s)
{
	return (struct trigger *)s;
}

/* A stream position: round up to a frame boundary. */
static uint64_t frame_up(const struct trigger *t, uint64_t pos)
{
	uint64_t fl = t->base.stream->frame_len;

	return (pos + fl - 1) / fl * fl;
}

/* Is the frame at @pos still intact after it was read? */
static bool frame_intact(const struct trigger *t, uint64_t pos)
{
	struct udaq_span sub = { .pos = pos, .len = t->base.stream->frame_len };

	return udaq_reader_check(t->reader, &sub, sub.len) == 0;
}

/* Parse the frame at @pos of the last peek. Return 1, 0 (not there), -EBADMSG. */
static int frame_at(const struct trigger *t, uint64_t pos, struct udaq_frame *fr)
{
	const struct udaq_span *sp = &t->span;

	if (pos < sp->pos || pos + t->base.stream->frame_len > sp->pos + sp->len)
		return 0;
	return udaq_frame_parse((const uint8_t *)sp->data + (pos - sp->pos),
				t->base.stream->frame_len, fr);
}

static void add_u64(struct json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_uint64(v));
}

/* The trigger annotation: where and why the event fired. */
static struct json_object *trigger_annotation(const struct trigger *t, const struct trig_event *e)
{
	const struct daqd_trigger_cfg *tc = t->tc;
	bool window = tc->cond == DAQD_TRIG_WIN_IN || tc->cond == DAQD_TRIG_WIN_OUT;
	struct json_object *o = json_object_new_object();
	char text[256];

	if (!o)
		return NULL;
	if (window)
		snprintf(text, sizeof(text),
			 "trigger %s: %s %d..%d (hysteresis %d) on channel %u at device sample %llu",
			 tc->name, daqd_trig_cond_name(tc->cond), (int)tc->level, (int)tc->level2,
			 (int)tc->hysteresis, tc->channel, (unsigned long long)e->index);
	else
		snprintf(text, sizeof(text),
			 "trigger %s: %s, level %d (hysteresis %d) on channel %u at device sample %llu",
			 tc->name, daqd_trig_cond_name(tc->cond), (int)tc->level,
			 (int)tc->hysteresis, tc->channel, (unsigned long long)e->index);
	/* Placed at the trigger sample when the event is complete. */
	add_u64(o, "core:sample_start", UINT64_MAX);
	add_u64(o, "core:sample_count", 0);
	json_object_object_add(o, "core:label", json_object_new_string("trigger"));
	json_object_object_add(o, "core:comment", json_object_new_string(text));
	json_object_object_add(o, "daqd:trigger_name", json_object_new_string(tc->name));
	add_u64(o, "daqd:trigger_event", e->seq);
	add_u64(o, "daqd:trigger_index", e->index);
	add_u64(o, "daqd:trigger_channel", tc->channel);
	json_object_object_add(o, "daqd:trigger_condition",
			       json_object_new_string(daqd_trig_cond_name(tc->cond)));
	json_object_object_add(o, "daqd:trigger_level", json_object_new_int(tc->level));
	if (window)
		json_object_object_add(o, "daqd:trigger_level2", json_object_new_int(tc->level2));
	json_object_object_add(o, "daqd:trigger_hysteresis", json_object_new_int(tc->hysteresis));
	add_u64(o, "daqd:trigger_pre", tc->pre);
	add_u64(o, "daqd:trigger_post", tc->post);
	add_u64(o, "daqd:trigger_holdoff", tc->holdoff);
	return o;
}

static int open_event(struct trigger *t, uint64_t index)
{
	const struct daqd_stream *st = t->base.stream;
	struct trig_event *e = &t->ev[t->nev];
	struct daqd_sigmf_meta *m = &e->out.meta;
	char stem[160];
	int ret;

	memset(e, 0, sizeof(*e));
	e->seq = t->seq++;
	e->index = index;
	e->start = index >= t->tc->pre ? index - t->tc->pre : 0;
	e->end = index + t->tc->post;
	if (st->max_samples && e->end > st->max_samples)
		e->end = st->max_samples;
	e->next = e->start;
	/* The history starts at the reader's cursor: all the ring still has. */
	e->pos = t->span.pos;
	e->out.dirfd = t->dirfd;
	e->out.data_fd = -1;
	snprintf(stem, sizeof(stem), "%s-%s-%s-%06llu", t->cfg->prefix, t->acq_stamp,
		 t->tc->name, (unsigned long long)e->seq);
	ret = daqd_sigmf_file_open(&e->out, stem);
	if (ret)
		return ret;
	daqd_sink_meta_init(m, st, t->recorder_name, (uint32_t)e->seq);
	e->anns = json_object_new_array();
	e->ann = trigger_annotation(t, e);
	if (!e->anns || !e->ann) {
		json_object_put(e->anns);
		json_object_put(e->ann);
		daqd_sigmf_file_close(&e->out);
		return -ENOMEM;
	}
	json_object_array_add(e->anns, e->ann);
	m->extra_annotations = e->anns;
	t->nev++;
	return 0;
}

/* Write device samples [@lo, @hi) of frame @fr (copied to the bounce buffer). */
static int write_piece(struct trigger *t, struct trig_event *e, const struct udaq_frame *fr,
		       uint64_t lo, uint64_t hi)
{
	const struct daqd_stream *st = t->base.stream;
	size_t sb = st->sample_bytes, len = (size_t)(hi - lo) * sb;
	struct timespec when;
	int ret;

	if (!e->started || lo != e->next) {
		if (e->started) {
			/* A gap inside the window: a new segment, as the recorder does. */
			ret = daqd_sigmf_add_gap(&e->out.meta, e->out.samples, lo - e->next, lo);
			if (ret)
				return ret;
			e->lost += lo - e->next;
		} else {
			/* Gone before the first sample: the history (and maybe more). */
			uint64_t h = (lo < e->index ? lo : e->index) - e->start;

			e->history_lost = h;
			e->lost += lo - e->start;
		}
		when = daqd_sigmf_sample_time(&st->start_realtime, st->sample_rate, lo,
					      fr->timestamp_ns);
		ret = daqd_sigmf_add_capture(&e->out.meta, e->out.samples, lo, &when);
		if (!ret)
			ret = daqd_sigmf_file_flush(&e->out, false);
		if (ret)
			return ret;
		e->started = true;
	}
	ret = daqd_write_all(e->out.data_fd, t->bounce, len);
	if (ret)
		return ret;
	if (e->index > lo)
		e->before += (e->index < hi ? e->index : hi) - lo;
	e->out.samples += hi - lo;
	e->next = hi;
	return 0;
}

/*
 * Queue the event's announcement for the control socket's subscribers
 * (daqd_control_publish()); if the control thread falls behind by
 * MAX_ANNOUNCE events, the newest are counted and dropped.
 */
static void announce(struct trigger *t, const struct trig_event *e, const char *file)
{
	struct json_object *o = json_object_new_object();

	if (!o) {
		atomic_fetch_add(&t->announce_dropped, 1);
		return;
	}
	json_object_object_add(o, "event", json_object_new_string("trigger"));
	json_object_object_add(o, "trigger", json_object_new_string(t->tc->name));
	add_u64(o, "acquisition", t->base.stream->acq_id);
	add_u64(o, "seq", e->seq);
	add_u64(o, "index", e->index);
	add_u64(o, "channel", t->tc->channel);
	json_object_object_add(o, "condition",
			       json_object_new_string(daqd_trig_cond_name(t->tc->cond)));
	add_u64(o, "first", e->out.meta.ncaptures ? e->out.meta.captures[0].global_index : e->index);
	add_u64(o, "samples", e->out.samples);
	add_u64(o, "history_lost", e->history_lost);
	add_u64(o, "lost", e->lost);
	json_object_object_add(o, "complete", json_object_new_boolean(!e->out.meta.stop_reason));
	json_object_object_add(o, "dir", json_object_new_string(t->dir));
	json_object_object_add(o, "file", file ? json_object_new_string(file) : NULL);
	pthread_mutex_lock(&t->lock);
	if (t->ann_n < MAX_ANNOUNCE) {
		t->announce[(t->ann_first + t->ann_n++) % MAX_ANNOUNCE] = o;
		o = NULL;
	}
	pthread_mutex_unlock(&t->lock);
	if (o) {
		atomic_fetch_add(&t->announce_dropped, 1);
		json_object_put(o);
	}
}

static void trigger_take_events(struct daqd_sink *s,
				void (*emit)(void *arg, struct json_object *ev), void *arg)
{
	struct trigger *t = to_trig(s);
	struct json_object *batch[MAX_ANNOUNCE];
	size_t n;

	pthread_mutex_lock(&t->lock);
	n = t->ann_n;
	for (size_t i = 0; i < n; i++)
		batch[i] = t->announce[(t->ann_first + i) % MAX_ANNOUNCE];
	t->ann_first = (t->ann_first + n) % MAX_ANNOUNCE;
	t->ann_n = 0;
	pthread_mutex_unlock(&t->lock);
	for (size_t i = 0; i < n; i++)
		emit(arg, batch[i]);
}

/*
 * Close the event: place the trigger annotation, state what was lost, store
 * the final metadata, count and announce it. @produced: the device sample
 * one past the last it produced (the window's end while running).
 */
static void finish_event(struct trigger *t, struct trig_event *e, uint64_t produced)
{
	char reason[160], name[200];
	bool has_trigger;
	int ret;

	if (e->next < e->end) {
		uint64_t upto = produced < e->end ? produced : e->end;

		/* Produced but never reached the event: lost at its end. */
		if (upto > e->next) {
			e->out.meta.trailing_lost = upto - e->next;
			if (!e->started)
				e->history_lost = (upto < e->index ? upto : e->index) - e->start;
			e->lost += upto - e->next;
		}
		if (produced < e->end) {
			snprintf(reason, sizeof(reason),
				 "the acquisition ended %llu samples before the end of the post-trigger window",
				 (unsigned long long)(e->end - produced));
			e->out.meta.stop_reason = reason;
		}
	}
	has_trigger = e->started && e->before < e->out.samples &&
		      e->before + e->out.meta.captures[0].global_index == e->index;
	json_object_object_add(e->ann, "core:sample_start", json_object_new_uint64(e->before));
	json_object_object_add(e->ann, "core:sample_count", json_object_new_uint64(has_trigger));
	add_u64(e->ann, "daqd:trigger_history_lost_samples", e->history_lost);
	add_u64(e->ann, "daqd:trigger_lost_samples", e->lost);
	snprintf(name, sizeof(name), "%s", e->out.stem);
	announce(t, e, e->started ? name : NULL);
	ret = daqd_sigmf_file_close(&e->out);
	if (ret)
		daqd_log(DAQD_LOG_ERR, "trigger %s: event file %s/%s: %s", t->tc->name, t->dir,
			 name, strerror(-ret));
	atomic_fetch_add(&t->events, 1);
	atomic_fetch_add(&t->history_lost, e->history_lost);
	atomic_fetch_add(&t->event_lost, e->lost);
	atomic_store(&t->last_index, e->index);
	pthread_mutex_lock(&t->lock);
	snprintf(t->last_file, sizeof(t->last_file), "%s", e->started ? name : "");
	pthread_mutex_unlock(&t->lock);
	daqd_log(DAQD_LOG_INFO,
		 "trigger %s: event %llu at device sample %llu: %s (%llu samples, %llu of the history lost, %llu in all)",
		 t->tc->name, (unsigned long long)e->seq, (unsigned long long)e->index,
		 e->started ? name : "no file, every sample was lost",
		 (unsigned long long)(e->end - e->start), (unsigned long long)e->history_lost,
		 (unsigned long long)e->lost);
	json_object_put(e->anns);
}

/* Feed event @e every frame it still needs up to the scan. Return 1 when complete. */
static int feed_event(struct trigger *t, struct trig_event *e)
{
	const size_t fl = t->base.stream->frame_len, sb = t->base.stream->sample_bytes;
	struct udaq_frame fr;
	int ret;

	while (e->next < e->end && e->pos < t->scan_pos) {
		uint64_t lo, hi;

		if (e->pos < t->span.pos)
			e->pos = t->span.pos;	/* overwritten meanwhile */
		if (e->pos >= t->scan_pos)
			break;
		ret = frame_at(t, e->pos, &fr);
		if (ret <= 0 || !frame_intact(t, e->pos)) {
			e->pos += fl;	/* torn or gone: the next piece shows the jump */
			continue;
		}
		if (fr.first_sample >= e->end) {
			/* The device skipped past the window's end. */
			e->pos = t->scan_pos;
			break;
		}
		lo = fr.first_sample > e->next ? fr.first_sample : e->next;
		hi = fr.first_sample + fr.nsamples < e->end ? fr.first_sample + fr.nsamples : e->end;
		if (lo < hi) {
			memcpy(t->bounce, (const uint8_t *)fr.samples + (lo - fr.first_sample) * sb,
			       (size_t)(hi - lo) * sb);
			if (frame_intact(t, e->pos)) {
				ret = write_piece(t, e, &fr, lo, hi);
				if (ret)
					return ret;
			}
		}
		e->pos += fl;
	}
	if (e->next >= e->end)
		return 1;
	/* Everything up to the scan seen: a window the device skipped is over. */
	if (e->pos >= t->scan_pos && t->scan_next >= e->end)
		return 1;
	return 0;
}

static int feed_events(struct trigger *t)
{
	for (size_t i = 0; i < t->nev;) {
		struct trig_event *e = &t->ev[i];
		int ret = feed_event(t, e);

		if (ret < 0) {
			daqd_log(DAQD_LOG_ERR, "trigger %s: event %llu: writing %s/%s: %s",
				 t->tc->name, (unsigned long long)e->seq, t->dir, e->out.stem,
				 strerror(-ret));
			atomic_fetch_add(&t->base.c.errors, 1);
			e->out.meta.stop_reason = "the event file could not be written";
			finish_event(t, e, e->next);
			ret = 1;
		} else if (ret == 1) {
			finish_event(t, e, e->end);
		}
		if (ret == 1) {
			t->ev[i] = t->ev[--t->nev];
			continue;
		}
		i++;
	}
	return 0;
}

static bool on_fire(void *arg, uint64_t index)
{
	struct trigger *t = arg;
	const struct daqd_trigger_cfg *tc = t->tc;

	if (atomic_load(&t->done))
		return false;
	if (t->have_last && index - t->last_event < tc->holdoff)
		return true;
	if (t->have_last && t->rate_spacing && index - t->last_event < t->rate_spacing) {
		atomic_fetch_add(&t->suppressed, 1);
		return true;
	}
	if (t->nev + t->nfires >= MAX_OPEN) {
		atomic_fetch_add(&t->busy, 1);
		return true;
	}
	t->fires[t->nfires++] = index;
	t->last_event = index;
	t->have_last = true;
	if (tc->single) {
		atomic_store(&t->done, true);
		return false;
	}
	return true;
}

/* Let go of the history no event and no future event can need. */
static void release_history(struct trigger *t)
{
	const size_t fl = t->base.stream->frame_len;
	uint64_t keep = t->scan_pos, cur = t->span.pos, rel = 0;
	struct udaq_frame fr;

	for (size_t i = 0; i < t->nev; i++)
		if (t->ev[i].pos < keep)
			keep = t->ev[i].pos;
	while (cur + fl <= keep) {
		int ret = frame_at(t, cur, &fr);

		if (ret > 0 && fr.first_sample + fr.nsamples + t->tc->pre > t->scan_next)
			break;
		cur += fl;
		rel += fl;
	}
	if (rel) {
		udaq_reader_release(t->reader, (size_t)rel);
		t->span.pos += rel;
		t->span.data = (const uint8_t *)t->span.data + rel;
		t->span.len -= (size_t)rel;
	}
}

/* One look at the ring: scan and feed all of it. Return 1 if anything, 0, -errno. */
static int step(struct trigger *t)
{
	const struct daqd_stream *st = t->base.stream;
	const size_t fl = st->frame_len, sb = st->sample_bytes;
	struct udaq_frame fr;
	int any = 0, ret;

	udaq_reader_peek(t->reader, &t->span);
	if (t->span.pos % fl) {
		/* Overrun mid-frame: onto the next boundary, if it is there yet. */
		uint64_t up = frame_up(t, t->span.pos);

		if (up > t->span.pos + t->span.len)
			return 0;
		udaq_reader_skip_to(t->reader, up);
		udaq_reader_peek(t->reader, &t->span);
		if (t->span.pos % fl)
			return 0;
	}
	if (t->scan_pos < t->span.pos)
		t->scan_pos = t->span.pos;	/* scanned past: shows as a jump */
	while (t->scan_pos + fl <= t->span.pos + t->span.len) {
		uint64_t n;

		ret = frame_at(t, t->scan_pos, &fr);
		if (ret < 0 && frame_intact(t, t->scan_pos)) {
			daqd_sink_fail(&t->base, ret, "corrupt frame in the ring: %s", strerror(-ret));
			return ret;
		}
		if (ret <= 0)
			break;	/* overwritten while read: the next peek resyncs */
		if (st->max_samples && fr.first_sample >= st->max_samples)
			break;
		n = fr.nsamples;
		if (st->max_samples && fr.first_sample + n > st->max_samples)
			n = st->max_samples - fr.first_sample;
		if (fr.first_sample != t->scan_next) {
			daqd_sink_count_gap(&t->base, t->scan_next, fr.first_sample);
			daqd_trig_engine_reset(&t->eng);
		}
		t->nfires = 0;
		daqd_trig_engine_scan(&t->eng, fr.samples, (size_t)n, fr.first_sample, on_fire, t);
		if (!frame_intact(t, t->scan_pos)) {
			daqd_trig_engine_reset(&t->eng);
			break;
		}
		atomic_fetch_add(&t->base.c.frames, 1);
		atomic_fetch_add(&t->base.c.samples, n);
		atomic_fetch_add(&t->base.c.bytes, n * sb);
		t->scan_next = fr.first_sample + n;
		t->scan_pos += fl;
		for (size_t i = 0; i < t->nfires; i++) {
			ret = open_event(t, t->fires[i]);
			if (ret) {
				daqd_log(DAQD_LOG_ERR, "trigger %s: cannot create an event file in %s: %s",
					 t->tc->name, t->dir, strerror(-ret));
				atomic_fetch_add(&t->base.c.errors, 1);
			}
		}
		feed_events(t);
		any = 1;
	}
	feed_events(t);
	release_history(t);
	return any;
}

static void *trigger_thread(void *arg)
{
	struct trigger *t = arg;

	if (!daqd_sink_thread_begin(&t->base, "daqd-trigger"))
		return NULL;
	for (;;) {
		bool stopping = atomic_load(&t->base.stop_requested);
		int got = step(t);

		if (got < 0)
			break;
		if (stopping && got == 0)
			break;	/* the device stopped before: nothing more comes */
		if (got == 0)
			daqd_sink_wait(&t->base, IDLE_WAIT_MS);
	}
	if (atomic_load(&t->base.state) != DAQD_SINK_FAILED)
		daqd_sink_count_end(&t->base, t->scan_next);
	return NULL;
}

int daqd_trigger_check_ring(const struct daqd_trigger_cfg *tc, size_t ring, size_t frame_len,
			    size_t sample_bytes, char *err, size_t errlen)
{
	uint64_t need = tc->pre * sample_bytes;
	size_t room = ring > frame_len ? ring - frame_len : 0;

	if (need <= room)
		return 0;
	snprintf(err, errlen,
		 "trigger %s: pre-trigger window of %llu samples x %zu bytes = %llu bytes cannot be held by the ring: %zu bytes minus one frame of %zu bytes = %zu bytes; lower pre to at most %zu samples or raise --ring-size",
		 tc->name, (unsigned long long)tc->pre, sample_bytes, (unsigned long long)need,
		 ring, frame_len, room, room / sample_bytes);
	return -EINVAL;
}

static int trigger_start(struct daqd_sink *s, const struct daqd_stream *st)
{
	struct trigger *t = to_trig(s);
	const struct daqd_trigger_cfg *tc = t->tc;
	char why[320];
	int ret;

	daqd_sink_begin(s, st);
	ret = daqd_trigger_check_ring(tc, udaq_ring_size(st->ring), st->frame_len,
				      st->sample_bytes, why, sizeof(why));
	if (ret) {
		daqd_sink_fail(s, ret, "%s", why);
		return ret;
	}
	if (tc->channel >= st->num_channels) {
		daqd_sink_fail(s, -EINVAL, "trigger %s: channel %u, but the device gives %u",
			       tc->name, tc->channel, st->num_channels);
		return -EINVAL;
	}
	if (t->bounce_len < st->frame_len) {
		free(t->bounce);
		t->bounce = malloc(st->frame_len);
		t->bounce_len = t->bounce ? st->frame_len : 0;
		if (!t->bounce) {
			daqd_sink_fail(s, -ENOMEM, "no memory for the copy buffer");
			return -ENOMEM;
		}
	}
	daqd_sink_acq_stamp(st, t->acq_stamp, sizeof(t->acq_stamp));
	daqd_trig_engine_init(&t->eng, tc->cond, tc->level,
			      tc->has_level2 ? tc->level2 : tc->level, tc->hysteresis,
			      st->num_channels, tc->channel);
	t->scan_pos = 0;
	t->scan_next = 0;
	t->have_last = false;
	t->nev = 0;
	t->seq = 0;
	t->rate_spacing = tc->max_rate > 0 && st->sample_rate ?
			  (uint64_t)((double)st->sample_rate / tc->max_rate + 0.999999) : 0;
	memset(&t->span, 0, sizeof(t->span));
	atomic_store(&t->done, false);
	atomic_store(&t->events, 0);
	atomic_store(&t->suppressed, 0);
	atomic_store(&t->busy, 0);
	atomic_store(&t->history_lost, 0);
	atomic_store(&t->event_lost, 0);
	atomic_store(&t->last_index, 0);
	t->last_file[0] = 0;
	/* Lossy: the trigger never holds the device back. */
	ret = udaq_reader_new(st->ring, UDAQ_READER_LOSSY, &t->reader);
	if (ret) {
		daqd_sink_fail(s, ret, "cannot create a ring reader: %s", strerror(-ret));
		return ret;
	}
	return daqd_sink_spawn(s, &t->thread, &t->thread_running, trigger_thread, t,
			       &t->reader);
}

static void trigger_stop(struct daqd_sink *s)
{
	struct trigger *t = to_trig(s);

	daqd_sink_join(s, t->thread, &t->thread_running);
	if (s->stream) {
		/* Windows the acquisition ended inside of. */
		uint64_t end = atomic_load(&s->stream->end_sample);

		while (t->nev) {
			struct trig_event *e = &t->ev[--t->nev];

			finish_event(t, e, end > e->next ? end : e->next);
		}
	}
	if (t->reader) {
		udaq_reader_free(t->reader);
		t->reader = NULL;
	}
	if (atomic_load(&s->state) == DAQD_SINK_RUNNING)
		atomic_store(&s->state, DAQD_SINK_IDLE);
	s->stream = NULL;
}

static void trigger_status(struct daqd_sink *s, struct json_object *obj)
{
	struct trigger *t = to_trig(s);

	json_object_object_add(obj, "dir", json_object_new_string(t->dir));
	json_object_object_add(obj, "condition",
			       json_object_new_string(daqd_trig_cond_name(t->tc->cond)));
	json_object_object_add(obj, "channel", json_object_new_uint64(t->tc->channel));
	json_object_object_add(obj, "done", json_object_new_boolean(atomic_load(&t->done)));
	add_u64(obj, "events", atomic_load(&t->events));
	add_u64(obj, "suppressed", atomic_load(&t->suppressed));
	add_u64(obj, "busy", atomic_load(&t->busy));
	add_u64(obj, "history_lost_samples", atomic_load(&t->history_lost));
	add_u64(obj, "event_lost_samples", atomic_load(&t->event_lost));
	add_u64(obj, "announce_dropped", atomic_load(&t->announce_dropped));
	if (atomic_load(&t->events))
		add_u64(obj, "last_index", atomic_load(&t->last_index));
	pthread_mutex_lock(&t->lock);
	json_object_object_add(obj, "last_file",
			       t->last_file[0] ? json_object_new_string(t->last_file) : NULL);
	pthread_mutex_unlock(&t->lock);
}

static void trigger_destroy(struct daqd_sink *s)
{
	struct trigger *t = to_trig(s);

	trigger_stop(s);
	if (t->dirfd >= 0)
		close(t->dirfd);
	free(t->bounce);
	for (size_t i = 0; i < t->ann_n; i++)
		json_object_put(t->announce[(t->ann_first + i) % MAX_ANNOUNCE]);
	pthread_mutex_destroy(&t->lock);
	daqd_sink_cleanup(s);
	free(t);
}

static const struct daqd_sink_ops trigger_ops = {
	.kind = "trigger",
	.start = trigger_start,
	.stop = trigger_stop,
	.status = trigger_status,
	.take_events = trigger_take_events,
	.destroy = trigger_destroy,
};

int daqd_trigger_new(const struct daqd_config *cfg, const struct daqd_trigger_cfg *tc,
		     struct daqd_sink **out, char *err, size_t errlen)
{
	struct trigger *t = calloc(1, sizeof(*t));
	const char *dir = tc->dir ? tc->dir : cfg->output_dir;
	int ret;

	if (!t)
		return -ENOMEM;
	ret = daqd_mkdir_p(dir, 0755);
	if (!ret) {
		t->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (t->dirfd < 0)
			ret = -errno;
	} else {
		t->dirfd = -1;
	}
	if (ret) {
		snprintf(err, errlen, "trigger %s: event directory '%s': %s", tc->name, dir,
			 strerror(-ret));
		free(t);
		return ret;
	}
	ret = daqd_sink_init(&t->base, &trigger_ops, tc->name);
	if (ret) {
		snprintf(err, errlen, "trigger %s: %s", tc->name, strerror(-ret));
		close(t->dirfd);
		free(t);
		return ret;
	}
	t->cfg = cfg;
	t->tc = tc;
	t->dir = dir;
	pthread_mutex_init(&t->lock, NULL);
	snprintf(t->recorder_name, sizeof(t->recorder_name), "daqd %s", DAQD_VERSION);
	*out = &t->base;
	return 0;
}
