// SPDX-License-Identifier: GPL-2.0-or-later
#include "control.h"

#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

struct client {
	int fd;				/* -1: free slot */
	char buf[DAQD_CONTROL_MAX_LINE + 1];
	size_t len;
	struct timespec deadline;	/* for the request in progress */
	bool partial;			/* bytes of a request are pending */
	bool subscribed;		/* gets the announcements */
};

struct daqd_control {
	int listen_fd;
	int epoll_fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	daqd_control_handler handler;
	void *arg;
	struct client clients[DAQD_CONTROL_MAX_CLIENTS];
};

static void errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

struct json_object *daqd_control_error(const char *fmt, ...)
{
	struct json_object *o = json_object_new_object();
	char msg[512];
	va_list ap;

	if (!o)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "error", json_object_new_string(msg));
	return o;
}

/* Is someone serving @path? Decides between "stale, replace" and "busy". */
static bool socket_alive(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool alive;

	if (fd < 0)
		return false;
	alive = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	close(fd);
	return alive;
}

int daqd_control_open(const char *path, const char *group,
		      daqd_control_handler handler, void *arg,
		      struct daqd_control **out, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN };
	struct daqd_control *ctl;
	struct stat stbuf;
	mode_t old_mask;
	int ret;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errf(err, errlen, "control socket '%s': path too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return -ENOMEM;
	for (size_t i = 0; i < DAQD_CONTROL_MAX_CLIENTS; i++)
		ctl->clients[i].fd = -1;
	ctl->handler = handler;
	ctl->arg = arg;
	strcpy(ctl->path, path);
	ctl->epoll_fd = -1;

	/* The default /run/daqd may not exist yet (no systemd): make it. */
	{
		char dir[sizeof(sa.sun_path)];
		char *slash;

		strcpy(dir, path);
		slash = strrchr(dir, '/');
		if (slash && slash != dir) {
			*slash = 0;
			if (mkdir(dir, 0755) && errno != EEXIST) {
				ret = -errno;
				errf(err, errlen, "control socket directory '%s': %s", dir,
				     strerror(errno));
				goto fail;
			}
		}
	}
	if (lstat(path, &stbuf) == 0) {
		if (!S_ISSOCK(stbuf.st_mode)) {
			errf(err, errlen, "control socket '%s': exists and is not a socket", path);
			ret = -EEXIST;
			goto fail;
		}
		if (socket_alive(&sa)) {
			errf(err, errlen, "control socket '%s' is in use (another daqd running?)",
			     path);
			ret = -EADDRINUSE;
			goto fail;
		}
		unlink(path);
	}
	ctl->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ctl->listen_fd < 0) {
		ret = -errno;
		errf(err, errlen, "control socket: %s", strerror(errno));
		goto fail;
	}
	/* Owner and group only, from the moment the socket exists. */
	old_mask = umask(0117);
	ret = bind(ctl->listen_fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_mask);
	if (ret) {
		ret = -errno;
		errf(err, errlen, "control socket '%s': %s", path, strerror(errno));
		goto fail_fd;
	}
	if (group) {
		struct group *gr = getgrnam(group);

		if (!gr || chown(path, (uid_t)-1, gr->gr_gid)) {
			ret = gr ? -errno : -ENOENT;
			errf(err, errlen, "control socket '%s': cannot give it to group '%s': %s",
			     path, group, gr ? strerror(errno) : "no such group");
			goto fail_unlink;
		}
	}
	if (listen(ctl->listen_fd, 8)) {
		ret = -errno;
		errf(err, errlen, "control socket '%s': %s", path, strerror(errno));
		goto fail_unlink;
	}
	ctl->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	ev.data.u64 = UINT64_MAX;
	if (ctl->epoll_fd < 0 ||
	    epoll_ctl(ctl->epoll_fd, EPOLL_CTL_ADD, ctl->listen_fd, &ev)) {
		ret = -errno;
		errf(err, errlen, "control socket: epoll: %s", strerror(errno));
		goto fail_unlink;
	}
	*out = ctl;
	return 0;

fail_unlink:
	unlink(path);
fail_fd:
	close(ctl->listen_fd);
	if (ctl->epoll_fd >= 0)
		close(ctl->epoll_fd);
fail:
	free(ctl);
	return ret;
}

