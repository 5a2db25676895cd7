/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The network stream sink. One thread polls the listening sockets, the
 * clients and the sink's wake-up eventfd; every socket is non-blocking, so
 * nothing a client does (or fails to do) can stall the thread for long.
 *
 * Per client, the data path is a sequence of "units": one sendmsg() iovec
 * list made of queued control messages (GAP, COMMIT, ...) followed by a
 * batch of DATA messages. For a full-rate, all-channel client a DATA
 * message is a 48-byte header we build and the frame's payload straight
 * from the ring (no copy). Such a batch is only COMMITted after every byte
 * was handed to the kernel and udaq_frame_batch_check() says the device
 * did not overwrite it meanwhile; otherwise it is ABORTed and the client's
 * reader resynchronises (docs/stream-protocol.md, "Torn data"). Clients
 * with a channel subset or decimation get a copy, checked before sending.
 * Either way a unit is one library batch: one peek, one check, one release.
 */
#include "stream_server.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <uio_daq/digitizer.h>
#include <uio_daq/frame.h>

#include "log.h"
#include "stream_addr.h"
#include "stream_proto.h"

#ifndef DAQD_VERSION
#define DAQD_VERSION "unknown"
#endif

#define MAX_FRAMES		256	/* DATA messages per unit */
#define CTL_CAP			4096	/* queued control messages */
#define DEFAULT_MAX_CLIENTS	64
#define MAX_CLIENTS_LIMIT	4096	/* each costs ~55 KiB and a descriptor */
#define DEFAULT_REQ_TIMEOUT	5000
#define DEFAULT_STALL_TIMEOUT	30000
#define DEFAULT_MAX_PENDING	(1u << 20)
#define ACCEPT_BURST		64	/* accepts per loop turn, for fairness */
#define DRAIN_MS		1000	/* flushing clients after a stop */
#define TICK_MS			20	/* polling the ring between wake-ups */
#define STATUS_MAX_CLIENTS	64	/* clients listed one by one in status */

enum client_state {
	C_REQUEST,	/* waiting for the REQUEST */
	C_WAIT,		/* request taken, no acquisition running */
	C_STREAM,	/* HELLO sent, streaming */
};

/* What to do once the unit in flight has been sent. */
enum verdict {
	V_NONE,		/* no pending DATA in it */
	V_CHECK,	/* zero-copy DATA: check the ring span */
	V_COMMIT,	/* decided already (copied data, or detached at stop) */
	V_ABORT,
};

/*
 * Only the sink thread writes a client. net_status() reads it from the
 * control thread under list_lock: state is atomic, and the request fields
 * it shows are written under list_lock (client_bind()).
 */
struct client {
	int fd;
	_Atomic int state;		/* enum client_state */
	char peer[160];
	uint64_t id;
	int64_t t_connect;
	int64_t t_progress;		/* last byte the socket accepted */

	uint8_t rq_buf[DQS_REQUEST_BYTES];
	size_t rq_len;
	struct dqs_request rq;
	uint32_t mask;			/* device channels sent */
	bool zero_copy;
	unsigned int chan_idx[DQS_MAX_CHANNELS];	/* of mask, in the frame */
	unsigned int nchan;

	struct udaq_reader *reader;
	bool from_start;		/* bound before the device started: owed sample 0 on */
	bool have_next;
	uint64_t next_dev;		/* device index accounted for to the client */
	uint64_t void_end;		/* end of DATA voided by the last ABORT */
	uint64_t data_msgs;
	bool limit_done;		/* stream->max_samples reached */
	uint32_t frame_samples;		/* of the frames seen, for the tail */
	uint64_t slow_end;		/* at a stop: end of what this client left unread */
	uint64_t end_total;		/* at a stop: the device's end_sample, 0 unknown */
	int fatal;			/* -errno: close the client */
	bool end_pending;		/* send END once the unit is out */
	uint32_t end_reason;

	/* queued control bytes, sent at the head of the next unit */
	uint8_t ctl[CTL_CAP];
	size_t ctl_len;

	/* the unit in flight */
	bool in_flight;
	uint8_t unit_ctl[CTL_CAP + 4 * DQS_GAP_BYTES + DQS_END_BYTES];
	uint8_t slots[MAX_FRAMES][DQS_DATA_HDR_BYTES];
	uint8_t tail[DQS_COMMIT_BYTES];
	struct iovec iov[2 * MAX_FRAMES + 2];
	size_t niov, iov_pos;
	enum verdict verdict;
	bool detached;			/* unit moved off the ring at a stop */
	struct udaq_frame_batch batch;	/* what was peeked: checked and released whole */
	struct udaq_frame frames[MAX_FRAMES];
	size_t batch_frames;		/* of them in the unit (to release) */
	const uint8_t *ring_lo, *ring_hi;	/* the payloads sent from the ring */
	uint64_t batch_end;		/* device index after the batch */
	uint64_t batch_samples;		/* per channel, as sent */
	uint64_t batch_msgs;
	uint8_t *copy;			/* copied samples (or detached unit) */
	size_t copy_cap;

