/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Stream client: a receive buffer that yields whole messages, and the
 * pending store that holds DATA until COMMIT (see stream_client.h).
 */
#include "stream_client.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "stream_addr.h"

#define RBUF_MIN	(256u * 1024u)

struct dqs_client {
	int fd;
	int timeout_ms;
	struct dqs_hello hello;
	bool have_hello;
	uint16_t minor;			/* requested: 1 takes TRIGGER */

	/*
	 * Received bytes: [pstart, pstart + plen) are pending DATA messages
	 * (header + body each, kept in place until COMMIT: no copy), then
	 * [rhead, rtail) bytes not parsed yet.
	 */
	uint8_t *rbuf;
	size_t rcap, rhead, rtail;
	size_t pstart, plen;
	size_t pdeliver;	/* offset in the pending run while delivering */
	bool delivering;

	uint64_t data_msgs;	/* DATA messages received */
	uint64_t aborted;
	uint64_t bytes;
};

int dqs_client_fd(const struct dqs_client *c) { return c->fd; }
uint64_t dqs_client_aborted(const struct dqs_client *c) { return c->aborted; }
uint64_t dqs_client_bytes(const struct dqs_client *c) { return c->bytes; }

void dqs_client_close(struct dqs_client *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c->rbuf);
	free(c);
}

int dqs_client_connect(const char *addr, const struct dqs_request *rq,
		       int timeout_ms, struct dqs_client **out,
		       char *err, size_t errlen)
{
	struct dqs_request req = *rq;
	uint8_t msg[DQS_REQUEST_BYTES];
	struct dqs_client *c;
	struct dqs_addr a;
	int ret, fd;

	*out = NULL;
	ret = dqs_addr_parse(addr, &a, err, errlen);
	if (ret)
		return ret;
	fd = dqs_addr_connect(&a, timeout_ms > 0 ? timeout_ms : DQS_CONNECT_TIMEOUT_MS,
			      err, errlen);
	if (fd < 0)
		return fd;
	if (!a.is_unix) {
		/*
		 * Without a silence limit, a vanished server (cable, crash of
		 * its host) is still noticed: probe after 5 s idle, give up
		 * after three unanswered probes 2 s apart.
		 */
		int one = 1, idle = 5, intvl = 2, cnt = 3;

		setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
		setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
		setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
		setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	c->fd = fd;
	c->timeout_ms = timeout_ms;
	c->rcap = RBUF_MIN;
	c->rbuf = malloc(c->rcap);
	if (!c->rbuf) {
		dqs_client_close(c);
		return -ENOMEM;
	}
	req.version = DQS_VERSION_MAJOR;
	/* 1.1 (TRIGGER messages) only for a caller that asks for it. */
	req.minor = rq->minor >= 1 ? DQS_VERSION_MINOR : 0;
	c->minor = req.minor;
	dqs_encode_request(msg, sizeof(msg), &req);
	if (send(fd, msg, sizeof(msg), MSG_NOSIGNAL) != (ssize_t)sizeof(msg)) {
		int e = errno ? errno : EIO;
		struct dqs_event ev;

		/*
		 * A server that refuses (too many clients) sends ERROR and
		 * closes at once, maybe before our request: its reason is the
		 * better message.
		 */
		c->timeout_ms = 500;
		ret = dqs_client_next(c, &ev, err, errlen);
		if (ret != -ECONNREFUSED) {
			snprintf(err, errlen, "%s: sending the request: %s", a.text, strerror(e));
			ret = -e;
		}
		dqs_client_close(c);
		return ret;
	}
	*out = c;
	return 0;
}

void dqs_client_set_timeout(struct dqs_client *c, int timeout_ms)
{
	c->timeout_ms = timeout_ms;
}

/* Make @need bytes available at rbuf + rhead, reading (with the timeout). */
static int fill(struct dqs_client *c, size_t need, char *err, size_t errlen)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	ssize_t n;
	int ret;

	while (c->rtail - c->rhead < need) {
		if (c->rcap - c->rhead < need) {
			/* Compact (keeping the pending run), grow for a large message. */
			size_t keep = c->plen ? c->pstart : c->rhead;
			size_t want = (c->rhead - keep) + need;

			memmove(c->rbuf, c->rbuf + keep, c->rtail - keep);
			c->rtail -= keep;
			c->rhead -= keep;
			if (c->plen)
				c->pstart = 0;
			if (c->rcap < want) {
				uint8_t *nb = realloc(c->rbuf, want);

				if (!nb)
					return -ENOMEM;
				c->rbuf = nb;
				c->rcap = want;
			}
		}
		n = recv(c->fd, c->rbuf + c->rtail, c->rcap - c->rtail, MSG_DONTWAIT);
		if (n > 0) {
			c->rtail += (size_t)n;
			c->bytes += (uint64_t)n;
			continue;
		}
		if (n == 0)
			return c->rtail == c->rhead ? 1 : -EPIPE;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			ret = -errno;
			snprintf(err, errlen, "receive: %s", strerror(errno));
			return ret;
		}
		ret = poll(&pfd, 1, c->timeout_ms > 0 ? c->timeout_ms : -1);
		if (ret < 0 && errno == EINTR) {
			/* Let the caller look at its signal flags; nothing is lost. */
			snprintf(err, errlen, "interrupted");
			return -EINTR;
		}
		if (ret == 0) {
			snprintf(err, errlen, "no message from the server for %d ms", c->timeout_ms);
			return -ETIMEDOUT;
		}
	}
	return 0;
}

