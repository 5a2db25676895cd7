/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to the network stream sink (stream_server.h): the state its
 * files share. stream_server.c is the sink itself (its thread, the sink
 * operations, construction); net_listen.c the listening sockets;
 * net_client.c a client's life (bookkeeping, binding to an acquisition,
 * reading its REQUEST); net_unit.c the data path (a client's units of
 * control and DATA messages, built from one library frame batch each, and
 * sending them). Only the sink's thread touches a client, except where a
 * field says otherwise.
 */
#ifndef DAQD_NET_INTERNAL_H
#define DAQD_NET_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <time.h>

#include <uio_daq/digitizer.h>

#include "stream_addr.h"
#include "stream_proto.h"
#include "stream_server.h"

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
#define NET_EV_MAX		64	/* trigger events waiting for the sink thread */

enum client_state {
	C_REQUEST,	/* waiting for the REQUEST */
	C_WAIT,		/* request taken, no acquisition running */
	C_STREAM,	/* HELLO sent, streaming */
};

/* What to do once the unit in flight has been sent. */
enum verdict {
	V_NONE,		/* no pending DATA in it */
	V_CHECK,	/* zero-copy DATA: check the batch in the ring */
	V_COMMIT,	/* decided already (copied data, or detached at stop) */
	V_ABORT,
};

/*
 * Only the sink thread writes a client. net_status() reads it from the
 * control thread under list_lock: state is atomic, and the request fields
 * it shows are written under list_lock (net_client_bind()).
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

	/* TRIGGER messages from the control thread (trigger_net.c), under ev_lock */
	pthread_mutex_t ev_lock;
	uint8_t ev_msg[NET_EV_MAX][DQS_TRIGGER_MAX_BYTES];
	size_t ev_len[NET_EV_MAX];
	size_t ev_n;
	_Atomic uint64_t ev_dropped;	/* inbox full, or a client's control queue */
	_Atomic uint64_t accepted;
	_Atomic uint64_t refused;
	_Atomic uint64_t closed_bad;
};

static inline int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- trigger_net.c ---------------------------------------------------- */

/*
 * Queue the trigger events daqd_net_announce() left in the inbox for every
 * streaming client that asked for protocol 1.1. The sink thread.
 */
void net_deliver_triggers(struct net_sink *ns);

/* ---- net_client.c ---------------------------------------------------- */

/* Free a client: its reader, its socket, its buffers. */
void net_client_free(struct client *c);
/* Take client @i off the list (under list_lock) and free it. */
void net_remove_client(struct net_sink *ns, size_t i, const char *why);
/* Queue a control message for the head of the next unit. 0 or -ENOBUFS. */
int net_ctl_add(struct client *c, const void *msg, size_t len);
/* Resolve the client's request against @st and queue its HELLO; on failure fill @why. */
int net_client_bind(struct net_sink *ns, struct client *c,
		    const struct daqd_stream *st, char *why, size_t whylen);
/* The acquisition ends: settle the unit in flight, free the reader, owe an END. */
void net_client_unbind(struct net_sink *ns, struct client *c, uint32_t reason);
/* Read what the client sent. 0, or -errno to close it. */
int net_client_read(struct net_sink *ns, struct client *c);

/* ---- net_listen.c ---------------------------------------------------- */

/* Best effort: tell a client why it is being closed, without blocking. */
void net_send_error_now(int fd, int code, const char *text);
/* Accept what is waiting on @l (a burst at most). */
void net_accept_clients(struct net_sink *ns, struct listener *l);
/* Bind every endpoint of @cfg into ns->lis. 0, or -errno with @err. */
int net_listen(struct net_sink *ns, const struct daqd_net_config *cfg,
	       char *err, size_t errlen);
void net_unlisten(struct net_sink *ns);

/* ---- net_unit.c ------------------------------------------------------ */

/* Send as much as the socket takes. 0, or -errno to close the client. */
int net_pump(struct net_sink *ns, struct client *c, int64_t now);

#endif /* DAQD_NET_INTERNAL_H */
