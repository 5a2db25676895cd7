/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The network sink's data path, per client: a unit is one sendmsg() iovec
 * list of queued control messages (GAP, COMMIT, ...) followed by DATA
 * messages made from one library frame batch (one peek, one check, one
 * release). Zero-copy DATA points into the ring and is COMMITted only if
 * the batch is still intact once sent, else ABORTed; copied DATA (channel
 * subsets, decimation) is checked before it is sent.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <uio_daq/frame.h>

#include "log.h"
#include "net_internal.h"

/* ---- Building units ----------------------------------------------------- */

static void add_gap(struct net_sink *ns, struct client *c, uint64_t first, uint64_t n,
		    uint32_t reason)
{
	struct dqs_gap g = { .first_sample = first, .nsamples = n, .reason = reason };
	uint8_t msg[DQS_GAP_BYTES];

	if (!n)
		return;
	dqs_encode_gap(msg, &g);
	/* Into the unit being built: gaps always precede its DATA. */
	memcpy(c->unit_ctl + c->iov[0].iov_len, msg, sizeof(msg));
	c->iov[0].iov_len += sizeof(msg);
	atomic_fetch_add(&c->gaps, 1);
	atomic_fetch_add(&c->dropped_samples, n);
	atomic_fetch_add(&ns->base.c.gaps, 1);
	atomic_fetch_add(&ns->base.c.lost_samples, n);
}

/*
 * Account for the jump before frame @fr: whole frames this reader skipped
 * are the client's slowness, the rest the device's overflow.
 */
static void account_gap(struct net_sink *ns, struct client *c, const struct udaq_frame *fr)
{
	const struct daqd_stream *st = ns->stream;
	uint64_t jump, slow;

	c->frame_samples = fr->nsamples;
	if (!c->have_next) {
		c->have_next = true;
		c->next_dev = fr->first_sample;
		return;
	}
	if (fr->first_sample < c->next_dev) {
		/* Cannot happen with a sane device; resynchronise quietly. */
		daqd_log(DAQD_LOG_WARN, "net: client %llu: device index went back from %llu to %llu",
			 (unsigned long long)c->id, (unsigned long long)c->next_dev,
			 (unsigned long long)fr->first_sample);
		c->next_dev = fr->first_sample;
		return;
	}
	jump = fr->first_sample - c->next_dev;
	if (!jump)
		return;
	slow = st->frame_len ? fr->lost_bytes / st->frame_len * fr->nsamples : 0;
	/* An ABORTed batch is this client's loss too, whatever the reader says. */
	if (c->void_end > c->next_dev && c->void_end - c->next_dev > slow)
		slow = c->void_end - c->next_dev;
	if (slow > jump)
		slow = jump;
	add_gap(ns, c, c->next_dev, slow, DQS_GAP_CLIENT_SLOW);
	add_gap(ns, c, c->next_dev + slow, jump - slow, DQS_GAP_DEVICE_OVERFLOW);
	c->next_dev = fr->first_sample;
}

/* Samples of @fr (from index @first, @ns of them) the client keeps, into @out. */
static size_t transform(const struct client *c, const struct udaq_frame *fr,
			uint32_t ns, int16_t *out, uint64_t *first_kept)
{
	const uint8_t *in = fr->samples;
	uint32_t d = c->rq.decimation;
	uint64_t r = fr->first_sample % d;
	size_t n = 0;

	for (uint64_t i = r ? d - r : 0; i < ns; i += d) {
		const uint8_t *s = in + (size_t)i * fr->nchan * 2;

		if (!n)
			*first_kept = fr->first_sample + i;
		for (unsigned int k = 0; k < c->nchan; k++) {
			/* memcpy: the ring is only 2-byte aligned per sample anyway. */
			memcpy(out, s + c->chan_idx[k] * 2, 2);
			out++;
		}
		n++;
	}
	return n;
}

