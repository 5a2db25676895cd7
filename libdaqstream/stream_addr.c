/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Parsing, binding and connecting stream endpoint addresses.
 */
#include "stream_addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int parse_port(const char *s, const char *spec, unsigned int *port,
		      char *err, size_t errlen)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || v > 65535 || *s == '-' || *s == '+') {
		snprintf(err, errlen, "address '%s': port '%s' is not a number in [0, 65535]",
			 spec, s);
		return -EINVAL;
	}
	*port = (unsigned int)v;
	return 0;
}

void dqs_addr_format(struct dqs_addr *a)
{
	char host[INET6_ADDRSTRLEN];

	if (a->ss.ss_family == AF_UNIX) {
		const struct sockaddr_un *un = (const struct sockaddr_un *)&a->ss;

		snprintf(a->text, sizeof(a->text), "unix:%s", un->sun_path);
	} else if (a->ss.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&a->ss;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(a->text, sizeof(a->text), "%s:%u", host, ntohs(in->sin_port));
	} else if (a->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&a->ss;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(a->text, sizeof(a->text), "[%s]:%u", host, ntohs(in6->sin6_port));
	} else {
		snprintf(a->text, sizeof(a->text), "(family %d)", a->ss.ss_family);
	}
}

int dqs_addr_split(const char *spec, struct dqs_addr_parts *p, char *err, size_t errlen)
{
	const char *colon, *portstr;
	size_t hl;

	memset(p, 0, sizeof(*p));
	if (!spec || !*spec) {
		snprintf(err, errlen, "empty address (expected HOST:PORT or unix:PATH)");
		return -EINVAL;
	}
	if (!strncmp(spec, "unix:", 5)) {
		const char *path = spec + 5;

		if (!*path || strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
			snprintf(err, errlen, "address '%s': unix socket path must be 1 to %zu bytes",
				 spec, sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
			return -EINVAL;
		}
		p->is_unix = true;
		return 0;
	}

	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');

		if (!close || close[1] != ':') {
			snprintf(err, errlen, "address '%s': expected [IPV6]:PORT", spec);
			return -EINVAL;
		}
		hl = (size_t)(close - spec - 1);
		portstr = close + 2;
		if (hl == 0 || hl >= sizeof(p->host)) {
			snprintf(err, errlen, "address '%s': bad IPv6 address", spec);
			return -EINVAL;
		}
		memcpy(p->host, spec + 1, hl);
		p->host[hl] = '\0';
		p->v6 = true;
	} else {
		colon = strrchr(spec, ':');
		if (!colon) {
			strcpy(p->host, "127.0.0.1");
			portstr = spec;
		} else {
			hl = (size_t)(colon - spec);
			if (hl >= sizeof(p->host) || memchr(spec, ':', hl)) {
				snprintf(err, errlen,
					 "address '%s': expected HOST:PORT ([ADDR]:PORT for IPv6)", spec);
				return -EINVAL;
			}
			memcpy(p->host, spec, hl);
			p->host[hl] = '\0';
			if (!hl)
				strcpy(p->host, "127.0.0.1");
			portstr = colon + 1;
		}
	}
	return parse_port(portstr, spec, &p->port, err, errlen);
}

int dqs_addr_parse(const char *spec, struct dqs_addr *a, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	struct dqs_addr_parts p;
	char portbuf[8];
	int ret;

	memset(a, 0, sizeof(*a));
	ret = dqs_addr_split(spec, &p, err, errlen);
	if (ret)
		return ret;
	if (p.is_unix) {
		struct sockaddr_un *un = (struct sockaddr_un *)&a->ss;
		const char *path = spec + 5;

		un->sun_family = AF_UNIX;
		strcpy(un->sun_path, path);
		a->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
		a->is_unix = true;
		dqs_addr_format(a);
		return 0;
	}
	if (p.v6) {
		hints.ai_family = AF_INET6;
		hints.ai_flags |= AI_NUMERICHOST;
	} else {
		hints.ai_family = AF_UNSPEC;
	}
	snprintf(portbuf, sizeof(portbuf), "%u", p.port);
	/* No AI_ADDRCONFIG: loopback-only hosts have no configured address in its eyes. */
	ret = getaddrinfo(p.host, portbuf, &hints, &res);
	if (ret || !res) {
		snprintf(err, errlen, "address '%s': cannot resolve '%s': %s", spec, p.host,
			 ret ? gai_strerror(ret) : "no address");
		if (res)
			freeaddrinfo(res);
		/* A name that does not resolve; a malformed numeric address is -EINVAL. */
		return (ret == EAI_NONAME || ret == EAI_NODATA) &&
		       !(hints.ai_flags & AI_NUMERICHOST) ? -ENOENT : -EINVAL;
	}
	memcpy(&a->ss, res->ai_addr, res->ai_addrlen);
	a->len = res->ai_addrlen;
	freeaddrinfo(res);
	dqs_addr_format(a);
	return 0;
}

