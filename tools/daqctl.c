// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * daqctl: send one request to daqd's control socket and print the reply.
 *
 *   daqctl [-s SOCKET] status|stats|start|stop|rotate
 *   daqctl [-s SOCKET] --raw 'JSON LINE'     (any request, for testing)
 *
 * Exit status: 0 if daqd answered "ok": true, 1 if it answered with an
 * error, 2 for usage or connection problems.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "fdio.h"
#include "paths.h"
#include "tools-internal.h"

static const char usage[] =
"Usage: daqctl [-s SOCKET] [-t MS] [-j] COMMAND\n"
"       daqctl [-s SOCKET] --raw 'JSON'\n"
"Commands: status, stats, start, stop, rotate.\n"
"  -s, --socket PATH   daqd's control socket (default: daqd's default)\n"
"  -t, --timeout MS    give up after MS milliseconds (default 5000)\n"
"  -j, --json          print the reply as one line of JSON\n"
"      --raw JSON      send JSON as the request line, verbatim\n";

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "raw", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char path[sizeof(sa.sun_path)] = "";
	const char *raw = NULL;
	char req[256], reply[65536];
	size_t got = 0;
	long timeout = 5000;
	bool one_line = false;
	struct json_object *obj, *ok;
	int c, fd, ret;

	while ((c = getopt_long(argc, argv, "s:t:jh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (strlen(optarg) >= sizeof(path)) {
				fprintf(stderr, "daqctl: socket path '%s' too long\n", optarg);
				return 2;
			}
			strcpy(path, optarg);
			break;
		case 't': {
			uint64_t v;

			if (tools_parse_u64(optarg, 3600000, &v) || !v) {
				fprintf(stderr, "daqctl: --timeout '%s': expected 1..3600000 ms\n", optarg);
				return 2;
			}
			timeout = (long)v;
			break;
		}
		case 'j':
			one_line = true;
			break;
		case 'r':
			raw = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (!raw && optind != argc - 1) {
		fputs(usage, stderr);
		return 2;
	}
	if (raw && optind != argc) {
		fprintf(stderr, "daqctl: --raw takes no command\n");
		return 2;
	}
	/*
	 * The system daemon's socket first: a member of its group is not
	 * root, and would otherwise look in its own XDG_RUNTIME_DIR.
	 */
	if (!path[0] && !access(DAQD_SYSTEM_SOCKET, F_OK))
		snprintf(path, sizeof(path), "%s", DAQD_SYSTEM_SOCKET);
	if (!path[0])
		daqd_default_socket_path(path, sizeof(path));
	if (!path[0]) {
		fprintf(stderr, "daqctl: no control socket known; give -s PATH\n");
		return 2;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "daqctl: cannot connect to %s: %s\n", path, strerror(errno));
		return 2;
	}
	if (!raw) {
		struct json_object *r = json_object_new_object();

		json_object_object_add(r, "cmd", json_object_new_string(argv[optind]));
		snprintf(req, sizeof(req), "%s", json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN));
		json_object_put(r);
		raw = req;
	}
	/* A daemon that goes away mid-request is an error to report, not a kill. */
	signal(SIGPIPE, SIG_IGN);
	ret = daqd_write_all(fd, raw, strlen(raw));
	if (!ret)
		ret = daqd_write_all(fd, "\n", 1);
	if (ret) {
		fprintf(stderr, "daqctl: sending to %s: %s\n", path, strerror(-ret));
		return 2;
	}
	while (got < sizeof(reply) - 1 && !memchr(reply, '\n', got)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, (int)timeout) <= 0) {
			fprintf(stderr, "daqctl: no reply from %s within %ld ms\n", path, timeout);
			return 2;
		}
		n = recv(fd, reply + got, sizeof(reply) - 1 - got, 0);
		if (n <= 0) {
			fprintf(stderr, "daqctl: %s closed the connection without a reply\n", path);
			return 2;
		}
		got += (size_t)n;
	}
	close(fd);
	reply[got] = 0;
	obj = json_tokener_parse(reply);
	if (!obj) {
		fprintf(stderr, "daqctl: unreadable reply: %s\n", reply);
		return 2;
	}
	puts(json_object_to_json_string_ext(obj, one_line ? JSON_C_TO_STRING_PLAIN :
					    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED));
	ret = json_object_object_get_ex(obj, "ok", &ok) && json_object_get_boolean(ok) ? 0 : 1;
	if (ret && json_object_object_get_ex(obj, "error", &ok))
		fprintf(stderr, "daqctl: %s\n", json_object_get_string(ok));
	json_object_put(obj);
	return ret;
}
