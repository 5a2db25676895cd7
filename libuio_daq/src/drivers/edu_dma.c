/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The device the edu driver plays (edu.h): it builds refdaq frames in
 * staging memory and moves them into the ring by edu's DMA engine, one
 * step per call of udaq_digitizer_wait() (see edu.c for why), paced by the
 * sample rate and by the room the consumers leave.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uio_daq/frame.h>

#include "edu.h"
#include "frame_write.h"
#include "le.h"

/*
 * The ring's publish hook: the consumers released everything before
 * @rd_ptr. Wakes the device if it sleeps for room (sleep_room()).
 */
void udaq_edu_publish_rd(void *arg, uint64_t rd_ptr)
{
	struct edu *e = arg;
	uint64_t one = 1;
	ssize_t n;

	__atomic_store_n(&e->rd_ptr, rd_ptr, __ATOMIC_RELEASE);
	if (__atomic_load_n(&e->want_room, __ATOMIC_ACQUIRE)) {
		n = write(e->room_fd, &one, sizeof(one));
		(void)n;	/* a full counter still wakes the reader */
	}
}

/* A pattern that is not the test pattern, for test_pattern = false. */
static int16_t ramp_sample(uint64_t n, unsigned int chan)
{
	return (int16_t)(uint16_t)(n * (chan + 1u));
}

static void build_frame(struct edu *e)
{
	const struct udaq_digitizer_config *c = &e->cfg;
	unsigned char *f = e->frame, *p;
	uint64_t ts;

	if (c->sample_rate)
		ts = (uint64_t)((unsigned __int128)e->next_sample * 1000000000u /
				c->sample_rate);
	else
		ts = (uint64_t)(now_ns() - ((int64_t)e->t0.tv_sec * 1000000000LL +
					    e->t0.tv_nsec));
	memset(f, 0, e->frame_len);
	udaq_frame_write_hdr(f, &(struct udaq_frame_hdr){
		.seq = e->seq,
		.timestamp_ns = ts,
		.first_sample = e->next_sample,
		.nsamples = c->frame_samples,
		.chan_mask = c->chan_mask,
		.flags = (uint16_t)((e->gap ? UDAQ_FRAME_FLAG_GAP : 0) |
				    (c->test_pattern ? UDAQ_FRAME_FLAG_TEST : 0)),
	});
	p = f + UDAQ_FRAME_HDR_LEN;
	for (uint32_t s = 0; s < c->frame_samples; s++) {
		uint64_t n = e->next_sample + s;

		for (unsigned int ch = 0; ch < EDU_CHANNELS; ch++) {
			if (!(c->chan_mask & (1u << ch)))
				continue;
			put16(p, (uint16_t)(c->test_pattern ? udaq_test_sample(n, ch) :
					    ramp_sample(n, ch)));
			p += 2;
		}
	}
	e->frame_pos = e->wr_ptr;
	e->done = 0;
	e->frame_open = true;
}

/* The chunk holding ring offset @off (binary search over the starts). */
static const struct edu_chunk *chunk_of(const struct edu *e, uint64_t off)
{
	uint32_t lo = 0, hi = e->nchunks;

	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (e->chunks[mid].start <= off)
			lo = mid;
		else
			hi = mid;
	}
	return &e->chunks[lo];
}

/* Stage the next piece of the frame and send it to edu's buffer. */
static void start_piece(struct edu *e)
{
	uint64_t off = (e->frame_pos + e->done) % e->ring_size;
	const struct edu_chunk *ck = chunk_of(e, off);
	uint64_t n = e->frame_len - e->done;

	/* A transfer never crosses a chunk (nor so the ring's end). */
	if (n > ck->start + ck->len - off)
		n = ck->start + ck->len - off;
	if (n > EDU_XFER_MAX)
		n = EDU_XFER_MAX;
	e->xfer_len = (uint32_t)n;
	memcpy(e->staging, e->frame + e->done, n);
	udaq_edu_start_xfer(e, e->staging_bus, EDU_BUF_ADDR, e->xfer_len, 0);
	e->phase = PHASE_TO_EDU;
}

