/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The frame path, counted: the stdout and network sinks run over a ring in
 * plain memory, and every call they make into libuio_daq's frame and reader
 * API goes through a counting shim (the executable is linked with
 * -Wl,--wrap=NAME, so the sinks' references reach __wrap_NAME, which calls
 * __real_NAME). Per batch a sink makes one peek, (lossy readers) one check
 * and one release; it parses no frame itself, and the frames the peeks
 * hand out add up to the frames written: none is parsed twice.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <uio_daq/digitizer.h>
#include <uio_daq/frame.h>

#include "fake_ring.h"
#include "sink.h"
#include "stdout_sink.h"
#include "stream_client.h"
#include "stream_server.h"

#define RING_SIZE	(1u << 20)
#define NCHAN		4
#define FS		1024		/* samples per channel per frame */
#define PAYLOAD		(FS * NCHAN * 2)
#define FRAME_LEN	(UDAQ_FRAME_HDR_LEN + PAYLOAD)	/* 8-aligned */
#define ROUNDS		5
#define PER_ROUND	40	/* more than one network unit (15 frames) */

/* ---- Counting shims ------------------------------------------------------ */

struct counts {
	unsigned long peek, peek_ok, peek_frames;	/* udaq_frame_batch_peek() */
	unsigned long check, release, release_frames;	/* udaq_frame_batch_* */
	unsigned long frame_next, frame_parse, frame_check, frame_release;
	unsigned long reader_peek, reader_check, reader_release, reader_skip;
};

static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static struct counts cnt;

#define COUNT(field) do { \
	pthread_mutex_lock(&count_lock); \
	cnt.field++; \
	pthread_mutex_unlock(&count_lock); \
} while (0)

int __real_udaq_frame_batch_peek(struct udaq_reader *r, struct udaq_frame_batch *b);
int __real_udaq_frame_batch_check(const struct udaq_reader *r, const struct udaq_frame_batch *b);
int __real_udaq_frame_batch_release(struct udaq_reader *r, const struct udaq_frame_batch *b,
				    size_t n);
int __real_udaq_frame_next(struct udaq_reader *r, size_t frame_len, struct udaq_frame *fr);
int __real_udaq_frame_parse(const void *buf, size_t len, struct udaq_frame *fr);
int __real_udaq_frame_check(const struct udaq_reader *r, const struct udaq_frame *fr);
int __real_udaq_frame_release(struct udaq_reader *r, const struct udaq_frame *fr);
int __real_udaq_reader_peek(struct udaq_reader *r, struct udaq_span *span);
int __real_udaq_reader_check(const struct udaq_reader *r, const struct udaq_span *span,
			     size_t len);
int __real_udaq_reader_release(struct udaq_reader *r, size_t len);
int __real_udaq_reader_skip_to(struct udaq_reader *r, uint64_t pos);

int __wrap_udaq_frame_batch_peek(struct udaq_reader *r, struct udaq_frame_batch *b);
int __wrap_udaq_frame_batch_peek(struct udaq_reader *r, struct udaq_frame_batch *b)
{
	int ret = __real_udaq_frame_batch_peek(r, b);

	pthread_mutex_lock(&count_lock);
	cnt.peek++;
	if (ret > 0) {
		cnt.peek_ok++;
		cnt.peek_frames += b->nframes;
	}
	pthread_mutex_unlock(&count_lock);
	return ret;
}

int __wrap_udaq_frame_batch_check(const struct udaq_reader *r, const struct udaq_frame_batch *b);
int __wrap_udaq_frame_batch_check(const struct udaq_reader *r, const struct udaq_frame_batch *b)
{
	COUNT(check);
	return __real_udaq_frame_batch_check(r, b);
}

int __wrap_udaq_frame_batch_release(struct udaq_reader *r, const struct udaq_frame_batch *b,
				    size_t n);
int __wrap_udaq_frame_batch_release(struct udaq_reader *r, const struct udaq_frame_batch *b,
				    size_t n)
{
	pthread_mutex_lock(&count_lock);
	cnt.release++;
	cnt.release_frames += n;
	pthread_mutex_unlock(&count_lock);
	return __real_udaq_frame_batch_release(r, b, n);
}

