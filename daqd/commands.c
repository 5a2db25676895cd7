// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The control commands (docs/daqd.md, "Control socket"): status, stats,
 * start, stop, rotate and sim-fault, one handler each in one table.
 */
#include "commands.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "simfault.h"
#include "stream_proto.h"
#include "stream_server.h"
#include "trigger_scan.h"

struct command {
	const char *name;
	struct json_object *(*run)(struct daqd *d, struct json_object *req);
};

static struct json_object *ok_reply(void)
{
	struct json_object *o = json_object_new_object();

	if (o)
		json_object_object_add(o, "ok", json_object_new_boolean(1));
	return o;
}

static uint64_t get_u64(struct json_object *ev, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(ev, key, &v) ? json_object_get_uint64(v) : 0;
}

/* A trigger announcement as the stream's TRIGGER message (protocol 1.1). */
static void to_stream(struct daqd *d, struct json_object *ev)
{
	struct dqs_trigger t = { 0 };
	struct json_object *v;
	enum daqd_trig_cond cond = DAQD_TRIG_RISING;

	t.acq_id = get_u64(ev, "acquisition");
	t.seq = get_u64(ev, "seq");
	t.index = get_u64(ev, "index");
	t.first_sample = get_u64(ev, "first");
	t.nsamples = get_u64(ev, "samples");
	t.history_lost = get_u64(ev, "history_lost");
	t.lost = get_u64(ev, "lost");
	t.channel = (uint8_t)get_u64(ev, "channel");
	if (json_object_object_get_ex(ev, "complete", &v) && json_object_get_boolean(v))
		t.flags |= DQS_TRIGGER_FLAG_COMPLETE;
	if (json_object_object_get_ex(ev, "condition", &v))
		daqd_trig_cond_parse(json_object_get_string(v), &cond);
	t.condition = (uint8_t)cond;
	if (json_object_object_get_ex(ev, "trigger", &v))
		snprintf(t.name, sizeof(t.name), "%s", json_object_get_string(v));
	for (size_t i = 0; i < d->nsinks; i++)
		if (!strcmp(d->sinks[i]->ops->kind, "net"))
			daqd_net_announce(d->sinks[i], &t);
}

static void publish_one(void *arg, struct json_object *ev)
{
	struct daqd *d = arg;

	if (d->ctl)
		daqd_control_publish(d->ctl, ev);
	to_stream(d, ev);
	json_object_put(ev);
}

void daqd_publish_events(struct daqd *d)
{
	for (size_t i = 0; i < d->nsinks; i++)
		if (d->sinks[i]->ops->take_events)
			d->sinks[i]->ops->take_events(d->sinks[i], publish_one, d);
}

void daqd_rotate_all(struct daqd *d)
{
	for (size_t i = 0; i < d->nsinks; i++)
		if (d->sinks[i]->ops->rotate)
			d->sinks[i]->ops->rotate(d->sinks[i]);
}

static struct json_object *cmd_status(struct daqd *d, struct json_object *req)
{
	return daqd_status_json(d, false);
}

static struct json_object *cmd_stats(struct daqd *d, struct json_object *req)
{
	return daqd_status_json(d, true);
}

static struct json_object *cmd_start(struct daqd *d, struct json_object *req)
{
	int ret;

	if (atomic_load(&d->acq.state) == DAQD_ACQ_RUNNING)
		return daqd_control_error("start: the acquisition is already running");
	daqd_acq_stop(&d->acq);	/* reap a run that ended by itself */
	ret = daqd_acq_start(&d->acq);
	if (ret)
		return daqd_control_error("start: %s", strerror(-ret));
	daqd_log(DAQD_LOG_INFO, "acquisition %llu started (control request)",
		 (unsigned long long)d->acq.stream.acq_id);
	return ok_reply();
}

static struct json_object *cmd_stop(struct daqd *d, struct json_object *req)
{
	if (atomic_load(&d->acq.state) != DAQD_ACQ_RUNNING &&
	    !d->acq.thread_running)
		return daqd_control_error("stop: the acquisition is not running");
	daqd_acq_stop(&d->acq);
	daqd_publish_events(d);	/* the events the stop completed */
	daqd_log(DAQD_LOG_INFO, "acquisition stopped (control request)");
	daqd_summary(d);
	return ok_reply();
}

static struct json_object *cmd_rotate(struct daqd *d, struct json_object *req)
{
	daqd_rotate_all(d);
	return ok_reply();
}

static struct json_object *cmd_sim_fault(struct daqd *d, struct json_object *req)
{
	struct json_object *f;
	const char *name;
	int ret;

	if (!json_object_object_get_ex(req, "fault", &f) ||
	    !json_object_is_type(f, json_type_string))
		return daqd_control_error("sim-fault: missing \"fault\" string (%s)",
					  daqd_sim_fault_names);
	name = json_object_get_string(f);
	ret = daqd_sim_fault(d->dev, name);
	if (ret == -ENOTSUP)
		return daqd_control_error("sim-fault: the device is not the simulator");
	if (ret == -EINVAL)
		return daqd_control_error("sim-fault: unknown fault '%.64s' (%s)", name,
					  daqd_sim_fault_names);
	if (ret)
		return daqd_control_error("sim-fault: %s", strerror(-ret));
	daqd_log(DAQD_LOG_INFO, "simulator fault '%s' injected (control request)", name);
	return ok_reply();
}

static const struct command commands[] = {
	{ "status", cmd_status },
	{ "stats", cmd_stats },
	{ "start", cmd_start },
	{ "stop", cmd_stop },
	{ "rotate", cmd_rotate },
	{ "sim-fault", cmd_sim_fault },
};

#define NCOMMANDS	(sizeof(commands) / sizeof(commands[0]))

struct json_object *daqd_command(void *arg, const char *cmd, struct json_object *req)
{
	struct daqd *d = arg;
	char known[128] = "";
	size_t len = 0;

	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(cmd, commands[i].name))
			return commands[i].run(d, req);
	/* The list in the reply is the table's, so that it never goes stale. */
	for (size_t i = 0; i < NCOMMANDS && len < sizeof(known); i++)
		len += (size_t)snprintf(known + len, sizeof(known) - len, "%s%s",
					i ? ", " : "", commands[i].name);
	return daqd_control_error("unknown command '%.64s' (known: %s)", cmd, known);
}
