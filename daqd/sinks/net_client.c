/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A network client's life: the list of clients, binding a client to an
 * acquisition (its reader, its HELLO) and unbinding it at the end (what
 * it is owed in its END), and reading its REQUEST.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "net_internal.h"

#ifndef DAQD_VERSION
#define DAQD_VERSION "unknown"
#endif

/* ---- Client bookkeeping ------------------------------------------------- */

void net_client_free(struct client *c)
{
	if (c->reader)
		udaq_reader_free(c->reader);
	if (c->fd >= 0)
		close(c->fd);
	free(c->copy);
	free(c);
}

void net_remove_client(struct net_sink *ns, size_t i, const char *why)
{
	struct client *c = ns->clients[i];

	/*
	 * The connection is gone before the client count says so: whoever
	 * sees the count drop (daqd_net_clients(), status) also sees its
	 * socket closed.
	 */
	close(c->fd);
	c->fd = -1;
	pthread_mutex_lock(&ns->list_lock);
	ns->clients[i] = ns->clients[--ns->nclients];
	pthread_mutex_unlock(&ns->list_lock);
	daqd_log(DAQD_LOG_INFO, "net: client %llu (%s) closed: %s",
		 (unsigned long long)c->id, c->peer, why);
	net_client_free(c);
}

int net_ctl_add(struct client *c, const void *msg, size_t len)
{
	if (c->ctl_len + len > sizeof(c->ctl))
		return -ENOBUFS;
	memcpy(c->ctl + c->ctl_len, msg, len);
	c->ctl_len += len;
	return 0;
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
int net_client_bind(struct net_sink *ns, struct client *c,
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
	/* The client's minor version, or ours if it is newer. */
	h.minor = c->rq.minor < DQS_VERSION_MINOR ? c->rq.minor : DQS_VERSION_MINOR;
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
	if (n < 0 || net_ctl_add(c, msg, (size_t)n)) {
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

void net_client_unbind(struct net_sink *ns, struct client *c, uint32_t reason)
{
	struct udaq_span sp = { 0 };
	uint64_t base, from, behind;

	client_detach_unit(ns, c);
	/*
	 * What the END will have to account for: the frames this client left
	 * in the ring, or let the device overwrite, are its slowness; whatever
	 * the device dropped beyond them (up to end_sample) is the device's.
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
	/*
	 * The reader's cursor is where it last released (past a committed
	 * batch, else at next_dev); everything from there to the device's
	 * write position is this client's: what is still in the ring (len)
	 * and what the device overwrote while it stalled (lost).
	 */
	from = c->in_flight && c->verdict == V_COMMIT ? c->batch_end : c->next_dev;
	behind = from + (sp.lost + sp.len) / ns->stream->frame_len * c->frame_samples;
	c->slow_end = behind > base ? behind : base;
	c->end_total = atomic_load(&ns->stream->end_sample);
	if (c->reader) {
		udaq_reader_free(c->reader);
		c->reader = NULL;
	}
	c->end_pending = true;
	c->end_reason = reason;
}

/* ---- Reading from clients ----------------------------------------------- */

/* Return 0, or -errno to close (after an ERROR where possible). */
int net_client_read(struct net_sink *ns, struct client *c)
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
			net_send_error_now(c->fd, EPROTO, "unexpected bytes after the REQUEST");
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
			net_send_error_now(c->fd, EPROTO, why);
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
		net_send_error_now(c->fd, -ret, why);
		daqd_log(DAQD_LOG_INFO, "net: client %llu: %s", (unsigned long long)c->id, why);
		return ret;
	}
	c->state = C_WAIT;	/* bound to the acquisition by the main loop */
	return 0;
}
