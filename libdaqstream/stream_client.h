/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The client side of the stream protocol (docs/stream-protocol.md), used by
 * daqcat and the tests: connect, send the REQUEST, then turn the message
 * stream into events. DATA is held back until the server COMMITs it and
 * dropped on ABORT, so a caller only ever sees intact samples.
 *
 * One thread per client object; objects are independent.
 */
#ifndef DAQD_STREAM_CLIENT_H
#define DAQD_STREAM_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "stream_proto.h"

struct dqs_client;

enum dqs_event_type {
	DQS_EV_HELLO = 1,	/* ev->hello valid: a (new) acquisition */
	DQS_EV_DATA,		/* ev->data: committed samples */
	DQS_EV_GAP,		/* ev->gap */
	DQS_EV_END,		/* ev->end: acquisition over; HELLO may follow */
	DQS_EV_EOF,		/* the server closed the connection */
	DQS_EV_TRIGGER,		/* ev->trigger: a trigger event (asked for with minor 1) */
};

struct dqs_event {
	enum dqs_event_type type;
	const struct dqs_hello *hello;	/* owned by the client */
	struct dqs_data data;		/* samples valid until the next call */
	struct dqs_gap gap;
	struct dqs_end end;
	struct dqs_trigger trigger;
};

/* The connect's bound when no silence limit is given. */
#define DQS_CONNECT_TIMEOUT_MS	10000

/*
 * dqs_client_connect() - Connect to @addr (see stream_addr.h), send @rq
 * (the version is filled in: 1.0, or 1.1 if @rq->minor is 1 or more, which
 * asks for DQS_EV_TRIGGER events too). @timeout_ms > 0 bounds the connect and
 * every later wait for a message (silence that long is -ETIMEDOUT); 0
 * waits for messages without limit (a quiet server between acquisitions
 * or at a low rate is not an error; a vanished TCP peer is still noticed by
 * keepalive within about 11 s) and bounds the connect by
 * DQS_CONNECT_TIMEOUT_MS.
 * Return: 0 or -errno with @err filled.
 */
int dqs_client_connect(const char *addr, const struct dqs_request *rq,
		       int timeout_ms, struct dqs_client **out,
		       char *err, size_t errlen);

/* dqs_client_set_timeout() - Change the silence limit (as for connect). */
void dqs_client_set_timeout(struct dqs_client *c, int timeout_ms);

/*
 * dqs_client_next() - Wait for the next event.
 * Return: 0 with @ev filled; -EPROTO for a protocol violation, -ECONNREFUSED
 * when the server answered ERROR (its text in @err), -ETIMEDOUT, -EINTR when
 * a signal interrupted the wait (call again to resume), -errno; @err names
 * the problem.
 */
int dqs_client_next(struct dqs_client *c, struct dqs_event *ev,
		    char *err, size_t errlen);

/* dqs_client_fd() - the socket, e.g. to shut it down or tune buffers. */
int dqs_client_fd(const struct dqs_client *c);

/* Counters: messages voided by ABORT so far, total bytes received. */
uint64_t dqs_client_aborted(const struct dqs_client *c);
uint64_t dqs_client_bytes(const struct dqs_client *c);

void dqs_client_close(struct dqs_client *c);

#endif /* DAQD_STREAM_CLIENT_H */