static void drop_client(struct daqd_control *ctl, struct client *c)
{
	epoll_ctl(ctl->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	c->len = 0;
	c->partial = false;
}

void daqd_control_close(struct daqd_control *ctl)
{
	if (!ctl)
		return;
	for (size_t i = 0; i < DAQD_CONTROL_MAX_CLIENTS; i++)
		if (ctl->clients[i].fd >= 0)
			drop_client(ctl, &ctl->clients[i]);
	close(ctl->listen_fd);
	close(ctl->epoll_fd);
	unlink(ctl->path);
	free(ctl);
}

int daqd_control_fd(const struct daqd_control *ctl)
{
	return ctl->epoll_fd;
}

static void set_deadline(struct client *c, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, &c->deadline);
	c->deadline.tv_sec += ms / 1000;
	c->deadline.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (c->deadline.tv_nsec >= 1000000000L) {
		c->deadline.tv_sec++;
		c->deadline.tv_nsec -= 1000000000L;
	}
}

static void accept_clients(struct daqd_control *ctl)
{
	for (;;) {
		int fd = accept4(ctl->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct client *c = NULL;
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };

		if (fd < 0)
			return;
		for (size_t i = 0; i < DAQD_CONTROL_MAX_CLIENTS; i++) {
			if (ctl->clients[i].fd < 0) {
				c = &ctl->clients[i];
				ev.data.u64 = i;
				break;
			}
		}
		if (!c) {
			static const char busy[] =
				"{\"ok\": false, \"error\": \"too many control connections\"}\n";
			ssize_t n = write(fd, busy, sizeof(busy) - 1);

			(void)n;
			close(fd);
			continue;
		}
		c->fd = fd;
		c->len = 0;
		c->partial = false;
		c->subscribed = false;
		set_deadline(c, DAQD_CONTROL_IDLE_MS);
		if (epoll_ctl(ctl->epoll_fd, EPOLL_CTL_ADD, fd, &ev)) {
			close(fd);
			c->fd = -1;
		}
	}
}

/*
 * Send a whole reply or give up on the client: a client that leaves its
 * receive buffer full must not make the daemon wait.
 */