int __wrap_udaq_frame_next(struct udaq_reader *r, size_t frame_len, struct udaq_frame *fr);
int __wrap_udaq_frame_next(struct udaq_reader *r, size_t frame_len, struct udaq_frame *fr)
{
	COUNT(frame_next);
	return __real_udaq_frame_next(r, frame_len, fr);
}

int __wrap_udaq_frame_parse(const void *buf, size_t len, struct udaq_frame *fr);
int __wrap_udaq_frame_parse(const void *buf, size_t len, struct udaq_frame *fr)
{
	COUNT(frame_parse);
	return __real_udaq_frame_parse(buf, len, fr);
}

int __wrap_udaq_frame_check(const struct udaq_reader *r, const struct udaq_frame *fr);
int __wrap_udaq_frame_check(const struct udaq_reader *r, const struct udaq_frame *fr)
{
	COUNT(frame_check);
	return __real_udaq_frame_check(r, fr);
}

int __wrap_udaq_frame_release(struct udaq_reader *r, const struct udaq_frame *fr);
int __wrap_udaq_frame_release(struct udaq_reader *r, const struct udaq_frame *fr)
{
	COUNT(frame_release);
	return __real_udaq_frame_release(r, fr);
}

int __wrap_udaq_reader_peek(struct udaq_reader *r, struct udaq_span *span);
int __wrap_udaq_reader_peek(struct udaq_reader *r, struct udaq_span *span)
{
	COUNT(reader_peek);
	return __real_udaq_reader_peek(r, span);
}

int __wrap_udaq_reader_check(const struct udaq_reader *r, const struct udaq_span *span,
			     size_t len);
int __wrap_udaq_reader_check(const struct udaq_reader *r, const struct udaq_span *span,
			     size_t len)
{
	COUNT(reader_check);
	return __real_udaq_reader_check(r, span, len);
}

int __wrap_udaq_reader_release(struct udaq_reader *r, size_t len);
int __wrap_udaq_reader_release(struct udaq_reader *r, size_t len)
{
	COUNT(reader_release);
	return __real_udaq_reader_release(r, len);
}

int __wrap_udaq_reader_skip_to(struct udaq_reader *r, uint64_t pos);
int __wrap_udaq_reader_skip_to(struct udaq_reader *r, uint64_t pos)
{
	COUNT(reader_skip);
	return __real_udaq_reader_skip_to(r, pos);
}

static struct counts snapshot(void)
{
	struct counts c;

	pthread_mutex_lock(&count_lock);
	c = cnt;
	pthread_mutex_unlock(&count_lock);
	return c;
}

static void print_counts(const char *sink, const struct counts *c)
{
	print_message("%s: %lu peeks (%lu with frames, %lu frames), %lu checks, "
		      "%lu releases (%lu frames); frame_next %lu, frame_parse %lu, "
		      "frame_check %lu, frame_release %lu, reader_peek %lu, "
		      "reader_check %lu, reader_release %lu, reader_skip_to %lu\n",
		      sink, c->peek, c->peek_ok, c->peek_frames, c->check, c->release,
		      c->release_frames, c->frame_next, c->frame_parse, c->frame_check,
		      c->frame_release, c->reader_peek, c->reader_check,
		      c->reader_release, c->reader_skip);
}

/* ---- A ring in memory and an acquisition on it -------------------------- */

struct fixture {
	struct fake_ring f;
	struct udaq_ring *ring;
	struct daqd_stream st;
	uint64_t nframes;		/* written so far */
};

static void put(uint8_t *p, size_t off, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[off + i] = (uint8_t)(v >> (8 * i));
}

