/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Stream endpoint addresses, as daqd --listen and daqcat take them:
 *   unix:PATH        a Unix stream socket
 *   HOST:PORT        TCP; HOST a name or IPv4 address
 *   [ADDR]:PORT      TCP over IPv6
 *   :PORT or PORT    TCP on the loopback address (127.0.0.1)
 * PORT 0 lets the kernel pick one (servers; see dqs_addr_local()).
 */
#ifndef DAQD_STREAM_ADDR_H
#define DAQD_STREAM_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct dqs_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	bool is_unix;
	char text[128];		/* canonical form, for messages */
};

/* What dqs_addr_split() finds in a spec, before any name is resolved. */
struct dqs_addr_parts {
	bool is_unix;		/* "unix:PATH" (host and port unused) */
	bool v6;		/* "[ADDR]:PORT": @host is a numeric IPv6 address */
	char host[256];		/* "127.0.0.1" for ":PORT" and "PORT" */
	unsigned int port;
};

/*
 * dqs_addr_split() - Check @spec's syntax and split it, resolving nothing
 * (for settings checked before anything is bound).
 * Return: 0; -EINVAL with @err naming what is wrong.
 */
int dqs_addr_split(const char *spec, struct dqs_addr_parts *p, char *err, size_t errlen);

/*
 * dqs_addr_parse() - Parse and resolve @spec (first address of a name).
 * Return: 0; -EINVAL with @err naming what is wrong; -ENOENT if the host
 * does not resolve.
 */
int dqs_addr_parse(const char *spec, struct dqs_addr *a, char *err, size_t errlen);

/* dqs_addr_format() - "unix:PATH", "1.2.3.4:5", "[::1]:5" into @a->text. */
void dqs_addr_format(struct dqs_addr *a);

/*
 * dqs_addr_listen() - A non-blocking, close-on-exec listening socket. For
 * Unix sockets a stale socket file (nobody accepting on it) is replaced; a
 * live one gives -EADDRINUSE. Return: the fd or -errno (@err filled).
 */
int dqs_addr_listen(const struct dqs_addr *a, int backlog, char *err, size_t errlen);

/* dqs_addr_local() - The address @fd is bound to (the real port for 0). */
int dqs_addr_local(int fd, struct dqs_addr *a);

/*
 * dqs_addr_connect() - A blocking, close-on-exec connected socket, giving
 * up after @timeout_ms. Return: the fd or -errno (@err filled).
 */
int dqs_addr_connect(const struct dqs_addr *a, int timeout_ms, char *err, size_t errlen);

#endif /* DAQD_STREAM_ADDR_H */