/*
 * How many frames fit one unit, so that the peek takes no frame the unit
 * then leaves for the next one (which would be parsed twice). A DATA
 * message costs its header and its samples: the frame's whole payload
 * (zero copy) or this client's share of it. Before this client has seen a
 * frame, the frame length bounds its samples from above.
 */
static size_t unit_frames(const struct net_sink *ns, const struct client *c)
{
	const struct daqd_stream *st = ns->stream;
	uint64_t fs = c->frame_samples, cost;

	if (!fs)
		fs = (st->frame_len - UDAQ_FRAME_HDR_LEN) / st->sample_bytes;
	if (c->zero_copy)
		cost = DQS_DATA_HDR_BYTES + fs * st->sample_bytes;
	else
		cost = DQS_DATA_HDR_BYTES + (fs / c->rq.decimation + 1) * c->nchan * 2;
	cost = ns->max_pending / cost;
	return cost < 1 ? 1 : cost > MAX_FRAMES ? MAX_FRAMES : (size_t)cost;
}

/*
 * Turn the peeked frames into the unit's DATA messages. Returns the DATA
 * messages added; sets the batch fields.
 */
static size_t gather(struct net_sink *ns, struct client *c)
{
	const struct daqd_stream *st = ns->stream;
	size_t bytes = 0, nmsg = 0, copied = 0, used = 0;

	c->batch_samples = 0;
	for (size_t k = 0; k < c->batch.nframes; k++) {
		const struct udaq_frame *f = &c->frames[k];
		uint32_t ns_frame = f->nsamples;
		struct dqs_data d = { .seq = f->seq, .timestamp_ns = f->timestamp_ns,
				      .flags = (f->flags & UDAQ_FRAME_FLAG_TEST) ?
					       DQS_DATA_FLAG_TEST : 0 };
		size_t plen;

		if (st->max_samples) {
			if (f->first_sample >= st->max_samples) {
				c->limit_done = true;
				break;
			}
			if (st->max_samples - f->first_sample < ns_frame)
				ns_frame = (uint32_t)(st->max_samples - f->first_sample);
		}
		plen = (size_t)ns_frame * f->nchan * 2;
		if (c->zero_copy) {
			if (k && bytes + DQS_DATA_HDR_BYTES + plen > ns->max_pending)
				break;
			d.first_sample = f->first_sample;
			d.nsamples = ns_frame;
			d.nchan = (uint16_t)f->nchan;
			dqs_encode_data_hdr(c->slots[nmsg], &d);
			c->iov[c->niov++] = (struct iovec){ c->slots[nmsg], DQS_DATA_HDR_BYTES };
			c->iov[c->niov++] = (struct iovec){ (void *)f->samples, plen };
			bytes += DQS_DATA_HDR_BYTES + plen;
			c->batch_samples += ns_frame;
			nmsg++;
		} else {
			size_t room = (ns->max_pending - copied) / 2;
			size_t need = ((size_t)ns_frame / c->rq.decimation + 1) * c->nchan;
			uint64_t kept_first = 0;
			size_t kept;

			if (k && (bytes + DQS_DATA_HDR_BYTES + need * 2 > ns->max_pending ||
				  need > room))
				break;
			kept = transform(c, f, ns_frame, (int16_t *)(c->copy + copied), &kept_first);
			if (kept) {
				d.first_sample = kept_first;
				d.nsamples = (uint32_t)kept;
				d.nchan = (uint16_t)c->nchan;
				dqs_encode_data_hdr(c->slots[nmsg], &d);
				c->iov[c->niov++] = (struct iovec){ c->slots[nmsg], DQS_DATA_HDR_BYTES };
				c->iov[c->niov++] = (struct iovec){ c->copy + copied,
								    kept * c->nchan * 2 };
				copied += kept * c->nchan * 2;
				bytes += DQS_DATA_HDR_BYTES + kept * c->nchan * 2;
				c->batch_samples += kept;
				nmsg++;
			}
		}
		used++;
		c->batch_end = f->first_sample + ns_frame;
		if (ns_frame < f->nsamples) {
			c->limit_done = true;	/* the stream's sample limit */
			break;
		}
	}
	c->batch_frames = used;
	if (used) {
		const struct udaq_frame *last = &c->frames[used - 1];

		c->ring_lo = c->frames[0].samples;
		c->ring_hi = (const uint8_t *)last->samples + last->payload_len;
	}
	c->batch_msgs = nmsg;
	return used ? (nmsg ? nmsg : (size_t)-1) : 0;
}

