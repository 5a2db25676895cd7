/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The network stream sink. One thread polls the listening sockets, the
 * clients and the sink's wake-up eventfd; every socket is non-blocking, so
 * nothing a client does (or fails to do) can stall the thread for long.
 * This file is that thread, the start/stop handshake with the control
 * thread, the sink operations and construction; the listening sockets,
 * a client's life and the data path are in net_listen.c, net_client.c and
 * net_unit.c (net_internal.h).
 */
#include "stream_server.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"
#include "net_internal.h"

static struct net_sink *to_net(struct daqd_sink *s)
{
	return (struct net_sink *)s;
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
			if (net_client_bind(ns, c, want, why, sizeof(why))) {
				net_send_error_now(c->fd, EINVAL, why);
				net_remove_client(ns, i--, why);
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
				net_client_unbind(ns, ns->clients[i], reason);
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
			net_send_error_now(c->fd, ETIMEDOUT, "no REQUEST received in time");
			atomic_fetch_add(&ns->closed_bad, 1);
			net_remove_client(ns, i--, "no REQUEST in time");
		} else if (c->in_flight &&
			   now - c->t_progress > (int64_t)ns->cfg.stall_timeout_ms) {
			atomic_fetch_add(&ns->closed_bad, 1);
			net_remove_client(ns, i--, "stalled: not reading");
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
		net_deliver_triggers(ns);
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
				ret = net_client_read(ns, c);
			if (!ret && c->state == C_WAIT && !c->in_flight && ns->stream &&
			    !ns->draining) {
				char why[160];

				ret = net_client_bind(ns, c, ns->stream, why, sizeof(why));
				if (ret) {
					net_send_error_now(c->fd, -ret, why);
					daqd_log(DAQD_LOG_INFO, "net: client %llu: %s",
						 (unsigned long long)c->id, why);
				}
			}
			if (!ret && c->state != C_REQUEST)
				ret = net_pump(ns, c, now);
			if (ret) {
				if (ret == -EPROTO)
					atomic_fetch_add(&ns->closed_bad, 1);
				net_remove_client(ns, i, ret == -ECONNRESET ? "disconnected" :
					      strerror(-ret));
			}
		}
		if (n > 0)
			for (size_t i = 0; i < ns->nlis; i++)
				if (pfd[2 + i].revents & POLLIN)
					net_accept_clients(ns, &ns->lis[i]);
		check_timeouts(ns, now);
	}

	/*
	 * Destroy: no acquisition is running any more (stop came first).
	 * One last non-blocking push so that clients get their END.
	 */
	for (size_t i = 0; i < ns->nclients; i++)
		if (ns->clients[i]->state != C_REQUEST)
			net_pump(ns, ns->clients[i], now_ms());
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
	json_object_object_add(obj, "triggers_dropped",
			       json_object_new_uint64(atomic_load(&ns->ev_dropped)));
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
		net_client_free(ns->clients[i]);
	free(ns->clients);
	net_unlisten(ns);
	if (ns->quit_fd >= 0)
		close(ns->quit_fd);
	free(ns->zeros);
	pthread_cond_destroy(&ns->cond);
	pthread_mutex_destroy(&ns->lock);
	pthread_mutex_destroy(&ns->list_lock);
	pthread_mutex_destroy(&ns->ev_lock);
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
	pthread_mutex_init(&ns->ev_lock, NULL);
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
	ret = net_listen(ns, cfg, err, errlen);
	if (ret) {
		net_destroy(&ns->base);
		return ret;
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
