/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The network stream sink ("net"): serves the running acquisition to any
 * number of clients over TCP and Unix sockets, in the wire format of
 * docs/stream-protocol.md. Every client has its own lossy reader on the
 * ring, so a slow client loses data (and is told so by GAP messages) but
 * never holds back the device, the recorder or the other clients.
 *
 * The sink has one thread of its own, running from daqd_net_new() to
 * destroy, so clients may connect while no acquisition runs (they get
 * their HELLO when one starts). It follows the sink contract of sink.h.
 */
#ifndef DAQD_STREAM_SERVER_H
#define DAQD_STREAM_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "sink.h"

#define DAQD_NET_MAX_LISTEN	8

/*
 * struct daqd_net_config - settings of the stream sink.
 * @listen: endpoint specs (stream_addr.h syntax), @nlisten of them, >= 1.
 * @max_clients: connections kept at once (default 64); more are refused.
 * @request_timeout_ms: a client must send its REQUEST within this (5000).
 * @stall_timeout_ms: a client whose socket accepts nothing for this long
 *                    while data waits is closed (30000).
 * @max_pending: bytes of DATA sent before a COMMIT (1 MiB); lowered to
 *               an eighth of the ring if that is smaller.
 * @sndbuf: SO_SNDBUF for client sockets, 0 for the kernel's autotuning.
 * Zero fields take the defaults.
 */
struct daqd_net_config {
	const char *listen[DAQD_NET_MAX_LISTEN];
	size_t nlisten;
	unsigned int max_clients;
	unsigned int request_timeout_ms;
	unsigned int stall_timeout_ms;
	size_t max_pending;
	size_t sndbuf;
};

/*
 * daqd_net_new() - Bind every endpoint and start the sink's thread.
 * Return: 0 with @out; -EINVAL / -EADDRINUSE / -errno with @err naming the
 * endpoint that failed. Control thread.
 */
int daqd_net_new(const struct daqd_net_config *cfg, struct daqd_sink **out,
		 char *err, size_t errlen);

/*
 * daqd_net_new_list() - daqd_net_new() for daqd's "listen" setting: a
 * comma-separated list of endpoints, other settings at their defaults
 * except @max_clients (0: default).
 */
int daqd_net_new_list(const char *list, unsigned int max_clients,
		      struct daqd_sink **out, char *err, size_t errlen);

/*
 * daqd_net_address() - The address endpoint @i is really bound to (the
 * kernel's port for a ":0" spec), as "HOST:PORT" / "unix:PATH".
 * Return: 0, or -ENOENT for no such endpoint. Any thread.
 */
int daqd_net_address(struct daqd_sink *sink, size_t i, char *buf, size_t len);

/*
 * daqd_net_announce() - Send trigger event @t as a TRIGGER message (protocol
 * 1.1) to every streaming client that asked for 1.1; 1.0 clients never get
 * one. Never blocks: a full queue counts the event as dropped. Control
 * thread. Return: 0, -ENOBUFS (dropped), -EINVAL (cannot be encoded).
 */
struct dqs_trigger;
int daqd_net_announce(struct daqd_sink *sink, const struct dqs_trigger *t);

/* daqd_net_clients() - clients connected now (any thread). */
unsigned int daqd_net_clients(struct daqd_sink *sink);

#endif /* DAQD_STREAM_SERVER_H */