	_Atomic uint64_t sent_samples;
	_Atomic uint64_t dropped_samples;
	_Atomic uint64_t bytes;
	_Atomic uint64_t gaps;
	_Atomic uint64_t aborts;
};

struct listener {
	int fd;
	struct dqs_addr addr;
};

struct net_sink {
	struct daqd_sink base;		/* first: sink.h casts */
	struct daqd_net_config cfg;
	struct listener lis[DAQD_NET_MAX_LISTEN];
	size_t nlis;
	uint8_t *zeros;			/* max_pending zero bytes */

	pthread_t thread;
	bool thread_started;
	int quit_fd;			/* eventfd: destroy */

	/* control thread <-> sink thread handshake, guarded by lock */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	const struct daqd_stream *want_stream;	/* set by start, NULL by stop */
	uint64_t req_gen, ack_gen;

	/* sink thread only (clients[] also read by status under list_lock) */
	const struct daqd_stream *stream;
	size_t max_pending;
	bool draining;
	int64_t drain_deadline;
	pthread_mutex_t list_lock;
	struct client **clients;	/* cfg.max_clients slots */
	size_t nclients;
	uint64_t next_id;

	_Atomic uint64_t accepted;
	_Atomic uint64_t refused;
	_Atomic uint64_t closed_bad;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct net_sink *to_net(struct daqd_sink *s)
{
	return (struct net_sink *)s;
}

/* ---- Client bookkeeping ------------------------------------------------- */

static void client_free(struct client *c)
{
	if (c->reader)
		udaq_reader_free(c->reader);
	if (c->fd >= 0)
		close(c->fd);
	free(c->copy);
	free(c);
}

static void remove_client(struct net_sink *ns, size_t i, const char *why)
{
	struct client *c = ns->clients[i];

	pthread_mutex_lock(&ns->list_lock);
	ns->clients[i] = ns->clients[--ns->nclients];
	pthread_mutex_unlock(&ns->list_lock);
	daqd_log(DAQD_LOG_INFO, "net: client %llu (%s) closed: %s",
		 (unsigned long long)c->id, c->peer, why);
	client_free(c);
}

static int ctl_add(struct client *c, const void *msg, size_t len)
{
	if (c->ctl_len + len > sizeof(c->ctl))
		return -ENOBUFS;
	memcpy(c->ctl + c->ctl_len, msg, len);
	c->ctl_len += len;
	return 0;
}

/* Best effort: tell a client why it is being closed, without blocking. */
static void send_error_now(int fd, int code, const char *text)
{
	uint8_t msg[DQS_ERROR_MAX_BYTES];
	int n = dqs_encode_error(msg, sizeof(msg), (uint32_t)code, text);

	if (n > 0 && send(fd, msg, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		/* The client is going away anyway. */
	}
}

static void tune_socket(struct net_sink *ns, int fd, bool tcp)
{
	int one = 1;

	if (ns->cfg.sndbuf) {
		int v = (int)ns->cfg.sndbuf;

		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	}
	if (!tcp)
		return;
	/* COMMIT is small and must not wait for an ACK (Nagle). */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* Half-open connections: probe after 10 s idle, give up after ~25 s. */
	{
		int idle = 10, intvl = 5, cnt = 3;
		unsigned int uto = ns->cfg.stall_timeout_ms;

		setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
		setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
		setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
		setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
		setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &uto, sizeof(uto));
	}
}

static void accept_clients(struct net_sink *ns, struct listener *l)
{
	for (int k = 0; k < ACCEPT_BURST; k++) {
		struct dqs_addr peer = { .len = sizeof(peer.ss) };
		uint8_t junk[DQS_REQUEST_BYTES];
		struct client *c;
		int fd;

		fd = accept4(l->fd, (struct sockaddr *)&peer.ss, &peer.len,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				daqd_log(DAQD_LOG_WARN, "net: accept on %s: %s",
					 l->addr.text, strerror(errno));
			return;
		}
		atomic_fetch_add(&ns->accepted, 1);
		/*
		 * Accept and close at once rather than leave the connection
		 * in the backlog: a connect flood never starves later clients.
		 */
		if (ns->nclients >= ns->cfg.max_clients) {
			atomic_fetch_add(&ns->refused, 1);
			send_error_now(fd, EBUSY, "too many clients");
			/* Unread input would turn the close into a RST that can eat the ERROR. */
			if (recv(fd, junk, sizeof(junk), MSG_DONTWAIT) < 0) {
				/* Nothing there yet: the usual case. */
			}
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			atomic_fetch_add(&ns->refused, 1);
			close(fd);
			continue;
		}
		c->fd = fd;
		c->state = C_REQUEST;
		c->id = ++ns->next_id;
		c->t_connect = c->t_progress = now_ms();
		if (l->addr.is_unix) {
			snprintf(c->peer, sizeof(c->peer), "%s#%llu", l->addr.text,
				 (unsigned long long)c->id);
		} else {
			dqs_addr_format(&peer);
			snprintf(c->peer, sizeof(c->peer), "%s", peer.text);
		}
		tune_socket(ns, fd, !l->addr.is_unix);
		pthread_mutex_lock(&ns->list_lock);
		ns->clients[ns->nclients++] = c;
		pthread_mutex_unlock(&ns->list_lock);
	}
}

/* ---- Acquisition attach/detach ------------------------------------------ */

/* A copy buffer of max_pending bytes (which may grow between acquisitions). */
static int ensure_copy(struct net_sink *ns, struct client *c)
{
	uint8_t *nb;

	if (c->copy && c->copy_cap >= ns->max_pending)
		return 0;
	nb = realloc(c->copy, ns->max_pending);
	if (!nb)
		return -ENOMEM;
	c->copy = nb;
	c->copy_cap = ns->max_pending;
	return 0;
}

/* Resolve the request against @st; on failure fill @why. */
static int client_bind(struct net_sink *ns, struct client *c,
		       const struct daqd_stream *st, char *why, size_t whylen)
{
	uint32_t want = c->rq.chan_mask ? c->rq.chan_mask : st->chan_mask;
	unsigned int pos = 0;
	struct dqs_hello h = { 0 };
	uint8_t msg[DQS_HDR_LEN + DQS_HELLO_MAX_LEN];
	int n, ret;

	if (want & ~st->chan_mask) {
		snprintf(why, whylen, "channels 0x%x requested, the acquisition has 0x%x",
			 want, st->chan_mask);
		return -EINVAL;
	}
	pthread_mutex_lock(&ns->list_lock);
	c->mask = want;
	c->zero_copy = want == st->chan_mask && c->rq.decimation == 1;
	pthread_mutex_unlock(&ns->list_lock);
	c->nchan = 0;
	for (unsigned int ch = 0; ch < 32; ch++) {
		if (!(st->chan_mask & (1u << ch)))
			continue;
		if (want & (1u << ch))
			c->chan_idx[c->nchan++] = pos;
		pos++;
	}
	if (!c->zero_copy && ensure_copy(ns, c)) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	ret = udaq_reader_new(st->ring, UDAQ_READER_LOSSY, &c->reader);
	if (ret) {
		snprintf(why, whylen, "cannot create a reader: %s", strerror(-ret));
		return ret;
	}
	c->from_start = !atomic_load(&st->started);

	h.version = DQS_VERSION_MAJOR;
	h.minor = DQS_VERSION_MINOR;
	h.sample_rate = st->sample_rate;
	h.decimation = c->rq.decimation;
	h.dev_chan_mask = st->chan_mask;
	h.chan_mask = want;
	h.nchan = (uint16_t)c->nchan;
	h.format = DQS_FORMAT_I16LE;
	h.sample_bits = 16;
	h.max_pending = (uint32_t)ns->max_pending;
	h.acq_id = st->acq_id;
	h.start_sample = 0;
	h.start_unix_ns = (int64_t)st->start_realtime.tv_sec * 1000000000 +
			  st->start_realtime.tv_nsec;
	snprintf(h.device, sizeof(h.device), "%s", st->hw ? st->hw : "");
	snprintf(h.datatype, sizeof(h.datatype), "%s", st->datatype ? st->datatype : "ri16_le");
	snprintf(h.server, sizeof(h.server), "daqd %s", DAQD_VERSION);
	n = dqs_encode_hello(msg, sizeof(msg), &h);
	if (n < 0 || ctl_add(c, msg, (size_t)n)) {
		snprintf(why, whylen, "cannot encode HELLO");
		return -EINVAL;
	}
	c->have_next = false;
	c->next_dev = 0;
	c->frame_samples = 0;
	c->void_end = 0;
	c->data_msgs = 0;
	c->limit_done = false;
	c->end_pending = false;
	c->state = C_STREAM;
	return 0;
}

/*
 * The ring is about to go away: make the unit in flight independent of it.
 * The device has stopped, so what is intact now stays intact while copied.
 */
static void client_detach_unit(struct net_sink *ns, struct client *c)
{
	size_t off = 0;

	if (!c->in_flight || c->verdict != V_CHECK)
		return;
	c->detached = true;
	if (udaq_frame_batch_check(c->reader, &c->batch) == 0 &&
	    ensure_copy(ns, c) == 0) {
		c->verdict = V_COMMIT;
		for (size_t i = c->iov_pos; i < c->niov; i++) {
			const uint8_t *b = c->iov[i].iov_base;

			if (b >= c->ring_lo && b < c->ring_hi) {
				memcpy(c->copy + off, b, c->iov[i].iov_len);
				c->iov[i].iov_base = c->copy + off;
				off += c->iov[i].iov_len;
			}
		}
		udaq_frame_batch_release(c->reader, &c->batch, c->batch_frames);
		return;
	}
	/* Torn already (or no memory): finish the framing with zeros, then ABORT. */
	c->verdict = V_ABORT;
	for (size_t i = c->iov_pos; i < c->niov; i++) {
		const uint8_t *b = c->iov[i].iov_base;

		if (b >= c->ring_lo && b < c->ring_hi)
			c->iov[i].iov_base = ns->zeros;
	}
}

/* The wire's END reason for why the acquisition ended. */
static uint32_t end_reason(const struct daqd_stream *st)
{
	switch (atomic_load(&st->end_reason)) {
	case DAQD_END_SHUTDOWN: return DQS_END_SHUTDOWN;
	case DAQD_END_DEVICE_ERROR: return DQS_END_DEVICE_ERROR;
	default: return DQS_END_STOPPED;
	}
}

static void client_unbind(struct net_sink *ns, struct client *c, uint32_t reason)
{
	struct udaq_span sp = { 0 };
	uint64_t base;

	client_detach_unit(ns, c);
	/*
	 * What the END will have to account for: the frames this client left
	 * in the ring are its slowness; whatever the device produced or dropped
	 * beyond them (end_sample) is the device's.
	 */
	base = c->in_flight && c->verdict != V_NONE ? c->batch_end :
	       (c->void_end > c->next_dev ? c->void_end : c->next_dev);
	if (c->reader && atomic_load(&ns->stream->started))
		udaq_reader_peek(c->reader, &sp);
	if (!c->frame_samples && sp.len) {
		/* No frame reached this client: learn the size from one it left. */
		struct udaq_frame fr;

		if (udaq_frame_parse(sp.data, sp.len, &fr) == 1)
			c->frame_samples = fr.nsamples;
	}
	c->slow_end = base + sp.len / ns->stream->frame_len * c->frame_samples;
	c->end_total = atomic_load(&ns->stream->end_sample);
	if (c->reader) {
		udaq_reader_free(c->reader);
		c->reader = NULL;
	}
	c->end_pending = true;
	c->end_reason = reason;
}

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
			ctl_add(c, c->tail, sizeof(c->tail));
		} else if (c->detached) {
			/* Detached at stop: the COMMIT was not part of the unit. */
			c->data_msgs += c->batch_msgs;
			dqs_encode_commit(c->tail, c->data_msgs);
			ctl_add(c, c->tail, sizeof(c->tail));
		}
		c->next_dev = c->batch_end;
		atomic_fetch_add(&c->sent_samples, c->batch_samples);
		atomic_fetch_add(&s->c.samples, c->batch_samples);
		atomic_fetch_add(&s->c.frames, c->batch_msgs);
	} else if (v == V_ABORT) {
		uint8_t msg[DQS_COMMIT_BYTES];

		c->data_msgs += c->batch_msgs;
		dqs_encode_abort(msg, c->data_msgs);
		ctl_add(c, msg, sizeof(msg));
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
static int pump(struct net_sink *ns, struct client *c, int64_t now)
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

/* ---- Reading from clients ----------------------------------------------- */

/* Return 0, or -errno to close (after an ERROR where possible). */
static int client_read(struct net_sink *ns, struct client *c)
{
	char why[160];
	uint8_t junk[64];
	struct dqs_hdr h;
	ssize_t n;
	int ret;

	if (c->state != C_REQUEST) {
		n = recv(c->fd, junk, sizeof(junk), MSG_DONTWAIT);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		if (!c->in_flight)
			send_error_now(c->fd, EPROTO, "unexpected bytes after the REQUEST");
		return -EPROTO;
	}
	n = recv(c->fd, c->rq_buf + c->rq_len, sizeof(c->rq_buf) - c->rq_len, MSG_DONTWAIT);
	if (n == 0)
		return -ECONNRESET;
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	c->rq_len += (size_t)n;
	/* Judge the header as soon as it is complete: garbage is closed early. */
	if (c->rq_len >= DQS_HDR_LEN) {
		ret = dqs_decode_hdr(c->rq_buf, &h, why, sizeof(why));
		if (!ret && h.type != DQS_REQUEST) {
			snprintf(why, sizeof(why), "expected REQUEST, got %s", dqs_type_name(h.type));
			ret = -EPROTO;
		}
		if (ret) {
			send_error_now(c->fd, EPROTO, why);
			daqd_log(DAQD_LOG_INFO, "net: client %llu: %s", (unsigned long long)c->id, why);
			return -EPROTO;
		}
	}
	if (c->rq_len < sizeof(c->rq_buf))
		return 0;
	pthread_mutex_lock(&ns->list_lock);
	ret = dqs_decode_request(c->rq_buf + DQS_HDR_LEN, DQS_REQUEST_LEN, &c->rq, why, sizeof(why));
	pthread_mutex_unlock(&ns->list_lock);
	if (ret) {
		send_error_now(c->fd, -ret, why);
		daqd_log(DAQD_LOG_INFO, "net: client %llu: %s", (unsigned long long)c->id, why);
		return ret;
	}
	c->state = C_WAIT;	/* bound to the acquisition by the main loop */
	return 0;
}

/* ---- The thread --------------------------------------------------------- */

/* Are the clients done with what the stopped device left in the ring? */
static bool drained(struct net_sink *ns, int64_t now)
{
	if (now >= ns->drain_deadline || !atomic_load(&ns->stream->started))
		return true;
	for (size_t i = 0; i < ns->nclients; i++) {
		struct client *c = ns->clients[i];
		struct udaq_span sp;

		if (!c->reader)
			continue;
		if (c->in_flight)
			return false;
		udaq_reader_peek(c->reader, &sp);
		if (sp.len >= ns->stream->frame_len && !c->limit_done)
			return false;
	}
	return true;
}

/* Pick up start/stop requests from the control thread. */
static void sync_control(struct net_sink *ns, int64_t now)
{
	const struct daqd_stream *want;
	uint64_t gen;

	pthread_mutex_lock(&ns->lock);
	want = ns->want_stream;
	gen = ns->req_gen;
	pthread_mutex_unlock(&ns->lock);

	if (want && !ns->stream) {
		ns->stream = want;
		ns->max_pending = ns->cfg.max_pending;
		if (ns->max_pending > udaq_ring_size(want->ring) / 8)
			ns->max_pending = udaq_ring_size(want->ring) / 8;
		if (ns->max_pending < DQS_DATA_HDR_BYTES + want->frame_len)
			ns->max_pending = DQS_DATA_HDR_BYTES + want->frame_len;
		/*
		 * Bind waiting clients now, before the device starts, so that
		 * their readers begin at sample 0. (One still sending the END
		 * of the previous run is bound by the main loop.)
		 */
		for (size_t i = 0; i < ns->nclients; i++) {
			struct client *c = ns->clients[i];
			char why[160];

			if (c->state != C_WAIT || c->in_flight)
				continue;
			if (client_bind(ns, c, want, why, sizeof(why))) {
				send_error_now(c->fd, EINVAL, why);
				remove_client(ns, i--, why);
			}
		}
	} else if (!want && ns->stream) {
		if (!ns->draining) {
			/* The device has stopped: let the clients catch up a little. */
			ns->draining = true;
			ns->drain_deadline = now + DRAIN_MS;
		}
		if (!drained(ns, now))
			return;	/* acknowledged once drained */
		uint32_t reason = end_reason(ns->stream);

		for (size_t i = 0; i < ns->nclients; i++)
			if (ns->clients[i]->state == C_STREAM && ns->clients[i]->reader)
				client_unbind(ns, ns->clients[i], reason);
		ns->stream = NULL;
		ns->draining = false;
	}
	if (gen == ns->ack_gen)
		return;
	pthread_mutex_lock(&ns->lock);
	ns->ack_gen = gen;
	pthread_cond_broadcast(&ns->cond);
	pthread_mutex_unlock(&ns->lock);
}

static void check_timeouts(struct net_sink *ns, int64_t now)
{
	for (size_t i = 0; i < ns->nclients; i++) {
		struct client *c = ns->clients[i];

		if (c->state == C_REQUEST &&
		    now - c->t_connect > (int64_t)ns->cfg.request_timeout_ms) {
			send_error_now(c->fd, ETIMEDOUT, "no REQUEST received in time");
			atomic_fetch_add(&ns->closed_bad, 1);
			remove_client(ns, i--, "no REQUEST in time");
		} else if (c->in_flight &&
			   now - c->t_progress > (int64_t)ns->cfg.stall_timeout_ms) {
			atomic_fetch_add(&ns->closed_bad, 1);
			remove_client(ns, i--, "stalled: not reading");
		}
	}
}

static void *net_thread(void *arg)
{
	struct net_sink *ns = arg;
	struct pollfd *pfd = NULL;
	size_t pcap = 0;

	pthread_setname_np(pthread_self(), "daqd-net");
	for (;;) {
		size_t nfd = 0, base;
		int64_t now = now_ms();
		int timeout = 200, n;

		sync_control(ns, now);
		if (ns->stream)
			timeout = TICK_MS;

		if (pcap < 2 + ns->nlis + ns->nclients) {
			struct pollfd *np = realloc(pfd, (2 + ns->nlis + ns->nclients + 16) * sizeof(*np));

			if (!np) {
				daqd_log(DAQD_LOG_ERR, "net: out of memory for poll set");
				sleep(1);
				continue;
			}
			pfd = np;
			pcap = 2 + ns->nlis + ns->nclients + 16;
		}
		pfd[nfd++] = (struct pollfd){ .fd = ns->quit_fd, .events = POLLIN };
		pfd[nfd++] = (struct pollfd){ .fd = ns->base.wake_fd, .events = POLLIN };
		for (size_t i = 0; i < ns->nlis; i++)
			pfd[nfd++] = (struct pollfd){ .fd = ns->lis[i].fd, .events = POLLIN };
		base = nfd;
		for (size_t i = 0; i < ns->nclients; i++) {
			struct client *c = ns->clients[i];

			pfd[nfd++] = (struct pollfd){ .fd = c->fd,
				.events = (short)(POLLIN | (c->in_flight ? POLLOUT : 0)) };
		}
		n = poll(pfd, nfd, timeout);
		if (n < 0 && errno != EINTR) {
			daqd_log(DAQD_LOG_ERR, "net: poll: %s", strerror(errno));
			break;
		}
		if (n > 0 && (pfd[0].revents & POLLIN))
			break;
		if (n > 0 && (pfd[1].revents & POLLIN))
			daqd_sink_clear_wake(&ns->base);
		now = now_ms();

		/* Clients first (indexes match pfd until one is removed). */
		for (size_t i = ns->nclients, k; i-- > 0;) {
			struct client *c = ns->clients[i];
			short re = 0;
			int ret = 0;

			k = base + i;
			if (n > 0 && k < nfd && pfd[k].fd == c->fd)
				re = pfd[k].revents;
			if (re & (POLLIN | POLLHUP | POLLERR))
				ret = client_read(ns, c);
			if (!ret && c->state == C_WAIT && !c->in_flight && ns->stream &&
			    !ns->draining) {
				char why[160];

				ret = client_bind(ns, c, ns->stream, why, sizeof(why));
				if (ret) {
					send_error_now(c->fd, -ret, why);
					daqd_log(DAQD_LOG_INFO, "net: client %llu: %s",
						 (unsigned long long)c->id, why);
				}
			}
			if (!ret && c->state != C_REQUEST)
				ret = pump(ns, c, now);
			if (ret) {
				if (ret == -EPROTO)
					atomic_fetch_add(&ns->closed_bad, 1);
				remove_client(ns, i, ret == -ECONNRESET ? "disconnected" :
					      strerror(-ret));
			}
		}
		if (n > 0)
			for (size_t i = 0; i < ns->nlis; i++)
				if (pfd[2 + i].revents & POLLIN)
					accept_clients(ns, &ns->lis[i]);
		check_timeouts(ns, now);
	}

	/*
	 * Destroy: no acquisition is running any more (stop came first).
	 * One last non-blocking push so that clients get their END.
	 */
	for (size_t i = 0; i < ns->nclients; i++)
		if (ns->clients[i]->state != C_REQUEST)
			pump(ns, ns->clients[i], now_ms());
	free(pfd);
	return NULL;
}

/* ---- Sink operations ---------------------------------------------------- */

/* Post a request to the thread and wait (bounded) for it to be taken. */
static void request_and_wait(struct net_sink *ns, const struct daqd_stream *st)
{
	struct timespec dl;
	uint64_t gen;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 5;
	pthread_mutex_lock(&ns->lock);
	ns->want_stream = st;
	gen = ++ns->req_gen;
	pthread_mutex_unlock(&ns->lock);
	daqd_sink_wake(&ns->base);
	pthread_mutex_lock(&ns->lock);
	while (ns->ack_gen < gen)
		if (pthread_cond_timedwait(&ns->cond, &ns->lock, &dl) == ETIMEDOUT)
			break;
	if (ns->ack_gen < gen)
		daqd_log(DAQD_LOG_ERR, "net: sink thread did not answer within 5 s");
	pthread_mutex_unlock(&ns->lock);
}

static int net_start(struct daqd_sink *s, const struct daqd_stream *stream)
{
	daqd_sink_begin(s, stream);
	request_and_wait(to_net(s), stream);
	return 0;
}

static void net_stop(struct daqd_sink *s)
{
	request_and_wait(to_net(s), NULL);
	s->stream = NULL;
	if (atomic_load(&s->state) == DAQD_SINK_RUNNING)
		atomic_store(&s->state, DAQD_SINK_IDLE);
}

static void net_status(struct daqd_sink *s, struct json_object *obj)
{
	struct net_sink *ns = to_net(s);
	struct json_object *arr = json_object_new_array();
	struct json_object *lis = json_object_new_array();
	static const char *const states[] = { "request", "waiting", "streaming" };

	for (size_t i = 0; i < ns->nlis; i++)
		json_object_array_add(lis, json_object_new_string(ns->lis[i].addr.text));
	json_object_object_add(obj, "listen", lis);
	json_object_object_add(obj, "connections",
			       json_object_new_uint64(atomic_load(&ns->accepted)));
	json_object_object_add(obj, "refused", json_object_new_uint64(atomic_load(&ns->refused)));
	json_object_object_add(obj, "closed_bad",
			       json_object_new_uint64(atomic_load(&ns->closed_bad)));
	pthread_mutex_lock(&ns->list_lock);
	json_object_object_add(obj, "clients_connected", json_object_new_uint64(ns->nclients));
	/* Bounded, so the status reply fits daqctl's buffer whatever max_clients is. */
	for (size_t i = 0; i < ns->nclients && i < STATUS_MAX_CLIENTS; i++) {
		struct client *c = ns->clients[i];
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "id", json_object_new_uint64(c->id));
		json_object_object_add(o, "peer", json_object_new_string(c->peer));
		json_object_object_add(o, "state", json_object_new_string(states[atomic_load(&c->state)]));
		json_object_object_add(o, "channels", json_object_new_uint64(c->mask));
		json_object_object_add(o, "decimation", json_object_new_uint64(c->rq.decimation));
		json_object_object_add(o, "zero_copy", json_object_new_boolean(c->zero_copy));
		json_object_object_add(o, "sent", json_object_new_uint64(atomic_load(&c->sent_samples)));
		json_object_object_add(o, "dropped",
				       json_object_new_uint64(atomic_load(&c->dropped_samples)));
		json_object_object_add(o, "bytes", json_object_new_uint64(atomic_load(&c->bytes)));
		json_object_object_add(o, "gaps", json_object_new_uint64(atomic_load(&c->gaps)));
		json_object_object_add(o, "aborts", json_object_new_uint64(atomic_load(&c->aborts)));
		json_object_array_add(arr, o);
	}
	/* Say so when the list is cut, rather than let it look complete. */
	json_object_object_add(obj, "clients_not_listed",
			       json_object_new_uint64(ns->nclients > STATUS_MAX_CLIENTS ?
						      ns->nclients - STATUS_MAX_CLIENTS : 0));
	pthread_mutex_unlock(&ns->list_lock);
	json_object_object_add(obj, "clients", arr);
}

