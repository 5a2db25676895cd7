// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Robustness of the daqd control socket (daqd/control.h): any local user of
 * the socket's group can send it anything. control.c has no pure parsing
 * entry point, so this drives the real thing: the socket is opened in a
 * temporary directory with a recording handler, a client sends mutated and
 * random request lines (whole, in pieces, several per write, overlong), and
 * daqd_control_dispatch() serves them.
 *
 * Invariants:
 *  - every request line gets exactly one reply line, in order, and nothing
 *    else; each reply is a JSON object with a boolean "ok";
 *  - "ok": false replies carry a non-empty "error" string and the handler
 *    was not called; "ok": true replies come from the handler, called once
 *    with the line's "cmd" (checked against an independent parse of the
 *    line);
 *  - a handler out of memory (NULL) still gives an error reply;
 *  - a line longer than DAQD_CONTROL_MAX_LINE gets a "too long" error and
 *    the connection is closed; the server keeps serving new connections;
 *  - the server never crashes, leaks (ASan) or blocks.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "control.h"
#include "fuzz.h"

static struct fuzz F;

/* The handler's calls not yet matched with a reply, oldest first. */
struct rec {
	int calls;		/* in all */
	int fail_call;		/* this call returns NULL, as out of memory */
	char *cmds[8];
	int ncmds;
};

static struct json_object *handler(void *arg, const char *cmd, struct json_object *req)
{
	struct rec *r = arg;
	struct json_object *o;

	FUZZ_ASSERT(&F, json_object_is_type(req, json_type_object));
	FUZZ_ASSERT(&F, r->ncmds < 8);
	r->cmds[r->ncmds++] = strdup(cmd);
	if (r->calls++ == r->fail_call)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "cmd", json_object_new_string(cmd));
	return o;
}