/* Set up the next unit, if there is anything to send. Return true if so. */
static bool build_unit(struct net_sink *ns, struct client *c)
{
	size_t got;
	int ret;

	memcpy(c->unit_ctl, c->ctl, c->ctl_len);
	c->iov[0] = (struct iovec){ c->unit_ctl, c->ctl_len };
	c->ctl_len = 0;
	c->niov = 1;
	c->iov_pos = 0;
	c->verdict = V_NONE;

	/* udaq_digitizer_start() resets the readers: hands off until it is done. */
	if (c->state == C_STREAM && c->reader && !c->limit_done &&
	    atomic_load(&ns->stream->started)) {
		/*
		 * One peek per unit: a client lapped by the device moves to a
		 * frame a few batches behind it (docs/stream-protocol.md, "Slow
		 * clients"), the skip reported as this client's slowness.
		 */
		c->batch = (struct udaq_frame_batch){
			.frames = c->frames,
			.max_frames = unit_frames(ns, c),
			.frame_len = ns->stream->frame_len,
			.max_lag = 4 * ns->max_pending,
			.flags = UDAQ_FRAME_BATCH_CONTIGUOUS,
		};
		ret = udaq_frame_batch_peek(c->reader, &c->batch);
		if (ret < 0) {
			/* Checked intact yet malformed: the stream cannot be trusted. */
			daqd_log(DAQD_LOG_ERR, "net: client %llu: corrupt frame in the ring (%s)",
				 (unsigned long long)c->id, strerror(-ret));
			c->fatal = -EIO;
		} else if (ret > 0) {
			account_gap(ns, c, &c->frames[0]);
			got = gather(ns, c);
			if (got == (size_t)-1) {
				/* Frames with nothing for this client (decimation). */
				udaq_frame_batch_release(c->reader, &c->batch, c->batch_frames);
				c->next_dev = c->batch_end;
			} else if (got && c->zero_copy) {
				c->verdict = V_CHECK;
			} else if (got) {
				/* Copied: check now, then the data is ours. */
				if (udaq_frame_batch_check(c->reader, &c->batch)) {
					c->niov = 1;	/* torn: drop it, the reader resyncs */
				} else {
					udaq_frame_batch_release(c->reader, &c->batch,
								 c->batch_frames);
					c->data_msgs += c->batch_msgs;
					dqs_encode_commit(c->tail, c->data_msgs);
					c->iov[c->niov++] = (struct iovec){ c->tail, sizeof(c->tail) };
					c->verdict = V_COMMIT;
				}
			}
		}
	}
	if (c->niov == 1 && !c->reader && c->end_pending && c->state == C_STREAM) {
		struct dqs_end e = { .end_sample = c->next_dev, .reason = c->end_reason };
		uint8_t msg[DQS_END_BYTES];

		if (!c->have_next && c->from_start) {
			/* Owed everything from sample 0 and got no frame of it. */
			c->have_next = true;
			c->next_dev = 0;
		}
		if (!c->have_next) {
			/*
			 * Joined mid-run and saw no frame: there is no sample it
			 * was owed, but END still says where the device ended.
			 */
			if (c->end_total > c->next_dev)
				c->next_dev = c->end_total;
		} else if (c->end_total > c->next_dev) {
			uint64_t slow_to = c->slow_end < c->end_total ? c->slow_end : c->end_total;

			if (slow_to > c->next_dev) {
				add_gap(ns, c, c->next_dev, slow_to - c->next_dev, DQS_GAP_CLIENT_SLOW);
				c->next_dev = slow_to;
			}
			add_gap(ns, c, c->next_dev, c->end_total - c->next_dev,
				DQS_GAP_DEVICE_OVERFLOW);
			c->next_dev = c->end_total;
		} else if (c->void_end > c->next_dev) {
			/* The device's end is unknown: at least the voided DATA. */
			add_gap(ns, c, c->next_dev, c->void_end - c->next_dev, DQS_GAP_CLIENT_SLOW);
			c->next_dev = c->void_end;
		}
		e.end_sample = c->next_dev;
		dqs_encode_end(msg, &e);
		memcpy(c->unit_ctl + c->iov[0].iov_len, msg, sizeof(msg));
		c->iov[0].iov_len += sizeof(msg);
		c->end_pending = false;
		c->state = C_WAIT;
	}
	c->in_flight = c->niov > 1 || c->iov[0].iov_len > 0;
	return c->in_flight;
}