/* Append @n frames, as the device would, then publish the write position. */
static void add_frames(struct fixture *x, unsigned int n)
{
	static uint8_t frame[FRAME_LEN];

	for (unsigned int k = 0; k < n; k++, x->nframes++) {
		memset(frame, 0, UDAQ_FRAME_HDR_LEN);
		put(frame, UDAQ_FRAME_OFF_MAGIC, UDAQ_FRAME_MAGIC, 4);
		put(frame, UDAQ_FRAME_OFF_HDR_LEN, UDAQ_FRAME_HDR_LEN, 2);
		put(frame, UDAQ_FRAME_OFF_SEQ, x->nframes, 8);
		put(frame, UDAQ_FRAME_OFF_FIRST_SAMPLE, x->nframes * FS, 8);
		put(frame, UDAQ_FRAME_OFF_NSAMPLES, FS, 4);
		put(frame, UDAQ_FRAME_OFF_CHAN_MASK, (1u << NCHAN) - 1, 4);
		put(frame, UDAQ_FRAME_OFF_PAYLOAD_LEN, PAYLOAD, 4);
		put(frame, UDAQ_FRAME_OFF_FORMAT, UDAQ_FORMAT_I16LE, 2);
		fake_ring_write(&x->f, x->nframes * FRAME_LEN, frame, FRAME_LEN);
	}
	__atomic_store_n(&x->f.wr, x->nframes * FRAME_LEN, __ATOMIC_RELEASE);
}

static void fixture_init(struct fixture *x)
{
	struct udaq_ring_config rc;

	memset(x, 0, sizeof(*x));
	fake_ring_init(&x->f, RING_SIZE);
	assert_non_null(x->f.buf);
	rc = fake_ring_config(&x->f, FRAME_LEN);
	assert_int_equal(udaq_ring_new(&rc, &x->ring), 0);
	x->st.ring = x->ring;
	x->st.frame_len = FRAME_LEN;
	x->st.sample_rate = 1000000;
	x->st.num_channels = NCHAN;
	x->st.chan_mask = (1u << NCHAN) - 1;
	x->st.datatype = "ri16_le";
	x->st.sample_bytes = NCHAN * 2;
	x->st.hw = "fake ring";
	x->st.policy = UDAQ_POLICY_STOP;
	x->st.acq_id = 1;
	clock_gettime(CLOCK_REALTIME, &x->st.start_realtime);
}

static void fixture_fini(struct fixture *x)
{
	udaq_ring_free(x->ring);
	fake_ring_fini(&x->f);
}

/* Wait until the sink has delivered @frames frames. */
static void wait_frames(struct daqd_sink *s, uint64_t frames)
{
	for (int i = 0; i < 1000 && atomic_load(&s->c.frames) < frames; i++)
		usleep(10000);
	assert_int_equal(atomic_load(&s->c.frames), frames);
}

/*
 * Start @s on the fixture's acquisition and feed it frames in rounds (so
 * that there are several batches), each consumed before the next. Return
 * the calls counted, before the stop (which may look at the ring itself).
 */
static struct counts feed(struct fixture *x, struct daqd_sink *s)
{
	struct counts c;

	memset(&cnt, 0, sizeof(cnt));
	assert_int_equal(s->ops->start(s, &x->st), 0);
	atomic_store(&x->st.started, true);
	for (int r = 0; r < ROUNDS; r++) {
		add_frames(x, PER_ROUND);
		daqd_sink_wake(s);
		wait_frames(s, x->nframes);
	}
	c = snapshot();
	atomic_store(&x->st.end_sample, x->nframes * FS);
	atomic_store(&x->st.end_reason, DAQD_END_STOPPED);
	return c;
}

/* ---- stdout --------------------------------------------------------------- */

static void *drain_pipe(void *arg)
{
	int fd = *(int *)arg;
	char buf[65536];

	while (read(fd, buf, sizeof(buf)) > 0) {
	}
	return NULL;
}

static void test_stdout(void **state)
{
	struct fixture x;
	struct daqd_sink *s;
	struct counts c;
	pthread_t th;
	int p[2];

	(void)state;
	fixture_init(&x);
	assert_int_equal(pipe(p), 0);
	pthread_create(&th, NULL, drain_pipe, &p[0]);
	assert_int_equal(daqd_stdout_sink_new(p[1], &s), 0);
	c = feed(&x, s);
	s->ops->stop(s);
	s->ops->destroy(s);
	close(p[1]);
	pthread_join(th, NULL);
	close(p[0]);
	print_counts("stdout", &c);

	assert_true(c.peek_ok >= ROUNDS);
	/* One peek and one release per batch; a lossless reader needs no check. */
	assert_int_equal(c.release, c.peek_ok);
	assert_int_equal(c.check, 0);
	/* Every frame handed out once, released once: none parsed twice. */
	assert_int_equal(c.peek_frames, x.nframes);
	assert_int_equal(c.release_frames, x.nframes);
	/* Nothing beside the batch calls. */
	assert_int_equal(c.frame_next + c.frame_parse + c.frame_check + c.frame_release, 0);
	assert_int_equal(c.reader_peek + c.reader_check + c.reader_release + c.reader_skip, 0);
	fixture_fini(&x);
}