static void net_destroy(struct daqd_sink *s)
{
	struct net_sink *ns = to_net(s);
	uint64_t one = 1;

	if (ns->thread_started) {
		if (write(ns->quit_fd, &one, sizeof(one)) < 0) {
			/* An eventfd write cannot fail here. */
		}
		pthread_join(ns->thread, NULL);
	}
	for (size_t i = 0; i < ns->nclients; i++)
		client_free(ns->clients[i]);
	free(ns->clients);
	for (size_t i = 0; i < ns->nlis; i++) {
		close(ns->lis[i].fd);
		if (ns->lis[i].addr.is_unix)
			unlink(((struct sockaddr_un *)&ns->lis[i].addr.ss)->sun_path);
	}
	if (ns->quit_fd >= 0)
		close(ns->quit_fd);
	free(ns->zeros);
	pthread_cond_destroy(&ns->cond);
	pthread_mutex_destroy(&ns->lock);
	pthread_mutex_destroy(&ns->list_lock);
	daqd_sink_cleanup(s);
	free(ns);
}

static const struct daqd_sink_ops net_ops = {
	.kind = "net",
	.start = net_start,
	.stop = net_stop,
	.status = net_status,
	.destroy = net_destroy,
};

int daqd_net_address(struct daqd_sink *s, size_t i, char *buf, size_t len)
{
	struct net_sink *ns = to_net(s);

	if (i >= ns->nlis)
		return -ENOENT;
	snprintf(buf, len, "%s", ns->lis[i].addr.text);
	return 0;
}

