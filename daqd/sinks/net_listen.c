/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The network sink's listening sockets: binding the endpoints, accepting
 * connections (a refused one still learns why), tuning client sockets.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "net_internal.h"

/* Best effort: tell a client why it is being closed, without blocking. */
void net_send_error_now(int fd, int code, const char *text)
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

void net_accept_clients(struct net_sink *ns, struct listener *l)
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
			net_send_error_now(fd, EBUSY, "too many clients");
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

/* Bind and listen on every endpoint of @cfg. */
int net_listen(struct net_sink *ns, const struct daqd_net_config *cfg,
	       char *err, size_t errlen)
{
	for (size_t i = 0; i < cfg->nlisten; i++) {
		struct dqs_addr a;
		char why[200];
		int fd, ret;

		ret = dqs_addr_parse(cfg->listen[i], &a, why, sizeof(why));
		if (ret) {
			snprintf(err, errlen, "listen: %s", why);
			return ret;
		}
		fd = dqs_addr_listen(&a, 128, why, sizeof(why));
		if (fd < 0) {
			snprintf(err, errlen, "listen: %s", why);
			return fd;
		}
		ns->lis[ns->nlis].fd = fd;
		dqs_addr_local(fd, &ns->lis[ns->nlis].addr);
		ns->nlis++;
	}
	return 0;
}

/* Close every listening socket; a Unix socket's file goes with it. */
void net_unlisten(struct net_sink *ns)
{
	for (size_t i = 0; i < ns->nlis; i++) {
		close(ns->lis[i].fd);
		if (ns->lis[i].addr.is_unix)
			unlink(((struct sockaddr_un *)&ns->lis[i].addr.ss)->sun_path);
	}
	ns->nlis = 0;
}