/* ---- network ------------------------------------------------------------- */

struct client {
	char addr[160];
	uint64_t frames, samples;
	bool end;
	int ret;
	char err[200];
};

static void *client_thread(void *arg)
{
	struct client *cl = arg;
	struct dqs_request rq = { .decimation = 1 };
	struct dqs_client *dc;
	struct dqs_event ev;

	cl->ret = dqs_client_connect(cl->addr, &rq, 10000, &dc, cl->err, sizeof(cl->err));
	if (cl->ret)
		return NULL;
	while (!(cl->ret = dqs_client_next(dc, &ev, cl->err, sizeof(cl->err)))) {
		if (ev.type == DQS_EV_DATA) {
			cl->frames++;
			cl->samples += ev.data.nsamples;
		} else if (ev.type == DQS_EV_END || ev.type == DQS_EV_EOF) {
			cl->end = ev.type == DQS_EV_END;
			break;
		}
	}
	dqs_client_close(dc);
	return NULL;
}

/* Wait until the client's REQUEST is in: it is then bound by start. */
static void wait_request(struct daqd_sink *s)
{
	for (int i = 0; i < 1000; i++) {
		struct json_object *st = daqd_sink_status_json(s), *arr, *state;
		bool waiting = false;

		if (st && json_object_object_get_ex(st, "clients", &arr) &&
		    json_object_array_length(arr) == 1 &&
		    json_object_object_get_ex(json_object_array_get_idx(arr, 0), "state", &state))
			waiting = !strcmp(json_object_get_string(state), "waiting");
		json_object_put(st);
		if (waiting)
			return;
		usleep(10000);
	}
	fail_msg("the client did not send its request");
}

static void test_network(void **state)
{
	char dir[] = "/tmp/frame-path-XXXXXX", listen[200], err[200];
	struct client cl = { 0 };
	struct fixture x;
	struct daqd_sink *s;
	struct counts c;
	pthread_t th;

	(void)state;
	fixture_init(&x);
	assert_non_null(mkdtemp(dir));
	snprintf(listen, sizeof(listen), "unix:%s/s.sock", dir);
	assert_int_equal(daqd_net_new_list(listen, 4, &s, err, sizeof(err)), 0);
	assert_int_equal(daqd_net_address(s, 0, cl.addr, sizeof(cl.addr)), 0);
	pthread_create(&th, NULL, client_thread, &cl);
	wait_request(s);
	c = feed(&x, s);
	s->ops->stop(s);
	pthread_join(th, NULL);
	s->ops->destroy(s);
	rmdir(dir);
	print_counts("network", &c);

	if (cl.ret)
		fail_msg("client: %s", cl.err);
	assert_true(cl.end);
	assert_int_equal(cl.frames, x.nframes);
	assert_int_equal(cl.samples, x.nframes * FS);
	assert_true(c.peek_ok >= ROUNDS);
	/* One peek, one check (zero-copy, lossy reader) and one release per unit. */
	assert_int_equal(c.release, c.peek_ok);
	assert_int_equal(c.check, c.peek_ok);
	/* Every frame parsed once: the peeks handed out each frame once. */
	assert_int_equal(c.peek_frames, x.nframes);
	assert_int_equal(c.release_frames, x.nframes);
	/* No udaq_frame_next() and no second parse in gather(). */
	assert_int_equal(c.frame_next + c.frame_parse + c.frame_check + c.frame_release, 0);
	assert_int_equal(c.reader_peek + c.reader_check + c.reader_release + c.reader_skip, 0);
	fixture_fini(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stdout),
		cmocka_unit_test(test_network),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