static void to_ring(struct edu *e)
{
	uint64_t off = (e->frame_pos + e->done) % e->ring_size;
	const struct edu_chunk *ck = chunk_of(e, off);

	udaq_edu_start_xfer(e, EDU_BUF_ADDR, ck->bus + (off - ck->start), e->xfer_len,
			    EDU_DMA_TO_RAM);
	e->phase = PHASE_TO_RAM;
}

/* The frame is in the ring: publish it as refdaq does (data, then WR_PTR). */
static bool frame_done(struct edu *e)
{
	uint64_t wr = e->frame_pos + e->frame_len;

	e->frame_open = false;
	e->gap = false;
	e->seq++;
	e->next_sample += e->cfg.frame_samples;
	__atomic_add_fetch(&e->frames, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&e->wr_ptr, wr, __ATOMIC_RELEASE);
	if (wr - e->irq_mark >= e->cfg.irq_threshold || e->cfg.irq_threshold == 0) {
		e->irq_mark = wr;
		return true;
	}
	return false;
}

/* When frame e->seq is due in paced mode, in CLOCK_MONOTONIC ns. */
static int64_t due_ns(const struct edu *e)
{
	unsigned __int128 t = (unsigned __int128)(e->seq + 1) * e->cfg.frame_samples *
			      1000000000u / e->cfg.sample_rate;

	return (int64_t)e->t0.tv_sec * 1000000000LL + e->t0.tv_nsec + (int64_t)t;
}

static bool fits(struct edu *e)
{
	uint64_t rd = __atomic_load_n(&e->rd_ptr, __ATOMIC_ACQUIRE);

	return e->cfg.policy == UDAQ_POLICY_OVERWRITE ||
	       e->wr_ptr + e->frame_len - rd <= e->ring_size;
}

static int ms_left(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - now_ns();
	if (left <= 0)
		return 0;
	left = (left + 999999) / 1000000;
	return left > INT32_MAX ? INT32_MAX : (int)left;
}

/* Sleep until @until (ns) or a release by a consumer, bounded by @deadline. */
static void sleep_room(struct edu *e, int64_t until, int64_t deadline)
{
	struct pollfd pfd = { .fd = e->room_fd, .events = POLLIN };
	uint64_t v;
	int ms;

	if (deadline >= 0 && (until < 0 || deadline < until))
		until = deadline;
	ms = ms_left(until);
	__atomic_store_n(&e->want_room, true, __ATOMIC_SEQ_CST);
	/* Checked again after want_room is set, or a release could be missed. */
	if (ms != 0 && !fits(e))
		poll(&pfd, 1, ms);
	__atomic_store_n(&e->want_room, false, __ATOMIC_RELAXED);
	if (read(e->room_fd, &v, sizeof(v)) < 0)
		v = 0;	/* EAGAIN: nothing was signalled */
}

