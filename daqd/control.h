/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control socket: a Unix stream socket speaking newline-delimited JSON
 * (docs/daqd.md, "Control protocol"). Each request line is one JSON object
 * with a "cmd" string; each gets exactly one reply line, {"ok": true, ...}
 * or {"ok": false, "error": "..."}.
 *
 * Robustness rules, because any local user of the group can connect:
 * everything is non-blocking and runs in the daemon's control thread, never
 * in the data path; a line longer than DAQD_CONTROL_MAX_LINE gets an error
 * reply and the connection is closed; a client that does not complete a
 * request within DAQD_CONTROL_TIMEOUT_MS, stays idle for
 * DAQD_CONTROL_IDLE_MS, or does not read its replies, is dropped; at most DAQD_CONTROL_MAX_CLIENTS connections are served.
 *
 * Subscriptions: after {"cmd": "subscribe"} (reply {"ok": true, ...}) a
 * connection also gets every announcement daqd_control_publish() makes, one
 * JSON object per line with an "event" string, for as long as it stays
 * connected (no idle timeout); it may still send requests. A subscriber
 * that does not read its lines is dropped like any other client.
 */
#ifndef DAQD_CONTROL_H
#define DAQD_CONTROL_H

#include <stddef.h>

#include <json-c/json.h>

#define DAQD_CONTROL_MAX_LINE		4096
#define DAQD_CONTROL_TIMEOUT_MS		2000
#define DAQD_CONTROL_IDLE_MS		60000
#define DAQD_CONTROL_MAX_CLIENTS	16

struct daqd_control;

/*
 * A request handler: @cmd is the request's "cmd", @req the whole request.
 * Returns the reply object (ownership passes to the caller), which should
 * hold "ok". NULL means out of memory.
 */
typedef struct json_object *(*daqd_control_handler)(void *arg, const char *cmd,
						     struct json_object *req);

/*
 * daqd_control_open() - Create the socket at @path, mode 0660, owned by
 * @group if given. A stale socket (nobody listening) is replaced; a live
 * one is an error. Return: 0 or -errno with @err filled.
 */
int daqd_control_open(const char *path, const char *group,
		      daqd_control_handler handler, void *arg,
		      struct daqd_control **out, char *err, size_t errlen);

/* daqd_control_close() - Close every connection, remove the socket. */
void daqd_control_close(struct daqd_control *ctl);

/* daqd_control_fd() - One pollable fd (an epoll set) for the main loop. */
int daqd_control_fd(const struct daqd_control *ctl);

/*
 * daqd_control_dispatch() - Serve whatever is ready and drop clients past
 * their deadline. Call when the fd is readable and periodically.
 */
void daqd_control_dispatch(struct daqd_control *ctl);

/*
 * daqd_control_publish() - Send @ev (not consumed) as one line to every
 * subscribed connection. Control thread. Return: the subscribers reached.
 */
int daqd_control_publish(struct daqd_control *ctl, struct json_object *ev);

/* daqd_control_error() - {"ok": false, "error": MSG} (printf-style). */
struct json_object *daqd_control_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

#endif /* DAQD_CONTROL_H */