/* The unit in flight is out: settle its DATA. */
static void finish_unit(struct net_sink *ns, struct client *c)
{
	struct daqd_sink *s = &ns->base;
	enum verdict v = c->verdict;

	c->in_flight = false;
	if (v == V_CHECK)
		v = udaq_frame_batch_check(c->reader, &c->batch) ? V_ABORT : V_COMMIT;
	if (v == V_COMMIT) {
		if (c->verdict == V_CHECK) {
			udaq_frame_batch_release(c->reader, &c->batch, c->batch_frames);
			c->data_msgs += c->batch_msgs;
			dqs_encode_commit(c->tail, c->data_msgs);
			net_ctl_add(c, c->tail, sizeof(c->tail));
		} else if (c->detached) {
			/* Detached at stop: the COMMIT was not part of the unit. */
			c->data_msgs += c->batch_msgs;
			dqs_encode_commit(c->tail, c->data_msgs);
			net_ctl_add(c, c->tail, sizeof(c->tail));
		}
		c->next_dev = c->batch_end;
		atomic_fetch_add(&c->sent_samples, c->batch_samples);
		atomic_fetch_add(&s->c.samples, c->batch_samples);
		atomic_fetch_add(&s->c.frames, c->batch_msgs);
	} else if (v == V_ABORT) {
		uint8_t msg[DQS_COMMIT_BYTES];

		c->data_msgs += c->batch_msgs;
		dqs_encode_abort(msg, c->data_msgs);
		net_ctl_add(c, msg, sizeof(msg));
		c->void_end = c->batch_end;
		atomic_fetch_add(&c->aborts, 1);
	}
	c->verdict = V_NONE;
	c->detached = false;
}

/*
 * Send as much as the socket takes. Return 0 (would block or nothing left),
 * or -errno to close the client.
 */
int net_pump(struct net_sink *ns, struct client *c, int64_t now)
{
	struct daqd_sink *s = &ns->base;

	/* A few units per client per loop turn: one fast client must not starve the rest. */
	for (int turns = 0; turns < 8; turns++) {
		struct msghdr mh = { 0 };
		ssize_t n;

		if (!c->in_flight && !build_unit(ns, c))
			return c->fatal;
		mh.msg_iov = c->iov + c->iov_pos;
		mh.msg_iovlen = c->niov - c->iov_pos;
		n = sendmsg(c->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			return -errno;
		}
		c->t_progress = now;
		atomic_fetch_add(&c->bytes, (uint64_t)n);
		atomic_fetch_add(&s->c.bytes, (uint64_t)n);
		while (c->iov_pos < c->niov && (size_t)n >= c->iov[c->iov_pos].iov_len) {
			n -= (ssize_t)c->iov[c->iov_pos].iov_len;
			c->iov_pos++;
		}
		if (c->iov_pos < c->niov) {
			c->iov[c->iov_pos].iov_base = (uint8_t *)c->iov[c->iov_pos].iov_base + n;
			c->iov[c->iov_pos].iov_len -= (size_t)n;
			continue;
		}
		finish_unit(ns, c);
	}
	return 0;
}