static void sleep_until(int64_t until)
{
	struct timespec ts = { .tv_sec = until / 1000000000LL,
			       .tv_nsec = until % 1000000000LL };

	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

/*
 * One step of the idle device: start the next frame, or drop it (paced,
 * stop policy, ring full), or wait for its time or for room.
 * Return 1 if an OVERFLOW event happened, 0 otherwise.
 */
static int next_frame(struct edu *e, int64_t deadline)
{
	int64_t now = now_ns();

	if (!e->cfg.freerun) {
		int64_t due = due_ns(e);

		if (now < due) {
			if (deadline >= 0 && deadline < due) {
				sleep_until(deadline);
				return 0;
			}
			sleep_until(due);
		}
	}
	if (fits(e)) {
		__atomic_store_n(&e->ring_full, false, __ATOMIC_RELAXED);
		build_frame(e);
		start_piece(e);
		return 0;
	}
	__atomic_store_n(&e->ring_full, true, __ATOMIC_RELAXED);
	if (e->cfg.freerun) {
		/* Time is not real: wait for the consumers, lose nothing. */
		sleep_room(e, -1, deadline);
		return 0;
	}
	/* Due and no room: the frame is dropped whole, as refdaq drops it. */
	e->seq++;
	e->next_sample += e->cfg.frame_samples;
	e->gap = true;
	__atomic_add_fetch(&e->lost, e->cfg.frame_samples, __ATOMIC_RELAXED);
	__atomic_store_n(&e->err_overflow, true, __ATOMIC_RELAXED);
	return 1;
}

/* A transfer completed: move on. Return 1 if a DATA event happened. */
static int xfer_done(struct edu *e)
{
	if (e->phase == PHASE_TO_EDU) {
		to_ring(e);
		return 0;
	}
	e->phase = PHASE_IDLE;
	e->done += e->xfer_len;
	if (e->done < e->frame_len) {
		start_piece(e);
		return 0;
	}
	return frame_done(e) ? 1 : 0;
}

static int gone(struct edu *e)
{
	__atomic_store_n(&e->gone, true, __ATOMIC_RELAXED);
	__atomic_store_n(&e->running, false, __ATOMIC_RELAXED);
	return -ENODEV;
}

static int dma_failed(struct edu *e)
{
	__atomic_store_n(&e->err_dma, true, __ATOMIC_RELAXED);
	__atomic_store_n(&e->running, false, __ATOMIC_RELAXED);
	e->phase = PHASE_IDLE;
	return -EIO;
}

/* Wait for edu's DMA-completion interrupt and acknowledge it. */
static int wait_xfer(struct udaq_digitizer *dg, struct edu *e, int64_t deadline)
{
	uint32_t missed = 0, irq;
	int ret;

	ret = udaq_dev_irq_wait(dg->dev, ms_left(deadline), &missed);
	if (ret == -ENODEV)
		return gone(e);
	if (ret < 0)
		return ret;
	if (ret == 0) {
		if (udaq_edu_is_gone(e))
			return gone(e);
		if (now_ns() - e->xfer_started > DMA_TIMEOUT_NS)
			return dma_failed(e);
		return 0;
	}
	irq = rd32(e, EDU_REG_IRQ_STATUS);
	if (irq == GONE && udaq_edu_is_gone(e))
		return gone(e);
	/* Acknowledge before re-enabling, or a level interrupt fires again. */
	wr32(e, EDU_REG_IRQ_ACK, irq);
	ret = udaq_drv_irq_done(dg->dev, &e->irqs, missed);
	if (ret)
		return ret;
	if (!(irq & EDU_IRQ_DMA) || (rd32(e, EDU_REG_DMA_CMD) & EDU_DMA_RUN))
		return 0;	/* not (yet) our completion */
	return 1;
}

int udaq_edu_wait(struct udaq_digitizer *dg, int timeout_ms)
{
	struct edu *e = eq(dg);
	int64_t deadline = timeout_ms < 0 ? -1 : now_ns() + (int64_t)timeout_ms * 1000000;
	int ret = 0;

	if (__atomic_load_n(&e->gone, __ATOMIC_RELAXED))
		return -ENODEV;
	if (__atomic_load_n(&e->err_dma, __ATOMIC_RELAXED))
		return -EIO;
	pthread_mutex_lock(&e->lock);
	while (ret == 0) {
		if (!__atomic_load_n(&e->running, __ATOMIC_RELAXED)) {
			pthread_mutex_unlock(&e->lock);
			/* Stopped: just notice removal, like refdaq's idle wait. */
			ret = udaq_dev_irq_wait(dg->dev, timeout_ms, NULL);
			if (ret == -ENODEV)
				return gone(e);
			return ret < 0 ? ret : 0;
		}
		if (e->phase == PHASE_IDLE) {
			ret = next_frame(e, deadline);
		} else {
			ret = wait_xfer(dg, e, deadline);
			if (ret == 1)
				ret = xfer_done(e);
			else if (ret == 0 && ms_left(deadline) == 0)
				break;
		}
		if (ret == 0 && deadline >= 0 && ms_left(deadline) == 0)
			break;
	}
	pthread_mutex_unlock(&e->lock);
	return ret;
}