static int protocol_error(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "protocol error: %s", what);
	return -EPROTO;
}

/* Deliver the next committed message of the pending run. */
static int deliver(struct dqs_client *c, struct dqs_event *ev, char *err, size_t errlen)
{
	const uint8_t *m = c->rbuf + c->pstart + c->pdeliver;
	struct dqs_hdr h;
	int ret;

	ret = dqs_decode_hdr(m, &h, err, errlen);
	if (ret)
		return ret;	/* cannot happen: it was checked on arrival */
	ret = dqs_decode_data(m + DQS_HDR_LEN, h.body_len, &ev->data, err, errlen);
	if (ret)
		return ret;
	ev->type = DQS_EV_DATA;
	c->pdeliver += DQS_HDR_LEN + h.body_len;
	if (c->pdeliver >= c->plen) {
		c->delivering = false;
		c->plen = 0;
		c->pdeliver = 0;
	}
	return 0;
}

int dqs_client_next(struct dqs_client *c, struct dqs_event *ev,
		    char *err, size_t errlen)
{
	char why[200];
	struct dqs_hdr h;
	const uint8_t *body;
	uint64_t n;
	int ret;

	memset(ev, 0, sizeof(*ev));
	ev->hello = c->have_hello ? &c->hello : NULL;
	if (c->delivering)
		return deliver(c, ev, err, errlen);

	for (;;) {
		ret = fill(c, DQS_HDR_LEN, err, errlen);
		if (ret == 1) {
			if (c->plen)
				return protocol_error(err, errlen,
						      "connection closed with uncommitted DATA");
			ev->type = DQS_EV_EOF;
			return 0;
		}
		if (ret == -EPIPE)
			return protocol_error(err, errlen, "connection closed inside a message");
		if (ret)
			return ret;
		ret = dqs_decode_hdr(c->rbuf + c->rhead, &h, why, sizeof(why));
		if (ret)
			return protocol_error(err, errlen, why);
		if (h.type == DQS_DATA && c->have_hello &&
		    c->plen + DQS_HDR_LEN + h.body_len > c->hello.max_pending)
			return protocol_error(err, errlen, "pending DATA exceeds max_pending");
		ret = fill(c, DQS_HDR_LEN + h.body_len, err, errlen);
		if (ret == 1 || ret == -EPIPE)
			return protocol_error(err, errlen, "connection closed inside a message");
		if (ret)
			return ret;
		body = c->rbuf + c->rhead + DQS_HDR_LEN;
		c->rhead += DQS_HDR_LEN + h.body_len;

		switch (h.type) {
		case DQS_HELLO:
			if (c->plen)
				return protocol_error(err, errlen, "HELLO with uncommitted DATA");
			ret = dqs_decode_hello(body, h.body_len, &c->hello, why, sizeof(why));
			if (ret)
				return protocol_error(err, errlen, why);
			c->have_hello = true;
			/* COMMIT and ABORT count DATA from this HELLO on. */
			c->data_msgs = 0;
			ev->type = DQS_EV_HELLO;
			ev->hello = &c->hello;
			return 0;
		case DQS_DATA:
			if (!c->have_hello)
				return protocol_error(err, errlen, "DATA before HELLO");
			ret = dqs_decode_data(body, h.body_len, &ev->data, why, sizeof(why));
			if (ret)
				return protocol_error(err, errlen, why);
			if (ev->data.nchan != c->hello.nchan)
				return protocol_error(err, errlen, "DATA nchan differs from HELLO");
			/* Pending messages are contiguous: only control messages end a run. */
			if (!c->plen)
				c->pstart = (size_t)(body - DQS_HDR_LEN - c->rbuf);
			c->plen += DQS_HDR_LEN + h.body_len;
			c->data_msgs++;
			continue;
		case DQS_COMMIT:
		case DQS_ABORT:
			dqs_decode_commit(body, h.body_len, &n, why, sizeof(why));
			if (n != c->data_msgs) {
				snprintf(why, sizeof(why), "%s counts %llu DATA messages, received %llu",
					 dqs_type_name(h.type), (unsigned long long)n,
					 (unsigned long long)c->data_msgs);
				return protocol_error(err, errlen, why);
			}
			if (h.type == DQS_ABORT) {
				/* Count the voided messages, then forget them. */
				for (size_t off = 0; off < c->plen; c->aborted++) {
					struct dqs_hdr ph;

					dqs_decode_hdr(c->rbuf + c->pstart + off, &ph, NULL, 0);
					off += DQS_HDR_LEN + ph.body_len;
				}
				c->plen = 0;
				continue;
			}
			if (!c->plen)
				continue;
			c->delivering = true;
			c->pdeliver = 0;
			return deliver(c, ev, err, errlen);
		case DQS_GAP:
			if (c->plen)
				return protocol_error(err, errlen, "GAP with uncommitted DATA");
			ret = dqs_decode_gap(body, h.body_len, &ev->gap, why, sizeof(why));
			if (ret)
				return protocol_error(err, errlen, why);
			ev->type = DQS_EV_GAP;
			return 0;
		case DQS_END:
			if (c->plen)
				return protocol_error(err, errlen, "END with uncommitted DATA");
			ret = dqs_decode_end(body, h.body_len, &ev->end, why, sizeof(why));
			if (ret)
				return protocol_error(err, errlen, why);
			ev->type = DQS_EV_END;
			return 0;
		case DQS_TRIGGER:
			if (c->minor < 1)
				return protocol_error(err, errlen, "TRIGGER sent to a version 1.0 client");
			if (c->plen)
				return protocol_error(err, errlen, "TRIGGER with uncommitted DATA");
			ret = dqs_decode_trigger(body, h.body_len, &ev->trigger, why, sizeof(why));
			if (ret)
				return protocol_error(err, errlen, why);
			ev->type = DQS_EV_TRIGGER;
			return 0;
		case DQS_ERROR: {
			struct dqs_error e;

			ret = dqs_decode_error(body, h.body_len, &e, why, sizeof(why));
			if (ret)
				return protocol_error(err, errlen, why);
			snprintf(err, errlen, "server refused: %s (%s)", e.text, strerror((int)e.code));
			return -ECONNREFUSED;
		}
		default:
			snprintf(why, sizeof(why), "%s sent by the server", dqs_type_name(h.type));
			return protocol_error(err, errlen, why);
		}
	}
}