unsigned int daqd_net_clients(struct daqd_sink *s)
{
	struct net_sink *ns = to_net(s);
	unsigned int n;

	pthread_mutex_lock(&ns->list_lock);
	n = (unsigned int)ns->nclients;
	pthread_mutex_unlock(&ns->list_lock);
	return n;
}

int daqd_net_new(const struct daqd_net_config *cfg, struct daqd_sink **out,
		 char *err, size_t errlen)
{
	struct net_sink *ns;
	int ret;

	*out = NULL;
	if (!cfg->nlisten || cfg->nlisten > DAQD_NET_MAX_LISTEN) {
		snprintf(err, errlen, "listen: 1 to %d endpoints expected, got %zu",
			 DAQD_NET_MAX_LISTEN, cfg->nlisten);
		return -EINVAL;
	}
	if (cfg->max_clients > MAX_CLIENTS_LIMIT) {
		snprintf(err, errlen, "max_clients %u: at most %u", cfg->max_clients,
			 MAX_CLIENTS_LIMIT);
		return -EINVAL;
	}
	ns = calloc(1, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	ret = daqd_sink_init(&ns->base, &net_ops, "net");
	if (ret) {
		free(ns);
		return ret;
	}
	pthread_mutex_init(&ns->lock, NULL);
	pthread_mutex_init(&ns->list_lock, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_cond_init(&ns->cond, &ca);
		pthread_condattr_destroy(&ca);
	}
	ns->quit_fd = -1;
	ns->cfg = *cfg;
	if (!ns->cfg.max_clients)
		ns->cfg.max_clients = DEFAULT_MAX_CLIENTS;
	if (!ns->cfg.request_timeout_ms)
		ns->cfg.request_timeout_ms = DEFAULT_REQ_TIMEOUT;
	if (!ns->cfg.stall_timeout_ms)
		ns->cfg.stall_timeout_ms = DEFAULT_STALL_TIMEOUT;
	if (!ns->cfg.max_pending)
		ns->cfg.max_pending = DEFAULT_MAX_PENDING;
	if (ns->cfg.max_pending > DQS_DATA_MAX_BODY)
		ns->cfg.max_pending = DQS_DATA_MAX_BODY;
	/* Sized once: status may walk it while clients come and go. */
	ns->clients = calloc(ns->cfg.max_clients, sizeof(*ns->clients));
	ns->zeros = calloc(1, ns->cfg.max_pending + (1u << 16));
	ns->quit_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!ns->zeros || !ns->clients || ns->quit_fd < 0) {
		net_destroy(&ns->base);
		return -ENOMEM;
	}
	for (size_t i = 0; i < cfg->nlisten; i++) {
		struct dqs_addr a;
		char why[200];
		int fd;

		ret = dqs_addr_parse(cfg->listen[i], &a, why, sizeof(why));
		if (ret) {
			snprintf(err, errlen, "listen: %s", why);
			net_destroy(&ns->base);
			return ret;
		}
		fd = dqs_addr_listen(&a, 128, why, sizeof(why));
		if (fd < 0) {
			snprintf(err, errlen, "listen: %s", why);
			net_destroy(&ns->base);
			return fd;
		}
		ns->lis[ns->nlis].fd = fd;
		dqs_addr_local(fd, &ns->lis[ns->nlis].addr);
		ns->nlis++;
	}
	ret = pthread_create(&ns->thread, NULL, net_thread, ns);
	if (ret) {
		snprintf(err, errlen, "cannot start the stream thread: %s", strerror(ret));
		net_destroy(&ns->base);
		return -ret;
	}
	ns->thread_started = true;
	/* The specs were only needed to bind; the caller may free them. */
	for (size_t i = 0; i < DAQD_NET_MAX_LISTEN; i++)
		ns->cfg.listen[i] = NULL;
	for (size_t i = 0; i < ns->nlis; i++)
		daqd_log(DAQD_LOG_INFO, "net: listening on %s", ns->lis[i].addr.text);
	*out = &ns->base;
	return 0;
}

int daqd_net_new_list(const char *list, unsigned int max_clients,
		      struct daqd_sink **out, char *err, size_t errlen)
{
	struct daqd_net_config cfg = { .max_clients = max_clients };
	char *copy = strdup(list), *save = NULL, *tok;
	int ret;

	*out = NULL;
	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		if (cfg.nlisten == DAQD_NET_MAX_LISTEN) {
			snprintf(err, errlen, "listen '%s': at most %d endpoints", list,
				 DAQD_NET_MAX_LISTEN);
			free(copy);
			return -EINVAL;
		}
		cfg.listen[cfg.nlisten++] = tok;
	}
	if (!cfg.nlisten) {
		snprintf(err, errlen, "listen '%s': no endpoint (expected HOST:PORT or unix:PATH)",
			 list);
		free(copy);
		return -EINVAL;
	}
	ret = daqd_net_new(&cfg, out, err, errlen);
	free(copy);
	return ret;
}