static int client_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	FUZZ_ASSERT(&F, fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	FUZZ_ASSERT(&F, connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	return fd;
}

/* Send it all; false if the server has closed the connection. */
static bool send_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
			return false;
		FUZZ_ASSERT(&F, n > 0);
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* Replies read so far but not yet consumed. */
static char rbuf[1 << 16];
static size_t rlen;
static bool reof;

/* Serve and read until @nlines reply lines (or EOF) are in rbuf. */
static void pump(struct daqd_control *ctl, int fd, int nlines)
{
	for (int spins = 0; spins < 2000; spins++) {
		int have = 0;
		ssize_t n;

		for (size_t i = 0; i < rlen; i++)
			have += rbuf[i] == '\n';
		if (have >= nlines || reof)
			return;
		daqd_control_dispatch(ctl);
		n = recv(fd, rbuf + rlen, sizeof(rbuf) - rlen, MSG_DONTWAIT);
		if (n > 0) {
			rlen += (size_t)n;
			continue;
		}
		/*
		 * The server drops an overlong client with part of its line
		 * still unread, so the end comes as ECONNRESET after the reply.
		 */
		if (n == 0 || (n < 0 && errno == ECONNRESET)) {
			reof = true;
			return;
		}
		FUZZ_ASSERT(&F, errno == EAGAIN || errno == EWOULDBLOCK);
		{
			struct pollfd p = { .fd = daqd_control_fd(ctl), .events = POLLIN };

			poll(&p, 1, spins < 10 ? 0 : 1);
		}
	}
	FUZZ_ASSERT(&F, !"no reply within 2000 rounds");
}

/* Take one reply line out of rbuf into @out (NUL-terminated). */
static bool take_line(char *out, size_t cap)
{
	char *nl = memchr(rbuf, '\n', rlen);
	size_t n;

	if (!nl)
		return false;
	n = (size_t)(nl - rbuf);
	FUZZ_ASSERT(&F, n < cap);
	memcpy(out, rbuf, n);
	out[n] = '\0';
	memmove(rbuf, nl + 1, rlen - n - 1);
	rlen -= n + 1;
	return true;
}

/* The "cmd" an independent parse of @line finds, or NULL if not a request. */
static char *expected_cmd(const char *line, size_t len)
{
	struct json_tokener *tok = json_tokener_new_ex(16);
	struct json_object *o, *cmd;
	char *ret = NULL;
	size_t end;

	o = json_tokener_parse_ex(tok, line, (int)len);
	if (o && json_tokener_get_error(tok) == json_tokener_success) {
		end = json_tokener_get_parse_end(tok);
		while (end < len && (line[end] == ' ' || line[end] == '\t' || line[end] == '\r'))
			end++;
		if (end == len && json_object_is_type(o, json_type_object) &&
		    json_object_object_get_ex(o, "cmd", &cmd) &&
		    json_object_is_type(cmd, json_type_string))
			ret = strdup(json_object_get_string(cmd));
	}
	json_object_put(o);
	json_tokener_free(tok);
	return ret;
}

static const char *const seeds[] = {
	"{\"cmd\": \"status\"}",
	"{\"cmd\":\"stats\"}",
	"{\"cmd\": \"start\", \"id\": 7}",
	"{\"cmd\": \"stop\", \"args\": [1, 2.5, true, null, {\"a\": \"b\"}]}",
	"{\"cmd\": \"rotate\"}   \r",
	"{\"cmd\": \"\\u00e9\\n\\\"x\\\"\"}",
	"{\"cmd\": 5}",
	"[\"cmd\", \"status\"]",
	"\"status\"",
	"{}",
	"{\"cmd\": \"status\"} {\"cmd\": \"stop\"}",
	"{\"a\": [[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]}",
	"",
	"   ",
	"{\"cmd\": \"status\"",
	"nul\\u0000{\"cmd\": \"x\\u0000y\"}",
};

int main(void)
{
	static char line[3 * DAQD_CONTROL_MAX_LINE];
	char dir[64], path[128], err[256], reply[1 << 16];
	struct daqd_control *ctl;
	struct rec rec = { .fail_call = -1 };
	unsigned long ok_replies = 0, err_replies = 0, reconnects = 0;
	char summary[160];
	int fd;

	fuzz_init(&F, "fuzz_control", 0x5eed0004, 200000, 3.0);
	snprintf(dir, sizeof(dir), "/tmp/fuzz-control-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/ctl.sock", dir);
	if (daqd_control_open(path, NULL, handler, &rec, &ctl, err, sizeof(err))) {
		fprintf(stderr, "daqd_control_open: %s\n", err);
		return 1;
	}
	fd = client_connect(path);

	while (fuzz_more(&F)) {
		size_t len, nreq = 1 + (fuzz_below(&F, 8) == 0 ? fuzz_below(&F, 3) : 0);
		size_t starts[4], lens[4], total = 0;
		bool overlong = false;

		/* Build @nreq request lines back to back in @line. */
		for (size_t k = 0; k < nreq; k++) {
			char *p = line + total;
			size_t cap = DAQD_CONTROL_MAX_LINE + 64;

			if (fuzz_below(&F, 500) == 0) {
				/* Overlong: past the limit without a newline. */
				len = DAQD_CONTROL_MAX_LINE + 1 + fuzz_below(&F, 64);
				memset(p, 'x', len);
				overlong = true;
			} else if (fuzz_below(&F, 16) == 0) {
				len = fuzz_below(&F, 200);
				fuzz_fill(&F, (uint8_t *)p, len);
			} else {
				const char *s = seeds[fuzz_below(&F, sizeof(seeds) / sizeof(seeds[0]))];

				len = strlen(s);
				memcpy(p, s, len);
				if (fuzz_below(&F, 4))
					fuzz_mutate(&F, (uint8_t *)p, &len, DAQD_CONTROL_MAX_LINE);
			}
			(void)cap;
			for (size_t i = 0; i < len; i++)
				if (p[i] == '\n')
					p[i] = ' ';
			starts[k] = total;
			lens[k] = len;
			total += len;
			line[total++] = '\n';
			if (overlong) {
				nreq = k + 1;
				break;
			}
		}
		fuzz_set_input(&F, (const uint8_t *)line, total);
		rec.fail_call = fuzz_below(&F, 32) == 0 ? rec.calls + (int)fuzz_below(&F, nreq) : -1;

		/* Send it whole or in pieces, serving in between. */
		if (fuzz_below(&F, 4) == 0) {
			size_t off = 0;

			while (off < total) {
				size_t n = 1 + fuzz_below(&F, total - off);

				/* Only an overlong line gets the connection closed early. */
				if (!send_all(fd, line + off, n)) {
					FUZZ_ASSERT(&F, overlong);
					break;
				}
				off += n;
				daqd_control_dispatch(ctl);
			}
		} else {
			FUZZ_ASSERT(&F, send_all(fd, line, total));
		}

		for (size_t k = 0; k < nreq; k++) {
			bool last_overlong = overlong && k == nreq - 1;
			char *want = last_overlong ? NULL : expected_cmd(line + starts[k], lens[k]);
			struct json_object *o, *okv, *ev;
			char *called = NULL;

			pump(ctl, fd, 1);
			FUZZ_ASSERT(&F, take_line(reply, sizeof(reply)));
			/* The handler saw exactly the lines with a "cmd", in order. */
			if (want) {
				FUZZ_ASSERT(&F, rec.ncmds > 0);
				called = rec.cmds[0];
				memmove(rec.cmds, rec.cmds + 1, sizeof(rec.cmds[0]) * (size_t)--rec.ncmds);
				FUZZ_ASSERT(&F, !strcmp(called, want));
			}
			o = json_tokener_parse(reply);
			FUZZ_ASSERT(&F, o && json_object_is_type(o, json_type_object));
			FUZZ_ASSERT(&F, json_object_object_get_ex(o, "ok", &okv) &&
					json_object_is_type(okv, json_type_boolean));
			if (json_object_get_boolean(okv)) {
				struct json_object *cv;

				ok_replies++;
				FUZZ_ASSERT(&F, want != NULL);
				FUZZ_ASSERT(&F, json_object_object_get_ex(o, "cmd", &cv));
				FUZZ_ASSERT(&F, !strcmp(json_object_get_string(cv), want));
			} else {
				err_replies++;
				FUZZ_ASSERT(&F, json_object_object_get_ex(o, "error", &ev) &&
						json_object_is_type(ev, json_type_string) &&
						json_object_get_string_len(ev) > 0);
				if (last_overlong)
					FUZZ_ASSERT(&F, strstr(json_object_get_string(ev), "too long"));
				else if (want)	/* only the handler's own failure */
					FUZZ_ASSERT(&F, strstr(json_object_get_string(ev), "out of memory"));
			}
			json_object_put(o);
			free(want);
			free(called);
		}
		FUZZ_ASSERT(&F, rec.ncmds == 0);	/* no call without its line */
		if (overlong) {
			pump(ctl, fd, 1);
			FUZZ_ASSERT(&F, reof && rlen == 0);	/* closed, nothing more */
		} else {
			/* Nothing beyond one reply per line. */
			daqd_control_dispatch(ctl);
			FUZZ_ASSERT(&F, rlen == 0);
			FUZZ_ASSERT(&F, recv(fd, reply, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN);
		}
		if (overlong || fuzz_below(&F, 256) == 0) {
			close(fd);
			daqd_control_dispatch(ctl);
			fd = client_connect(path);
			rlen = 0;
			reof = false;
			reconnects++;
		}
	}
	close(fd);
	daqd_control_close(ctl);
	rmdir(dir);
	snprintf(summary, sizeof(summary), "%lu ok replies, %lu error replies, %lu reconnects",
		 ok_replies, err_replies, reconnects);
	fuzz_done(&F, summary);
	return ok_replies && err_replies ? 0 : 1;
}
