/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * daqd's control commands: what a request on the control socket (daqctl)
 * can ask of the daemon, one handler per command in one table.
 */
#ifndef DAQD_COMMANDS_H
#define DAQD_COMMANDS_H

#include <json-c/json.h>

#include "daemon.h"

/*
 * daqd_command() - Run the request @req whose "cmd" is @cmd; @arg is the
 * struct daqd. A daqd_control_handler (control.h). Control thread.
 * Return: the reply object (ok, or daqd_control_error()).
 */
struct json_object *daqd_command(void *arg, const char *cmd, struct json_object *req);

/*
 * daqd_publish_events() - Pass the sinks' queued announcements (trigger
 * events) to the control socket's subscribers. Control thread.
 */
void daqd_publish_events(struct daqd *d);

/* daqd_rotate_all() - Ask every sink that writes files to start new ones. */
void daqd_rotate_all(struct daqd *d);

#endif /* DAQD_COMMANDS_H */