/* A Unix socket file nobody listens on is left over from a dead daemon. */
static int clear_stale_unix(const struct dqs_addr *a, char *err, size_t errlen)
{
	const struct sockaddr_un *un = (const struct sockaddr_un *)&a->ss;
	struct stat st;
	int fd, ret;

	if (lstat(un->sun_path, &st))
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s: exists and is not a socket; not replacing it", a->text);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ret = connect(fd, (const struct sockaddr *)&a->ss, a->len);
	close(fd);
	if (ret == 0) {
		snprintf(err, errlen, "%s: another process is listening there", a->text);
		return -EADDRINUSE;
	}
	unlink(un->sun_path);
	return 0;
}

int dqs_addr_listen(const struct dqs_addr *a, int backlog, char *err, size_t errlen)
{
	int fd, ret, one = 1;

	if (a->is_unix) {
		ret = clear_stale_unix(a, err, errlen);
		if (ret)
			return ret;
	}
	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: socket: %s", a->text, strerror(-ret));
		return ret;
	}
	if (!a->is_unix)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (a->ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (a->is_unix) {
		/*
		 * Owner and group may connect (0660), whatever the process's
		 * umask (daqd.service has 0027, which would leave the group
		 * unable to connect): the same rule as the control socket.
		 * (A TCP listener has no such protection: anyone who can
		 * reach it may connect.)
		 */
		mode_t old_mask = umask(0117);

		ret = bind(fd, (const struct sockaddr *)&a->ss, a->len);
		umask(old_mask);
	} else {
		ret = bind(fd, (const struct sockaddr *)&a->ss, a->len);
	}
	if (ret || listen(fd, backlog)) {
		ret = -errno;
		snprintf(err, errlen, "%s: cannot listen: %s", a->text, strerror(-ret));
		close(fd);
		return ret;
	}
	return fd;
}

int dqs_addr_local(int fd, struct dqs_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->len = sizeof(a->ss);
	if (getsockname(fd, (struct sockaddr *)&a->ss, &a->len))
		return -errno;
	a->is_unix = a->ss.ss_family == AF_UNIX;
	dqs_addr_format(a);
	return 0;
}

int dqs_addr_connect(const struct dqs_addr *a, int timeout_ms, char *err, size_t errlen)
{
	struct pollfd pfd;
	socklen_t sl = sizeof(int);
	int fd, ret, soerr = 0;

	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: socket: %s", a->text, strerror(-ret));
		return ret;
	}
	ret = connect(fd, (const struct sockaddr *)&a->ss, a->len);
	if (ret && errno == EINPROGRESS) {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		do
			ret = poll(&pfd, 1, timeout_ms);
		while (ret < 0 && errno == EINTR);
		if (ret == 0) {
			snprintf(err, errlen, "%s: connect timed out after %d ms", a->text, timeout_ms);
			close(fd);
			return -ETIMEDOUT;
		}
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
		if (soerr) {
			errno = soerr;
			ret = -1;
		} else {
			ret = 0;
		}
	}
	if (ret) {
		ret = -errno;
		snprintf(err, errlen, "%s: cannot connect: %s", a->text, strerror(-ret));
		close(fd);
		return ret;
	}
	/* The caller reads with blocking calls (and its own timeouts). */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}