static bool send_reply(struct client *c, struct json_object *reply)
{
	const char *text;
	size_t len;
	char *line;
	ssize_t n;
	bool ok;

	if (!reply)
		reply = daqd_control_error("out of memory");
	if (!reply)
		return false;
	text = json_object_to_json_string_length(reply, JSON_C_TO_STRING_PLAIN |
						 JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	line = malloc(len + 1);
	if (!line || !text) {
		free(line);
		json_object_put(reply);
		return false;
	}
	memcpy(line, text, len);
	line[len] = '\n';
	n = send(c->fd, line, len + 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	ok = n == (ssize_t)(len + 1);
	free(line);
	json_object_put(reply);
	return ok;
}

int daqd_control_publish(struct daqd_control *ctl, struct json_object *ev)
{
	int reached = 0;

	for (size_t i = 0; ctl && i < DAQD_CONTROL_MAX_CLIENTS; i++) {
		struct client *c = &ctl->clients[i];

		if (c->fd < 0 || !c->subscribed)
			continue;
		if (!send_reply(c, json_object_get(ev))) {
			daqd_log(DAQD_LOG_WARN, "control: dropping a subscriber that does not read its events");
			drop_client(ctl, c);
			continue;
		}
		reached++;
	}
	return reached;
}

static struct json_object *handle_line(struct daqd_control *ctl, struct client *c,
				       const char *line, size_t len)
{
	struct json_tokener *tok = json_tokener_new_ex(16);
	struct json_object *req, *cmd, *reply;
	enum json_tokener_error jerr;

	if (!tok)
		return NULL;
	req = json_tokener_parse_ex(tok, line, (int)len);
	jerr = json_tokener_get_error(tok);
	if (req && jerr == json_tokener_success &&
	    json_tokener_get_parse_end(tok) < len) {
		/* Trailing garbage after the object. */
		size_t end = json_tokener_get_parse_end(tok);

		while (end < len && (line[end] == ' ' || line[end] == '\t' || line[end] == '\r'))
			end++;
		if (end < len) {
			json_object_put(req);
			json_tokener_free(tok);
			return daqd_control_error("malformed request: text after the JSON object at byte %zu",
						  end);
		}
	}
	if (!req || jerr != json_tokener_success) {
		json_object_put(req);
		reply = daqd_control_error("malformed request: %s",
					   jerr == json_tokener_success || jerr == json_tokener_continue ?
					   "incomplete JSON" : json_tokener_error_desc(jerr));
		json_tokener_free(tok);
		return reply;
	}
	json_tokener_free(tok);
	if (!json_object_is_type(req, json_type_object)) {
		json_object_put(req);
		return daqd_control_error("malformed request: expected a JSON object like {\"cmd\": \"status\"}");
	}
	if (!json_object_object_get_ex(req, "cmd", &cmd) ||
	    !json_object_is_type(cmd, json_type_string)) {
		json_object_put(req);
		return daqd_control_error("malformed request: missing \"cmd\" string (status, stats, start, stop, rotate, subscribe)");
	}
	if (!strcmp(json_object_get_string(cmd), "subscribe")) {
		/* The connection's own business: the handler never sees it. */
		json_object_put(req);
		c->subscribed = true;
		reply = json_object_new_object();
		if (reply) {
			json_object_object_add(reply, "ok", json_object_new_boolean(1));
			json_object_object_add(reply, "subscribed", json_object_new_string("trigger"));
		}
		return reply;
	}
	reply = ctl->handler(ctl->arg, json_object_get_string(cmd), req);
	json_object_put(req);
	return reply;
}

static void serve_client(struct daqd_control *ctl, struct client *c, uint32_t events)
{
	for (;;) {
		ssize_t n = recv(c->fd, c->buf + c->len, DAQD_CONTROL_MAX_LINE + 1 - c->len,
				 MSG_DONTWAIT);
		char *nl;

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			drop_client(ctl, c);
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (!c->partial)
			set_deadline(c, DAQD_CONTROL_TIMEOUT_MS);
		c->len += (size_t)n;
		c->partial = true;
		while ((nl = memchr(c->buf, '\n', c->len))) {
			size_t line_len = (size_t)(nl - c->buf);
			struct json_object *reply;

			reply = handle_line(ctl, c, c->buf, line_len);
			memmove(c->buf, nl + 1, c->len - line_len - 1);
			c->len -= line_len + 1;
			if (!send_reply(c, reply)) {
				drop_client(ctl, c);
				return;
			}
			c->partial = c->len > 0;
			set_deadline(c, c->partial ? DAQD_CONTROL_TIMEOUT_MS : DAQD_CONTROL_IDLE_MS);
		}
		if (c->len > DAQD_CONTROL_MAX_LINE) {
			send_reply(c, daqd_control_error("request too long: more than %d bytes without a newline",
							 DAQD_CONTROL_MAX_LINE));
			drop_client(ctl, c);
			return;
		}
	}
	(void)events;
}

static bool past(const struct timespec *deadline, const struct timespec *now)
{
	return now->tv_sec > deadline->tv_sec ||
	       (now->tv_sec == deadline->tv_sec && now->tv_nsec >= deadline->tv_nsec);
}

void daqd_control_dispatch(struct daqd_control *ctl)
{
	struct epoll_event evs[DAQD_CONTROL_MAX_CLIENTS + 1];
	struct timespec now;
	int n;

	n = epoll_wait(ctl->epoll_fd, evs, DAQD_CONTROL_MAX_CLIENTS + 1, 0);
	for (int i = 0; i < n; i++) {
		if (evs[i].data.u64 == UINT64_MAX) {
			accept_clients(ctl);
			continue;
		}
		if (evs[i].data.u64 < DAQD_CONTROL_MAX_CLIENTS &&
		    ctl->clients[evs[i].data.u64].fd >= 0)
			serve_client(ctl, &ctl->clients[evs[i].data.u64], evs[i].events);
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	for (size_t i = 0; i < DAQD_CONTROL_MAX_CLIENTS; i++) {
		struct client *c = &ctl->clients[i];

		/*
		 * A half-sent request gets a short deadline, an idle connection
		 * a long one, so that slow or silent clients cannot hold slots.
		 */
		if (c->fd >= 0 && past(&c->deadline, &now) && !(c->subscribed && !c->partial)) {
			if (c->partial)
				send_reply(c, daqd_control_error("request timed out: no complete line within %d ms",
								 DAQD_CONTROL_TIMEOUT_MS));
			drop_client(ctl, c);
		}
	}
}
