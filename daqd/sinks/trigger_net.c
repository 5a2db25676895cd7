// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Trigger events to network clients (docs/stream-protocol.md, TRIGGER):
 * the control thread encodes each event once into the stream sink's inbox
 * and wakes its thread, which queues the message at the head of the next
 * unit of every streaming client that asked for protocol 1.1. Nothing
 * waits: a full inbox or a client's full control queue drops the message
 * and counts it (status "triggers_dropped").
 */
#include <errno.h>
#include <string.h>

#include "net_internal.h"
#include "stream_proto.h"

int daqd_net_announce(struct daqd_sink *sink, const struct dqs_trigger *t)
{
	struct net_sink *ns = (struct net_sink *)sink;
	uint8_t msg[DQS_TRIGGER_MAX_BYTES];
	int n = dqs_encode_trigger(msg, sizeof(msg), t);

	if (n < 0)
		return n;
	pthread_mutex_lock(&ns->ev_lock);
	if (ns->ev_n == NET_EV_MAX) {
		pthread_mutex_unlock(&ns->ev_lock);
		atomic_fetch_add(&ns->ev_dropped, 1);
		return -ENOBUFS;
	}
	memcpy(ns->ev_msg[ns->ev_n], msg, (size_t)n);
	ns->ev_len[ns->ev_n++] = (size_t)n;
	pthread_mutex_unlock(&ns->ev_lock);
	daqd_sink_wake(sink);
	return 0;
}

void net_deliver_triggers(struct net_sink *ns)
{
	pthread_mutex_lock(&ns->ev_lock);
	for (size_t e = 0; e < ns->ev_n; e++) {
		for (size_t i = 0; i < ns->nclients; i++) {
			struct client *c = ns->clients[i];

			if (atomic_load(&c->state) != C_STREAM || c->rq.minor < 1)
				continue;
			if (net_ctl_add(c, ns->ev_msg[e], ns->ev_len[e]))
				atomic_fetch_add(&ns->ev_dropped, 1);
		}
	}
	ns->ev_n = 0;
	pthread_mutex_unlock(&ns->ev_lock);
}
